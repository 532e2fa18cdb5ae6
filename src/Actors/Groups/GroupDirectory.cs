using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Groups;

/// <summary>A coordinator on this broker says whether its group exists: once it has loaded, and whenever that changes.</summary>
public sealed record GroupExistenceChanged(string GroupId, int OffsetsPartition, bool Exists);

/// <summary>
/// The consumer groups this broker coordinates, known as a Kafka broker knows them: by the partitions of
/// <c>__consumer_offsets</c> it leads. No list of every group is kept in one place, so the number of groups is bounded by
/// what the offsets topic holds, never by the size of one replicated value.
/// <para>
/// When the controller says this broker leads a partition (<see cref="OffsetsPartitionsLed"/>), or a coordinator here
/// reports a group of a partition not known yet, the directory waits until the local replica leads, reads the partition
/// once for the groups that have state in it, and starts their coordinators, so offset retention runs for groups nobody
/// uses any more. From then on the coordinators say when a group comes or goes (<see cref="GroupExistenceChanged"/>);
/// what they say while the partition is being read is newer than what is read. When the replica stops leading, the
/// partition's groups are forgotten: the new leader's directory lists them.
/// </para>
/// Listing: the controller asks every leader for the groups of the partitions it leads by the controller's state
/// (<see cref="ListCoordinatedGroupsRequest"/>); the Kafka listener asks its own broker's directory
/// (<see cref="ListGroupsRequest"/>), as a Kafka broker answers ListGroups with the groups it coordinates. An answer waits
/// for partitions still being read, at most <see cref="ListWait"/>, then says COORDINATOR_LOAD_IN_PROGRESS.
/// </summary>
public sealed class GroupDirectory : ReceiveActor, IWithTimers
{
    public const string Name = "group-directory";

    /// <summary>How long a listing waits for partitions still being read (below the controller's admin.timeout of 10 s by default).</summary>
    private static readonly TimeSpan ListWait = TimeSpan.FromSeconds(5);

    /// <summary>A replica just elected may not know yet: asked again every 200 ms, about 5 s in all, before the partition is dropped.</summary>
    private const int MaxNotLeaderAnswers = 25;

    private const int ReadBytes = 1024 * 1024;

    /// <param name="partitionRegion">Where this broker's replicas of the offsets partitions take requests.</param>
    /// <param name="controller">The controller singleton's proxy, which says which offsets partitions this broker leads.</param>
    /// <param name="groupRegion">This broker's group coordinators' shard region (started after the directory, so asked for when needed).</param>
    public static Props Props(int brokerId, IActorRef partitionRegion, IActorRef controller, Func<IActorRef> groupRegion) =>
        Akka.Actor.Props.Create(() => new GroupDirectory(brokerId, partitionRegion, controller, groupRegion));

    /// <summary>The directory of the broker whose cluster address is <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static string PathOf(ActorSystem system, string host, int port) =>
        $"{BrokerNode.ProtocolOf(system)}://{BrokerNode.ActorSystemName}@{host}:{port}/user/{Name}";

    private sealed record WatchAgain(int Partition);

    private sealed record ReadAgain(int Partition);

    private sealed record ListDeadline(long Id);

    private sealed record PendingList(long Id, IReadOnlyList<int> Partitions, IActorRef ReplyTo);

    /// <summary>The controller said which offsets partitions this broker leads (or <c>Failure</c> why it did not), for a local listing.</summary>
    private sealed record LocalListing(IReadOnlyList<int> Partitions, string? Failure, IActorRef ReplyTo);

    /// <summary>One offsets partition this broker leads, or is about to.</summary>
    private sealed class OffsetsPartition(int partition)
    {
        public TopicPartition TopicPartition { get; } = new(ControllerState.OffsetsTopic, partition);

        /// <summary>The local replica said it leads.</summary>
        public bool Leads { get; set; }

        /// <summary>The partition has been read: <see cref="Groups"/> is complete.</summary>
        public bool Read { get; set; }

        public int NotLeaderAnswers { get; set; }
        public long ReadOffset { get; set; }

        /// <summary>The high watermark when the read began: records up to it are read, later ones are reported by coordinators.</summary>
        public long ReadTo { get; set; } = -1;

        public HashSet<string> Groups { get; } = new(StringComparer.Ordinal);

        /// <summary>While reading: what coordinators reported meanwhile.</summary>
        public Dictionary<string, bool> Reported { get; } = new(StringComparer.Ordinal);

        /// <summary>While reading: per group, the keys (as hex) that hold state and whose last record is not a tombstone.</summary>
        public Dictionary<string, HashSet<string>> LiveKeys { get; } = new(StringComparer.Ordinal);
    }

    private readonly int _brokerId;
    private readonly IActorRef _partitionRegion;
    private readonly IActorRef _controller;
    private readonly Func<IActorRef> _groupRegion;
    private readonly Dictionary<int, OffsetsPartition> _partitions = new();
    private readonly List<PendingList> _pendingLists = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _listIds;

    public ITimerScheduler Timers { get; set; } = null!;

    public GroupDirectory(int brokerId, IActorRef partitionRegion, IActorRef controller, Func<IActorRef> groupRegion)
    {
        _groupRegion = groupRegion;
        _brokerId = brokerId;
        _partitionRegion = partitionRegion;
        _controller = controller;
        Receive<OffsetsPartitionsLed>(m =>
        {
            foreach (var p in m.Partitions) Track(p);
        });
        Receive<GroupExistenceChanged>(c =>
        {
            var p = Track(c.OffsetsPartition);
            if (!p.Read) p.Reported[c.GroupId] = c.Exists;
            else if (c.Exists) p.Groups.Add(c.GroupId);
            else p.Groups.Remove(c.GroupId);
        });
        Receive<LeadershipStatus>(LeadershipKnown);
        Receive<WatchAgain>(w =>
        {
            if (_partitions.TryGetValue(w.Partition, out var p) && !p.Leads) _partitionRegion.Tell(new WatchLeadership(p.TopicPartition));
        });
        Receive<FetchResponse>(PartitionRead);
        Receive<ReadAgain>(r =>
        {
            if (_partitions.TryGetValue(r.Partition, out var p) && p is { Leads: true, Read: false }) ReadNext(p);
        });
        Receive<ListCoordinatedGroupsRequest>(r => List(r.OffsetsPartitions, Sender));
        Receive<ListGroupsRequest>(_ =>
        {
            var replyTo = Sender;
            _controller.Ask<MetadataResponse>(new MetadataRequest([ControllerState.OffsetsTopic], AllowAutoTopicCreation: false), ListWait)
                .PipeTo(Self, success: m => new LocalListing(LedPartitions(m), null, replyTo), failure: e => new LocalListing([], e.Message, replyTo));
        });
        Receive<LocalListing>(l =>
        {
            if (l.Failure == null) List(l.Partitions, l.ReplyTo);
            else
                l.ReplyTo.Tell(new ListGroupsResponse(ErrorCode.CoordinatorNotAvailable,
                    $"Broker {_brokerId} could not ask the controller which partitions of {ControllerState.OffsetsTopic} it leads ({l.Failure}); retry.", []));
        });
        Receive<ListDeadline>(d =>
        {
            if (_pendingLists.Find(l => l.Id == d.Id) is not { } pending) return;
            _pendingLists.Remove(pending);
            var reading = pending.Partitions.Where(n => _partitions.TryGetValue(n, out var p) && !p.Read);
            pending.ReplyTo.Tell(new ListGroupsResponse(ErrorCode.CoordinatorLoadInProgress,
                $"Broker {_brokerId} is still reading partition(s) {string.Join(",", reading)} of {ControllerState.OffsetsTopic} for their groups; retry.", []));
        });
    }

    /// <summary>The offsets partitions the controller's metadata says this broker leads (none before the topic exists).</summary>
    private IReadOnlyList<int> LedPartitions(MetadataResponse m) =>
        m.Topics.FirstOrDefault(t => t.Name == ControllerState.OffsetsTopic) is { Error: ErrorCode.None } offsets
            ? offsets.Partitions.Where(p => p.Leader == _brokerId).Select(p => p.Partition).ToArray()
            : [];

    private OffsetsPartition Track(int partition)
    {
        if (_partitions.TryGetValue(partition, out var known)) return known;
        var p = _partitions[partition] = new OffsetsPartition(partition);
        _partitionRegion.Tell(new WatchLeadership(p.TopicPartition));
        return p;
    }

    private void LeadershipKnown(LeadershipStatus s)
    {
        if (s.TopicPartition.Topic != ControllerState.OffsetsTopic || !_partitions.TryGetValue(s.TopicPartition.Partition, out var p)) return;
        if (s.Leads)
        {
            if (p.Leads) return; // a repeated answer: the read is under way
            p.Leads = true;
            ReadNext(p);
            return;
        }
        if (p.Leads) Forget(p, "this broker stopped leading it");
        else if (++p.NotLeaderAnswers >= MaxNotLeaderAnswers) Forget(p, "this broker's replica does not lead it");
        else Timers.StartSingleTimer($"watch-{p.TopicPartition.Partition}", new WatchAgain(p.TopicPartition.Partition), TimeSpan.FromMilliseconds(200));
    }

    private void ReadNext(OffsetsPartition p) => _partitionRegion.Tell(new FetchRequest(p.TopicPartition, p.ReadOffset, ReadBytes, 0, 0));

    private void PartitionRead(FetchResponse r)
    {
        if (r.TopicPartition.Topic != ControllerState.OffsetsTopic || !_partitions.TryGetValue(r.TopicPartition.Partition, out var p) || p is not { Leads: true, Read: false })
            return;
        if (r.Error == ErrorCode.OffsetOutOfRange && r.LogStartOffset > p.ReadOffset)
        {
            p.ReadOffset = r.LogStartOffset;
            ReadNext(p);
            return;
        }
        if (r.Error != ErrorCode.None)
        {
            _log.Info("Reading {0} from offset {1} for its groups failed ({2}: {3}); trying again", p.TopicPartition, p.ReadOffset, r.Error.KafkaName(), r.ErrorMessage);
            Timers.StartSingleTimer($"read-{p.TopicPartition.Partition}", new ReadAgain(p.TopicPartition.Partition), TimeSpan.FromMilliseconds(200));
            return;
        }
        if (p.ReadTo < 0) p.ReadTo = r.HighWatermark;
        var readFrom = p.ReadOffset;
        try
        {
            foreach (var batch in RecordBatch.ReadAll(r.Records))
            {
                foreach (var record in batch.ReadRecords())
                    if (record.Offset >= p.ReadOffset && record.Offset < p.ReadTo)
                        Note(p, record.Key, record.Value);
                p.ReadOffset = Math.Max(p.ReadOffset, batch.NextOffset);
            }
        }
        catch (Exception e) when (e is InvalidDataException or System.Runtime.Serialization.SerializationException)
        {
            // Such a record's group is not served by its coordinator either (it refuses to load): say so, list the rest.
            _log.Error(e, "{0} has a record this broker cannot read after offset {1}; its groups are listed as far as they were read", p.TopicPartition, p.ReadOffset);
            Finish(p);
            return;
        }
        if (p.ReadOffset >= p.ReadTo) Finish(p);
        else if (p.ReadOffset > readFrom) ReadNext(p);
        else Timers.StartSingleTimer($"read-{p.TopicPartition.Partition}", new ReadAgain(p.TopicPartition.Partition), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Compaction keeps the last record per key: a group has state while one of its state keys' last record has a value.</summary>
    private static void Note(OffsetsPartition p, byte[]? key, byte[]? value)
    {
        var (group, holdsState) = GroupLogRecords.GroupOf(key);
        if (!holdsState) return;
        var id = Convert.ToHexString(key!);
        if (value != null)
        {
            if (!p.LiveKeys.TryGetValue(group, out var keys)) p.LiveKeys[group] = keys = new HashSet<string>(StringComparer.Ordinal);
            keys.Add(id);
        }
        else if (p.LiveKeys.TryGetValue(group, out var keys) && keys.Remove(id) && keys.Count == 0) p.LiveKeys.Remove(group);
    }

    private void Finish(OffsetsPartition p)
    {
        p.Read = true;
        foreach (var group in p.LiveKeys.Keys) p.Groups.Add(group);
        p.LiveKeys.Clear();
        var groupRegion = _groupRegion();
        foreach (var group in p.Groups.Where(g => !p.Reported.ContainsKey(g)))
            groupRegion.Tell(new ShardRegion.StartEntity(GroupMessageExtractor.EntityIdFor(group, _brokerId)));
        foreach (var (group, exists) in p.Reported)
            if (exists) p.Groups.Add(group);
            else p.Groups.Remove(group);
        p.Reported.Clear();
        if (p.Groups.Count > 0) _log.Info("Read {0} up to offset {1}: {2} group(s), their coordinators started", p.TopicPartition, p.ReadTo, p.Groups.Count);
        AnswerPendingLists();
    }

    private void Forget(OffsetsPartition p, string why)
    {
        _partitions.Remove(p.TopicPartition.Partition);
        Timers.Cancel($"watch-{p.TopicPartition.Partition}");
        Timers.Cancel($"read-{p.TopicPartition.Partition}");
        if (p.Groups.Count > 0) _log.Info("No longer listing the {0} group(s) of {1}: {2}", p.Groups.Count, p.TopicPartition, why);
        AnswerPendingLists();
    }

    private void List(IReadOnlyList<int> partitions, IActorRef replyTo)
    {
        foreach (var p in partitions) Track(p);
        var pending = new PendingList(++_listIds, partitions, replyTo);
        if (TryAnswer(pending)) return;
        _pendingLists.Add(pending);
        Timers.StartSingleTimer($"list-{pending.Id}", new ListDeadline(pending.Id), ListWait);
    }

    private void AnswerPendingLists()
    {
        foreach (var pending in _pendingLists.ToArray())
            if (TryAnswer(pending))
            {
                _pendingLists.Remove(pending);
                Timers.Cancel($"list-{pending.Id}");
            }
    }

    /// <summary>Answers <paramref name="pending"/> once each of its partitions is read, or is no longer led here; false while one is being read.</summary>
    private bool TryAnswer(PendingList pending)
    {
        foreach (var lost in pending.Partitions.Where(n => !_partitions.ContainsKey(n)).Take(1))
        {
            pending.ReplyTo.Tell(new ListGroupsResponse(ErrorCode.NotCoordinator,
                $"Broker {_brokerId} does not lead partition {lost} of {ControllerState.OffsetsTopic} (any more); retry.", []));
            return true;
        }
        if (pending.Partitions.Any(n => !_partitions[n].Read)) return false;
        var groups = pending.Partitions.SelectMany(n => _partitions[n].Groups).Distinct().Order(StringComparer.Ordinal).ToArray();
        pending.ReplyTo.Tell(new ListGroupsResponse(ErrorCode.None, null, groups));
        return true;
    }
}
