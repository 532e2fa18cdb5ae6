using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using AkkaBroker.Actors.Groups;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>
/// A broker's group directory over in-memory stand-ins for its replicas of <c>__consumer_offsets</c> (each leads when
/// told to), the controller (broker 1 leads partition 3, broker 2 the others) and the group region (a probe).
/// </summary>
public class GroupDirectorySpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TopicPartition Tp = new("t", 0);
    private const int BrokerId = 1;
    private const int Led = 3;

    private readonly TestProbe _groupRegion;
    private readonly IActorRef _replicas;
    private readonly IActorRef _directory;

    public GroupDirectorySpec()
    {
        _groupRegion = CreateTestProbe();
        _replicas = Sys.ActorOf(Props.Create(() => new FakeOffsetsReplicas()));
        var controller = Sys.ActorOf(Props.Create(() => new FakeController()));
        var region = _groupRegion.Ref;
        _directory = Sys.ActorOf(GroupDirectory.Props(BrokerId, _replicas, controller, () => region));
    }

    private sealed record Append(int Partition, IReadOnlyList<(byte[] Key, byte[]? Value)> Records);

    private sealed record Lead(int Partition, bool Leads);

    /// <summary>Replicas of the offsets partitions: records appended by the test, one batch per fetch so a read takes several.</summary>
    private sealed class FakeOffsetsReplicas : ReceiveActor
    {
        private readonly Dictionary<int, List<byte[]>> _batches = new();
        private readonly Dictionary<int, long> _ends = new();
        private readonly HashSet<int> _leading = new();
        private readonly Dictionary<int, List<IActorRef>> _watchers = new();

        public FakeOffsetsReplicas()
        {
            Receive<Append>(a =>
            {
                var builder = new RecordBatchBuilder(CompressionType.None, 1024);
                foreach (var (key, value) in a.Records) builder.Append(1_700_000_000_000, key, value);
                var batch = builder.Build();
                var end = _ends.GetValueOrDefault(a.Partition);
                RecordBatch.SetBaseOffset(batch, end);
                (_batches.TryGetValue(a.Partition, out var list) ? list : _batches[a.Partition] = new List<byte[]>()).Add(batch);
                _ends[a.Partition] = end + a.Records.Count;
                Sender.Tell(Done.Instance);
            });
            Receive<Lead>(l =>
            {
                if (l.Leads) _leading.Add(l.Partition);
                else
                {
                    _leading.Remove(l.Partition);
                    foreach (var w in _watchers.GetValueOrDefault(l.Partition) ?? []) w.Tell(new LeadershipStatus(Offsets(l.Partition), false, 1));
                    _watchers.Remove(l.Partition);
                }
                Sender.Tell(Done.Instance);
            });
            Receive<WatchLeadership>(w =>
            {
                var leads = _leading.Contains(w.TopicPartition.Partition);
                Sender.Tell(new LeadershipStatus(w.TopicPartition, leads, 1));
                if (leads) (_watchers.TryGetValue(w.TopicPartition.Partition, out var list) ? list : _watchers[w.TopicPartition.Partition] = new List<IActorRef>()).Add(Sender);
            });
            Receive<FetchRequest>(r =>
            {
                var p = r.TopicPartition.Partition;
                var next = (_batches.GetValueOrDefault(p) ?? []).FirstOrDefault(b => RecordBatch.Wrap(b).NextOffset > r.FetchOffset) ?? [];
                Sender.Tell(new FetchResponse(r.TopicPartition, ErrorCode.None, null, _ends.GetValueOrDefault(p), 0, next));
            });
        }
    }

    private sealed class FakeController : ReceiveActor
    {
        public FakeController() =>
            Receive<MetadataRequest>(_ => Sender.Tell(new MetadataResponse([], 0,
                [new TopicMetadata("__consumer_offsets", ErrorCode.None, null, Enumerable.Range(0, 5).Select(p => new PartitionMetadata(p, p == Led ? BrokerId : 2, [1, 2], [1, 2])).ToArray())])));
    }

    private sealed record Done
    {
        public static readonly Done Instance = new();
    }

    private static TopicPartition Offsets(int partition) => new("__consumer_offsets", partition);

    private void Tell(object message)
    {
        _replicas.Tell(message, TestActor);
        ExpectMsg<Done>(Wait);
    }

    private static IReadOnlyList<(byte[] Key, byte[]? Value)> Records(string group, object @event, params TopicPartition[] committed) =>
        GroupLogRecords.Encode(group, @event, committed).ToArray();

    private static GroupOffsetsCommitted Commit(long offset) => new([new CommittedOffset(Tp, offset, "", 1_700_000_000_000)]);

    private ListGroupsResponse List(params int[] partitions)
    {
        _directory.Tell(new ListCoordinatedGroupsRequest(partitions), TestActor);
        return ExpectMsg<ListGroupsResponse>(Wait);
    }

    [Fact]
    public void Reads_a_led_partition_once_lists_the_groups_with_state_in_it_and_starts_their_coordinators()
    {
        Tell(new Append(Led, Records("committed", Commit(5))));
        Tell(new Append(Led, Records("deleted", new GroupMetadataChanged(1, "range", "m", 1, []))));
        Tell(new Append(Led, Records("deleted", new GroupDeleted())));
        Tell(new Append(Led, [GroupLogRecords.LoadMarker("only-loaded")]));
        Tell(new Append(Led, Records("expired", Commit(7))));
        Tell(new Append(Led, Records("expired", new GroupOffsetsExpired([Tp]))));
        Tell(new Append(Led, Records("empty", new GroupMetadataChanged(2, "range", "m", 1, [])).Concat(Records("committed", Commit(6))).ToArray()));
        Tell(new Lead(Led, true));

        _directory.Tell(new OffsetsPartitionsLed([Led]));
        var started = new[] { _groupRegion.ExpectMsg<ShardRegion.StartEntity>(Wait), _groupRegion.ExpectMsg<ShardRegion.StartEntity>(Wait) };
        Assert.Equal(["committed@1", "empty@1"], started.Select(s => s.EntityId).Order(StringComparer.Ordinal));
        var listed = List(Led);
        Assert.Equal(ErrorCode.None, listed.Error);
        Assert.Equal(["committed", "empty"], listed.GroupIds);

        // From now on the coordinators say what changes.
        _directory.Tell(new GroupExistenceChanged("new", Led, true));
        _directory.Tell(new GroupExistenceChanged("empty", Led, false));
        Assert.Equal(["committed", "new"], List(Led).GroupIds);
    }

    [Fact]
    public void A_listing_waits_until_the_partition_is_read_and_what_coordinators_said_meanwhile_wins_over_what_was_read()
    {
        Tell(new Append(Led, Records("gone", Commit(1))));
        Tell(new Append(Led, Records("kept", Commit(1))));
        // The controller elected this broker, whose replica does not know yet: the listing waits.
        _directory.Tell(new ListCoordinatedGroupsRequest([Led]), TestActor);
        _directory.Tell(new GroupExistenceChanged("gone", Led, false));
        _directory.Tell(new GroupExistenceChanged("joined", Led, true));
        Tell(new Lead(Led, true));

        var listed = ExpectMsg<ListGroupsResponse>(Wait);
        Assert.Equal(ErrorCode.None, listed.Error);
        Assert.Equal(["joined", "kept"], listed.GroupIds);
        // Only the group no coordinator spoke for is started.
        Assert.Equal("kept@1", _groupRegion.ExpectMsg<ShardRegion.StartEntity>(Wait).EntityId);
    }

    [Fact]
    public void A_partition_is_forgotten_when_its_replica_stops_leading_and_a_local_listing_covers_what_the_controller_says_is_led_here()
    {
        Tell(new Append(Led, Records("here", Commit(1))));
        Tell(new Append(1, Records("elsewhere", Commit(1))));
        Tell(new Lead(Led, true));
        Tell(new Lead(1, true));
        _directory.Tell(new OffsetsPartitionsLed([Led, 1]));
        Assert.Equal(["elsewhere", "here"], List(Led, 1).GroupIds);

        // As Kafka's ListGroups: the groups this broker coordinates by the controller's metadata (partition 1 is broker 2's there).
        _directory.Tell(new ListGroupsRequest(), TestActor);
        Assert.Equal(["here"], ExpectMsg<ListGroupsResponse>(Wait).GroupIds);

        // Leadership lost: what was known is dropped, and read afresh once the replica leads again (a coordinator
        // elsewhere wrote a group meanwhile, which only a new read finds).
        Tell(new Lead(Led, false));
        Tell(new Append(Led, Records("while-away", Commit(1))));
        Tell(new Lead(Led, true));
        Assert.Equal(["here", "while-away"], List(Led).GroupIds);
    }

    [Fact]
    public void A_listing_of_a_partition_this_broker_turns_out_not_to_lead_is_refused_with_not_coordinator()
    {
        _directory.Tell(new ListCoordinatedGroupsRequest([Led]), TestActor);
        var answer = ExpectMsg<ListGroupsResponse>(Wait);
        Assert.Contains(answer.Error, new[] { ErrorCode.NotCoordinator, ErrorCode.CoordinatorLoadInProgress });
        Assert.Contains("partition", answer.ErrorMessage);
        Assert.Empty(answer.GroupIds);
    }
}
