using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>cooperative-sticky (KIP-429): a partition that changes owner is withheld until its old owner has given it up.</summary>
public class GroupStateCooperativeTests
{
    private static readonly string[] Cooperative = ["cooperative-sticky"];

    private static TopicPartition Tp(int p) => GroupHarness.Tp(p);

    private static IReadOnlyList<TopicPartition> Assigned(GroupOutcome completed, string memberId) =>
        Assert.Single(Assert.IsType<GroupMetadataChanged>(Assert.Single(completed.Events)).Members, m => m.MemberId == memberId).Assignment;

    [Fact]
    public void A_partition_moving_to_a_new_member_is_withheld_for_one_generation_and_given_to_it_after_its_old_owner_rejoins_without_it()
    {
        var h = new GroupHarness();
        h.StableGroup(Cooperative, "a", "b");
        Assert.Equal("cooperative-sticky", h.State.Protocol);
        Assert.Equal([Tp(0), Tp(2)], h.AssignmentOf("a-0"));
        Assert.Equal([Tp(1), Tp(3)], h.AssignmentOf("b-1"));

        // c joins; a and b rejoin still owning (and consuming) what they had.
        h.Join("c", protocols: Cooperative);
        h.Join("a", "a-0", protocols: Cooperative, owned: [Tp(0), Tp(2)]);
        h.Join("b", "b-1", protocols: Cooperative, owned: [Tp(1), Tp(3)]);
        var second = h.CompleteJoin();

        Assert.Equal(2, h.State.GenerationId);
        Assert.Equal([Tp(0), Tp(2)], Assigned(second, "a-0"));
        Assert.Equal([Tp(1)], Assigned(second, "b-1"));
        Assert.Empty(Assigned(second, "c-2"));
        // t-3 goes to c in the end, but nobody has it while b may still be fetching it.
        Assert.DoesNotContain(h.State.Members.Values, m => m.Record.Assignment.Contains(Tp(3)));
        Assert.Equal([Tp(0), Tp(2)], h.Sync("a-0", 2).Assignment);
        Assert.Equal([Tp(1)], h.Sync("b-1", 2).Assignment);
        Assert.Empty(h.Sync("c-2", 2).Assignment);
        Assert.Equal(GroupStateName.Stable, h.State.State);

        // b revokes t-3 (committing it, which is allowed: nobody owns it), and rejoins owning only t-1; the others follow.
        Assert.Equal(ErrorCode.None, h.Commit("b-1", 2, GroupHarness.At(3, 30)).Error);
        h.Join("b", "b-1", protocols: Cooperative, owned: [Tp(1)]);
        Assert.Equal(ErrorCode.RebalanceInProgress, h.Heartbeat("a-0", 2).Error);
        h.Join("a", "a-0", protocols: Cooperative, owned: [Tp(0), Tp(2)]);
        h.Join("c", "c-2", protocols: Cooperative);
        var third = h.CompleteJoin();

        Assert.Equal(3, h.State.GenerationId);
        Assert.Equal([Tp(0), Tp(2)], Assigned(third, "a-0"));
        Assert.Equal([Tp(1)], Assigned(third, "b-1"));
        Assert.Equal([Tp(3)], Assigned(third, "c-2"));
        Assert.Equal([Tp(3)], h.Sync("c-2", 3).Assignment);
        Assert.Equal(30, h.Fetched(3).Offset);
    }

    [Fact]
    public void An_eager_strategy_hands_a_moved_partition_to_its_new_owner_in_the_same_generation()
    {
        var h = new GroupHarness();
        h.StableGroup(["sticky"], "a", "b");
        Assert.Equal([Tp(0), Tp(2)], h.AssignmentOf("a-0"));
        Assert.Equal([Tp(1), Tp(3)], h.AssignmentOf("b-1"));

        h.Join("c", protocols: ["sticky"]);
        h.Join("a", "a-0", protocols: ["sticky"]);
        h.Join("b", "b-1", protocols: ["sticky"]);
        var second = h.CompleteJoin();

        // sticky keeps what it can (from the previous assignment) and moves t-3 at once.
        Assert.Equal([Tp(0), Tp(2)], Assigned(second, "a-0"));
        Assert.Equal([Tp(1)], Assigned(second, "b-1"));
        Assert.Equal([Tp(3)], Assigned(second, "c-2"));
    }
}
