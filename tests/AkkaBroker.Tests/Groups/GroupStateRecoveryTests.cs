using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>What a restarted coordinator rebuilds: replaying the journal, or restoring a snapshot.</summary>
public class GroupStateRecoveryTests
{
    private static TopicPartition Tp(int p) => GroupHarness.Tp(p);

    /// <summary>Everything a recovered group must agree on, as one comparable string.</summary>
    private static string Summary(GroupState s)
    {
        static string List<T>(IEnumerable<T> items) => "[" + string.Join(",", items) + "]";
        var members = s.Members.Values.OrderBy(m => m.MemberId, StringComparer.Ordinal).Select(m =>
            $"{m.MemberId}/{m.Record.GroupInstanceId}/{m.Record.ClientId}/{m.Record.SessionTimeoutMs}/{m.Record.RebalanceTimeoutMs}/" +
            $"{List(m.Record.Protocols)}/{List(m.Record.Topics)}/{List(m.Record.Assignment)}");
        var offsets = s.FetchOffsets(new OffsetFetchRequest("g", null)).Offsets;
        return $"{s.State} gen={s.GenerationId} protocol={s.Protocol} leader={s.LeaderId} members={List(members)} offsets={List(offsets)}";
    }

    private static GroupHarness StableGroupWithOffsets()
    {
        var h = new GroupHarness();
        Assert.Equal("a-0", h.Join("a", instanceId: "i-a").WaitingMemberId);
        h.Join("b");
        h.CompleteJoin();
        h.Sync("a-0", 1, "i-a");
        h.Sync("b-1", 1);
        h.Advance(100);
        h.Commit("a-0", 1, GroupHarness.At(0, 10, "ten"));
        h.Advance(100);
        h.Commit("b-1", 1, GroupHarness.At(2, 20));
        return h;
    }

    [Fact]
    public void Replaying_the_journal_into_a_fresh_GroupState_restores_the_generation_the_members_with_their_assignments_and_the_offsets()
    {
        var h = StableGroupWithOffsets();
        Assert.Equal([typeof(GroupMetadataChanged), typeof(GroupOffsetsCommitted), typeof(GroupOffsetsCommitted)],
            h.Journal.Select(e => e.GetType()));

        var recovered = new GroupState("g", GroupHarness.Settings());
        foreach (var e in h.Journal) recovered.Apply(e);

        Assert.Equal(GroupStateName.Stable, recovered.State);
        Assert.Equal(1, recovered.GenerationId);
        Assert.Equal("range", recovered.Protocol);
        Assert.Equal("a-0", recovered.LeaderId);
        Assert.Equal(["a-0", "b-1"], recovered.Members.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([Tp(0), Tp(1)], recovered.Members["a-0"].Record.Assignment);
        Assert.Equal([Tp(2), Tp(3)], recovered.Members["b-1"].Record.Assignment);
        Assert.Equal(new CommittedOffset(Tp(0), 10, "ten", GroupHarness.Start + 100),
            recovered.FetchOffsets(new OffsetFetchRequest("g", [Tp(0)])).Offsets.Single());
        Assert.Equal(new CommittedOffset(Tp(2), 20, null, GroupHarness.Start + 200),
            recovered.FetchOffsets(new OffsetFetchRequest("g", [Tp(2)])).Offsets.Single());
        Assert.Equal(Summary(h.State), Summary(recovered));
    }

    [Fact]
    public void Recovered_members_carry_on_with_their_generation_and_a_full_session_from_OnRecovered()
    {
        var h = StableGroupWithOffsets();
        var recovered = new GroupState("g", GroupHarness.Settings());
        foreach (var e in h.Journal) recovered.Apply(e);
        var restart = h.Now + 60_000;

        recovered.OnRecovered(restart);

        Assert.Equal(restart + GroupHarness.SessionTimeoutMs, recovered.NextDeadline(restart));
        Assert.Equal(new HeartbeatResponse(ErrorCode.None, null), recovered.Heartbeat(new HeartbeatRequest("g", 1, "b-1", null), restart).Reply);
        var sync = Assert.IsType<SyncGroupResponse>(recovered.Sync(new SyncGroupRequest("g", 1, "a-0", "i-a"), restart).Reply);
        Assert.Equal([Tp(0), Tp(1)], sync.Assignment);
        // The static member's instance id is known again: its old incarnation is fenced after a restart of it.
        var rejoin = recovered.Join(GroupHarness.JoinRequest("a", instanceId: "i-a"), restart);
        Assert.Equal(ErrorCode.None, Assert.IsType<JoinGroupResponse>(rejoin.Reply).Error);
        Assert.Equal(GroupStateName.Stable, recovered.State);
    }

    [Fact]
    public void Replaying_a_journal_that_ends_with_the_group_emptied_restores_an_Empty_group_with_its_offsets_and_when_it_emptied()
    {
        var h = StableGroupWithOffsets();
        h.Advance(1000);
        h.Leave("a-0", "i-a");
        h.Leave("b-1");
        var emptySince = h.Now;
        Assert.Equal(GroupStateName.Empty, h.State.State);

        var recovered = new GroupState("g", GroupHarness.Settings());
        foreach (var e in h.Journal) recovered.Apply(e);

        Assert.Equal(GroupStateName.Empty, recovered.State);
        Assert.Equal(2, recovered.GenerationId);
        Assert.Empty(recovered.Members);
        Assert.Equal(emptySince, recovered.EmptySince);
        Assert.Equal(Summary(h.State), Summary(recovered));
        var expired = recovered.Tick(emptySince + GroupHarness.RetentionMs);
        Assert.Equal(2, Assert.IsType<GroupOffsetsExpired>(Assert.Single(expired.Events)).Partitions.Count);
    }

    [Fact]
    public void Replaying_a_journal_that_ends_with_GroupDeleted_restores_a_Dead_group()
    {
        var h = new GroupHarness();
        h.Commit("", -1, GroupHarness.At(0, 1));
        h.Persisted(h.State.Delete());

        var recovered = new GroupState("g", GroupHarness.Settings());
        foreach (var e in h.Journal) recovered.Apply(e);

        Assert.Equal(GroupStateName.Dead, recovered.State);
        Assert.Empty(recovered.Offsets);
    }

    [Fact]
    public void ToSnapshot_and_Restore_round_trip_a_Stable_group()
    {
        var h = StableGroupWithOffsets();

        var snapshot = h.State.ToSnapshot(h.Now);
        var restored = new GroupState("g", GroupHarness.Settings());
        restored.Restore(snapshot);

        Assert.Equal(GroupStateName.Stable, restored.State);
        Assert.Equal(1, restored.GenerationId);
        Assert.Equal(Summary(h.State), Summary(restored));
        Assert.Equal(h.Now, snapshot.Metadata.StateTimestamp);
        Assert.Equal(h.Now + GroupHarness.SessionTimeoutMs, restored.NextDeadline(h.Now));
    }

    [Fact]
    public void ToSnapshot_and_Restore_round_trip_an_Empty_group_and_when_it_emptied()
    {
        var h = StableGroupWithOffsets();
        h.Advance(1000);
        h.Leave("a-0", "i-a");
        h.Leave("b-1");
        var emptySince = h.Now;
        h.Advance(5000);

        var snapshot = h.State.ToSnapshot(h.Now);
        var restored = new GroupState("g", GroupHarness.Settings());
        restored.Restore(snapshot);

        Assert.Equal(emptySince, snapshot.Metadata.StateTimestamp);
        Assert.Equal(GroupStateName.Empty, restored.State);
        Assert.Equal(emptySince, restored.EmptySince);
        Assert.Equal(Summary(h.State), Summary(restored));
    }

    [Fact]
    public void Restore_then_replaying_later_events_gives_the_same_group_as_replaying_everything()
    {
        var h = StableGroupWithOffsets();
        var snapshot = h.State.ToSnapshot(h.Now);
        var before = h.Journal.Count;
        h.Advance(10);
        h.Commit("a-0", 1, GroupHarness.At(1, 11));
        h.Leave("b-1");
        h.Join("a", "a-0", instanceId: "i-a");
        h.CompleteJoin();

        var restored = new GroupState("g", GroupHarness.Settings());
        restored.Restore(snapshot);
        foreach (var e in h.Journal.Skip(before)) restored.Apply(e);
        var replayed = new GroupState("g", GroupHarness.Settings());
        foreach (var e in h.Journal) replayed.Apply(e);

        Assert.Equal(Summary(replayed), Summary(restored));
        Assert.Equal(2, restored.GenerationId);
        Assert.Equal([Tp(0), Tp(1), Tp(2), Tp(3)], restored.Members["a-0"].Record.Assignment);
        Assert.Equal(11, restored.FetchOffsets(new OffsetFetchRequest("g", [Tp(1)])).Offsets.Single().Offset);
    }
}
