using AkkaBroker.Client.Admin;

namespace AkkaBroker.Client;

/// <summary>
/// Manages topics, their configs, and consumer groups, with Confluent.Kafka's <c>IAdminClient</c> methods and result
/// types (plus <see cref="GetMetadataAsync"/>, <see cref="DescribeConsumerGroupAsync"/>, <see cref="ListOffsetAsync"/>
/// and <see cref="DescribeLogAsync"/>). A method about several things fails with the exception named for it, whose
/// <c>Results</c> say what happened to each; the others took effect. Thread-safe.
/// </summary>
public interface IAdminClient : IDisposable
{
    /// <summary>The client id.</summary>
    string Name { get; }

    /// <summary>Creates topics.</summary>
    /// <exception cref="CreateTopicsException">some were refused (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG, ...) or not answered; each report names the topic and why.</exception>
    Task CreateTopicsAsync(IEnumerable<TopicSpecification> topics, CreateTopicsOptions? options = null);

    /// <summary>Deletes topics and their logs.</summary>
    /// <exception cref="DeleteTopicsException">some do not exist (UNKNOWN_TOPIC_OR_PART) or were not answered.</exception>
    Task DeleteTopicsAsync(IEnumerable<string> topics, DeleteTopicsOptions? options = null);

    /// <summary>Raises topics' partition counts (they cannot shrink).</summary>
    /// <exception cref="CreatePartitionsException">for a count that is not larger (INVALID_PARTITIONS), a topic that does not exist, replica assignments given, or no answer.</exception>
    Task CreatePartitionsAsync(IEnumerable<PartitionsSpecification> partitionsSpecifications, CreatePartitionsOptions? options = null);

    /// <summary>
    /// Every config of each topic, defaults included; or a broker's dynamic configs (<see cref="ResourceType.Broker"/>
    /// named by its broker id, or <c>""</c> for the cluster-wide default) with the topic defaults in force, each with its
    /// <see cref="ConfigSource"/>.
    /// </summary>
    /// <exception cref="DescribeConfigsException">a topic or broker does not exist, a resource is neither a topic nor a broker, or no answer.</exception>
    Task<List<DescribeConfigsResult>> DescribeConfigsAsync(IEnumerable<ConfigResource> resources, DescribeConfigsOptions? options = null);

    /// <summary>
    /// Sets, deletes (returns to the default), appends to or subtracts from topic configs or brokers' dynamic configs,
    /// per key. Brokers' topic defaults (<c>log.retention.ms</c> ...) are set for the cluster-wide default (broker
    /// name <c>""</c>); <c>follower.replication.throttled.rate</c> also per broker.
    /// </summary>
    /// <exception cref="IncrementalAlterConfigsException">a key or value is invalid (INVALID_CONFIG), a topic or broker does not exist, a resource is neither, or no answer.</exception>
    Task<List<IncrementalAlterConfigsResult>> IncrementalAlterConfigsAsync(Dictionary<ConfigResource, List<ConfigEntry>> configs, IncrementalAlterConfigsOptions? options = null);

    /// <summary>Brokers and all topics, waiting at most <paramref name="timeout"/>.</summary>
    /// <exception cref="KafkaException">no broker answered in time.</exception>
    Metadata GetMetadata(TimeSpan timeout);

    /// <summary>Brokers and one topic (with UNKNOWN_TOPIC_OR_PART as its error when it does not exist), waiting at most <paramref name="timeout"/>.</summary>
    /// <exception cref="KafkaException">no broker answered in time.</exception>
    Metadata GetMetadata(string topic, TimeSpan timeout);

    /// <summary>Brokers and topics (all topics, or the ones named). Not in Confluent.Kafka.</summary>
    /// <exception cref="KafkaException">no broker answered, or a named topic does not exist (UNKNOWN_TOPIC_OR_PART).</exception>
    Task<Metadata> GetMetadataAsync(IEnumerable<string>? topics = null);

    /// <summary>
    /// The consumer groups that exist (with members or committed offsets) and their states. Each broker lists the groups
    /// it coordinates; what kept some from being listed (a coordinator down or still loading) is in
    /// <see cref="ListConsumerGroupsResult.Errors"/>, next to the groups that were listed.
    /// </summary>
    /// <exception cref="KafkaException">no broker answered.</exception>
    Task<ListConsumerGroupsResult> ListConsumerGroupsAsync(ListConsumerGroupsOptions? options = null);

    /// <summary>The live brokers, the controller's node and the controller epoch (Kafka's DescribeCluster).</summary>
    /// <exception cref="KafkaException">the controller did not answer within the request timeout.</exception>
    Task<DescribeClusterResult> DescribeClusterAsync(DescribeClusterOptions? options = null);

    /// <summary>Groups' states, members with their partitions, and committed offsets (state Dead for a group that does not exist).</summary>
    /// <exception cref="DescribeConsumerGroupsException">a group id is invalid or its coordinator did not answer; the others are described in its results.</exception>
    Task<DescribeConsumerGroupsResult> DescribeConsumerGroupsAsync(IEnumerable<string> groups, DescribeConsumerGroupsOptions? options = null);

    /// <summary>One group, as <see cref="DescribeConsumerGroupsAsync"/> describes it. Not in Confluent.Kafka.</summary>
    /// <exception cref="KafkaException">the group id is invalid or its coordinator did not answer.</exception>
    Task<ConsumerGroupDescription> DescribeConsumerGroupAsync(string groupId);

    /// <summary>Deletes groups and their committed offsets.</summary>
    /// <exception cref="DeleteGroupsException">some have members (NON_EMPTY_GROUP), do not exist (GROUP_ID_NOT_FOUND), or were not answered.</exception>
    Task DeleteGroupsAsync(IList<string> groups, DeleteGroupsOptions? options = null);

    /// <summary>
    /// Removes a group's committed offsets of the partitions named (Kafka's OffsetDelete), so a consumer of the group
    /// starts them from <c>auto.offset.reset</c>. Partitions of a topic an active member subscribes to keep theirs.
    /// </summary>
    /// <exception cref="DeleteConsumerGroupOffsetsException">the group does not exist (GROUP_ID_NOT_FOUND), or a member subscribes to a topic named (GROUP_SUBSCRIBED_TO_TOPIC).</exception>
    Task<DeleteConsumerGroupOffsetsResult> DeleteConsumerGroupOffsetsAsync(string group, IEnumerable<TopicPartition> partitions, DeleteConsumerGroupOffsetsOptions? options = null);

    /// <summary>Groups' committed offsets: of the partitions named, or all a group has when none are.</summary>
    /// <exception cref="ListConsumerGroupOffsetsException">a group id is invalid or its coordinator did not answer.</exception>
    Task<List<ListConsumerGroupOffsetsResult>> ListConsumerGroupOffsetsAsync(IEnumerable<ConsumerGroupTopicPartitions> groupPartitions, ListConsumerGroupOffsetsOptions? options = null);

    /// <summary>Sets groups' committed offsets; only while a group has no members (Kafka's AlterConsumerGroupOffsets).</summary>
    /// <exception cref="AlterConsumerGroupOffsetsException">a group has members (NON_EMPTY_GROUP) or was not answered.</exception>
    /// <exception cref="ArgumentException">an offset is not a position (negative or special).</exception>
    Task<List<AlterConsumerGroupOffsetsResult>> AlterConsumerGroupOffsetsAsync(IEnumerable<ConsumerGroupTopicPartitionOffsets> groupPartitions, AlterConsumerGroupOffsetsOptions? options = null);

    /// <summary>Partitions' offsets: the earliest, the latest (log end), or the first at or after a timestamp (<see cref="Offset.End"/> when none is that late).</summary>
    /// <exception cref="ListOffsetsException">a partition does not exist or its leader did not answer.</exception>
    Task<ListOffsetsResult> ListOffsetsAsync(IEnumerable<TopicPartitionOffsetSpec> topicPartitionOffsets, ListOffsetsOptions? options = null);

    /// <summary>One partition's offset, as <see cref="ListOffsetsAsync"/> finds it. Not in Confluent.Kafka.</summary>
    /// <exception cref="KafkaException">the partition does not exist, or no broker answered.</exception>
    Task<Offset> ListOffsetAsync(TopicPartition partition, OffsetSpec spec);

    /// <summary>
    /// Elects leaders (Kafka's kafka-leader-election): <see cref="ElectionType.Preferred"/> gives partitions back to their
    /// first replica; <see cref="ElectionType.Unclean"/> gives partitions with no live leader any live replica.
    /// <paramref name="partitions"/> null considers every partition.
    /// </summary>
    /// <exception cref="ElectLeadersException">
    /// a partition named was not elected: ELECTION_NOT_NEEDED (it already has that leader), PREFERRED_LEADER_NOT_AVAILABLE,
    /// ELIGIBLE_LEADERS_NOT_AVAILABLE or UNKNOWN_TOPIC_OR_PART.
    /// </exception>
    Task<ElectLeadersResult> ElectLeadersAsync(ElectionType electionType, IEnumerable<TopicPartition>? partitions = null, ElectLeadersOptions? options = null);

    /// <summary>
    /// Every replica's log size on each broker (Kafka's DescribeLogDirs): of the brokers named (null: all live ones) and
    /// the topics named (null: all). A replica that cannot be described carries its error. Not in Confluent.Kafka.
    /// </summary>
    /// <exception cref="KafkaException">no broker answered the metadata request, or a named topic does not exist.</exception>
    Task<List<ReplicaLogDescription>> DescribeReplicaLogsAsync(IEnumerable<int>? brokerIds = null, IEnumerable<string>? topics = null);

    /// <summary>
    /// Moves partitions to new replicas (Kafka's AlterPartitionReassignments): each partition named gets the replicas
    /// given (the first becomes its preferred leader) or, for null, has its reassignment in progress cancelled. New
    /// replicas copy the log (at most <paramref name="throttleBytesPerSecond"/> each, 0 for no limit) and join the ISR;
    /// then the old replicas not named are removed and their logs deleted. Returns once the reassignments are recorded;
    /// <see cref="ListPartitionReassignmentsAsync"/> shows those not finished. Not in Confluent.Kafka.
    /// </summary>
    /// <exception cref="AlterPartitionReassignmentsException">
    /// a partition does not exist, its replicas are not distinct live brokers (INVALID_REPLICA_ASSIGNMENT), it is being
    /// reassigned already (REASSIGNMENT_IN_PROGRESS), or there is nothing to cancel (NO_REASSIGNMENT_IN_PROGRESS); the
    /// others took effect.
    /// </exception>
    Task AlterPartitionReassignmentsAsync(IReadOnlyDictionary<TopicPartition, IReadOnlyList<int>?> reassignments, long throttleBytesPerSecond = 0);

    /// <summary>
    /// Kafka's UnregisterBroker, the last step of decommissioning a node: the controller forgets a node that is stopped
    /// for good and holds no replicas, so it no longer counts towards the majority of nodes the controller's state is
    /// written to. Not in Confluent.Kafka.
    /// </summary>
    /// <exception cref="KafkaException">BROKER_ID_NOT_REGISTERED, or INVALID_REQUEST while the node runs or still holds replicas (the message names them).</exception>
    Task UnregisterBrokerAsync(int brokerId);

    /// <summary>The partition reassignments in progress. Not in Confluent.Kafka.</summary>
    /// <exception cref="KafkaException">the controller did not answer.</exception>
    Task<List<PartitionReassignment>> ListPartitionReassignmentsAsync();

    /// <summary>
    /// A partition's log as its leader holds it: first offset (moved by retention), log end, high watermark, size in
    /// bytes and segments, and for compacted topics where cleaning last ended and the dirty ratio (Kafka's
    /// DescribeLogDirs and the log cleaner's metrics, for one partition). Not in Confluent.Kafka.
    /// </summary>
    /// <exception cref="KafkaException">the partition does not exist, or its leader did not answer within request.timeout.ms.</exception>
    Task<PartitionLogDescription> DescribeLogAsync(TopicPartition partition);

    /// <summary>
    /// Deletes each partition's records before the offset given (Kafka's DeleteRecords; <see cref="Offset.End"/> for
    /// all records up to the high watermark): the partition's log start moves there, readers start from it, and its
    /// segments wholly below are removed at the next retention check. A log that already starts later is left as it is.
    /// </summary>
    /// <returns>Each partition's log start afterwards (Kafka's low watermark), in the order given.</returns>
    /// <exception cref="DeleteRecordsException">
    /// a partition was refused: OFFSET_OUT_OF_RANGE past the high watermark, POLICY_VIOLATION for a topic with
    /// <c>cleanup.policy=compact</c> only, UNKNOWN_TOPIC_OR_PART, or no answer within request.timeout.ms.
    /// </exception>
    Task<List<DeleteRecordsResult>> DeleteRecordsAsync(IEnumerable<TopicPartitionOffset> topicPartitionOffsets, DeleteRecordsOptions? options = null);

    /// <summary>
    /// Sets or removes users' SCRAM credentials (Kafka's AlterUserScramCredentials): what clients authenticate with
    /// where brokers require SASL. Passwords are salted and hashed here; brokers never see them.
    /// </summary>
    /// <exception cref="AlterUserScramCredentialsException">some users' changes were refused (Results says why: UNACCEPTABLE_CREDENTIAL, RESOURCE_NOT_FOUND, DUPLICATE_RESOURCE, ...); the others were made.</exception>
    Task AlterUserScramCredentialsAsync(IEnumerable<UserScramCredentialAlteration> alterations, AlterUserScramCredentialsOptions? options = null);

    /// <summary>The mechanisms and iterations of the users' SCRAM credentials (Kafka's DescribeUserScramCredentials); null or empty for every user.</summary>
    /// <exception cref="KafkaException">the request failed as a whole (no answer within request.timeout.ms, not authorised).</exception>
    Task<DescribeUserScramCredentialsResult> DescribeUserScramCredentialsAsync(IEnumerable<string>? users, DescribeUserScramCredentialsOptions? options = null);

    /// <summary>Creates ACLs (Kafka's CreateAcls); one that exists already is left as it is. Needs Alter on the cluster where ACLs are checked.</summary>
    /// <exception cref="CreateAclsException">some ACLs were refused (Results says why, in the order given); the others were created.</exception>
    Task CreateAclsAsync(IEnumerable<AclBinding> aclBindings, CreateAclsOptions? options = null);

    /// <summary>The ACLs <paramref name="aclBindingFilter"/> matches (Kafka's DescribeAcls). Needs Describe on the cluster where ACLs are checked.</summary>
    /// <exception cref="KafkaException">the request failed (CLUSTER_AUTHORIZATION_FAILED, no answer within request.timeout.ms).</exception>
    Task<DescribeAclsResult> DescribeAclsAsync(AclBindingFilter aclBindingFilter, DescribeAclsOptions? options = null);

    /// <summary>Removes every ACL each filter matches (Kafka's DeleteAcls); each filter's result lists what it removed.</summary>
    /// <exception cref="KafkaException">the request failed (CLUSTER_AUTHORIZATION_FAILED, no answer within request.timeout.ms).</exception>
    Task<List<DeleteAclsResult>> DeleteAclsAsync(IEnumerable<AclBindingFilter> aclBindingFilters, DeleteAclsOptions? options = null);

    /// <summary>
    /// Sets or removes client quotas (Kafka's AlterClientQuotas): <c>producer_byte_rate</c>, <c>consumer_byte_rate</c>
    /// and <c>request_percentage</c> per user, client id, or both, or their defaults. Each broker holds each client to
    /// them apart, delaying its answers when it goes over. Needs AlterConfigs on the cluster where ACLs are checked.
    /// </summary>
    /// <exception cref="AlterClientQuotasException">some entities' changes were refused (Results says why: INVALID_REQUEST with the key or value at fault); the others were made.</exception>
    /// <exception cref="KafkaException">the request failed as a whole (no answer within request.timeout.ms, not authorised).</exception>
    Task AlterClientQuotasAsync(IEnumerable<ClientQuotaAlteration> entries, AlterClientQuotasOptions? options = null);

    /// <summary>The quotas of the entities <paramref name="filter"/> matches (Kafka's DescribeClientQuotas). Needs DescribeConfigs on the cluster where ACLs are checked.</summary>
    /// <exception cref="KafkaException">the request failed (an unknown entity type in the filter, not authorised, no answer within request.timeout.ms).</exception>
    Task<IReadOnlyDictionary<ClientQuotaEntity, IReadOnlyDictionary<string, double>>> DescribeClientQuotasAsync(ClientQuotaFilter filter, DescribeClientQuotasOptions? options = null);
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
