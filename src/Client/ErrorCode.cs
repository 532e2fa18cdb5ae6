namespace AkkaBroker.Client;

/// <summary>
/// An error code as Confluent.Kafka (librdkafka) names it: broker errors (positive) carry Kafka's numbers, client-side
/// errors (<c>Local_*</c>) are negative. <see cref="Error.Code"/> is one of these.
/// </summary>
#pragma warning disable CA1707 // Confluent.Kafka's own names, underscores included, so its code compiles unchanged.
public enum ErrorCode
{
    /// <summary>Success.</summary>
    NoError = 0,
    /// <summary>Broker: Offset out of range.</summary>
    OffsetOutOfRange = 1,
    /// <summary>Broker: Invalid message.</summary>
    InvalidMsg = 2,
    /// <summary>Broker: Unknown topic or partition.</summary>
    UnknownTopicOrPart = 3,
    /// <summary>Broker: Invalid message size.</summary>
    InvalidMsgSize = 4,
    /// <summary>Broker: Leader not available.</summary>
    LeaderNotAvailable = 5,
    /// <summary>Broker: Not leader for partition.</summary>
    NotLeaderForPartition = 6,
    /// <summary>Broker: Request timed out.</summary>
    RequestTimedOut = 7,
    /// <summary>Broker: Broker not available.</summary>
    BrokerNotAvailable = 8,
    /// <summary>Broker: Replica not available.</summary>
    ReplicaNotAvailable = 9,
    /// <summary>Broker: Message size too large.</summary>
    MsgSizeTooLarge = 10,
    /// <summary>Broker: StaleControllerEpochCode.</summary>
    StaleCtrlEpoch = 11,
    /// <summary>Broker: Offset metadata string too large.</summary>
    OffsetMetadataTooLarge = 12,
    /// <summary>Broker: Broker disconnected before response received.</summary>
    NetworkException = 13,
    /// <summary>Broker: Coordinator load in progress.</summary>
    [Obsolete("Use GroupLoadInProgress.")]
    GroupLoadInProress = 14,
    /// <summary>Broker: Coordinator load in progress.</summary>
    GroupLoadInProgress = 14,
    /// <summary>Broker: Coordinator not available.</summary>
    GroupCoordinatorNotAvailable = 15,
    /// <summary>Broker: Not coordinator.</summary>
    NotCoordinatorForGroup = 16,
    /// <summary>Broker: Invalid topic.</summary>
    TopicException = 17,
    /// <summary>Broker: Message batch larger than configured server segment size.</summary>
    RecordListTooLarge = 18,
    /// <summary>Broker: Not enough in-sync replicas.</summary>
    NotEnoughReplicas = 19,
    /// <summary>Broker: Message(s) written to insufficient number of in-sync replicas.</summary>
    NotEnoughReplicasAfterAppend = 20,
    /// <summary>Broker: Invalid required acks value.</summary>
    InvalidRequiredAcks = 21,
    /// <summary>Broker: Specified group generation id is not valid.</summary>
    IllegalGeneration = 22,
    /// <summary>Broker: Inconsistent group protocol.</summary>
    InconsistentGroupProtocol = 23,
    /// <summary>Broker: Invalid group.id.</summary>
    InvalidGroupId = 24,
    /// <summary>Broker: Unknown member.</summary>
    UnknownMemberId = 25,
    /// <summary>Broker: Invalid session timeout.</summary>
    InvalidSessionTimeout = 26,
    /// <summary>Broker: Group rebalance in progress.</summary>
    RebalanceInProgress = 27,
    /// <summary>Broker: Commit offset data size is not valid.</summary>
    InvalidCommitOffsetSize = 28,
    /// <summary>Broker: Topic authorization failed.</summary>
    TopicAuthorizationFailed = 29,
    /// <summary>Broker: Group authorization failed.</summary>
    GroupAuthorizationFailed = 30,
    /// <summary>Broker: Cluster authorization failed.</summary>
    ClusterAuthorizationFailed = 31,
    /// <summary>Broker: Invalid timestamp.</summary>
    InvalidTimestamp = 32,
    /// <summary>Broker: Unsupported SASL mechanism.</summary>
    UnsupportedSaslMechanism = 33,
    /// <summary>Broker: Request not valid in current SASL state.</summary>
    IllegalSaslState = 34,
    /// <summary>Broker: API version not supported.</summary>
    UnsupportedVersion = 35,
    /// <summary>Broker: Topic already exists.</summary>
    TopicAlreadyExists = 36,
    /// <summary>Broker: Invalid number of partitions.</summary>
    InvalidPartitions = 37,
    /// <summary>Broker: Invalid replication factor.</summary>
    InvalidReplicationFactor = 38,
    /// <summary>Broker: Invalid replica assignment.</summary>
    InvalidReplicaAssignment = 39,
    /// <summary>Broker: Configuration is invalid.</summary>
    InvalidConfig = 40,
    /// <summary>Broker: Not controller for cluster.</summary>
    NotController = 41,
    /// <summary>Broker: Invalid request.</summary>
    InvalidRequest = 42,
    /// <summary>Broker: Message format on broker does not support request.</summary>
    UnsupportedForMessageFormat = 43,
    /// <summary>Broker: Policy violation.</summary>
    PolicyViolation = 44,
    /// <summary>Broker: Broker received an out of order sequence number.</summary>
    OutOfOrderSequenceNumber = 45,
    /// <summary>Broker: Broker received a duplicate sequence number.</summary>
    DuplicateSequenceNumber = 46,
    /// <summary>Broker: Producer attempted an operation with an old epoch.</summary>
    InvalidProducerEpoch = 47,
    /// <summary>Broker: Producer attempted a transactional operation in an invalid state.</summary>
    InvalidTxnState = 48,
    /// <summary>Broker: Producer attempted to use a producer id which is not currently assigned to its transactional id.</summary>
    InvalidProducerIdMapping = 49,
    /// <summary>Broker: Transaction timeout is larger than the maximum value allowed by the broker's max.transaction.timeout.ms.</summary>
    InvalidTransactionTimeout = 50,
    /// <summary>Broker: Producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.</summary>
    ConcurrentTransactions = 51,
    /// <summary>Broker: Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.</summary>
    TransactionCoordinatorFenced = 52,
    /// <summary>Broker: Transactional Id authorization failed.</summary>
    TransactionalIdAuthorizationFailed = 53,
    /// <summary>Broker: Security features are disabled.</summary>
    SecurityDisabled = 54,
    /// <summary>Broker: Operation not attempted.</summary>
    OperationNotAttempted = 55,
    /// <summary>Broker: Disk error when trying to access log file on disk.</summary>
    KafkaStorageError = 56,
    /// <summary>Broker: The user-specified log directory is not found in the broker config.</summary>
    LogDirNotFound = 57,
    /// <summary>Broker: SASL Authentication failed.</summary>
    SaslAuthenticationFailed = 58,
    /// <summary>Broker: Unknown Producer Id.</summary>
    UnknownProducerId = 59,
    /// <summary>Broker: Partition reassignment is in progress.</summary>
    ReassignmentInProgress = 60,
    /// <summary>Broker: Delegation Token feature is not enabled.</summary>
    DelegationTokenAuthDisabled = 61,
    /// <summary>Broker: Delegation Token is not found on server.</summary>
    DelegationTokenNotFound = 62,
    /// <summary>Broker: Specified Principal is not valid Owner/Renewer.</summary>
    DelegationTokenOwnerMismatch = 63,
    /// <summary>Broker: Delegation Token requests are not allowed on this connection.</summary>
    DelegationTokenRequestNotAllowed = 64,
    /// <summary>Broker: Delegation Token authorization failed.</summary>
    DelegationTokenAuthorizationFailed = 65,
    /// <summary>Broker: Delegation Token is expired.</summary>
    DelegationTokenExpired = 66,
    /// <summary>Broker: Supplied principalType is not supported.</summary>
    InvalidPrincipalType = 67,
    /// <summary>Broker: The group is not empty.</summary>
    NonEmptyGroup = 68,
    /// <summary>Broker: The group id does not exist.</summary>
    GroupIdNotFound = 69,
    /// <summary>Broker: The fetch session ID was not found.</summary>
    FetchSessionIdNotFound = 70,
    /// <summary>Broker: The fetch session epoch is invalid.</summary>
    InvalidFetchSessionEpoch = 71,
    /// <summary>Broker: No matching listener.</summary>
    ListenerNotFound = 72,
    /// <summary>Broker: Topic deletion is disabled.</summary>
    TopicDeletionDisabled = 73,
    /// <summary>Broker: Leader epoch is older than broker epoch.</summary>
    FencedLeaderEpoch = 74,
    /// <summary>Broker: Leader epoch is newer than broker epoch.</summary>
    UnknownLeaderEpoch = 75,
    /// <summary>Broker: Unsupported compression type.</summary>
    UnsupportedCompressionType = 76,
    /// <summary>Broker: Broker epoch has changed.</summary>
    StaleBrokerEpoch = 77,
    /// <summary>Broker: Leader high watermark is not caught up.</summary>
    OffsetNotAvailable = 78,
    /// <summary>Broker: Group member needs a valid member ID.</summary>
    MemberIdRequired = 79,
    /// <summary>Broker: Preferred leader was not available.</summary>
    PreferredLeaderNotAvailable = 80,
    /// <summary>Broker: Consumer group has reached maximum size.</summary>
    GroupMaxSizeReached = 81,
    /// <summary>Broker: Static consumer fenced by other consumer with same group.instance.id.</summary>
    FencedInstanceId = 82,
    /// <summary>Broker: Eligible partition leaders are not available.</summary>
    EligibleLeadersNotAvailable = 83,
    /// <summary>Broker: Leader election not needed for topic partition.</summary>
    ElectionNotNeeded = 84,
    /// <summary>Broker: No partition reassignment is in progress.</summary>
    NoReassignmentInProgress = 85,
    /// <summary>Broker: Deleting offsets of a topic while the consumer group is subscribed to it.</summary>
    GroupSubscribedToTopic = 86,
    /// <summary>Broker: Broker failed to validate record.</summary>
    InvalidRecord = 87,
    /// <summary>Broker: There are unstable offsets that need to be cleared.</summary>
    UnstableOffsetCommit = 88,
    /// <summary>Broker: Throttling quota has been exceeded.</summary>
    ThrottlingQuotaExceeded = 89,
    /// <summary>Broker: There is a newer producer with the same transactionalId which fences the current one.</summary>
    ProducerFenced = 90,
    /// <summary>Broker: Request illegally referred to resource that does not exist.</summary>
    ResourceNotFound = 91,
    /// <summary>Broker: Request illegally referred to the same resource twice.</summary>
    DuplicateResource = 92,
    /// <summary>Broker: Requested credential would not meet criteria for acceptability.</summary>
    UnacceptableCredential = 93,
    /// <summary>Broker: Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.</summary>
    InconsistentVoterSet = 94,
    /// <summary>Broker: Invalid update version.</summary>
    InvalidUpdateVersion = 95,
    /// <summary>Broker: Unable to update finalized features due to server error.</summary>
    FeatureUpdateFailed = 96,
    /// <summary>Broker: Request principal deserialization failed during forwarding.</summary>
    PrincipalDeserializationFailure = 97,
    /// <summary>Broker: Unknown topic id.</summary>
    UnknownTopicId = 100,
    /// <summary>Broker: The member epoch is fenced by the group coordinator.</summary>
    FencedMemberEpoch = 110,
    /// <summary>Broker: The instance ID is still used by another member in the consumer group.</summary>
    UnreleasedInstanceId = 111,
    /// <summary>Broker: The assignor or its version range is not supported by the consumer group.</summary>
    UnsupportedAssignor = 112,
    /// <summary>Broker: The member epoch is stale.</summary>
    StaleMemberEpoch = 113,
    /// <summary>Broker: Client sent a push telemetry request with an invalid or outdated subscription ID.</summary>
    UnknownSubscriptionId = 117,
    /// <summary>Broker: Client sent a push telemetry request larger than the maximum size the broker will accept.</summary>
    TelemetryTooLarge = 118,
    /// <summary>Broker: Client metadata is stale, client should rebootstrap to obtain new metadata.</summary>
    RebootstrapRequired = 129,
    /// <summary>Local: Bad message format.</summary>
    Local_BadMsg = -199,
    /// <summary>Local: Invalid compressed data.</summary>
    Local_BadCompression = -198,
    /// <summary>Local: Broker handle destroyed for termination.</summary>
    Local_Destroy = -197,
    /// <summary>Local: Communication failure with broker.</summary>
    Local_Fail = -196,
    /// <summary>Local: Broker transport failure.</summary>
    Local_Transport = -195,
    /// <summary>Local: Critical system resource failure.</summary>
    Local_CritSysResource = -194,
    /// <summary>Local: Host resolution failure.</summary>
    Local_Resolve = -193,
    /// <summary>Local: Message timed out.</summary>
    Local_MsgTimedOut = -192,
    /// <summary>Broker: No more messages.</summary>
    Local_PartitionEOF = -191,
    /// <summary>Local: Unknown partition.</summary>
    Local_UnknownPartition = -190,
    /// <summary>Local: File or filesystem error.</summary>
    Local_FS = -189,
    /// <summary>Local: Unknown topic.</summary>
    Local_UnknownTopic = -188,
    /// <summary>Local: All broker connections are down.</summary>
    Local_AllBrokersDown = -187,
    /// <summary>Local: Invalid argument or configuration.</summary>
    Local_InvalidArg = -186,
    /// <summary>Local: Timed out.</summary>
    Local_TimedOut = -185,
    /// <summary>Local: Queue full.</summary>
    Local_QueueFull = -184,
    /// <summary>Local: ISR count insufficient.</summary>
    Local_IsrInsuff = -183,
    /// <summary>Local: Broker node update.</summary>
    Local_NodeUpdate = -182,
    /// <summary>Local: SSL error.</summary>
    Local_Ssl = -181,
    /// <summary>Local: Waiting for coordinator.</summary>
    Local_WaitCoord = -180,
    /// <summary>Local: Unknown group.</summary>
    Local_UnknownGroup = -179,
    /// <summary>Local: Operation in progress.</summary>
    Local_InProgress = -178,
    /// <summary>Local: Previous operation in progress.</summary>
    Local_PrevInProgress = -177,
    /// <summary>Local: Existing subscription.</summary>
    Local_ExistingSubscription = -176,
    /// <summary>Local: Assign partitions.</summary>
    Local_AssignPartitions = -175,
    /// <summary>Local: Revoke partitions.</summary>
    Local_RevokePartitions = -174,
    /// <summary>Local: Conflicting use.</summary>
    Local_Conflict = -173,
    /// <summary>Local: Erroneous state.</summary>
    Local_State = -172,
    /// <summary>Local: Unknown protocol.</summary>
    Local_UnknownProtocol = -171,
    /// <summary>Local: Not implemented.</summary>
    Local_NotImplemented = -170,
    /// <summary>Local: Authentication failure.</summary>
    Local_Authentication = -169,
    /// <summary>Local: No offset stored.</summary>
    Local_NoOffset = -168,
    /// <summary>Local: Outdated.</summary>
    Local_Outdated = -167,
    /// <summary>Local: Timed out in queue.</summary>
    Local_TimedOutQueue = -166,
    /// <summary>Local: Required feature not supported by broker.</summary>
    Local_UnsupportedFeature = -165,
    /// <summary>Local: Awaiting cache update.</summary>
    Local_WaitCache = -164,
    /// <summary>Local: Operation interrupted.</summary>
    Local_Intr = -163,
    /// <summary>Local: Key serialization error.</summary>
    Local_KeySerialization = -162,
    /// <summary>Local: Value serialization error.</summary>
    Local_ValueSerialization = -161,
    /// <summary>Local: Key deserialization error.</summary>
    Local_KeyDeserialization = -160,
    /// <summary>Local: Value deserialization error.</summary>
    Local_ValueDeserialization = -159,
    /// <summary>Local: Partial response.</summary>
    Local_Partial = -158,
    /// <summary>Local: Read-only object.</summary>
    Local_ReadOnly = -157,
    /// <summary>Local: No such entry.</summary>
    Local_NoEnt = -156,
    /// <summary>Local: Read underflow.</summary>
    Local_Underflow = -155,
    /// <summary>Local: Invalid type.</summary>
    Local_InvalidType = -154,
    /// <summary>Local: Retry operation.</summary>
    Local_Retry = -153,
    /// <summary>Local: Purged in queue.</summary>
    Local_PurgeQueue = -152,
    /// <summary>Local: Purged in flight.</summary>
    Local_PurgeInflight = -151,
    /// <summary>Local: Fatal error.</summary>
    Local_Fatal = -150,
    /// <summary>Local: Inconsistent state.</summary>
    Local_Inconsistent = -149,
    /// <summary>Local: Gap-less ordering would not be guaranteed if proceeding.</summary>
    Local_GaplessGuarantee = -148,
    /// <summary>Local: Maximum application poll interval (max.poll.interval.ms) exceeded.</summary>
    Local_MaxPollExceeded = -147,
    /// <summary>Local: Unknown broker.</summary>
    Local_UnknownBroker = -146,
    /// <summary>Local: Functionality not configured.</summary>
    Local_NotConfigured = -145,
    /// <summary>Local: This instance has been fenced by a newer instance.</summary>
    Local_Fenced = -144,
    /// <summary>Local: Application generated error.</summary>
    Local_Application = -143,
    /// <summary>Local: Group partition assignment lost.</summary>
    Local_AssignmentLost = -142,
    /// <summary>Local: No operation performed.</summary>
    Local_Noop = -141,
    /// <summary>Local: No offset to automatically reset to.</summary>
    Local_AutoOffsetReset = -140,
    /// <summary>Local: Partition log truncation detected.</summary>
    Local_LogTruncation = -139,
    /// <summary>Local: an invalid record in the same batch caused the failure of this message too.</summary>
    Local_InvalidDifferentRecord = -138,
    /// <summary>Local: Broker handle destroyed without termination.</summary>
    Local_DestroyBroker = -137,
    /// <summary>Unknown broker error.</summary>
    Unknown = -1,
}
#pragma warning restore CA1707
