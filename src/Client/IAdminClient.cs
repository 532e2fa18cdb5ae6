using AkkaBroker.Client.Admin;

namespace AkkaBroker.Client;

/// <summary>A partition as metadata describes it.</summary>
public sealed record PartitionInfo(int PartitionId, int Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> InSyncReplicas);

/// <summary>A topic as metadata describes it.</summary>
public sealed record TopicInfo(string Topic, IReadOnlyList<PartitionInfo> Partitions);

/// <summary>A broker in the cluster.</summary>
public sealed record BrokerDescription(int BrokerId, string Host, int Port);

/// <summary>The cluster's brokers and topics.</summary>
public sealed record ClusterMetadata(IReadOnlyList<BrokerDescription> Brokers, int ControllerId, IReadOnlyList<TopicInfo> Topics);

/// <summary>The cluster as its controller sees it: the live brokers, which one runs the controller, and the controller epoch (one more for each controller that took over).</summary>
public sealed record ClusterDescription(IReadOnlyList<BrokerDescription> Brokers, int ControllerId, int ControllerEpoch);

/// <summary>A consumer group member as <see cref="IAdminClient.DescribeConsumerGroupAsync"/> reports it.</summary>
public sealed record GroupMemberInfo(string MemberId, string? GroupInstanceId, string ClientId, IReadOnlyList<TopicPartition> Assignment);

/// <summary>Manages topics, their configs, and consumer groups. Thread-safe.</summary>
public interface IAdminClient : IDisposable
{
    /// <summary>The client id.</summary>
    string Name { get; }

    /// <summary>Creates topics.</summary>
    /// <exception cref="KafkaException">one was refused (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG, ...) or no broker answered; the Error names which and why.</exception>
    Task CreateTopicsAsync(IEnumerable<TopicSpecification> topics, bool validateOnly = false);

    /// <summary>Deletes topics and their logs.</summary>
    /// <exception cref="KafkaException">a topic does not exist, or no broker answered.</exception>
    Task DeleteTopicsAsync(IEnumerable<string> topics);

    /// <summary>Raises a topic's partition count (it cannot shrink).</summary>
    /// <exception cref="KafkaException">the count is not larger, the topic does not exist, or no broker answered.</exception>
    Task CreatePartitionsAsync(string topic, int totalCount);

    /// <summary>Every config of a topic, defaults included.</summary>
    /// <exception cref="KafkaException">the topic does not exist, or no broker answered.</exception>
    Task<IReadOnlyList<ConfigEntryResult>> DescribeConfigsAsync(string topic);

    /// <summary>Sets some configs of a topic and returns others to their defaults (Kafka's incremental alter).</summary>
    /// <exception cref="KafkaException">a key or value is invalid (INVALID_CONFIG), the topic does not exist, or no broker answered.</exception>
    Task IncrementalAlterConfigsAsync(string topic, IReadOnlyDictionary<string, string> set, IEnumerable<string>? delete = null);

    /// <summary>Brokers and topics (all topics, or the ones named).</summary>
    /// <exception cref="KafkaException">no broker answered, or a named topic does not exist.</exception>
    Task<ClusterMetadata> GetMetadataAsync(IEnumerable<string>? topics = null);

    /// <summary>The ids of the consumer groups that exist (with members or committed offsets).</summary>
    /// <exception cref="KafkaException">no broker answered.</exception>
    Task<IReadOnlyList<string>> ListConsumerGroupsAsync();

    /// <summary>The live brokers, the controller's broker and the controller epoch (Kafka's DescribeCluster).</summary>
    /// <exception cref="KafkaException">the controller did not answer within request.timeout.ms.</exception>
    Task<ClusterDescription> DescribeClusterAsync();

    /// <summary>A group's state, members with their partitions, and committed offsets (state Dead when it does not exist).</summary>
    /// <exception cref="KafkaException">the group id is invalid, or no broker answered.</exception>
    Task<ConsumerGroupDescription> DescribeConsumerGroupAsync(string groupId);

    /// <summary>Deletes a group and its committed offsets.</summary>
    /// <exception cref="KafkaException">NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND, or no broker answered.</exception>
    Task DeleteConsumerGroupAsync(string groupId);

    /// <summary>Sets a group's committed offsets; only while the group has no members (Kafka's AlterConsumerGroupOffsets).</summary>
    /// <exception cref="KafkaException">NON_EMPTY_GROUP while it has members, or no broker answered.</exception>
    Task AlterConsumerGroupOffsetsAsync(string groupId, IEnumerable<TopicPartitionOffset> offsets);

    /// <summary>A partition's offset: the earliest, the latest (log end), or the first at or after a timestamp (Unix ms; End when none).</summary>
    /// <exception cref="KafkaException">the partition does not exist, or no broker answered.</exception>
    Task<Offset> ListOffsetAsync(TopicPartition partition, OffsetSpec spec);

    /// <summary>
    /// A partition's log as its leader holds it: first offset (moved by retention), log end, high watermark, size in
    /// bytes and segments, and for compacted topics where cleaning last ended and the dirty ratio (Kafka's
    /// DescribeLogDirs and the log cleaner's metrics, for one partition).
    /// </summary>
    /// <exception cref="KafkaException">the partition does not exist, or its leader did not answer within request.timeout.ms.</exception>
    Task<PartitionLogDescription> DescribeLogAsync(TopicPartition partition);

    /// <summary>
    /// Deletes each partition's records before the offset given (Kafka's DeleteRecords; <see cref="Offset.End"/> for
    /// all records up to the high watermark): the partition's log start moves there, readers start from it, and its
    /// segments wholly below are removed at the next retention check. A log that already starts later is left as it is.
    /// </summary>
    /// <returns>Each partition's log start afterwards (Kafka's low watermark), in the order given.</returns>
    /// <exception cref="KafkaException">
    /// for the first partition refused: OFFSET_OUT_OF_RANGE past the high watermark, POLICY_VIOLATION for a topic with
    /// <c>cleanup.policy=compact</c> only, UNKNOWN_TOPIC_OR_PARTITION, or no answer within request.timeout.ms.
    /// </exception>
    Task<IReadOnlyList<TopicPartitionOffset>> DeleteRecordsAsync(IEnumerable<TopicPartitionOffset> offsets);
}

/// <summary>A partition's log on its leader; see <see cref="IAdminClient.DescribeLogAsync"/>.</summary>
/// <param name="TopicPartition">The partition described.</param>
/// <param name="LogStartOffset">The first offset still held: a consumer below it gets OFFSET_OUT_OF_RANGE and follows auto.offset.reset.</param>
/// <param name="LogEndOffset">The offset the next record will get.</param>
/// <param name="HighWatermark">Consumers see the records below it.</param>
/// <param name="SizeBytes">Bytes of record batches the log holds.</param>
/// <param name="SegmentCount">Segments, the active one included.</param>
/// <param name="ActiveSegmentBaseOffset">Where the active segment starts: retention and compaction never touch it.</param>
/// <param name="CleanedUpTo">Where the last compaction ended (0 when never cleaned).</param>
/// <param name="DirtyRatio">Share of the cleanable bytes written since the last cleaning (0 unless compacted).</param>
public sealed record PartitionLogDescription(TopicPartition TopicPartition, long LogStartOffset, long LogEndOffset, long HighWatermark, long SizeBytes,
    int SegmentCount, long ActiveSegmentBaseOffset, long CleanedUpTo, double DirtyRatio);
