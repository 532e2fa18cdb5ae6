using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>Sends admin requests to any broker; the broker forwards them to the controller.</summary>
internal sealed class AdminClient : IAdminClient
{
    private readonly BrokerConnection _connection;

    public AdminClient(ClientSettings settings, Action<IAdminClient, LogMessage>? logHandler = null, Action<IAdminClient, Error>? errorHandler = null)
    {
        Name = settings.ClientId;
        _connection = new BrokerConnection(settings, logHandler == null ? null : m => logHandler(this, m),
            errorHandler == null ? null : e => errorHandler(this, e));
    }

    public string Name { get; }

    private async Task<T> AskAsync<T>(object request)
    {
        var broker = await _connection.AnyBrokerAsync().ConfigureAwait(false);
        return await _connection.AskAsync<T>(broker, request).ConfigureAwait(false);
    }

    private static void ThrowIfError(string name, ErrorCode code, string? message)
    {
        if (code != ErrorCode.None) throw new KafkaException(new Error(code, message ?? $"{name}: {code.Describe()}"));
    }

    public async Task CreateTopicsAsync(IEnumerable<TopicSpecification> topics, bool validateOnly = false)
    {
        foreach (var t in topics)
        {
            var r = await AskAsync<TopicOperationResponse>(new CreateTopicRequest(t.Name, t.NumPartitions, t.ReplicationFactor, t.Configs, validateOnly)).ConfigureAwait(false);
            ThrowIfError(t.Name, r.Error, r.ErrorMessage);
        }
    }

    public async Task DeleteTopicsAsync(IEnumerable<string> topics)
    {
        foreach (var name in topics)
        {
            var r = await AskAsync<TopicOperationResponse>(new DeleteTopicRequest(name)).ConfigureAwait(false);
            ThrowIfError(name, r.Error, r.ErrorMessage);
        }
    }

    public async Task CreatePartitionsAsync(string topic, int totalCount)
    {
        var r = await AskAsync<TopicOperationResponse>(new CreatePartitionsRequest(topic, totalCount)).ConfigureAwait(false);
        ThrowIfError(topic, r.Error, r.ErrorMessage);
    }

    public async Task<IReadOnlyList<ConfigEntryResult>> DescribeConfigsAsync(string topic)
    {
        var r = await AskAsync<DescribeConfigsResponse>(new DescribeConfigsRequest(topic)).ConfigureAwait(false);
        ThrowIfError(topic, r.Error, r.ErrorMessage);
        return r.Entries.Select(e => new ConfigEntryResult(e.Name, e.Value, e.IsDefault)).ToArray();
    }

    public async Task IncrementalAlterConfigsAsync(string topic, IReadOnlyDictionary<string, string> set, IEnumerable<string>? delete = null)
    {
        var r = await AskAsync<TopicOperationResponse>(new AlterConfigsRequest(topic, set, delete?.ToArray() ?? [])).ConfigureAwait(false);
        ThrowIfError(topic, r.Error, r.ErrorMessage);
    }

    public async Task<ClusterMetadata> GetMetadataAsync(IEnumerable<string>? topics = null)
    {
        var names = topics?.ToArray();
        var r = await _connection.RefreshMetadataAsync(names, allowAutoCreate: false).ConfigureAwait(false);
        foreach (var t in r.Topics) ThrowIfError(t.Name, t.Error, t.ErrorMessage);
        return new ClusterMetadata(
            r.Brokers.Select(b => new BrokerDescription(b.BrokerId, b.Host, b.Port)).ToArray(),
            r.ControllerId,
            r.Topics.Select(t => new TopicInfo(t.Name, t.Partitions.Select(p => new PartitionInfo(p.Partition, p.Leader, p.Replicas, p.Isr)).ToArray())).ToArray());
    }

    public async Task<ClusterDescription> DescribeClusterAsync()
    {
        var r = await AskAsync<DescribeClusterResponse>(new DescribeClusterRequest()).ConfigureAwait(false);
        ThrowIfError("describe cluster", r.Error, r.ErrorMessage);
        return new ClusterDescription(r.Brokers.Select(b => new BrokerDescription(b.BrokerId, b.Host, b.Port)).ToArray(), r.ControllerId, r.ControllerEpoch);
    }

    public async Task<IReadOnlyList<string>> ListConsumerGroupsAsync()
    {
        var r = await AskAsync<ListGroupsResponse>(new ListGroupsRequest()).ConfigureAwait(false);
        ThrowIfError("list groups", r.Error, r.ErrorMessage);
        return r.GroupIds;
    }

    public async Task<ConsumerGroupDescription> DescribeConsumerGroupAsync(string groupId)
    {
        var r = await AskAsync<DescribeGroupResponse>(new DescribeGroupRequest(groupId)).ConfigureAwait(false);
        ThrowIfError(groupId, r.Error, r.ErrorMessage);
        return new ConsumerGroupDescription(r.GroupId, r.State, r.Protocol, r.GenerationId,
            r.Members.Select(m => new GroupMemberInfo(m.MemberId, m.GroupInstanceId, m.ClientId,
                m.Assignment.Select(tp => new Client.TopicPartition(tp.Topic, tp.Partition)).ToArray())).ToArray(),
            r.Offsets.Select(o => new TopicPartitionOffset(o.TopicPartition.Topic, o.TopicPartition.Partition, new Offset(o.Offset))).ToArray());
    }

    public async Task DeleteConsumerGroupAsync(string groupId)
    {
        var r = await AskAsync<DeleteGroupResponse>(new DeleteGroupRequest(groupId)).ConfigureAwait(false);
        ThrowIfError(groupId, r.Error, r.ErrorMessage);
    }

    public async Task AlterConsumerGroupOffsetsAsync(string groupId, IEnumerable<TopicPartitionOffset> offsets)
    {
        var list = offsets.ToArray();
        if (list.FirstOrDefault(o => o.Offset.IsSpecial || o.Offset.Value < 0) is { } bad)
            throw new ArgumentException($"Offset {bad.Offset} for {bad.TopicPartition} is not a position: give 0 or more.");
        var r = await AskAsync<OffsetCommitResponse>(new OffsetCommitRequest(groupId, -1, "", null,
            list.Select(o => new OffsetCommit(o.TopicPartition.ToProtocol(), o.Offset.Value, null)).ToArray())).ConfigureAwait(false);
        ThrowIfError(groupId, r.Error, r.ErrorMessage);
    }

    public async Task<Offset> ListOffsetAsync(Client.TopicPartition partition, OffsetSpec spec)
    {
        var tp = partition.ToProtocol();
        var r = await _connection.AskLeaderAsync<ListOffsetsResponse>(tp, new ListOffsetsRequest(tp, spec.Query), BrokerConnection.ListOffsetsError,
            _connection.Settings.RequestTimeout).ConfigureAwait(false);
        return r.Offset < 0 ? Offset.End : new Offset(r.Offset);
    }

    public async Task<PartitionLogDescription> DescribeLogAsync(Client.TopicPartition partition)
    {
        var tp = partition.ToProtocol();
        var r = await _connection.AskLeaderAsync<DescribeLogResponse>(tp, new DescribeLogRequest(tp),
            x => x.Error == ErrorCode.None ? null : new Error(x.Error, x.ErrorMessage ?? $"{partition}: {x.Error.Describe()}"),
            _connection.Settings.RequestTimeout).ConfigureAwait(false);
        return new PartitionLogDescription(partition, r.LogStartOffset, r.LogEndOffset, r.HighWatermark, r.SizeBytes, r.SegmentCount, r.ActiveSegmentBaseOffset, r.CleanedUpTo, r.DirtyRatio);
    }

    public async Task<IReadOnlyList<Client.TopicPartitionOffset>> DeleteRecordsAsync(IEnumerable<Client.TopicPartitionOffset> offsets)
    {
        var asks = offsets.Select(async o =>
        {
            var tp = o.TopicPartition.ToProtocol();
            var offset = o.Offset == Offset.End ? DeleteRecordsRequest.HighWatermark : o.Offset.Value;
            var r = await _connection.AskLeaderAsync<DeleteRecordsResponse>(tp, new DeleteRecordsRequest(tp, offset),
                x => x.Error == ErrorCode.None ? null : new Error(x.Error, x.ErrorMessage ?? $"{o.TopicPartition}: {x.Error.Describe()}"),
                _connection.Settings.RequestTimeout).ConfigureAwait(false);
            return new Client.TopicPartitionOffset(o.TopicPartition, new Offset(r.LowWatermark));
        }).ToList();
        return await Task.WhenAll(asks).ConfigureAwait(false);
    }

    public void Dispose() => _connection.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
}
