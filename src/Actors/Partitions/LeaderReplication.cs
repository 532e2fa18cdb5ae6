using AkkaBroker.Protocol;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// A partition leader's view of its followers, with Kafka's rules and no actor or I/O (every call takes the time):
/// <list type="bullet">
/// <item>A follower's fetch from offset <c>o</c> says it has every record below <c>o</c> (its log end offset).</item>
/// <item>A follower is caught up at the time of a fetch whose offset reaches the leader's log end then, or reaches the
/// leader's log end at its previous fetch (Kafka's lastCaughtUpTime); it leaves the ISR when it has not been caught up
/// for <c>replica.lag.time.max.ms</c> (unless it is at the leader's log end), and rejoins once its fetch offset reaches
/// both the high watermark and the first offset of the leader's epoch (KAFKA-7128: a follower whose tail may diverge
/// from the new leader's must not count as in sync).</item>
/// <item>The high watermark is the smallest log end offset among the in-sync replicas (the leader included); it never
/// moves back.</item>
/// <item>acks=all: a write is refused NOT_ENOUGH_REPLICAS when the ISR is below <c>min.insync.replicas</c>, and
/// completes once the high watermark passes its last offset, NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank
/// below the minimum meanwhile.</item>
/// </list>
/// Not wired into <see cref="PartitionReplica"/> yet: followers are the next part of issue 4.
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
    private readonly SortedSet<int> _isr;
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
    }

    public long LeaderLogEnd { get; private set; }

    public long HighWatermark { get; private set; }

    public IReadOnlyCollection<int> Isr => _isr;

    /// <summary>The leader appended records; with no follower in the ISR the high watermark follows at once.</summary>
    public bool LeaderAppended(long logEndOffset)
    {
        LeaderLogEnd = logEndOffset;
        return MaybeAdvanceHighWatermark();
    }

    /// <summary>What changed when a follower fetched: the high watermark moved, or the follower rejoined the ISR.</summary>
    public sealed record FetchOutcome(bool HighWatermarkMoved, bool JoinedIsr);

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
        var joined = !_isr.Contains(followerId) && fetchOffset >= Math.Max(HighWatermark, _leaderEpochStartOffset) && _isr.Add(followerId);
        return new FetchOutcome(MaybeAdvanceHighWatermark(), joined);
    }

    /// <summary>Removes followers not caught up for replica.lag.time.max.ms; returns them (the controller records the new ISR).</summary>
    public IReadOnlyList<int> ShrinkIsr(long nowMs)
    {
        var removed = _isr.Where(r => r != _leaderId && _followers[r].LogEndOffset != LeaderLogEnd && nowMs - _followers[r].LastCaughtUpMs > _lagTimeMaxMs).ToArray();
        foreach (var r in removed) _isr.Remove(r);
        if (removed.Length > 0) MaybeAdvanceHighWatermark();
        return removed;
    }

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
        var candidate = _isr.Min(r => r == _leaderId ? LeaderLogEnd : _followers[r].LogEndOffset);
        if (candidate <= HighWatermark) return false;
        HighWatermark = candidate;
        return true;
    }
}
