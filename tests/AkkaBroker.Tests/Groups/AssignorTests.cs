using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>Worked examples for the assignors; where Kafka's own assignor tests have the case, the expected result is Kafka's.</summary>
public sealed class AssignorTests
{
    private static readonly IPartitionAssignor Range = PartitionAssignors.ByName("range")!;
    private static readonly IPartitionAssignor RoundRobin = PartitionAssignors.ByName("roundrobin")!;
    private static readonly IPartitionAssignor Sticky = PartitionAssignors.ByName("sticky")!;
    private static readonly IPartitionAssignor CooperativeSticky = PartitionAssignors.ByName("cooperative-sticky")!;

    private static AssignorMember Member(string id, params string[] topics) => new(id, null, topics, []);

    private static AssignorMember Owning(string id, string[] topics, params TopicPartition[] owned) => new(id, null, topics, owned);

    private static AssignorMember Static(string id, string instanceId, params string[] topics) => new(id, instanceId, topics, []);

    private static TopicPartition Tp(string topic, int partition) => new(topic, partition);

    private static Dictionary<string, int> Counts(params (string Topic, int Partitions)[] topics) =>
        topics.ToDictionary(t => t.Topic, t => t.Partitions);

    private static void AssertAssigned(IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> actual, string memberId, params TopicPartition[] expected) =>
        Assert.Equal(expected, actual[memberId]);

    // ---- names ----

    [Fact]
    public void Names_must_list_the_four_assignors_in_kafka_order()
    {
        Assert.Equal(["range", "roundrobin", "sticky", "cooperative-sticky"], PartitionAssignors.Names);
        foreach (var name in PartitionAssignors.Names) Assert.Equal(name, PartitionAssignors.ByName(name)!.Name);
    }

    [Theory]
    [InlineData("RANGE", "range")]
    [InlineData("RoundRobin", "roundrobin")]
    [InlineData("Sticky", "sticky")]
    [InlineData("Cooperative-Sticky", "cooperative-sticky")]
    public void ByName_must_ignore_case(string asked, string expected) => Assert.Equal(expected, PartitionAssignors.ByName(asked)?.Name);

    [Theory]
    [InlineData("")]
    [InlineData("uniform")]
    [InlineData("cooperative_sticky")]
    [InlineData("range ")]
    public void ByName_must_return_null_for_an_unknown_name(string name) => Assert.Null(PartitionAssignors.ByName(name));

    [Fact]
    public void Only_cooperative_sticky_must_be_cooperative()
    {
        Assert.False(Range.Cooperative);
        Assert.False(RoundRobin.Cooperative);
        Assert.False(Sticky.Cooperative);
        Assert.True(CooperativeSticky.Cooperative);
    }

    // ---- all assignors ----

    [Fact]
    public void Every_assignor_must_list_members_without_partitions_and_ignore_topics_not_created_yet()
    {
        var counts = Counts(("t", 2));
        var members = new[] { Member("c1", "t", "not-yet"), Member("c2", "not-yet") };
        foreach (var name in PartitionAssignors.Names)
        {
            var result = PartitionAssignors.ByName(name)!.Assign(members, counts);
            AssertAssigned(result, "c1", Tp("t", 0), Tp("t", 1));
            AssertAssigned(result, "c2");
        }
    }

    [Fact]
    public void Every_assignor_must_return_nothing_for_an_empty_group()
    {
        foreach (var name in PartitionAssignors.Names)
            Assert.Empty(PartitionAssignors.ByName(name)!.Assign([], Counts(("t", 3))));
    }

    [Fact]
    public void Every_assignor_must_reject_duplicate_member_ids()
    {
        foreach (var name in PartitionAssignors.Names)
            Assert.Throws<ArgumentException>(() => PartitionAssignors.ByName(name)!.Assign([Member("c1", "t"), Member("c1", "t")], Counts(("t", 3))));
    }

    // ---- range ----

    [Fact]
    public void Range_must_give_one_member_every_partition_of_its_topic_and_none_of_the_others()
    {
        var result = Range.Assign([Member("c1", "topic")], Counts(("topic", 3), ("other", 3)));
        AssertAssigned(result, "c1", Tp("topic", 0), Tp("topic", 1), Tp("topic", 2));
    }

    [Fact]
    public void Range_must_leave_the_second_member_empty_when_the_topic_has_one_partition()
    {
        var result = Range.Assign([Member("c1", "topic"), Member("c2", "topic")], Counts(("topic", 1)));
        AssertAssigned(result, "c1", Tp("topic", 0));
        AssertAssigned(result, "c2");
    }

    [Fact]
    public void Range_must_give_the_first_members_one_extra_partition()
    {
        var result = Range.Assign([Member("c3", "t"), Member("c1", "t"), Member("c2", "t")], Counts(("t", 7)));
        AssertAssigned(result, "c1", Tp("t", 0), Tp("t", 1), Tp("t", 2));
        AssertAssigned(result, "c2", Tp("t", 3), Tp("t", 4));
        AssertAssigned(result, "c3", Tp("t", 5), Tp("t", 6));
    }

    [Fact]
    public void Range_must_split_each_topic_separately_so_the_first_member_gets_the_extra_of_both()
    {
        var result = Range.Assign([Member("c1", "t1", "t2"), Member("c2", "t1", "t2")], Counts(("t1", 3), ("t2", 3)));
        AssertAssigned(result, "c1", Tp("t1", 0), Tp("t1", 1), Tp("t2", 0), Tp("t2", 1));
        AssertAssigned(result, "c2", Tp("t1", 2), Tp("t2", 2));
    }

    [Fact]
    public void Range_must_split_a_topic_only_over_its_subscribers()
    {
        var result = Range.Assign([Member("c1", "t1"), Member("c2", "t1", "t2"), Member("c3", "t1")], Counts(("t1", 3), ("t2", 2)));
        AssertAssigned(result, "c1", Tp("t1", 0));
        AssertAssigned(result, "c2", Tp("t1", 1), Tp("t2", 0), Tp("t2", 1));
        AssertAssigned(result, "c3", Tp("t1", 2));
    }

    [Fact]
    public void Range_must_give_a_restarted_static_member_its_partitions_back_although_its_member_id_changed()
    {
        var counts = Counts(("t", 3));
        var before = Range.Assign([Static("m-b", "instance-1", "t"), Static("m-a", "instance-2", "t")], counts);
        AssertAssigned(before, "m-b", Tp("t", 0), Tp("t", 1));
        AssertAssigned(before, "m-a", Tp("t", 2));

        // instance-2 restarted with an id that now sorts first; the instance id still decides.
        var after = Range.Assign([Static("m-b", "instance-1", "t"), Static("m-0", "instance-2", "t")], counts);
        AssertAssigned(after, "m-b", Tp("t", 0), Tp("t", 1));
        AssertAssigned(after, "m-0", Tp("t", 2));
    }

    [Fact]
    public void Range_must_order_static_members_before_dynamic_ones()
    {
        var result = Range.Assign([Member("a-dynamic", "t"), Static("z-static", "instance", "t")], Counts(("t", 3)));
        AssertAssigned(result, "z-static", Tp("t", 0), Tp("t", 1));
        AssertAssigned(result, "a-dynamic", Tp("t", 2));
    }

    // ---- roundrobin ----

    [Fact]
    public void RoundRobin_must_deal_partitions_of_all_topics_in_turn()
    {
        var result = RoundRobin.Assign([Member("c1", "t1", "t2"), Member("c2", "t1", "t2")], Counts(("t1", 3), ("t2", 3)));
        AssertAssigned(result, "c1", Tp("t1", 0), Tp("t1", 2), Tp("t2", 1));
        AssertAssigned(result, "c2", Tp("t1", 1), Tp("t2", 0), Tp("t2", 2));
    }

    [Fact]
    public void RoundRobin_must_pass_over_members_not_subscribed_to_the_topic()
    {
        var result = RoundRobin.Assign([Member("c1", "t1"), Member("c2", "t1", "t2"), Member("c3", "t1")], Counts(("t1", 3), ("t2", 2)));
        AssertAssigned(result, "c1", Tp("t1", 0));
        AssertAssigned(result, "c2", Tp("t1", 1), Tp("t2", 0), Tp("t2", 1));
        AssertAssigned(result, "c3", Tp("t1", 2));
    }

    [Fact]
    public void RoundRobin_must_order_members_by_static_instance_id()
    {
        var result = RoundRobin.Assign([Static("m-1", "instance-b", "t"), Static("m-2", "instance-a", "t")], Counts(("t", 3)));
        AssertAssigned(result, "m-2", Tp("t", 0), Tp("t", 2));
        AssertAssigned(result, "m-1", Tp("t", 1));
    }

    // ---- sticky ----

    [Fact]
    public void Sticky_must_deal_a_fresh_group_like_roundrobin()
    {
        var result = Sticky.Assign([Member("c1", "t1", "t2"), Member("c2", "t1", "t2")], Counts(("t1", 3), ("t2", 3)));
        AssertAssigned(result, "c1", Tp("t1", 0), Tp("t1", 2), Tp("t2", 1));
        AssertAssigned(result, "c2", Tp("t1", 1), Tp("t2", 0), Tp("t2", 2));
    }

    [Fact]
    public void Sticky_must_move_only_what_a_new_member_needs_and_give_it_all_back_when_the_other_leaves()
    {
        var counts = Counts(("t", 3));
        var withNewcomer = Sticky.Assign([Owning("c1", ["t"], Tp("t", 0), Tp("t", 1), Tp("t", 2)), Member("c2", "t")], counts);
        AssertAssigned(withNewcomer, "c1", Tp("t", 0), Tp("t", 1));
        AssertAssigned(withNewcomer, "c2", Tp("t", 2));

        var afterLeave = Sticky.Assign([Owning("c2", ["t"], Tp("t", 2))], counts);
        AssertAssigned(afterLeave, "c2", Tp("t", 0), Tp("t", 1), Tp("t", 2));
    }

    [Fact]
    public void Sticky_must_keep_a_balanced_assignment_exactly_as_it_is()
    {
        var counts = Counts(("t1", 4), ("t2", 3));
        var members = new[]
        {
            Owning("c1", ["t1", "t2"], Tp("t1", 3), Tp("t2", 0)),
            Owning("c2", ["t1", "t2"], Tp("t1", 0), Tp("t1", 1), Tp("t2", 2)),
            Owning("c3", ["t1", "t2"], Tp("t1", 2), Tp("t2", 1)),
        };
        var result = Sticky.Assign(members, counts);
        foreach (var m in members) Assert.Equal(m.OwnedPartitions, result[m.MemberId]);
    }

    [Fact]
    public void Sticky_must_balance_mixed_subscriptions_as_kafka_does()
    {
        var result = Sticky.Assign([Member("c1", "t1"), Member("c2", "t1", "t2"), Member("c3", "t1")], Counts(("t1", 3), ("t2", 2)));
        AssertAssigned(result, "c1", Tp("t1", 0), Tp("t1", 2));
        AssertAssigned(result, "c2", Tp("t2", 0), Tp("t2", 1));
        AssertAssigned(result, "c3", Tp("t1", 1));
    }

    [Fact]
    public void Sticky_must_keep_owned_partitions_with_mixed_subscriptions_when_they_are_balanced()
    {
        var counts = Counts(("t1", 3), ("t2", 2));
        var members = new[]
        {
            Owning("c1", ["t1"], Tp("t1", 1)),
            Owning("c2", ["t1", "t2"], Tp("t2", 0), Tp("t2", 1)),
            Owning("c3", ["t1"], Tp("t1", 0), Tp("t1", 2)),
        };
        var result = Sticky.Assign(members, counts);
        foreach (var m in members) Assert.Equal(m.OwnedPartitions, result[m.MemberId]);
    }

    [Fact]
    public void Sticky_must_give_a_partition_claimed_twice_to_the_first_member()
    {
        var result = Sticky.Assign([Owning("c2", ["t"], Tp("t", 0)), Owning("c1", ["t"], Tp("t", 0))], Counts(("t", 2)));
        AssertAssigned(result, "c1", Tp("t", 0));
        AssertAssigned(result, "c2", Tp("t", 1));
    }

    [Fact]
    public void Sticky_must_drop_owned_partitions_of_unsubscribed_or_shrunk_topics()
    {
        var result = Sticky.Assign(
            [Owning("c1", ["t1"], Tp("t2", 0), Tp("t1", 5)), Owning("c2", ["t1", "t2"], Tp("t1", 0))],
            Counts(("t1", 2), ("t2", 1)));
        AssertAssigned(result, "c1", Tp("t1", 1));
        AssertAssigned(result, "c2", Tp("t1", 0), Tp("t2", 0));
    }

    // ---- cooperative-sticky ----

    [Fact]
    public void CooperativeSticky_must_withhold_a_moving_partition_until_the_next_rebalance()
    {
        var counts = Counts(("t", 3));
        var first = CooperativeSticky.Assign([Owning("c1", ["t"], Tp("t", 0), Tp("t", 1), Tp("t", 2)), Member("c2", "t")], counts);
        AssertAssigned(first, "c1", Tp("t", 0), Tp("t", 1));
        AssertAssigned(first, "c2");

        var second = CooperativeSticky.Assign([Owning("c1", ["t"], Tp("t", 0), Tp("t", 1)), Member("c2", "t")], counts);
        AssertAssigned(second, "c1", Tp("t", 0), Tp("t", 1));
        AssertAssigned(second, "c2", Tp("t", 2));
    }

    [Fact]
    public void CooperativeSticky_must_hand_out_unowned_partitions_at_once()
    {
        var result = CooperativeSticky.Assign([Member("c1", "t"), Member("c2", "t")], Counts(("t", 3)));
        AssertAssigned(result, "c1", Tp("t", 0), Tp("t", 2));
        AssertAssigned(result, "c2", Tp("t", 1));
    }

    [Fact]
    public void CooperativeSticky_must_withhold_a_partition_still_owned_by_a_member_that_unsubscribed_its_topic()
    {
        var result = CooperativeSticky.Assign([Owning("c1", ["t1"], Tp("t2", 0)), Member("c2", "t2")], Counts(("t1", 1), ("t2", 1)));
        AssertAssigned(result, "c1", Tp("t1", 0));
        AssertAssigned(result, "c2");
    }

    [Fact]
    public void CooperativeSticky_must_withhold_a_partition_claimed_by_two_members_from_both_until_one_lets_go()
    {
        var result = CooperativeSticky.Assign([Owning("c1", ["t"], Tp("t", 0)), Owning("c2", ["t"], Tp("t", 0))], Counts(("t", 2)));
        AssertAssigned(result, "c1");
        AssertAssigned(result, "c2", Tp("t", 1));
    }
}
