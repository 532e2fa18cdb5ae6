using Akka.Actor;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>Kafka's high-watermark, ISR and acks=all rules for leader 1 with followers 2 and 3, with a fake clock.</summary>
public class LeaderRoleTests
{
    private const long LagMs = 10_000;
    private static readonly TimeSpan ProposalTimeout = TimeSpan.FromSeconds(7);

    // min.insync.replicas 2, Kafka's usual production setting with three replicas.
    private readonly TestLog _t = new("akkabroker.broker.broker.id = 1\nakkabroker.broker.min.insync.replicas = 2");

    private LeaderRole Leader(int[] isr, long logEnd = 0, int partitionEpoch = 0, int[]? replicas = null, long now = 0)
    {
        _t.GrowTo(logEnd);
        return new LeaderRole(1, new PartitionAssignment(0, replicas ?? [1, 2, 3], 1, 0, isr, partitionEpoch), _t.Log, LagMs, ProposalTimeout, now);
    }

    private LeaderRole ThreeReplicas(long logEnd = 0) => Leader([1, 2, 3], logEnd);

    private static ReplicaEffects Fx() => new();

    private void Append(LeaderRole r, long end, ReplicaEffects? fx = null)
    {
        _t.GrowTo(end);
        r.Appended(fx ?? Fx());
    }

    /// <summary>The id of the last proposal <see cref="Proposal"/> saw: answers name the proposal they answer.</summary>
    private long _asked;

    private AlterPartitionRequest Proposal(ReplicaEffects fx)
    {
        var ask = Assert.Single(fx.Of<ReplicaEffect.AskController>());
        _asked = ask.Id;
        return (AlterPartitionRequest)ask.Message;
    }

    private static ProduceResponse Reply(long offset) => new(TestLog.Tp, ErrorCode.None, null, offset, -1, 0);

    private static ProduceResponse Answered(ReplicaEffects fx) => (ProduceResponse)Assert.Single(fx.Of<ReplicaEffect.Reply>()).Message;

    [Fact]
    public void The_high_watermark_is_the_smallest_log_end_offset_among_the_in_sync_replicas()
    {
        var r = ThreeReplicas();
        Append(r, 100);
        Assert.Equal(0, _t.Log.HighWatermark);
        r.FollowerFetched(2, 100, 10, Fx());
        var fx = Fx();
        r.FollowerFetched(3, 60, 10, fx);
        Assert.Single(fx.Of<ReplicaEffect.WakeParkedFetches>());
        Assert.Equal(60, _t.Log.HighWatermark);
        r.FollowerFetched(3, 100, 20, Fx());
        Assert.Equal(100, _t.Log.HighWatermark);
    }

    [Fact]
    public void A_leader_alone_in_the_isr_moves_the_high_watermark_with_its_own_appends()
    {
        var r = Leader([1], replicas: [1, 2]);
        Append(r, 5);
        Assert.Equal(5, _t.Log.HighWatermark);
    }

    [Fact]
    public void A_follower_not_caught_up_for_the_lag_time_is_proposed_out_and_holds_the_high_watermark_back_until_recorded()
    {
        var r = ThreeReplicas();
        Append(r, 100);
        r.FollowerFetched(2, 100, 1_000, Fx());
        r.FollowerFetched(3, 40, 1_000, Fx());
        Assert.Equal(40, _t.Log.HighWatermark);
        var fx = Fx();
        r.Tick(LagMs, fx); // 3 was given a full lag period from the start
        Assert.Empty(fx.Of<ReplicaEffect.AskController>());
        fx = Fx();
        r.Tick(LagMs + 1, fx);
        var proposal = Proposal(fx);
        Assert.Equal([1, 2], proposal.NewIsr);
        Assert.Equal(0, proposal.PartitionEpoch);
        Assert.Equal(40, _t.Log.HighWatermark);
        r.ProposalAnswered(_asked, new AlterPartitionResponse(TestLog.Tp, ErrorCode.None, null, r.Assignment with { Isr = [1, 2], PartitionEpoch = 1 }), null, Fx());
        Assert.Equal([1, 2], r.Isr);
        Assert.Null(r.PendingIsr);
        Assert.Equal(100, _t.Log.HighWatermark);
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
            Append(r, end);
            // Each fetch arrives as the leader has moved on: the followers are never at the log end, only at the last one.
            r.FollowerFetched(2, previousEnd, t, Fx());
            r.FollowerFetched(3, previousEnd, t, Fx());
            var fx = Fx();
            r.Tick(t, fx);
            Assert.Empty(fx.Of<ReplicaEffect.AskController>());
        }
        Assert.Equal([1, 2, 3], r.Isr);
    }

    [Fact]
    public void A_follower_rejoins_the_isr_once_it_reaches_the_high_watermark_and_holds_it_back_meanwhile()
    {
        var r = Leader([1, 2], logEnd: 100, partitionEpoch: 1);
        r.FollowerFetched(2, 100, 1, Fx());
        Assert.Equal(100, _t.Log.HighWatermark);
        var fx = Fx();
        r.FollowerFetched(3, 99, 2, fx);
        Assert.Empty(fx.Of<ReplicaEffect.AskController>());
        fx = Fx();
        r.FollowerFetched(3, 100, 3, fx);
        Assert.Equal([1, 2, 3], Proposal(fx).NewIsr);
        // While the proposal waits, the returning follower already holds the high watermark back.
        Append(r, 150);
        r.FollowerFetched(2, 150, 4, Fx());
        Assert.Equal(100, _t.Log.HighWatermark);
        r.AssignmentUpdated(r.Assignment with { Isr = [1, 2, 3], PartitionEpoch = 2 }, Fx());
        Assert.Equal([1, 2, 3], r.Isr);
    }

    [Fact]
    public void Acks_all_is_refused_below_min_insync_and_answered_only_when_replicated()
    {
        var r = ThreeReplicas();
        Assert.Equal(ErrorCode.None, r.CheckBeforeAppend(minInsyncReplicas: 2));
        Append(r, 10);
        var fx = Fx();
        r.AwaitReplication(10, ActorRefs.Nobody, Reply(0), deadlineMs: 100_000, fx);
        Assert.Empty(fx.Of<ReplicaEffect.Reply>());
        fx = Fx();
        r.FollowerFetched(2, 10, 1, fx);
        Assert.Empty(fx.Of<ReplicaEffect.Reply>()); // 3 is still in the ISR and has nothing
        fx = Fx();
        r.FollowerFetched(3, 10, 2, fx);
        Assert.Equal(ErrorCode.None, Answered(fx).Error);
    }

    [Fact]
    public void An_acks_all_write_whose_isr_shrank_below_the_minimum_is_answered_not_enough_replicas_after_append()
    {
        var r = Leader([1, 2], replicas: [1, 2]);
        Append(r, 10);
        r.AwaitReplication(10, ActorRefs.Nobody, Reply(0), deadlineMs: 100_000, Fx());
        var fx = Fx();
        r.Tick(LagMs + 1, fx);
        Assert.Equal([1], Proposal(fx).NewIsr);
        fx = Fx();
        r.ProposalAnswered(_asked, new AlterPartitionResponse(TestLog.Tp, ErrorCode.None, null, r.Assignment with { Isr = [1], PartitionEpoch = 1 }), null, fx);
        Assert.Equal(ErrorCode.NotEnoughReplicasAfterAppend, Answered(fx).Error);
        Assert.Equal(ErrorCode.NotEnoughReplicas, r.CheckBeforeAppend(2));
    }

    [Fact]
    public void An_acks_all_write_not_replicated_by_its_deadline_is_answered_request_timed_out()
    {
        var r = ThreeReplicas();
        Append(r, 10);
        r.AwaitReplication(10, ActorRefs.Nobody, Reply(0), deadlineMs: 500, Fx());
        var fx = Fx();
        r.Tick(499, fx);
        Assert.Empty(fx.Of<ReplicaEffect.Reply>());
        fx = Fx();
        r.Tick(500, fx);
        Assert.Equal(ErrorCode.RequestTimedOut, Answered(fx).Error);
    }

    [Fact]
    public void A_resigning_leader_answers_every_waiting_write()
    {
        var r = ThreeReplicas();
        Append(r, 10);
        r.AwaitReplication(5, ActorRefs.Nobody, Reply(0), 100_000, Fx());
        r.AwaitReplication(10, ActorRefs.Nobody, Reply(5), 100_000, Fx());
        var fx = Fx();
        r.Resign(ErrorCode.NotLeaderOrFollower, "moved", fx);
        Assert.All(fx.Of<ReplicaEffect.Reply>(), x => Assert.Equal(ErrorCode.NotLeaderOrFollower, ((ProduceResponse)x.Message).Error));
        Assert.Equal(2, fx.Of<ReplicaEffect.Reply>().Count());
    }

    [Fact]
    public void A_follower_rejoins_only_from_the_start_of_the_leaders_epoch()
    {
        // A new leader at log end 50 whose high watermark is still 40: a follower at 45 may hold a divergent tail.
        _t.GrowTo(50);
        _t.Log.AdvanceHighWatermark(40);
        var r = Leader([1], replicas: [1, 2]);
        Assert.Equal(50, r.EpochStartOffset);
        var fx = Fx();
        r.FollowerFetched(2, 45, 1, fx);
        Assert.Empty(fx.Of<ReplicaEffect.AskController>());
        fx = Fx();
        r.FollowerFetched(2, 50, 2, fx);
        Assert.Equal([1, 2], Proposal(fx).NewIsr);
    }

    [Fact]
    public void A_new_leaders_high_watermark_is_established_once_it_reaches_the_start_of_its_epoch()
    {
        _t.GrowTo(50);
        _t.Log.AdvanceHighWatermark(40);
        var r = Leader([1, 2], replicas: [1, 2]);
        Assert.False(r.HighWatermarkEstablished);
        r.FollowerFetched(2, 50, 1, Fx());
        Assert.True(r.HighWatermarkEstablished);
    }

    [Fact]
    public void A_follower_at_the_leaders_log_end_stays_in_sync_however_long_the_leader_is_idle()
    {
        var r = ThreeReplicas(logEnd: 10);
        r.FollowerFetched(2, 10, 0, Fx());
        r.FollowerFetched(3, 10, 0, Fx());
        var fx = Fx();
        r.Tick(10 * LagMs, fx);
        Assert.Empty(fx.Of<ReplicaEffect.AskController>());
    }

    [Fact]
    public void A_refused_proposal_is_dropped_and_may_be_made_again()
    {
        var r = ThreeReplicas(logEnd: 10);
        r.FollowerFetched(2, 10, 0, Fx());
        var fx = Fx();
        r.Tick(LagMs + 1, fx);
        Assert.Equal([1, 2], Proposal(fx).NewIsr);
        r.ProposalAnswered(_asked, new AlterPartitionResponse(TestLog.Tp, ErrorCode.InvalidRequest, "no", r.Assignment), null, Fx());
        Assert.Null(r.PendingIsr);
        fx = Fx();
        r.Tick(LagMs + 3, fx);
        Assert.Equal([1, 2], Proposal(fx).NewIsr);
    }

    [Fact]
    public void A_fetch_beyond_the_leaders_log_end_is_refused()
    {
        var r = ThreeReplicas(logEnd: 5);
        Assert.Throws<ArgumentException>(() => r.FollowerFetched(2, 6, 0, Fx()));
    }

    // An ISR expansion whose answer is lost: the controller may have recorded it, so the follower keeps counting.
    [Fact]
    public void An_expansion_whose_answer_never_came_still_holds_the_high_watermark_and_is_proposed_again()
    {
        var r = Leader([1], replicas: [1, 2]);
        Append(r, 10);
        var fx = Fx();
        r.FollowerFetched(2, 10, 1, fx);
        Assert.Equal([1, 2], Proposal(fx).NewIsr);
        r.ProposalAnswered(_asked, null, "Timeout after 7 seconds", Fx());
        Assert.Equal([1, 2], r.PendingIsr);
        // The leader has it alone: acknowledging it would lose it if the controller recorded 2 in sync and 2 took over.
        Append(r, 20);
        var write = Fx();
        r.AwaitReplication(20, ActorRefs.Nobody, Reply(10), 100_000, write);
        Assert.Equal(10, _t.Log.HighWatermark);
        Assert.Empty(write.Of<ReplicaEffect.Reply>());
        fx = Fx();
        r.Tick(2, fx);
        var again = Proposal(fx);
        Assert.Equal([1, 2], again.NewIsr);
        Assert.Equal(0, again.PartitionEpoch);
        // The controller had recorded the first one: it answers the repeat with what it recorded.
        fx = Fx();
        r.ProposalAnswered(_asked, new AlterPartitionResponse(TestLog.Tp, ErrorCode.InvalidUpdateVersion, "moved on", r.Assignment with { Isr = [1, 2], PartitionEpoch = 1 }), null, fx);
        Assert.Equal([1, 2], r.Isr);
        Assert.Equal(1, r.Assignment.PartitionEpoch);
        Assert.Null(r.PendingIsr);
        fx = Fx();
        r.FollowerFetched(2, 20, 3, fx);
        Assert.Equal(ErrorCode.None, Answered(fx).Error);
    }

    [Fact]
    public void A_proposal_in_flight_is_not_sent_twice()
    {
        var r = Leader([1], replicas: [1, 2]);
        Append(r, 10);
        r.FollowerFetched(2, 10, 1, Fx());
        var fx = Fx();
        r.Tick(2, fx);
        Assert.Empty(fx.Of<ReplicaEffect.AskController>());
    }

    [Fact]
    public void A_resent_assignment_with_the_same_partition_epoch_keeps_a_pending_expansion()
    {
        var r = Leader([1], replicas: [1, 2]);
        Append(r, 10);
        r.FollowerFetched(2, 10, 1, Fx());
        r.AssignmentUpdated(r.Assignment, Fx());
        Assert.Equal([1, 2], r.PendingIsr);
        Append(r, 20);
        Assert.Equal(10, _t.Log.HighWatermark);
    }

    [Fact]
    public void A_newer_partition_epoch_from_the_controller_ends_a_pending_proposal_with_what_it_recorded()
    {
        var r = Leader([1], replicas: [1, 2]);
        Append(r, 10);
        var fx = Fx();
        r.FollowerFetched(2, 10, 1, fx);
        Proposal(fx);
        r.AssignmentUpdated(r.Assignment with { Isr = [1, 2], PartitionEpoch = 1 }, Fx());
        Assert.Null(r.PendingIsr);
        Assert.Equal([1, 2], r.Isr);
        // A late success for the same change, now older news, changes nothing.
        r.ProposalAnswered(_asked, new AlterPartitionResponse(TestLog.Tp, ErrorCode.None, null, r.Assignment with { PartitionEpoch = 0 }), null, Fx());
        Assert.Equal(1, r.Assignment.PartitionEpoch);
    }

    [Fact]
    public void Another_leaderships_assignment_is_refused()
    {
        var r = ThreeReplicas();
        Assert.Throws<ArgumentException>(() => r.AssignmentUpdated(r.Assignment with { LeaderEpoch = 1 }, Fx()));
    }

    // A late answer to a superseded proposal must not end the newer one: the follower it adds would stop counting.
    [Fact]
    public void A_late_answer_to_a_superseded_proposal_leaves_the_pending_one_in_place()
    {
        var r = Leader([1], replicas: [1, 2, 3]);
        Append(r, 10);
        var fx = Fx();
        r.FollowerFetched(2, 10, 1, fx);
        var first = Proposal(fx).PartitionEpoch;
        var firstId = _asked;
        // The controller records it and pushes the new partition epoch before its answer arrives.
        r.AssignmentUpdated(r.Assignment with { Isr = [1, 2], PartitionEpoch = 1 }, Fx());
        fx = Fx();
        r.FollowerFetched(3, 10, 2, fx);
        Assert.Equal([1, 2, 3], Proposal(fx).NewIsr);
        // The first proposal's answer, now stale, comes in.
        r.ProposalAnswered(firstId, new AlterPartitionResponse(TestLog.Tp, ErrorCode.None, null, r.Assignment), null, Fx());
        r.ProposalAnswered(firstId, new AlterPartitionResponse(TestLog.Tp, ErrorCode.InvalidUpdateVersion, "moved on", r.Assignment), null, Fx());
        Assert.Equal(0, first);
        Assert.Equal([1, 2, 3], r.PendingIsr);
        Append(r, 20);
        r.FollowerFetched(2, 20, 3, Fx());
        Assert.Equal(10, _t.Log.HighWatermark); // follower 3 still holds it back
    }
}
