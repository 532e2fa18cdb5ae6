namespace AkkaBroker.Protocol.Messages;

// Consumer-group requests a client sends to a broker's gateway, which routes each to the coordinator of its group, and
// the replies. As in Kafka: join, sync, heartbeat and leave drive membership; commit and fetch move offsets. Unlike
// Kafka's classic protocol the coordinator computes the assignment itself (as KIP-848 does), so no member has to.

/// <summary>A request addressed to the coordinator of one group; the gateway routes it through sharding.</summary>
public interface IGroupRequest
{
    string GroupId { get; }
}

/// <summary>
/// Joins (or rejoins) a group. <c>MemberId</c> is empty on first join. <c>Protocols</c> lists the member's assignment
/// strategies in preference order; <c>Topics</c> is its subscription, already resolved from a regex by the client;
/// <c>OwnedPartitions</c> are the partitions it still consumes (cooperative strategies keep them during a rebalance).
/// The reply comes when the rebalance's join phase completes. <c>RequireKnownMemberId</c> (Kafka's KIP-394): a first
/// join is answered at once with MEMBER_ID_REQUIRED and the member id to join with, so a first join that times out and
/// is sent again never leaves a member behind that nobody answers for.
/// </summary>
public sealed record JoinGroupRequest(string GroupId, string MemberId, string? GroupInstanceId, string ClientId, int SessionTimeoutMs,
    int RebalanceTimeoutMs, IReadOnlyList<string> Protocols, IReadOnlyList<string> Topics, IReadOnlyList<TopicPartition> OwnedPartitions,
    bool RequireKnownMemberId = false)
    : IGroupRequest;

public sealed record JoinGroupResponse(ErrorCode Error, string? ErrorMessage, int GenerationId, string Protocol, string LeaderId,
    string MemberId);

/// <summary>Asks for this member's assignment in the generation it joined.</summary>
public sealed record SyncGroupRequest(string GroupId, int GenerationId, string MemberId, string? GroupInstanceId) : IGroupRequest;

public sealed record SyncGroupResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<TopicPartition> Assignment);

/// <summary>
/// Keeps the member alive; REBALANCE_IN_PROGRESS in the reply tells it to rejoin. With <c>MaxWaitMs</c> above 0 the
/// coordinator of a settled group holds the reply up to that long and answers at once if a rebalance starts, so
/// members learn of a rebalance in milliseconds instead of at their next heartbeat (the member sends its next
/// heartbeat as soon as the held one is answered, so liveness is unchanged).
/// </summary>
public sealed record HeartbeatRequest(string GroupId, int GenerationId, string MemberId, string? GroupInstanceId, int MaxWaitMs = 0) : IGroupRequest;

public sealed record HeartbeatResponse(ErrorCode Error, string? ErrorMessage);

/// <summary>Leaves the group at once, so its partitions move without waiting for the session timeout.</summary>
public sealed record LeaveGroupRequest(string GroupId, string MemberId, string? GroupInstanceId, string Reason) : IGroupRequest;

public sealed record LeaveGroupResponse(ErrorCode Error, string? ErrorMessage);

/// <summary>An offset to commit: the next record the group should read, with optional application metadata.</summary>
public sealed record OffsetCommit(TopicPartition TopicPartition, long Offset, string? Metadata);

/// <summary>
/// Commits offsets. A member passes its generation and member id; a consumer outside group management (assign) and
/// the admin tools pass generation -1 and an empty member id, which is accepted only while the group has no members.
/// </summary>
public sealed record OffsetCommitRequest(string GroupId, int GenerationId, string MemberId, string? GroupInstanceId,
    IReadOnlyList<OffsetCommit> Offsets) : IGroupRequest;

public sealed record OffsetCommitResponse(ErrorCode Error, string? ErrorMessage);

/// <summary>Committed offsets of the given partitions, or of every partition when <c>Partitions</c> is null.</summary>
public sealed record OffsetFetchRequest(string GroupId, IReadOnlyList<TopicPartition>? Partitions) : IGroupRequest;

/// <summary>A committed offset; -1 when the group has none for the partition.</summary>
public sealed record CommittedOffset(TopicPartition TopicPartition, long Offset, string? Metadata, long CommitTimestamp);

public sealed record OffsetFetchResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<CommittedOffset> Offsets);

public sealed record DescribeGroupRequest(string GroupId) : IGroupRequest;

public sealed record GroupMemberDescription(string MemberId, string? GroupInstanceId, string ClientId, IReadOnlyList<TopicPartition> Assignment);

/// <summary>The group as <c>groups describe</c> shows it; <c>State</c> is Kafka's state name (Empty, Stable, Dead, ...).</summary>
public sealed record DescribeGroupResponse(ErrorCode Error, string? ErrorMessage, string GroupId, string State, string Protocol,
    int GenerationId, IReadOnlyList<GroupMemberDescription> Members, IReadOnlyList<CommittedOffset> Offsets);

/// <summary>Deletes a group's committed offsets and its record; refused with NON_EMPTY_GROUP while it has members.</summary>
public sealed record DeleteGroupRequest(string GroupId) : IGroupRequest;

public sealed record DeleteGroupResponse(ErrorCode Error, string? ErrorMessage);

/// <summary>
/// Kafka's OffsetDelete: removes a group's committed offsets of some partitions. A partition whose topic an active
/// member subscribes to keeps its offset (GROUP_SUBSCRIBED_TO_TOPIC); the others are removed, committed or not.
/// </summary>
public sealed record OffsetDeleteRequest(string GroupId, IReadOnlyList<TopicPartition> Partitions) : IGroupRequest;

/// <summary>A partition's outcome of an <see cref="OffsetDeleteRequest"/>.</summary>
public sealed record PartitionError(TopicPartition TopicPartition, ErrorCode Error);

/// <summary><c>Error</c> for the group as a whole (GROUP_ID_NOT_FOUND, ...); else each partition's outcome.</summary>
public sealed record OffsetDeleteResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<PartitionError> Partitions);

/// <summary>
/// Which broker coordinates a group (Kafka's FindCoordinator): the leader of the group's partition of the internal topic
/// <c>__consumer_offsets</c>, <c>abs(javaHashCode(groupId)) % offsets.topic.num.partitions</c>. Answered by the
/// controller, which creates that topic the first time any group asks.
/// </summary>
public sealed record FindCoordinatorRequest(string GroupId);

/// <summary>The coordinator's broker, or COORDINATOR_NOT_AVAILABLE (retriable) while the group's offsets partition has no live leader.</summary>
public sealed record FindCoordinatorResponse(ErrorCode Error, string? ErrorMessage, int NodeId, string Host, int Port);

/// <summary>
/// A group request one gateway passed to the gateway of the broker it believes coordinates the group (the client stays
/// the sender). Delivered to that broker's coordinator whatever the receiving gateway believes, so two gateways whose
/// views of leadership differ for a moment never pass a request back and forth; the coordinator itself answers
/// NOT_COORDINATOR when its broker does not lead the group's offsets partition.
/// </summary>
public sealed record ForwardedGroupRequest(IGroupRequest Request);

/// <summary>Lists the groups that exist (have members or committed offsets). Answered by the controller, which keeps the directory.</summary>
public sealed record ListGroupsRequest;

public sealed record ListGroupsResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<string> GroupIds);
