namespace AkkaBroker.Client.Admin;

// The admin types Confluent.Kafka keeps in Confluent.Kafka.Admin, here in AkkaBroker.Client.Admin with the same names
// and shapes: code written for Confluent.Kafka needs only its using directives changed.

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

/// <summary>A topic's new partition count.</summary>
public sealed class PartitionsSpecification
{
    /// <summary>The topic.</summary>
    public required string Topic { get; init; }
    /// <summary>The partition count wanted: larger than today's (partitions are never removed).</summary>
    public int IncreaseTo { get; init; }
    /// <summary>
    /// Replicas for each new partition. The controller places new replicas itself, so this must be null; a value
    /// gets INVALID_REPLICA_ASSIGNMENT for the topic.
    /// </summary>
    public List<List<int>>? ReplicaAssignments { get; init; }
}

/// <summary>What a config belongs to.</summary>
public enum ResourceType
{
    /// <summary>Not known.</summary>
    Unknown = 0,
    /// <summary>Any type (in filters).</summary>
    Any = 1,
    /// <summary>A topic: <see cref="ConfigResource.Name"/> is its name.</summary>
    Topic = 2,
    /// <summary>A consumer group.</summary>
    Group = 3,
    /// <summary>A broker: <see cref="ConfigResource.Name"/> is its id.</summary>
    Broker = 4,
}

/// <summary>A thing with configs: a topic (served) or a broker.</summary>
public sealed record ConfigResource
{
    /// <summary>What kind of thing.</summary>
    public ResourceType Type { get; init; }
    /// <summary>The topic's name or the broker's id.</summary>
    public string Name { get; init; } = "";
    /// <inheritdoc />
    public override string ToString() => $"[{Type}] {Name}";
}

/// <summary>Where a config's value comes from.</summary>
public enum ConfigSource
{
    /// <summary>Not known.</summary>
    UnknownConfig = 0,
    /// <summary>Set on the topic.</summary>
    DynamicTopicConfig = 1,
    /// <summary>Set on one broker while it runs.</summary>
    DynamicBrokerConfig = 2,
    /// <summary>Set on every broker while they run.</summary>
    DynamicDefaultBrokerConfig = 3,
    /// <summary>From the broker's configuration file.</summary>
    StaticBrokerConfig = 4,
    /// <summary>The default.</summary>
    DefaultConfig = 5,
    /// <summary>Set on a group.</summary>
    GroupConfig = 8,
}

/// <summary>Another name or level a config's value could come from.</summary>
public sealed record ConfigSynonym
{
    /// <summary>The key.</summary>
    public string Name { get; init; } = "";
    /// <summary>Its value there.</summary>
    public string? Value { get; init; }
    /// <summary>Where.</summary>
    public ConfigSource Source { get; init; }
}

/// <summary>One config value as described.</summary>
public sealed record ConfigEntryResult
{
    /// <summary>The key.</summary>
    public string Name { get; init; } = "";
    /// <summary>The value in force.</summary>
    public string? Value { get; init; }
    /// <summary>True when nothing overrides the default.</summary>
    public bool IsDefault { get; init; }
    /// <summary>True when it cannot be altered while the cluster runs.</summary>
    public bool IsReadOnly { get; init; }
    /// <summary>True for secrets, whose value is not shown.</summary>
    public bool IsSensitive { get; init; }
    /// <summary>Where the value comes from.</summary>
    public ConfigSource Source { get; init; }
    /// <summary>The levels the value could come from, the one in force first.</summary>
    public List<ConfigSynonym> Synonyms { get; init; } = [];
}

/// <summary>A resource's configs, from <see cref="IAdminClient.DescribeConfigsAsync"/>.</summary>
public sealed record DescribeConfigsResult
{
    /// <summary>The resource described.</summary>
    public ConfigResource ConfigResource { get; init; } = new();
    /// <summary>Every config by key, defaults included.</summary>
    public Dictionary<string, ConfigEntryResult> Entries { get; init; } = new();
}

/// <summary>A resource's configs or the error that kept it from being described.</summary>
public sealed record DescribeConfigsReport
{
    /// <summary>The resource.</summary>
    public ConfigResource ConfigResource { get; init; } = new();
    /// <summary>Its configs (empty on error).</summary>
    public Dictionary<string, ConfigEntryResult> Entries { get; init; } = new();
    /// <summary>Why it could not be described, or no error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>How <see cref="IAdminClient.IncrementalAlterConfigsAsync"/> changes a key.</summary>
public enum AlterConfigOpType
{
    /// <summary>Sets the value.</summary>
    Set = 0,
    /// <summary>Returns the key to its default.</summary>
    Delete = 1,
    /// <summary>Adds the comma-separated items to a list config (<c>cleanup.policy</c>).</summary>
    Append = 2,
    /// <summary>Removes the comma-separated items from a list config.</summary>
    Subtract = 3,
}

/// <summary>A config change.</summary>
public sealed record ConfigEntry
{
    /// <summary>The key.</summary>
    public string Name { get; init; } = "";
    /// <summary>The value (ignored by <see cref="AlterConfigOpType.Delete"/>).</summary>
    public string? Value { get; init; }
    /// <summary>What to do with it.</summary>
    public AlterConfigOpType IncrementalOperation { get; init; }
}

/// <summary>A resource whose configs were altered.</summary>
public sealed record IncrementalAlterConfigsResult
{
    /// <summary>The resource.</summary>
    public ConfigResource ConfigResource { get; init; } = new();
}

/// <summary>A resource's alter outcome.</summary>
public sealed record IncrementalAlterConfigsReport
{
    /// <summary>The resource.</summary>
    public ConfigResource ConfigResource { get; init; } = new();
    /// <summary>Why it was refused, or no error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>A topic's create outcome.</summary>
public sealed record CreateTopicReport
{
    /// <summary>The topic.</summary>
    public string Topic { get; init; } = "";
    /// <summary>Why it was not created, or no error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>A topic's delete outcome.</summary>
public sealed record DeleteTopicReport
{
    /// <summary>The topic.</summary>
    public string Topic { get; init; } = "";
    /// <summary>Why it was not deleted, or no error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>A topic's create-partitions outcome.</summary>
public sealed record CreatePartitionsReport
{
    /// <summary>The topic.</summary>
    public string Topic { get; init; } = "";
    /// <summary>Why its partitions were not added, or no error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>A group's delete outcome.</summary>
public sealed record DeleteGroupReport
{
    /// <summary>The group.</summary>
    public string Group { get; init; } = "";
    /// <summary>Why it was not deleted (NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND), or no error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>A partition's new log start after <see cref="IAdminClient.DeleteRecordsAsync"/>.</summary>
public sealed record DeleteRecordsResult
{
    /// <summary>The topic.</summary>
    public string Topic { get; init; } = "";
    /// <summary>The partition.</summary>
    public Partition Partition { get; init; }
    /// <summary>The partition's log start afterwards (Kafka's low watermark).</summary>
    public Offset Offset { get; init; }
    /// <summary>The partition.</summary>
    public TopicPartition TopicPartition => new(Topic, Partition);
    /// <summary>The partition and its log start.</summary>
    public TopicPartitionOffset TopicPartitionOffset => new(TopicPartition, Offset);
}

/// <summary>A partition's delete-records outcome.</summary>
public sealed record DeleteRecordsReport
{
    /// <summary>The topic.</summary>
    public string Topic { get; init; } = "";
    /// <summary>The partition.</summary>
    public Partition Partition { get; init; }
    /// <summary>The log start afterwards, or <see cref="Offset.Unset"/> on error.</summary>
    public Offset Offset { get; init; }
    /// <summary>Why records were not deleted, or no error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>A group, as listed.</summary>
public sealed record ConsumerGroupListing
{
    /// <summary>The group id.</summary>
    public string GroupId { get; init; } = "";
    /// <summary>Its state.</summary>
    public ConsumerGroupState State { get; init; }
    /// <summary>Its protocol: always classic here.</summary>
    public ConsumerGroupType Type { get; init; } = ConsumerGroupType.Classic;
    /// <summary>True for a group that only commits offsets and never had members (no assignor).</summary>
    public bool IsSimpleConsumerGroup { get; init; }
    /// <inheritdoc />
    public override string ToString() => $"{GroupId} ({State})";
}

/// <summary>The groups listed, and the errors of brokers that could not list theirs.</summary>
public sealed record ListConsumerGroupsResult
{
    /// <summary>The groups.</summary>
    public List<ConsumerGroupListing> Valid { get; init; } = [];
    /// <summary>What kept some groups from being listed.</summary>
    public List<Error> Errors { get; init; } = [];
}

/// <summary>The partitions assigned to a member.</summary>
public sealed record MemberAssignment
{
    /// <summary>The partitions.</summary>
    public List<TopicPartition> TopicPartitions { get; init; } = [];
}

/// <summary>A consumer group member.</summary>
public sealed record MemberDescription
{
    /// <summary>The member's <c>client.id</c>.</summary>
    public string ClientId { get; init; } = "";
    /// <summary>Its static membership id (<c>group.instance.id</c>), or null.</summary>
    public string? GroupInstanceId { get; init; }
    /// <summary>Its member id (what <c>IConsumer.MemberId</c> returns in that consumer).</summary>
    public string ConsumerId { get; init; } = "";
    /// <summary>Its host; the broker does not record it, so "".</summary>
    public string Host { get; init; } = "";
    /// <summary>The partitions it holds.</summary>
    public MemberAssignment Assignment { get; init; } = new();
    /// <summary>KIP-848's target assignment: null under the classic protocol.</summary>
    public MemberAssignment? TargetAssignment { get; init; }
}

/// <summary>A consumer group: state, members and their partitions.</summary>
public sealed record ConsumerGroupDescription
{
    /// <summary>The group id.</summary>
    public string GroupId { get; init; } = "";
    /// <summary>Why it could not be described, or no error (a group that does not exist is <see cref="ConsumerGroupState.Dead"/>, not an error).</summary>
    public Error Error { get; init; } = Error.NoError;
    /// <summary>True for a group that only commits offsets and never had members (no assignor).</summary>
    public bool IsSimpleConsumerGroup { get; init; }
    /// <summary>The assignor the members agreed on (<c>range</c>, <c>cooperative-sticky</c>, ...); "" with no members.</summary>
    public string PartitionAssignor { get; init; } = "";
    /// <summary>Its state.</summary>
    public ConsumerGroupState State { get; init; }
    /// <summary>Its protocol: always classic here.</summary>
    public ConsumerGroupType GroupType { get; init; } = ConsumerGroupType.Classic;
    /// <summary>The broker coordinating it, when known.</summary>
    public Node? Coordinator { get; init; }
    /// <summary>The members.</summary>
    public List<MemberDescription> Members { get; init; } = [];
    /// <summary>The generation: one more for each completed rebalance. Not in Confluent.Kafka.</summary>
    public int GenerationId { get; init; }
    /// <summary>The group's committed offsets. Not in Confluent.Kafka (it reads them with ListConsumerGroupOffsetsAsync).</summary>
    public List<TopicPartitionOffset> CommittedOffsets { get; init; } = [];
    /// <inheritdoc />
    public override string ToString() => $"{GroupId} ({State}, {Members.Count} member(s))";
}

/// <summary>The groups described.</summary>
public sealed record DescribeConsumerGroupsResult
{
    /// <summary>One description per group asked for, in the order asked.</summary>
    public List<ConsumerGroupDescription> ConsumerGroupDescriptions { get; init; } = [];
}

/// <summary>A group's committed offsets.</summary>
public sealed record ListConsumerGroupOffsetsResult
{
    /// <summary>The group.</summary>
    public string Group { get; init; } = "";
    /// <summary>Each partition's committed offset (<see cref="Offset.Unset"/> where none is committed).</summary>
    public List<TopicPartitionOffsetError> Partitions { get; init; } = [];
}

/// <summary>A group's committed offsets, or the error that kept them from being read.</summary>
public sealed record ListConsumerGroupOffsetsReport
{
    /// <summary>The group.</summary>
    public string Group { get; init; } = "";
    /// <summary>The partitions read.</summary>
    public List<TopicPartitionOffsetError> Partitions { get; init; } = [];
    /// <summary>Why they could not be read, or no error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>A group's offsets as set.</summary>
public sealed record AlterConsumerGroupOffsetsResult
{
    /// <summary>The group.</summary>
    public string Group { get; init; } = "";
    /// <summary>The partitions set.</summary>
    public List<TopicPartitionOffsetError> Partitions { get; init; } = [];
}

/// <summary>A group's alter-offsets outcome.</summary>
public sealed record AlterConsumerGroupOffsetsReport
{
    /// <summary>The group.</summary>
    public string Group { get; init; } = "";
    /// <summary>The partitions and the offsets asked for.</summary>
    public List<TopicPartitionOffsetError> Partitions { get; init; } = [];
    /// <summary>Why they were not set (NON_EMPTY_GROUP while it has members), or no error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>The offsets removed from a group.</summary>
public sealed record DeleteConsumerGroupOffsetsResult
{
    /// <summary>The group.</summary>
    public string Group { get; init; } = "";
    /// <summary>The partitions whose committed offsets were removed.</summary>
    public List<TopicPartition> Partitions { get; init; } = [];
}

/// <summary>The cluster, from <see cref="IAdminClient.DescribeClusterAsync"/>.</summary>
public sealed record DescribeClusterResult
{
    /// <summary>The cluster's id.</summary>
    public string ClusterId { get; init; } = "";
    /// <summary>The node running the controller (a broker, or a controller-only node whose host is ""); null while there is none.</summary>
    public Node? Controller { get; init; }
    /// <summary>The live brokers.</summary>
    public List<Node> Nodes { get; init; } = [];
    /// <summary>The controller epoch: one more for each controller that took over. Not in Confluent.Kafka.</summary>
    public int ControllerEpoch { get; init; }
}

/// <summary>Which offset <see cref="IAdminClient.ListOffsetsAsync"/> looks up.</summary>
public sealed record OffsetSpec
{
    private OffsetSpec(long query) => Query = query;

    internal long Query { get; }

    /// <summary>The log start.</summary>
    public static OffsetSpec Earliest() => EarliestSpec;

    /// <summary>The log end (high watermark).</summary>
    public static OffsetSpec Latest() => LatestSpec;

    /// <summary>The first offset whose timestamp is at or after <paramref name="timestamp"/> (Unix ms).</summary>
    public static OffsetSpec ForTimestamp(long timestamp) =>
        timestamp >= 0 ? new(timestamp) : throw new ArgumentOutOfRangeException(nameof(timestamp), "a timestamp is 0 or more (Unix ms)");

    private static readonly OffsetSpec EarliestSpec = new(-2);
    private static readonly OffsetSpec LatestSpec = new(-1);
}

/// <summary>A partition and the offset to look up.</summary>
public sealed record TopicPartitionOffsetSpec
{
    /// <summary>The partition.</summary>
    public TopicPartition TopicPartition { get; init; } = null!;
    /// <summary>Which offset.</summary>
    public OffsetSpec OffsetSpec { get; init; } = OffsetSpec.Latest();
}

/// <summary>A partition's offset found, with the timestamp of its record (-1 for earliest and latest).</summary>
public sealed record ListOffsetsResultInfo
{
    /// <summary>The partition, its offset (<see cref="Offset.End"/> when no record is that late) and error.</summary>
    public TopicPartitionOffsetError TopicPartitionOffsetError { get; init; } = null!;
    /// <summary>The record's timestamp (Unix ms), or -1.</summary>
    public long Timestamp { get; init; } = -1;
}

/// <summary>The offsets found, in the order asked.</summary>
public sealed record ListOffsetsResult
{
    /// <summary>One per partition asked.</summary>
    public List<ListOffsetsResultInfo> ResultInfos { get; init; } = [];
}

/// <summary>The offsets found, with errors, when some partition failed.</summary>
public sealed record ListOffsetsReport
{
    /// <summary>One per partition asked, each with its error or none.</summary>
    public List<ListOffsetsResultInfo> ResultInfos { get; init; } = [];
    /// <summary>The first error.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>The partitions an election was asked for and each one's outcome.</summary>
public sealed record ElectLeadersResult
{
    /// <summary>Each partition named (or, with none named, each elected), with no error when elected.</summary>
    public List<TopicPartitionError> TopicPartitions { get; init; } = [];
}

/// <summary>An election's outcome per partition, some of them failed.</summary>
public sealed record ElectLeadersReport
{
    /// <summary>Each partition with its error: ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE, ...</summary>
    public List<TopicPartitionError> TopicPartitions { get; init; } = [];
}

/// <summary>A group's delete-offsets outcome, some partitions refused.</summary>
public sealed record DeleteConsumerGroupOffsetsReport
{
    /// <summary>The group.</summary>
    public string Group { get; init; } = "";
    /// <summary>Each partition named, with GROUP_SUBSCRIBED_TO_TOPIC where a member still subscribes to its topic.</summary>
    public List<TopicPartitionOffsetError> Partitions { get; init; } = [];
    /// <summary>The group's own error (GROUP_ID_NOT_FOUND, ...); no error when only partitions were refused.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>A partition reassignment in progress (Kafka's PartitionReassignment).</summary>
/// <param name="TopicPartition">The partition.</param>
/// <param name="Replicas">Its replicas now: the target ones first, then those being removed.</param>
/// <param name="AddingReplicas">The replicas copying the log, not yet all in sync.</param>
/// <param name="RemovingReplicas">The replicas removed once the new ones are in sync.</param>
/// <param name="ThrottleBytesPerSecond">How fast each new replica may copy (0: no limit).</param>
public sealed record PartitionReassignment(TopicPartition TopicPartition, IReadOnlyList<int> Replicas, IReadOnlyList<int> AddingReplicas,
    IReadOnlyList<int> RemovingReplicas, long ThrottleBytesPerSecond);

/// <summary>The groups asked for, some of which could not be described (each with its <see cref="ConsumerGroupDescription.Error"/>).</summary>
public sealed record DescribeConsumerGroupsReport
{
    /// <summary>One description per group asked for, in the order asked; a failed one has only its id and error.</summary>
    public List<ConsumerGroupDescription> ConsumerGroupDescriptions { get; init; } = [];
}

/// <summary>A broker's replica of a partition, as Kafka's DescribeLogDirs reports it.</summary>
/// <param name="BrokerId">The broker holding the replica.</param>
/// <param name="TopicPartition">The partition.</param>
/// <param name="IsLeader">Whether this replica leads the partition.</param>
/// <param name="SizeBytes">Bytes of record batches the replica holds.</param>
/// <param name="LogEndOffset">The offset its next record will get.</param>
/// <param name="OffsetLag">How far its log end is behind the leader's (0 for the leader; Kafka's offsetLag).</param>
/// <param name="Error">Why the replica could not be described (its broker is down, it holds no log yet), or no error.</param>
public sealed record ReplicaLogDescription(int BrokerId, TopicPartition TopicPartition, bool IsLeader, long SizeBytes, long LogEndOffset, long OffsetLag, Error Error);
