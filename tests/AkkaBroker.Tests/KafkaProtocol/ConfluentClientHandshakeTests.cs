using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using AkkaBroker.KafkaProtocol;
using Confluent.Kafka;
using Xunit;

namespace AkkaBroker.Tests.KafkaProtocol;

/// <summary>A real Kafka client (Confluent.Kafka over librdkafka) talking to a socket that answers with this codec.</summary>
public class ConfluentClientHandshakeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Confluent_client_requests_decode_and_it_accepts_our_api_versions_response()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var timeout = new CancellationTokenSource(Deadline);
        var config = new AdminClientConfig
        {
            BootstrapServers = $"127.0.0.1:{port}",
            ClientId = "codec-test",
            SocketTimeoutMs = 30_000,
        };
        using var admin = new AdminClientBuilder(config).Build();
        // A metadata call makes sure the client has something to ask once it knows our versions.
        var metadataCall = Task.Run(() => admin.GetMetadata(TimeSpan.FromSeconds(20)));
        try
        {
            using var socket = await listener.AcceptSocketAsync(timeout.Token);
            using var stream = new NetworkStream(socket, ownsSocket: false);

            var (header, body) = KafkaRequestFrame.ReadRequest(await ReadFrame(stream, timeout.Token));
            Assert.Equal((short)ApiKey.ApiVersions, header.RequestApiKey);
            Assert.Equal("codec-test", header.ClientId);
            var apiVersions = Assert.IsType<ApiVersionsRequestData>(body);
            Assert.True(header.RequestApiVersion >= 3, $"expected a flexible ApiVersions request, got v{header.RequestApiVersion}");
            Assert.Contains(apiVersions.ClientSoftwareName, new[] { "confluent-kafka-dotnet", "librdkafka" });
            Assert.False(string.IsNullOrEmpty(apiVersions.ClientSoftwareVersion), "expected the client to send its version");

            var response = new ApiVersionsResponseData
            {
                ApiKeys = ApiKeys.All.Select(a => new ApiVersionsResponseData.ApiVersion
                {
                    ApiKey = (short)a.Key,
                    MinVersion = a.LowestVersion,
                    MaxVersion = a.HighestVersion,
                }).ToList(),
            };
            var output = new ArrayBufferWriter<byte>();
            KafkaRequestFrame.WriteResponse(output, ApiKey.ApiVersions, header.RequestApiVersion, header.CorrelationId, response);
            await stream.WriteAsync(output.WrittenMemory, timeout.Token);

            // Having accepted our versions, the client asks for metadata at a version we offered.
            var (nextHeader, nextBody) = KafkaRequestFrame.ReadRequest(await ReadFrame(stream, timeout.Token));
            Assert.Equal((short)ApiKey.Metadata, nextHeader.RequestApiKey);
            Assert.True(nextHeader.RequestApiVersion <= MetadataRequestData.HighestSupportedVersion);
            Assert.True(nextHeader.CorrelationId > header.CorrelationId, "expected a later correlation id");
            Assert.IsType<MetadataRequestData>(nextBody);
            socket.Close();
        }
        finally
        {
            listener.Stop();
            // The client's metadata call fails once the connection is gone; only its ending matters here.
            var finished = await Task.WhenAny(metadataCall, Task.Delay(Deadline));
            Assert.True(finished == metadataCall, "the client's metadata call did not end after the broker went away");
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadFrame(Stream stream, CancellationToken ct)
    {
        var size = new byte[4];
        await stream.ReadExactlyAsync(size, ct);
        var length = BinaryPrimitives.ReadInt32BigEndian(size);
        Assert.InRange(length, 8, 1 << 20);
        var frame = new byte[length];
        await stream.ReadExactlyAsync(frame, ct);
        return frame;
    }
}
