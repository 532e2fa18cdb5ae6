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

/// <summary>
/// A coordinator on this broker says whether its group exists: once it has loaded, and whenever that changes. <c>LeaderEpoch</c>
/// is the epoch of the offsets partition's leader it loaded at: a report from before the replica last took its role is stale.
/// </summary>
public sealed record GroupExistenceChanged(string GroupId, int OffsetsPartition, bool Exists, int LeaderEpoch);

/// <summary>
/// The consumer groups this broker coordinates, known as a Kafka broker knows them: by the partitions of
/// <c>__consumer_offsets</c> it leads. No list of every group is kept in one place, so the number of groups is bounded by
/// what the offsets topic holds, never by the size of one replicated value.
/// <para>
/// When the controller says this broker leads a partition (<see cref="OffsetsPartitionsLed"/>), or a coordinator here
/// reports a group of a partition not known yet, the directory waits until the local replica leads, appends a marker with
/// acks=all (once acknowledged, every record before it is replicated, also those a previous leader acknowledged past this
/// leader's high watermark), reads the partition up to the marker for the groups that exist in it, and starts their
/// coordinators, so offset retention runs for groups nobody uses any more. From then on the coordinators say when a group
/// comes or goes (<see cref="GroupExistenceChanged"/>); what they say while the partition is read is newer than what is
/// read. When the replica stops leading, its groups are dropped and it is watched a while longer: a replica that leads
/// again (at a new leader epoch, say) is read afresh, one that does not is forgotten, as the new leader's directory lists them.
/// </para>
/// Listing: the controller asks every leader for the groups of the partitions it leads by the controller's state
/// (<see cref="ListCoordinatedGroupsRequest"/>); the Kafka listener asks its own broker's directory
/// (<see cref="ListGroupsRequest"/>), as a Kafka broker answers ListGroups with the groups it coordinates. An answer waits
/// for partitions still being read, at most half the broker's <c>admin.timeout</c>; then it lists the groups known and
/// names the partitions that are not (COORDINATOR_LOAD_IN_PROGRESS).
/// </summary>
public sealed class GroupDirectory : ReceiveActor, IWithTimers
{
    public const string Name = "group-directory";

    /// <summary>A replica just elected may not know yet: asked again every 200 ms, 3 s in all (as a coordinator does), before the partition is forgotten.</summary>
    private const int MaxNotLeaderAnswers = 15;

    /// <summary>Failed writes of the marker or reads, 200 ms apart, before the partition is reported as unreadable.</summary>
    private const int MaxFailures = 50;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);
    private const int ReadBytes = 1024 * 1024;
    private const int MarkerTimeoutMs = 10_000;

    /// <summary>The marker's key: a load marker of the empty group id, which no group has (ids are 1 to 255 characters).</summary>
    private static readonly (byte[] Key, byte[]? Value) Marker = GroupLogRecords.LoadMarker("");

    /// <param name="partitionRegion">Where this broker's replicas of the offsets partitions take requests.</param>
    /// <param name="controller">The controller singleton's proxy, which says which offsets partitions this broker leads.</param>
    /// <param name="groupRegion">This broker's group coordinators' shard region (started after the directory, so asked for when needed).</param>
    /// <param name="adminTimeout">The broker's <c>admin.timeout</c>, within which a listing is answered.</param>
    public static Props Props(int brokerId, IActorRef partitionRegion, IActorRef controller, Func<IActorRef> groupRegion, TimeSpan adminTimeout) =>
        Akka.Actor.Props.Create(() => new GroupDirectory(brokerId, partitionRegion, controller, groupRegion, adminTimeout));

    /// <summary>The directory of the broker whose cluster address is <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static string PathOf(ActorSystem system, string host, int port) =>
        $"{BrokerNode.ProtocolOf(system)}://{BrokerNode.ActorSystemName}@{host}:{port}/user/{Name}";

    private enum Phase
    {
        /// <summary>Waiting until the local replica says it leads.</summary>
        Watching,
        /// <summary>The marker is being written.</summary>
        Marking,
        Reading,
        /// <summary><see cref="OffsetsPartition.Groups"/> is complete.</summary>
        Read,
        /// <summary>The partition could not be read (<see cref="OffsetsPartition.Failure"/>).</summary>
        Failed,
    }

    // Answers carry the partition's tracking generation: one meant for an earlier tracking of the partition is stale.
    private sealed record WatchAgain(int Partition, long Generation);

    private sealed record Retry(int Partition, long Generation);

    private sealed record MarkerWritten(int Partition, long Generation, ProduceResponse Response);

    private sealed record Fetched(int Partition, long Generation, FetchResponse Response);

    private sealed record ListDeadline(long Id);

    /// <param name="Local">A Kafka client's listing of this broker's groups.</param>
    private sealed record PendingList(long Id, IReadOnlyList<int> Partitions, IActorRef ReplyTo, bool Local);

    /// <summary>The controller said which offsets partitions this broker leads (or <c>Failure</c> why it did not); <c>ReplyTo</c> is a local listing's asker, if any.</summary>
    private sealed record LedPartitionsLearned(IReadOnlyList<int> Partitions, string? Failure, IActorRef? ReplyTo);

    /// <summary>What the records read so far say of one group: a group exists while it has members or committed offsets.</summary>
    private sealed class GroupTrace
    {
        public bool HasMembers { get; set; }
        public HashSet<string> OffsetKeys { get; } = new(StringComparer.Ordinal);
        public bool Exists => HasMembers || OffsetKeys.Count > 0;
    }

    /// <summary>One offsets partition this broker leads, or is about to.</summary>
    private sealed class OffsetsPartition(int partition, long generation)
    {
        public TopicPartition TopicPartition { get; } = new(ControllerState.OffsetsTopic, partition);
        public int Number => TopicPartition.Partition;
        public long Generation { get; set; } = generation;
        public Phase Phase { get; set; }
        public string? Failure { get; set; }
        public int NotLeaderAnswers { get; set; }

        /// <summary>The replica's leader epoch once it said it leads; -1 before.</summary>
        public int LeaderEpoch { get; set; } = -1;
        public int Failures { get; set; }
        public long ReadOffset { get; set; }

        /// <summary>The marker's offset: records before it are read, later ones are reported by coordinators.</summary>
        public long ReadTo { get; set; }

        public bool UnreadableRecordLogged { get; set; }
        public HashSet<string> Groups { get; } = new(StringComparer.Ordinal);

        /// <summary>Until read: what coordinators reported meanwhile, and at which leader epoch.</summary>
        public Dictionary<string, (bool Exists, int LeaderEpoch)> Reported { get; } = new(StringComparer.Ordinal);

        /// <summary>While reading: what the records say of each group seen.</summary>
        public Dictionary<string, GroupTrace> Traces { get; } = new(StringComparer.Ordinal);

        public bool InProgress => Phase is Phase.Watching or Phase.Marking or Phase.Reading;

        /// <summary>Back to watching, knowing nothing: the replica stopped leading, or this is a new tracking.</summary>
        public void Reset(long newGeneration)
        {
            Generation = newGeneration;
            Phase = Phase.Watching;
            (Failure, NotLeaderAnswers, Failures, ReadOffset, ReadTo, UnreadableRecordLogged, LeaderEpoch) = (null, 0, 0, 0, 0, false, -1);
            Groups.Clear();
            Reported.Clear();
            Traces.Clear();
        }
    }

    private readonly int _brokerId;
    private readonly IActorRef _partitionRegion;
    private readonly IActorRef _controller;
    private readonly Func<IActorRef> _groupRegion;
    private readonly TimeSpan _listWait;
    private readonly Dictionary<int, OffsetsPartition> _partitions = new();
    private readonly List<PendingList> _pendingLists = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _listIds;
    private long _generations;

    public ITimerScheduler Timers { get; set; } = null!;

    public GroupDirectory(int brokerId, IActorRef partitionRegion, IActorRef controller, Func<IActorRef> groupRegion, TimeSpan adminTimeout)
    {
        _brokerId = brokerId;
        _partitionRegion = partitionRegion;
        _controller = controller;
        _groupRegion = groupRegion;
        _listWait = adminTimeout / 2;
        Receive<OffsetsPartitionsLed>(m =>
        {
            // An election: a partition that could not be read is tried afresh.
            foreach (var p in m.Partitions) Track(p, retryFailed: true);
        });
        Receive<GroupExistenceChanged>(c =>
        {
            var p = Track(c.OffsetsPartition);
            if (c.LeaderEpoch < p.LeaderEpoch) return;
            if (p.Phase != Phase.Read) p.Reported[c.GroupId] = (c.Exists, c.LeaderEpoch);
            else if (c.Exists) p.Groups.Add(c.GroupId);
            else p.Groups.Remove(c.GroupId);
        });
        Receive<LeadershipStatus>(LeadershipKnown);
        Receive<WatchAgain>(w =>
        {
            if (Current(w.Partition, w.Generation) is { Phase: Phase.Watching } p) _partitionRegion.Tell(new WatchLeadership(p.TopicPartition));
        });
        Receive<Retry>(r =>
        {
            if (Current(r.Partition, r.Generation) is not { } p) return;
            if (p.Phase == Phase.Marking) WriteMarker(p);
            else if (p.Phase == Phase.Reading) ReadNext(p);
        });
        Receive<MarkerWritten>(m =>
        {
            if (Current(m.Partition, m.Generation) is { Phase: Phase.Marking } p) MarkerStored(p, m.Response);
        });
        Receive<Fetched>(f =>
        {
            if (Current(f.Partition, f.Generation) is { Phase: Phase.Reading } p) PartitionRead(p, f.Response);
        });
        Receive<ListCoordinatedGroupsRequest>(r => List(r.OffsetsPartitions, Sender, local: false));
        Receive<ListGroupsRequest>(_ => AskLedPartitions(Sender));
        Receive<LedPartitionsLearned>(l =>
        {
            if (l.Failure == null)
            {
                if (l.ReplyTo != null) List(l.Partitions, l.ReplyTo, local: true);
                else foreach (var p in l.Partitions) Track(p);
            }
            else if (l.ReplyTo != null)
                l.ReplyTo.Tell(new ListGroupsResponse(ErrorCode.CoordinatorNotAvailable,
                    $"Broker {_brokerId} could not ask the controller which partitions of {ControllerState.OffsetsTopic} it leads ({l.Failure}); retry.", []));
            else _log.Warning("After a restart, could not ask the controller which partitions of {0} this broker leads ({1}); they are read when next listed or elected",
                ControllerState.OffsetsTopic, l.Failure);
        });
        Receive<ListDeadline>(d =>
        {
            if (_pendingLists.Find(l => l.Id == d.Id) is not { } pending) return;
            _pendingLists.Remove(pending);
            Answer(pending);
        });
    }

    /// <summary>A restart lost what was known: the partitions this broker leads are read again.</summary>
    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        AskLedPartitions(null);
    }

    private void AskLedPartitions(IActorRef? replyTo) =>
        _controller.Ask<MetadataResponse>(new MetadataRequest([ControllerState.OffsetsTopic], AllowAutoTopicCreation: false), _listWait / 2)
            .PipeTo(Self, success: m => new LedPartitionsLearned(LedPartitions(m), null, replyTo), failure: e => new LedPartitionsLearned([], e.Message, replyTo));

    /// <summary>The offsets partitions the controller's metadata says this broker leads (none before the topic exists).</summary>
    private IReadOnlyList<int> LedPartitions(MetadataResponse m) =>
        m.Topics.FirstOrDefault(t => t.Name == ControllerState.OffsetsTopic) is { Error: ErrorCode.None } offsets
            ? offsets.Partitions.Where(p => p.Leader == _brokerId).Select(p => p.Partition).ToArray()
            : [];

    private OffsetsPartition? Current(int partition, long generation) =>
        _partitions.TryGetValue(partition, out var p) && p.Generation == generation ? p : null;

    private OffsetsPartition Track(int partition, bool retryFailed = false)
    {
        if (_partitions.TryGetValue(partition, out var known))
        {
            if (retryFailed && known.Phase == Phase.Failed) Watch(known);
            return known;
        }
        var p = _partitions[partition] = new OffsetsPartition(partition, ++_generations);
        _partitionRegion.Tell(new WatchLeadership(p.TopicPartition));
        return p;
    }

    private void Watch(OffsetsPartition p)
    {
        p.Reset(++_generations);
        _partitionRegion.Tell(new WatchLeadership(p.TopicPartition));
    }

    private void LeadershipKnown(LeadershipStatus s)
    {
        if (s.TopicPartition.Topic != ControllerState.OffsetsTopic || !_partitions.TryGetValue(s.TopicPartition.Partition, out var p)) return;
        if (s.Leads)
        {
            if (p.Phase != Phase.Watching) return; // a repeated answer
            p.Phase = Phase.Marking;
            p.LeaderEpoch = s.LeaderEpoch;
            // Reports from coordinators that loaded before the replica took this role are stale.
            foreach (var stale in p.Reported.Where(r => r.Value.LeaderEpoch < s.LeaderEpoch).Select(r => r.Key).ToArray()) p.Reported.Remove(stale);
            WriteMarker(p);
            return;
        }
        if (p.Phase != Phase.Watching)
        {
            // The replica left its role: perhaps only to lead again at a new epoch. Watched afresh a while.
            if (p.Groups.Count > 0) _log.Info("No longer listing the {0} group(s) of {1}: this broker's replica stopped leading it", p.Groups.Count, p.TopicPartition);
            p.Reset(++_generations);
        }
        if (++p.NotLeaderAnswers >= MaxNotLeaderAnswers)
        {
            _partitions.Remove(p.Number);
            AnswerPendingLists();
            return;
        }
        Timers.StartSingleTimer($"watch-{p.Number}", new WatchAgain(p.Number, p.Generation), RetryDelay);
    }

    private void WriteMarker(OffsetsPartition p)
    {
        var batch = new RecordBatchBuilder(CompressionType.None, 64);
        batch.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Marker.Key, Marker.Value);
        var (number, generation) = (p.Number, p.Generation);
        _partitionRegion.Ask<ProduceResponse>(new ProduceRequest(p.TopicPartition, -1, MarkerTimeoutMs, batch.Build()), TimeSpan.FromMilliseconds(MarkerTimeoutMs * 1.5))
            .PipeTo(Self, success: r => new MarkerWritten(number, generation, r),
                failure: e => new MarkerWritten(number, generation, new ProduceResponse(p.TopicPartition, ErrorCode.RequestTimedOut, e.Message, -1, -1, -1)));
    }

    private void MarkerStored(OffsetsPartition p, ProduceResponse r)
    {
        if (r.Error != ErrorCode.None)
        {
            Failed(p, $"its marker was not stored ({r.Error.KafkaName()}: {r.ErrorMessage})");
            return;
        }
        p.Failures = 0;
        p.ReadTo = r.BaseOffset;
        p.ReadOffset = Math.Max(0, r.LogStartOffset);
        p.Phase = Phase.Reading;
        if (p.ReadOffset >= p.ReadTo) Finish(p);
        else ReadNext(p);
    }

    private void ReadNext(OffsetsPartition p)
    {
        var (number, generation) = (p.Number, p.Generation);
        _partitionRegion.Ask<FetchResponse>(new FetchRequest(p.TopicPartition, p.ReadOffset, ReadBytes, 0, 0), TimeSpan.FromSeconds(30))
            .PipeTo(Self, success: r => new Fetched(number, generation, r),
                failure: e => new Fetched(number, generation, new FetchResponse(p.TopicPartition, ErrorCode.RequestTimedOut, e.Message, -1, -1, [])));
    }

    private void PartitionRead(OffsetsPartition p, FetchResponse r)
    {
        if (r.Error == ErrorCode.OffsetOutOfRange && r.LogStartOffset > p.ReadOffset)
        {
            p.ReadOffset = r.LogStartOffset; // compacted or deleted meanwhile
            if (p.ReadOffset >= p.ReadTo) Finish(p);
            else ReadNext(p);
            return;
        }
        if (r.Error != ErrorCode.None)
        {
            Failed(p, $"reading it from offset {p.ReadOffset} failed ({r.Error.KafkaName()}: {r.ErrorMessage})");
            return;
        }
        var readFrom = p.ReadOffset;
        try
        {
            foreach (var batch in RecordBatch.ReadAll(r.Records))
            {
                foreach (var record in batch.ReadRecords())
                    if (record.Offset >= p.ReadOffset && record.Offset < p.ReadTo)
                        Note(p, record.Offset, record.Key, record.Value);
                p.ReadOffset = Math.Max(p.ReadOffset, batch.NextOffset);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or System.Runtime.Serialization.SerializationException)
        {
            _log.Error(e, "{0} has a batch this broker cannot read after offset {1}", p.TopicPartition, p.ReadOffset);
            p.Phase = Phase.Failed;
            p.Failure = $"a batch after offset {p.ReadOffset} cannot be read ({e.Message}); see the broker's log";
            AnswerPendingLists();
            return;
        }
        if (p.ReadOffset >= p.ReadTo) Finish(p);
        else if (p.ReadOffset > readFrom)
        {
            p.Failures = 0;
            ReadNext(p);
        }
        else Failed(p, $"reading it made no progress at offset {p.ReadOffset} (high watermark {r.HighWatermark})");
    }

    /// <summary>Counts a failed step and tries it again shortly; gives up (and says why in listings) after <see cref="MaxFailures"/> in a row.</summary>
    private void Failed(OffsetsPartition p, string why)
    {
        if (++p.Failures < MaxFailures)
        {
            if (p.Failures == 1) _log.Info("Reading the groups of {0}: {1}; trying again", p.TopicPartition, why);
            Timers.StartSingleTimer($"retry-{p.Number}", new Retry(p.Number, p.Generation), RetryDelay);
            return;
        }
        _log.Warning("Gave up reading the groups of {0} after {1} attempts: {2}. Listings name it until it is read, at its next election", p.TopicPartition, MaxFailures, why);
        p.Phase = Phase.Failed;
        p.Failure = why;
        AnswerPendingLists();
    }

    /// <summary>
    /// Compaction keeps the last record per key, and replaying them is how a coordinator rebuilds its group: a group
    /// exists while its last membership record has members or one of its offsets is not tombstoned; a membership
    /// tombstone deletes the whole group (its offsets with it).
    /// </summary>
    private void Note(OffsetsPartition p, long offset, byte[]? key, byte[]? value)
    {
        try
        {
            var (group, kind) = GroupLogRecords.GroupOf(key);
            switch (kind)
            {
                case GroupLogRecords.KeyKind.Offset when value != null:
                    Trace(p, group).OffsetKeys.Add(Convert.ToHexString(key!));
                    break;
                case GroupLogRecords.KeyKind.Offset:
                    if (p.Traces.TryGetValue(group, out var withOffset)) withOffset.OffsetKeys.Remove(Convert.ToHexString(key!));
                    break;
                case GroupLogRecords.KeyKind.Metadata when value != null:
                    Trace(p, group).HasMembers = GroupLogRecords.Decode(group, key, value) is GroupMetadataChanged { Members.Count: > 0 };
                    break;
                case GroupLogRecords.KeyKind.Metadata:
                    p.Traces.Remove(group);
                    break;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or System.Runtime.Serialization.SerializationException)
        {
            // The group of such a record is not served by its coordinator either (it refuses to load); the others are listed.
            if (!p.UnreadableRecordLogged) _log.Error(e, "{0} has a record this broker cannot read at offset {1}; it is left out of the group listing", p.TopicPartition, offset);
            p.UnreadableRecordLogged = true;
        }
    }

    private static GroupTrace Trace(OffsetsPartition p, string group)
    {
        if (!p.Traces.TryGetValue(group, out var trace)) p.Traces[group] = trace = new GroupTrace();
        return trace;
    }

    private void Finish(OffsetsPartition p)
    {
        p.Phase = Phase.Read;
        foreach (var (group, trace) in p.Traces)
            if (trace.Exists) p.Groups.Add(group);
        p.Traces.Clear();
        var starting = p.Groups.Where(g => !p.Reported.ContainsKey(g)).ToArray();
        foreach (var (group, (exists, _)) in p.Reported)
            if (exists) p.Groups.Add(group);
            else p.Groups.Remove(group);
        p.Reported.Clear();
        if (starting.Length > 0) StartCoordinators(p, starting);
        AnswerPendingLists();
    }

    private void StartCoordinators(OffsetsPartition p, IReadOnlyList<string> groups)
    {
        IActorRef groupRegion;
        try
        {
            groupRegion = _groupRegion();
        }
        catch (ArgumentException e)
        {
            // Only while the broker starts: its coordinators then start at their members' first request.
            _log.Warning("Read {0}: {1} group(s), whose coordinators could not be started yet ({2})", p.TopicPartition, groups.Count, e.Message);
            return;
        }
        foreach (var group in groups) groupRegion.Tell(new ShardRegion.StartEntity(GroupMessageExtractor.EntityIdFor(group, _brokerId)));
        _log.Info("Read {0} up to offset {1}: {2} group(s), their coordinators started", p.TopicPartition, p.ReadTo, groups.Count);
    }

    private void List(IReadOnlyList<int> partitions, IActorRef replyTo, bool local)
    {
        foreach (var p in partitions) Track(p);
        var pending = new PendingList(++_listIds, partitions, replyTo, local);
        if (!Waits(pending))
        {
            Answer(pending);
            return;
        }
        _pendingLists.Add(pending);
        Timers.StartSingleTimer($"list-{pending.Id}", new ListDeadline(pending.Id), _listWait);
    }

    private void AnswerPendingLists()
    {
        foreach (var pending in _pendingLists.Where(l => !Waits(l)).ToArray())
        {
            _pendingLists.Remove(pending);
            Timers.Cancel($"list-{pending.Id}");
            Answer(pending);
        }
    }

    private bool Waits(PendingList pending) => pending.Partitions.Any(n => _partitions.TryGetValue(n, out var p) && p.InProgress);

    /// <summary>
    /// The groups of the partitions read, and what kept the others from being listed: still being read, unreadable,
    /// or no longer led here (to a Kafka client, as unavailable: the controller's metadata said a moment ago it was).
    /// </summary>
    private void Answer(PendingList pending)
    {
        var groups = new SortedSet<string>(StringComparer.Ordinal);
        var problems = new List<(ErrorCode Code, string Why)>();
        foreach (var n in pending.Partitions.Distinct())
        {
            if (!_partitions.TryGetValue(n, out var p))
            {
                problems.Add((pending.Local ? ErrorCode.CoordinatorNotAvailable : ErrorCode.NotCoordinator,
                    $"partition {n} is not led by broker {_brokerId} (any more)"));
                continue;
            }
            if (p.Phase == Phase.Read) groups.UnionWith(p.Groups);
            else if (p.Phase == Phase.Failed) problems.Add((ErrorCode.CoordinatorNotAvailable, $"partition {n} could not be read: {p.Failure}"));
            else problems.Add((ErrorCode.CoordinatorLoadInProgress, $"broker {_brokerId} is still reading partition {n}"));
        }
        if (problems.Count == 0)
        {
            pending.ReplyTo.Tell(new ListGroupsResponse(ErrorCode.None, null, groups.ToArray()));
            return;
        }
        // The most retriable reason first: clients retry COORDINATOR_LOAD_IN_PROGRESS and COORDINATOR_NOT_AVAILABLE.
        var code = problems.Select(x => x.Code).OrderBy(c => c switch { ErrorCode.CoordinatorLoadInProgress => 0, ErrorCode.CoordinatorNotAvailable => 1, _ => 2 }).First();
        pending.ReplyTo.Tell(new ListGroupsResponse(code,
            $"Groups of {ControllerState.OffsetsTopic} not listed: {string.Join("; ", problems.Select(x => x.Why))}; retry.", groups.ToArray()));
    }
}
