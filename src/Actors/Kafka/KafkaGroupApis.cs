using Akka.Actor;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using static AkkaBroker.Actors.Kafka.KafkaAsk;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// Kafka's classic consumer-group protocol, translated to the broker's group messages, so Kafka clients and Akka clients
/// are members of the same groups and see each other's commits. The coordinator computes assignments itself (with the
/// strategy the members share: range, roundrobin, sticky, cooperative-sticky): every Kafka member is told that the
/// leader is <see cref="CoordinatorLeader"/>, a member id none of them has, so each acts as a follower and receives its
/// assignment in SyncGroup, as the protocol allows.
/// </summary>
internal sealed class KafkaGroupApis(GatewayClient gateway, IActorRef controller, Func<int, (string Host, int Port)?> kafkaEndpointOf, TimeSpan adminTimeout)
{
    /// <summary>The leader every Kafka member is told of: not one of them, so none runs an assignor.</summary>
    public const string CoordinatorLeader = "akkabroker-coordinator";

    private const string ConsumerProtocolType = "consumer";

    /// <summary>
    /// Assignor names clients use for a strategy the coordinator knows by Kafka's name: kafkajs calls round robin
    /// "RoundRobinAssigner". A member is answered with its own name for the strategy chosen.
    /// </summary>
    private static readonly Dictionary<string, string> StrategyAliases = new(StringComparer.Ordinal)
    {
        ["RoundRobinAssigner"] = "roundrobin",
    };

    private static string StrategyOf(string protocolName) => StrategyAliases.GetValueOrDefault(protocolName, protocolName);

    public async Task<FindCoordinatorResponseData> FindCoordinatorAsync(FindCoordinatorRequestData request, short version)
    {
        var response = new FindCoordinatorResponseData();
        if (request.KeyType != 0)
        {
            // Transaction coordinators: transactions are not served.
            (response.ErrorCode, response.ErrorMessage) = ((short)ErrorCode.CoordinatorNotAvailable, "transactions are not supported by this broker");
            return response;
        }
        // Asked of the controller, not through the gateway: checked here as Kafka checks it (Describe on the group).
        if (!gateway.May(AclOperation.Describe, AclResourceType.Group, request.Key))
        {
            (response.ErrorCode, response.ErrorMessage, response.NodeId, response.Port) =
                ((short)ErrorCode.GroupAuthorizationFailed, version < 1 ? null : $"{gateway.Principal} is not authorized to Describe group '{request.Key}'.", -1, -1);
            return response;
        }
        var answer = await Answered(controller.Ask<FindCoordinatorResponse>(new FindCoordinatorRequest(request.Key), adminTimeout),
            () => new FindCoordinatorResponse(ErrorCode.CoordinatorNotAvailable, "the controller did not answer in time", -1, "", -1));
        if (answer.Error == ErrorCode.None && kafkaEndpointOf(answer.NodeId) is { } kafka)
            (response.NodeId, response.Host, response.Port) = (answer.NodeId, kafka.Host, kafka.Port);
        else
            (response.ErrorCode, response.ErrorMessage, response.NodeId, response.Port) = answer.Error == ErrorCode.None
                ? ((short)ErrorCode.CoordinatorNotAvailable, $"the group's coordinator, broker {answer.NodeId}, has no Kafka listener", -1, -1)
                : ((short)answer.Error, answer.ErrorMessage, -1, -1);
        if (version < 1) response.ErrorMessage = null;
        return response;
    }

    public async Task<JoinGroupResponseData> JoinGroupAsync(JoinGroupRequestData request, string clientId, short version)
    {
        var response = new JoinGroupResponseData { ProtocolType = ConsumerProtocolType, Leader = CoordinatorLeader, MemberId = request.MemberId };
        if (request.ProtocolType != ConsumerProtocolType || request.Protocols.Count == 0)
        {
            response.ErrorCode = (short)ErrorCode.InconsistentGroupProtocol;
            return response;
        }
        ConsumerProtocolSubscriptionData subscription;
        try
        {
            subscription = ConsumerProtocol.ReadSubscription(request.Protocols[0].Metadata);
        }
        catch (KafkaProtocolException)
        {
            response.ErrorCode = (short)ErrorCode.InconsistentGroupProtocol;
            return response;
        }
        var owned = subscription.OwnedPartitions.SelectMany(t => t.Partitions.Select(p => new ProtocolTopicPartition(t.Topic, p))).ToList();
        var rebalanceTimeout = version >= 1 && request.RebalanceTimeoutMs > 0 ? request.RebalanceTimeoutMs : request.SessionTimeoutMs;
        var join = new JoinGroupRequest(request.GroupId, request.MemberId, version >= 5 ? request.GroupInstanceId : null, clientId,
            request.SessionTimeoutMs, rebalanceTimeout, request.Protocols.Select(p => StrategyOf(p.Name)).ToList(), subscription.Topics, owned,
            RequireKnownMemberId: version >= 4);
        // The join phase lasts up to the rebalance timeout while the other members rejoin.
        var answer = await Answered(gateway.Ask<JoinGroupResponse>(join, TimeSpan.FromMilliseconds(rebalanceTimeout) + adminTimeout),
            () => new JoinGroupResponse(ErrorCode.RequestTimedOut, null, -1, "", "", request.MemberId));
        response.ErrorCode = (short)answer.Error;
        response.GenerationId = answer.GenerationId;
        response.ProtocolName = request.Protocols.FirstOrDefault(p => StrategyOf(p.Name) == answer.Protocol)?.Name ?? answer.Protocol;
        response.MemberId = answer.MemberId;
        return response;
    }

    public async Task<SyncGroupResponseData> SyncGroupAsync(SyncGroupRequestData request, short version)
    {
        var answer = await Answered(gateway.Ask<SyncGroupResponse>(new SyncGroupRequest(request.GroupId, request.GenerationId, request.MemberId,
                version >= 3 ? request.GroupInstanceId : null), adminTimeout * 2),
            () => new SyncGroupResponse(ErrorCode.RequestTimedOut, null, []));
        return new SyncGroupResponseData
        {
            ErrorCode = (short)answer.Error, ProtocolType = ConsumerProtocolType, ProtocolName = request.ProtocolName,
            Assignment = answer.Error == ErrorCode.None ? ConsumerProtocol.WriteAssignment(answer.Assignment.Select(tp => (tp.Topic, tp.Partition))) : [],
        };
    }

    public async Task<HeartbeatResponseData> HeartbeatAsync(HeartbeatRequestData request, short version)
    {
        var answer = await Answered(gateway.Ask<HeartbeatResponse>(new HeartbeatRequest(request.GroupId, request.GenerationId, request.MemberId,
            version >= 3 ? request.GroupInstanceId : null), adminTimeout), () => new HeartbeatResponse(ErrorCode.RequestTimedOut, null));
        return new HeartbeatResponseData { ErrorCode = (short)answer.Error };
    }

    public async Task<LeaveGroupResponseData> LeaveGroupAsync(LeaveGroupRequestData request, short version)
    {
        var response = new LeaveGroupResponseData();
        var members = version >= 3
            ? request.Members.Select(m => (m.MemberId, m.GroupInstanceId, m.Reason)).ToList()
            : [(request.MemberId, (string?)null, (string?)null)];
        foreach (var (memberId, instanceId, reason) in members)
        {
            var answer = await Answered(gateway.Ask<LeaveGroupResponse>(new LeaveGroupRequest(request.GroupId, memberId, instanceId, reason ?? "the member left"), adminTimeout),
                () => new LeaveGroupResponse(ErrorCode.RequestTimedOut, null));
            if (version >= 3) response.Members.Add(new LeaveGroupResponseData.MemberResponse { MemberId = memberId, GroupInstanceId = instanceId, ErrorCode = (short)answer.Error });
            else response.ErrorCode = (short)answer.Error;
        }
        return response;
    }

    public async Task<OffsetCommitResponseData> OffsetCommitAsync(OffsetCommitRequestData request, short version)
    {
        var offsets = request.Topics.SelectMany(t => t.Partitions.Select(p =>
            new OffsetCommit(new ProtocolTopicPartition(t.Name, p.PartitionIndex), p.CommittedOffset, p.CommittedMetadata))).ToList();
        var commit = new OffsetCommitRequest(request.GroupId, version >= 1 ? request.GenerationIdOrMemberEpoch : -1, version >= 1 ? request.MemberId : "",
            version >= 7 ? request.GroupInstanceId : null, offsets);
        var answer = await Answered(gateway.Ask<OffsetCommitResponse>(commit, adminTimeout), () => new OffsetCommitResponse(ErrorCode.RequestTimedOut, null));
        // The coordinator commits all of a request's offsets or none: each partition carries the one outcome.
        var response = new OffsetCommitResponseData();
        foreach (var topic in request.Topics)
        {
            var t = new OffsetCommitResponseData.OffsetCommitResponseTopic { Name = topic.Name };
            foreach (var p in topic.Partitions)
                t.Partitions.Add(new OffsetCommitResponseData.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)answer.Error });
            response.Topics.Add(t);
        }
        return response;
    }

    public async Task<OffsetFetchResponseData> OffsetFetchAsync(OffsetFetchRequestData request, short version)
    {
        var response = new OffsetFetchResponseData();
        if (version < 8)
        {
            var wanted = request.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new ProtocolTopicPartition(t.Name, p))).ToList();
            var answer = await FetchOffsetsAsync(request.GroupId, wanted);
            foreach (var topic in answer.Offsets.GroupBy(o => o.TopicPartition.Topic))
            {
                var t = new OffsetFetchResponseData.OffsetFetchResponseTopic { Name = topic.Key };
                foreach (var o in topic)
                    t.Partitions.Add(new OffsetFetchResponseData.OffsetFetchResponsePartition
                    {
                        PartitionIndex = o.TopicPartition.Partition, CommittedOffset = o.Offset, Metadata = o.Metadata ?? "", ErrorCode = (short)answer.Error,
                    });
                response.Topics.Add(t);
            }
            if (version >= 2) response.ErrorCode = (short)answer.Error;
            return response;
        }
        foreach (var group in request.Groups)
        {
            var wanted = group.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new ProtocolTopicPartition(t.Name, p))).ToList();
            var answer = await FetchOffsetsAsync(group.GroupId, wanted);
            var g = new OffsetFetchResponseData.OffsetFetchResponseGroup { GroupId = group.GroupId, ErrorCode = (short)answer.Error };
            foreach (var topic in answer.Offsets.GroupBy(o => o.TopicPartition.Topic))
            {
                var t = new OffsetFetchResponseData.OffsetFetchResponseTopics { Name = topic.Key };
                foreach (var o in topic)
                    t.Partitions.Add(new OffsetFetchResponseData.OffsetFetchResponsePartitions
                    {
                        PartitionIndex = o.TopicPartition.Partition, CommittedOffset = o.Offset, Metadata = o.Metadata ?? "",
                    });
                g.Topics.Add(t);
            }
            response.Groups.Add(g);
        }
        return response;
    }

    private async Task<OffsetFetchResponse> FetchOffsetsAsync(string groupId, IReadOnlyList<ProtocolTopicPartition>? partitions)
    {
        var answer = await Answered(gateway.Ask<OffsetFetchResponse>(new OffsetFetchRequest(groupId, partitions), adminTimeout),
            () => new OffsetFetchResponse(ErrorCode.RequestTimedOut, null, []));
        if (partitions == null || answer.Error != ErrorCode.None) return answer;
        // Kafka lists every partition asked for, -1 for those without a commit.
        var known = answer.Offsets.ToDictionary(o => o.TopicPartition);
        return answer with { Offsets = partitions.Select(tp => known.GetValueOrDefault(tp) ?? new CommittedOffset(tp, -1, null, -1)).ToList() };
    }
}
