using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Security;

/// <summary>
/// What each client request needs from the ACLs, as Kafka's request handlers check them: the client endpoint and the
/// Kafka listener both ask here, on the broker's own request messages, so the two cannot disagree. Refusals answer
/// TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED and are counted in <c>akkabroker.authorization_failures</c>.
/// </summary>
public static class RequestAuthorization
{
    /// <summary>
    /// Null when <paramref name="principal"/> may send <paramref name="request"/>, else the error to answer with. Metadata
    /// and ListGroups are never refused whole: see <see cref="MetadataAsync"/> and <see cref="ListGroupsAsync"/>.
    /// </summary>
    public static (ErrorCode Code, string Message)? Check(Authorizer authorizer, string principal, string? host, object request)
    {
        // As Kafka: ACLs cannot be managed where they are not checked (they would silently take effect once checking starts).
        if (!authorizer.Enabled)
            return request is CreateAclsRequest or DeleteAclsRequest or DescribeAclsRequest
                ? (ErrorCode.SecurityDisabled, $"ACLs are not checked on this cluster ({BrokerSettingsSection}.authorizer.class.name is empty): set it on the brokers first.")
                : null;
        bool May(AclOperation op, AclResourceType type, string name) => authorizer.Authorize(principal, host, op, type, name);
        (ErrorCode, string)? Topic(AclOperation op, string topic) => May(op, AclResourceType.Topic, topic) ? null : Refused(ErrorCode.TopicAuthorizationFailed, principal, op, $"topic '{topic}'");
        (ErrorCode, string)? Group(AclOperation op, string group) => May(op, AclResourceType.Group, group) ? null : Refused(ErrorCode.GroupAuthorizationFailed, principal, op, $"group '{group}'");
        (ErrorCode, string)? Cluster(AclOperation op) => May(op, AclResourceType.Cluster, Authorizer.ClusterName) ? null : Refused(ErrorCode.ClusterAuthorizationFailed, principal, op, "the cluster");
        (ErrorCode, string)? Topics(AclOperation op, IEnumerable<TopicPartition> partitions) =>
            partitions.Select(p => p.Topic).Distinct().Select(t => Topic(op, t)).FirstOrDefault(r => r != null);
        var result = request switch
        {
            ProduceRequest r => Topic(AclOperation.Write, r.TopicPartition.Topic),
            FetchRequest r => Topic(AclOperation.Read, r.TopicPartition.Topic),
            ListOffsetsRequest r => Topic(AclOperation.Describe, r.TopicPartition.Topic),
            DeleteRecordsRequest r => Topic(AclOperation.Delete, r.TopicPartition.Topic),
            DescribeLogRequest r => Topic(AclOperation.Describe, r.TopicPartition.Topic),
            // Replica sizes per broker are an operator's view of the cluster: Kafka's DescribeLogDirs needs Describe on it.
            DescribeReplicaLogRequest => Cluster(AclOperation.Describe),
            JoinGroupRequest or SyncGroupRequest or HeartbeatRequest or LeaveGroupRequest => Group(AclOperation.Read, ((IGroupRequest)request).GroupId),
            OffsetCommitRequest r => Group(AclOperation.Read, r.GroupId) ?? Topics(AclOperation.Read, r.Offsets.Select(o => o.TopicPartition)),
            OffsetFetchRequest r => Group(AclOperation.Describe, r.GroupId) ?? Topics(AclOperation.Describe, r.Partitions ?? []),
            DescribeGroupRequest r => Group(AclOperation.Describe, r.GroupId),
            DeleteGroupRequest r => Group(AclOperation.Delete, r.GroupId),
            OffsetDeleteRequest r => Group(AclOperation.Delete, r.GroupId) ?? Topics(AclOperation.Read, r.Partitions),
            // Kafka 3.x: an idempotent producer needs IdempotentWrite on the cluster, or Write on any topic.
            InitProducerIdRequest => May(AclOperation.IdempotentWrite, AclResourceType.Cluster, Authorizer.ClusterName)
                                     || authorizer.AllowedOnAny(principal, host, AclOperation.Write, AclResourceType.Topic)
                ? null
                : Refused(ErrorCode.ClusterAuthorizationFailed, principal, AclOperation.IdempotentWrite, "the cluster (or Write on any topic)"),
            CreateTopicRequest r => May(AclOperation.Create, AclResourceType.Cluster, Authorizer.ClusterName) ? null : Topic(AclOperation.Create, r.Name),
            DeleteTopicRequest r => Topic(AclOperation.Delete, r.Name),
            CreatePartitionsRequest r => Topic(AclOperation.Alter, r.Name),
            DescribeConfigsRequest r => Topic(AclOperation.DescribeConfigs, r.Name),
            AlterConfigsRequest r => Topic(AclOperation.AlterConfigs, r.Name),
            DescribeBrokerConfigsRequest or DescribeClientQuotasRequest => Cluster(AclOperation.DescribeConfigs),
            AlterBrokerConfigsRequest or AlterClientQuotasRequest => Cluster(AclOperation.AlterConfigs),
            ElectLeadersRequest or ReassignPartitionsRequest or UnregisterNodeRequest => Cluster(AclOperation.Alter),
            ListPartitionReassignmentsRequest => Cluster(AclOperation.Describe),
            AlterUserScramCredentialsRequest or CreateAclsRequest or DeleteAclsRequest => Cluster(AclOperation.Alter),
            DescribeUserScramCredentialsRequest or DescribeAclsRequest => Cluster(AclOperation.Describe),
            OffsetForLeaderEpochRequest r => Topic(AclOperation.Describe, r.TopicPartition.Topic),
            // The cluster's brokers are no secret (Kafka's DescribeCluster checks nothing); Metadata and ListGroups are cut, not refused.
            DescribeClusterRequest or MetadataRequest or ListGroupsRequest => null,
            // Anything else is refused: a request type added later must be given its permission here before it is served.
            _ => Refused(ErrorCode.ClusterAuthorizationFailed, principal, AclOperation.All, $"the cluster ({request.GetType().Name} has no permission rule)"),
        };
        if (result is { } refused)
            BrokerMetrics.AuthorizationFailures.Add(1, new KeyValuePair<string, object?>("error", refused.Item1.KafkaName()),
                new KeyValuePair<string, object?>("request", request.GetType().Name));
        return result;
    }

    private const string BrokerSettingsSection = Broker.BrokerSettings.Section;

    private static (ErrorCode, string) Refused(ErrorCode code, string principal, AclOperation op, string resource) =>
        (code, $"{principal} is not authorized to {op} {resource}: an operator grants it with acls add (Kafka's kafka-acls).");

    /// <summary>
    /// A metadata request as Kafka answers it under ACLs: topics the principal may not Describe are left out of an
    /// all-topics answer, and answered TOPIC_AUTHORIZATION_FAILED when named; a topic is created on request only with
    /// Create on it or on the cluster.
    /// </summary>
    public static async Task<MetadataResponse> MetadataAsync(Authorizer authorizer, string principal, string? host, MetadataRequest request,
        Func<MetadataRequest, Task<MetadataResponse>> ask)
    {
        if (!authorizer.Enabled) return await ask(request);
        bool Describe(string topic) => authorizer.Authorize(principal, host, AclOperation.Describe, AclResourceType.Topic, topic);
        if (request.Topics == null)
        {
            var all = await ask(request);
            return all with { Topics = all.Topics.Where(t => Describe(t.Name)).ToArray() };
        }
        var decided = request.Topics.Distinct().Select(t => (Topic: t, Allowed: Describe(t))).ToList();
        var allowed = decided.Where(d => d.Allowed).Select(d => d.Topic).ToList();
        var denied = decided.Where(d => !d.Allowed)
            .Select(d => new TopicMetadata(d.Topic, ErrorCode.TopicAuthorizationFailed, $"{principal} is not authorized to Describe topic '{d.Topic}'.", [])).ToArray();
        if (denied.Length > 0)
            BrokerMetrics.AuthorizationFailures.Add(denied.Length, new KeyValuePair<string, object?>("error", ErrorCode.TopicAuthorizationFailed.KafkaName()),
                new KeyValuePair<string, object?>("request", nameof(MetadataRequest)));
        var create = request.AllowAutoTopicCreation && (authorizer.Authorize(principal, host, AclOperation.Create, AclResourceType.Cluster, Authorizer.ClusterName)
                                                        || allowed.All(t => authorizer.Authorize(principal, host, AclOperation.Create, AclResourceType.Topic, t)));
        var answer = await ask(new MetadataRequest(allowed, create));
        return answer with { Topics = answer.Topics.Concat(denied).ToArray() };
    }

    /// <summary>
    /// A group's committed offsets of every partition, as Kafka answers under ACLs: those of topics the principal may not
    /// Describe are left out (named partitions are refused by <see cref="Check"/> instead).
    /// </summary>
    public static async Task<OffsetFetchResponse> OffsetFetchAsync(Authorizer authorizer, string principal, string? host, OffsetFetchRequest request,
        Func<OffsetFetchRequest, Task<OffsetFetchResponse>> ask)
    {
        var answer = await ask(request);
        if (!authorizer.Enabled) return answer;
        return answer with { Offsets = answer.Offsets.Where(o => authorizer.Authorize(principal, host, AclOperation.Describe, AclResourceType.Topic, o.TopicPartition.Topic)).ToArray() };
    }

    /// <summary>The groups the principal may Describe (all of them with Describe on the cluster), as Kafka lists them.</summary>
    public static async Task<ListGroupsResponse> ListGroupsAsync(Authorizer authorizer, string principal, string? host, ListGroupsRequest request,
        Func<ListGroupsRequest, Task<ListGroupsResponse>> ask)
    {
        var answer = await ask(request);
        if (!authorizer.Enabled || authorizer.Authorize(principal, host, AclOperation.Describe, AclResourceType.Cluster, Authorizer.ClusterName)) return answer;
        return answer with { GroupIds = answer.GroupIds.Where(g => authorizer.Authorize(principal, host, AclOperation.Describe, AclResourceType.Group, g)).ToArray() };
    }
}
