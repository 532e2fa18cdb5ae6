using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// One partition's replica on this broker: a sharded persistent actor whose journal is the partition's log, one
/// <see cref="BatchAppended"/> event per batch. The controller tells it its role with <see cref="EnsurePartition"/>
/// (Kafka's LeaderAndIsr); until then it serves nothing.
/// <code>
///  (no role) --EnsurePartition(leader = this broker)--> Leader   --EnsurePartition(newer epoch, other leader)--> Follower
///            --EnsurePartition(leader = another)------> Follower --EnsurePartition(newer epoch, leader = this)--> Leader
///  any role  --EnsurePartition(leader -1 / not a replica)--> (no role)     any role --DeletePartition--> deleted
/// </code>
/// <para>
/// Leader: appends produced batches (pipelined with PersistAsync, stamped with its leader epoch), serves consumers
/// below the high watermark and followers up to its durable log end. A follower's fetch offset is its log end; the
/// high watermark and the in-sync replicas follow <see cref="LeaderReplication"/>, and ISR changes are proposed to the
/// controller (<see cref="AlterPartitionRequest"/>). acks=1 is answered once the batch is in this journal, acks=all
/// once the high watermark passes it.
/// </para>
/// <para>
/// Follower: first asks the leader where its own last leader epoch ends and truncates what the leader does not have
/// (<see cref="LogTruncated"/>), then fetches in a loop from its log end, journals what it gets and takes the leader's
/// high watermark. Fetches with nothing to return wait at the leader (long polling) until records arrive or
/// <c>fetch.max.wait.ms</c> / <c>replica.fetch.wait.max.ms</c> passes. Requests to a replica that does not lead are
/// answered NOT_LEADER_OR_FOLLOWER, so clients refresh their metadata.
/// </para>
/// </summary>
/// <summary>
/// Asks the replica whether it leads, and to be told once that changes (local only: the group coordinators of the
/// broker that leads a <c>__consumer_offsets</c> partition serve from memory, and must reload when leadership moves).
/// </summary>
public sealed record WatchLeadership(TopicPartition TopicPartition) : IPartitionRequest;

/// <summary>The answer to <see cref="WatchLeadership"/>, sent again (with <c>Leads</c> false) when the replica leaves that role.</summary>
public sealed record LeadershipStatus(TopicPartition TopicPartition, bool Leads, int LeaderEpoch);

public sealed class PartitionReplica : ReceivePersistentActor, IWithTimers
{
    public static Props Props(TopicPartition tp, BrokerSettings settings) =>
        Akka.Actor.Props.Create(() => new PartitionReplica(tp, settings));

    /// <summary>The persistence id of a partition's log; stable, journals are keyed by it.</summary>
    public static string PersistenceIdFor(TopicPartition tp) => $"partition-{tp.Topic}-{tp.Partition}";

    private sealed record FetchDeadline(long FetchId);

    /// <summary>A waiting fetch; <c>Request</c> is a consumer's <see cref="FetchRequest"/> or a follower's <see cref="ReplicaFetchRequest"/>.</summary>
    private sealed record ParkedFetch(long Id, object Request, IActorRef ReplyTo, long StartPosition, long StartedTicks);

    /// <summary>A journal read in flight; <c>ToSequenceNr</c> is where it ends, so a read that found only gaps can go on.</summary>
    private sealed record PendingRead(IActorRef ReplyTo, object Request, long StartedTicks, long ToSequenceNr = long.MaxValue);

    /// <summary>An acks=all write (or its retry) waiting for the high watermark to pass <c>EndOffset</c>.</summary>
    private sealed record AwaitingReplication(long EndOffset, IActorRef ReplyTo, ProduceResponse Reply, long DeadlineTicks);

    /// <summary>The leader checks its followers' lag and its waiting acks=all writes on this tick.</summary>
    private sealed record LeaderTick;

    /// <summary>A follower's next step after a backoff or a failed request.</summary>
    private sealed record FollowerRetry(long Session);

    /// <summary>A follower's request to its leader had no answer; <c>EpochLookup</c>: it was the truncation lookup, which must be made again before any fetch.</summary>
    private sealed record FollowerFetchTimedOut(long CorrelationId, bool EpochLookup);

    /// <summary>Asks the controller for this replica's leadership when it has none (after a restart, or a lost command).</summary>
    private sealed record AskLeadership;

    /// <summary>The controller's answer to an ISR proposal, or why none came.</summary>
    private sealed record AlterPartitionResult(AlterPartitionResponse? Response, string? Failure, int LeaderEpoch);

    /// <summary>Time to check retention, compaction and the log's metrics.</summary>
    private sealed record LogMaintenanceTick;

    /// <summary>The journal events a follower's truncation must look at.</summary>
    private sealed record TruncationRead(long Target, long Session);

    private enum Role { None, Leader, Follower }

    private readonly TopicPartition _tp;
    private readonly BrokerSettings _settings;
    private readonly ReplicationSettings _replicationSettings;
    private readonly int _brokerId;
    private readonly PartitionLog _log;
    private readonly ILoggingAdapter _logger = Context.GetLogger();
    private readonly Dictionary<long, ParkedFetch> _parked = new();
    private readonly Dictionary<long, PendingRead> _reads = new();
    // Replies owed for batches still being written, oldest first (PersistAsync confirms, fails or rejects in order),
    // so a failed write can be answered.
    private readonly Queue<(IActorRef ReplyTo, short Acks)> _pendingAppends = new();
    // acks=all writes in order of their end offsets.
    private readonly LinkedList<AwaitingReplication> _awaiting = new();
    private long _nextId;
    private long _eventsSinceSnapshot;
    private long _snapshotInProgressSeqNr = -1;

    private Role _role = Role.None;
    /// <summary>Who asked to hear when this replica stops leading (<see cref="WatchLeadership"/>).</summary>
    private readonly HashSet<IActorRef> _leadershipWatchers = new();
    private PartitionAssignment? _assignment;
    private int _controllerEpoch = -1;
    private LeaderReplication? _replication;
    private bool _alterPartitionInFlight;
    // Follower state: the leader's address, the leader replica itself once it answered, and a session that changes
    // with every new leadership so replies to an older one are recognised and dropped.
    private BrokerInfo? _leaderEndpoint;
    private IActorRef? _leaderReplica;
    private long _followerSession;
    private long _followerCorrelation;
    // Retention and compaction: a cleaning handed to the broker's LogCleaner (and since when), the last retention
    // check, a snapshot wanted before journal events below the log start can be deleted, and how far they have been.
    private bool _cleaning;
    // The latest saved snapshot's event: cleaning stays below it (see PartitionLog.PlanCleaning).
    private long _snapshotSequenceNr;
    // After a failed cleaning (say, a batch that cannot be read), the next try waits longer than the usual backoff.
    private long _cleaningRetryAtMs;
    // Names the cleaning in flight; a reset, truncation or deletion of the log moves it on, so a late answer is ignored.
    private long _cleaningId;
    private long _cleaningSinceMs;
    private long _lastRetentionCheckMs;
    private bool _snapshotWanted;
    private long _logStartSequenceNr = -1;
    private long _journalDeletedTo;

    public PartitionReplica(TopicPartition tp, BrokerSettings settings)
    {
        _tp = tp;
        _settings = settings;
        _replicationSettings = settings.Replication;
        _brokerId = settings.BrokerId;
        _log = new PartitionLog(tp, settings);
        PersistenceId = PersistenceIdFor(tp);

        Recover<SnapshotOffer>(o =>
        {
            _log.Restore((PartitionSnapshot)o.Snapshot, o.Metadata.SequenceNr);
            _snapshotSequenceNr = o.Metadata.SequenceNr;
        });
        Recover<BatchAppended>(e =>
        {
            if (_log.Recover(e.Batch, LastSequenceNr, NowMs()) is { } problem)
                _logger.Error("[{0}] journal event {1} holds a corrupt batch ({2}); fetches of it will be answered CORRUPT_MESSAGE", _tp, LastSequenceNr, problem);
            _eventsSinceSnapshot++;
        });
        Recover<LogTruncated>(e => _log.ApplyTruncation(e, LastSequenceNr));
        Recover<PartitionConfigured>(e => _log.ApplyConfig(e.Config, LastSequenceNr));
        Recover<PartitionDeleted>(_ => _log.ApplyDeleted(LastSequenceNr));
        Recover<LogStartAdvanced>(e =>
        {
            _log.ApplyLogStart(e, LastSequenceNr);
            // Events below the new start may still be in the journal (no snapshot held it yet): take one soon.
            _logStartSequenceNr = LastSequenceNr;
            _snapshotWanted = true;
        });
        Recover<LogCleaned>(e => _log.ApplyCleaned(e, LastSequenceNr));
        Recover<LogReset>(e =>
        {
            _log.ApplyReset(e, LastSequenceNr);
            _logStartSequenceNr = LastSequenceNr;
            _snapshotWanted = true;
        });
        Recover<RecoveryCompleted>(_ =>
        {
            // A replica that restarted (a journal failure, a crash of its actor) lost the role the controller gave it.
            if (_log.Exists) Timers.StartPeriodicTimer(nameof(AskLeadership), new AskLeadership(), TimeSpan.FromSeconds(10));
            if (_log.Exists) Self.Tell(new AskLeadership());
            if (_log.Exists) BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
            if (_log.Exists) StartLogMaintenance();
            _logger.Info("[{0}] recovered: log {1}..{2}, {3} bytes, {4} index entries", _tp, _log.LogStartOffset, _log.DurableEnd,
                _log.LogBytes, _log.Index.Count);
        });

        Command<ProduceRequest>(HandleProduce);
        Command<FetchRequest>(r => HandleFetch(r, Sender, Stopwatch.GetTimestamp()));
        Command<WatchLeadership>(_ =>
        {
            var leads = _role == Role.Leader;
            Sender.Tell(new LeadershipStatus(_tp, leads, LeaderEpoch));
            if (leads && _leadershipWatchers.Add(Sender)) Context.Watch(Sender);
        });
        Command<Terminated>(t => _leadershipWatchers.Remove(t.ActorRef));
        Command<ReplicaFetchRequest>(r => HandleReplicaFetch(r, Sender, Stopwatch.GetTimestamp()));
        Command<OffsetForLeaderEpochRequest>(HandleOffsetForLeaderEpoch);
        Command<ListOffsetsRequest>(HandleListOffsets);
        Command<JournalRangeReader.RangeRead>(HandleRangeRead);
        Command<FetchDeadline>(d =>
        {
            if (_parked.Remove(d.FetchId, out var parked)) AnswerFetchNow(parked.Request, parked.ReplyTo, parked.StartedTicks);
        });
        Command<EnsurePartition>(HandleEnsure);
        Command<DeletePartition>(HandleDelete);
        Command<LeaderTick>(_ => OnLeaderTick());
        Command<AskLeadership>(_ =>
        {
            if (_role == Role.None && _log.Exists)
                Context.ActorSelection("/user/" + Gateway.BrokerGateway.Name).Tell(new PartitionLeadershipRequest(_tp, _brokerId));
        });
        Command<AlterPartitionResult>(OnAlterPartitionResult);
        Command<LogMaintenanceTick>(_ => OnLogMaintenanceTick());
        Command<LogCleaner.Cleaned>(OnCleaned);
        Command<LogCleaner.CleaningFailed>(f =>
        {
            if (f.CleaningId != _cleaningId) return;
            _cleaning = false;
            _cleaningRetryAtMs = NowMs() + 20 * _settings.LogCleaner.CleanerBackoffMs;
        });
        Command<DescribeLogRequest>(HandleDescribeLog);
        Command<OffsetForLeaderEpochResponse>(OnOffsetForLeaderEpoch);
        Command<ReplicaFetchResponse>(OnReplicaFetchResponse);
        Command<FollowerRetry>(r =>
        {
            if (r.Session == _followerSession && _role == Role.Follower) StartFollowing();
        });
        Command<FollowerFetchTimedOut>(t =>
        {
            if (t.CorrelationId != _followerCorrelation || _role != Role.Follower) return;
            _logger.Warning("[{0}] fetch from leader {1} had no answer within {2} ms; sending it again through the leader's gateway", _tp,
                _assignment?.Leader, _replicationSettings.ReplicaSocketTimeoutMs);
            _leaderReplica = null;
            // A follower fetches only once it has truncated to where it agrees with this leader.
            if (t.EpochLookup) StartFollowing();
            else SendReplicaFetch();
        });
        Command<SaveSnapshotSuccess>(s =>
        {
            _snapshotInProgressSeqNr = -1;
            // A snapshot that finished after the partition was deleted must not resurrect the old log.
            DeleteSnapshots(_log.Deleted ? SnapshotSelectionCriteria.Latest : new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
            if (!_log.Deleted) _snapshotSequenceNr = s.Metadata.SequenceNr;
            DeleteJournalBelowLogStart(s.Metadata.SequenceNr);
        });
        Command<SaveSnapshotFailure>(f =>
        {
            _snapshotInProgressSeqNr = -1;
            _logger.Warning("[{0}] snapshot at event {1} failed: {2}", _tp, f.Metadata.SequenceNr, f.Cause.Message);
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _logger.Warning("[{0}] deleting old snapshots failed: {1}", _tp, f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f =>
        {
            _logger.Error(f.Cause, "[{0}] deleting journal events up to {1} failed (the space is reclaimed after the next retention)", _tp, f.ToSequenceNr);
            _journalDeletedTo = Math.Min(_journalDeletedTo, f.ToSequenceNr - 1);
        });
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private int LeaderEpoch => _assignment?.LeaderEpoch ?? -1;

    /// <summary>Why this replica does not serve clients, or null when it leads.</summary>
    private (ErrorCode Code, string Message)? NotServing()
    {
        if (!_log.Exists) return (ErrorCode.UnknownTopicOrPartition, $"{_tp} does not exist on this broker");
        if (_role == Role.Leader) return null;
        return _role == Role.Follower
            ? (ErrorCode.NotLeaderOrFollower, $"broker {_brokerId} is a follower of {_tp}; broker {_assignment?.Leader} leads it: refresh metadata")
            : (ErrorCode.NotLeaderOrFollower, $"broker {_brokerId} does not lead {_tp} (no leadership received from the controller yet): refresh metadata and retry");
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
        if (request.Acks == -1 && _log.Config is { } config && _replication!.CheckBeforeAppend(config.MinInsyncReplicas) is not ErrorCode.None and var tooFew)
        {
            replyTo.Tell(Refuse(tooFew, $"{_tp} has {_replication.Isr.Count} in-sync replicas ({string.Join(",", _replication.Isr)}), " +
                                        $"fewer than min.insync.replicas {config.MinInsyncReplicas}: the acks=all write was refused; retry once followers catch up"));
            return;
        }
        switch (_log.PrepareAppend(request.Batch, request.Acks, NowMs(), LeaderEpoch))
        {
            case PartitionLog.AppendDecision.Rejected r:
                if (request.Acks != 0) replyTo.Tell(Refuse(r.Error, r.Message));
                break;
            case PartitionLog.AppendDecision.Duplicate d:
                var reply = new ProduceResponse(_tp, ErrorCode.None, null, d.BaseOffset, d.LogAppendTime, _log.LogStartOffset);
                // A retry is answered as its original would be: once written (acks=1), once replicated (acks=all).
                if (request.Acks == -1) AwaitReplication(d.EndOffset, replyTo, reply, request.TimeoutMs);
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
        if (request.Acks == 1) replyTo.Tell(reply);
        else if (request.Acks == -1)
        {
            if (_role == Role.Leader) AwaitReplication(RecordBatch.Wrap(e.Batch).NextOffset, replyTo, reply, request.TimeoutMs);
            // Leadership moved while the batch was being written: it may be truncated, so it is not acknowledged.
            else replyTo.Tell(reply with { Error = ErrorCode.NotLeaderOrFollower, ErrorMessage = $"broker {_brokerId} stopped leading {_tp} before the write was replicated; retry", BaseOffset = -1 });
        }
        BrokerMetrics.RequestLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("api", "produce"));
        _eventsSinceSnapshot++;
        if (_role == Role.Leader && _replication!.LeaderAppended(_log.DurableEnd)) OnHighWatermarkMoved();
        WakeParkedFetches();
        MaybeSnapshot();
    }

    private void AwaitReplication(long endOffset, IActorRef replyTo, ProduceResponse reply, int timeoutMs)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Math.Max(1, timeoutMs) / 1000.0 * Stopwatch.Frequency);
        var entry = new AwaitingReplication(endOffset, replyTo, reply, deadline);
        var node = _awaiting.Last;
        while (node != null && node.Value.EndOffset > endOffset) node = node.Previous;
        if (node == null) _awaiting.AddFirst(entry);
        else _awaiting.AddAfter(node, entry);
        CompleteReplicatedWrites();
    }

    /// <summary>Answers the acks=all writes the high watermark has passed.</summary>
    private void CompleteReplicatedWrites()
    {
        if (_replication == null || _log.Config == null) return;
        while (_awaiting.First is { } first && _replication.CheckReplicated(first.Value.EndOffset, _log.Config.MinInsyncReplicas) is { } outcome)
        {
            _awaiting.RemoveFirst();
            var w = first.Value;
            w.ReplyTo.Tell(outcome == ErrorCode.None
                ? w.Reply
                : w.Reply with
                {
                    Error = outcome,
                    ErrorMessage = $"{_tp}: the batch was written, but the in-sync replicas ({string.Join(",", _replication.Isr)}) fell below min.insync.replicas " +
                                   $"{_log.Config.MinInsyncReplicas} before it was replicated",
                });
        }
    }

    private void FailAwaitingWrites(ErrorCode code, string message)
    {
        foreach (var w in _awaiting) w.ReplyTo.Tell(w.Reply with { Error = code, ErrorMessage = message, BaseOffset = -1 });
        _awaiting.Clear();
    }

    private void OnHighWatermarkMoved()
    {
        _log.AdvanceHighWatermark(_replication!.HighWatermark);
        CompleteReplicatedWrites();
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
        FailAwaitingWrites(ErrorCode.KafkaStorageError, $"{_tp}: the journal failed ({cause.Message}); the replica restarts, retry");
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
            FailAwaitingWrites(ErrorCode.KafkaStorageError, $"{_tp}: the journal rejected a batch; the replica restarts, retry");
            Context.Stop(Self);
        }
    }

    private void MaybeSnapshot()
    {
        if ((_eventsSinceSnapshot < _settings.Partition.SnapshotIntervalEvents && !_snapshotWanted) || _snapshotInProgressSeqNr >= 0 || _log.HasPendingWrites)
            return;
        _snapshotInProgressSeqNr = LastSequenceNr;
        _eventsSinceSnapshot = 0;
        _snapshotWanted = false;
        SaveSnapshot(_log.ToSnapshot(NowMs(), _settings.ProducerIdExpirationMs));
    }

    // ---------------------------------------------------------------- fetch (leader)

    private void HandleFetch(FetchRequest request, IActorRef replyTo, long started)
    {
        if (NotServing() is { } notServing)
        {
            BrokerMetrics.FailedRequests.Add(1, new("api", "fetch"), new("error", notServing.Code.KafkaName()));
            replyTo.Tell(FetchError(request, notServing.Code, notServing.Message));
            return;
        }
        if (request.MaxBytes <= 0)
        {
            replyTo.Tell(FetchError(request, ErrorCode.InvalidFetchSize, $"max bytes must be positive, got {request.MaxBytes}"));
            return;
        }
        ServeFetch(request, request.FetchOffset, request.MaxBytes, request.MinBytes, request.MaxWaitMs, forFollower: false, replyTo, started);
    }

    private void HandleReplicaFetch(ReplicaFetchRequest request, IActorRef replyTo, long started)
    {
        if (NotServing() is { } notServing)
        {
            replyTo.Tell(FetchError(request, notServing.Code, notServing.Message));
            return;
        }
        if (request.LeaderEpoch != LeaderEpoch)
        {
            replyTo.Tell(FetchError(request, request.LeaderEpoch < LeaderEpoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch,
                $"{_tp}: broker {request.ReplicaId} follows leader epoch {request.LeaderEpoch}, this leader is at epoch {LeaderEpoch}"));
            return;
        }
        if (!_replication!.IsFollower(request.ReplicaId))
        {
            replyTo.Tell(FetchError(request, ErrorCode.NotLeaderOrFollower, $"broker {request.ReplicaId} is not a replica of {_tp}"));
            return;
        }
        if (request.FetchOffset > _log.DurableEnd || request.FetchOffset < _log.LogStartOffset)
        {
            replyTo.Tell(FetchError(request, ErrorCode.OffsetOutOfRange,
                $"{_tp}: follower {request.ReplicaId} fetched from {request.FetchOffset}, outside the leader's log {_log.LogStartOffset}..{_log.DurableEnd}; it must truncate"));
            return;
        }
        var outcome = _replication.FollowerFetched(request.ReplicaId, request.FetchOffset, NowMs());
        if (outcome.ProposeIsr is { } proposal) ProposeIsr(proposal);
        if (outcome.HighWatermarkMoved)
        {
            OnHighWatermarkMoved();
            WakeParkedFetches();
        }
        ServeFetch(request, request.FetchOffset, request.MaxBytes, 1, request.MaxWaitMs, forFollower: true, replyTo, started);
    }

    private void ServeFetch(object request, long offset, int maxBytes, int minBytes, int maxWaitMs, bool forFollower, IActorRef replyTo, long started)
    {
        switch (_log.PlanFetch(offset, maxBytes, forFollower))
        {
            case PartitionLog.FetchPlan.Error e:
                BrokerMetrics.FailedRequests.Add(1, new("api", "fetch"), new("error", e.Code.KafkaName()));
                replyTo.Tell(FetchError(request, e.Code, e.Message));
                break;
            case PartitionLog.FetchPlan.FromCache c:
                if (c.Records.Length >= Math.Max(1, minBytes) || maxWaitMs <= 0)
                    ReplyFetch(request, replyTo, c.Records, started);
                else
                    Park(request, offset, maxWaitMs, replyTo, started);
                break;
            case PartitionLog.FetchPlan.FromJournal j:
                StartRead(j.FromSequenceNr, j.ToSequenceNr, request, replyTo, started);
                break;
        }
    }

    private object FetchError(object request, ErrorCode code, string message) => request switch
    {
        ReplicaFetchRequest r => new ReplicaFetchResponse(_tp, code, message, _log.HighWatermark, _log.LogStartOffset, Array.Empty<byte>(), r.CorrelationId),
        _ => new FetchResponse(_tp, code, message, _log.HighWatermark, _log.LogStartOffset, Array.Empty<byte>()),
    };

    private void Park(object request, long offset, int maxWaitMs, IActorRef replyTo, long started)
    {
        var id = ++_nextId;
        var position = _log.PositionOf(offset) ?? _log.LogBytes;
        _parked[id] = new ParkedFetch(id, request, replyTo, position, started);
        Timers.StartSingleTimer(id, new FetchDeadline(id), TimeSpan.FromMilliseconds(maxWaitMs));
    }

    /// <summary>Answers waiting fetches that can now be served: followers' when the log grew, consumers' when the high watermark moved.</summary>
    private void WakeParkedFetches()
    {
        if (_parked.Count == 0) return;
        var highWatermarkPosition = _log.PositionOf(_log.HighWatermark) ?? _log.LogBytes;
        List<ParkedFetch>? ready = null;
        foreach (var p in _parked.Values)
        {
            var (end, minBytes) = p.Request is FetchRequest f ? (highWatermarkPosition, f.MinBytes) : (_log.LogBytes, 1);
            if (end - p.StartPosition >= Math.Max(1, minBytes))
                (ready ??= new()).Add(p);
        }
        if (ready == null) return;
        foreach (var p in ready)
        {
            _parked.Remove(p.Id);
            Timers.Cancel(p.Id);
            AnswerFetchNow(p.Request, p.ReplyTo, p.StartedTicks);
        }
    }

    /// <summary>Answers a fetch with whatever is there now, without waiting again.</summary>
    private void AnswerFetchNow(object request, IActorRef replyTo, long started)
    {
        switch (request)
        {
            case FetchRequest f:
                HandleFetch(f with { MaxWaitMs = 0 }, replyTo, started);
                break;
            case ReplicaFetchRequest r when NotServing() is { } notServing:
                replyTo.Tell(FetchError(r, notServing.Code, notServing.Message));
                break;
            case ReplicaFetchRequest r:
                ServeFetch(r, r.FetchOffset, r.MaxBytes, 1, 0, forFollower: true, replyTo, started);
                break;
        }
    }

    private void ReplyFetch(object request, IActorRef replyTo, byte[] records, long started)
    {
        if (request is ReplicaFetchRequest r)
        {
            replyTo.Tell(new ReplicaFetchResponse(_tp, ErrorCode.None, null, _log.HighWatermark, _log.LogStartOffset, records, r.CorrelationId));
            return;
        }
        if (records.Length > 0)
        {
            BrokerMetrics.BytesOut.Add(records.Length);
            long count = 0;
            foreach (var b in RecordBatch.ReadAll(records)) count += b.RecordCount;
            BrokerMetrics.RecordsOut.Add(count);
        }
        replyTo.Tell(new FetchResponse(_tp, ErrorCode.None, null, _log.HighWatermark, _log.LogStartOffset, records));
        BrokerMetrics.RequestLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("api", "fetch"));
    }

    private void HandleOffsetForLeaderEpoch(OffsetForLeaderEpochRequest request)
    {
        if (NotServing() is { } notServing)
        {
            Sender.Tell(new OffsetForLeaderEpochResponse(_tp, notServing.Code, notServing.Message, -1, -1, request.CorrelationId));
            return;
        }
        if (request.CurrentLeaderEpoch != LeaderEpoch)
        {
            Sender.Tell(new OffsetForLeaderEpochResponse(_tp, request.CurrentLeaderEpoch < LeaderEpoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch,
                $"{_tp}: broker {request.ReplicaId} follows leader epoch {request.CurrentLeaderEpoch}, this leader is at epoch {LeaderEpoch}", -1, -1, request.CorrelationId));
            return;
        }
        var (epoch, end) = _log.EndOffsetForEpoch(request.LeaderEpoch);
        Sender.Tell(new OffsetForLeaderEpochResponse(_tp, ErrorCode.None, null, epoch, Math.Min(end, _log.DurableEnd), request.CorrelationId));
    }

    private void HandleListOffsets(ListOffsetsRequest request)
    {
        if (NotServing() is { } notServing)
        {
            Sender.Tell(new ListOffsetsResponse(_tp, notServing.Code, notServing.Message, -1, -1));
            return;
        }
        switch (request.Timestamp)
        {
            case ListOffsetsRequest.Earliest:
                Sender.Tell(new ListOffsetsResponse(_tp, ErrorCode.None, null, _log.LogStartOffset, -1));
                return;
            case ListOffsetsRequest.Latest:
                Sender.Tell(new ListOffsetsResponse(_tp, ErrorCode.None, null, _log.HighWatermark, -1));
                return;
            case < 0:
                Sender.Tell(new ListOffsetsResponse(_tp, ErrorCode.InvalidRequest,
                    $"timestamp {request.Timestamp} is not valid: use -1 (latest), -2 (earliest) or a Unix time in ms", -1, -1));
                return;
        }
        AnswerTimestamp(_log.PlanOffsetForTimestamp(request.Timestamp), request, Sender);
    }

    private void AnswerTimestamp(PartitionLog.TimestampPlan plan, ListOffsetsRequest request, IActorRef replyTo)
    {
        switch (plan)
        {
            case PartitionLog.TimestampPlan.Found f:
                replyTo.Tell(new ListOffsetsResponse(_tp, ErrorCode.None, null, f.Offset, f.Timestamp));
                break;
            case PartitionLog.TimestampPlan.NotFound:
                replyTo.Tell(new ListOffsetsResponse(_tp, ErrorCode.None, null, -1, -1));
                break;
            case PartitionLog.TimestampPlan.FromJournal j:
                StartRead(j.FromSequenceNr, j.ToSequenceNr, request, replyTo, Stopwatch.GetTimestamp());
                break;
        }
    }

    private void StartRead(long from, long to, object request, IActorRef replyTo, long started)
    {
        var id = ++_nextId;
        _reads[id] = new PendingRead(replyTo, request, started, to);
        Context.ActorOf(JournalRangeReader.Props(Journal, PersistenceId, from, to, id));
    }

    private void HandleRangeRead(JournalRangeReader.RangeRead read)
    {
        if (!_reads.Remove(read.CorrelationId, out var pending)) return;
        switch (pending.Request)
        {
            case TruncationRead t:
                OnTruncationRead(t, read);
                break;
            case FetchRequest or ReplicaFetchRequest when read.Error != null:
                pending.ReplyTo.Tell(FetchError(pending.Request, ErrorCode.KafkaStorageError, $"{_tp}: {read.Error}"));
                break;
            case FetchRequest or ReplicaFetchRequest:
                var (offset, maxBytes, end) = pending.Request is FetchRequest f
                    ? (f.FetchOffset, f.MaxBytes, _log.HighWatermark)
                    : (((ReplicaFetchRequest)pending.Request).FetchOffset, ((ReplicaFetchRequest)pending.Request).MaxBytes, _log.DurableEnd);
                var (records, corruption) = _log.AssembleFetch(_log.LiveBatches(read.Events), offset, maxBytes, end);
                if (corruption != null)
                {
                    _logger.Error("[{0}] {1}", _tp, corruption);
                    BrokerMetrics.FailedRequests.Add(1, new("api", "fetch"), new("error", ErrorCode.CorruptMessage.KafkaName()));
                    pending.ReplyTo.Tell(FetchError(pending.Request, ErrorCode.CorruptMessage, corruption));
                }
                else if (records.Length == 0 && offset < end && pending.ToSequenceNr < _log.LastSequenceNr)
                {
                    // Compaction removed every batch of the planned range (the index's byte positions predate it): read on.
                    var (from, to) = _log.NextJournalRange(pending.ToSequenceNr, maxBytes);
                    StartRead(from, to, pending.Request, pending.ReplyTo, pending.StartedTicks);
                }
                else
                {
                    // The planned range always covers the offset's batch; an empty answer means the index and the
                    // journal disagree. Say so, and let the reader fetch again rather than loop on the same read.
                    if (records.Length == 0 && offset < end)
                        _logger.Warning("[{0}] journal events {1} returned no batch at offset {2}", _tp, read.Events.Count, offset);
                    ReplyFetch(pending.Request, pending.ReplyTo, records, pending.StartedTicks);
                }
                break;
            case ListOffsetsRequest when read.Error != null:
                pending.ReplyTo.Tell(new ListOffsetsResponse(_tp, ErrorCode.KafkaStorageError, $"{_tp}: {read.Error}", -1, -1));
                break;
            case ListOffsetsRequest l:
                var found = _log.FindOffsetForTimestamp(_log.LiveBatches(read.Events), l.Timestamp);
                if (found is PartitionLog.TimestampPlan.NotFound && pending.ToSequenceNr < _log.LastSequenceNr)
                {
                    // The record may lie past batches compaction removed: search on.
                    var (from, to) = _log.NextJournalRange(pending.ToSequenceNr, _settings.Partition.MaxJournalReadBytes);
                    StartRead(from, to, pending.Request, pending.ReplyTo, pending.StartedTicks);
                }
                else AnswerTimestamp(found, l, pending.ReplyTo);
                break;
        }
    }

    // ---------------------------------------------------------------- leadership

    private void HandleEnsure(EnsurePartition command)
    {
        var replyTo = Sender;
        if (command.ControllerEpoch < _controllerEpoch)
        {
            // A controller that has been replaced: its view of leadership is stale.
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            return;
        }
        _controllerEpoch = command.ControllerEpoch;
        if (_log.Exists && _log.ConfigMap != null && SameConfig(_log.ConfigMap, command.Config))
        {
            ApplyLeadership(command);
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            return;
        }
        Persist(new PartitionConfigured(command.Config), e =>
        {
            var created = !_log.Exists;
            _log.ApplyConfig(e.Config, LastSequenceNr);
            if (created) BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
            if (created) StartLogMaintenance();
            _logger.Info("[{0}] {1}", _tp, created ? "created" : "config updated");
            ApplyLeadership(command);
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
        });
    }

    private void ApplyLeadership(EnsurePartition command)
    {
        var next = command.Assignment;
        if (_assignment is { } current &&
            (next.LeaderEpoch < current.LeaderEpoch || (next.LeaderEpoch == current.LeaderEpoch && next.PartitionEpoch < current.PartitionEpoch)))
            return; // older news
        var sameEpoch = _assignment != null && next.LeaderEpoch == _assignment.LeaderEpoch && next.Leader == _assignment.Leader;
        _assignment = next;
        if (sameEpoch && _role != Role.None)
        {
            // Same leadership, newer ISR (the controller recorded a change): only the leader cares.
            if (_role == Role.Leader && _replication!.IsrCommitted(next.Isr)) OnHighWatermarkMoved();
            if (_role == Role.Follower && command.Leader != null) _leaderEndpoint = command.Leader;
            return;
        }
        if (next.Leader == _brokerId) BecomeLeader(next);
        else if (next.Leader >= 0 && next.Replicas.Contains(_brokerId) && command.Leader != null) BecomeFollower(next, command.Leader);
        else BecomeNothing(next.Leader < 0 ? "the partition has no live in-sync replica to lead it" : "this broker is not one of its replicas");
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
        _followerSession++;
        _leaderReplica = null;
        _alterPartitionInFlight = false;
        foreach (var p in _parked.Values)
        {
            Timers.Cancel(p.Id);
            p.ReplyTo.Tell(FetchError(p.Request, ErrorCode.NotLeaderOrFollower, $"broker {_brokerId} no longer leads {_tp}: refresh metadata"));
        }
        _parked.Clear();
        FailAwaitingWrites(ErrorCode.NotLeaderOrFollower, $"broker {_brokerId} stopped leading {_tp} before the write was replicated; retry");
        _replication = null;
    }

    private void BecomeLeader(PartitionAssignment a)
    {
        LeaveRole();
        _role = Role.Leader;
        _log.AssignEpoch(a.LeaderEpoch, _log.LogEndOffset);
        _replication = new LeaderReplication(_brokerId, a.Replicas, a.Isr, _log.DurableEnd, _log.HighWatermark, _replicationSettings.ReplicaLagTimeMaxMs,
            NowMs(), leaderEpochStartOffset: _log.LogEndOffset);
        _log.AdvanceHighWatermark(_replication.HighWatermark);
        if (a.Replicas.Count > 1)
        {
            var interval = TimeSpan.FromMilliseconds(Math.Clamp(_replicationSettings.ReplicaLagTimeMaxMs / 2, 10, 500));
            Timers.StartPeriodicTimer(nameof(LeaderTick), new LeaderTick(), interval);
        }
        _logger.Info("[{0}] leads at epoch {1} (replicas {2}, in sync {3}); log end {4}, high watermark {5}", _tp, a.LeaderEpoch,
            string.Join(",", a.Replicas), string.Join(",", a.Isr), _log.LogEndOffset, _log.HighWatermark);
    }

    private void BecomeFollower(PartitionAssignment a, BrokerInfo leader)
    {
        LeaveRole();
        _role = Role.Follower;
        _leaderEndpoint = leader;
        _logger.Info("[{0}] follows broker {1} at epoch {2}; log end {3}", _tp, a.Leader, a.LeaderEpoch, _log.LogEndOffset);
        StartFollowing();
    }

    private void BecomeNothing(string why)
    {
        LeaveRole();
        _role = Role.None;
        _logger.Info("[{0}] neither leads nor follows: {1}", _tp, why);
    }

    private void OnLeaderTick()
    {
        if (_role != Role.Leader) return;
        if (_replication!.ShrinkIsr(NowMs()) is { } proposal) ProposeIsr(proposal);
        var now = Stopwatch.GetTimestamp();
        var node = _awaiting.First;
        while (node != null)
        {
            var next = node.Next;
            if (node.Value.DeadlineTicks <= now)
            {
                _awaiting.Remove(node);
                node.Value.ReplyTo.Tell(node.Value.Reply with
                {
                    Error = ErrorCode.RequestTimedOut, BaseOffset = -1,
                    ErrorMessage = $"{_tp}: the batch was written by the leader but not replicated to the in-sync replicas ({string.Join(",", _replication.Isr)}) in time",
                });
            }
            node = next;
        }
    }

    /// <summary>Asks the controller to record a new ISR (one proposal at a time; the next waits for the answer).</summary>
    private void ProposeIsr(IReadOnlyList<int> isr)
    {
        if (_alterPartitionInFlight || _assignment == null) return;
        _alterPartitionInFlight = true;
        var epoch = LeaderEpoch;
        _logger.Info("[{0}] proposes in-sync replicas {1} (now {2})", _tp, string.Join(",", isr), string.Join(",", _replication!.Isr));
        var request = new AlterPartitionRequest(_tp, _brokerId, epoch, _assignment.PartitionEpoch, isr);
        var timeout = _settings.ControllerQuorumTimeout + TimeSpan.FromSeconds(2);
        Context.ActorSelection("/user/" + Gateway.BrokerGateway.Name).Ask<AlterPartitionResponse>(request, timeout)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new AlterPartitionResult(t.Result, null, epoch)
                : new AlterPartitionResult(null, t.Exception?.GetBaseException().Message ?? "cancelled", epoch))
            .PipeTo(Self);
    }

    private void OnAlterPartitionResult(AlterPartitionResult result)
    {
        if (result.LeaderEpoch != LeaderEpoch || _role != Role.Leader) return;
        _alterPartitionInFlight = false;
        // The answer and the controller's EnsurePartition travel different routes: never go back to an older partition epoch.
        if (result.Response?.Assignment is { } known && _assignment != null && known.PartitionEpoch <= _assignment.PartitionEpoch)
        {
            _replication!.ProposalFailed();
            return;
        }
        if (result.Response is not { Error: ErrorCode.None, Assignment: { } recorded })
        {
            _replication!.ProposalFailed();
            // Refused because the partition moved on (an ISR the controller changed itself): adopt what it recorded.
            if (result.Response?.Assignment is { } current && current.Leader == _brokerId && current.LeaderEpoch == LeaderEpoch)
            {
                _assignment = current;
                if (_replication.IsrCommitted(current.Isr)) OnHighWatermarkMoved();
            }
            _logger.Warning("[{0}] the controller did not record the proposed in-sync replicas: {1}", _tp,
                result.Failure ?? $"{result.Response!.Error.KafkaName()} {result.Response.ErrorMessage}");
            return;
        }
        var before = _replication!.Isr.Count;
        _assignment = recorded;
        if (_replication.IsrCommitted(recorded.Isr)) OnHighWatermarkMoved();
        if (recorded.Isr.Count < before) BrokerMetrics.IsrShrinks.Add(1);
        else if (recorded.Isr.Count > before) BrokerMetrics.IsrExpands.Add(1);
        _logger.Info("[{0}] in-sync replicas are now {1} (partition epoch {2})", _tp, string.Join(",", recorded.Isr), recorded.PartitionEpoch);
        CompleteReplicatedWrites();
    }

    // ---------------------------------------------------------------- follower

    private object SendToLeader(object request)
    {
        if (_leaderReplica != null) _leaderReplica.Tell(request);
        else Context.ActorSelection(Gateway.BrokerGateway.GatewayPath(Context.System, _leaderEndpoint!.Host, _leaderEndpoint.Port)).Tell(request);
        return request;
    }

    /// <summary>First step as a follower: learn where this log stops agreeing with the leader's.</summary>
    private void StartFollowing()
    {
        if (_log.HasPendingWrites)
        {
            // Writes from the time this replica led are still in flight: truncation must see them in the journal.
            Timers.StartSingleTimer("follower-retry", new FollowerRetry(_followerSession), TimeSpan.FromMilliseconds(10));
            return;
        }
        if (_log.LogEndOffset == _log.LogStartOffset)
        {
            SendReplicaFetch();
            return;
        }
        _followerCorrelation++;
        SendToLeader(new OffsetForLeaderEpochRequest(_tp, _brokerId, LeaderEpoch, _log.LatestEpoch, _followerCorrelation));
        Timers.StartSingleTimer("follower-timeout", new FollowerFetchTimedOut(_followerCorrelation, EpochLookup: true),
            TimeSpan.FromMilliseconds(_replicationSettings.ReplicaSocketTimeoutMs));
    }

    private void FollowerBackoff()
    {
        Timers.StartSingleTimer("follower-retry", new FollowerRetry(_followerSession), TimeSpan.FromMilliseconds(_replicationSettings.ReplicaFetchBackoffMs));
    }

    private void OnOffsetForLeaderEpoch(OffsetForLeaderEpochResponse response)
    {
        if (_role != Role.Follower || response.CorrelationId != _followerCorrelation) return;
        Timers.Cancel("follower-timeout");
        if (response.Error != ErrorCode.None)
        {
            _logger.Info("[{0}] leader {1} answered the epoch lookup with {2} ({3}); retrying", _tp, _assignment?.Leader, response.Error.KafkaName(), response.ErrorMessage);
            FollowerBackoff();
            return;
        }
        // Kafka's rule: cut back to where the leader's copy of our last common epoch ends, never beyond our own end for it.
        var target = response.LeaderEpoch < 0
            ? _log.LogStartOffset
            : Math.Min(response.EndOffset, _log.EndOffsetForEpoch(response.LeaderEpoch).EndOffset);
        if (target >= _log.LogEndOffset || _log.PlanTruncation(target) is not { } range)
        {
            SendReplicaFetch();
            return;
        }
        var id = ++_nextId;
        _reads[id] = new PendingRead(Self, new TruncationRead(target, _followerSession), Stopwatch.GetTimestamp());
        Context.ActorOf(JournalRangeReader.Props(Journal, PersistenceId, range.FromSequenceNr, range.ToSequenceNr, id));
    }

    private void OnTruncationRead(TruncationRead t, JournalRangeReader.RangeRead read)
    {
        if (_role != Role.Follower || t.Session != _followerSession) return;
        if (read.Error != null)
        {
            _logger.Warning("[{0}] could not read the journal to truncate to offset {1}: {2}; retrying", _tp, t.Target, read.Error);
            FollowerBackoff();
            return;
        }
        if (_log.DecideTruncation(read.Events, t.Target) is not { } truncation)
        {
            SendReplicaFetch();
            return;
        }
        var session = _followerSession;
        var before = _log.LogEndOffset;
        AbandonCleaning();
        Persist(truncation, e =>
        {
            _log.ApplyTruncation(e, LastSequenceNr);
            BrokerMetrics.LogTruncations.Add(1);
            BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
            _logger.Warning("[{0}] truncated the log from offset {1} back to {2}: the leader (broker {3}) does not have those records", _tp, before, e.Offset,
                _assignment?.Leader);
            if (session == _followerSession && _role == Role.Follower) SendReplicaFetch();
        });
    }

    private void SendReplicaFetch()
    {
        _followerCorrelation++;
        SendToLeader(new ReplicaFetchRequest(_tp, _brokerId, LeaderEpoch, _log.LogEndOffset, _replicationSettings.ReplicaFetchMaxBytes,
            _replicationSettings.ReplicaFetchWaitMaxMs, _followerCorrelation));
        Timers.StartSingleTimer("follower-timeout", new FollowerFetchTimedOut(_followerCorrelation, EpochLookup: false),
            TimeSpan.FromMilliseconds(_replicationSettings.ReplicaFetchWaitMaxMs + _replicationSettings.ReplicaSocketTimeoutMs));
    }

    private void OnReplicaFetchResponse(ReplicaFetchResponse response)
    {
        if (_role != Role.Follower || response.CorrelationId != _followerCorrelation) return;
        Timers.Cancel("follower-timeout");
        switch (response.Error)
        {
            case ErrorCode.None:
                break;
            case ErrorCode.OffsetOutOfRange when response.LogStartOffset > _log.LogEndOffset && !_log.HasPendingWrites:
                ResetToLeaderLogStart(response.LogStartOffset);
                return;
            case ErrorCode.OffsetOutOfRange:
                // The leader's log does not reach ours: find the common point again.
                StartFollowing();
                return;
            default:
                _logger.Info("[{0}] leader {1} answered the fetch from offset {2} with {3} ({4}); retrying in {5} ms", _tp, _assignment?.Leader,
                    _log.LogEndOffset, response.Error.KafkaName(), response.ErrorMessage, _replicationSettings.ReplicaFetchBackoffMs);
                _leaderReplica = null;
                FollowerBackoff();
                return;
        }
        _leaderReplica = Sender;
        if (response.Records.Length == 0)
        {
            FollowerHighWatermark(response.HighWatermark);
            SendReplicaFetch();
            return;
        }
        var now = NowMs();
        var events = new List<BatchAppended>();
        foreach (var batch in RecordBatch.ReadAll(response.Records))
        {
            var bytes = batch.Bytes.ToArray();
            if (_log.PrepareFollowerAppend(bytes, now) is { } problem)
            {
                _logger.Warning("[{0}] refused a batch from leader {1}: {2}", _tp, _assignment?.Leader, problem);
                break;
            }
            events.Add(new BatchAppended(bytes));
        }
        if (events.Count == 0)
        {
            FollowerBackoff();
            return;
        }
        var session = _followerSession;
        var last = events[^1];
        PersistAll(events, e =>
        {
            _log.OnPersisted(e.Batch, LastSequenceNr);
            _eventsSinceSnapshot++;
            if (!ReferenceEquals(e, last)) return;
            BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
            FollowerHighWatermark(response.HighWatermark);
            MaybeSnapshot();
            if (session == _followerSession && _role == Role.Follower) SendReplicaFetch();
        });
    }

    /// <summary>
    /// Everything this follower has lies below its leader's log start (retention removed it there while this broker was
    /// away): the log is emptied and fetching starts at the leader's log start, as Kafka's followers do.
    /// </summary>
    private void ResetToLeaderLogStart(long leaderLogStart)
    {
        var session = _followerSession;
        var from = _log.LogEndOffset;
        AbandonCleaning();
        Persist(new LogReset(leaderLogStart), e =>
        {
            _log.ApplyReset(e, LastSequenceNr);
            _logStartSequenceNr = LastSequenceNr;
            _snapshotWanted = true;
            MaybeSnapshot();
            BrokerMetrics.SetLogEndOffset(_tp, _log.DurableEnd);
            PublishLogExtent();
            _logger.Warning("[{0}] the leader's log starts at {1}, past this replica's log end {2}: the log was emptied and fetching starts there", _tp,
                leaderLogStart, from);
            if (session == _followerSession && _role == Role.Follower) SendReplicaFetch();
        });
    }

    // ---------------------------------------------------------------- retention and compaction

    private void StartLogMaintenance()
    {
        var cleaner = _settings.LogCleaner;
        var interval = Math.Min(cleaner.CleanerBackoffMs, cleaner.RetentionCheckIntervalMs);
        Timers.StartPeriodicTimer(nameof(LogMaintenanceTick), new LogMaintenanceTick(), TimeSpan.FromMilliseconds(interval));
        _lastRetentionCheckMs = NowMs();
        PublishLogExtent();
    }

    private void PublishLogExtent() => BrokerMetrics.SetLogExtent(_tp, _log.SizeBytes, _log.DirtyRatio(NowMs()), _log.LogStartOffset);

    private void OnLogMaintenanceTick()
    {
        if (!_log.Exists) return;
        var now = NowMs();
        PublishLogExtent();
        // A snapshot wanted for a retention that came while writes were in flight.
        MaybeSnapshot();
        if (now - _lastRetentionCheckMs >= _settings.LogCleaner.RetentionCheckIntervalMs)
        {
            _lastRetentionCheckMs = now;
            ApplyRetention(now);
        }
        if (_cleaning && now - _cleaningSinceMs > TimeSpan.FromMinutes(30).TotalMilliseconds)
        {
            _logger.Warning("[{0}] the log cleaner has not answered for 30 minutes; asking again", _tp);
            AbandonCleaning();
        }
        if (_cleaning || !_settings.LogCleaner.CleanerEnable || now < _cleaningRetryAtMs || _log.Config is not { } config) return;
        var plan = _log.PlanCleaning(now, _snapshotSequenceNr);
        // Segments past the latest snapshot are due too: a snapshot lets the next check clean them.
        if (_log.PlanCleaning(now) is { } full && full.EndOffset > (plan?.EndOffset ?? -1))
        {
            _snapshotWanted = true;
            MaybeSnapshot();
        }
        if (plan != null)
        {
            _cleaning = true;
            _cleaningSinceMs = now;
            var horizon = config.DeleteRetentionMs >= now ? long.MinValue : now - config.DeleteRetentionMs;
            Context.ActorSelection("/user/" + LogCleaner.Name).Tell(new LogCleaner.CleanLog(_tp, PersistenceId, plan, horizon, ++_cleaningId));
        }
    }

    /// <summary>
    /// Removes the segments past retention: the new log start is journaled, then a snapshot that holds it is saved,
    /// and only then are the journal events below it deleted (recovery must never need them).
    /// </summary>
    private void ApplyRetention(long now)
    {
        if (_log.PlanRetention(now) is not { } plan) return;
        var segments = _log.Segments.Count(x => x.BaseOffset < plan.Offset);
        Persist(plan, e =>
        {
            var from = _log.LogStartOffset;
            _log.ApplyLogStart(e, LastSequenceNr);
            _logStartSequenceNr = LastSequenceNr;
            _snapshotWanted = true;
            BrokerMetrics.RetentionDeletedSegments.Add(segments);
            _logger.Info("[{0}] retention removed {1} segment(s): the log starts at {2} (was {3}), {4} bytes left", _tp, segments, e.Offset, from, _log.SizeBytes);
            PublishLogExtent();
            // Long polls parked below the new start are answered now (with OFFSET_OUT_OF_RANGE).
            WakeParkedFetches();
            MaybeSnapshot();
        });
    }

    /// <summary>Once a snapshot holds the latest log start, the journal events below it go (SQLite reuses their pages).</summary>
    private void DeleteJournalBelowLogStart(long snapshotSequenceNr)
    {
        if (_logStartSequenceNr < 0 || snapshotSequenceNr < _logStartSequenceNr || _log.Deleted) return;
        // Never past the snapshot: later events (a config change, a truncation) are needed by recovery.
        var upTo = Math.Min(_log.FirstLiveSequenceNr - 1, snapshotSequenceNr);
        if (upTo <= _journalDeletedTo) return;
        _journalDeletedTo = upTo;
        DeleteMessages(upTo);
    }

    /// <summary>The log changed under a cleaning in flight (reset, truncated, deleted): its answer will be about another log.</summary>
    private void AbandonCleaning()
    {
        _cleaningId++;
        _cleaning = false;
    }

    private void OnCleaned(LogCleaner.Cleaned cleaned)
    {
        if (cleaned.CleaningId != _cleaningId) return;
        Persist(new LogCleaned(cleaned.CleanedUpTo, cleaned.SegmentBytes), e =>
        {
            _cleaning = false;
            _log.ApplyCleaned(e, LastSequenceNr);
            _eventsSinceSnapshot++;
            PublishLogExtent();
        });
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

    private void FollowerHighWatermark(long leaderHighWatermark) => _log.AdvanceHighWatermark(Math.Min(leaderHighWatermark, _log.DurableEnd));

    // ---------------------------------------------------------------- delete

    private void HandleDelete(DeletePartition command)
    {
        var replyTo = Sender;
        if (!_log.Exists)
        {
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            return;
        }
        AbandonCleaning();
        Persist(new PartitionDeleted(), _ =>
        {
            _log.ApplyDeleted(LastSequenceNr);
            foreach (var p in _parked.Values)
                p.ReplyTo.Tell(FetchError(p.Request, ErrorCode.UnknownTopicOrPartition, $"{_tp} was deleted"));
            _parked.Clear();
            LeaveRole();
            _role = Role.None;
            _assignment = null;
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
