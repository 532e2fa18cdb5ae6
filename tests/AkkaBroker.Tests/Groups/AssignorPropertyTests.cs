using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol.Messages;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>
/// Random groups (1-8 members, 1-4 topics of 1-40 partitions, random subscriptions, random and sometimes
/// conflicting owned partitions, some static members, some subscriptions to topics not created yet) checked
/// against what the group coordinator relies on.
/// </summary>
public sealed class AssignorPropertyTests
{
    private const int Tests = 200;

    /// <summary>A group as the coordinator would hand it to an assignor.</summary>
    public sealed record Scenario(IReadOnlyList<AssignorMember> Members, IReadOnlyDictionary<string, int> Counts)
    {
        public int TotalPartitions(IEnumerable<string> topics) => topics.Distinct().Where(Counts.ContainsKey).Sum(t => Counts[t]);

        public override string ToString() =>
            $"topics [{string.Join(", ", Counts.Select(c => $"{c.Key}:{c.Value}"))}] members [{string.Join("; ", Members.Select(Describe))}]";

        private static string Describe(AssignorMember m) =>
            $"{m.MemberId}{(m.GroupInstanceId is null ? "" : "/" + m.GroupInstanceId)} subs {{{string.Join(",", m.Topics)}}} owns {{{string.Join(",", m.OwnedPartitions)}}}";
    }

    /// <summary>A group, then a change of membership: one member leaves, or one joins.</summary>
    public sealed record Change(Scenario Before, bool Leave, int Which)
    {
        public override string ToString() => $"{Before} then {(Leave ? "member #" + Which + " leaves" : "a member joins")}";
    }

    private static readonly string[] TopicNames = ["t0", "t1", "t2", "t3"];

    private static Gen<Scenario> ScenarioGen(bool sameSubscriptions) =>
        from topicCount in Gen.Choose(1, 4)
        from counts in Gen.Choose(1, 40).ArrayOf(topicCount)
        from memberCount in Gen.Choose(1, 8)
        from sharedMask in Gen.Choose(1, (1 << topicCount) - 1)
        from members in MemberGen(topicCount, counts, sameSubscriptions ? sharedMask : null).ArrayOf(memberCount)
        select new Scenario(
            members.Select((m, i) => m with
            {
                MemberId = $"{m.MemberId}-{i}",
                GroupInstanceId = m.GroupInstanceId is null ? null : $"{m.GroupInstanceId}-{i}",
            }).ToArray(),
            Enumerable.Range(0, topicCount).ToDictionary(t => TopicNames[t], t => counts[t]));

    private static Gen<AssignorMember> MemberGen(int topicCount, int[] counts, int? sharedMask)
    {
        // Owned partitions may include ones of a topic not subscribed, past the end of a topic, or of a topic
        // that does not exist, and may collide with other members' claims: all of that reaches a real coordinator.
        var claimable = Enumerable.Range(0, topicCount)
            .SelectMany(t => Enumerable.Range(0, counts[t] + 1).Select(p => new TopicPartition(TopicNames[t], p)))
            .Append(new TopicPartition("ghost", 0))
            .ToArray();
        return
            from mask in sharedMask is { } shared ? Gen.Constant(shared) : Gen.Choose(1, (1 << topicCount) - 1)
            from ghost in sharedMask is null ? Gen.Elements(false, false, false, true) : Gen.Constant(false)
            from isStatic in Gen.Elements(false, true)
            from key in Gen.Choose(0, 999)
            from owned in Gen.Frequency((1, Gen.Constant<IReadOnlyList<TopicPartition>>([])),
                (2, Gen.SubListOf(claimable).Select(l => (IReadOnlyList<TopicPartition>)l.ToArray())))
            select new AssignorMember(
                $"member-{key:000}",
                isStatic ? $"instance-{(key * 7919) % 1000:000}" : null,
                Enumerable.Range(0, topicCount).Where(t => (mask & (1 << t)) != 0).Select(t => TopicNames[t])
                    .Concat(ghost ? ["ghost"] : []).ToArray(),
                owned);
    }

    private static Arbitrary<Scenario> AnyGroup => ScenarioGen(sameSubscriptions: false).ToArbitrary();

    private static Arbitrary<Scenario> SameSubscriptionGroup => ScenarioGen(sameSubscriptions: true).ToArbitrary();

    private static Arbitrary<Change> MembershipChange =>
        (from before in ScenarioGen(sameSubscriptions: true)
         from leave in Gen.Elements(false, true)
         from which in Gen.Choose(0, 7)
         select new Change(before, leave, which)).ToArbitrary();

    private static IEnumerable<IPartitionAssignor> AllAssignors => PartitionAssignors.Names.Select(n => PartitionAssignors.ByName(n)!);

    private static IPartitionAssignor Sticky => PartitionAssignors.ByName("sticky")!;

    private static IPartitionAssignor CooperativeSticky => PartitionAssignors.ByName("cooperative-sticky")!;

    private static IEnumerable<TopicPartition> SubscribedPartitions(Scenario s) =>
        s.Members.SelectMany(m => m.Topics).Distinct().Where(s.Counts.ContainsKey)
            .SelectMany(t => Enumerable.Range(0, s.Counts[t]).Select(p => new TopicPartition(t, p)));

    /// <summary>Every member present, lists sorted, partitions real and subscribed, none given twice; returns the owner of each.</summary>
    private static Dictionary<TopicPartition, string> CheckWellFormed(Scenario s, IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> result)
    {
        Assert.Equal(s.Members.Select(m => m.MemberId).Order(StringComparer.Ordinal), result.Keys.Order(StringComparer.Ordinal));
        var owner = new Dictionary<TopicPartition, string>();
        foreach (var m in s.Members)
        {
            var list = result[m.MemberId];
            Assert.Equal(list.OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition), list);
            foreach (var tp in list)
            {
                Assert.Contains(tp.Topic, m.Topics);
                Assert.True(s.Counts.TryGetValue(tp.Topic, out var count) && tp.Partition >= 0 && tp.Partition < count, $"{tp} does not exist");
                Assert.True(owner.TryAdd(tp, m.MemberId), $"{tp} given to {owner.GetValueOrDefault(tp)} and {m.MemberId}");
            }
        }
        return owner;
    }

    private static void CheckComplete(Scenario s, Dictionary<TopicPartition, string> owner)
    {
        foreach (var tp in SubscribedPartitions(s)) Assert.True(owner.ContainsKey(tp), $"{tp} not assigned");
    }

    private static Scenario OwningPrevious(Scenario s, IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> previous) =>
        s with { Members = s.Members.Select(m => m with { OwnedPartitions = previous[m.MemberId] }).ToArray() };

    private static void CheckSpread(IEnumerable<int> counts)
    {
        var list = counts.ToList();
        Assert.True(list.Max() - list.Min() <= 1, $"counts {string.Join(",", list)} differ by more than one");
    }

    [Property(MaxTest = Tests)]
    public Property Every_assignor_must_give_each_partition_to_at_most_one_subscriber_and_the_eager_ones_to_exactly_one() =>
        Prop.ForAll(AnyGroup, s =>
        {
            foreach (var assignor in AllAssignors)
            {
                var owner = CheckWellFormed(s, assignor.Assign(s.Members, s.Counts));
                if (!assignor.Cooperative) CheckComplete(s, owner);
            }
        });

    [Property(MaxTest = Tests)]
    public Property CooperativeSticky_must_never_give_out_a_partition_another_member_owns_and_must_converge_in_two_rebalances() =>
        Prop.ForAll(AnyGroup, s =>
        {
            var first = CooperativeSticky.Assign(s.Members, s.Counts);
            CheckWellFormed(s, first);
            foreach (var b in s.Members)
            {
                foreach (var tp in first[b.MemberId])
                {
                    var other = s.Members.FirstOrDefault(a => a.MemberId != b.MemberId && a.OwnedPartitions.Contains(tp));
                    Assert.True(other is null, $"{tp} given to {b.MemberId} while {other?.MemberId} still owns it");
                }
            }

            var next = OwningPrevious(s, first);
            var second = CooperativeSticky.Assign(next.Members, next.Counts);
            CheckComplete(next, CheckWellFormed(next, second));
            foreach (var m in s.Members) Assert.Empty(first[m.MemberId].Except(second[m.MemberId]));
        });

    [Property(MaxTest = Tests)]
    public Property Balancing_assignors_must_keep_counts_within_one_when_subscriptions_are_equal() =>
        Prop.ForAll(SameSubscriptionGroup, s =>
        {
            foreach (var name in new[] { "roundrobin", "sticky" })
            {
                var result = PartitionAssignors.ByName(name)!.Assign(s.Members, s.Counts);
                CheckSpread(result.Values.Select(l => l.Count));
            }

            var settled = CooperativeSticky.Assign(OwningPrevious(s, CooperativeSticky.Assign(s.Members, s.Counts)).Members, s.Counts);
            CheckSpread(settled.Values.Select(l => l.Count));

            var range = PartitionAssignors.ByName("range")!.Assign(s.Members, s.Counts);
            foreach (var topic in s.Members[0].Topics.Where(s.Counts.ContainsKey))
                CheckSpread(range.Values.Select(l => l.Count(tp => tp.Topic == topic)));
        });

    [Property(MaxTest = Tests)]
    public Property Sticky_must_move_no_more_than_a_membership_change_requires() =>
        Prop.ForAll(MembershipChange, c =>
        {
            var before = Sticky.Assign(c.Before.Members, c.Before.Counts);
            var survivors = OwningPrevious(c.Before, before).Members.ToList();
            if (c.Leave && survivors.Count > 1) survivors.RemoveAt(c.Which % survivors.Count);
            else survivors.Add(new AssignorMember("newcomer", null, survivors[0].Topics, []));

            var after = new Scenario(survivors, c.Before.Counts);
            var result = Sticky.Assign(after.Members, after.Counts);
            CheckComplete(after, CheckWellFormed(after, result));

            var floor = after.TotalPartitions(survivors[0].Topics) / survivors.Count;
            foreach (var m in survivors)
            {
                var kept = result[m.MemberId].Intersect(m.OwnedPartitions).Count();
                Assert.True(kept >= Math.Min(m.OwnedPartitions.Count, floor),
                    $"{m.MemberId} kept {kept} of {m.OwnedPartitions.Count} with floor {floor}");
            }
        });

    [Property(MaxTest = Tests)]
    public Property Every_assignor_must_give_the_same_result_for_the_same_group_in_any_order() =>
        Prop.ForAll(AnyGroup, s =>
        {
            var reordered = s.Members.Reverse().Select(m => m with
            {
                Topics = m.Topics.Reverse().ToArray(),
                OwnedPartitions = m.OwnedPartitions.Reverse().ToArray(),
            }).ToArray();
            foreach (var assignor in AllAssignors)
            {
                var expected = assignor.Assign(s.Members, s.Counts);
                foreach (var actual in new[] { assignor.Assign(s.Members, s.Counts), assignor.Assign(reordered, s.Counts) })
                {
                    Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
                    foreach (var (memberId, list) in expected) Assert.Equal(list, actual[memberId]);
                }
            }
        });
}
