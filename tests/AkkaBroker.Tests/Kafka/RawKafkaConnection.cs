using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using AkkaBroker.KafkaProtocol;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// One TCP connection to a Kafka listener that sends a request of a chosen API version and reads its typed answer, for
/// the fields a real client's API does not show (leader epochs) or requests it does not make on demand.
/// </summary>
internal sealed class RawKafkaConnection : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private NetworkStream _stream = null!;
    private int _correlationId;

    public static async Task<RawKafkaConnection> ConnectAsync(string hostPort)
    {
        var connection = new RawKafkaConnection();
        var colon = hostPort.LastIndexOf(':');
        await connection._client.ConnectAsync(hostPort[..colon], int.Parse(hostPort[(colon + 1)..]));
        connection._stream = connection._client.GetStream();
        return connection;
    }

    public async Task<TResponse> AskAsync<TResponse>(ApiKey key, short version, object request)
    {
        var correlationId = ++_correlationId;
        var output = new ArrayBufferWriter<byte>();
        KafkaRequestFrame.WriteRequest(output, key, version, correlationId, "raw-test", request);
        await _stream.WriteAsync(output.WrittenMemory);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var size = new byte[4];
        await _stream.ReadExactlyAsync(size, cts.Token);
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await _stream.ReadExactlyAsync(frame, cts.Token);
        var (header, body) = KafkaRequestFrame.ReadResponse(frame, key, version);
        if (header.CorrelationId != correlationId) throw new InvalidOperationException($"answer to correlation id {header.CorrelationId}, {correlationId} expected");
        return (TResponse)body;
    }

    public async Task<MetadataResponseData.MetadataResponsePartition> PartitionAsync(string topic, int partition)
    {
        var metadata = await AskAsync<MetadataResponseData>(ApiKey.Metadata, 9,
            new MetadataRequestData { Topics = [new MetadataRequestData.MetadataRequestTopic { Name = topic }], AllowAutoTopicCreation = false });
        return metadata.Topics.Single(t => t.Name == topic).Partitions.Single(p => p.PartitionIndex == partition);
    }

    public async Task<OffsetForLeaderEpochResponseData.EpochEndOffset> EpochEndAsync(string topic, int partition, int currentLeaderEpoch, int leaderEpoch)
    {
        var answer = await AskAsync<OffsetForLeaderEpochResponseData>(ApiKey.OffsetForLeaderEpoch, 4, new OffsetForLeaderEpochRequestData
        {
            ReplicaId = -1,
            Topics = [new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic
            {
                Topic = topic,
                Partitions = [new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition { Partition = partition, CurrentLeaderEpoch = currentLeaderEpoch, LeaderEpoch = leaderEpoch }],
            }],
        });
        return answer.Topics.Single().Partitions.Single();
    }

    public async Task<FetchResponseData.PartitionData> FetchAsync(string topic, int partition, long offset, int currentLeaderEpoch)
    {
        var answer = await AskAsync<FetchResponseData>(ApiKey.Fetch, 11, new FetchRequestData
        {
            ReplicaId = -1, MaxWaitMs = 0, MinBytes = 1, MaxBytes = 1 << 20,
            Topics = [new FetchRequestData.FetchTopic
            {
                Topic = topic,
                Partitions = [new FetchRequestData.FetchPartition { Partition = partition, FetchOffset = offset, CurrentLeaderEpoch = currentLeaderEpoch, PartitionMaxBytes = 1 << 20 }],
            }],
        });
        return answer.Responses.Single().Partitions.Single();
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
