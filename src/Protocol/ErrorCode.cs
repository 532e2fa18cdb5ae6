namespace AkkaBroker.Protocol;

/// <summary>
/// Outcomes a client should expect, with Kafka's numeric codes so that the later Kafka-protocol listener can pass
/// them through unchanged. <see cref="Errors"/> says what each means and whether retrying can help.
/// </summary>
public enum ErrorCode : short
{
    // Client-side conditions, numbered as librdkafka (and so Confluent.Kafka) numbers them.
    LocalValueDeserialization = -159,
    LocalKeyDeserialization = -160,
    LocalValueSerialization = -161,
    LocalKeySerialization = -162,
    LocalAutoOffsetReset = -140,
    LocalMessageTimedOut = -192,
    LocalTransport = -195,
    LocalInvalidArgument = -186,
    LocalQueueFull = -184,
    LocalDestroyed = -197,
    LocalNoOffset = -168,
    LocalAllBrokersDown = -187,

    UnknownServerError = -1,
    None = 0,
    OffsetOutOfRange = 1,
    CorruptMessage = 2,
    UnknownTopicOrPartition = 3,
    InvalidFetchSize = 4,
    LeaderNotAvailable = 5,
    NotLeaderOrFollower = 6,
    RequestTimedOut = 7,
    OffsetMetadataTooLarge = 12,
    NetworkException = 13,
    CoordinatorLoadInProgress = 14,
    CoordinatorNotAvailable = 15,
    NotCoordinator = 16,
    MessageTooLarge = 10,
    InvalidTopicException = 17,
    RecordListTooLarge = 18,
    NotEnoughReplicas = 19,
    NotEnoughReplicasAfterAppend = 20,
    InvalidRequiredAcks = 21,
    IllegalGeneration = 22,
    InconsistentGroupProtocol = 23,
    InvalidGroupId = 24,
    UnknownMemberId = 25,
    InvalidSessionTimeout = 26,
    RebalanceInProgress = 27,
    InvalidTimestamp = 32,
    UnsupportedVersion = 35,
    TopicAlreadyExists = 36,
    InvalidPartitions = 37,
    InvalidReplicationFactor = 38,
    InvalidConfig = 40,
    InvalidRequest = 42,
    PolicyViolation = 44,
    UnsupportedForMessageFormat = 43,
    OutOfOrderSequenceNumber = 45,
    DuplicateSequenceNumber = 46,
    InvalidProducerEpoch = 47,
    UnknownProducerId = 59,
    InvalidReplicaAssignment = 39,
    ReassignmentInProgress = 60,
    NonEmptyGroup = 68,
    GroupIdNotFound = 69,
    FencedLeaderEpoch = 74,
    UnknownLeaderEpoch = 75,
    OffsetNotAvailable = 78,
    MemberIdRequired = 79,
    PreferredLeaderNotAvailable = 80,
    FencedInstanceId = 82,
    EligibleLeadersNotAvailable = 83,
    ElectionNotNeeded = 84,
    NoReassignmentInProgress = 85,
    InvalidUpdateVersion = 95,
    KafkaStorageError = 56,
    GroupSubscribedToTopic = 86,
    InvalidRecord = 87,
    UnknownTopicId = 100,
    BrokerIdNotRegistered = 102,
    MismatchedEndpointType = 114,
    UnsupportedEndpointType = 115,
    TopicAuthorizationFailed = 29,
    GroupAuthorizationFailed = 30,
    ClusterAuthorizationFailed = 31,
    UnsupportedSaslMechanism = 33,
    IllegalSaslState = 34,
    SaslAuthenticationFailed = 58,
    ResourceNotFound = 91,
    DuplicateResource = 92,
    UnacceptableCredential = 93,
}

/// <summary>What an <see cref="ErrorCode"/> means to a user and whether the same request may succeed later.</summary>
public static class Errors
{
    public static bool IsRetriable(this ErrorCode code) => code switch
    {
        ErrorCode.CorruptMessage => true,
        ErrorCode.UnknownTopicOrPartition => true,
        ErrorCode.LeaderNotAvailable => true,
        ErrorCode.NotLeaderOrFollower => true,
        ErrorCode.RequestTimedOut => true,
        ErrorCode.NotEnoughReplicas => true,
        ErrorCode.NotEnoughReplicasAfterAppend => true,
        ErrorCode.KafkaStorageError => true,
        ErrorCode.NetworkException => true,
        ErrorCode.LocalTransport => true,
        ErrorCode.LocalAllBrokersDown => true,
        ErrorCode.CoordinatorLoadInProgress => true,
        ErrorCode.CoordinatorNotAvailable => true,
        ErrorCode.NotCoordinator => true,
        ErrorCode.FencedLeaderEpoch => true,
        ErrorCode.UnknownLeaderEpoch => true,
        ErrorCode.OffsetNotAvailable => true,
        _ => false,
    };

    /// <summary>Kafka's name for the code, e.g. <c>UNKNOWN_TOPIC_OR_PARTITION</c>.</summary>
    public static string KafkaName(this ErrorCode code)
    {
        var name = code.ToString();
        if (name.StartsWith("Local", StringComparison.Ordinal)) name = "_" + name[5..];
        var sb = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && name[i - 1] != '_') sb.Append('_');
            sb.Append(char.ToUpperInvariant(name[i]));
        }
        return sb.ToString();
    }

    public static string Describe(this ErrorCode code) => code switch
    {
        ErrorCode.None => "no error",
        ErrorCode.UnknownServerError => "the broker hit an unexpected error; see its log",
        ErrorCode.OffsetOutOfRange => "the requested offset is outside the partition's log (below the log start or above the log end)",
        ErrorCode.CorruptMessage => "a record batch failed its CRC check",
        ErrorCode.UnknownTopicOrPartition => "the topic or partition does not exist",
        ErrorCode.LeaderNotAvailable => "the partition has no leader right now",
        ErrorCode.NotLeaderOrFollower => "this broker is not the partition's leader (or does not host it): refresh metadata and retry",
        ErrorCode.FencedLeaderEpoch => "the request names an older leader epoch than the replica's: refresh metadata",
        ErrorCode.UnknownLeaderEpoch => "the request names a newer leader epoch than the replica knows: retry shortly",
        ErrorCode.OffsetNotAvailable => "a new leader does not know its high watermark yet: retry shortly",
        ErrorCode.InvalidUpdateVersion => "the partition's state changed since the request was made",
        ErrorCode.RequestTimedOut => "the request timed out",
        ErrorCode.MessageTooLarge => "the record batch is larger than the topic's max.message.bytes",
        ErrorCode.InvalidTopicException => "the topic name is not valid",
        ErrorCode.InvalidPartitions => "the partition count is not valid",
        ErrorCode.InvalidReplicationFactor => "the replication factor is larger than the number of brokers or below 1",
        ErrorCode.InvalidConfig => "a configuration value is not valid",
        ErrorCode.TopicAlreadyExists => "the topic already exists",
        ErrorCode.OutOfOrderSequenceNumber => "the broker received an out-of-order sequence number from an idempotent producer",
        ErrorCode.InvalidProducerEpoch => "the producer epoch is older than the broker's",
        ErrorCode.IllegalGeneration => "the group has rebalanced since this member joined; its generation is stale",
        ErrorCode.UnknownMemberId => "the member is not in the group (session expired, left, or removed)",
        ErrorCode.RebalanceInProgress => "the group is rebalancing",
        ErrorCode.InvalidSessionTimeout => "session.timeout.ms is outside the broker's group.min/max.session.timeout.ms",
        ErrorCode.InconsistentGroupProtocol => "the member's partition.assignment.strategy shares none with the group's",
        ErrorCode.UnsupportedVersion => "the broker does not serve this version of the request",
        ErrorCode.InvalidGroupId => "the group id is not valid",
        ErrorCode.NonEmptyGroup => "the group still has members",
        ErrorCode.GroupIdNotFound => "the group does not exist",
        ErrorCode.FencedInstanceId => "another consumer joined with the same group.instance.id",
        ErrorCode.PolicyViolation => "the request breaks the topic's policy (records of a compacted topic cannot be deleted by offset)",
        ErrorCode.MemberIdRequired => "a first join gets its member id back and must join again with it",
        ErrorCode.CoordinatorNotAvailable => "the group coordinator is not available yet",
        ErrorCode.NotEnoughReplicas => "fewer in-sync replicas than min.insync.replicas: the write was refused",
        ErrorCode.UnknownTopicId => "no topic has this topic id (this broker does not keep topic ids: name topics instead)",
        ErrorCode.MismatchedEndpointType => "the request was sent to an endpoint of the wrong type (brokers, not controllers)",
        ErrorCode.UnsupportedEndpointType => "this endpoint type is not supported",
        ErrorCode.PreferredLeaderNotAvailable => "the partition's preferred replica (its first) is not live and in sync, so it cannot lead",
        ErrorCode.EligibleLeadersNotAvailable => "no replica of the partition is live to be elected",
        ErrorCode.ElectionNotNeeded => "the partition already has the leader this election would give it",
        ErrorCode.InvalidReplicaAssignment => "the replicas asked for are not distinct live brokers",
        ErrorCode.ReassignmentInProgress => "the partition is being reassigned already: wait for it to finish or cancel it",
        ErrorCode.NoReassignmentInProgress => "the partition is not being reassigned",
        ErrorCode.BrokerIdNotRegistered => "no node with this id is registered with the controller",
        ErrorCode.GroupSubscribedToTopic => "a member of the group is subscribed to the topic: its offsets are in use",
        ErrorCode.NotEnoughReplicasAfterAppend => "the write was appended, but the in-sync replicas shrank below min.insync.replicas before it was replicated",
        ErrorCode.SaslAuthenticationFailed => "authentication failed: the user name or password is wrong, or the broker requires SASL and none was configured",
        ErrorCode.UnsupportedSaslMechanism => "the broker does not offer this SASL mechanism",
        ErrorCode.IllegalSaslState => "a SASL message arrived out of order in the authentication exchange",
        ErrorCode.ResourceNotFound => "the user or resource named does not exist",
        ErrorCode.DuplicateResource => "the request names the same user more than once",
        ErrorCode.UnacceptableCredential => "the credential is not acceptable (iterations, salt or user name out of bounds)",
        _ => code.KafkaName(),
    };
}
