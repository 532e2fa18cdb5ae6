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

    /// <summary>Time for a replica without a log to go away, unless the controller created its log meanwhile.</summary>
    private sealed record PassivateIfEmpty;

    /// <summary>
    /// Sharding's answer to the replica's passivation: a command, so that it waits while a persist (a command that arrived
    /// meanwhile) completes, which a PoisonPill would cut off.
    /// </summary>
    private sealed record StopPassivated;

    /// <summary>
    /// How long a replica without a log stays. A request for a partition that does not exist (or a deleted one) starts its
    /// entity only to answer UNKNOWN_TOPIC_OR_PARTITION: no client can leave an actor behind per invented name.
    /// </summary>
    private static readonly TimeSpan EmptyReplicaLifetime = TimeSpan.FromSeconds(5);

    private readonly TopicPartition _tp;
    private readonly BrokerSettings _settings;
    private readonly ReplicationSettings _replicationSettings;
    private readonly int _brokerId;
    private readonly PartitionLog _log;
    private readonly ILoggingAdapter _logger = Context.GetLogger();
    private readonly ReplicaJournal _journal;
    private readonly LeaderWrites _writes;
    private readonly LeaderReads _reads;
    private readonly LogMaintenance _maintenance;
    // Journal reads in flight, by id: a follower's truncation read or a client's read.
    private readonly Dictionary<long, object> _readsInFlight = new();
    /// <summary>Journal reads waiting for one in flight to finish (at most max-concurrent-journal-reads run at once).</summary>
    private readonly Queue<ReplicaEffect.ReadJournal> _queuedReads = new();
    private long _nextReadId;

    // The role: at most one of the two is set; with neither the replica serves nothing (idle under _idleAssignment).
    private LeaderRole? _leader;
    private FollowerRole? _follower;
    private PartitionAssignment? _idleAssignment;
    private long _followerSession;
    /// <summary>Who asked to hear when this replica stops leading (<see cref="WatchLeadership"/>).</summary>
    private readonly HashSet<IActorRef> _leadershipWatchers = new();

    public PartitionReplica(TopicPartition tp, BrokerSettings settings)
    {
        _tp = tp;
        _settings = settings;
        _replicationSettings = settings.Replication;
        _brokerId = settings.BrokerId;
        _log = new PartitionLog(tp, settings);
        _maintenance = new LogMaintenance(_log, settings.LogCleaner, settings.Partition.SnapshotIntervalEvents);
        _journal = new ReplicaJournal(_log, _maintenance, _brokerId);
        _writes = new LeaderWrites(_log, _journal, _maintenance, _brokerId, NotServing, () => _leader);
        _reads = new LeaderReads(_log, settings.Partition.MaxJournalReadBytes, NotServing, () => _leader, settings.Partition.MaxFetchWait, settings.Partition.MaxParkedFetches);
        PersistenceId = PersistenceIdFor(tp);

        Recover<SnapshotOffer>(o => _journal.SnapshotOffered((PartitionSnapshot)o.Snapshot, o.Metadata.SequenceNr));
        Recover<RecoveryCompleted>(_ => OnRecoveryCompleted());
        Recover<object>(e => Run(fx => _journal.Apply(e, LastSequenceNr, NowMs(), replaying: true, fx)));

        Command<ProduceRequest>(r => Run(fx => _writes.Produce(r, Sender, Stopwatch.GetTimestamp(), NowMs(), fx)));
        Command<FetchRequest>(r => Run(fx => _reads.Fetch(r, Sender, Stopwatch.GetTimestamp(), fx)));
        Command<DeleteRecordsRequest>(r => Run(fx => _writes.DeleteRecords(r, Sender, fx)));
        Command<ReplicaFetchRequest>(r => Run(fx => _reads.ReplicaFetch(r, Sender, Stopwatch.GetTimestamp(), NowMs(), fx)));
        Command<OffsetForLeaderEpochRequest>(r => Run(fx => _reads.OffsetForLeaderEpoch(r, Sender, fx)));
        Command<ListOffsetsRequest>(r => Run(fx => _reads.ListOffsets(r, Sender, fx)));
        Command<DescribeLogRequest>(_ => Run(fx => _reads.DescribeLog(Sender, NowMs(), fx)));
        Command<DescribeReplicaLogRequest>(_ => Run(fx => _reads.DescribeReplicaLog(Sender, NowMs(), fx)));
        Command<JournalRangeReader.RangeRead>(HandleRangeRead);
        Command<LeaderReads.FetchDeadline>(d => Run(fx => _reads.DeadlineElapsed(d, fx)));
        Command<ReadAhead.Unused>(_reads.ReadAheadUnused);
        Command<WatchLeadership>(_ =>
        {
            var leads = _leader != null;
            Sender.Tell(new LeadershipStatus(_tp, leads, LeaderEpoch));
            if (leads && _leadershipWatchers.Add(Sender)) Context.Watch(Sender);
        });
        Command<Terminated>(t =>
        {
            if (!_leadershipWatchers.Remove(t.ActorRef)) Run(fx => _follower?.LeaderReplicaStopped(t.ActorRef, fx));
        });
        Command<EnsurePartition>(HandleEnsure);
        Command<DeletePartition>(HandleDelete);
        Command<LeaderTick>(_ => Run(fx => _leader?.Tick(NowMs(), fx)));
        Command<AskLeadership>(_ =>
        {
            if (_leader == null && _follower == null && _log.Exists) TellController(new PartitionLeadershipRequest(_tp, _brokerId));
        });
        // Stops even if a command that came meanwhile created the log: it is journaled, and sharding starts the replica
        // again for what it holds back.
        Command<StopPassivated>(_ => Context.Stop(Self));
        Command<PassivateIfEmpty>(_ =>
        {
            // Sharding stops it (buffering what arrives meanwhile, which starts it again).
            if (!_log.Exists && _readsInFlight.Count == 0 && _queuedReads.Count == 0) Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(new StopPassivated()));
            else if (!_log.Exists) Timers.StartSingleTimer(nameof(PassivateIfEmpty), new PassivateIfEmpty(), EmptyReplicaLifetime);
        });
        Command<AlterPartitionResult>(r =>
        {
            if (_leader != null && r.LeaderEpoch == _leader.LeaderEpoch) Run(fx => _leader.ProposalAnswered(r.ProposalId, r.Response, r.Failure, fx));
        });
        Command<OffsetForLeaderEpochResponse>(r => Run(fx => _follower?.EpochAnswered(r, Sender, fx)));
        Command<ReplicaFetchResponse>(r => Run(fx => _follower?.FetchAnswered(r, Sender, NowMs(), fx)));
        Command<FollowerRole.RetryDue>(r => Run(fx => _follower?.RetryDueElapsed(r, fx)));
        Command<FollowerRole.AnswerOverdue>(o => Run(fx => _follower?.AnswerOverdueElapsed(o, fx)));
        Command<LogMaintenanceTick>(_ => Run(fx => _maintenance.Tick(NowMs(), LastSequenceNr, fx)));
        Command<HighWatermarkCheckpointTick>(_ => Run(_maintenance.CheckpointDue));
        Command<LogCleaner.Cleaned>(c => Run(fx => _maintenance.Cleaned(c, fx)));
        Command<LogCleaner.CleaningFailed>(f => _maintenance.CleaningFailed(f, NowMs()));
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

    private void OnRecoveryCompleted()
    {
        Run(_journal.RecoveryCompleted);
        if (_log.Exists)
        {
            // A replica that restarted (a journal failure, a crash of its actor) lost the role the controller gave it.
            Timers.StartPeriodicTimer(nameof(AskLeadership), new AskLeadership(), TimeSpan.FromSeconds(10));
            Self.Tell(new AskLeadership());
            BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
            StartLogMaintenance();
        }
        else Timers.StartSingleTimer(nameof(PassivateIfEmpty), new PassivateIfEmpty(), EmptyReplicaLifetime);
        _logger.Info($"[{_tp}] recovered: log {_log.LogStartOffset}..{_log.DurableEnd}, high watermark {_log.HighWatermark}, {_log.LogBytes} bytes; " +
                     $"fenced at controller epoch {_journal.Fencing.ControllerEpoch}, leader epoch {_journal.Fencing.LeaderEpoch}");
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private PartitionAssignment? Assignment => _leader?.Assignment ?? _follower?.Assignment ?? _idleAssignment;

    private Role CurrentRole => _leader != null ? Role.Leader : _follower != null ? Role.Follower : Role.None;

    private int LeaderEpoch => Assignment?.LeaderEpoch ?? -1;

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

    /// <summary>Asks a part to decide, then performs what it decided.</summary>
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
                case ReplicaEffect.Reply r: r.To.Tell(r.Message); break;
                case ReplicaEffect.PersistBatch b: PersistBatch(b); break;
                case ReplicaEffect.ReplyAfterWrites r: DeferAsync(r.Message, m => r.To.Tell(m)); break;
                case ReplicaEffect.AskController { Message: AlterPartitionRequest request } a:
                    Context.ActorSelection("/user/" + Gateway.BrokerGateway.Name).Ask<AlterPartitionResponse>(request, a.Timeout)
                        .ContinueWith(t => t.IsCompletedSuccessfully
                            ? new AlterPartitionResult(t.Result, null, request.LeaderEpoch, a.Id)
                            : new AlterPartitionResult(null, t.Exception?.GetBaseException().Message ?? "cancelled", request.LeaderEpoch, a.Id))
                        .PipeTo(Self);
                    break;
                case ReplicaEffect.TellController t: TellController(t.Message); break;
                case ReplicaEffect.SendToLeader s when s.Replica != null: s.Replica.Tell(s.Message); break;
                case ReplicaEffect.SendToLeader s:
                    Context.ActorSelection(Gateway.BrokerGateway.GatewayPath(Context.System, s.Leader.Host, s.Leader.Port)).Tell(s.Message);
                    break;
                case ReplicaEffect.WatchLeader w: Context.Watch(w.Replica); break;
                case ReplicaEffect.StartTimer t: Timers.StartSingleTimer(t.Key, t.Message, t.Delay); break;
                case ReplicaEffect.CancelTimer c: Timers.Cancel(c.Key); break;
                case ReplicaEffect.Persist p: PersistEvents(p.Events, p.Async); break;
                case ReplicaEffect.SaveSnapshot: SaveSnapshot(_journal.ToSnapshot(NowMs(), _settings.ProducerIdExpirationMs)); break;
                case ReplicaEffect.DeleteSnapshotsUpTo d:
                    DeleteSnapshots(d.SequenceNr == long.MaxValue ? SnapshotSelectionCriteria.Latest : new SnapshotSelectionCriteria(d.SequenceNr));
                    break;
                case ReplicaEffect.DeleteJournalUpTo d: DeleteMessages(d.SequenceNr); break;
                case ReplicaEffect.TellCleaner c: Context.ActorSelection("/user/" + LogCleaner.Name).Tell(c.Message); break;
                case ReplicaEffect.ReadJournal r:
                    // A follower's truncation read goes at once: its log cannot move on without it.
                    if (_readsInFlight.Count < _settings.Partition.MaxConcurrentJournalReads || r.Purpose is FollowerRole.TruncationRead) StartRead(r);
                    else _queuedReads.Enqueue(r);
                    break;
                case ReplicaEffect.LogCorrupt c: Run(fx2 => _journal.CorruptionFound(c.Offset, fx2)); break;
                case ReplicaEffect.WakeParkedFetches:
                    // No effect list for the common case of nothing waiting (this follows every append).
                    if (_reads.ParkedFetches > 0) Run(_reads.WakeParked);
                    break;
                case ReplicaEffect.Log l: _logger.Log(l.Level, $"[{_tp}] {l.Message}"); break;
                default:
                    throw new InvalidOperationException($"{_tp}: no way to perform {effect}");
            }
        }
    }

    /// <summary>One producer's batch per produce request (a decision holds at most one).</summary>
    private void PersistBatch(ReplicaEffect.PersistBatch b) =>
        PersistAsync(b.Event, e => Run(fx => _writes.Written(b.Pending, e, LastSequenceNr, NowMs(), fx)));

    private void TellController(object message) => Context.ActorSelection("/user/" + Gateway.BrokerGateway.Name).Tell(message);

    /// <summary>
    /// Journals what a part decided (a follower's truncation, reset or fetched batches; retention, cleaning, a
    /// checkpoint; the cut at the end of recovery), applies each event once written, and tells the follower that asked.
    /// </summary>
    private void PersistEvents(IReadOnlyList<object> events, bool async)
    {
        var follower = _follower;
        if (events.Any(e => e is LogTruncated or LogReset)) _maintenance.AbandonCleaning();
        var last = events[^1];
        void Applied(object e)
        {
            var fx = new ReplicaEffects();
            _journal.Apply(e, LastSequenceNr, NowMs(), replaying: false, fx);
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

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // The actor stops after this and recovers from the journal on its next message.
        Run(fx => _writes.JournalFailed(cause.Message, fx));
        _logger.Error(cause, "[{0}] journal write of event {1} failed; restarting the replica from its journal", _tp, sequenceNr);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        if (@event is BatchAppended) Run(fx => _writes.JournalRejected(cause.Message, fx));
        base.OnPersistRejected(cause, @event, sequenceNr);
        // The state no longer matches the journal: stop and recover from it on the next message (writes still in flight
        // are either in the journal then, or their producers retry).
        if (@event is BatchAppended) Context.Stop(Self);
    }

    /// <summary>A child reads the range, so the replica keeps appending meanwhile; its result comes back as a RangeRead.</summary>
    private void StartRead(ReplicaEffect.ReadJournal read)
    {
        var id = ++_nextReadId;
        _readsInFlight[id] = read.Purpose;
        Context.ActorOf(JournalRangeReader.Props(Journal, PersistenceId, read.From, read.To, id));
    }

    private void HandleRangeRead(JournalRangeReader.RangeRead read)
    {
        if (!_readsInFlight.Remove(read.CorrelationId, out var purpose)) return;
        while (_queuedReads.Count > 0 && _readsInFlight.Count < _settings.Partition.MaxConcurrentJournalReads) StartRead(_queuedReads.Dequeue());
        if (purpose is FollowerRole.TruncationRead t) Run(fx => _follower?.TruncationEventsRead(t, read.Events, read.Error, fx));
        else if (purpose is ReadAhead.Read ahead) Run(fx => _reads.ReadAheadArrived(ahead, read.Events, read.Error, fx));
        else Run(fx => _reads.JournalRead((LeaderReads.PendingRead)purpose, read.Events, read.Error, fx));
    }

    // ---------------------------------------------------------------- leadership

    /// <summary>Takes up what the controller said, once the config and what fences the replica are journaled, then acknowledges.</summary>
    private void HandleEnsure(EnsurePartition command)
    {
        var replyTo = Sender;
        var created = !_log.Exists;
        var decision = ReplicaLeadership.Decide(_brokerId, (CurrentRole, Assignment), _journal.Fencing, _log.LatestEpoch, command);
        var events = ReplicaLeadership.ToJournal(decision, _journal.Fencing, command, _log.Exists ? _log.ConfigMap : null);
        void TakeUp()
        {
            switch (decision)
            {
                case ReplicaLeadership.Decision.Refused refused:
                    _logger.Error("[{0}] refused the controller's leadership: {1}", _tp, refused.Why);
                    replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.FencedLeaderEpoch, $"{_tp} on broker {_brokerId}: {refused.Why}"));
                    return;
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
        if (events.Count == 0)
        {
            TakeUp();
            return;
        }
        PersistAll(events, e =>
        {
            Run(fx => _journal.Apply(e, LastSequenceNr, NowMs(), replaying: false, fx));
            if (e is PartitionConfigured)
            {
                if (created) BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
                if (created) StartLogMaintenance();
                _logger.Info("[{0}] {1}", _tp, created ? "created" : "config updated");
                if (_follower != null && _log.ConfigMap is { } config &&
                    Topics.TopicConfig.FollowerThrottle(config, _tp.Partition, _brokerId) is var throttle && throttle != _follower.ThrottleBytesPerSecond)
                {
                    _follower.Rethrottle(throttle);
                    _logger.Info("[{0}] copies at most {1} bytes/s now", _tp, throttle == 0 ? "unlimited" : throttle.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            if (ReferenceEquals(e, events[^1])) TakeUp();
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
                Run(_journal.ReportCorruption);
                break;
            case Role.Follower:
                var throttle = _log.ConfigMap is { } config ? Topics.TopicConfig.FollowerThrottle(config, _tp.Partition, _brokerId) : 0;
                _follower = new FollowerRole(_brokerId, a, leaderEndpoint!, _log, _replicationSettings, ++_followerSession, repairFrom: _journal.CorruptFrom,
                    throttleBytesPerSecond: throttle);
                _logger.Info("[{0}] follows broker {1} at epoch {2}; log end {3}{4}", _tp, a.Leader, a.LeaderEpoch, _log.LogEndOffset,
                    throttle > 0 ? $"; copying at most {throttle} bytes/s" : "");
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
        _journal.RoleChanged();
    }

    // ---------------------------------------------------------------- housekeeping and deletion

    private void StartLogMaintenance()
    {
        Timers.StartPeriodicTimer(nameof(LogMaintenanceTick), new LogMaintenanceTick(), _maintenance.TickInterval);
        Timers.StartPeriodicTimer(nameof(HighWatermarkCheckpointTick), new HighWatermarkCheckpointTick(),
            TimeSpan.FromMilliseconds(_replicationSettings.ReplicaHighWatermarkCheckpointIntervalMs));
        _maintenance.Started(NowMs());
    }

    private void HandleDelete(DeletePartition command)
    {
        var replyTo = Sender;
        if (!_log.Exists)
        {
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            return;
        }
        _maintenance.LogDeleted();
        Persist(new PartitionDeleted(), e =>
        {
            Run(fx => _journal.Apply(e, LastSequenceNr, NowMs(), replaying: false, fx));
            Run(fx => _reads.FailParked(ErrorCode.UnknownTopicOrPartition, $"{_tp} was deleted", fx));
            LeaveRole();
            BrokerMetrics.RemovePartition(_tp);
            // The log is gone for good: the journal keeps only the highest sequence number, so a topic created later
            // with the same name starts from an empty log.
            DeleteMessages(LastSequenceNr);
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
            _logger.Info("[{0}] deleted", _tp);
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            Timers.StartSingleTimer(nameof(PassivateIfEmpty), new PassivateIfEmpty(), EmptyReplicaLifetime);
        });
    }
}
