using Akka.Actor;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// A partition leader's replication, with Kafka's rules and no actor or I/O (every call takes the time). One instance
/// lives for one leader epoch; it is the only code that moves the log's high watermark while this replica leads.
/// <list type="bullet">
/// <item>A follower's fetch from offset <c>o</c> says it has every record below <c>o</c> (its log end offset).</item>
/// <item>A follower is caught up at the time of a fetch whose offset reaches the leader's log end then, or reaches the
/// leader's log end at its previous fetch (Kafka's lastCaughtUpTime); it is proposed out of the ISR when it has not been
/// caught up for <c>replica.lag.time.max.ms</c> (unless it is at the leader's log end), and proposed back once its fetch
/// offset reaches both the high watermark and the first offset of this leader's epoch (KAFKA-7128).</item>
/// <item>ISR changes are proposals until the controller records them (Kafka's AlterPartition, one at a time). While a
/// proposal is pending, the high watermark counts the committed ISR and the proposal together (Kafka's "maximal ISR"):
/// a follower being added already holds it back, one being removed still does. A proposal whose answer never came is
/// still pending (the controller may have recorded it): it is sent again until an answer says what was recorded.
/// Only the answer to that very proposal, or a newer partition epoch from the controller, ends it: a late answer to an
/// earlier proposal never cancels a newer one.</item>
/// <item>The high watermark is the smallest log end offset in the maximal ISR, the leader included, and never moves
/// back. It is <see cref="HighWatermarkEstablished"/> once it reaches the first offset of this epoch: before that a new
/// leader cannot tell where the previous one's ended (Kafka answers list-offsets with OFFSET_NOT_AVAILABLE).</item>
/// <item>acks=all: a write is refused NOT_ENOUGH_REPLICAS when the committed ISR is below <c>min.insync.replicas</c>,
/// and completes once the high watermark passes its last offset, NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank
/// below the minimum meanwhile, REQUEST_TIMED_OUT at its deadline.</item>
/// </list>
/// </summary>
public sealed class LeaderRole
{
    private sealed class Follower
    {
        public long LogEndOffset = -1;
        public long LastCaughtUpMs;
        public long LastFetchMs;
        public long LeaderLogEndAtLastFetch;
    }

    /// <summary>An ISR proposed to the controller at partition epoch <c>BasedOn</c>; <c>Id</c> names it in the answer.</summary>
    private sealed record Proposal(long Id, int[] Isr, int BasedOn);

    /// <summary>An acks=all write (or its retry) waiting for the high watermark to pass <c>EndOffset</c>.</summary>
    private sealed record Waiter(long EndOffset, IActorRef ReplyTo, ProduceResponse Reply, long DeadlineMs);

    private readonly PartitionLog _log;
    private readonly int _leaderId;
    private readonly long _lagTimeMaxMs;
    private readonly TimeSpan _proposalTimeout;
    private readonly Dictionary<int, Follower> _followers = new();
    private readonly LinkedList<Waiter> _awaiting = new();
    private SortedSet<int> _isr;
    private Proposal? _pending;
    private bool _proposalInFlight;
    private long _nextProposalId;

    /// <param name="assignment">The leadership the controller recorded, led by <paramref name="leaderId"/>.</param>
    /// <param name="proposalTimeout">How long an ISR proposal waits for the controller's answer before it is sent again.</param>
    public LeaderRole(int leaderId, PartitionAssignment assignment, PartitionLog log, long lagTimeMaxMs, TimeSpan proposalTimeout, long nowMs)
    {
        if (assignment.Leader != leaderId || !assignment.Replicas.Contains(leaderId))
            throw new ArgumentException($"broker {leaderId} does not lead {log.TopicPartition} in {assignment}", nameof(assignment));
        _leaderId = leaderId;
        _log = log;
        _lagTimeMaxMs = lagTimeMaxMs;
        _proposalTimeout = proposalTimeout;
        Assignment = assignment;
        EpochStartOffset = log.LogEndOffset;
        _isr = IsrOf(assignment.Isr);
        // A new leader gives every follower a full lag period before judging it (Kafka resets lastCaughtUpTime too).
        foreach (var r in assignment.Replicas.Where(r => r != leaderId))
            _followers[r] = new Follower { LastCaughtUpMs = nowMs, LastFetchMs = nowMs, LeaderLogEndAtLastFetch = log.DurableEnd };
    }

    /// <summary>The leadership as last recorded by the controller (its ISR is <see cref="Isr"/>).</summary>
    public PartitionAssignment Assignment { get; private set; }

    public int LeaderEpoch => Assignment.LeaderEpoch;

    /// <summary>The first offset of this leader's epoch: the log end when it took over.</summary>
    public long EpochStartOffset { get; }

    /// <summary>Whether the high watermark has caught up with everything the previous leaders could have committed.</summary>
    public bool HighWatermarkEstablished => _log.HighWatermark >= EpochStartOffset;

    /// <summary>The ISR the controller recorded.</summary>
    public IReadOnlyCollection<int> Isr => _isr;

    /// <summary>The ISR proposed to the controller and not yet answered or superseded, or null.</summary>
    public IReadOnlyCollection<int>? PendingIsr => _pending?.Isr;

    /// <summary>Whether <paramref name="replicaId"/> is a follower of this partition.</summary>
    public bool IsFollower(int replicaId) => _followers.ContainsKey(replicaId);

    /// <summary>A follower's log end offset as its last fetch said (-1 before its first).</summary>
    public long FollowerLogEnd(int replicaId) => _followers[replicaId].LogEndOffset;

    /// <summary>Whether an acks=all write may be appended now.</summary>
    public ErrorCode CheckBeforeAppend(int minInsyncReplicas) =>
        _isr.Count < minInsyncReplicas ? ErrorCode.NotEnoughReplicas : ErrorCode.None;

    /// <summary>The leader's own log grew (a write reached its journal).</summary>
    public void Appended(ReplicaEffects fx) => MaybeAdvanceHighWatermark(fx);

    /// <summary>Holds an acks=all write's answer until the high watermark passes <paramref name="endOffset"/>.</summary>
    public void AwaitReplication(long endOffset, IActorRef replyTo, ProduceResponse reply, long deadlineMs, ReplicaEffects fx)
    {
        var waiter = new Waiter(endOffset, replyTo, reply, deadlineMs);
        var node = _awaiting.Last;
        while (node != null && node.Value.EndOffset > endOffset) node = node.Previous;
        if (node == null) _awaiting.AddFirst(waiter);
        else _awaiting.AddAfter(node, waiter);
        CompleteReplicatedWrites(fx);
    }

    /// <summary>A follower fetched from <paramref name="fetchOffset"/>, its log end (the actor checked it is within the leader's log).</summary>
    public void FollowerFetched(int followerId, long fetchOffset, long nowMs, ReplicaEffects fx)
    {
        if (!_followers.TryGetValue(followerId, out var f))
            throw new ArgumentException($"broker {followerId} is not a follower of {_log.TopicPartition}", nameof(followerId));
        var leaderEnd = _log.DurableEnd;
        if (fetchOffset > leaderEnd)
            throw new ArgumentException($"follower {followerId} fetched from {fetchOffset}, beyond the leader's log end {leaderEnd}: it must truncate first", nameof(fetchOffset));
        if (fetchOffset >= leaderEnd) f.LastCaughtUpMs = Math.Max(f.LastCaughtUpMs, nowMs);
        else if (fetchOffset >= f.LeaderLogEndAtLastFetch) f.LastCaughtUpMs = Math.Max(f.LastCaughtUpMs, f.LastFetchMs);
        f.LogEndOffset = fetchOffset;
        f.LastFetchMs = nowMs;
        f.LeaderLogEndAtLastFetch = leaderEnd;
        if (_pending == null && !_isr.Contains(followerId) && fetchOffset >= Math.Max(_log.HighWatermark, EpochStartOffset))
            Propose(new SortedSet<int>(_isr) { followerId }, fx);
        MaybeAdvanceHighWatermark(fx);
    }

    /// <summary>The periodic check: lagging followers out of the ISR, an unanswered proposal again, overdue acks=all writes answered.</summary>
    public void Tick(long nowMs, ReplicaEffects fx)
    {
        if (_pending != null && !_proposalInFlight) SendProposal(fx);
        if (_pending == null)
        {
            var removed = _isr.Where(r => r != _leaderId && _followers[r].LogEndOffset != _log.DurableEnd && nowMs - _followers[r].LastCaughtUpMs > _lagTimeMaxMs).ToArray();
            if (removed.Length > 0) Propose(new SortedSet<int>(_isr.Except(removed)), fx);
        }
        var node = _awaiting.First;
        while (node != null)
        {
            var next = node.Next;
            if (node.Value.DeadlineMs <= nowMs)
            {
                _awaiting.Remove(node);
                fx.Reply(node.Value.ReplyTo, node.Value.Reply with
                {
                    Error = ErrorCode.RequestTimedOut, BaseOffset = -1,
                    ErrorMessage = $"{_log.TopicPartition}: the batch was written by the leader but not replicated to the in-sync replicas ({string.Join(",", _isr)}) in time",
                });
            }
            node = next;
        }
    }

    /// <summary>
    /// The controller's answer to proposal <paramref name="proposalId"/> (<paramref name="response"/>), or none within the
    /// timeout (<paramref name="failure"/>): then the outcome is unknown and the proposal stays pending, to be sent again.
    /// </summary>
    public void ProposalAnswered(long proposalId, AlterPartitionResponse? response, string? failure, ReplicaEffects fx)
    {
        // Whatever the error, and whichever proposal it answers, an assignment newer than ours is what the controller recorded: take it.
        if (response?.Assignment is { } recorded && recorded.Leader == _leaderId && recorded.LeaderEpoch == LeaderEpoch
            && recorded.PartitionEpoch > Assignment.PartitionEpoch)
        {
            Commit(recorded, fx);
            return;
        }
        // An answer to an earlier proposal (superseded by a newer partition epoch) says nothing about the pending one.
        if (_pending == null || proposalId != _pending.Id) return;
        _proposalInFlight = false;
        if (response == null)
        {
            fx.Warning($"the controller did not answer the proposed in-sync replicas {string.Join(",", _pending.Isr)} ({failure}); " +
                       "they still count for the high watermark and are proposed again");
            return;
        }
        if (response.Error == ErrorCode.None)
        {
            // Recorded already (the ISR was unchanged), or older news than what the controller pushed meanwhile.
            if (response.Assignment?.PartitionEpoch == Assignment.PartitionEpoch) _pending = null;
            return;
        }
        fx.Warning($"the controller did not record the proposed in-sync replicas {string.Join(",", _pending.Isr)}: " +
                   $"{response.Error.KafkaName()} {response.ErrorMessage}");
        _pending = null;
    }

    /// <summary>The controller sent this leadership again (same leader epoch): a newer partition epoch carries an ISR it recorded.</summary>
    public void AssignmentUpdated(PartitionAssignment next, ReplicaEffects fx)
    {
        if (next.Leader != _leaderId || next.LeaderEpoch != LeaderEpoch)
            throw new ArgumentException($"{_log.TopicPartition}: {next} is another leadership than epoch {LeaderEpoch} of broker {_leaderId}", nameof(next));
        // The same partition epoch says nothing new: a pending proposal stays pending.
        if (next.PartitionEpoch > Assignment.PartitionEpoch) Commit(next, fx);
    }

    /// <summary>This replica stops leading: every acks=all write still waiting is answered with <paramref name="code"/>.</summary>
    public void Resign(ErrorCode code, string message, ReplicaEffects fx)
    {
        foreach (var w in _awaiting) fx.Reply(w.ReplyTo, w.Reply with { Error = code, ErrorMessage = message, BaseOffset = -1 });
        _awaiting.Clear();
    }

    private void Propose(SortedSet<int> isr, ReplicaEffects fx)
    {
        _pending = new Proposal(++_nextProposalId, isr.ToArray(), Assignment.PartitionEpoch);
        fx.Info($"proposes in-sync replicas {string.Join(",", isr)} (now {string.Join(",", _isr)})");
        SendProposal(fx);
    }

    private void SendProposal(ReplicaEffects fx)
    {
        _proposalInFlight = true;
        fx.Add(new ReplicaEffect.AskController(
            new AlterPartitionRequest(_log.TopicPartition, _leaderId, LeaderEpoch, _pending!.BasedOn, _pending.Isr), _proposalTimeout, _pending.Id));
    }

    private void Commit(PartitionAssignment recorded, ReplicaEffects fx)
    {
        var before = _isr.Count;
        Assignment = recorded;
        _isr = IsrOf(recorded.Isr);
        // A proposal in flight is superseded: its answer, when it comes, is for an older partition epoch.
        _pending = null;
        _proposalInFlight = false;
        if (_isr.Count < before) BrokerMetrics.IsrShrinks.Add(1);
        else if (_isr.Count > before) BrokerMetrics.IsrExpands.Add(1);
        fx.Info($"in-sync replicas are now {string.Join(",", _isr)} (partition epoch {recorded.PartitionEpoch})");
        MaybeAdvanceHighWatermark(fx);
    }

    private SortedSet<int> IsrOf(IEnumerable<int> isr) => new(isr.Where(Assignment.Replicas.Contains)) { _leaderId };

    private void MaybeAdvanceHighWatermark(ReplicaEffects fx)
    {
        var candidate = _log.DurableEnd;
        foreach (var r in _pending == null ? _isr : _isr.Union(_pending.Isr))
            if (r != _leaderId && _followers.TryGetValue(r, out var f)) candidate = Math.Min(candidate, f.LogEndOffset);
        if (_log.AdvanceHighWatermark(candidate)) fx.Add(new ReplicaEffect.WakeParkedFetches());
        CompleteReplicatedWrites(fx);
    }

    /// <summary>Answers the acks=all writes the high watermark has passed.</summary>
    private void CompleteReplicatedWrites(ReplicaEffects fx)
    {
        if (_log.Config is not { } config) return;
        while (_awaiting.First is { } first && first.Value.EndOffset <= _log.HighWatermark)
        {
            _awaiting.RemoveFirst();
            var w = first.Value;
            fx.Reply(w.ReplyTo, _isr.Count >= config.MinInsyncReplicas
                ? w.Reply
                : w.Reply with
                {
                    Error = ErrorCode.NotEnoughReplicasAfterAppend,
                    ErrorMessage = $"{_log.TopicPartition}: the batch was written, but the in-sync replicas ({string.Join(",", _isr)}) fell below min.insync.replicas " +
                                   $"{config.MinInsyncReplicas} before it was replicated",
                });
        }
    }
}
