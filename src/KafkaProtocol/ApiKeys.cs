using System.Collections.Frozen;

namespace AkkaBroker.KafkaProtocol;

/// <summary>The table of every API the codec carries, looked up by key.</summary>
public static class ApiKeys
{
    private static readonly FrozenDictionary<short, ApiInfo> ByKey = new[]
    {
        Api<ProduceRequestData, ProduceResponseData>(ApiKey.Produce, ProduceRequestData.LowestSupportedVersion, ProduceRequestData.HighestSupportedVersion, ProduceRequestData.IsFlexible),
        Api<FetchRequestData, FetchResponseData>(ApiKey.Fetch, FetchRequestData.LowestSupportedVersion, FetchRequestData.HighestSupportedVersion, FetchRequestData.IsFlexible),
        Api<ListOffsetsRequestData, ListOffsetsResponseData>(ApiKey.ListOffsets, ListOffsetsRequestData.LowestSupportedVersion, ListOffsetsRequestData.HighestSupportedVersion, ListOffsetsRequestData.IsFlexible),
        Api<MetadataRequestData, MetadataResponseData>(ApiKey.Metadata, MetadataRequestData.LowestSupportedVersion, MetadataRequestData.HighestSupportedVersion, MetadataRequestData.IsFlexible),
        Api<OffsetCommitRequestData, OffsetCommitResponseData>(ApiKey.OffsetCommit, OffsetCommitRequestData.LowestSupportedVersion, OffsetCommitRequestData.HighestSupportedVersion, OffsetCommitRequestData.IsFlexible),
        Api<OffsetFetchRequestData, OffsetFetchResponseData>(ApiKey.OffsetFetch, OffsetFetchRequestData.LowestSupportedVersion, OffsetFetchRequestData.HighestSupportedVersion, OffsetFetchRequestData.IsFlexible),
        Api<FindCoordinatorRequestData, FindCoordinatorResponseData>(ApiKey.FindCoordinator, FindCoordinatorRequestData.LowestSupportedVersion, FindCoordinatorRequestData.HighestSupportedVersion, FindCoordinatorRequestData.IsFlexible),
        Api<JoinGroupRequestData, JoinGroupResponseData>(ApiKey.JoinGroup, JoinGroupRequestData.LowestSupportedVersion, JoinGroupRequestData.HighestSupportedVersion, JoinGroupRequestData.IsFlexible),
        Api<HeartbeatRequestData, HeartbeatResponseData>(ApiKey.Heartbeat, HeartbeatRequestData.LowestSupportedVersion, HeartbeatRequestData.HighestSupportedVersion, HeartbeatRequestData.IsFlexible),
        Api<LeaveGroupRequestData, LeaveGroupResponseData>(ApiKey.LeaveGroup, LeaveGroupRequestData.LowestSupportedVersion, LeaveGroupRequestData.HighestSupportedVersion, LeaveGroupRequestData.IsFlexible),
        Api<SyncGroupRequestData, SyncGroupResponseData>(ApiKey.SyncGroup, SyncGroupRequestData.LowestSupportedVersion, SyncGroupRequestData.HighestSupportedVersion, SyncGroupRequestData.IsFlexible),
        Api<DescribeGroupsRequestData, DescribeGroupsResponseData>(ApiKey.DescribeGroups, DescribeGroupsRequestData.LowestSupportedVersion, DescribeGroupsRequestData.HighestSupportedVersion, DescribeGroupsRequestData.IsFlexible),
        Api<ListGroupsRequestData, ListGroupsResponseData>(ApiKey.ListGroups, ListGroupsRequestData.LowestSupportedVersion, ListGroupsRequestData.HighestSupportedVersion, ListGroupsRequestData.IsFlexible),
        Api<SaslHandshakeRequestData, SaslHandshakeResponseData>(ApiKey.SaslHandshake, SaslHandshakeRequestData.LowestSupportedVersion, SaslHandshakeRequestData.HighestSupportedVersion, SaslHandshakeRequestData.IsFlexible),
        Api<ApiVersionsRequestData, ApiVersionsResponseData>(ApiKey.ApiVersions, ApiVersionsRequestData.LowestSupportedVersion, ApiVersionsRequestData.HighestSupportedVersion, ApiVersionsRequestData.IsFlexible),
        Api<CreateTopicsRequestData, CreateTopicsResponseData>(ApiKey.CreateTopics, CreateTopicsRequestData.LowestSupportedVersion, CreateTopicsRequestData.HighestSupportedVersion, CreateTopicsRequestData.IsFlexible),
        Api<DeleteTopicsRequestData, DeleteTopicsResponseData>(ApiKey.DeleteTopics, DeleteTopicsRequestData.LowestSupportedVersion, DeleteTopicsRequestData.HighestSupportedVersion, DeleteTopicsRequestData.IsFlexible),
        Api<DeleteRecordsRequestData, DeleteRecordsResponseData>(ApiKey.DeleteRecords, DeleteRecordsRequestData.LowestSupportedVersion, DeleteRecordsRequestData.HighestSupportedVersion, DeleteRecordsRequestData.IsFlexible),
        Api<InitProducerIdRequestData, InitProducerIdResponseData>(ApiKey.InitProducerId, InitProducerIdRequestData.LowestSupportedVersion, InitProducerIdRequestData.HighestSupportedVersion, InitProducerIdRequestData.IsFlexible),
        Api<OffsetForLeaderEpochRequestData, OffsetForLeaderEpochResponseData>(ApiKey.OffsetForLeaderEpoch, OffsetForLeaderEpochRequestData.LowestSupportedVersion, OffsetForLeaderEpochRequestData.HighestSupportedVersion, OffsetForLeaderEpochRequestData.IsFlexible),
        Api<DescribeConfigsRequestData, DescribeConfigsResponseData>(ApiKey.DescribeConfigs, DescribeConfigsRequestData.LowestSupportedVersion, DescribeConfigsRequestData.HighestSupportedVersion, DescribeConfigsRequestData.IsFlexible),
        Api<AlterConfigsRequestData, AlterConfigsResponseData>(ApiKey.AlterConfigs, AlterConfigsRequestData.LowestSupportedVersion, AlterConfigsRequestData.HighestSupportedVersion, AlterConfigsRequestData.IsFlexible),
        Api<SaslAuthenticateRequestData, SaslAuthenticateResponseData>(ApiKey.SaslAuthenticate, SaslAuthenticateRequestData.LowestSupportedVersion, SaslAuthenticateRequestData.HighestSupportedVersion, SaslAuthenticateRequestData.IsFlexible),
        Api<CreatePartitionsRequestData, CreatePartitionsResponseData>(ApiKey.CreatePartitions, CreatePartitionsRequestData.LowestSupportedVersion, CreatePartitionsRequestData.HighestSupportedVersion, CreatePartitionsRequestData.IsFlexible),
        Api<DeleteGroupsRequestData, DeleteGroupsResponseData>(ApiKey.DeleteGroups, DeleteGroupsRequestData.LowestSupportedVersion, DeleteGroupsRequestData.HighestSupportedVersion, DeleteGroupsRequestData.IsFlexible),
        Api<IncrementalAlterConfigsRequestData, IncrementalAlterConfigsResponseData>(ApiKey.IncrementalAlterConfigs, IncrementalAlterConfigsRequestData.LowestSupportedVersion, IncrementalAlterConfigsRequestData.HighestSupportedVersion, IncrementalAlterConfigsRequestData.IsFlexible),
        Api<DescribeClusterRequestData, DescribeClusterResponseData>(ApiKey.DescribeCluster, DescribeClusterRequestData.LowestSupportedVersion, DescribeClusterRequestData.HighestSupportedVersion, DescribeClusterRequestData.IsFlexible),
        Api<DescribeLogDirsRequestData, DescribeLogDirsResponseData>(ApiKey.DescribeLogDirs, DescribeLogDirsRequestData.LowestSupportedVersion, DescribeLogDirsRequestData.HighestSupportedVersion, DescribeLogDirsRequestData.IsFlexible),
        Api<ElectLeadersRequestData, ElectLeadersResponseData>(ApiKey.ElectLeaders, ElectLeadersRequestData.LowestSupportedVersion, ElectLeadersRequestData.HighestSupportedVersion, ElectLeadersRequestData.IsFlexible),
        Api<AlterPartitionReassignmentsRequestData, AlterPartitionReassignmentsResponseData>(ApiKey.AlterPartitionReassignments, AlterPartitionReassignmentsRequestData.LowestSupportedVersion, AlterPartitionReassignmentsRequestData.HighestSupportedVersion, AlterPartitionReassignmentsRequestData.IsFlexible),
        Api<ListPartitionReassignmentsRequestData, ListPartitionReassignmentsResponseData>(ApiKey.ListPartitionReassignments, ListPartitionReassignmentsRequestData.LowestSupportedVersion, ListPartitionReassignmentsRequestData.HighestSupportedVersion, ListPartitionReassignmentsRequestData.IsFlexible),
        Api<OffsetDeleteRequestData, OffsetDeleteResponseData>(ApiKey.OffsetDelete, OffsetDeleteRequestData.LowestSupportedVersion, OffsetDeleteRequestData.HighestSupportedVersion, OffsetDeleteRequestData.IsFlexible),
        Api<UnregisterBrokerRequestData, UnregisterBrokerResponseData>(ApiKey.UnregisterBroker, UnregisterBrokerRequestData.LowestSupportedVersion, UnregisterBrokerRequestData.HighestSupportedVersion, UnregisterBrokerRequestData.IsFlexible),
        Api<DescribeAclsRequestData, DescribeAclsResponseData>(ApiKey.DescribeAcls, DescribeAclsRequestData.LowestSupportedVersion, DescribeAclsRequestData.HighestSupportedVersion, DescribeAclsRequestData.IsFlexible),
        Api<CreateAclsRequestData, CreateAclsResponseData>(ApiKey.CreateAcls, CreateAclsRequestData.LowestSupportedVersion, CreateAclsRequestData.HighestSupportedVersion, CreateAclsRequestData.IsFlexible),
        Api<DeleteAclsRequestData, DeleteAclsResponseData>(ApiKey.DeleteAcls, DeleteAclsRequestData.LowestSupportedVersion, DeleteAclsRequestData.HighestSupportedVersion, DeleteAclsRequestData.IsFlexible),
        Api<DescribeClientQuotasRequestData, DescribeClientQuotasResponseData>(ApiKey.DescribeClientQuotas, DescribeClientQuotasRequestData.LowestSupportedVersion, DescribeClientQuotasRequestData.HighestSupportedVersion, DescribeClientQuotasRequestData.IsFlexible),
        Api<AlterClientQuotasRequestData, AlterClientQuotasResponseData>(ApiKey.AlterClientQuotas, AlterClientQuotasRequestData.LowestSupportedVersion, AlterClientQuotasRequestData.HighestSupportedVersion, AlterClientQuotasRequestData.IsFlexible),
        Api<DescribeUserScramCredentialsRequestData, DescribeUserScramCredentialsResponseData>(ApiKey.DescribeUserScramCredentials, DescribeUserScramCredentialsRequestData.LowestSupportedVersion, DescribeUserScramCredentialsRequestData.HighestSupportedVersion, DescribeUserScramCredentialsRequestData.IsFlexible),
        Api<AlterUserScramCredentialsRequestData, AlterUserScramCredentialsResponseData>(ApiKey.AlterUserScramCredentials, AlterUserScramCredentialsRequestData.LowestSupportedVersion, AlterUserScramCredentialsRequestData.HighestSupportedVersion, AlterUserScramCredentialsRequestData.IsFlexible),
    }.ToFrozenDictionary(a => (short)a.Key);

    /// <summary>Every API the codec carries, by ascending key.</summary>
    public static IReadOnlyList<ApiInfo> All { get; } = ByKey.Values.OrderBy(a => a.Key).ToArray();

    /// <summary>The API with key <paramref name="key"/>, or false when the codec does not carry it.</summary>
    public static bool TryGet(short key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ApiInfo? info) =>
        ByKey.TryGetValue(key, out info);

    /// <summary>The API <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">the codec does not carry it.</exception>
    public static ApiInfo Get(ApiKey key) =>
        ByKey.TryGetValue((short)key, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(key), key, "not an API this codec carries");

    private static ApiInfo Api<TRequest, TResponse>(ApiKey key, short lowest, short highest, Func<short, bool> isFlexible)
        where TRequest : IKafkaMessage, new()
        where TResponse : IKafkaMessage, new() =>
        new(key, typeof(TRequest), typeof(TResponse), lowest, highest, isFlexible, () => new TRequest(), () => new TResponse());
}
