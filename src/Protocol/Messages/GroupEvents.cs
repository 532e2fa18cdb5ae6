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

/// <summary>Tells the controller's group directory that a group exists (idempotent), so <c>groups list</c> finds it.</summary>
public sealed record RegisterGroup(string GroupId);

/// <summary>Tells the controller's group directory that a group no longer exists.</summary>
public sealed record UnregisterGroup(string GroupId);

/// <summary>Controller event: the group directory gained a group.</summary>
public sealed record GroupRegistered(string GroupId);

/// <summary>Controller event: the group directory lost a group.</summary>
public sealed record GroupUnregistered(string GroupId);
