using Akka.Cluster.Sharding;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// Routes partition requests and controller commands to this broker's replica of their topic-partition. A replica's
/// entity id names its broker (<c>topic-partition@broker</c>) and its shard is that broker's (<c>broker-N</c>): the
/// shard is pinned to the broker's node by <see cref="BrokerShardAllocationStrategy"/>,
/// because the replica's log lives in that node's own journal and must never move to another node.
/// </summary>
/// <param name="localBrokerId">Messages reach a region only through its own broker's gateway, so they address the local replica.</param>
public sealed class PartitionMessageExtractor(int localBrokerId) : HashCodeMessageExtractor(1)
{
    // Every produce and fetch asks for its shard: answer the local one without parsing or allocating.
    private readonly string _localSuffix = "@" + localBrokerId;
    private readonly string _localShard = BrokerRole.For(localBrokerId);

    public const string TypeName = "partition";

    public static string EntityIdFor(TopicPartition tp, int brokerId) => $"{tp.Topic}-{tp.Partition}@{brokerId}";

    /// <summary>Topic names contain neither '@' nor a trailing '-number': the last '@' and the last '-' before it separate the parts.</summary>
    public static (TopicPartition TopicPartition, int BrokerId) ParseEntityId(string entityId)
    {
        var at = entityId.LastIndexOf('@');
        var dash = at > 0 ? entityId.LastIndexOf('-', at - 1) : -1;
        if (dash <= 0 || !int.TryParse(entityId.AsSpan(dash + 1, at - dash - 1), out var partition) || !int.TryParse(entityId.AsSpan(at + 1), out var broker))
            throw new ArgumentException($"'{entityId}' is not a partition replica entity id (topic-partition@broker)", nameof(entityId));
        return (new TopicPartition(entityId[..dash], partition), broker);
    }

    public override string? EntityId(object message) => message switch
    {
        IPartitionRequest r => EntityIdFor(r.TopicPartition, localBrokerId),
        EnsurePartition e => EntityIdFor(e.TopicPartition, localBrokerId),
        DeletePartition d => EntityIdFor(d.TopicPartition, localBrokerId),
        _ => null,
    };

    public override string ShardId(string entityId, object? messageHint = null) =>
        entityId.EndsWith(_localSuffix, StringComparison.Ordinal) ? _localShard : BrokerRole.For(ParseEntityId(entityId).BrokerId);
}
