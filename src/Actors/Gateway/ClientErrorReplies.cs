using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// A refusal of a client request in the shape its sender waits for (the client asks for one response type), so that
/// the client learns the reason instead of timing out. Covers every request <see cref="ClientGateway.IsClientRequest"/>
/// lets in.
/// </summary>
public static class ClientErrorReplies
{
    public static object For(object request, ErrorCode code, string message) => request switch
    {
        ProduceRequest r => new ProduceResponse(r.TopicPartition, code, message, -1, -1, -1),
        FetchRequest r => new FetchResponse(r.TopicPartition, code, message, -1, -1, []),
        ListOffsetsRequest r => new ListOffsetsResponse(r.TopicPartition, code, message, -1, -1),
        DeleteRecordsRequest r => new DeleteRecordsResponse(r.TopicPartition, code, message, -1),
        DescribeLogRequest r => new DescribeLogResponse(r.TopicPartition, code, message, -1, -1, -1, 0, 0, -1, -1, 0),
        DescribeReplicaLogRequest r => new DescribeLogResponse(r.TopicPartition, code, message, -1, -1, -1, 0, 0, -1, -1, 0),
        IGroupRequest r => GroupErrorReplies.For(r, code, message),
        ListGroupsRequest => new ListGroupsResponse(code, message, []),
        // A metadata answer has no error of its own: each topic asked for carries it, and a request for all topics gets
        // one entry with an empty name (never a topic's) that refuses the request as a whole.
        MetadataRequest r => new MetadataResponse([], -1,
            (r.Topics is { Count: > 0 } topics ? topics : [""]).Select(t => new TopicMetadata(t, code, message, [])).ToArray()),
        DescribeClusterRequest => new DescribeClusterResponse(code, message, [], -1, -1),
        InitProducerIdRequest => new InitProducerIdResponse(code, message, -1, -1),
        CreateTopicRequest r => new TopicOperationResponse(r.Name, code, message),
        DeleteTopicRequest r => new TopicOperationResponse(r.Name, code, message),
        CreatePartitionsRequest r => new TopicOperationResponse(r.Name, code, message),
        AlterConfigsRequest r => new TopicOperationResponse(r.Name, code, message),
        DescribeConfigsRequest r => new DescribeConfigsResponse(r.Name, code, message, []),
        DescribeBrokerConfigsRequest r => new DescribeBrokerConfigsResponse(r.Broker, code, message, []),
        AlterBrokerConfigsRequest r => new AlterBrokerConfigsResponse(r.Broker, code, message),
        ElectLeadersRequest => new ElectLeadersResponse(code, message, []),
        ReassignPartitionsRequest => new ReassignPartitionsResponse(code, message, []),
        ListPartitionReassignmentsRequest => new ListPartitionReassignmentsResponse(code, message, []),
        UnregisterNodeRequest => new UnregisterNodeResponse(code, message),
        DescribeUserScramCredentialsRequest => new DescribeUserScramCredentialsResponse(code, message, []),
        AlterUserScramCredentialsRequest r => new AlterUserScramCredentialsResponse(code, message,
            r.Deletions.Select(d => d.User).Concat(r.Upsertions.Select(u => u.User)).Distinct().Select(u => new UserOutcome(u, code, message)).ToArray()),
        CreateAclsRequest r => new CreateAclsResponse(code, message, r.Creations.Select(_ => new AclOutcome(code, message)).ToArray()),
        DeleteAclsRequest r => new DeleteAclsResponse(code, message, r.Filters.Select(_ => new DeleteAclsFilterResult(code, message, [])).ToArray()),
        DescribeAclsRequest => new DescribeAclsResponse(code, message, []),
        DescribeClientQuotasRequest => new DescribeClientQuotasResponse(code, message, []),
        AlterClientQuotasRequest r => new AlterClientQuotasResponse(code, message, r.Entries.Select(e => e.Entity).Distinct().Select(e => new ClientQuotaOutcome(e, code, message)).ToArray()),
        // Not a client-endpoint request, but one the Kafka listener asks (for clients that validate their positions).
        OffsetForLeaderEpochRequest r => new OffsetForLeaderEpochResponse(r.TopicPartition, code, message, -1, -1, r.CorrelationId),
        _ => throw new ArgumentException($"{request.GetType().Name} is not a client request", nameof(request)),
    };
}
