using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>Members leaving, expiring and missing rebalances; the errors a member's request can get; static membership.</summary>
public class GroupStateMembershipTests
{
    private const int Session = GroupHarness.SessionTimeoutMs;
    private const int Rebalance = GroupHarness.RebalanceTimeoutMs;

    private static TopicPartition Tp(int p) => GroupHarness.Tp(p);

    // ---- Session expiry, rebalance timeout, leave ----

    [Fact]
    public void A_member_whose_session_expires_in_Stable_is_removed_by_the_Tick_at_NextDeadline_and_the_group_rebalances()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        var t = h.Now;
        h.Now = t + 5000;
        Assert.Equal(ErrorCode.None, h.Heartbeat("a-0", 1).Error);

        // b was last seen at its sync (t), a at its heartbeat (t + 5000).
        Assert.Equal(t + Session, h.State.NextDeadline(h.Now));

        h.Now = t + Session - 1;
        var early = h.Tick();
        Assert.Empty(early.Events);
        Assert.Equal(GroupStateName.Stable, h.State.State);
        Assert.Equal(2, h.State.Members.Count);

        h.Now = t + Session;
        var tick = h.Tick();

        Assert.Empty(tick.Events);
        Assert.Null(tick.Reply);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.Equal(["a-0"], h.State.Members.Keys);
        Assert.Equal(1, h.State.GenerationId);
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat("a-0", 1).Error);
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat("b-1", 1).Error);

        h.Join("a", "a-0");
        var outcome = h.CompleteJoin();
        Assert.Equal(2, h.State.GenerationId);
        Assert.Equal(["a-0"], outcome.JoinReplies.Select(r => r.MemberId));
        Assert.Equal([Tp(0), Tp(1), Tp(2), Tp(3)], h.AssignmentOf("a-0"));
    }

    [Fact]
    public void Heartbeats_keep_a_Stable_member_alive_past_its_first_session_timeout()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        var t = h.Now;
        for (var i = 1; i <= 5; i++)
        {
            h.Now = t + i * 3000;
            Assert.Equal(ErrorCode.None, h.Heartbeat("a-0", 1).Error);
            Assert.Empty(h.Tick().Events);
        }
        Assert.Equal(GroupStateName.Stable, h.State.State);
        Assert.Equal(t + 15_000 + Session, h.State.NextDeadline(h.Now));
    }

    [Fact]
    public void A_member_that_never_syncs_is_removed_when_its_session_expires_in_CompletingRebalance()
    {
        var h = new GroupHarness();
        h.Join("a");
        h.Join("b");
        h.CompleteJoin();
        var t = h.Now;
        h.Sync("a-0", 1);
        h.Now = t + 6000;
        h.Heartbeat("a-0", 1);
        Assert.Equal(GroupStateName.CompletingRebalance, h.State.State);
        Assert.Equal(t + Session, h.State.NextDeadline(h.Now));

        h.Now = t + Session;
        h.Tick();

        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.Equal(["a-0"], h.State.Members.Keys);
    }

    [Fact]
    public void A_member_that_does_not_rejoin_by_the_rebalance_timeout_is_removed_by_CompleteJoin()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        var t = h.Now;
        h.Now = t + 1000;
        h.Join("c");
        h.Now = t + 2000;
        h.Join("a", "a-0");
        // b keeps heartbeating (it is alive but stuck, say in a long poll) yet never rejoins.
        h.Now = t + 5000;
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat("b-1", 1).Error);

        // The next deadline is b's session expiry (it may still die); its heartbeats keep pushing that back.
        Assert.Equal(t + 5000 + Session, h.State.NextDeadline(h.Now));
        h.Now = t + 14000;
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat("b-1", 1).Error);
        h.Now = t + 23000;
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat("b-1", 1).Error);
        h.State.Tick(h.Now);
        Assert.Contains("b-1", h.State.Members.Keys);
        Assert.False(h.State.JoinReady(t + 1000 + Rebalance - 1));
        Assert.True(h.State.JoinReady(t + 1000 + Rebalance));

        h.Now = t + 1000 + Rebalance;
        var outcome = h.CompleteJoin();

        Assert.Equal(2, h.State.GenerationId);
        Assert.Equal(["a-0", "c-2"], h.State.Members.Keys);
        Assert.Equal(["a-0", "c-2"], outcome.JoinReplies.Select(r => r.MemberId));
        var changed = Assert.IsType<GroupMetadataChanged>(Assert.Single(outcome.Events));
        Assert.Equal(["a-0", "c-2"], changed.Members.Select(m => m.MemberId));
        Assert.Equal([Tp(0), Tp(1)], h.AssignmentOf("a-0"));
        Assert.Equal([Tp(2), Tp(3)], h.AssignmentOf("c-2"));
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat("b-1", 1).Error);
    }

    [Fact]
    public void When_the_leader_misses_the_rebalance_another_member_leads_the_next_generation()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        h.Join("b", "b-1");
        h.Now += Rebalance;

        var outcome = h.CompleteJoin();

        Assert.Equal("b-1", h.State.LeaderId);
        Assert.Equal(new JoinGroupResponse(ErrorCode.None, null, 2, "range", "b-1", "b-1"), Assert.Single(outcome.JoinReplies).Response);
    }

    [Fact]
    public void A_leave_in_Stable_removes_the_member_and_starts_a_rebalance()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");

        Assert.Equal(new LeaveGroupResponse(ErrorCode.None, null), h.Leave("b-1"));

        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.Equal(["a-0"], h.State.Members.Keys);
        Assert.Empty(h.Journal.Skip(1));
        Assert.False(h.State.JoinReady(h.Now));
        h.Join("a", "a-0");
        h.CompleteJoin();
        Assert.Equal(2, h.State.GenerationId);
        Assert.Equal([Tp(0), Tp(1), Tp(2), Tp(3)], h.AssignmentOf("a-0"));
    }

    [Fact]
    public void A_leave_of_the_only_member_yet_to_rejoin_makes_the_join_ready()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        h.Join("c");
        h.Join("a", "a-0");
        Assert.False(h.State.JoinReady(h.Now));

        h.Leave("b-1");

        Assert.True(h.State.JoinReady(h.Now));
        Assert.Equal(["a-0", "c-2"], h.CompleteJoin().JoinReplies.Select(r => r.MemberId));
    }

    [Fact]
    public void The_last_member_leaving_a_group_with_offsets_makes_it_Empty_and_bumps_the_generation()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Commit("a-0", 1, GroupHarness.At(0, 5));
        h.Advance(1000);

        var outcome = h.State.Leave(new LeaveGroupRequest("g", "a-0", null, "shutdown"), h.Now);

        Assert.Equal(new LeaveGroupResponse(ErrorCode.None, null), outcome.Reply);
        Assert.Equal(GroupStateName.Empty, h.State.State);
        Assert.Equal(2, h.State.GenerationId);
        Assert.Equal("", h.State.Protocol);
        Assert.Equal("", h.State.LeaderId);
        Assert.Equal(h.Now, h.State.EmptySince);
        Assert.Empty(h.State.Members);
        Assert.True(h.State.Exists);
        var changed = Assert.IsType<GroupMetadataChanged>(Assert.Single(outcome.Events));
        Assert.Equal((2, "", "", h.Now), (changed.GenerationId, changed.Protocol, changed.LeaderId, changed.StateTimestamp));
        Assert.Empty(changed.Members);
        Assert.Equal(5, h.Fetched(0).Offset);
        Assert.Equal(h.Now + GroupHarness.RetentionCheckIntervalMs, h.State.NextDeadline(h.Now));
    }

    [Fact]
    public void The_last_member_leaving_a_group_without_offsets_makes_it_Dead_and_bumps_the_generation()
    {
        var h = new GroupHarness();
        h.StableGroup("a");

        var outcome = h.Persisted(h.State.Leave(new LeaveGroupRequest("g", "a-0", null, "shutdown"), h.Now));

        Assert.Equal(GroupStateName.Dead, h.State.State);
        Assert.Equal(2, h.State.GenerationId);
        Assert.False(h.State.Exists);
        Assert.Equal(2, Assert.IsType<GroupMetadataChanged>(Assert.Single(outcome.Events)).GenerationId);
        Assert.Equal(long.MaxValue, h.State.NextDeadline(h.Now));
    }

    [Fact]
    public void The_last_member_leaving_during_a_rebalance_empties_the_group_and_bumps_the_generation()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        h.Leave("b-1");
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);

        var outcome = h.Persisted(h.State.Leave(new LeaveGroupRequest("g", "a-0", null, "shutdown"), h.Now));

        Assert.Equal(GroupStateName.Dead, h.State.State);
        Assert.Equal(2, h.State.GenerationId);
        Assert.Equal(2, Assert.IsType<GroupMetadataChanged>(Assert.Single(outcome.Events)).GenerationId);
        Assert.False(h.State.JoinReady(h.Now));
    }

    [Fact]
    public void A_group_whose_only_member_expires_in_Stable_becomes_Dead_with_the_next_generation()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Now += Session;

        var outcome = h.Tick();

        Assert.Equal(GroupStateName.Dead, h.State.State);
        Assert.Equal(2, h.State.GenerationId);
        Assert.Equal(2, Assert.IsType<GroupMetadataChanged>(Assert.Single(outcome.Events)).GenerationId);
    }

    // ---- Errors ----

    [Fact]
    public void A_heartbeat_from_an_unknown_member_id_answers_UNKNOWN_MEMBER_ID()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat("nobody", 1).Error);
        Assert.Equal(GroupStateName.Stable, h.State.State);
    }

    [Fact]
    public void A_heartbeat_to_a_Dead_group_answers_UNKNOWN_MEMBER_ID()
    {
        var h = new GroupHarness();
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat("a-0", 1).Error);
        Assert.Equal(GroupStateName.Dead, h.State.State);
    }

    [Fact]
    public void A_sync_from_an_unknown_member_id_answers_UNKNOWN_MEMBER_ID()
    {
        var h = new GroupHarness();
        h.Join("a");
        h.CompleteJoin();
        var sync = h.Sync("nobody", 1);
        Assert.Equal(ErrorCode.UnknownMemberId, sync.Error);
        Assert.Empty(sync.Assignment);
        Assert.Equal(GroupStateName.CompletingRebalance, h.State.State);
    }

    [Fact]
    public void A_commit_from_an_unknown_member_id_answers_UNKNOWN_MEMBER_ID()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        var outcome = h.Commit(GroupHarness.CommitRequest("nobody", 1, GroupHarness.At(0, 1)));
        Assert.Equal(ErrorCode.UnknownMemberId, Assert.IsType<OffsetCommitResponse>(outcome.Reply).Error);
        Assert.Empty(outcome.Events);
    }

    [Fact]
    public void A_leave_from_an_unknown_member_id_answers_UNKNOWN_MEMBER_ID_and_changes_nothing()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        Assert.Equal(ErrorCode.UnknownMemberId, h.Leave("nobody").Error);
        Assert.Equal(GroupStateName.Stable, h.State.State);
    }

    [Fact]
    public void A_join_with_an_unknown_member_id_answers_UNKNOWN_MEMBER_ID_and_starts_no_rebalance()
    {
        var h = new GroupHarness();
        h.StableGroup("a");

        var outcome = h.Join("x", "x-9");

        var reply = Assert.IsType<JoinGroupResponse>(outcome.Reply);
        Assert.Equal((ErrorCode.UnknownMemberId, -1, "", "", "x-9"), (reply.Error, reply.GenerationId, reply.Protocol, reply.LeaderId, reply.MemberId));
        Assert.Null(outcome.WaitingMemberId);
        Assert.Equal(GroupStateName.Stable, h.State.State);
        Assert.Equal(["a-0"], h.State.Members.Keys);
    }

    [Fact]
    public void A_join_with_a_member_id_to_a_Dead_group_answers_UNKNOWN_MEMBER_ID_and_leaves_it_Dead()
    {
        var h = new GroupHarness();
        var reply = Assert.IsType<JoinGroupResponse>(h.Join("a", "a-0").Reply);
        Assert.Equal(ErrorCode.UnknownMemberId, reply.Error);
        Assert.Equal(GroupStateName.Dead, h.State.State);
        Assert.Empty(h.State.Members);
    }

    [Fact]
    public void A_heartbeat_with_a_stale_generation_answers_ILLEGAL_GENERATION()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Join("a", "a-0");
        h.CompleteJoin();
        h.Sync("a-0", 2);

        Assert.Equal(ErrorCode.IllegalGeneration, h.Heartbeat("a-0", 1).Error);
        Assert.Equal(ErrorCode.None, h.Heartbeat("a-0", 2).Error);
    }

    [Fact]
    public void A_sync_with_a_stale_generation_answers_ILLEGAL_GENERATION()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Join("a", "a-0");
        h.CompleteJoin();

        var sync = h.Sync("a-0", 1);

        Assert.Equal(ErrorCode.IllegalGeneration, sync.Error);
        Assert.Empty(sync.Assignment);
        Assert.Equal(GroupStateName.CompletingRebalance, h.State.State);
    }

    [Fact]
    public void A_heartbeat_with_a_stale_generation_during_a_rebalance_answers_ILLEGAL_GENERATION_not_REBALANCE_IN_PROGRESS()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Join("b");
        Assert.Equal(ErrorCode.IllegalGeneration, h.Heartbeat("a-0", 0).Error);
    }

    [Theory]
    [InlineData(5_999)]
    [InlineData(300_001)]
    public void A_session_timeout_outside_the_brokers_min_and_max_answers_INVALID_SESSION_TIMEOUT(int sessionTimeoutMs)
    {
        var h = new GroupHarness();

        var outcome = h.Join(GroupHarness.JoinRequest("a", sessionTimeoutMs: sessionTimeoutMs));

        var reply = Assert.IsType<JoinGroupResponse>(outcome.Reply);
        Assert.Equal((ErrorCode.InvalidSessionTimeout, -1, "", "", ""), (reply.Error, reply.GenerationId, reply.Protocol, reply.LeaderId, reply.MemberId));
        Assert.Contains("6000-300000", reply.ErrorMessage);
        Assert.Null(outcome.WaitingMemberId);
        Assert.Equal(GroupStateName.Dead, h.State.State);
        Assert.Empty(h.State.Members);
    }

    [Theory]
    [InlineData(6_000)]
    [InlineData(300_000)]
    public void A_session_timeout_at_the_brokers_min_or_max_is_accepted(int sessionTimeoutMs)
    {
        var h = new GroupHarness();
        var outcome = h.Join(GroupHarness.JoinRequest("a", sessionTimeoutMs: sessionTimeoutMs));
        Assert.Null(outcome.Reply);
        Assert.Equal("a-0", outcome.WaitingMemberId);
    }

    [Fact]
    public void A_member_with_no_strategy_in_common_with_the_group_answers_INCONSISTENT_GROUP_PROTOCOL()
    {
        var h = new GroupHarness();
        h.StableGroup(["range"], "a");

        var outcome = h.Join("b", protocols: ["roundrobin", "sticky"]);

        var reply = Assert.IsType<JoinGroupResponse>(outcome.Reply);
        Assert.Equal((ErrorCode.InconsistentGroupProtocol, -1, ""), (reply.Error, reply.GenerationId, reply.MemberId));
        Assert.Null(outcome.WaitingMemberId);
        Assert.Equal(GroupStateName.Stable, h.State.State);
        Assert.Equal(["a-0"], h.State.Members.Keys);
    }

    [Fact]
    public void A_member_offering_no_strategy_answers_INCONSISTENT_GROUP_PROTOCOL()
    {
        var h = new GroupHarness();
        var reply = Assert.IsType<JoinGroupResponse>(h.Join("a", protocols: []).Reply);
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, reply.Error);
        Assert.Equal(GroupStateName.Dead, h.State.State);
    }

    [Fact]
    public void Strategy_names_are_compared_without_regard_to_case()
    {
        var h = new GroupHarness();
        h.Join("a", protocols: ["RoundRobin"]);
        Assert.Null(h.Join("b", protocols: ["roundrobin"]).Reply);
        h.CompleteJoin();
        Assert.Equal("roundrobin", h.State.Protocol);
    }

    [Fact]
    public void A_strategy_the_broker_has_no_assignor_for_is_passed_over_in_favour_of_a_known_one()
    {
        var h = new GroupHarness();
        h.Join("a", protocols: ["my-assignor", "range"]);

        var outcome = h.CompleteJoin();

        Assert.Equal("range", h.State.Protocol);
        Assert.Equal(1, Assert.Single(outcome.JoinReplies).Response.GenerationId);
    }

    [Fact]
    public void A_member_offering_only_strategies_the_broker_has_no_assignor_for_answers_INCONSISTENT_GROUP_PROTOCOL()
    {
        var h = new GroupHarness();

        var outcome = h.Join("a", protocols: ["my-assignor"]);

        Assert.Equal(ErrorCode.InconsistentGroupProtocol, Assert.IsType<JoinGroupResponse>(outcome.Reply).Error);
        Assert.Equal(GroupStateName.Dead, h.State.State);
    }

    [Fact]
    public void A_member_that_stops_heartbeating_during_a_rebalance_is_removed_when_its_session_expires()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        var t = h.Now;
        h.Now = t + 1000;
        h.Join("c");
        h.Join("a", "a-0");
        // b crashed at t: no heartbeat, no rejoin.

        Assert.Equal(t + Session, h.State.NextDeadline(h.Now));
        h.Now = t + Session;
        h.Tick();

        Assert.Equal(["a-0", "c-2"], h.State.Members.Keys);
        Assert.True(h.State.JoinReady(h.Now));
    }

    // ---- Static membership (KIP-345) ----

    private static string[] StableWithStaticA(GroupHarness h)
    {
        var a = Assert.IsType<string>(h.Join("a", instanceId: "i-a").WaitingMemberId);
        var b = Assert.IsType<string>(h.Join("b").WaitingMemberId);
        h.CompleteJoin();
        h.Sync(a, 1, "i-a");
        h.Sync(b, 1);
        Assert.Equal(GroupStateName.Stable, h.State.State);
        return [a, b];
    }

    [Fact]
    public void A_static_member_rejoining_a_Stable_group_under_a_new_member_id_gets_the_current_generation_at_once_without_a_rebalance()
    {
        var h = new GroupHarness();
        StableWithStaticA(h);
        Assert.Equal([Tp(0), Tp(1)], h.AssignmentOf("a-0"));
        h.Advance(2000);

        // a restarts: same group.instance.id, no member id.
        var outcome = h.Join("a", instanceId: "i-a");

        Assert.Equal(new JoinGroupResponse(ErrorCode.None, null, 1, "range", "a-2", "a-2"), outcome.Reply);
        Assert.Null(outcome.WaitingMemberId);
        Assert.Empty(outcome.JoinReplies);
        Assert.Equal(GroupStateName.Stable, h.State.State);
        Assert.Equal(1, h.State.GenerationId);
        Assert.Equal(["a-2", "b-1"], h.State.Members.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("a-2", h.State.LeaderId);
        var changed = Assert.IsType<GroupMetadataChanged>(Assert.Single(outcome.Events));
        Assert.Equal(1, changed.GenerationId);
        var record = Assert.Single(changed.Members, m => m.MemberId == "a-2");
        Assert.Equal("i-a", record.GroupInstanceId);
        Assert.Equal([Tp(0), Tp(1)], record.Assignment);

        var sync = h.Sync("a-2", 1, "i-a");
        Assert.Equal(ErrorCode.None, sync.Error);
        Assert.Equal([Tp(0), Tp(1)], sync.Assignment);
        Assert.Equal(ErrorCode.None, h.Heartbeat("b-1", 1).Error);
        Assert.Equal([Tp(2), Tp(3)], h.AssignmentOf("b-1"));
        Assert.Equal(GroupStateName.Stable, h.State.State);
    }

    [Fact]
    public void The_old_member_id_of_a_replaced_static_member_is_fenced_with_FENCED_INSTANCE_ID()
    {
        var h = new GroupHarness();
        StableWithStaticA(h);
        h.Join("a", instanceId: "i-a");

        Assert.Equal(ErrorCode.FencedInstanceId, h.Heartbeat("a-0", 1, "i-a").Error);
        Assert.Equal(ErrorCode.FencedInstanceId, h.Sync("a-0", 1, "i-a").Error);
        var commit = h.Commit(new OffsetCommitRequest("g", 1, "a-0", "i-a", [GroupHarness.At(0, 3)]));
        Assert.Equal(ErrorCode.FencedInstanceId, Assert.IsType<OffsetCommitResponse>(commit.Reply).Error);
        Assert.Empty(commit.Events);
        Assert.Equal(ErrorCode.FencedInstanceId, h.Leave("a-0", "i-a").Error);
        // Without its instance id the old id is simply unknown.
        Assert.Equal(ErrorCode.UnknownMemberId, h.Heartbeat("a-0", 1).Error);
        Assert.Equal(GroupStateName.Stable, h.State.State);
        Assert.Equal(2, h.State.Members.Count);
    }

    [Fact]
    public void A_static_member_rejoining_with_a_changed_subscription_triggers_a_rebalance()
    {
        var h = new GroupHarness();
        StableWithStaticA(h);

        var outcome = h.Join("a", instanceId: "i-a", topics: ["t", "u"]);

        Assert.Null(outcome.Reply);
        Assert.Equal("a-2", outcome.WaitingMemberId);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat("b-1", 1).Error);
    }

    [Fact]
    public void A_static_member_replaced_while_its_join_waits_has_that_join_answered_FENCED_INSTANCE_ID()
    {
        var h = new GroupHarness();
        StableWithStaticA(h);
        h.Join("b", "b-1");
        h.Join("a", "a-0", instanceId: "i-a");

        var outcome = h.Join("a", instanceId: "i-a");

        Assert.Null(outcome.Reply);
        Assert.Equal("a-2", outcome.WaitingMemberId);
        var (memberId, response) = Assert.Single(outcome.JoinReplies);
        Assert.Equal("a-0", memberId);
        Assert.Equal(ErrorCode.FencedInstanceId, response.Error);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.True(h.State.JoinReady(h.Now));
        Assert.Equal(["a-2", "b-1"], h.CompleteJoin().JoinReplies.Select(r => r.MemberId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_fenced_static_member_rejoining_with_its_old_member_id_answers_FENCED_INSTANCE_ID()
    {
        var h = new GroupHarness();
        StableWithStaticA(h);
        h.Join("a", instanceId: "i-a"); // the restarted instance is a-2

        var outcome = h.Join("a", "a-0", instanceId: "i-a"); // the old process is still around

        var reply = Assert.IsType<JoinGroupResponse>(outcome.Reply);
        Assert.Equal(ErrorCode.FencedInstanceId, reply.Error);
        Assert.Contains("a-2", h.State.Members.Keys);
        Assert.Equal(ErrorCode.None, h.Heartbeat("a-2", 1, "i-a").Error);
    }

    // ---- First joins that must learn their member id (KIP-394) ----

    private static JoinGroupRequest FirstJoin(string clientId, string memberId = "", string? instanceId = null) =>
        GroupHarness.JoinRequest(clientId, memberId, instanceId) with { RequireKnownMemberId = true };

    [Fact]
    public void A_first_join_that_requires_a_known_member_id_gets_one_at_once_and_joins_the_group_only_when_it_comes_back_with_it()
    {
        var h = new GroupHarness();
        var first = Assert.IsType<JoinGroupResponse>(h.Join(FirstJoin("a")).Reply);

        Assert.Equal(ErrorCode.MemberIdRequired, first.Error);
        Assert.Equal("a-0", first.MemberId);
        Assert.Empty(h.State.Members);
        Assert.Equal(GroupStateName.Dead, h.State.State);

        var again = h.Join(FirstJoin("a", "a-0"));
        Assert.Null(again.Reply);
        Assert.Equal("a-0", again.WaitingMemberId);
        Assert.Equal(["a-0"], h.State.Members.Keys);
        h.CompleteJoin();
        Assert.Equal(ErrorCode.None, h.Sync("a-0", 1).Error);
        Assert.Equal([Tp(0), Tp(1), Tp(2), Tp(3)], h.AssignmentOf("a-0"));
    }

    [Fact]
    public void A_first_join_sent_again_after_a_timeout_leaves_no_member_behind_that_the_group_would_assign_partitions_to()
    {
        var h = new GroupHarness();
        h.StableGroup("b");
        // The first try's id is never used: its answer was lost, and the client asks again from scratch.
        Assert.Equal(ErrorCode.MemberIdRequired, Assert.IsType<JoinGroupResponse>(h.Join(FirstJoin("a")).Reply).Error);
        var retried = Assert.IsType<JoinGroupResponse>(h.Join(FirstJoin("a")).Reply);
        Assert.Equal(ErrorCode.MemberIdRequired, retried.Error);

        h.Join(FirstJoin("a", retried.MemberId));
        h.Join("b", "b-0");
        h.CompleteJoin();

        Assert.Equal(new[] { "b-0", retried.MemberId }.Order(StringComparer.Ordinal), h.State.Members.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ErrorCode.None, h.Sync("b-0", 2).Error);
        Assert.Equal(ErrorCode.None, h.Sync(retried.MemberId, 2).Error);
        Assert.Equal(4, h.AssignmentOf("b-0").Count + h.AssignmentOf(retried.MemberId).Count);
    }

    [Fact]
    public void A_member_id_handed_out_and_not_joined_with_within_the_session_timeout_is_unknown()
    {
        var h = new GroupHarness();
        var id = Assert.IsType<JoinGroupResponse>(h.Join(FirstJoin("a")).Reply).MemberId;
        h.Now += Session;
        h.Tick();

        var late = Assert.IsType<JoinGroupResponse>(h.Join(FirstJoin("a", id)).Reply);
        Assert.Equal(ErrorCode.UnknownMemberId, late.Error);
        Assert.Empty(h.State.Members);
    }

    [Fact]
    public void A_static_member_or_a_client_that_does_not_ask_for_it_joins_without_the_extra_round_trip()
    {
        var h = new GroupHarness();
        Assert.Equal("a-0", h.Join(FirstJoin("a", instanceId: "i-a")).WaitingMemberId);
        Assert.Equal("b-1", h.Join("b").WaitingMemberId);
        Assert.Equal(2, h.State.Members.Count);
    }
}
