using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>The error answer of the right type for a group request, or for the answer it was going to get.</summary>
public static class GroupErrorReplies
{
    public static object For(IGroupRequest request, ErrorCode code, string message) => request switch
    {
        JoinGroupRequest j => new JoinGroupResponse(code, message, -1, "", "", j.MemberId),
        SyncGroupRequest => new SyncGroupResponse(code, message, []),
        HeartbeatRequest => new HeartbeatResponse(code, message),
        LeaveGroupRequest => new LeaveGroupResponse(code, message),
        OffsetCommitRequest => new OffsetCommitResponse(code, message),
        OffsetFetchRequest => new OffsetFetchResponse(code, message, []),
        DescribeGroupRequest => new DescribeGroupResponse(code, message, request.GroupId, "Dead", "", -1, [], []),
        DeleteGroupRequest => new DeleteGroupResponse(code, message),
        OffsetDeleteRequest => new OffsetDeleteResponse(code, message, []),
        _ => throw new InvalidOperationException($"no error reply for {request.GetType().Name}"),
    };

    /// <summary>Replaces an answer that cannot be given (its state change was not stored) with an error of the same type.</summary>
    public static object InsteadOf(object reply, ErrorCode code, string message) => reply switch
    {
        JoinGroupResponse j => new JoinGroupResponse(code, message, -1, "", "", j.MemberId),
        SyncGroupResponse => new SyncGroupResponse(code, message, []),
        HeartbeatResponse => new HeartbeatResponse(code, message),
        LeaveGroupResponse => new LeaveGroupResponse(code, message),
        OffsetCommitResponse => new OffsetCommitResponse(code, message),
        DeleteGroupResponse => new DeleteGroupResponse(code, message),
        OffsetDeleteResponse => new OffsetDeleteResponse(code, message, []),
        _ => throw new InvalidOperationException($"no error reply in place of {reply.GetType().Name}"),
    };
}
