using Akka.Actor;
using AkkaBroker.Actors.Broker;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using static AkkaBroker.Actors.Kafka.KafkaAsk;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// Kafka's APIs for an operator's day-2 work (leader elections, partition reassignment, deleting a group's offsets,
/// replica sizes), translated to the messages <c>akkabroker leader-election</c>, <c>reassign-partitions</c>,
/// <c>groups delete-offsets</c> and <c>log-dirs</c> send, so a Kafka admin client does what those tools do.
/// </summary>
internal sealed class KafkaOperationApis(GatewayClient gateway, BrokerSettings settings)
{
    private TimeSpan Timeout(int timeoutMs) => timeoutMs > 0 ? TimeSpan.FromMilliseconds(timeoutMs) : settings.AdminTimeout;

    public async Task<ElectLeadersResponseData> ElectLeadersAsync(ElectLeadersRequestData request, short version)
    {
        var response = new ElectLeadersResponseData();
        var type = version >= 1 ? request.ElectionType : (sbyte)0;
        var partitions = request.TopicPartitions?.SelectMany(t => t.PartitionId.Select(p => new TopicPartition(t.Topic, p))).ToList();
        if (type is not (0 or 1))
        {
            // Only v1+ names a type, and v1+ has the top-level error.
            response.ErrorCode = (short)ErrorCode.InvalidRequest;
            return response;
        }
        var answer = await Answered(
            gateway.Ask<ElectLeadersResponse>(new ElectLeadersRequest(type == 0 ? LeaderElectionType.Preferred : LeaderElectionType.Unclean, partitions), Timeout(request.TimeoutMs)),
            () => new ElectLeadersResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time; the elections may still happen.", []));
        var results = answer.Results;
        if (answer.Error != ErrorCode.None)
        {
            if (version >= 1) response.ErrorCode = (short)answer.Error;
            // v0 has no top-level error: each partition asked about carries it.
            else results = (partitions ?? []).Select(tp => new PartitionOutcome(tp, answer.Error, answer.ErrorMessage)).ToList();
        }
        foreach (var topic in results.GroupBy(r => r.TopicPartition.Topic))
            response.ReplicaElectionResults.Add(new ElectLeadersResponseData.ReplicaElectionResult
            {
                Topic = topic.Key,
                PartitionResult = topic.Select(r => new ElectLeadersResponseData.PartitionResult
                {
                    PartitionId = r.TopicPartition.Partition, ErrorCode = (short)r.Error, ErrorMessage = r.Error == ErrorCode.None ? null : r.ErrorMessage,
                }).ToList(),
            });
        return response;
    }

    /// <summary>
    /// KIP-455 reassignment: new replicas per partition, or null to cancel. Unthrottled, as the Kafka API carries no
    /// rate (<c>akkabroker reassign-partitions --throttle</c> moves partitions throttled).
    /// </summary>
    public async Task<AlterPartitionReassignmentsResponseData> AlterPartitionReassignmentsAsync(AlterPartitionReassignmentsRequestData request)
    {
        var targets = request.Topics.SelectMany(t => t.Partitions.Select(p =>
            new PartitionReassignmentTarget(new TopicPartition(t.Name, p.PartitionIndex), p.Replicas))).ToList();
        var answer = await Answered(
            gateway.Ask<ReassignPartitionsResponse>(new ReassignPartitionsRequest(targets, 0), Timeout(request.TimeoutMs)),
            () => new ReassignPartitionsResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time; list the reassignments to see whether they started.", []));
        var response = new AlterPartitionReassignmentsResponseData
            { ErrorCode = (short)answer.Error, ErrorMessage = answer.Error == ErrorCode.None ? null : answer.ErrorMessage };
        foreach (var topic in answer.Results.GroupBy(r => r.TopicPartition.Topic))
            response.Responses.Add(new AlterPartitionReassignmentsResponseData.ReassignableTopicResponse
            {
                Name = topic.Key,
                Partitions = topic.Select(r => new AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse
                {
                    PartitionIndex = r.TopicPartition.Partition, ErrorCode = (short)r.Error, ErrorMessage = r.Error == ErrorCode.None ? null : r.ErrorMessage,
                }).ToList(),
            });
        return response;
    }

    public async Task<ListPartitionReassignmentsResponseData> ListPartitionReassignmentsAsync(ListPartitionReassignmentsRequestData request)
    {
        var answer = await Answered(
            gateway.Ask<ListPartitionReassignmentsResponse>(new ListPartitionReassignmentsRequest(), Timeout(request.TimeoutMs)),
            () => new ListPartitionReassignmentsResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time; retry.", []));
        var wanted = request.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new TopicPartition(t.Name, p))).ToHashSet();
        var response = new ListPartitionReassignmentsResponseData
            { ErrorCode = (short)answer.Error, ErrorMessage = answer.Error == ErrorCode.None ? null : answer.ErrorMessage };
        foreach (var topic in answer.Reassignments.Where(r => wanted == null || wanted.Contains(r.TopicPartition)).GroupBy(r => r.TopicPartition.Topic))
            response.Topics.Add(new ListPartitionReassignmentsResponseData.OngoingTopicReassignment
            {
                Name = topic.Key,
                Partitions = topic.Select(r => new ListPartitionReassignmentsResponseData.OngoingPartitionReassignment
                {
                    PartitionIndex = r.TopicPartition.Partition, Replicas = r.Replicas.ToList(), AddingReplicas = r.Adding.ToList(), RemovingReplicas = r.Removing.ToList(),
                }).ToList(),
            });
        return response;
    }

    public async Task<OffsetDeleteResponseData> OffsetDeleteAsync(OffsetDeleteRequestData request)
    {
        var partitions = request.Topics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Name, p.PartitionIndex))).ToList();
        var answer = await Answered(
            gateway.Ask<OffsetDeleteResponse>(new OffsetDeleteRequest(request.GroupId, partitions), settings.AdminTimeout),
            () => new OffsetDeleteResponse(ErrorCode.RequestTimedOut, "The group's coordinator did not answer in time; retry.", []));
        var response = new OffsetDeleteResponseData { ErrorCode = (short)answer.Error };
        foreach (var topic in answer.Partitions.GroupBy(p => p.TopicPartition.Topic))
            response.Topics.Add(new OffsetDeleteResponseData.OffsetDeleteResponseTopic
            {
                Name = topic.Key,
                Partitions = topic.Select(p => new OffsetDeleteResponseData.OffsetDeleteResponsePartition
                    { PartitionIndex = p.TopicPartition.Partition, ErrorCode = (short)p.Error }).ToList(),
            });
        return response;
    }

    /// <summary>Kafka's kafka-cluster unregister: forgets a node that is gone for good (refused while it runs or holds replicas).</summary>
    public async Task<UnregisterBrokerResponseData> UnregisterBrokerAsync(UnregisterBrokerRequestData request)
    {
        var answer = await Answered(gateway.Ask<UnregisterNodeResponse>(new UnregisterNodeRequest(request.BrokerId), settings.AdminTimeout),
            () => new UnregisterNodeResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time; describe the cluster and retry."));
        return new UnregisterBrokerResponseData { ErrorCode = (short)answer.Error, ErrorMessage = answer.Error == ErrorCode.None ? null : answer.ErrorMessage };
    }

    /// <summary>
    /// This broker's replicas (Kafka asks each broker about its own): one log directory, the broker's data directory,
    /// holding every replica; a replica's offset lag is how far its log end is behind its high watermark, as Kafka reports it.
    /// </summary>
    public async Task<DescribeLogDirsResponseData> DescribeLogDirsAsync(DescribeLogDirsRequestData request)
    {
        // As Kafka: Describe on the cluster, or the answer is CLUSTER_AUTHORIZATION_FAILED (v3+; older versions list nothing).
        if (!gateway.May(AclOperation.Describe, AclResourceType.Cluster, Security.Authorizer.ClusterName))
            return new DescribeLogDirsResponseData { ErrorCode = (short)ErrorCode.ClusterAuthorizationFailed };
        var wanted = request.Topics?.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p))).ToHashSet();
        MetadataResponse metadata;
        try
        {
            metadata = await gateway.Ask<MetadataResponse>(new MetadataRequest(request.Topics?.Select(t => t.Topic).Distinct().ToList(), false), settings.AdminTimeout);
        }
        catch (AskTimeoutException)
        {
            // v3+ says so; older versions have only the per-directory error.
            return new DescribeLogDirsResponseData
            {
                ErrorCode = (short)ErrorCode.RequestTimedOut,
                Results = [new DescribeLogDirsResponseData.DescribeLogDirsResult { ErrorCode = (short)ErrorCode.RequestTimedOut, LogDir = settings.DataDirectory }],
            };
        }
        var own = metadata.Topics.Where(t => t.Error == ErrorCode.None)
            .SelectMany(t => t.Partitions.Where(p => p.Replicas.Contains(settings.BrokerId)).Select(p => new TopicPartition(t.Name, p.Partition)))
            .Where(tp => wanted == null || wanted.Contains(tp)).ToList();
        var answers = await Task.WhenAll(own.Select(tp => Answered(gateway.Ask<DescribeLogResponse>(new DescribeReplicaLogRequest(tp), settings.AdminTimeout),
            () => new DescribeLogResponse(tp, ErrorCode.RequestTimedOut, null, 0, 0, 0, 0, 0, 0, 0, 0))));
        // A replica that did not answer is left out, as Kafka leaves out logs it cannot read.
        var dir = new DescribeLogDirsResponseData.DescribeLogDirsResult { LogDir = settings.DataDirectory };
        foreach (var topic in answers.Where(a => a.Error == ErrorCode.None).GroupBy(a => a.TopicPartition.Topic))
            dir.Topics.Add(new DescribeLogDirsResponseData.DescribeLogDirsTopic
            {
                Name = topic.Key,
                Partitions = topic.Select(a => new DescribeLogDirsResponseData.DescribeLogDirsPartition
                {
                    PartitionIndex = a.TopicPartition.Partition, PartitionSize = a.SizeBytes, OffsetLag = Math.Max(0, a.HighWatermark - a.LogEndOffset),
                }).ToList(),
            });
        return new DescribeLogDirsResponseData { Results = [dir] };
    }
}
