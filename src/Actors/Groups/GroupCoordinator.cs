using Akka.Actor;
using Akka.Event;
using Akka.Cluster.Sharding;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Records;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// The coordinator of one consumer group, on the broker that leads the group's partition of <c>__consumer_offsets</c>
/// (sharded entity <c>group@broker</c>). Its state lives in that partition as records (<see cref="GroupLogRecords"/>),
/// written with acks=all, so it is replicated like any record and a new leader's coordinator finds every acknowledged
/// commit. It is thin: each request goes to <see cref="GroupState"/>, whose events are stored before any reply leaves.
/// <para>
/// Loading: it asks the local replica whether it leads (and to be told when that ends), appends a marker with acks=all
/// (once acknowledged, everything before it is replicated), and replays the group's records up to the marker. Requests
/// wait meanwhile. When the replica stops leading, or a write fails, the coordinator answers NOT_COORDINATOR /
/// COORDINATOR_NOT_AVAILABLE and passivates: the next request loads afresh from the log on whichever broker leads.
/// </para>
/// Joins wait here until the join phase completes; one timer fires at the state's next deadline (session expiry,
/// rebalance timeout, offset retention). This broker's <see cref="GroupDirectory"/> is told when the group comes into
/// being or goes away.
/// </summary>
public sealed class GroupCoordinator : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    /// <param name="offsetsLog">Where this broker's replica of the offsets partition takes requests: the local partition region.</param>
    /// <param name="directory">This broker's <see cref="GroupDirectory"/>, told whether the group exists.</param>
    public static Props Props(string groupId, GroupSettings settings, IActorRef controller, IActorRef offsetsLog, IActorRef directory) =>
        Akka.Actor.Props.Create(() => new GroupCoordinator(groupId, settings, controller, offsetsLog, directory));

    private sealed record DeadlineReached
    {
        public static readonly DeadlineReached Instance = new();
    }

    private sealed record HeldHeartbeatDue(string MemberId, IActorRef ReplyTo);

    private sealed record PartitionCountsResolved(IReadOnlyDictionary<string, int> Counts);

    private sealed record RetryLoad;

    private sealed record PublishOffsets
    {
        public static readonly PublishOffsets Instance = new();
    }

    /// <summary>Time for a group that holds nothing to go away (see <see cref="HoldsNothing"/>).</summary>
    private sealed record PassivateIfIdle
    {
        public static readonly PassivateIfIdle Instance = new();
    }

    private sealed record ReadAgain;

    /// <summary>The answer to read <c>Id</c> (null when it got none in time): only the latest read's answer counts.</summary>
    private sealed record ReadAnswered(long Id, FetchResponse? Response);

    private sealed record OffsetsPartitionsCounted(int Count);

    private sealed record LoadTimedOut;

    /// <summary>A load step's request got no answer in time (<see cref="ExpectAnswer"/>).</summary>
    private sealed record StepOverdue;

    private sealed record WriteTimedOut(long WriteId);

    /// <summary>Events waiting to be stored, and what to do once they are.</summary>
    private sealed record PendingWrite(IReadOnlyList<object> Events, Action OnStored, object? Reply, IActorRef ReplyTo);

    /// <summary>How long a write with acks=all may take before the coordinator gives up on its broker's leadership.</summary>
    private const int WriteTimeoutMs = 10_000;
    /// <summary>
    /// No progress for this long fails the load. Below a client's default request.timeout.ms (30 s), so that members hear
    /// a retriable COORDINATOR_NOT_AVAILABLE rather than time out.
    /// </summary>
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(20);
    /// <summary>How long a load step waits for its answer before asking again: Akka delivers at most once.</summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(5);
    /// <summary>Writes queued while one is in flight go out together, up to about this many events.</summary>
    private const int MaxEventsPerWrite = 1000;
    /// <summary>Below the offsets topic's max.message.bytes (1 MB by default), with room for the batch header.</summary>
    private const int MaxBatchBytes = 512 * 1024;

    private readonly string _groupId;
    private readonly TimeSpan _idleLifetime;
    private readonly IActorRef _controller;
    private readonly IActorRef _offsetsLog;
    private readonly IActorRef _directory;
    /// <summary>The group's partition of the offsets topic; null until the controller has said how many it has.</summary>
    private TopicPartition? _offsetsPartition;
    private TopicPartition OffsetsPartition => _offsetsPartition ?? throw new InvalidOperationException("the group's offsets partition is not known yet");
    /// <summary>Batches of the write in flight still to be sent, in order.</summary>
    private readonly Queue<byte[]> _batchesToSend = new();
    private readonly GroupState _state;
    private readonly Dictionary<string, IActorRef> _waitingJoins = new(StringComparer.Ordinal);
    /// <summary>Heartbeats of a settled group answered later, or at once when a rebalance starts (member id → asker).</summary>
    private readonly Dictionary<string, IActorRef> _heldHeartbeats = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<PendingWrite> _queuedWrites = new();
    private PendingWrite[]? _writing;
    private long _writeId;
    private bool _resolvingPartitions;
    private bool _registered;
    // Loading.
    private int _leaderEpoch = -1;
    private long _loadMarkerOffset = -1;
    private long _readOffset;
    private int _notLeaderAnswers;
    private bool _legacyJournalRead;
    private bool _foundInLog;
    /// <summary>The log has been read up to the load marker.</summary>
    private bool _logRead;
    private long _readId;

    public GroupCoordinator(string groupId, GroupSettings settings, IActorRef controller, IActorRef offsetsLog, IActorRef directory)
    {
        _directory = directory;
        _groupId = groupId;
        _idleLifetime = TimeSpan.FromMilliseconds(settings.IdleCoordinatorMs);
        _controller = controller;
        _offsetsLog = offsetsLog;
        _state = new GroupState(groupId, settings);
        Become(Loading);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    protected override void PreStart()
    {
        Timers.StartSingleTimer(nameof(LoadTimedOut), new LoadTimedOut(), LoadTimeout);
        AskOffsetsPartitions();
    }

    // Another broker's coordinator reports the group from now on (or nobody, when it was deleted).
    protected override void PostStop() => BrokerMetrics.RemoveCommittedOffsets(Context.System, _groupId);

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    // ---------------------------------------------------------------- loading

    private void Loading()
    {
        Receive<OffsetsPartitionsCounted>(c =>
        {
            _offsetsPartition = new TopicPartition(Controller.ControllerState.OffsetsTopic, Controller.ControllerState.OffsetsPartitionFor(_groupId, c.Count));
            AskLeadership();
        });
        Receive<Status.Failure>(f =>
        {
            _log.Info("[{0}] loading: the controller did not say how many partitions {1} has ({2}); asking again", _groupId,
                Controller.ControllerState.OffsetsTopic, f.Cause.Message);
            Timers.StartSingleTimer(nameof(RetryLoad), new RetryLoad(), TimeSpan.FromMilliseconds(500));
        });
        Receive<LeadershipStatus>(s =>
        {
            if (!s.Leads)
            {
                // Leadership lost while loading: what was read may already be stale.
                if (_leaderEpoch >= 0)
                {
                    Unload(ErrorCode.NotCoordinator, $"this broker stopped leading {_offsetsPartition}, which holds group '{_groupId}', while the group loaded: find the coordinator again");
                    return;
                }
                // Just elected, the replica may not have heard yet: ask again for a moment before sending members away.
                if (++_notLeaderAnswers >= 15)
                {
                    Unload(ErrorCode.NotCoordinator, $"this broker does not lead {_offsetsPartition}, which holds group '{_groupId}': find the coordinator again");
                    return;
                }
                Timers.StartSingleTimer(nameof(RetryLoad), new RetryLoad(), TimeSpan.FromMilliseconds(200));
                return;
            }
            if (_leaderEpoch >= 0) return; // a repeated answer: the marker is on its way
            _leaderEpoch = s.LeaderEpoch;
            var (key, value) = GroupLogRecords.LoadMarker(_groupId);
            var batch = new RecordBatchBuilder(CompressionType.None, 64);
            batch.Append(Now, key, value);
            _offsetsLog.Tell(new ProduceRequest(OffsetsPartition, -1, WriteTimeoutMs, batch.Build()));
            // Not sent again when unanswered: a late answer could not be told from a later write's.
            ExpectAnswer(TimeSpan.FromMilliseconds(WriteTimeoutMs) + StepTimeout);
        });
        Receive<ProduceResponse>(r =>
        {
            // Only the marker is written while loading; an answer from before it was sent (to a previous incarnation) is not its.
            if (_leaderEpoch < 0 || _loadMarkerOffset >= 0) return;
            if (r.Error != ErrorCode.None)
            {
                Unload(r.Error is ErrorCode.NotLeaderOrFollower ? ErrorCode.NotCoordinator : ErrorCode.CoordinatorNotAvailable,
                    $"group '{_groupId}' could not be loaded: {_offsetsPartition} did not store its load marker ({r.Error.KafkaName()}: {r.ErrorMessage}); retry");
                return;
            }
            _loadMarkerOffset = r.BaseOffset;
            _readOffset = Math.Max(0, r.LogStartOffset);
            ReadNext();
        });
        Receive<ReadAnswered>(a =>
        {
            // A read asked again (after no answer, or after a failed one) may still be answered: only the latest counts.
            if (a.Id != _readId || _logRead) return;
            if (a.Response is not { } r)
            {
                _log.Warning("[{0}] loading: reading {1} from offset {2} got no answer within {3} s; reading again", _groupId, _offsetsPartition, _readOffset, StepTimeout.TotalSeconds);
                ReadNext();
                return;
            }
            if (r.Error == ErrorCode.OffsetOutOfRange && r.LogStartOffset > _readOffset)
            {
                _readOffset = r.LogStartOffset;
                ReadNext();
                return;
            }
            if (r.Error != ErrorCode.None)
            {
                _log.Info("[{0}] loading: reading {1} from offset {2} failed ({3}: {4}); trying again", _groupId, _offsetsPartition, _readOffset,
                    r.Error.KafkaName(), r.ErrorMessage);
                Timers.StartSingleTimer(nameof(ReadAgain), new ReadAgain(), TimeSpan.FromMilliseconds(200));
                return;
            }
            var readFrom = _readOffset;
            try
            {
                foreach (var batch in RecordBatch.ReadAll(r.Records))
                {
                    foreach (var record in batch.ReadRecords())
                    {
                        if (record.Offset < _readOffset || record.Offset >= _loadMarkerOffset) continue;
                        switch (GroupLogRecords.Decode(_groupId, record.Key, record.Value))
                        {
                            case null:
                                break;
                            case GroupLogRecords.LegacyJournalWasRead:
                                _legacyJournalRead = true;
                                break;
                            case var e:
                                _state.Apply(e);
                                _foundInLog = true;
                                break;
                        }
                    }
                    _readOffset = Math.Max(_readOffset, batch.NextOffset);
                }
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or System.Runtime.Serialization.SerializationException)
            {
                // Skipping a record of this group would silently lose a commit: refuse to serve it instead.
                _log.Error(e, "[{0}] a record in {1} cannot be read; the group is not served until it can", _groupId, _offsetsPartition);
                Unload(ErrorCode.CoordinatorNotAvailable, $"group '{_groupId}' has a record this broker cannot read ({e.Message}); see the broker's log");
                return;
            }
            if (_readOffset < _loadMarkerOffset)
            {
                // A long partition takes a while to read: the deadline is for making no progress, not for the whole read.
                if (_readOffset > readFrom)
                {
                    Timers.StartSingleTimer(nameof(LoadTimedOut), new LoadTimedOut(), LoadTimeout);
                    ReadNext();
                }
                else Timers.StartSingleTimer(nameof(ReadAgain), new ReadAgain(), TimeSpan.FromMilliseconds(100));
            }
            else
            {
                _logRead = true;
                Timers.Cancel(nameof(StepOverdue));
                if (_legacyJournalRead) Loaded();
                else Context.Watch(Context.ActorOf(LegacyGroupJournal.Props(_groupId), "legacy-journal"));
            }
        });
        // The old journal's reader failed to recover (its error is in the log) before it answered.
        Receive<Terminated>(_ => Unload(ErrorCode.CoordinatorNotAvailable, $"group '{_groupId}' could not be loaded: its old journal on this broker could not be read; retry"));
        Receive<LegacyGroupJournal.Recovered>(l =>
        {
            Context.Unwatch(Sender);
            // The group's journal from before group state was replicated (usually none) becomes records, followed by
            // the record that says it was read; only once those are replicated does the old journal go. Records of the
            // group already in the log are newer than any such journal, which is then only deleted.
            var hadJournal = !l.IsEmpty;
            if (!hadJournal)
            {
                // Nothing to move: no record that says so either (a group id nobody used must not leave one in the log).
                Sender.Tell(PoisonPill.Instance);
                Loaded();
                return;
            }
            var migrate = !_foundInLog;
            if (migrate)
            {
                // Recovered as the old coordinator recovered: its snapshot, then the events after it.
                if (l.Snapshot != null) _state.Restore(l.Snapshot);
                foreach (var e in l.Events) _state.Apply(e);
            }
            var events = new List<object>();
            if (migrate && _state.Exists) events.Add(_state.ToSnapshot(Now).Metadata);
            var offsets = _state.FetchOffsets(new OffsetFetchRequest(_groupId, null)).Offsets;
            if (migrate && offsets.Count > 0) events.Add(new GroupOffsetsCommitted(offsets));
            if (migrate)
                _log.Info("[{0}] moving the group and {1} committed offset(s) from this broker's group journal into {2}", _groupId, offsets.Count, _offsetsPartition);
            var legacy = Sender;
            var records = events.SelectMany(e => GroupLogRecords.Encode(_groupId, e, [])).Append(GroupLogRecords.LegacyJournalRead(_groupId)).ToList();
            _batchesToSend.Clear();
            foreach (var batch in Batches(records)) _batchesToSend.Enqueue(batch);
            _offsetsLog.Tell(new ProduceRequest(OffsetsPartition, -1, WriteTimeoutMs, _batchesToSend.Dequeue()));
            Become(() =>
            {
                Receive<ProduceResponse>(r =>
                {
                    if (r.Error != ErrorCode.None)
                    {
                        Unload(ErrorCode.CoordinatorNotAvailable, $"group '{_groupId}' could not be moved into {_offsetsPartition} ({r.Error.KafkaName()}: {r.ErrorMessage}); retry");
                        return;
                    }
                    if (_batchesToSend.TryDequeue(out var next))
                    {
                        _offsetsLog.Tell(new ProduceRequest(OffsetsPartition, -1, WriteTimeoutMs, next));
                        return;
                    }
                    legacy.Tell(LegacyGroupJournal.Delete.Instance);
                    Loaded();
                });
                Receive<LeadershipStatus>(st => !st.Leads, _ =>
                    Unload(ErrorCode.NotCoordinator, $"this broker stopped leading {_offsetsPartition} while group '{_groupId}' loaded: find the coordinator again"));
                Receive<LoadTimedOut>(_ => Unload(ErrorCode.CoordinatorNotAvailable, $"group '{_groupId}' could not be moved into {_offsetsPartition} in time; retry"));
                ReceiveAny(_ => Stash.Stash());
            });
        });
        Receive<RetryLoad>(_ =>
        {
            if (_offsetsPartition == null) AskOffsetsPartitions();
            else if (_leaderEpoch < 0) AskLeadership();
        });
        Receive<ReadAgain>(_ =>
        {
            if (!_logRead) ReadNext();
        });
        Receive<StepOverdue>(_ =>
        {
            if (_offsetsPartition == null) return; // the controller's ask has its own timeout
            if (_leaderEpoch < 0)
            {
                _log.Warning("[{0}] loading: {1} did not say whether this broker leads it within {2} s; asking again", _groupId, _offsetsPartition, StepTimeout.TotalSeconds);
                AskLeadership();
            }
            else if (_loadMarkerOffset < 0)
                Unload(ErrorCode.CoordinatorNotAvailable, $"group '{_groupId}' could not be loaded: {_offsetsPartition} did not answer the load marker's write in time; retry");
        });
        Receive<LoadTimedOut>(_ => Unload(ErrorCode.CoordinatorNotAvailable,
            $"group '{_groupId}' could not be loaded from {_offsetsPartition?.ToString() ?? Controller.ControllerState.OffsetsTopic} (no progress for {LoadTimeout.TotalSeconds:0} s); retry"));
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>
    /// The group's partition is its id's hash modulo the offsets topic's partition count: that count comes from the
    /// controller's metadata (as the gateways' routing does), not from this broker's config, which may differ.
    /// </summary>
    private void AskOffsetsPartitions() =>
        _controller.Ask<MetadataResponse>(new MetadataRequest([Controller.ControllerState.OffsetsTopic], AllowAutoTopicCreation: false), TimeSpan.FromSeconds(5))
            .PipeTo(Self, success: m => m.Topics.FirstOrDefault(t => t.Name == Controller.ControllerState.OffsetsTopic) is { Error: ErrorCode.None, Partitions.Count: > 0 } t
                ? new OffsetsPartitionsCounted(t.Partitions.Count)
                : new Status.Failure(new InvalidOperationException($"{Controller.ControllerState.OffsetsTopic} does not exist yet")));

    private void AskLeadership()
    {
        _offsetsLog.Tell(new WatchLeadership(OffsetsPartition));
        ExpectAnswer(StepTimeout);
    }

    /// <summary>Reads the log from <see cref="_readOffset"/>; each read is its own ask, so a late answer is told from the latest.</summary>
    private void ReadNext()
    {
        Timers.Cancel(nameof(StepOverdue));
        var id = ++_readId;
        _offsetsLog.Ask<FetchResponse>(new FetchRequest(OffsetsPartition, _readOffset, 1024 * 1024, 0, 0), StepTimeout)
            .PipeTo(Self, success: r => new ReadAnswered(id, r), failure: _ => new ReadAnswered(id, null));
    }

    /// <summary>The leadership question and the marker's write wait for one answer at a time; this is when to stop waiting.</summary>
    private void ExpectAnswer(TimeSpan within) => Timers.StartSingleTimer(nameof(StepOverdue), new StepOverdue(), within);

    private void Loaded()
    {
        Timers.Cancel(nameof(LoadTimedOut));
        Timers.Cancel(nameof(StepOverdue));
        _state.OnRecovered(Now);
        _log.Info("[{0}] loaded from {1} at leader epoch {2} (read up to offset {3}): {4}, {5} committed offset(s)", _groupId, _offsetsPartition, _leaderEpoch,
            _loadMarkerOffset, _state.State, _state.CommittedPartitions.Count);
        Become(Active);
        PublishCommittedOffsets();
        // Said whether or not the group exists: the directory may have read records of a group that is gone since.
        UpdateDirectory(always: true);
        Reschedule();
        PassivateWhenIdle();
        Stash.UnstashAll();
    }

    /// <summary>
    /// Stops serving: everyone waiting is answered with <paramref name="code"/> and the entity passivates, so the next
    /// request loads the group afresh from the log (here, or on the broker that leads now).
    /// </summary>
    private void Unload(ErrorCode code, string message)
    {
        _log.Info("[{0}] unloading: {1}", _groupId, message);
        // The broker that leads the group's partition now reports its lag.
        BrokerMetrics.RemoveCommittedOffsets(Context.System, _groupId);
        foreach (var w in (_writing ?? []).Concat(_queuedWrites))
            if (w.Reply != null && !w.ReplyTo.IsNobody()) w.ReplyTo.Tell(GroupErrorReplies.InsteadOf(w.Reply, code, message));
        _writing = null;
        _queuedWrites.Clear();
        _batchesToSend.Clear();
        foreach (var (id, waiting) in _waitingJoins) waiting.Tell(new JoinGroupResponse(code, message, -1, "", "", id));
        _waitingJoins.Clear();
        foreach (var held in _heldHeartbeats.Values) held.Tell(new HeartbeatResponse(code, message));
        _heldHeartbeats.Clear();
        Timers.CancelAll();
        Become(() =>
        {
            Receive<IGroupRequest>(r => Sender.Tell(GroupErrorReplies.For(r, code, message)));
            ReceiveAny(_ => { });
        });
        Stash.UnstashAll();
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    // ---------------------------------------------------------------- serving

    private void Active()
    {
        Receive<PassivateIfIdle>(_ =>
        {
            if (!HoldsNothing) return;
            // The next request for the group loads it again from the log; sharding holds what arrives from now on, and
            // what is already in the mailbox is told to retry (it must not start a join or a write that the stop cuts off).
            Timers.CancelAll();
            BrokerMetrics.RemoveCommittedOffsets(Context.System, _groupId);
            Become(() =>
            {
                Receive<IGroupRequest>(r => Sender.Tell(GroupErrorReplies.For(r, ErrorCode.CoordinatorNotAvailable,
                    $"the coordinator of group '{_groupId}' is reloading: retry")));
                ReceiveAny(_ => { });
            });
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        Receive<JoinGroupRequest>(r =>
        {
            var outcome = _state.Join(r, Now);
            _log.Debug("[{0}] join from '{1}' (client {2}) in {3}: {4}", _groupId, r.MemberId, r.ClientId, _state.State,
                outcome.Reply is JoinGroupResponse j ? j.Error.ToString() : "waits as " + outcome.WaitingMemberId);
            if (outcome.WaitingMemberId is { } id)
            {
                if (_waitingJoins.Remove(id, out var previous) && !previous.Equals(Sender))
                    previous.Tell(new JoinGroupResponse(ErrorCode.RebalanceInProgress, "A newer join from this member replaced this one.", -1, "", "", id));
                _waitingJoins[id] = Sender;
            }
            Complete(outcome, Sender);
        });
        Receive<SyncGroupRequest>(r =>
        {
            var outcome = _state.Sync(r, Now);
            _log.Debug("[{0}] sync from '{1}' generation {2}: {3}, group now {4}", _groupId, r.MemberId, r.GenerationId,
                ((SyncGroupResponse)outcome.Reply!).Error, _state.State);
            Complete(outcome, Sender);
        });
        Receive<HeartbeatRequest>(r =>
        {
            var outcome = _state.Heartbeat(r, Now);
            if (outcome.Reply is HeartbeatResponse { Error: not ErrorCode.None } refused)
                _log.Debug("[{0}] heartbeat from '{1}' generation {2}: {3}", _groupId, r.MemberId, r.GenerationId, refused.Error);
            if (r.MaxWaitMs > 0 && outcome.Reply is HeartbeatResponse { Error: ErrorCode.None } && _state.State is GroupStateName.Stable or GroupStateName.CompletingRebalance)
            {
                Hold(r, Sender);
                outcome.Reply = null;
            }
            Complete(outcome, Sender);
        });
        Receive<HeldHeartbeatDue>(d =>
        {
            if (_heldHeartbeats.TryGetValue(d.MemberId, out var held) && held.Equals(d.ReplyTo))
            {
                _heldHeartbeats.Remove(d.MemberId);
                held.Tell(new HeartbeatResponse(ErrorCode.None, null));
            }
        });
        Receive<LeaveGroupRequest>(r =>
        {
            _log.Info("[{0}] member {1} leaves: {2}", _groupId, r.MemberId, r.Reason);
            Complete(_state.Leave(r, Now), Sender);
        });
        Receive<OffsetCommitRequest>(r =>
        {
            Complete(_state.Commit(r, Now), Sender);
        });
        Receive<OffsetFetchRequest>(r => Sender.Tell(_state.FetchOffsets(r)));
        Receive<DescribeGroupRequest>(_ => Sender.Tell(_state.Describe()));
        Receive<DeleteGroupRequest>(_ => Complete(_state.Delete(), Sender));
        Receive<OffsetDeleteRequest>(r => Complete(_state.DeleteOffsets(r), Sender));
        Receive<DeadlineReached>(_ =>
        {
            var before = _state.Members.Count;
            var outcome = _state.Tick(Now);
            // Offsets are not expired while a commit is being written: it could be one of those the expiry would remove.
            if (_writing != null || _queuedWrites.Count > 0) outcome.Events.RemoveAll(e => e is GroupOffsetsExpired);
            if (_state.Members.Count < before)
                _log.Info("[{0}] {1} member(s) removed: session expired (session.timeout.ms)", _groupId, before - _state.Members.Count);
            Complete(outcome, ActorRefs.Nobody);
        });
        Receive<PartitionCountsResolved>(r =>
        {
            _resolvingPartitions = false;
            Complete(_state.CompleteJoin(r.Counts, Now), ActorRefs.Nobody);
        });
        Receive<ProduceResponse>(OnWritten);
        Receive<PublishOffsets>(_ => PublishCommittedOffsets());
        Receive<WriteTimedOut>(t => t.WriteId == _writeId && _writing != null, _ =>
            Unload(ErrorCode.CoordinatorNotAvailable, $"a write to {_offsetsPartition} had no answer within {WriteTimeoutMs / 1000} s; retry"));
        Receive<WriteTimedOut>(_ => { });
        Receive<LeadershipStatus>(st => !st.Leads, _ =>
            Unload(ErrorCode.NotCoordinator, $"this broker no longer leads {_offsetsPartition}, which holds group '{_groupId}': find the coordinator again"));
        Receive<LeadershipStatus>(_ => { });
        Receive<RetryLoad>(_ => { });
        Receive<LoadTimedOut>(_ => { });
        Receive<StepOverdue>(_ => { });
        // Left over from loading: a read asked again whose earlier answer came after all.
        Receive<ReadAnswered>(_ => { });
        Receive<ReadAgain>(_ => { });
        Receive<Status.Failure>(f =>
        {
            // The controller did not answer with partition counts: try again at the next decision or tick.
            _resolvingPartitions = false;
            _log.Warning("[{0}] could not look up partition counts for the rebalance: {1}", _groupId, f.Cause.Message);
            Timers.StartSingleTimer(nameof(DeadlineReached), DeadlineReached.Instance, TimeSpan.FromMilliseconds(200));
        });
    }

    /// <summary>Queues events to be stored; <paramref name="onStored"/> runs once they are, in order with every other write.</summary>
    private void Write(IReadOnlyList<object> events, Action onStored, object? reply, IActorRef replyTo)
    {
        _queuedWrites.Add(new PendingWrite(events, onStored, reply, replyTo));
        SendWrites();
    }

    /// <summary>
    /// One write with acks=all in flight at a time (so answers cannot overtake one another); whatever queued meanwhile
    /// goes out in the next batch, so commit throughput is bounded by replication round trips, not by one per commit.
    /// </summary>
    private void SendWrites()
    {
        if (_writing != null || _queuedWrites.Count == 0) return;
        // Whatever queued meanwhile, up to a bound on the events merged (a commit of many partitions is one event).
        var take = 0;
        var events = 0;
        while (take < _queuedWrites.Count && (take == 0 || events < MaxEventsPerWrite)) events += _queuedWrites[take++].Events.Count;
        _writing = _queuedWrites.Take(take).ToArray();
        _queuedWrites.RemoveRange(0, take);
        foreach (var batch in Batches(Records(_writing.SelectMany(w => w.Events)))) _batchesToSend.Enqueue(batch);
        SendNextBatch();
    }

    private void SendNextBatch()
    {
        _offsetsLog.Tell(new ProduceRequest(OffsetsPartition, -1, WriteTimeoutMs, _batchesToSend.Dequeue()));
        Timers.StartSingleTimer(nameof(WriteTimedOut), new WriteTimedOut(++_writeId), TimeSpan.FromMilliseconds(WriteTimeoutMs + 5000));
    }

    private List<(byte[] Key, byte[]? Value)> Records(IEnumerable<object> events)
    {
        var records = new List<(byte[] Key, byte[]? Value)>();
        // A deletion tombstones the offsets committed before it, including those of commits earlier in this write.
        var committed = new HashSet<TopicPartition>(_state.CommittedPartitions);
        foreach (var e in events)
        {
            records.AddRange(GroupLogRecords.Encode(_groupId, e, committed.ToArray()));
            if (e is GroupOffsetsCommitted c) committed.UnionWith(c.Offsets.Select(o => o.TopicPartition));
            if (e is GroupOffsetsExpired x) committed.ExceptWith(x.Partitions);
            if (e is GroupDeleted) committed.Clear();
        }
        return records;
    }

    /// <summary>The records as batches of at most <see cref="MaxBatchBytes"/> each (the topic's max.message.bytes is ~1 MB).</summary>
    private static IEnumerable<byte[]> Batches(IReadOnlyList<(byte[] Key, byte[]? Value)> records)
    {
        var now = Now;
        var batch = new RecordBatchBuilder(CompressionType.None);
        foreach (var (key, value) in records)
        {
            if (batch.Count > 0 && batch.EstimatedSize + RecordBatchBuilder.EstimateRecordSize(key, value, null) > MaxBatchBytes)
            {
                yield return batch.Build();
                batch = new RecordBatchBuilder(CompressionType.None);
            }
            batch.Append(now, key, value);
        }
        if (batch.Count > 0) yield return batch.Build();
    }

    private void OnWritten(ProduceResponse r)
    {
        if (_writing == null) return;
        Timers.Cancel(nameof(WriteTimedOut));
        if (r.Error != ErrorCode.None)
        {
            // The state in memory is ahead of the log now: answer everyone and load again from what was stored.
            // Too large stays too large: say so (not retriable) rather than have members retry it for ever.
            var code = r.Error switch
            {
                ErrorCode.NotLeaderOrFollower or ErrorCode.FencedLeaderEpoch => ErrorCode.NotCoordinator,
                ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge => r.Error,
                _ => ErrorCode.CoordinatorNotAvailable,
            };
            _log.Warning("[{0}] a write to {1} failed ({2}: {3})", _groupId, _offsetsPartition, r.Error.KafkaName(), r.ErrorMessage);
            Unload(code, $"group '{_groupId}' could not store a change in {_offsetsPartition} ({r.Error.KafkaName()}); retry");
            return;
        }
        if (_batchesToSend.Count > 0)
        {
            SendNextBatch();
            return;
        }
        var done = _writing;
        _writing = null;
        foreach (var w in done) w.OnStored();
        // Copied for the lag metric once a second at most, not on every commit (the hot path).
        if (!Timers.IsTimerActive(nameof(PublishOffsets))) Timers.StartSingleTimer(nameof(PublishOffsets), PublishOffsets.Instance, TimeSpan.FromSeconds(1));
        SendWrites();
        PassivateWhenIdle();
    }

    /// <summary>The group's committed offsets, for the consumer lag this broker reports (<see cref="ConsumerLagReporter"/>).</summary>
    private void PublishCommittedOffsets() =>
        BrokerMetrics.SetCommittedOffsets(Context.System, _groupId, _state.Offsets.ToDictionary(kv => kv.Key, kv => kv.Value.Offset));

    /// <summary>Persists the outcome's events, then sends its replies; afterwards moves a ready rebalance on and re-arms the timer.</summary>
    private void Complete(GroupOutcome outcome, IActorRef replyTo)
    {
        if (outcome.Events.Count == 0)
        {
            Reply(outcome, replyTo);
        }
        else
        {
            Write(outcome.Events, () =>
            {
                foreach (var e in outcome.Events)
                {
                    // Membership changes were applied when decided (the state machine must move on at once); offset
                    // changes only count once replicated, so a fetch never returns a commit a failover could lose.
                    if (e is not GroupMetadataChanged) _state.Apply(e);
                    if (e is GroupMetadataChanged m)
                        _log.Info("[{0}] generation {1}: {2} member(s), strategy '{3}'", _groupId, m.GenerationId, m.Members.Count, m.Protocol);
                    if (e is GroupDeleted) _log.Info("[{0}] deleted", _groupId);
                }
                Reply(outcome, replyTo);
                UpdateDirectory();
            }, outcome.Reply, replyTo);
        }
        AnswerJoinsOfRemovedMembers();
        ReleaseHeldHeartbeats();
        if (_state.JoinReady(Now) && !_resolvingPartitions)
        {
            _resolvingPartitions = true;
            var topics = _state.SubscribedTopics().ToArray();
            _controller.Ask<MetadataResponse>(new MetadataRequest(topics, AllowAutoTopicCreation: false), TimeSpan.FromSeconds(10))
                .PipeTo(Self, success: m => new PartitionCountsResolved(m.Topics
                    .Where(t => t.Error == ErrorCode.None)
                    .ToDictionary(t => t.Name, t => t.Partitions.Count, StringComparer.Ordinal)));
        }
        UpdateDirectory();
        Reschedule();
        PassivateWhenIdle();
    }

    /// <summary>
    /// No members, no committed offsets, nothing being written or waited for: the coordinator holds nothing that is not in
    /// the log. Requests for invented group ids (an offset fetch, a describe) then leave no actor behind.
    /// </summary>
    private bool HoldsNothing => _state.Members.Count == 0 && _state.CommittedPartitions.Count == 0 && _writing == null && _queuedWrites.Count == 0
                                 && _waitingJoins.Count == 0 && _heldHeartbeats.Count == 0 && !_resolvingPartitions;

    /// <summary>A group that is asked about keeps its coordinator: only one left alone for group.idle.coordinator.ms goes.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        if (message is IGroupRequest && Timers.IsTimerActive(nameof(PassivateIfIdle)))
            Timers.StartSingleTimer(nameof(PassivateIfIdle), PassivateIfIdle.Instance, _idleLifetime);
        return base.AroundReceive(receive, message);
    }

    private void PassivateWhenIdle()
    {
        if (HoldsNothing && !Timers.IsTimerActive(nameof(PassivateIfIdle))) Timers.StartSingleTimer(nameof(PassivateIfIdle), PassivateIfIdle.Instance, _idleLifetime);
    }

    private void Reply(GroupOutcome outcome, IActorRef replyTo)
    {
        if (outcome.Reply != null && !replyTo.IsNobody()) replyTo.Tell(outcome.Reply);
        foreach (var (memberId, response) in outcome.JoinReplies)
            if (_waitingJoins.Remove(memberId, out var waiting)) waiting.Tell(response);
    }

    /// <summary>A member removed while its join waited (left, fenced) gets an answer instead of a timeout.</summary>
    private void AnswerJoinsOfRemovedMembers()
    {
        foreach (var id in _waitingJoins.Keys.Where(id => !_state.Members.ContainsKey(id)).ToArray())
        {
            _waitingJoins.Remove(id, out var waiting);
            waiting!.Tell(new JoinGroupResponse(ErrorCode.UnknownMemberId, $"Member '{id}' was removed from group '{_groupId}' before the rebalance completed.", -1, "", "", id));
        }
    }

    private void Hold(HeartbeatRequest r, IActorRef replyTo)
    {
        // A newer heartbeat from the same member (it timed out waiting, say) answers the older one now.
        if (_heldHeartbeats.Remove(r.MemberId, out var older)) older.Tell(new HeartbeatResponse(ErrorCode.None, null));
        _heldHeartbeats[r.MemberId] = replyTo;
        var hold = TimeSpan.FromMilliseconds(Math.Min(r.MaxWaitMs, _state.Members[r.MemberId].Record.SessionTimeoutMs / 2));
        Timers.StartSingleTimer("heartbeat-" + r.MemberId, new HeldHeartbeatDue(r.MemberId, replyTo), hold);
    }

    /// <summary>Once a rebalance starts (or the member is gone), held heartbeats are answered with what the state says now.</summary>
    private void ReleaseHeldHeartbeats()
    {
        if (_heldHeartbeats.Count == 0) return;
        foreach (var (memberId, replyTo) in _heldHeartbeats.ToArray())
        {
            HeartbeatResponse? answer = !_state.Members.ContainsKey(memberId)
                ? new HeartbeatResponse(ErrorCode.UnknownMemberId, $"Member '{memberId}' is no longer in group '{_groupId}'.")
                : _state.State == GroupStateName.PreparingRebalance
                    ? new HeartbeatResponse(ErrorCode.RebalanceInProgress, "The group is rebalancing; join again.")
                    : null;
            if (answer == null) continue;
            _heldHeartbeats.Remove(memberId);
            Timers.Cancel("heartbeat-" + memberId);
            replyTo.Tell(answer);
        }
    }

    /// <summary>Keeps this broker's group directory in step with whether the group exists.</summary>
    private void UpdateDirectory(bool always = false)
    {
        if (!always && _state.Exists == _registered) return;
        _registered = _state.Exists;
        _directory.Tell(new GroupExistenceChanged(_groupId, OffsetsPartition.Partition, _registered, _leaderEpoch));
    }

    private void Reschedule()
    {
        var now = Now;
        // A ready join phase is already being completed (partition counts are on their way), so no timer is needed.
        var next = _state.JoinReady(now) ? long.MaxValue : _state.NextDeadline(now);
        if (next == long.MaxValue)
        {
            Timers.Cancel(nameof(DeadlineReached));
            return;
        }
        // Capped so that a far deadline (offset retention) is re-evaluated now and then rather than trusted for days.
        var delay = TimeSpan.FromMilliseconds(Math.Clamp(next - now, 1, 3_600_000));
        Timers.StartSingleTimer(nameof(DeadlineReached), DeadlineReached.Instance, delay);
    }
}
