using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Client.Internal;

/// <summary>Sends admin requests to any broker; the broker forwards them to the controller.</summary>
internal sealed class AdminClient(ClientSettings settings) : IAdminClient
{
    private readonly BrokerConnection _connection = new(settings);

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

    public void Dispose() => _connection.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
}
