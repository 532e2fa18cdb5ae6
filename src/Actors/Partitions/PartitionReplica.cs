using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Role = AkkaBroker.Actors.Partitions.ReplicaLeadership.Role;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// Asks the replica whether it leads, and to be told once that changes (local only: the group coordinators of the
/// broker that leads a <c>__consumer_offsets</c> partition serve from memory, and must reload when leadership moves).
/// </summary>
public sealed record WatchLeadership(TopicPartition TopicPartition) : IPartitionRequest;

/// <summary>The answer to <see cref="WatchLeadership"/>, sent again (with <c>Leads</c> false) when the replica leaves that role.</summary>
public sealed record LeadershipStatus(TopicPartition TopicPartition, bool Leads, int LeaderEpoch);

/// <summary>
/// One partition's replica on this broker: a sharded persistent actor whose journal is the partition's log, one
/// <see cref="BatchAppended"/> event per batch. A thin shell: the rules live in pure parts it routes to and whose
/// <see cref="ReplicaEffect"/>s it performs (journal, reply, send, timers):
/// <list type="bullet">
/// <item><see cref="PartitionLog"/>: offsets, the index, producer state, truncation, retention and cleaning plans.</item>
/// <item><see cref="ReplicaLeadership"/>: which role the controller's <see cref="EnsurePartition"/> (Kafka's
/// LeaderAndIsr) gives, with the state diagram; what fences the replica is journaled first.</item>
/// <item><see cref="LeaderRole"/> while it leads: acks=all waiters, followers, ISR proposals, the high watermark.</item>
/// <item><see cref="FollowerRole"/> while it follows: epoch lookup, truncation, fetching, backoff.</item>
/// <item><see cref="FetchWaiters"/>: long-polling fetches parked until records arrive or their wait ends.</item>
/// </list>
/// Requests to a replica that does not lead are answered NOT_LEADER_OR_FOLLOWER, so clients refresh their metadata.
/// </summary>
public sealed class PartitionReplica : ReceivePersistentActor, IWithTimers
{
    public static Props Props(TopicPartition tp, BrokerSettings settings) =>
        Akka.Actor.Props.Create(() => new PartitionReplica(tp, settings));

    /// <summary>The persistence id of a partition's log; stable, journals are keyed by it.</summary>
    public static string PersistenceIdFor(TopicPartition tp) => $"partition-{tp.Topic}-{tp.Partition}";

    /// <summary>The leader checks its followers' lag and its waiting acks=all writes on this tick.</summary>
    private sealed record LeaderTick;

    /// <summary>Asks the controller for this replica's leadership when it has none (after a restart, or a lost command).</summary>
    private sealed record AskLeadership;

    /// <summary>The controller's answer to an ISR proposal made under <c>LeaderEpoch</c>, or why none came.</summary>
    private sealed record AlterPartitionResult(AlterPartitionResponse? Response, string? Failure, int LeaderEpoch, long ProposalId);

    /// <summary>Time to check retention, compaction and the log's metrics.</summary>
    private sealed record LogMaintenanceTick;

    /// <summary>Time to journal the high watermark if it moved.</summary>
    private sealed record HighWatermarkCheckpointTick;

    private readonly TopicPartition _tp;
    private readonly BrokerSettings _settings;
    private readonly ReplicationSettings _replicationSettings;
    private readonly int _brokerId;
    private readonly PartitionLog _log;
    private readonly ILoggingAdapter _logger = Context.GetLogger();
    private readonly LeaderReads _reads;
    private readonly LogMaintenance _maintenance;
    // Journal reads in flight, by id: a follower's truncation read or a client's read.
    private readonly Dictionary<long, object> _readsInFlight = new();
    private long _nextReadId;
    // Replies owed for batches still being written, oldest first (PersistAsync confirms, fails or rejects in order),
    // so a failed write can be answered.
    private readonly Queue<(IActorRef ReplyTo, short Acks)> _pendingAppends = new();

    // The role: at most one of the two is set; with neither the replica serves nothing (idle under _idleAssignment).
    private LeaderRole? _leader;
    private FollowerRole? _follower;
    private PartitionAssignment? _idleAssignment;
    private ReplicaLeadership.Fencing _fencing = ReplicaLeadership.Fencing.Initial;
    private long _followerSession;
    // Corruption: where this log stops being trustworthy (-1: nowhere), whether this leadership reported it, and the
    // journal event from which recovery left batches out because one did not continue the log (-1: none).
    private long _corruptFrom = -1;
    private bool _corruptionReported;
    private long _recoverySkipsFromSequenceNr = -1;
    /// <summary>Who asked to hear when this replica stops leading (<see cref="WatchLeadership"/>).</summary>
    private readonly HashSet<IActorRef> _leadershipWatchers = new();

    public PartitionReplica(TopicPartition tp, BrokerSettings settings)
    {
        _tp = tp;
        _settings = settings;
        _replicationSettings = settings.Replication;
        _brokerId = settings.BrokerId;
        _log = new PartitionLog(tp, settings);
        _reads = new LeaderReads(_log, settings.Partition.MaxJournalReadBytes, NotServing, () => _leader);
        _maintenance = new LogMaintenance(_log, settings.LogCleaner, settings.Partition.SnapshotIntervalEvents);
        PersistenceId = PersistenceIdFor(tp);

        Recover<SnapshotOffer>(o =>
        {
            var snapshot = (PartitionSnapshot)o.Snapshot;
            _log.Restore(snapshot, o.Metadata.SequenceNr);
            _fencing = new ReplicaLeadership.Fencing(snapshot.ControllerEpoch, snapshot.LeaderEpoch, snapshot.PartitionEpoch);
            _maintenance.SnapshotRecovered(o.Metadata.SequenceNr);
        });
        Recover<BatchAppended>(e =>
        {
            _maintenance.EventJournaled();
            // After a batch that did not continue the log, the rest cannot be placed either (the cut is journaled below).
            if (_recoverySkipsFromSequenceNr >= 0) return;
            if (_log.Recover(e.Batch, LastSequenceNr, NowMs()) is not { } problem) return;
            _logger.Error("[{0}] {1}: the log is trusted only below offset {2} and is repaired from the leader", _tp, problem.Message, problem.Offset);
            NoteCorruption(problem.Offset);
            if (!problem.Applied) _recoverySkipsFromSequenceNr = LastSequenceNr;
        });
        Recover<LogTruncated>(e =>
        {
            // A truncation past what recovery could place cut nothing of it; one below it ends the skipping.
            if (_recoverySkipsFromSequenceNr >= 0 && e.Offset > _log.LogEndOffset) return;
            _recoverySkipsFromSequenceNr = -1;
            _log.ApplyTruncation(e, LastSequenceNr);
            // Journaled after the corruption was found: the cut (or a follower's repair) already dealt with it.
            if (_corruptFrom >= e.Offset) _corruptFrom = -1;
            _maintenance.HighWatermarkLowered();
        });
        Recover<PartitionConfigured>(e => _log.ApplyConfig(e.Config, LastSequenceNr));
        Recover<PartitionDeleted>(_ =>
        {
            _log.ApplyDeleted(LastSequenceNr);
            _fencing = AfterDeletion(_fencing);
            ForgetCorruption();
        });
        Recover<LeadershipAccepted>(e =>
        {
            _fencing = ReplicaLeadership.Fencing.Of(e);
            _log.NoteEvent(LastSequenceNr);
        });
        Recover<HighWatermarkCheckpointed>(e =>
        {
            _log.RestoreHighWatermark(e.Offset, LastSequenceNr);
            _maintenance.HighWatermarkCheckpointed(e.Offset);
        });
        Recover<LogStartAdvanced>(e =>
        {
            if (_recoverySkipsFromSequenceNr >= 0 && e.Offset > _log.LogEndOffset) return;
            _log.ApplyLogStart(e, LastSequenceNr);
            // Events below the new start may still be in the journal (no snapshot held it yet): take one soon.
            _maintenance.LogStartMoved(LastSequenceNr);
        });
        Recover<LogCleaned>(e =>
        {
            _log.ApplyCleaned(e, LastSequenceNr);
            _maintenance.EventJournaled();
        });
        Recover<LogReset>(e =>
        {
            ForgetCorruption();
            _log.ApplyReset(e, LastSequenceNr);
            _maintenance.LogStartMoved(LastSequenceNr);
            _maintenance.HighWatermarkLowered();
        });
        Recover<RecoveryCompleted>(_ =>
        {
            if (_recoverySkipsFromSequenceNr >= 0)
            {
                // Journal the cut, so every later read and recovery skips the batches left out; no command runs before it.
                // Reported now, whatever role comes next: the controller takes this replica out of the ISR before it can
                // be elected with records missing that it may have acknowledged.
                _corruptionReported = false;
                ReportCorruption();
                Persist(new LogTruncated(_log.LogEndOffset, _log.LogBytes, _recoverySkipsFromSequenceNr), e =>
                {
                    _log.ApplyTruncation(e, LastSequenceNr);
                    _recoverySkipsFromSequenceNr = -1;
                    // As a replay of this cut would: the log is consistent again below it, and is refilled by fetching.
                    _corruptFrom = -1;
                    _maintenance.HighWatermarkLowered();
                    BrokerMetrics.LogTruncations.Add(1);
                });
            }
            else ReportCorruption();
            if (_log.Exists)
            {
                // A replica that restarted (a journal failure, a crash of its actor) lost the role the controller gave it.
                Timers.StartPeriodicTimer(nameof(AskLeadership), new AskLeadership(), TimeSpan.FromSeconds(10));
                Self.Tell(new AskLeadership());
                BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
                StartLogMaintenance();
            }
            _logger.Info($"[{_tp}] recovered: log {_log.LogStartOffset}..{_log.DurableEnd}, high watermark {_log.HighWatermark}, {_log.LogBytes} bytes; " +
                         $"fenced at controller epoch {_fencing.ControllerEpoch}, leader epoch {_fencing.LeaderEpoch}");
        });

        Command<ProduceRequest>(HandleProduce);
        Command<FetchRequest>(r => Run(fx => _reads.Fetch(r, Sender, Stopwatch.GetTimestamp(), fx)));
        Command<WatchLeadership>(_ =>
        {
            var leads = _leader != null;
            Sender.Tell(new LeadershipStatus(_tp, leads, LeaderEpoch));
            if (leads && _leadershipWatchers.Add(Sender)) Context.Watch(Sender);
        });
        Command<Terminated>(t =>
        {
            if (_leadershipWatchers.Remove(t.ActorRef)) return;
            Run(fx => _follower?.LeaderReplicaStopped(t.ActorRef, fx));
        });
        Command<ReplicaFetchRequest>(r => Run(fx => _reads.ReplicaFetch(r, Sender, Stopwatch.GetTimestamp(), NowMs(), fx)));
        Command<OffsetForLeaderEpochRequest>(r => Run(fx => _reads.OffsetForLeaderEpoch(r, Sender, fx)));
        Command<ListOffsetsRequest>(r => Run(fx => _reads.ListOffsets(r, Sender, fx)));
        Command<JournalRangeReader.RangeRead>(HandleRangeRead);
        Command<LeaderReads.FetchDeadline>(d => Run(fx => _reads.DeadlineElapsed(d, fx)));
        Command<EnsurePartition>(HandleEnsure);
        Command<DeletePartition>(HandleDelete);
        Command<LeaderTick>(_ => Run(fx => _leader?.Tick(NowMs(), fx)));
        Command<AskLeadership>(_ =>
        {
            if (_leader == null && _follower == null && _log.Exists)
                Context.ActorSelection("/user/" + Gateway.BrokerGateway.Name).Tell(new PartitionLeadershipRequest(_tp, _brokerId));
        });
        Command<AlterPartitionResult>(r =>
        {
            if (_leader != null && r.LeaderEpoch == _leader.LeaderEpoch) Run(fx => _leader.ProposalAnswered(r.ProposalId, r.Response, r.Failure, fx));
        });
        Command<LogMaintenanceTick>(_ => Run(fx => _maintenance.Tick(NowMs(), LastSequenceNr, fx)));
        Command<HighWatermarkCheckpointTick>(_ => Run(_maintenance.CheckpointDue));
        Command<LogCleaner.Cleaned>(c => Run(fx => _maintenance.Cleaned(c, fx)));
        Command<LogCleaner.CleaningFailed>(f => _maintenance.CleaningFailed(f, NowMs()));
        Command<DescribeLogRequest>(HandleDescribeLog);
        Command<OffsetForLeaderEpochResponse>(r => Run(fx => _follower?.EpochAnswered(r, Sender, fx)));
        Command<ReplicaFetchResponse>(r => Run(fx => _follower?.FetchAnswered(r, Sender, NowMs(), fx)));
        Command<FollowerRole.RetryDue>(r => Run(fx => _follower?.RetryDueElapsed(r, fx)));
        Command<FollowerRole.AnswerOverdue>(o => Run(fx => _follower?.AnswerOverdueElapsed(o, fx)));
        Command<SaveSnapshotSuccess>(m => Run(fx => _maintenance.SnapshotSaved(m.Metadata.SequenceNr, fx)));
        Command<SaveSnapshotFailure>(f =>
        {
            _maintenance.SnapshotFailed();
            _logger.Warning("[{0}] snapshot at event {1} failed: {2}", _tp, f.Metadata.SequenceNr, f.Cause.Message);
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _logger.Warning("[{0}] deleting old snapshots failed: {1}", _tp, f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f =>
        {
            _logger.Error(f.Cause, "[{0}] deleting journal events up to {1} failed (the space is reclaimed after the next retention)", _tp, f.ToSequenceNr);
            _maintenance.JournalDeletionFailed(f.ToSequenceNr);
        });
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private PartitionAssignment? Assignment => _leader?.Assignment ?? _follower?.Assignment ?? _idleAssignment;

    private Role CurrentRole => _leader != null ? Role.Leader : _follower != null ? Role.Follower : Role.None;

    private int LeaderEpoch => Assignment?.LeaderEpoch ?? -1;

    /// <summary>A deleted topic's name may be created again, from leader epoch 0; controller epochs still only grow.</summary>
    private static ReplicaLeadership.Fencing AfterDeletion(ReplicaLeadership.Fencing f) => ReplicaLeadership.Fencing.Initial with { ControllerEpoch = f.ControllerEpoch };

    /// <summary>Why this replica does not serve clients, or null when it leads.</summary>
    private (ErrorCode Code, string Message)? NotServing()
    {
        if (!_log.Exists) return (ErrorCode.UnknownTopicOrPartition, $"{_tp} does not exist on this broker");
        if (_leader != null) return null;
        return _follower != null
            ? (ErrorCode.NotLeaderOrFollower, $"broker {_brokerId} is a follower of {_tp}; broker {_follower.Assignment.Leader} leads it: refresh metadata")
            : (ErrorCode.NotLeaderOrFollower, $"broker {_brokerId} does not lead {_tp} (no leadership received from the controller yet): refresh metadata and retry");
    }

    // ---------------------------------------------------------------- effects

    /// <summary>Asks a role to decide, then performs what it decided.</summary>
    private void Run(Action<ReplicaEffects> decide)
    {
        var fx = new ReplicaEffects();
        decide(fx);
        Perform(fx);
    }

    private void Perform(ReplicaEffects fx)
    {
        foreach (var effect in fx.All)
        {
            switch (effect)
            {
                case ReplicaEffect.Reply r:
                    r.To.Tell(r.Message);
                    break;
                case ReplicaEffect.AskController { Message: AlterPartitionRequest request } a:
                    Context.ActorSelection("/user/" + Gateway.BrokerGateway.Name).Ask<AlterPartitionResponse>(request, a.Timeout)
                        .ContinueWith(t => t.IsCompletedSuccessfully
                            ? new AlterPartitionResult(t.Result, null, request.LeaderEpoch, a.Id)
                            : new AlterPartitionResult(null, t.Exception?.GetBaseException().Message ?? "cancelled", request.LeaderEpoch, a.Id))
                        .PipeTo(Self);
                    break;
                case ReplicaEffect.SendToLeader s when s.Replica != null:
                    s.Replica.Tell(s.Message);
                    break;
                case ReplicaEffect.SendToLeader s:
                    Context.ActorSelection(Gateway.BrokerGateway.GatewayPath(Context.System, s.Leader.Host, s.Leader.Port)).Tell(s.Message);
                    break;
                case ReplicaEffect.WatchLeader w:
                    Context.Watch(w.Replica);
                    break;
                case ReplicaEffect.StartTimer t:
                    Timers.StartSingleTimer(t.Key, t.Message, t.Delay);
                    break;
                case ReplicaEffect.CancelTimer c:
                    Timers.Cancel(c.Key);
                    break;
                case ReplicaEffect.Persist p:
                    PersistEvents(p.Events, p.Async);
                    break;
                case ReplicaEffect.SaveSnapshot:
                    SaveSnapshot(_log.ToSnapshot(NowMs(), _settings.ProducerIdExpirationMs) with
                    {
                        ControllerEpoch = _fencing.ControllerEpoch, LeaderEpoch = _fencing.LeaderEpoch, PartitionEpoch = _fencing.PartitionEpoch,
                    });
                    break;
                case ReplicaEffect.DeleteSnapshotsUpTo d:
                    DeleteSnapshots(d.SequenceNr == long.MaxValue ? SnapshotSelectionCriteria.Latest : new SnapshotSelectionCriteria(d.SequenceNr));
                    break;
                case ReplicaEffect.DeleteJournalUpTo d:
                    DeleteMessages(d.SequenceNr);
                    break;
                case ReplicaEffect.TellCleaner c:
                    Context.ActorSelection("/user/" + LogCleaner.Name).Tell(c.Message);
                    break;
                case ReplicaEffect.ReadJournal r:
                    StartRead(r.From, r.To, r.Purpose);
                    break;
                case ReplicaEffect.LogCorrupt c:
                    NoteCorruption(c.Offset);
                    ReportCorruption();
                    break;
                case ReplicaEffect.HighWatermarkMoved:
                    WakeParkedFetches();
                    break;
                case ReplicaEffect.Log l:
                    _logger.Log(l.Level, $"[{_tp}] {l.Message}");
                    break;
                default:
                    throw new InvalidOperationException($"{_tp}: no way to perform {effect}");
            }
        }
    }

    /// <summary>
    /// Journals what a part decided (a follower's truncation, reset or fetched batches; retention, cleaning, a
    /// checkpoint), applies each event to the log once written, and tells the part that asked.
    /// </summary>
    private void PersistEvents(IReadOnlyList<object> events, bool async)
    {
        var follower = _follower;
        if (events.Any(e => e is LogTruncated or LogReset)) _maintenance.AbandonCleaning();
        var last = events[^1];
        var logEndBefore = _log.LogEndOffset;
        void Applied(object e)
        {
            var fx = new ReplicaEffects();
            _maintenance.EventJournaled();
            switch (e)
            {
                case BatchAppended b:
                    _log.OnPersisted(b.Batch, LastSequenceNr);
                    break;
                case LogTruncated t:
                    _log.ApplyTruncation(t, LastSequenceNr);
                    if (_corruptFrom >= t.Offset) _corruptFrom = -1;
                    _maintenance.HighWatermarkLowered();
                    BrokerMetrics.LogTruncations.Add(1);
                    fx.Warning($"truncated the log from offset {logEndBefore} back to {t.Offset}: the leader does not have those records");
                    break;
                case LogReset r:
                    _corruptFrom = -1;
                    _log.ApplyReset(r, LastSequenceNr);
                    _maintenance.HighWatermarkLowered();
                    _maintenance.LogStartMoved(LastSequenceNr);
                    _maintenance.PublishExtent(NowMs());
                    break;
                case LogStartAdvanced start:
                    var (previousStart, segments) = (_log.LogStartOffset, _log.Segments.Count(x => x.BaseOffset < start.Offset));
                    _log.ApplyLogStart(start, LastSequenceNr);
                    _maintenance.RetentionApplied(start, LastSequenceNr, previousStart, segments, NowMs(), fx);
                    // Long polls parked below the new start are answered now (with OFFSET_OUT_OF_RANGE).
                    fx.Add(new ReplicaEffect.HighWatermarkMoved());
                    break;
                case LogCleaned cleaned:
                    _log.ApplyCleaned(cleaned, LastSequenceNr);
                    _maintenance.CleaningApplied(NowMs());
                    break;
                case HighWatermarkCheckpointed checkpoint:
                    _log.NoteEvent(LastSequenceNr);
                    _maintenance.HighWatermarkCheckpointed(checkpoint.Offset);
                    break;
                default:
                    throw new InvalidOperationException($"{_tp}: no way to apply {e.GetType().Name}");
            }
            if (ReferenceEquals(e, last))
            {
                BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
                _maintenance.MaybeSnapshot(LastSequenceNr, fx);
                // Leadership moved while the events were being written: the new role starts from the log as it now is.
                if (follower != null && _follower == follower && e is BatchAppended) follower.Appended(fx);
                else if (follower != null && _follower == follower && e is LogTruncated or LogReset) follower.Truncated(fx);
            }
            Perform(fx);
        }
        if (async) PersistAllAsync(events, Applied);
        else PersistAll(events, Applied);
    }

    // ---------------------------------------------------------------- produce (leader)

    private void HandleProduce(ProduceRequest request)
    {
        var started = Stopwatch.GetTimestamp();
        var replyTo = Sender;
        ProduceResponse Refuse(ErrorCode code, string message)
        {
            BrokerMetrics.FailedRequests.Add(1, new("api", "produce"), new("error", code.KafkaName()));
            return new ProduceResponse(_tp, code, message, -1, -1, _log.LogStartOffset);
        }

        if (NotServing() is { } notServing)
        {
            if (request.Acks != 0) replyTo.Tell(Refuse(notServing.Code, notServing.Message));
            return;
        }
        var leader = _leader!;
        if (request.Acks == -1 && _log.Config is { } config && leader.CheckBeforeAppend(config.MinInsyncReplicas) is not ErrorCode.None and var tooFew)
        {
            replyTo.Tell(Refuse(tooFew, $"{_tp} has {leader.Isr.Count} in-sync replicas ({string.Join(",", leader.Isr)}), " +
                                        $"fewer than min.insync.replicas {config.MinInsyncReplicas}: the acks=all write was refused; retry once followers catch up"));
            return;
        }
        switch (_log.PrepareAppend(request.Batch, request.Acks, NowMs(), leader.LeaderEpoch))
        {
            case PartitionLog.AppendDecision.Rejected r:
                if (request.Acks != 0) replyTo.Tell(Refuse(r.Error, r.Message));
                break;
            case PartitionLog.AppendDecision.Duplicate d:
                var reply = new ProduceResponse(_tp, ErrorCode.None, null, d.BaseOffset, d.LogAppendTime, _log.LogStartOffset);
                // A retry is answered as its original would be: once written (acks=1), once replicated (acks=all).
                if (request.Acks == -1) Run(fx => leader.AwaitReplication(d.EndOffset, replyTo, reply, NowMs() + Math.Max(1, request.TimeoutMs), fx));
                else if (d.EndOffset <= _log.DurableEnd) replyTo.Tell(reply);
                else DeferAsync(reply, m => replyTo.Tell(m));
                break;
            case PartitionLog.AppendDecision.Accepted a:
                _pendingAppends.Enqueue((replyTo, request.Acks));
                PersistAsync(new BatchAppended(a.Batch), e => OnAppendPersisted(e, a, request, replyTo, started));
                break;
        }
    }

    private void OnAppendPersisted(BatchAppended e, PartitionLog.AppendDecision.Accepted a, ProduceRequest request, IActorRef replyTo, long started)
    {
        _pendingAppends.Dequeue();
        // In a persist handler LastSequenceNr is this event's sequence number.
        _log.OnPersisted(e.Batch, LastSequenceNr);
        BrokerMetrics.BytesIn.Add(e.Batch.Length);
        BrokerMetrics.RecordsIn.Add(a.RecordCount);
        BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
        var reply = new ProduceResponse(_tp, ErrorCode.None, null, a.BaseOffset, a.LogAppendTime, _log.LogStartOffset);
        var fx = new ReplicaEffects();
        if (request.Acks == 1) replyTo.Tell(reply);
        else if (request.Acks == -1)
        {
            if (_leader != null) _leader.AwaitReplication(RecordBatch.Wrap(e.Batch).NextOffset, replyTo, reply, NowMs() + Math.Max(1, request.TimeoutMs), fx);
            // Leadership moved while the batch was being written: it may be truncated, so it is not acknowledged.
            else replyTo.Tell(reply with { Error = ErrorCode.NotLeaderOrFollower, ErrorMessage = $"broker {_brokerId} stopped leading {_tp} before the write was replicated; retry", BaseOffset = -1 });
        }
        BrokerMetrics.RequestLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("api", "produce"));
        _maintenance.EventJournaled();
        _leader?.Appended(fx);
        _maintenance.MaybeSnapshot(LastSequenceNr, fx);
        Perform(fx);
        WakeParkedFetches();
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // The journal could not write: nothing from this write on was acknowledged. Tell every waiting producer now
        // (KAFKA_STORAGE_ERROR is retriable) instead of letting them time out; the actor then stops and recovers from
        // the journal on its next message, so offsets assigned to unwritten batches are reused.
        foreach (var (replyTo, acks) in _pendingAppends)
            if (acks != 0)
                replyTo.Tell(new ProduceResponse(_tp, ErrorCode.KafkaStorageError,
                    $"{_tp}: the journal failed to write the batch ({cause.Message}); it was not appended, retry", -1, -1, _log.LogStartOffset));
        _pendingAppends.Clear();
        Run(fx => _leader?.Resign(ErrorCode.KafkaStorageError, $"{_tp}: the journal failed ({cause.Message}); the replica restarts, retry", fx));
        _logger.Error(cause, "[{0}] journal write of event {1} failed; restarting the replica from its journal", _tp, sequenceNr);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        if (@event is BatchAppended && _pendingAppends.TryDequeue(out var pending) && pending.Acks != 0)
            pending.ReplyTo.Tell(new ProduceResponse(_tp, ErrorCode.KafkaStorageError,
                $"{_tp}: the journal rejected the batch ({cause.Message}); it was not appended, retry", -1, -1, _log.LogStartOffset));
        base.OnPersistRejected(cause, @event, sequenceNr);
        // Offsets and producer sequences were already assigned to the rejected batch: the in-memory state no longer
        // matches the journal. Stop and recover from the journal on the next message (writes still in flight are
        // either in the journal then, or their producers retry).
        if (@event is BatchAppended)
        {
            Run(fx => _leader?.Resign(ErrorCode.KafkaStorageError, $"{_tp}: the journal rejected a batch; the replica restarts, retry", fx));
            Context.Stop(Self);
        }
    }

    // ---------------------------------------------------------------- reads

    private void StartRead(long from, long to, object purpose)
    {
        var id = ++_nextReadId;
        _readsInFlight[id] = purpose;
        Context.ActorOf(JournalRangeReader.Props(Journal, PersistenceId, from, to, id));
    }

    private void HandleRangeRead(JournalRangeReader.RangeRead read)
    {
        if (!_readsInFlight.Remove(read.CorrelationId, out var purpose)) return;
        if (purpose is FollowerRole.TruncationRead t) Run(fx => _follower?.TruncationEventsRead(t, read.Events, read.Error, fx));
        else Run(fx => _reads.JournalRead((LeaderReads.PendingRead)purpose, read.Events, read.Error, fx));
    }

    private void WakeParkedFetches()
    {
        // Called after every append: no effect list for the common case of nothing waiting.
        if (_reads.ParkedFetches > 0) Run(_reads.WakeParked);
    }

    // ---------------------------------------------------------------- leadership

    private void HandleEnsure(EnsurePartition command)
    {
        var replyTo = Sender;
        if (command.ControllerEpoch < _fencing.ControllerEpoch)
        {
            // A controller that has been replaced: its view of config and leadership is stale.
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            return;
        }
        if (_log.Exists && _log.ConfigMap != null && SameConfig(_log.ConfigMap, command.Config))
        {
            ApplyLeadership(command, replyTo);
            return;
        }
        Persist(new PartitionConfigured(command.Config), e =>
        {
            var created = !_log.Exists;
            _log.ApplyConfig(e.Config, LastSequenceNr);
            if (created) BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
            if (created) StartLogMaintenance();
            _logger.Info("[{0}] {1}", _tp, created ? "created" : "config updated");
            ApplyLeadership(command, replyTo);
        });
    }

    /// <summary>Takes up what the controller said, once what fences the replica is journaled, then acknowledges.</summary>
    private void ApplyLeadership(EnsurePartition command, IActorRef replyTo)
    {
        var decision = ReplicaLeadership.Decide(_brokerId, (CurrentRole, Assignment), _fencing, _log.LatestEpoch, command);
        if (decision is ReplicaLeadership.Decision.Stale)
        {
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            return;
        }
        if (decision is ReplicaLeadership.Decision.Refused refused)
        {
            _logger.Error("[{0}] refused the controller's leadership: {1}", _tp, refused.Why);
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.FencedLeaderEpoch, $"{_tp} on broker {_brokerId}: {refused.Why}"));
            return;
        }
        void TakeUp()
        {
            switch (decision)
            {
                case ReplicaLeadership.Decision.Updated u when _leader != null:
                    Run(fx => _leader.AssignmentUpdated(u.Next, fx));
                    break;
                case ReplicaLeadership.Decision.Updated u:
                    _follower?.AssignmentUpdated(u.Next, command.Leader);
                    break;
                case ReplicaLeadership.Decision.Become b:
                    TakeRole(b, command.Leader);
                    break;
            }
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
        }
        if (ReplicaLeadership.ToRecord(_fencing, command.ControllerEpoch, command.Assignment) is not { } record)
        {
            TakeUp();
            return;
        }
        Persist(record, e =>
        {
            _fencing = ReplicaLeadership.Fencing.Of(e);
            _log.NoteEvent(LastSequenceNr);
            _maintenance.EventJournaled();
            TakeUp();
        });
    }

    /// <summary>The one place the role changes (<see cref="ReplicaLeadership.CheckTransition"/> refuses illegal moves).</summary>
    private void TakeRole(ReplicaLeadership.Decision.Become become, BrokerInfo? leaderEndpoint)
    {
        ReplicaLeadership.CheckTransition((CurrentRole, Assignment), become.Role, become.Next);
        LeaveRole();
        var a = become.Next;
        switch (become.Role)
        {
            case Role.Leader:
                _log.AssignEpoch(a.LeaderEpoch, _log.LogEndOffset);
                _leader = new LeaderRole(_brokerId, a, _log, _replicationSettings.ReplicaLagTimeMaxMs, _settings.ControllerQuorumTimeout + TimeSpan.FromSeconds(2), NowMs());
                Run(_leader.Appended);
                if (a.Replicas.Count > 1)
                    Timers.StartPeriodicTimer(nameof(LeaderTick), new LeaderTick(), TimeSpan.FromMilliseconds(Math.Clamp(_replicationSettings.ReplicaLagTimeMaxMs / 2, 10, 500)));
                _logger.Info("[{0}] leads at epoch {1} (replicas {2}, in sync {3}); log end {4}, high watermark {5}", _tp, a.LeaderEpoch,
                    string.Join(",", a.Replicas), string.Join(",", a.Isr), _log.LogEndOffset, _log.HighWatermark);
                ReportCorruption();
                break;
            case Role.Follower:
                _follower = new FollowerRole(_brokerId, a, leaderEndpoint!, _log, _replicationSettings, ++_followerSession, repairFrom: _corruptFrom);
                _logger.Info("[{0}] follows broker {1} at epoch {2}; log end {3}", _tp, a.Leader, a.LeaderEpoch, _log.LogEndOffset);
                Run(_follower.Start);
                break;
            default:
                _idleAssignment = a;
                _logger.Info("[{0}] neither leads nor follows: {1}", _tp, become.Why);
                break;
        }
    }

    /// <summary>A replica that stops or restarts has no role any more: its watchers must not go on trusting it.</summary>
    protected override void PostStop()
    {
        foreach (var watcher in _leadershipWatchers) watcher.Tell(new LeadershipStatus(_tp, false, LeaderEpoch));
        _leadershipWatchers.Clear();
        base.PostStop();
    }

    private void LeaveRole()
    {
        foreach (var watcher in _leadershipWatchers)
        {
            Context.Unwatch(watcher);
            watcher.Tell(new LeadershipStatus(_tp, false, LeaderEpoch));
        }
        _leadershipWatchers.Clear();
        Timers.Cancel(nameof(LeaderTick));
        var fx = new ReplicaEffects();
        _reads.FailParked(ErrorCode.NotLeaderOrFollower, $"broker {_brokerId} no longer leads {_tp}: refresh metadata", fx);
        _leader?.Resign(ErrorCode.NotLeaderOrFollower, $"broker {_brokerId} stopped leading {_tp} before the write was replicated; retry", fx);
        if (_follower is { } follower)
        {
            follower.Stop(fx);
            if (follower.LeaderReplica != null) Context.Unwatch(follower.LeaderReplica);
        }
        Perform(fx);
        _leader = null;
        _follower = null;
        _idleAssignment = null;
        _corruptionReported = false;
    }

    private void NoteCorruption(long offset) => _corruptFrom = _corruptFrom < 0 ? offset : Math.Min(_corruptFrom, offset);

    /// <summary>The log that held the corruption is gone (deleted, or reset to the leader's log start).</summary>
    private void ForgetCorruption()
    {
        _corruptFrom = -1;
        _recoverySkipsFromSequenceNr = -1;
        _corruptionReported = false;
    }

    /// <summary>
    /// Tells the controller, once per recovery and once per role, that this log is corrupt: it takes the replica out of
    /// the ISR and, if it leads and another in-sync replica is live, moves leadership there; as a follower the replica
    /// then cuts its log back and fetches the rest again.
    /// </summary>
    private void ReportCorruption()
    {
        if (_corruptFrom < 0 || _corruptionReported) return;
        _corruptionReported = true;
        BrokerMetrics.CorruptLogs.Add(1);
        _logger.Error("[{0}] the log is corrupt from offset {1}: asking the controller to take this replica out of the in-sync replicas", _tp, _corruptFrom);
        Context.ActorSelection("/user/" + Gateway.BrokerGateway.Name).Tell(new ReplicaLogCorrupted(_tp, _brokerId, _corruptFrom));
    }

    // ---------------------------------------------------------------- housekeeping

    private void StartLogMaintenance()
    {
        Timers.StartPeriodicTimer(nameof(LogMaintenanceTick), new LogMaintenanceTick(), _maintenance.TickInterval);
        Timers.StartPeriodicTimer(nameof(HighWatermarkCheckpointTick), new HighWatermarkCheckpointTick(),
            TimeSpan.FromMilliseconds(_replicationSettings.ReplicaHighWatermarkCheckpointIntervalMs));
        _maintenance.Started(NowMs());
    }

    private void HandleDescribeLog(DescribeLogRequest request)
    {
        if (NotServing() is { } notServing)
        {
            Sender.Tell(new DescribeLogResponse(_tp, notServing.Code, notServing.Message, -1, -1, -1, -1, 0, -1, -1, 0));
            return;
        }
        Sender.Tell(new DescribeLogResponse(_tp, ErrorCode.None, null, _log.LogStartOffset, _log.DurableEnd, _log.HighWatermark, _log.SizeBytes,
            _log.Segments.Count, _log.Segments.Count == 0 ? _log.DurableEnd : _log.Segments[^1].BaseOffset, _log.CleanedUpTo, _log.DirtyRatio(NowMs())));
    }


    // ---------------------------------------------------------------- delete

    private void HandleDelete(DeletePartition command)
    {
        var replyTo = Sender;
        if (!_log.Exists)
        {
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            return;
        }
        _maintenance.LogDeleted();
        Persist(new PartitionDeleted(), _ =>
        {
            _log.ApplyDeleted(LastSequenceNr);
            Run(fx => _reads.FailParked(ErrorCode.UnknownTopicOrPartition, $"{_tp} was deleted", fx));
            LeaveRole();
            _fencing = AfterDeletion(_fencing);
            ForgetCorruption();
            BrokerMetrics.RemovePartition(_tp);
            // The log is gone for good: the journal keeps only the highest sequence number, so a topic created later
            // with the same name starts from an empty log.
            DeleteMessages(LastSequenceNr);
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
            _logger.Info("[{0}] deleted", _tp);
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
        });
    }

    private static bool SameConfig(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
