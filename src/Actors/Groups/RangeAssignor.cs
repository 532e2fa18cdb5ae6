using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// Kafka's "range": each topic is cut into contiguous ranges over its subscribers, so members subscribed to
/// co-partitioned topics get the same partition numbers of each (useful for joins).
/// </summary>
internal sealed class RangeAssignor : IPartitionAssignor
{
    public string Name => "range";

    public bool Cooperative => false;

    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<string, int> partitionCountByTopic)
    {
        var ordered = AssignorSupport.Ordered(members);
        var subscriptions = ordered.Select(m => AssignorSupport.ExistingTopics(m, partitionCountByTopic)).ToArray();
        var lists = AssignorSupport.EmptyLists(ordered);

        foreach (var topic in AssignorSupport.SortedUnion(subscriptions))
        {
            var subscribers = new List<AssignorMember>();
            for (var i = 0; i < ordered.Length; i++)
            {
                if (subscriptions[i].Contains(topic)) subscribers.Add(ordered[i]);
            }

            var count = partitionCountByTopic[topic];
            var perMember = count / subscribers.Count;
            var withExtra = count % subscribers.Count;
            var next = 0;
            for (var i = 0; i < subscribers.Count; i++)
            {
                var length = perMember + (i < withExtra ? 1 : 0);
                var list = lists[subscribers[i].MemberId];
                for (var p = next; p < next + length; p++) list.Add(new TopicPartition(topic, p));
                next += length;
            }
        }

        return AssignorSupport.Seal(lists);
    }
}
