using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>Kafka's high-watermark, ISR and acks=all rules for a leader with followers 2 and 3, with a fake clock.</summary>
public class LeaderReplicationTests
{
    private const long LagMs = 10_000;

    private static LeaderReplication ThreeReplicas(long leaderLogEnd = 0, long now = 0) =>
        new(1, [1, 2, 3], [1, 2, 3], leaderLogEnd, highWatermark: 0, LagMs, now);

    [Fact]
    public void The_high_watermark_is_the_smallest_log_end_offset_among_the_in_sync_replicas()
    {
        var r = ThreeReplicas();
        r.LeaderAppended(100);
        Assert.Equal(0, r.HighWatermark);
        Assert.True(r.FollowerFetched(2, 100, 10).HighWatermarkMoved == false);
        Assert.True(r.FollowerFetched(3, 60, 10).HighWatermarkMoved);
        Assert.Equal(60, r.HighWatermark);
        r.FollowerFetched(3, 100, 20);
        Assert.Equal(100, r.HighWatermark);
    }

    [Fact]
    public void A_leader_alone_in_the_isr_moves_the_high_watermark_with_its_own_appends()
    {
        var r = new LeaderReplication(1, [1, 2], [1], 0, 0, LagMs, 0);
        Assert.True(r.LeaderAppended(5));
        Assert.Equal(5, r.HighWatermark);
    }

    [Fact]
    public void A_follower_not_caught_up_for_the_lag_time_leaves_the_isr_and_the_high_watermark_moves_on()
    {
        var r = ThreeReplicas();
        r.LeaderAppended(100);
        r.FollowerFetched(2, 100, 1_000);
        r.FollowerFetched(3, 40, 1_000);
        Assert.Equal(40, r.HighWatermark);
        Assert.Null(r.ShrinkIsr(LagMs)); // 3 was given a full lag period from the start
        Assert.Equal([1, 2], r.ShrinkIsr(LagMs + 1));
        // Until the controller records it, the follower being removed still holds the high watermark back.
        Assert.Equal(40, r.HighWatermark);
        Assert.Null(r.ShrinkIsr(LagMs + 2));
        r.IsrCommitted([1, 2]);
        Assert.Equal([1, 2], r.Isr);
        Assert.Equal(100, r.HighWatermark);
    }

    [Fact]
    public void A_follower_that_keeps_reaching_the_log_end_of_its_previous_fetch_stays_in_sync_under_constant_load()
    {
        var r = ThreeReplicas();
        long end = 0;
        for (long t = 0; t <= 60_000; t += 500)
        {
            var previousEnd = end;
            end += 1_000;
            r.LeaderAppended(end);
            // Each fetch arrives as the leader has moved on: the followers are never at the log end, only at the last one.
            r.FollowerFetched(2, previousEnd, t);
            r.FollowerFetched(3, previousEnd, t);
            Assert.Null(r.ShrinkIsr(t));
        }
        Assert.Equal([1, 2, 3], r.Isr);
    }

    [Fact]
    public void A_follower_rejoins_the_isr_once_it_reaches_the_high_watermark()
    {
        var r = ThreeReplicas();
        r.LeaderAppended(100);
        r.FollowerFetched(2, 100, 1);
        r.IsrCommitted(r.ShrinkIsr(LagMs + 1)!);
        Assert.Equal([1, 2], r.Isr);
        Assert.Equal(100, r.HighWatermark);
        Assert.Null(r.FollowerFetched(3, 99, LagMs + 2).ProposeIsr);
        Assert.Equal([1, 2, 3], r.FollowerFetched(3, 100, LagMs + 3).ProposeIsr);
        // While the proposal waits, the returning follower already holds the high watermark back.
        r.LeaderAppended(150);
        r.FollowerFetched(2, 150, LagMs + 4);
        Assert.Equal(100, r.HighWatermark);
        r.IsrCommitted([1, 2, 3]);
        Assert.Equal([1, 2, 3], r.Isr);
    }

    [Fact]
    public void Acks_all_is_refused_below_min_insync_and_completes_only_when_replicated()
    {
        var r = ThreeReplicas();
        Assert.Equal(ErrorCode.None, r.CheckBeforeAppend(minInsyncReplicas: 2));
        r.LeaderAppended(10);
        Assert.Null(r.CheckReplicated(10, 2));
        r.FollowerFetched(2, 10, 1);
        Assert.Null(r.CheckReplicated(10, 2)); // 3 is still in the ISR and has nothing
        r.IsrCommitted(r.ShrinkIsr(LagMs + 1)!);
        Assert.Equal(ErrorCode.None, r.CheckReplicated(10, 2));
        r.FollowerFetched(2, 10, LagMs + 2);
        r.LeaderAppended(20);
        r.IsrCommitted(r.ShrinkIsr(3 * LagMs)!); // 2 stops fetching: the leader is alone
        Assert.Equal(ErrorCode.NotEnoughReplicasAfterAppend, r.CheckReplicated(20, 2));
        Assert.Equal(ErrorCode.NotEnoughReplicas, r.CheckBeforeAppend(2));
    }

    [Fact]
    public void A_follower_rejoins_only_from_the_start_of_the_leaders_epoch()
    {
        // A new leader at log end 50 whose high watermark is still 40: a follower at 45 may hold a divergent tail.
        var r = new LeaderReplication(1, [1, 2], [1], leaderLogEnd: 50, highWatermark: 40, LagMs, 0, leaderEpochStartOffset: 50);
        Assert.Null(r.FollowerFetched(2, 45, 1).ProposeIsr);
        Assert.Equal([1, 2], r.FollowerFetched(2, 50, 2).ProposeIsr);
    }

    [Fact]
    public void A_follower_at_the_leaders_log_end_stays_in_sync_however_long_the_leader_is_idle()
    {
        var r = ThreeReplicas(leaderLogEnd: 10);
        r.FollowerFetched(2, 10, 0);
        r.FollowerFetched(3, 10, 0);
        Assert.Null(r.ShrinkIsr(10 * LagMs));
    }

    [Fact]
    public void A_refused_proposal_may_be_made_again()
    {
        var r = ThreeReplicas(leaderLogEnd: 10);
        r.FollowerFetched(2, 10, 0);
        Assert.Equal([1, 2], r.ShrinkIsr(LagMs + 1));
        Assert.Null(r.ShrinkIsr(LagMs + 2));
        r.ProposalFailed();
        Assert.Equal([1, 2], r.ShrinkIsr(LagMs + 3));
    }

    [Fact]
    public void A_fetch_beyond_the_leaders_log_end_is_refused()
    {
        var r = ThreeReplicas(leaderLogEnd: 5);
        Assert.Throws<ArgumentException>(() => r.FollowerFetched(2, 6, 0));
    }
}
