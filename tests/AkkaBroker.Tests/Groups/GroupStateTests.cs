using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>
/// Drives a <see cref="GroupState"/> the way <see cref="GroupCoordinator"/> does, with a fake clock (<see cref="Now"/>,
/// Unix ms, moved only by the test) and predictable member ids (<c>{clientId}-{n}</c>, n counting from 0). Every
/// outcome goes through <see cref="Persisted"/>, which journals its events and applies the ones that are not
/// <see cref="GroupMetadataChanged"/> (membership is applied when decided), as the actor does once they are durable.
/// </summary>
internal sealed class GroupHarness
{
    public const string GroupId = "g";
    public const string Topic = "t";
    public const int SessionTimeoutMs = 10_000;
    public const int RebalanceTimeoutMs = 30_000;
    public const long Start = 1_000_000;
    public const long RetentionMs = 86_400_000;
    public const long RetentionCheckIntervalMs = 600_000;
    public const int MetadataMaxBytes = 16;

    public static GroupSettings Settings(long initialRebalanceDelayMs = 0) => new(
        InitialRebalanceDelayMs: initialRebalanceDelayMs,
        MinSessionTimeoutMs: 6_000,
        MaxSessionTimeoutMs: 300_000,
        OffsetsRetentionMs: RetentionMs,
        OffsetsRetentionCheckIntervalMs: RetentionCheckIntervalMs,
        OffsetMetadataMaxBytes: MetadataMaxBytes);

    /// <summary>Topic "t" with 4 partitions: the partition counts the actor would look up.</summary>
    public static readonly IReadOnlyDictionary<string, int> FourPartitions = new Dictionary<string, int> { [Topic] = 4 };

    private int _nextMemberId;

    public GroupHarness(GroupSettings? settings = null)
    {
        State = new GroupState(GroupId, settings ?? Settings(), clientId => $"{clientId}-{_nextMemberId++}");
    }

    public GroupState State { get; }

    /// <summary>The fake clock.</summary>
    public long Now { get; set; } = Start;

    /// <summary>Every event persisted so far, in order (what recovery would replay).</summary>
    public List<object> Journal { get; } = [];

    public void Advance(long ms) => Now += ms;

    public static TopicPartition Tp(int partition, string topic = Topic) => new(topic, partition);

    public static JoinGroupRequest JoinRequest(string clientId, string memberId = "", string? instanceId = null,
        IReadOnlyList<string>? protocols = null, IReadOnlyList<string>? topics = null, IReadOnlyList<TopicPartition>? owned = null,
        int sessionTimeoutMs = SessionTimeoutMs, int rebalanceTimeoutMs = RebalanceTimeoutMs) =>
        new(GroupId, memberId, instanceId, clientId, sessionTimeoutMs, rebalanceTimeoutMs, protocols ?? ["range"], topics ?? [Topic], owned ?? []);

    /// <summary>What the actor does once an outcome's events are persisted: journal them, apply the non-membership ones.</summary>
    public GroupOutcome Persisted(GroupOutcome outcome)
    {
        foreach (var e in outcome.Events)
        {
            Journal.Add(e);
            if (e is not GroupMetadataChanged) State.Apply(e);
        }
        return outcome;
    }

    public GroupOutcome Join(JoinGroupRequest r) => Persisted(State.Join(r, Now));

    public GroupOutcome Join(string clientId, string memberId = "", string? instanceId = null, IReadOnlyList<string>? protocols = null,
        IReadOnlyList<string>? topics = null, IReadOnlyList<TopicPartition>? owned = null) =>
        Join(JoinRequest(clientId, memberId, instanceId, protocols, topics, owned));

    /// <summary>The actor calls CompleteJoin only when JoinReady; so does this.</summary>
    public GroupOutcome CompleteJoin(IReadOnlyDictionary<string, int>? partitionCounts = null)
    {
        Assert.True(State.JoinReady(Now), $"the join phase is not ready at {Now} (state {State.State})");
        return Persisted(State.CompleteJoin(partitionCounts ?? FourPartitions, Now));
    }

    public SyncGroupResponse Sync(string memberId, int generation, string? instanceId = null) =>
        Assert.IsType<SyncGroupResponse>(Persisted(State.Sync(new SyncGroupRequest(GroupId, generation, memberId, instanceId), Now)).Reply);

    public HeartbeatResponse Heartbeat(string memberId, int generation, string? instanceId = null) =>
        Assert.IsType<HeartbeatResponse>(Persisted(State.Heartbeat(new HeartbeatRequest(GroupId, generation, memberId, instanceId), Now)).Reply);

    public LeaveGroupResponse Leave(string memberId, string? instanceId = null) =>
        Assert.IsType<LeaveGroupResponse>(Persisted(State.Leave(new LeaveGroupRequest(GroupId, memberId, instanceId, "test"), Now)).Reply);

    public static OffsetCommitRequest CommitRequest(string memberId, int generation, params OffsetCommit[] offsets) =>
        new(GroupId, generation, memberId, null, offsets);

    public GroupOutcome Commit(OffsetCommitRequest r) => Persisted(State.Commit(r, Now));

    public OffsetCommitResponse Commit(string memberId, int generation, params OffsetCommit[] offsets) =>
        Assert.IsType<OffsetCommitResponse>(Commit(CommitRequest(memberId, generation, offsets)).Reply);

    public static OffsetCommit At(int partition, long offset, string? metadata = null) => new(Tp(partition), offset, metadata);

    public GroupOutcome Tick() => Persisted(State.Tick(Now));

    public CommittedOffset Fetched(int partition, string topic = Topic) =>
        Assert.Single(State.FetchOffsets(new OffsetFetchRequest(GroupId, [Tp(partition, topic)])).Offsets);

    public IReadOnlyList<TopicPartition> AssignmentOf(string memberId) => State.Members[memberId].Record.Assignment;

    /// <summary>
    /// A Stable group at generation 1: every client joins (no member id) with <paramref name="protocols"/> (range when
    /// null), the join completes over topic "t" with 4 partitions, every member syncs. Returns the member ids in join order.
    /// </summary>
    public string[] StableGroup(IReadOnlyList<string>? protocols, params string[] clients)
    {
        var ids = clients.Select(c => Assert.IsType<string>(Join(c, protocols: protocols).WaitingMemberId)).ToArray();
        var generation = Assert.Single(CompleteJoin().Events.OfType<GroupMetadataChanged>()).GenerationId;
        foreach (var id in ids) Assert.Equal(ErrorCode.None, Sync(id, generation).Error);
        Assert.Equal(GroupStateName.Stable, State.State);
        return ids;
    }

    public string[] StableGroup(params string[] clients) => StableGroup(null, clients);
}

/// <summary>The group's life from nothing to Stable and through a rebalance, and the protocol vote.</summary>
public class GroupStateTests
{
    private static TopicPartition Tp(int p) => GroupHarness.Tp(p);

    [Fact]
    public void A_new_group_is_Dead_at_generation_0_with_no_members_and_no_deadline()
    {
        var h = new GroupHarness();
        Assert.Equal(GroupStateName.Dead, h.State.State);
        Assert.Equal(0, h.State.GenerationId);
        Assert.Empty(h.State.Members);
        Assert.False(h.State.Exists);
        Assert.False(h.State.JoinReady(h.Now));
        Assert.Equal(long.MaxValue, h.State.NextDeadline(h.Now));
    }

    [Fact]
    public void Join_of_the_first_member_moves_a_Dead_group_to_PreparingRebalance_and_the_join_waits()
    {
        var h = new GroupHarness();
        var outcome = h.Join("a");

        Assert.Null(outcome.Reply);
        Assert.Equal("a-0", outcome.WaitingMemberId);
        Assert.Empty(outcome.Events);
        Assert.Empty(outcome.JoinReplies);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.Equal(["a-0"], h.State.Members.Keys);
        Assert.True(h.State.Members["a-0"].JoinPending);
        Assert.Equal(0, h.State.GenerationId);
        Assert.True(h.State.Exists);
        Assert.Equal(["t"], h.State.SubscribedTopics());
    }

    [Fact]
    public void Join_of_the_first_member_moves_an_Empty_group_with_offsets_to_PreparingRebalance()
    {
        var h = new GroupHarness();
        Assert.Equal(ErrorCode.None, h.Commit("", -1, GroupHarness.At(0, 5)).Error);
        Assert.Equal(GroupStateName.Empty, h.State.State);

        var outcome = h.Join("a");

        Assert.Null(outcome.Reply);
        Assert.Equal("a-0", outcome.WaitingMemberId);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.Equal(5, h.Fetched(0).Offset);
    }

    [Fact]
    public void With_no_initial_delay_the_join_of_the_first_member_is_ready_at_once()
    {
        var h = new GroupHarness();
        h.Join("a");
        Assert.True(h.State.JoinReady(h.Now));
        Assert.Equal(h.Now, h.State.NextDeadline(h.Now));
    }

    [Fact]
    public void CompleteJoin_moves_to_CompletingRebalance_at_generation_1_answers_every_waiting_member_and_records_the_generation()
    {
        var h = new GroupHarness();
        h.Join("a");
        h.Join("b");
        h.Advance(5);

        var outcome = h.CompleteJoin();

        Assert.Equal(GroupStateName.CompletingRebalance, h.State.State);
        Assert.Equal(1, h.State.GenerationId);
        Assert.Equal("range", h.State.Protocol);
        Assert.Equal("a-0", h.State.LeaderId);
        Assert.Null(outcome.Reply);
        Assert.Equal(
            [
                ("a-0", new JoinGroupResponse(ErrorCode.None, null, 1, "range", "a-0", "a-0")),
                ("b-1", new JoinGroupResponse(ErrorCode.None, null, 1, "range", "a-0", "b-1")),
            ],
            outcome.JoinReplies);
        var changed = Assert.IsType<GroupMetadataChanged>(Assert.Single(outcome.Events));
        Assert.Equal(1, changed.GenerationId);
        Assert.Equal("range", changed.Protocol);
        Assert.Equal("a-0", changed.LeaderId);
        Assert.Equal(GroupHarness.Start + 5, changed.StateTimestamp);
        Assert.Equal(["a-0", "b-1"], changed.Members.Select(m => m.MemberId));
        Assert.Equal([Tp(0), Tp(1)], changed.Members[0].Assignment);
        Assert.Equal([Tp(2), Tp(3)], changed.Members[1].Assignment);
        Assert.Equal("a", changed.Members[0].ClientId);
        Assert.Equal(GroupHarness.SessionTimeoutMs, changed.Members[0].SessionTimeoutMs);
        Assert.Equal(GroupHarness.RebalanceTimeoutMs, changed.Members[0].RebalanceTimeoutMs);
        Assert.Equal(["range"], changed.Members[0].Protocols);
        Assert.Equal(["t"], changed.Members[0].Topics);
        Assert.All(h.State.Members.Values, m => Assert.False(m.JoinPending));
    }

    [Fact]
    public void CompleteJoin_before_the_join_is_ready_does_nothing()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        h.Join("c");
        Assert.False(h.State.JoinReady(h.Now));

        var outcome = h.State.CompleteJoin(GroupHarness.FourPartitions, h.Now);

        Assert.Empty(outcome.Events);
        Assert.Empty(outcome.JoinReplies);
        Assert.Null(outcome.Reply);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.Equal(1, h.State.GenerationId);
    }

    [Fact]
    public void A_sync_in_CompletingRebalance_gives_the_member_its_assignment_and_the_last_sync_makes_the_group_Stable()
    {
        var h = new GroupHarness();
        h.Join("a");
        h.Join("b");
        h.CompleteJoin();

        var a = h.Sync("a-0", 1);
        Assert.Equal(ErrorCode.None, a.Error);
        Assert.Null(a.ErrorMessage);
        Assert.Equal([Tp(0), Tp(1)], a.Assignment);
        Assert.Equal(GroupStateName.CompletingRebalance, h.State.State);

        var b = h.Sync("b-1", 1);
        Assert.Equal(ErrorCode.None, b.Error);
        Assert.Null(b.ErrorMessage);
        Assert.Equal([Tp(2), Tp(3)], b.Assignment);
        Assert.Equal(GroupStateName.Stable, h.State.State);
    }

    [Fact]
    public void A_sync_in_Stable_answers_the_members_assignment_again()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        var again = h.Sync("b-1", 1);
        Assert.Equal(ErrorCode.None, again.Error);
        Assert.Equal([Tp(2), Tp(3)], again.Assignment);
        Assert.Equal(GroupStateName.Stable, h.State.State);
    }

    [Fact]
    public void A_heartbeat_in_Stable_answers_NONE()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        Assert.Equal(new HeartbeatResponse(ErrorCode.None, null), h.Heartbeat("a-0", 1));
        Assert.Equal(GroupStateName.Stable, h.State.State);
    }

    [Fact]
    public void A_heartbeat_in_CompletingRebalance_answers_NONE()
    {
        var h = new GroupHarness();
        h.Join("a");
        h.CompleteJoin();
        Assert.Equal(new HeartbeatResponse(ErrorCode.None, null), h.Heartbeat("a-0", 1));
        Assert.Equal(GroupStateName.CompletingRebalance, h.State.State);
    }

    [Fact]
    public void A_new_member_joining_a_Stable_group_starts_a_rebalance_that_waits_for_the_existing_members()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Advance(1000);

        var outcome = h.Join("b");

        Assert.Null(outcome.Reply);
        Assert.Equal("b-1", outcome.WaitingMemberId);
        Assert.Empty(outcome.Events);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.Equal(1, h.State.GenerationId);
        Assert.False(h.State.JoinReady(h.Now));
        // a has not rejoined: the next deadline is a's session expiry (last heard from when the group stabilised, 1 s
        // ago), which comes before the rebalance timeout that bounds the join.
        Assert.Equal(h.Now - 1000 + GroupHarness.SessionTimeoutMs, h.State.NextDeadline(h.Now));
        Assert.True(h.Now - 1000 + GroupHarness.SessionTimeoutMs < h.Now + GroupHarness.RebalanceTimeoutMs);
    }

    [Fact]
    public void Heartbeats_of_existing_members_answer_REBALANCE_IN_PROGRESS_while_the_group_prepares_a_rebalance()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Join("b");

        var heartbeat = h.Heartbeat("a-0", 1);

        Assert.Equal(ErrorCode.RebalanceInProgress, heartbeat.Error);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
    }

    [Fact]
    public void A_sync_while_the_group_prepares_a_rebalance_answers_REBALANCE_IN_PROGRESS_with_no_assignment()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Join("b");

        var sync = h.Sync("a-0", 1);

        Assert.Equal(ErrorCode.RebalanceInProgress, sync.Error);
        Assert.Empty(sync.Assignment);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
    }

    [Fact]
    public void When_every_member_has_rejoined_the_join_completes_with_the_next_generation_and_the_partitions_spread_over_all()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        Assert.Equal([Tp(0), Tp(1), Tp(2), Tp(3)], h.AssignmentOf("a-0"));
        h.Join("b");

        var rejoin = h.Join("a", "a-0");
        Assert.Null(rejoin.Reply);
        Assert.Equal("a-0", rejoin.WaitingMemberId);
        Assert.True(h.State.JoinReady(h.Now));

        var outcome = h.CompleteJoin();
        Assert.Equal(2, h.State.GenerationId);
        Assert.Equal(
            [
                ("a-0", new JoinGroupResponse(ErrorCode.None, null, 2, "range", "a-0", "a-0")),
                ("b-1", new JoinGroupResponse(ErrorCode.None, null, 2, "range", "a-0", "b-1")),
            ],
            outcome.JoinReplies);
        Assert.Equal([Tp(0), Tp(1)], h.Sync("a-0", 2).Assignment);
        Assert.Equal([Tp(2), Tp(3)], h.Sync("b-1", 2).Assignment);
        Assert.Equal(GroupStateName.Stable, h.State.State);
    }

    [Fact]
    public void A_known_member_rejoining_a_Stable_group_starts_a_rebalance_too()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");

        var outcome = h.Join("b", "b-1");

        Assert.Null(outcome.Reply);
        Assert.Equal("b-1", outcome.WaitingMemberId);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.False(h.State.JoinReady(h.Now));
        h.Join("a", "a-0");
        Assert.Equal(2, Assert.IsType<GroupMetadataChanged>(Assert.Single(h.CompleteJoin().Events)).GenerationId);
    }

    [Fact]
    public void A_join_before_the_initial_rebalance_delay_waits_and_a_second_member_joining_within_the_delay_is_in_the_same_generation()
    {
        var h = new GroupHarness(GroupHarness.Settings(initialRebalanceDelayMs: 3000));
        var t0 = h.Now;

        Assert.Null(h.Join("a").Reply);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        Assert.False(h.State.JoinReady(t0));
        Assert.Equal(t0 + 3000, h.State.NextDeadline(t0));

        h.Now = t0 + 1000;
        var second = h.Join("b");
        Assert.Null(second.Reply);
        Assert.Equal("b-1", second.WaitingMemberId);
        Assert.False(h.State.JoinReady(h.Now));
        Assert.Equal(t0 + 3000, h.State.NextDeadline(h.Now));

        Assert.False(h.State.JoinReady(t0 + 2999));
        var early = h.State.CompleteJoin(GroupHarness.FourPartitions, t0 + 2999);
        Assert.Empty(early.JoinReplies);
        Assert.Equal(0, h.State.GenerationId);

        h.Now = t0 + 3000;
        var outcome = h.CompleteJoin();
        Assert.Equal(1, h.State.GenerationId);
        Assert.Equal(["a-0", "b-1"], outcome.JoinReplies.Select(r => r.MemberId));
        Assert.All(outcome.JoinReplies, r => Assert.Equal(1, r.Response.GenerationId));
        Assert.Equal([Tp(0), Tp(1)], h.AssignmentOf("a-0"));
        Assert.Equal([Tp(2), Tp(3)], h.AssignmentOf("b-1"));
    }

    [Fact]
    public void The_initial_rebalance_delay_does_not_hold_up_a_rebalance_of_a_Stable_group()
    {
        var h = new GroupHarness(GroupHarness.Settings(initialRebalanceDelayMs: 3000));
        h.Join("a");
        h.Now += 3000;
        h.CompleteJoin();
        h.Sync("a-0", 1);

        h.Join("b");
        h.Join("a", "a-0");

        Assert.True(h.State.JoinReady(h.Now));
        Assert.Equal(2, Assert.IsType<GroupMetadataChanged>(Assert.Single(h.CompleteJoin().Events)).GenerationId);
    }

    [Fact]
    public void Members_offering_range_and_roundrobin_and_only_roundrobin_get_roundrobin()
    {
        var h = new GroupHarness();
        h.Join("a", protocols: ["range", "roundrobin"]);
        h.Join("b", protocols: ["roundrobin"]);

        var outcome = h.CompleteJoin();

        Assert.Equal("roundrobin", h.State.Protocol);
        Assert.All(outcome.JoinReplies, r => Assert.Equal("roundrobin", r.Response.Protocol));
        Assert.Equal("roundrobin", Assert.IsType<GroupMetadataChanged>(Assert.Single(outcome.Events)).Protocol);
        Assert.Equal([Tp(0), Tp(2)], h.AssignmentOf("a-0"));
        Assert.Equal([Tp(1), Tp(3)], h.AssignmentOf("b-1"));
    }

    [Fact]
    public void Each_member_votes_for_its_most_preferred_common_strategy_and_the_most_votes_win()
    {
        var h = new GroupHarness();
        h.Join("a", protocols: ["range", "roundrobin"]);
        h.Join("b", protocols: ["range", "roundrobin"]);
        h.Join("c", protocols: ["roundrobin", "range"]);

        h.CompleteJoin();

        Assert.Equal("range", h.State.Protocol);
    }

    [Fact]
    public void Describe_reports_Kafkas_state_name_the_generation_the_members_and_their_assignments()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");

        var d = h.State.Describe();

        Assert.Equal(ErrorCode.None, d.Error);
        Assert.Equal("g", d.GroupId);
        Assert.Equal("Stable", d.State);
        Assert.Equal("range", d.Protocol);
        Assert.Equal(1, d.GenerationId);
        Assert.Equal(["a-0", "b-1"], d.Members.Select(m => m.MemberId));
        Assert.Equal(["a", "b"], d.Members.Select(m => m.ClientId));
        Assert.Equal([Tp(0), Tp(1)], d.Members[0].Assignment);
        Assert.Equal([Tp(2), Tp(3)], d.Members[1].Assignment);
        Assert.Empty(d.Offsets);
    }
}
