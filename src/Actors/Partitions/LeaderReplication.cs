using AkkaBroker.Protocol;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// A partition leader's view of its followers, with Kafka's rules and no actor or I/O (every call takes the time):
/// <list type="bullet">
/// <item>A follower's fetch from offset <c>o</c> says it has every record below <c>o</c> (its log end offset).</item>
/// <item>A follower is caught up at the time of a fetch whose offset reaches the leader's log end then, or reaches the
/// leader's log end at its previous fetch (Kafka's lastCaughtUpTime); it is proposed out of the ISR when it has not been
/// caught up for <c>replica.lag.time.max.ms</c> (unless it is at the leader's log end), and proposed back once its fetch
/// offset reaches both the high watermark and the first offset of the leader's epoch (KAFKA-7128: a follower whose tail
/// may diverge from the new leader's must not count as in sync).</item>
/// <item>ISR changes are proposals until the controller records them (Kafka's AlterPartition, one at a time). Meanwhile
/// the high watermark is computed over the committed ISR and the proposal together (Kafka's "maximal ISR"): a follower
/// being added already holds it back, one being removed still does. It is the smallest log end offset among them (the
/// leader included), and never moves back.</item>
/// <item>acks=all: a write is refused NOT_ENOUGH_REPLICAS when the committed ISR is below <c>min.insync.replicas</c>,
/// and completes once the high watermark passes its last offset, NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank
/// below the minimum meanwhile.</item>
/// </list>
/// </summary>
public sealed class LeaderReplication
{
    private sealed class Follower
    {
        public long LogEndOffset;
        public long LastCaughtUpMs;
        public long LastFetchMs;
        public long LeaderLogEndAtLastFetch;
    }

    private readonly int _leaderId;
    private readonly long _lagTimeMaxMs;
    private readonly Dictionary<int, Follower> _followers = new();
    private SortedSet<int> _isr;
    private SortedSet<int>? _proposed;
    private readonly long _leaderEpochStartOffset;

    /// <param name="isr">The in-sync replicas the controller recorded (the leader among them).</param>
    /// <param name="leaderEpochStartOffset">The leader's log end offset when it became leader: the first offset of its epoch.</param>
    public LeaderReplication(int leaderId, IReadOnlyList<int> replicas, IEnumerable<int> isr, long leaderLogEnd, long highWatermark, long lagTimeMaxMs, long nowMs,
        long leaderEpochStartOffset = 0)
    {
        _leaderEpochStartOffset = leaderEpochStartOffset;
        if (!replicas.Contains(leaderId)) throw new ArgumentException($"leader {leaderId} is not among the replicas {string.Join(",", replicas)}", nameof(replicas));
        _leaderId = leaderId;
        _lagTimeMaxMs = lagTimeMaxMs;
        LeaderLogEnd = leaderLogEnd;
        HighWatermark = highWatermark;
        _isr = new SortedSet<int>(isr.Where(replicas.Contains)) { leaderId };
        // A new leader gives every follower a full lag period before judging it (Kafka resets lastCaughtUpTime too).
        foreach (var r in replicas.Where(r => r != leaderId))
            _followers[r] = new Follower { LogEndOffset = -1, LastCaughtUpMs = nowMs, LastFetchMs = nowMs, LeaderLogEndAtLastFetch = leaderLogEnd };
        MaybeAdvanceHighWatermark();
    }

    public long LeaderLogEnd { get; private set; }

    public long HighWatermark { get; private set; }

    /// <summary>The ISR the controller recorded.</summary>
    public IReadOnlyCollection<int> Isr => _isr;

    /// <summary>The ISR proposed to the controller and not answered yet, or null.</summary>
    public IReadOnlyCollection<int>? ProposedIsr => _proposed;

    /// <summary>Whether <paramref name="replicaId"/> is a follower of this partition.</summary>
    public bool IsFollower(int replicaId) => _followers.ContainsKey(replicaId);

    /// <summary>A follower's log end offset as its last fetch said (-1 before its first).</summary>
    public long FollowerLogEnd(int replicaId) => _followers[replicaId].LogEndOffset;

    /// <summary>The leader appended records; with no follower in the ISR the high watermark follows at once.</summary>
    public bool LeaderAppended(long logEndOffset)
    {
        LeaderLogEnd = logEndOffset;
        return MaybeAdvanceHighWatermark();
    }

    /// <summary>What changed when a follower fetched: the high watermark moved, or an ISR with the follower back in is to be proposed.</summary>
    public sealed record FetchOutcome(bool HighWatermarkMoved, IReadOnlyList<int>? ProposeIsr);

    public FetchOutcome FollowerFetched(int followerId, long fetchOffset, long nowMs)
    {
        if (!_followers.TryGetValue(followerId, out var f))
            throw new ArgumentException($"broker {followerId} is not a follower of this partition", nameof(followerId));
        if (fetchOffset > LeaderLogEnd)
            throw new ArgumentException($"follower {followerId} fetched from {fetchOffset}, beyond the leader's log end {LeaderLogEnd}: it must truncate first", nameof(fetchOffset));
        if (fetchOffset >= LeaderLogEnd) f.LastCaughtUpMs = Math.Max(f.LastCaughtUpMs, nowMs);
        else if (fetchOffset >= f.LeaderLogEndAtLastFetch) f.LastCaughtUpMs = Math.Max(f.LastCaughtUpMs, f.LastFetchMs);
        f.LogEndOffset = fetchOffset;
        f.LastFetchMs = nowMs;
        f.LeaderLogEndAtLastFetch = LeaderLogEnd;
        IReadOnlyList<int>? propose = null;
        if (_proposed == null && !_isr.Contains(followerId) && fetchOffset >= Math.Max(HighWatermark, _leaderEpochStartOffset))
        {
            _proposed = new SortedSet<int>(_isr) { followerId };
            propose = _proposed.ToArray();
        }
        return new FetchOutcome(MaybeAdvanceHighWatermark(), propose);
    }

    /// <summary>
    /// Proposes an ISR without the followers not caught up for replica.lag.time.max.ms; null when all are in sync or a
    /// proposal is already waiting for the controller.
    /// </summary>
    public IReadOnlyList<int>? ShrinkIsr(long nowMs)
    {
        if (_proposed != null) return null;
        var removed = _isr.Where(r => r != _leaderId && _followers[r].LogEndOffset != LeaderLogEnd && nowMs - _followers[r].LastCaughtUpMs > _lagTimeMaxMs).ToArray();
        if (removed.Length == 0) return null;
        _proposed = new SortedSet<int>(_isr.Except(removed));
        return _proposed.ToArray();
    }

    /// <summary>The controller recorded <paramref name="isr"/> (the answer to a proposal, or a change it made itself).</summary>
    public bool IsrCommitted(IEnumerable<int> isr)
    {
        _isr = new SortedSet<int>(isr.Where(r => r == _leaderId || _followers.ContainsKey(r))) { _leaderId };
        _proposed = null;
        return MaybeAdvanceHighWatermark();
    }

    /// <summary>The controller refused or did not answer the proposal: it may be made again.</summary>
    public void ProposalFailed() => _proposed = null;

    /// <summary>Whether an acks=all write may be appended now.</summary>
    public ErrorCode CheckBeforeAppend(int minInsyncReplicas) =>
        _isr.Count < minInsyncReplicas ? ErrorCode.NotEnoughReplicas : ErrorCode.None;

    /// <summary>An acks=all write ending below <paramref name="endOffset"/>: null while it waits, else its outcome.</summary>
    public ErrorCode? CheckReplicated(long endOffset, int minInsyncReplicas)
    {
        if (HighWatermark < endOffset) return null;
        return _isr.Count < minInsyncReplicas ? ErrorCode.NotEnoughReplicasAfterAppend : ErrorCode.None;
    }

    private bool MaybeAdvanceHighWatermark()
    {
        var candidate = LeaderLogEnd;
        foreach (var r in _proposed == null ? _isr : _isr.Union(_proposed))
            if (r != _leaderId) candidate = Math.Min(candidate, _followers[r].LogEndOffset);
        if (candidate <= HighWatermark) return false;
        HighWatermark = candidate;
        return true;
    }
}
