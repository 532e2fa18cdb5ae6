using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// Kafka's "cooperative-sticky" (KIP-429): the sticky plan, minus every partition that would move to a member
/// other than one that still owns it. Members keep consuming what they keep, revoke what they lost, and the
/// withheld partitions are handed out in the follow-up rebalance, so no partition is ever fetched by two
/// consumers at once and nothing stops the world.
/// </summary>
internal sealed class CooperativeStickyAssignor : IPartitionAssignor
{
    public string Name => "cooperative-sticky";

    public bool Cooperative => true;

    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<string, int> partitionCountByTopic)
    {
        var ordered = AssignorSupport.Ordered(members);
        var plan = StickyPlanner.Plan(ordered, partitionCountByTopic);

        // Every claim counts here, even the ones the plan ignored (topic unsubscribed, duplicate claim):
        // the claimant may still be fetching the partition until it revokes it.
        var claimants = new Dictionary<TopicPartition, HashSet<string>>();
        foreach (var member in ordered)
        {
            foreach (var tp in member.OwnedPartitions)
            {
                if (!claimants.TryGetValue(tp, out var set)) claimants[tp] = set = new HashSet<string>(StringComparer.Ordinal);
                set.Add(member.MemberId);
            }
        }

        foreach (var (memberId, list) in plan)
        {
            list.RemoveAll(tp => claimants.TryGetValue(tp, out var set) && set.Any(c => c != memberId));
        }
        return AssignorSupport.Seal(plan);
    }
}
