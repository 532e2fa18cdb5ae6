using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// What a client that does not speak Kafka's protocol properly gets: random and truncated frames, frames above
/// socket.request.max.bytes, unknown APIs and versions close that connection (or, for a too-new ApiVersions, are
/// answered as Kafka answers), and the broker goes on serving everyone else.
/// </summary>
public sealed class KafkaListenerHostileInputSpec() : KafkaListenerBrokerSpec("akkabroker.broker.socket.request.max.bytes = 65536")
{
    private async Task<NetworkStream> ConnectAsync()
    {
        var (host, port) = Broker.Node.KafkaListener!.Advertised;
        var client = new TcpClient();
        await client.ConnectAsync(host, port);
        return client.GetStream();
    }

    /// <summary>True when the broker closed the connection (read returns 0) within the deadline.</summary>
    private static async Task<bool> ClosedByBrokerAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (await stream.ReadAsync(buffer, cts.Token) > 0) { }
            return true;
        }
        catch (IOException)
        {
            return true; // reset by the broker
        }
    }

    private static byte[] Frame(byte[] body)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    private void AssertStillServes()
    {
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = Broker.Node.KafkaBootstrapServer }).Build();
        Assert.Single(admin.GetMetadata(TimeSpan.FromSeconds(20)).Brokers);
    }

    [Fact]
    public async Task A_frame_above_socket_request_max_bytes_closes_the_connection_before_it_is_read()
    {
        await using var stream = await ConnectAsync();
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, 1_000_000_000);
        await stream.WriteAsync(header);
        Assert.True(await ClosedByBrokerAsync(stream));
        AssertStillServes();
    }

    [Fact]
    public async Task Random_truncated_and_unknown_requests_close_their_connections_and_theBroker_goes_on()
    {
        var random = new Random(42);
        for (var i = 0; i < 20; i++)
        {
            await using var stream = await ConnectAsync();
            var body = new byte[random.Next(0, 300)];
            random.NextBytes(body);
            // Some with a real API key and version at the front, so parsing gets past the header into the body.
            if (body.Length >= 4 && i % 2 == 0)
            {
                BinaryPrimitives.WriteInt16BigEndian(body, (short)ApiKey.Metadata);
                BinaryPrimitives.WriteInt16BigEndian(body.AsSpan(2), 9);
            }
            await stream.WriteAsync(Frame(body));
            Assert.True(await ClosedByBrokerAsync(stream), $"frame {i} of {body.Length} bytes left the connection open");
        }
        AssertStillServes();
    }

    [Fact]
    public async Task Connections_closed_for_bad_input_are_all_released()
    {
        // Kestrel counts its open connections per listening port (the kestrel.active_connections up-down counter).
        var port = Broker.Node.KafkaListener!.BoundPort;
        long open = 0, opened = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument is { Meter.Name: "Microsoft.AspNetCore.Server.Kestrel", Name: "kestrel.active_connections" }) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "server.port" && Convert.ToInt32(tag.Value) == port)
                {
                    Interlocked.Add(ref open, value);
                    if (value > 0) Interlocked.Add(ref opened, value);
                }
        });
        listener.Start();

        var random = new Random(7);
        for (var i = 0; i < 100; i++)
        {
            await using var stream = await ConnectAsync();
            var body = new byte[random.Next(0, 2000)];
            random.NextBytes(body);
            // Half claim a size up to the limit and then stop sending: the broker waits for the rest until the client goes.
            await stream.WriteAsync(i % 2 == 0 ? Frame(body) : Frame(body)[..Math.Min(6, body.Length + 4)]);
            if (i % 2 == 0) Assert.True(await ClosedByBrokerAsync(stream), $"frame {i} left the connection open");
        }
        // The counter's events may trail the sockets: wait until every connection was counted in and out.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((Interlocked.Read(ref open) > 0 || Interlocked.Read(ref opened) < 100) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(Interlocked.Read(ref opened) >= 90, $"only {opened} of 100 connections were counted opening");
        Assert.Equal(0, Interlocked.Read(ref open));
        AssertStillServes();
    }

    [Fact]
    public async Task An_api_versions_request_newer_than_served_is_answered_in_v0_with_unsupported_version_and_the_list()
    {
        await using var stream = await ConnectAsync();
        // ApiVersions v99 with correlation id 7: the header is all the broker can read.
        var body = new byte[8];
        BinaryPrimitives.WriteInt16BigEndian(body, (short)ApiKey.ApiVersions);
        BinaryPrimitives.WriteInt16BigEndian(body.AsSpan(2), 99);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(4), 7);
        await stream.WriteAsync(Frame(body));
        var size = new byte[4];
        await stream.ReadExactlyAsync(size);
        var response = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await stream.ReadExactlyAsync(response);
        var (header, decoded) = KafkaRequestFrame.ReadResponse(response, ApiKey.ApiVersions, 0);
        var versions = Assert.IsType<ApiVersionsResponseData>(decoded);
        Assert.Equal(7, header.CorrelationId);
        Assert.Equal(35, versions.ErrorCode); // UNSUPPORTED_VERSION
        Assert.Contains(versions.ApiKeys, k => k.ApiKey == (short)ApiKey.Produce);
    }

    [Fact]
    public async Task A_known_api_at_a_version_not_served_closes_the_connection()
    {
        await using var stream = await ConnectAsync();
        var output = new ArrayBufferWriter<byte>();
        // Produce v2 (before record batch v2) is in the codec but not served.
        KafkaRequestFrame.WriteRequest(output, ApiKey.Produce, 2, 1, "old-client", new ProduceRequestData { Acks = 1, TimeoutMs = 1000 });
        await stream.WriteAsync(output.WrittenMemory);
        Assert.True(await ClosedByBrokerAsync(stream));
        AssertStillServes();
    }
}
