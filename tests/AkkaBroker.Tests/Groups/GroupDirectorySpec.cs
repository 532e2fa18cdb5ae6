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
        _directory = Sys.ActorOf(GroupDirectory.Props(BrokerId, _replicas, controller, () => region, TimeSpan.FromSeconds(20)));
    }

    /// <param name="Acknowledged">False for records a previous leader acknowledged that this replica's high watermark does not cover yet.</param>
    private sealed record Append(int Partition, IReadOnlyList<(byte[] Key, byte[]? Value)> Records, bool Acknowledged = true);

    private sealed record Lead(int Partition, bool Leads);

    /// <summary>
    /// Replicas of the offsets partitions: records appended by the test, read one batch per fetch so a read takes
    /// several, and below the high watermark only, which an acks=all write moves to the log end.
    /// </summary>
    private sealed class FakeOffsetsReplicas : ReceiveActor
    {
        private readonly Dictionary<int, List<byte[]>> _batches = new();
        private readonly Dictionary<int, long> _ends = new();
        private readonly Dictionary<int, long> _highWatermarks = new();
        private readonly HashSet<int> _leading = new();
        private readonly Dictionary<int, List<IActorRef>> _watchers = new();

        public FakeOffsetsReplicas()
        {
            Receive<Append>(a =>
            {
                Store(a.Partition, a.Records);
                if (a.Acknowledged) _highWatermarks[a.Partition] = _ends[a.Partition];
                Sender.Tell(Done.Instance);
            });
            Receive<ProduceRequest>(r =>
            {
                Assert.Equal(-1, r.Acks);
                var p = r.TopicPartition.Partition;
                if (!_leading.Contains(p))
                {
                    Sender.Tell(new ProduceResponse(r.TopicPartition, ErrorCode.NotLeaderOrFollower, "not the leader", -1, -1, 0));
                    return;
                }
                var records = RecordBatch.Wrap(r.Batch).ReadRecords().Select(x => (x.Key!, x.Value)).ToArray();
                var baseOffset = Store(p, records);
                _highWatermarks[p] = _ends[p];
                Sender.Tell(new ProduceResponse(r.TopicPartition, ErrorCode.None, null, baseOffset, -1, 0));
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
                var highWatermark = _highWatermarks.GetValueOrDefault(p);
                var next = (_batches.GetValueOrDefault(p) ?? []).FirstOrDefault(b => RecordBatch.Wrap(b).NextOffset > r.FetchOffset && RecordBatch.Wrap(b).NextOffset <= highWatermark) ?? [];
                Sender.Tell(new FetchResponse(r.TopicPartition, ErrorCode.None, null, highWatermark, 0, next));
            });
        }

        private long Store(int partition, IReadOnlyList<(byte[] Key, byte[]? Value)> records)
        {
            var builder = new RecordBatchBuilder(CompressionType.None, 1024);
            foreach (var (key, value) in records) builder.Append(1_700_000_000_000, key, value);
            var batch = builder.Build();
            var end = _ends.GetValueOrDefault(partition);
            RecordBatch.SetBaseOffset(batch, end);
            (_batches.TryGetValue(partition, out var list) ? list : _batches[partition] = new List<byte[]>()).Add(batch);
            _ends[partition] = end + records.Count;
            return end;
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

    private static GroupMetadataChanged Membership(params string[] members) =>
        new(1, "range", members.FirstOrDefault() ?? "", 1, members.Select(m => new GroupMemberRecord(m, null, "client", 10_000, 30_000, ["range"], ["t"], [Tp])).ToArray());

    [Fact]
    public void Reads_a_led_partition_once_lists_the_groups_that_exist_in_it_and_starts_their_coordinators()
    {
        Tell(new Append(Led, Records("committed", Commit(5))));
        Tell(new Append(Led, Records("members", Membership("m-1"))));
        // Deleting a group tombstones its membership, which takes every offset of the group with it.
        Tell(new Append(Led, Records("deleted", Membership("m-1")).Concat(Records("deleted", Commit(3))).ToArray()));
        Tell(new Append(Led, Records("deleted", new GroupDeleted())));
        Tell(new Append(Led, [GroupLogRecords.LoadMarker("only-loaded")]));
        Tell(new Append(Led, Records("expired", Commit(7))));
        Tell(new Append(Led, Records("expired", new GroupOffsetsExpired([Tp]))));
        // The last member left a group that never committed: its coordinator says it is dead.
        Tell(new Append(Led, Records("left", Membership("m-1"))));
        Tell(new Append(Led, Records("left", Membership()).Concat(Records("committed", Commit(6))).ToArray()));
        Tell(new Lead(Led, true));

        _directory.Tell(new OffsetsPartitionsLed([Led]));
        var listed = List(Led);
        Assert.Equal(ErrorCode.None, listed.Error);
        Assert.Equal(["committed", "members"], listed.GroupIds);
        // Started before the answer left, and only those.
        var started = new[] { _groupRegion.ExpectMsg<ShardRegion.StartEntity>(Wait), _groupRegion.ExpectMsg<ShardRegion.StartEntity>(Wait) };
        Assert.Equal(["committed@1", "members@1"], started.Select(x => x.EntityId).Order(StringComparer.Ordinal));
        Assert.False(_groupRegion.HasMessages);

        // From now on the coordinators say what changes.
        _directory.Tell(new GroupExistenceChanged("new", Led, true, 1));
        _directory.Tell(new GroupExistenceChanged("members", Led, false, 1));
        Assert.Equal(["committed", "new"], List(Led).GroupIds);
    }

    [Fact]
    public void Records_a_previous_leader_acknowledged_past_this_replicas_high_watermark_are_read_too()
    {
        Tell(new Append(Led, Records("early", Commit(1))));
        Tell(new Append(Led, Records("acknowledged-before-the-election", Commit(1)), Acknowledged: false));
        Tell(new Lead(Led, true));
        Assert.Equal(["acknowledged-before-the-election", "early"], List(Led).GroupIds);
    }

    [Fact]
    public void A_listing_waits_until_the_partition_is_read_and_what_coordinators_said_meanwhile_wins_over_what_was_read()
    {
        Tell(new Append(Led, Records("gone", Commit(1))));
        Tell(new Append(Led, Records("kept", Commit(1))));
        // The controller elected this broker, whose replica does not know yet: the listing waits.
        _directory.Tell(new ListCoordinatedGroupsRequest([Led]), TestActor);
        _directory.Tell(new GroupExistenceChanged("gone", Led, false, 1));
        _directory.Tell(new GroupExistenceChanged("joined", Led, true, 1));
        // A coordinator that loaded before the replica took its role (at epoch 1) speaks of a log that may be gone.
        _directory.Tell(new GroupExistenceChanged("stale", Led, true, 0));
        Tell(new Lead(Led, true));

        var listed = ExpectMsg<ListGroupsResponse>(Wait);
        Assert.Equal(ErrorCode.None, listed.Error);
        Assert.Equal(["joined", "kept"], listed.GroupIds);
        // Only the group no coordinator spoke for is started.
        Assert.Equal("kept@1", _groupRegion.ExpectMsg<ShardRegion.StartEntity>(Wait).EntityId);
        Assert.False(_groupRegion.HasMessages);
    }

    [Fact]
    public void A_replica_that_stops_leading_and_leads_again_is_read_afresh_and_a_local_listing_covers_what_the_controller_says_is_led_here()
    {
        Tell(new Append(Led, Records("here", Commit(1))));
        Tell(new Append(1, Records("elsewhere", Commit(1))));
        Tell(new Lead(Led, true));
        Tell(new Lead(1, true));
        _directory.Tell(new OffsetsPartitionsLed([Led, 1]));
        Assert.Equal(["elsewhere", "here"], List(Led, 1).GroupIds);

        // As Kafka's ListGroups: the groups this broker coordinates by the controller's metadata (partition 1 is broker 2's there).
        _directory.Tell(new ListGroupsRequest(), TestActor);
        var local = ExpectMsg<ListGroupsResponse>(Wait);
        Assert.Equal(ErrorCode.None, local.Error);
        Assert.Equal(["here"], local.GroupIds);

        // The replica leaves its role and takes it again (a new leader epoch): what was known is dropped and read
        // afresh, which finds a group written meanwhile that no coordinator here reported.
        Tell(new Lead(Led, false));
        Tell(new Append(Led, Records("while-away", Commit(1))));
        Tell(new Lead(Led, true));
        Assert.Equal(["here", "while-away"], List(Led).GroupIds);
    }

    [Fact]
    public void A_listing_of_a_partition_this_broker_turns_out_not_to_lead_says_not_coordinator_once_the_replica_keeps_saying_so()
    {
        Tell(new Append(1, Records("elsewhere", Commit(1))));
        Tell(new Lead(1, true));
        var answer = List(Led, 1);
        Assert.Equal(ErrorCode.NotCoordinator, answer.Error);
        Assert.Contains("partition 3 is not led by broker 1", answer.ErrorMessage);
        Assert.Equal(["elsewhere"], answer.GroupIds);
    }
}
