using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// One member as the assignor sees it: its subscription and the partitions it owned before this rebalance
/// (owned is empty for eager members that revoked everything, and is what the member reported for cooperative ones).
/// </summary>
public sealed record AssignorMember(
    string MemberId,
    string? GroupInstanceId,
    IReadOnlyList<string> Topics,
    IReadOnlyList<TopicPartition> OwnedPartitions);

/// <summary>
/// A server-side partition assignment strategy. The broker computes assignments itself so that a group
/// behaves the same whatever client library its members use.
/// </summary>
public interface IPartitionAssignor
{
    /// <summary>Kafka's name: "range", "roundrobin", "sticky", "cooperative-sticky".</summary>
    string Name { get; }

    /// <summary>True for cooperative-sticky: partitions that change owner are withheld for one rebalance (KIP-429).</summary>
    bool Cooperative { get; }

    /// <summary>
    /// Member id -> its partitions (every member present in the result, possibly with an empty list),
    /// lists sorted by topic then partition.
    /// </summary>
    IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyList<AssignorMember> members,
        IReadOnlyDictionary<string, int> partitionCountByTopic);
}
