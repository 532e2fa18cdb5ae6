namespace AkkaBroker.Protocol.Messages;

// Events a group coordinator persists and its snapshot. Kept in the protocol assembly only because the one serializer
// must see every type it writes; only the coordinator uses them.

/// <summary>A member as the coordinator remembers it across restarts: who it is, what it asked for, what it was given.</summary>
public sealed record GroupMemberRecord(string MemberId, string? GroupInstanceId, string ClientId, int SessionTimeoutMs, int RebalanceTimeoutMs,
    IReadOnlyList<string> Protocols, IReadOnlyList<string> Topics, IReadOnlyList<TopicPartition> Assignment);

/// <summary>
/// The group's membership as of a generation (Kafka's group metadata record): written when a rebalance's join phase
/// completes, when the group empties, and when a static member is replaced. <c>StateTimestamp</c> is when it happened
/// (Unix ms), from which an empty group's offsets expire.
/// </summary>
public sealed record GroupMetadataChanged(int GenerationId, string Protocol, string LeaderId, long StateTimestamp,
    IReadOnlyList<GroupMemberRecord> Members);

public sealed record GroupOffsetsCommitted(IReadOnlyList<CommittedOffset> Offsets);

/// <summary>Offsets removed by <c>offsets.retention.minutes</c>.</summary>
public sealed record GroupOffsetsExpired(IReadOnlyList<TopicPartition> Partitions);

/// <summary>The group was deleted: no members, no offsets; a later join starts it afresh.</summary>
public sealed record GroupDeleted;

public sealed record GroupSnapshot(GroupMetadataChanged Metadata, IReadOnlyList<CommittedOffset> Offsets);

/// <summary>
/// Controller to a broker's group directory: by the controller's state the broker leads these partitions of
/// <c>__consumer_offsets</c>, so it coordinates their groups (the directory reads them from the partitions).
/// </summary>
public sealed record OffsetsPartitionsLed(IReadOnlyList<int> Partitions);

/// <summary>
/// Controller to a broker's group directory: list the groups of these partitions of <c>__consumer_offsets</c>, which
/// the broker leads by the controller's state. Answered with a <see cref="ListGroupsResponse"/>.
/// </summary>
public sealed record ListCoordinatedGroupsRequest(IReadOnlyList<int> OffsetsPartitions);

/// <summary>
/// Legacy controller event: older versions kept a directory of every group in the controller's state. Read from their
/// journals only, to start those groups' coordinators once.
/// </summary>
public sealed record GroupRegistered(string GroupId);

/// <summary>Legacy controller event: see <see cref="GroupRegistered"/>.</summary>
public sealed record GroupUnregistered(string GroupId);
