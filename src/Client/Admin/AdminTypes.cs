namespace AkkaBroker.Client.Admin;

// The admin types Confluent.Kafka keeps in Confluent.Kafka.Admin, here in AkkaBroker.Client.Admin: code written for
// Confluent.Kafka needs only its using directives changed.

/// <summary>A topic to create.</summary>
public sealed class TopicSpecification
{
    /// <summary>The topic name (Kafka's rules: letters, digits, '.', '_' and '-', at most 249 characters).</summary>
    public required string Name { get; init; }
    /// <summary>Partition count; -1 takes the broker's num.partitions.</summary>
    public int NumPartitions { get; init; } = -1;
    /// <summary>Replication factor; -1 takes the broker's default.replication.factor.</summary>
    public short ReplicationFactor { get; init; } = -1;
    /// <summary>Topic config overrides (cleanup.policy, retention.ms, max.message.bytes, ...).</summary>
    public Dictionary<string, string> Configs { get; init; } = new();
}

/// <summary>One config value of a topic.</summary>
public sealed record ConfigEntryResult(string Name, string Value, bool IsDefault);

/// <summary>A consumer group: Kafka's state name (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead), members and committed offsets.</summary>
public sealed record ConsumerGroupDescription(string GroupId, string State, string PartitionAssignor, int GenerationId,
    IReadOnlyList<GroupMemberInfo> Members, IReadOnlyList<TopicPartitionOffset> CommittedOffsets);

/// <summary>Which offset <see cref="AkkaBroker.Client.IAdminClient.ListOffsetAsync"/> looks up.</summary>
public sealed record OffsetSpec
{
    private OffsetSpec(long query) => Query = query;

    internal long Query { get; }

    /// <summary>The log start.</summary>
    public static OffsetSpec Earliest { get; } = new(-2);

    /// <summary>The log end (high watermark).</summary>
    public static OffsetSpec Latest { get; } = new(-1);

    /// <summary>The first offset whose timestamp is at or after <paramref name="unixMs"/>.</summary>
    public static OffsetSpec ForTimestamp(long unixMs) => unixMs >= 0 ? new(unixMs) : throw new ArgumentOutOfRangeException(nameof(unixMs), "a timestamp is 0 or more (Unix ms)");
}
