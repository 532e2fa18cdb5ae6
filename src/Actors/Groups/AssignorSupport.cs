using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>Orderings and bookkeeping shared by the assignors, kept in one place so they all agree.</summary>
internal static class AssignorSupport
{
    /// <summary>Topic (ordinal) then partition: TopicPartition has no ordering of its own.</summary>
    public static IComparer<TopicPartition> PartitionOrder { get; } = Comparer<TopicPartition>.Create(static (a, b) =>
    {
        var byTopic = string.CompareOrdinal(a.Topic, b.Topic);
        return byTopic != 0 ? byTopic : a.Partition.CompareTo(b.Partition);
    });

    /// <summary>
    /// Static members first by group.instance.id, then the rest by member id. A static member's member id
    /// changes when it restarts, so ordering by the instance id is what lets it get the same partitions back.
    /// </summary>
    public static IComparer<AssignorMember> MemberOrder { get; } = Comparer<AssignorMember>.Create(static (a, b) =>
    {
        if (a.GroupInstanceId is not null && b.GroupInstanceId is not null)
        {
            var byInstance = string.CompareOrdinal(a.GroupInstanceId, b.GroupInstanceId);
            if (byInstance != 0) return byInstance;
        }
        else if (a.GroupInstanceId is not null) return -1;
        else if (b.GroupInstanceId is not null) return 1;
        return string.CompareOrdinal(a.MemberId, b.MemberId);
    });

    /// <summary>The members in <see cref="MemberOrder"/>; duplicate member ids are a coordinator bug, so they throw.</summary>
    public static AssignorMember[] Ordered(IReadOnlyList<AssignorMember> members)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in members)
        {
            if (!ids.Add(m.MemberId)) throw new ArgumentException($"Duplicate member id '{m.MemberId}'.", nameof(members));
        }
        var ordered = members.ToArray();
        Array.Sort(ordered, MemberOrder);
        return ordered;
    }

    /// <summary>The member's subscribed topics that exist with at least one partition; the others are not created yet.</summary>
    public static HashSet<string> ExistingTopics(AssignorMember member, IReadOnlyDictionary<string, int> partitionCountByTopic)
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach (var topic in member.Topics)
        {
            if (partitionCountByTopic.TryGetValue(topic, out var count) && count > 0) topics.Add(topic);
        }
        return topics;
    }

    /// <summary>Every topic some member subscribes to, sorted ordinally so results never depend on input order.</summary>
    public static string[] SortedUnion(IEnumerable<HashSet<string>> subscriptions)
    {
        var union = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var s in subscriptions) union.UnionWith(s);
        return union.ToArray();
    }

    /// <summary>Empty working lists for every member, so that members that get nothing still appear in the result.</summary>
    public static Dictionary<string, List<TopicPartition>> EmptyLists(IEnumerable<AssignorMember> members) =>
        members.ToDictionary(m => m.MemberId, _ => new List<TopicPartition>(), StringComparer.Ordinal);

    /// <summary>Sorts each member's list and freezes the result.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Seal(Dictionary<string, List<TopicPartition>> lists)
    {
        var result = new Dictionary<string, IReadOnlyList<TopicPartition>>(lists.Count, StringComparer.Ordinal);
        foreach (var (memberId, list) in lists)
        {
            var array = list.ToArray();
            Array.Sort(array, PartitionOrder);
            result[memberId] = Array.AsReadOnly(array);
        }
        return result;
    }
}
