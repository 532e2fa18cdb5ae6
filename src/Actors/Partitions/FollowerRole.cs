using Akka.Actor;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// A follower's replication loop for one leader epoch, as an explicit state machine with no actor or I/O. Kafka's
/// rules: before fetching, a follower learns where its log stops agreeing with the leader's (OffsetsForLeaderEpoch)
/// and truncates there, asking again after every truncation until its last epoch and the leader agree (KIP-279: after
/// several unclean elections one answer is not enough); then it fetches from its log end, journals what it gets and
/// takes the leader's high watermark.
/// <code>
///             Start (log empty) ------------------------------------------+
///   (start) --Start--> EpochLookup --answer: nothing past the agreed end--> Fetching &lt;-----------------+
///                       ^   |  ^                                           |   |   \                   |
///                       |   |  +--------- OFFSET_OUT_OF_RANGE -------------+   |    +--records--> Appending
///          Truncated ---+   +--answer: cut back to offset T--> Truncating &lt;---+ leader's log starts past ours (reset)
///     (ask again)              (read the journal, journal the cut)
///   an error from the leader ---> Backoff --replica.fetch.backoff.ms--> Start;  any --Stop--> Stopped
///   a reassignment's new replica, not yet in sync: Appending --> Throttled --bytes/throttle rate--> Fetching
///   no answer in time: the same request again, through the leader's gateway (same state)
/// </code>
/// Every answer carries the correlation id of the request it answers; answers to an older request, or to an earlier
/// leadership, are dropped. An input that the current state cannot take (say, <see cref="Appended"/> while fetching)
/// is a broken invariant and throws.
/// </summary>
public sealed class FollowerRole
{
    public enum State { Idle, EpochLookup, Truncating, Fetching, Appending, Backoff, Throttled, Stopped }

    /// <summary>Timer: the backoff of leadership <c>Session</c> is over.</summary>
    public sealed record RetryDue(long Session);

    /// <summary>Timer: request <c>CorrelationId</c> had no answer in time.</summary>
    public sealed record AnswerOverdue(long CorrelationId);

    /// <summary>What a journal read for a truncation to <c>Target</c> was for.</summary>
    public sealed record TruncationRead(long Target, long Session);

    public const string RetryTimer = "follower-retry";
    public const string TimeoutTimer = "follower-timeout";

    private static readonly HashSet<(State From, State To)> Legal =
    [
        (State.Idle, State.EpochLookup), (State.Idle, State.Fetching), (State.Idle, State.Backoff),
        (State.Backoff, State.EpochLookup), (State.Backoff, State.Fetching), (State.Backoff, State.Backoff),
        (State.EpochLookup, State.EpochLookup), (State.EpochLookup, State.Truncating), (State.EpochLookup, State.Fetching), (State.EpochLookup, State.Backoff),
        (State.Truncating, State.EpochLookup), (State.Truncating, State.Fetching), (State.Truncating, State.Backoff),
        (State.Fetching, State.Fetching), (State.Fetching, State.Appending), (State.Fetching, State.EpochLookup), (State.Fetching, State.Truncating),
        (State.Fetching, State.Backoff),
        (State.Appending, State.Fetching), (State.Appending, State.Throttled),
        (State.Throttled, State.Fetching),
    ];

    private readonly int _brokerId;
    private readonly PartitionLog _log;
    private readonly ReplicationSettings _settings;
    private long _correlation;
    private long _truncationTarget = -1;
    private long _repairFrom;
    // The leader's high watermark from the fetch whose batches are being journaled.
    private long _pendingHighWatermark;
    // The leader's log start from its last fetch answer: DeleteRecords (or retention) there moves this replica's too.
    private long _leaderLogStart;
    // A reassignment's replication throttle (bytes/s, 0: none) and the bytes of the fetch being journaled.
    private long _throttleBytesPerSecond;
    private long _pendingBytes;

    /// <param name="session">Differs for every leadership this replica follows, so answers to an earlier one are recognised.</param>
    /// <param name="repairFrom">Where this replica found its own log corrupt (-1: nowhere): it is cut back at least there and fetched again.</param>
    /// <param name="throttleBytesPerSecond">
    /// The most bytes per second this replica copies (Kafka's follower.replication.throttled.rate, set for a
    /// reassignment's new replicas); 0 for no limit.
    /// </param>
    public FollowerRole(int brokerId, PartitionAssignment assignment, BrokerInfo leader, PartitionLog log, ReplicationSettings settings, long session,
        long repairFrom = -1, long throttleBytesPerSecond = 0)
    {
        _repairFrom = repairFrom;
        _throttleBytesPerSecond = throttleBytesPerSecond;
        if (assignment.Leader == brokerId || !assignment.Replicas.Contains(brokerId))
            throw new ArgumentException($"broker {brokerId} cannot follow {log.TopicPartition} in {assignment}", nameof(assignment));
        _brokerId = brokerId;
        _log = log;
        _settings = settings;
        Assignment = assignment;
        LeaderEndpoint = leader;
        Session = session;
        // Correlation ids of different sessions never meet: a late answer to an earlier leadership is dropped.
        _correlation = session << 32;
    }

    public State Current { get; private set; } = State.Idle;

    public long Session { get; }

    public PartitionAssignment Assignment { get; private set; }

    public int LeaderEpoch => Assignment.LeaderEpoch;

    /// <summary>The leader broker's address, for its gateway.</summary>
    public BrokerInfo LeaderEndpoint { get; private set; }

    /// <summary>The leader replica's actor once it answered (watched), else null: requests go through the gateway.</summary>
    public IActorRef? LeaderReplica { get; private set; }

    /// <summary>The correlation id of the request in flight.</summary>
    public long CorrelationId => _correlation;

    /// <summary>Begins (or resumes after a backoff): an epoch lookup, or a fetch when the log is empty.</summary>
    public void Start(ReplicaEffects fx)
    {
        if (_log.HasPendingWrites)
        {
            // Writes from the time this replica led are still in flight: a truncation must see them in the journal.
            Backoff(fx, TimeSpan.FromMilliseconds(10));
            return;
        }
        if (_log.LogEndOffset == _log.LogStartOffset) SendFetch(fx);
        else SendEpochLookup(fx);
    }

    /// <summary>The most bytes per second this replica copies while not in sync (0: no limit).</summary>
    public long ThrottleBytesPerSecond => _throttleBytesPerSecond;

    /// <summary>A new throttle rate (the broker's dynamic config changed), in force from the next fetch.</summary>
    public void Rethrottle(long bytesPerSecond) => _throttleBytesPerSecond = bytesPerSecond;

    /// <summary>The same leadership again, perhaps with the leader at a new address.</summary>
    public void AssignmentUpdated(PartitionAssignment next, BrokerInfo? leader)
    {
        if (next.Leader != Assignment.Leader || next.LeaderEpoch != LeaderEpoch)
            throw new ArgumentException($"{_log.TopicPartition}: {next} is another leadership than epoch {LeaderEpoch} of broker {Assignment.Leader}", nameof(next));
        if (next.PartitionEpoch >= Assignment.PartitionEpoch) Assignment = next;
        if (leader != null && leader != LeaderEndpoint)
        {
            LeaderEndpoint = leader;
            LeaderReplica = null;
        }
    }

    public void RetryDueElapsed(RetryDue due, ReplicaEffects fx)
    {
        if (due.Session != Session) return;
        // A throttled follower's pause is over: it fetches on from where it is, as it would have at once.
        if (Current == State.Throttled) SendFetch(fx);
        else if (Current == State.Backoff) Start(fx);
    }

    /// <summary>The leader's answer to the epoch lookup.</summary>
    public void EpochAnswered(OffsetForLeaderEpochResponse response, IActorRef leaderReplica, ReplicaEffects fx)
    {
        if (response.CorrelationId != _correlation || Current != State.EpochLookup) return;
        fx.Add(new ReplicaEffect.CancelTimer(TimeoutTimer));
        if (response.Error != ErrorCode.None)
        {
            fx.Info($"leader {Assignment.Leader} answered the epoch lookup with {response.Error.KafkaName()} ({response.ErrorMessage}); retrying");
            ForgetLeaderReplica();
            Backoff(fx);
            return;
        }
        KnowLeaderReplica(leaderReplica, fx);
        // Kafka's rule: cut back to where the leader's copy of our last common epoch ends, never beyond our own end for it.
        var ours = response.LeaderEpoch < 0 ? (Epoch: -1, EndOffset: -1L) : _log.EndOffsetForEpoch(response.LeaderEpoch);
        var target = ours.Epoch < 0 ? _log.LogStartOffset : Math.Min(response.EndOffset, ours.EndOffset);
        if (_repairFrom >= 0) target = Math.Min(target, _repairFrom);
        if (target >= _log.LogEndOffset || _log.PlanTruncation(target) is not { } range)
        {
            SendFetch(fx);
            return;
        }
        MoveTo(State.Truncating);
        _truncationTarget = target;
        fx.Add(new ReplicaEffect.ReadJournal(range.FromSequenceNr, range.ToSequenceNr, new TruncationRead(target, Session)));
    }

    /// <summary>The journal events a truncation must look at; <paramref name="error"/> when the read failed.</summary>
    public void TruncationEventsRead(TruncationRead read, IReadOnlyList<(long SequenceNr, byte[] Batch)> events, string? error, ReplicaEffects fx)
    {
        if (read.Session != Session || Current != State.Truncating || read.Target != _truncationTarget) return;
        if (error != null)
        {
            fx.Warning($"could not read the journal to truncate to offset {read.Target}: {error}; retrying");
            Backoff(fx);
            return;
        }
        if (_log.DecideTruncation(events, read.Target) is not { } truncation)
        {
            SendFetch(fx);
            return;
        }
        fx.Add(new ReplicaEffect.Persist([truncation]));
    }

    /// <summary>A truncation (or a reset to the leader's log start) was journaled and applied: ask again where the logs agree.</summary>
    public void Truncated(ReplicaEffects fx)
    {
        if (Current != State.Truncating) throw new InvalidOperationException($"{_log.TopicPartition}: a truncation was applied while the follower was {Current}");
        _truncationTarget = -1;
        if (_log.LogEndOffset <= _repairFrom) _repairFrom = -1;
        if (_log.LogEndOffset == _log.LogStartOffset) SendFetch(fx);
        else SendEpochLookup(fx);
    }

    /// <summary>The leader's answer to a fetch.</summary>
    public void FetchAnswered(ReplicaFetchResponse response, IActorRef leaderReplica, long nowMs, ReplicaEffects fx)
    {
        if (response.CorrelationId != _correlation || Current != State.Fetching) return;
        fx.Add(new ReplicaEffect.CancelTimer(TimeoutTimer));
        switch (response.Error)
        {
            case ErrorCode.None:
                break;
            case ErrorCode.OffsetOutOfRange when response.LogStartOffset > _log.LogEndOffset && !_log.HasPendingWrites:
                // Everything here lies below the leader's log start (retention removed it there while this broker was
                // away): empty the log and fetch from the leader's start, as Kafka's followers do.
                MoveTo(State.Truncating);
                fx.Warning($"the leader's log starts at {response.LogStartOffset}, past this replica's log end {_log.LogEndOffset}: the log is emptied and fetching starts there");
                fx.Add(new ReplicaEffect.Persist([new LogReset(response.LogStartOffset)]));
                return;
            case ErrorCode.OffsetOutOfRange:
                // The leader's log does not reach ours: find the common point again.
                SendEpochLookup(fx);
                return;
            default:
                fx.Info($"leader {Assignment.Leader} answered the fetch from offset {_log.LogEndOffset} with {response.Error.KafkaName()} ({response.ErrorMessage}); " +
                        $"retrying in {_settings.ReplicaFetchBackoffMs} ms");
                ForgetLeaderReplica();
                Backoff(fx);
                return;
        }
        KnowLeaderReplica(leaderReplica, fx);
        _leaderLogStart = response.LogStartOffset;
        if (response.Records.Length == 0)
        {
            TakeHighWatermark(response.HighWatermark, fx);
            SendFetch(fx);
            return;
        }
        var events = new List<object>();
        foreach (var batch in RecordBatch.ReadAll(response.Records))
        {
            var bytes = ByteArrays.CopyOf(batch.Bytes.Span);
            if (_log.PrepareFollowerAppend(bytes, nowMs) is { } problem)
            {
                fx.Warning($"refused a batch from leader {Assignment.Leader}: {problem}");
                break;
            }
            events.Add(new BatchAppended(bytes));
        }
        if (events.Count == 0)
        {
            Backoff(fx);
            return;
        }
        MoveTo(State.Appending);
        _pendingHighWatermark = response.HighWatermark;
        _pendingBytes = response.Records.Length;
        fx.Add(new ReplicaEffect.Persist(events));
    }

    /// <summary>The batches of the last fetch are journaled and applied to the log: take the leader's high watermark, fetch on.</summary>
    public void Appended(ReplicaEffects fx)
    {
        if (Current != State.Appending) throw new InvalidOperationException($"{_log.TopicPartition}: fetched batches were applied while the follower was {Current}");
        TakeHighWatermark(_pendingHighWatermark, fx);
        // Throttled only while it catches up: once in sync, acks=all writes wait for it, as Kafka stops throttling then.
        if (!Assignment.Isr.Contains(_brokerId) && ThrottleDelay(_pendingBytes, _throttleBytesPerSecond) is { } pause)
        {
            MoveTo(State.Throttled);
            fx.Add(new ReplicaEffect.StartTimer(RetryTimer, new RetryDue(Session), pause));
        }
        else SendFetch(fx);
    }

    /// <summary>How long a throttled follower waits after copying <paramref name="bytes"/>, so it averages at most <paramref name="bytesPerSecond"/>; null for no wait.</summary>
    public static TimeSpan? ThrottleDelay(long bytes, long bytesPerSecond)
    {
        if (bytesPerSecond <= 0) return null;
        var ms = bytes * 1000.0 / bytesPerSecond;
        return ms >= 1 ? TimeSpan.FromMilliseconds(ms) : null;
    }

    /// <summary>The request in flight had no answer in time: send it again through the leader's gateway.</summary>
    public void AnswerOverdueElapsed(AnswerOverdue overdue, ReplicaEffects fx)
    {
        if (overdue.CorrelationId != _correlation || Current is not (State.EpochLookup or State.Fetching)) return;
        fx.Warning($"request to leader {Assignment.Leader} had no answer within {_settings.ReplicaSocketTimeoutMs} ms; sending it again through the leader's gateway");
        ForgetLeaderReplica();
        // A follower fetches only once it has truncated to where it agrees with this leader.
        if (Current == State.EpochLookup) SendEpochLookup(fx);
        else SendFetch(fx);
    }

    /// <summary>
    /// The leader replica's actor stopped (its broker restarted it, or it moved): a request in flight to it is lost, so
    /// it goes again at once through the leader's gateway, starting with the epoch lookup (the restarted leader's log
    /// may have changed).
    /// </summary>
    public void LeaderReplicaStopped(IActorRef replica, ReplicaEffects fx)
    {
        if (!Equals(replica, LeaderReplica)) return;
        LeaderReplica = null;
        if (Current is State.EpochLookup or State.Fetching)
        {
            fx.Info($"the replica of leader {Assignment.Leader} stopped; looking it up again through its broker");
            fx.Add(new ReplicaEffect.CancelTimer(TimeoutTimer));
            Start(fx);
        }
    }

    /// <summary>Leadership moved on: nothing more is sent, and late answers are dropped.</summary>
    public void Stop(ReplicaEffects fx)
    {
        Current = State.Stopped;
        fx.Add(new ReplicaEffect.CancelTimer(TimeoutTimer));
        fx.Add(new ReplicaEffect.CancelTimer(RetryTimer));
    }

    private void SendEpochLookup(ReplicaEffects fx)
    {
        MoveTo(State.EpochLookup);
        _correlation++;
        fx.Add(new ReplicaEffect.SendToLeader(new OffsetForLeaderEpochRequest(_log.TopicPartition, _brokerId, LeaderEpoch, _log.LatestEpoch, _correlation),
            LeaderReplica, LeaderEndpoint));
        fx.Add(new ReplicaEffect.StartTimer(TimeoutTimer, new AnswerOverdue(_correlation), TimeSpan.FromMilliseconds(_settings.ReplicaSocketTimeoutMs)));
    }

    private void SendFetch(ReplicaEffects fx)
    {
        MoveTo(State.Fetching);
        _correlation++;
        // A throttled follower asks for at most a second's worth, so one answer does not overshoot the rate by much.
        var maxBytes = _throttleBytesPerSecond > 0 && !Assignment.Isr.Contains(_brokerId) ? (int)Math.Clamp(_throttleBytesPerSecond, 1, _settings.ReplicaFetchMaxBytes) : _settings.ReplicaFetchMaxBytes;
        fx.Add(new ReplicaEffect.SendToLeader(new ReplicaFetchRequest(_log.TopicPartition, _brokerId, LeaderEpoch, _log.LogEndOffset, maxBytes,
            _settings.ReplicaFetchWaitMaxMs, _correlation), LeaderReplica, LeaderEndpoint));
        fx.Add(new ReplicaEffect.StartTimer(TimeoutTimer, new AnswerOverdue(_correlation),
            TimeSpan.FromMilliseconds(_settings.ReplicaFetchWaitMaxMs + _settings.ReplicaSocketTimeoutMs)));
    }

    private void Backoff(ReplicaEffects fx, TimeSpan? delay = null)
    {
        MoveTo(State.Backoff);
        fx.Add(new ReplicaEffect.StartTimer(RetryTimer, new RetryDue(Session), delay ?? TimeSpan.FromMilliseconds(_settings.ReplicaFetchBackoffMs)));
    }

    private void TakeHighWatermark(long leaderHighWatermark, ReplicaEffects fx)
    {
        if (_log.AdvanceHighWatermark(Math.Min(leaderHighWatermark, _log.DurableEnd))) fx.Add(new ReplicaEffect.WakeParkedFetches());
        // As Kafka's followers do: the log starts where the leader's does, up to this replica's high watermark.
        var logStart = Math.Min(_leaderLogStart, _log.HighWatermark);
        if (logStart > _log.LogStartOffset) fx.Add(new ReplicaEffect.Persist([new RecordsDeleted(logStart)]));
    }

    private void KnowLeaderReplica(IActorRef replica, ReplicaEffects fx)
    {
        if (Equals(replica, LeaderReplica) || replica.IsNobody()) return;
        LeaderReplica = replica;
        fx.Add(new ReplicaEffect.WatchLeader(replica));
    }

    private void ForgetLeaderReplica() => LeaderReplica = null;

    /// <summary>The one place the state changes: an illegal transition is a bug, and says which.</summary>
    private void MoveTo(State next)
    {
        if (Current == State.Stopped) throw new InvalidOperationException($"{_log.TopicPartition}: the follower of epoch {LeaderEpoch} was stopped and cannot move to {next}");
        if (!Legal.Contains((Current, next))) throw new InvalidOperationException($"{_log.TopicPartition}: a follower cannot move from {Current} to {next}");
        Current = next;
    }
}
