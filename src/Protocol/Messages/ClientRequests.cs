namespace AkkaBroker.Protocol.Messages;

// The requests a client sends to a broker's gateway (/user/broker) and the replies it gets back. Every reply carries an
// ErrorCode; exceptions never cross the wire.

/// <summary>A request addressed to one partition replica; the gateway routes it through sharding.</summary>
public interface IPartitionRequest
{
    TopicPartition TopicPartition { get; }
}

/// <summary>Appends one record batch (Kafka v2 bytes, base offset 0). <c>Acks</c>: 0, 1 or -1 (all).</summary>
public sealed record ProduceRequest(TopicPartition TopicPartition, short Acks, int TimeoutMs, byte[] Batch) : IPartitionRequest;

public sealed record ProduceResponse(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage, long BaseOffset,
    long LogAppendTime, long LogStartOffset);

/// <summary>
/// Reads batches from <c>FetchOffset</c>, up to <c>MaxBytes</c> (at least one whole batch is returned even when it is
/// larger, so a consumer always progresses), waiting up to <c>MaxWaitMs</c> for <c>MinBytes</c> to be available.
/// <c>CurrentLeaderEpoch</c> (Kafka's KIP-320): the leader epoch the client's metadata names, checked against the
/// replica's, so a client with stale metadata is told to refresh it; -1 skips the check.
/// </summary>
public sealed record FetchRequest(TopicPartition TopicPartition, long FetchOffset, int MaxBytes, int MinBytes, int MaxWaitMs, int CurrentLeaderEpoch = -1)
    : IPartitionRequest;

public sealed record FetchResponse(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage, long HighWatermark,
    long LogStartOffset, byte[] Records);

/// <summary>Finds an offset: <see cref="Latest"/>, <see cref="Earliest"/>, or the first offset whose timestamp is at or after the given one.</summary>
public sealed record ListOffsetsRequest(TopicPartition TopicPartition, long Timestamp) : IPartitionRequest
{
    public const long Latest = -1;
    public const long Earliest = -2;
}

/// <summary>Offset -1 with no error means no record has a timestamp at or after the one asked for.</summary>
public sealed record ListOffsetsResponse(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage, long Offset, long Timestamp);

/// <summary>
/// Kafka's DeleteRecords: the partition's leader moves its log start to <c>Offset</c> (<see cref="HighWatermark"/>
/// for the high watermark), so records below it are no longer read and their segments are deleted.
/// </summary>
public sealed record DeleteRecordsRequest(TopicPartition TopicPartition, long Offset) : IPartitionRequest
{
    public const long HighWatermark = -1;
}

/// <summary><c>LowWatermark</c>: the leader's log start after the request.</summary>
public sealed record DeleteRecordsResponse(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage, long LowWatermark);

/// <summary>Topic metadata: null <c>Topics</c> means all topics.</summary>
public sealed record MetadataRequest(IReadOnlyList<string>? Topics, bool AllowAutoTopicCreation);

public sealed record BrokerInfo(int BrokerId, string Host, int Port);

/// <summary>A partition's leader (-1 while offline), replicas and in-sync replicas, and the leader epoch that grows with each election.</summary>
public sealed record PartitionMetadata(int Partition, int Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr, int LeaderEpoch = -1);

public sealed record TopicMetadata(string Name, ErrorCode Error, string? ErrorMessage, IReadOnlyList<PartitionMetadata> Partitions);

/// <summary>
/// Kafka's UnregisterBroker: the controller forgets a node that is gone for good (it no longer counts towards the
/// majority the controller's state is written to). Refused while the node runs or still holds replicas.
/// </summary>
public sealed record UnregisterNodeRequest(int NodeId);

public sealed record UnregisterNodeResponse(ErrorCode Error, string? ErrorMessage);

/// <summary>Kafka's election types: give partitions back to their preferred replica, or give offline ones any live replica.</summary>
public enum LeaderElectionType : byte
{
    Preferred = 0,
    Unclean = 1,
}

/// <summary>
/// Kafka's ElectLeaders, answered by the controller: for each partition named (null: every partition), a preferred
/// election moves leadership to its first replica when that one is live and in sync; an unclean election gives a
/// partition with no live leader its first live replica, in sync or not (records acknowledged before may be lost).
/// </summary>
public sealed record ElectLeadersRequest(LeaderElectionType Type, IReadOnlyList<TopicPartition>? Partitions);

/// <summary>One partition's outcome of an operator's request (an election, a reassignment): no error, or why not.</summary>
public sealed record PartitionOutcome(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage);

/// <summary>
/// Each partition named and its outcome; for every partition (none named), those elected or that could not be (not
/// those that needed no election), as Kafka answers.
/// </summary>
public sealed record ElectLeadersResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<PartitionOutcome> Results);

/// <summary>A partition's new replicas (the first is its preferred leader), or null to cancel its reassignment in progress.</summary>
public sealed record PartitionReassignmentTarget(TopicPartition TopicPartition, IReadOnlyList<int>? Replicas);

/// <summary>
/// Kafka's AlterPartitionReassignments, answered by the controller once recorded: each partition gets the new replicas
/// next to its current ones, and once all the new ones are in sync the current ones not among them are removed.
/// <c>ThrottleBytesPerSecond</c> (0: none) caps how fast each new replica copies the log from the leader.
/// </summary>
public sealed record ReassignPartitionsRequest(IReadOnlyList<PartitionReassignmentTarget> Partitions, long ThrottleBytesPerSecond);

/// <summary>Each partition's outcome: none (started, or cancelled), or why not.</summary>
public sealed record ReassignPartitionsResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<PartitionOutcome> Results);

/// <summary>Kafka's ListPartitionReassignments: the reassignments in progress.</summary>
public sealed record ListPartitionReassignmentsRequest;

/// <summary>A reassignment in progress: the partition's replicas now, those being added and those to be removed once they are in sync.</summary>
public sealed record OngoingReassignment(TopicPartition TopicPartition, IReadOnlyList<int> Replicas, IReadOnlyList<int> Adding, IReadOnlyList<int> Removing,
    long ThrottleBytesPerSecond);

public sealed record ListPartitionReassignmentsResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<OngoingReassignment> Reassignments);

/// <summary>The cluster as the controller sees it (Kafka's DescribeCluster): live brokers, the controller and its epoch.</summary>
public sealed record DescribeClusterRequest;

public sealed record DescribeClusterResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<BrokerInfo> Brokers, int ControllerId, int ControllerEpoch)
{
    /// <summary>The cluster id every broker reports (Kafka's DescribeCluster and Metadata).</summary>
    public const string ClusterId = "akkabroker";
}

public sealed record MetadataResponse(IReadOnlyList<BrokerInfo> Brokers, int ControllerId, IReadOnlyList<TopicMetadata> Topics);

public sealed record CreateTopicRequest(string Name, int NumPartitions, short ReplicationFactor,
    IReadOnlyDictionary<string, string> Configs, bool ValidateOnly);

public sealed record DeleteTopicRequest(string Name);

public sealed record CreatePartitionsRequest(string Name, int TotalCount);

public sealed record DescribeConfigsRequest(string Name);

/// <summary>Kafka's APPEND and SUBTRACT on a list config (<c>cleanup.policy</c>): comma-separated items, each once, in order.</summary>
public static class ListConfigValue
{
    /// <summary>The list <paramref name="current"/> with the items of <paramref name="given"/> appended (those not there yet) or removed.</summary>
    public static string Apply(string? current, string? given, bool append)
    {
        static string[] Items(string? list) => (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var items = Items(current);
        var changes = Items(given);
        return string.Join(",", append ? items.Concat(changes.Except(items)) : items.Except(changes));
    }
}

/// <summary>Sets the keys in <c>Set</c> and returns the keys in <c>Delete</c> to their defaults.</summary>
public sealed record AlterConfigsRequest(string Name, IReadOnlyDictionary<string, string> Set, IReadOnlyList<string> Delete);

/// <summary>The reply to topic create, delete, create-partitions and alter-configs.</summary>
public sealed record TopicOperationResponse(string Name, ErrorCode Error, string? ErrorMessage);

/// <summary>A topic config in force: <c>IsDefault</c> unless set on the topic; <c>IsDynamicDefault</c> when the default is the cluster-wide dynamic broker config.</summary>
public sealed record ConfigEntry(string Name, string Value, bool IsDefault, bool IsDynamicDefault = false);

public sealed record DescribeConfigsResponse(string Name, ErrorCode Error, string? ErrorMessage, IReadOnlyList<ConfigEntry> Entries);

/// <summary>
/// A broker's dynamic configs (Kafka's <c>kafka-configs --entity-type brokers</c>): <c>Broker</c> is a node id, or the
/// empty string for the cluster-wide default every broker falls back to.
/// </summary>
public sealed record DescribeBrokerConfigsRequest(string Broker);

/// <summary>Where a broker config's value comes from; the numbers are Kafka's <c>ConfigSource</c>.</summary>
public enum BrokerConfigSource : byte
{
    /// <summary>Set for this broker (<c>--entity-name</c>).</summary>
    DynamicBroker = 2,

    /// <summary>Set as the cluster-wide default (<c>--entity-default</c>).</summary>
    DynamicDefault = 3,

    /// <summary>From the controller's configuration file, or the built-in default (what its topics get).</summary>
    Default = 5,
}

public sealed record BrokerConfigEntry(string Name, string Value, BrokerConfigSource Source);

public sealed record DescribeBrokerConfigsResponse(string Broker, ErrorCode Error, string? ErrorMessage, IReadOnlyList<BrokerConfigEntry> Entries);

/// <summary>
/// Sets the dynamic configs in <c>Set</c> and removes those in <c>Delete</c> for a broker, or for all (<c>Broker</c>
/// empty). With <c>Replace</c> (Kafka's AlterConfigs), <c>Set</c> becomes the whole set: every other config is removed.
/// </summary>
public sealed record AlterBrokerConfigsRequest(string Broker, IReadOnlyDictionary<string, string> Set, IReadOnlyList<string> Delete, bool ValidateOnly,
    bool Replace = false);

public sealed record AlterBrokerConfigsResponse(string Broker, ErrorCode Error, string? ErrorMessage);

/// <summary>Asks for a new producer id for an idempotent producer.</summary>
public sealed record InitProducerIdRequest;

public sealed record InitProducerIdResponse(ErrorCode Error, string? ErrorMessage, long ProducerId, short ProducerEpoch);

/// <summary>Asks a partition's leader to describe its log (Kafka's DescribeLogDirs for one partition).</summary>
public sealed record DescribeLogRequest(TopicPartition TopicPartition) : IPartitionRequest;

/// <summary>
/// Asks the broker it is sent to about its own replica of a partition, leader or follower (Kafka's DescribeLogDirs):
/// answered like <see cref="DescribeLogRequest"/>, UNKNOWN_TOPIC_OR_PARTITION when the broker holds no log of it.
/// </summary>
public sealed record DescribeReplicaLogRequest(TopicPartition TopicPartition) : IPartitionRequest;

/// <summary>
/// A partition log's extent on its leader: first and next offset, high watermark, bytes held, segments and where the
/// active one starts, and for compacted topics where cleaning last ended and the share of cleanable bytes written since
/// (dirty ratio).
/// </summary>
public sealed record DescribeLogResponse(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage, long LogStartOffset, long LogEndOffset,
    long HighWatermark, long SizeBytes, int SegmentCount, long ActiveSegmentBaseOffset, long CleanedUpTo, double DirtyRatio);
