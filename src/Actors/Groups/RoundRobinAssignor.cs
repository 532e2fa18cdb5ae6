using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// Kafka's "roundrobin": all partitions in (topic, partition) order dealt one at a time around the members,
/// passing over members not subscribed to the partition's topic. Spreads each topic across consumers.
/// </summary>
internal sealed class RoundRobinAssignor : IPartitionAssignor
{
    public string Name => "roundrobin";

    public bool Cooperative => false;

    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<string, int> partitionCountByTopic)
    {
        var ordered = AssignorSupport.Ordered(members);
        var subscriptions = ordered.Select(m => AssignorSupport.ExistingTopics(m, partitionCountByTopic)).ToArray();
        var lists = AssignorSupport.EmptyLists(ordered);

        // The dealer's position carries over from one partition (and topic) to the next, as Kafka's circular iterator does.
        var dealer = 0;
        foreach (var topic in AssignorSupport.SortedUnion(subscriptions))
        {
            var count = partitionCountByTopic[topic];
            for (var p = 0; p < count; p++)
            {
                // Terminates: the topic came from some member's subscription.
                while (!subscriptions[dealer].Contains(topic)) dealer = (dealer + 1) % ordered.Length;
                lists[ordered[dealer].MemberId].Add(new TopicPartition(topic, p));
                dealer = (dealer + 1) % ordered.Length;
            }
        }

        return AssignorSupport.Seal(lists);
    }
}
