using System.Buffers.Binary;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using Xunit;
using Xunit.Abstractions;
using TopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// A real broker process against a client that sends what only brokers and the controller may, and against connections
/// that send garbage: nothing in its log or its metadata changes, it keeps serving, and its memory stays bounded.
/// </summary>
public class HostileClientTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-hostile-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A stray file handle; the OS cleans the temp dir.
        }
    }

    [Fact]
    public async Task Forged_broker_messages_and_garbage_connections_change_nothing_and_leave_memory_bounded()
    {
        using var broker = await BrokerProcess.StartAsync(_dataDir);
        const string topic = "guarded";
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, Acks = Acks.All }).Build())
            for (var i = 0; i < 3; i++) await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"r{i}" });
        var before = (await admin.GetMetadataAsync([topic])).Topics.Single().Partitions.Single();
        var rssBefore = RssMiB(broker.Pid);

        var hostile = ActorSystem.Create("hostile", ConfigurationFactory.ParseString("""
            akka.loglevel = OFF
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, maximum-frame-size = 16MiB }
            """).WithFallback(BrokerSerialization.Config));
        try
        {
            var gateway = await hostile.ActorSelection($"akka.tcp://akkabroker@{broker.Bootstrap}/user/broker").ResolveOne(TimeSpan.FromSeconds(10));
            var tp = new TopicPartition(topic, 0);
            object[] forged =
            [
                new DeletePartition(tp),
                new EnsurePartition(tp, new Dictionary<string, string>(), new PartitionAssignment(0, [99], 99, int.MaxValue / 2, [99], int.MaxValue / 2),
                    new BrokerInfo(99, "203.0.113.1", 9193), int.MaxValue / 2),
                new ReplicaFetchRequest(tp, 99, 0, 1000, 1 << 20, 0, 1),
                new AlterPartitionRequest(tp, before.Leader, 0, int.MaxValue / 2, [99]),
                new ForwardedGroupRequest(new OffsetCommitRequest("victims", -1, "", null, [new OffsetCommit(tp, 1000, null)])),
            ];
            for (var round = 0; round < 100; round++)
                foreach (var message in forged) gateway.Tell(message, ActorRefs.NoSender);
            await broker.WaitForOutputAsync(o => o.Contains("on the client endpoint: only brokers and the controller may send it"), TimeSpan.FromSeconds(30),
                "the broker to log the refusals");
        }
        finally
        {
            await hostile.Terminate();
        }

        // Garbage: frames of random bytes, and frames that announce 16 MiB and stop, on many connections at once.
        var (host, port) = (broker.Bootstrap[..broker.Bootstrap.LastIndexOf(':')], int.Parse(broker.Bootstrap[(broker.Bootstrap.LastIndexOf(':') + 1)..]));
        var random = new Random(17);
        var connections = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 64; i++)
            {
                var connection = new TcpClient();
                await connection.ConnectAsync(host, port);
                connections.Add(connection);
                var body = new byte[i % 2 == 0 ? 4096 : 64 * 1024];
                random.NextBytes(body);
                var frame = new byte[4 + body.Length];
                // Even connections: a frame announcing 16 MiB that never comes; odd ones: a whole frame of noise.
                BinaryPrimitives.WriteInt32BigEndian(frame, i % 2 == 0 ? 16 * 1024 * 1024 - 1 : body.Length);
                body.CopyTo(frame, 4);
                try
                {
                    await connection.GetStream().WriteAsync(frame);
                }
                catch (IOException)
                {
                    // Closed by the broker while writing: what it should do with noise.
                }
            }
        }
        finally
        {
            foreach (var connection in connections) connection.Dispose();
        }

        var after = (await admin.GetMetadataAsync([topic])).Topics.Single().Partitions.Single();
        Assert.Equal(before.Leader, after.Leader);
        Assert.Equal(before.Replicas, after.Replicas);
        Assert.Equal(before.InSyncReplicas, after.InSyncReplicas);
        var log = await admin.DescribeLogAsync(new Client.TopicPartition(topic, 0));
        Assert.Equal((0L, 3L, 3L), (log.LogStartOffset, log.LogEndOffset, log.HighWatermark));
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, Acks = Acks.All }).Build())
            Assert.Equal(3, (await producer.ProduceAsync(topic, new Message<Null, string> { Value = "after" })).Offset.Value);
        var groups = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("victims", null)]);
        Assert.DoesNotContain(groups.SelectMany(g => g.Partitions), p => p.Offset.Value == 1000);

        var rssAfter = RssMiB(broker.Pid);
        output.WriteLine($"broker RSS {rssBefore} MiB before, {rssAfter} MiB after");
        Assert.True(rssAfter - rssBefore < 256, $"the broker's memory grew from {rssBefore} MiB to {rssAfter} MiB");
    }

    private static long RssMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }
}
