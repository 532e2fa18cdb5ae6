using Akka.Cluster.Sharding;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>Routes partition requests and controller commands to the replica entity of their topic-partition.</summary>
public sealed class PartitionMessageExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public const string TypeName = "partition";

    public static string EntityIdFor(TopicPartition tp) => $"{tp.Topic}-{tp.Partition}";

    /// <summary>Topic names may contain '-', partitions cannot: the last '-' separates them.</summary>
    public static TopicPartition ParseEntityId(string entityId)
    {
        var dash = entityId.LastIndexOf('-');
        if (dash <= 0 || !int.TryParse(entityId.AsSpan(dash + 1), out var partition))
            throw new ArgumentException($"'{entityId}' is not a partition entity id (topic-partition)", nameof(entityId));
        return new TopicPartition(entityId[..dash], partition);
    }

    public override string? EntityId(object message) => message switch
    {
        IPartitionRequest r => EntityIdFor(r.TopicPartition),
        EnsurePartition e => EntityIdFor(e.TopicPartition),
        DeletePartition d => EntityIdFor(d.TopicPartition),
        _ => null,
    };
}
