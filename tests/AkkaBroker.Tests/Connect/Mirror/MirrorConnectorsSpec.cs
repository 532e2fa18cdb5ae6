using System.Text;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Mirror;
using AkkaBroker.Tests.Connect.Runtime;
using AkkaBroker.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Connect.Mirror;

/// <summary>
/// MirrorMaker 2 as connectors between two single-broker clusters of this process: a standalone worker on the target
/// runs MirrorSourceConnector, MirrorCheckpointConnector and MirrorHeartbeatConnector. Records reach <c>source.orders</c>
/// as written; a cleanly restarted worker goes on from its stored offsets with nothing missing and nothing twice; a new
/// source topic is picked up; a source group's offset is translated, checkpointed and synced; heartbeats arrive.
/// </summary>
public sealed class MirrorConnectorsSpec(ITestOutputHelper output)
{
    private const string ByteArray = "org.apache.kafka.connect.converters.ByteArrayConverter";

    /// <summary>Records put on the target's copy of partition 0 before mirroring, so that translated offsets differ from the source's.</summary>
    private const int TargetHead = 7;

    private static Dictionary<string, string> Common(string name, string className, BrokerFixture source, BrokerFixture target) => new()
    {
        ["name"] = name, ["connector.class"] = className,
        ["source.cluster.alias"] = "source", ["target.cluster.alias"] = "target",
        ["source.cluster.bootstrap.servers"] = source.Bootstrap, ["target.cluster.bootstrap.servers"] = target.Bootstrap,
    };

    private static IReadOnlyDictionary<string, string>[] Connectors(BrokerFixture source, BrokerFixture target)
    {
        var mirror = Common("mirror-source", "org.apache.kafka.connect.mirror.MirrorSourceConnector", source, target);
        mirror["tasks.max"] = "2";
        mirror["topics"] = "orders|payments";
        mirror["refresh.topics.interval.seconds"] = "1";
        var checkpoints = Common("mirror-checkpoint", "org.apache.kafka.connect.mirror.MirrorCheckpointConnector", source, target);
        checkpoints["emit.checkpoints.interval.seconds"] = "1";
        checkpoints["sync.group.offsets.enabled"] = "true";
        checkpoints["sync.group.offsets.interval.seconds"] = "1";
        var heartbeats = Common("mirror-heartbeat", "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector", source, target);
        heartbeats["emit.heartbeats.interval.seconds"] = "1";
        return [mirror, checkpoints, heartbeats];
    }

    private static async Task ProduceAsync(BrokerFixture broker, string topic, int from, int count, int partitions)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 5 }).Build();
        for (var i = from; i < from + count; i++)
            producer.Produce(new TopicPartition(topic, i % partitions), new Message<byte[]?, byte[]?>
            {
                // Every 10th key null and every 25th value a tombstone: nulls must stay nulls, not become empty arrays.
                Key = i % 10 == 0 ? null : [(byte)i, 0, 255, (byte)(i >> 8)],
                Value = i % 25 == 0 ? null : Encoding.UTF8.GetBytes($"v{i} é"),
                Timestamp = new Timestamp(1_700_000_000_000 + i, TimestampType.CreateTime),
                Headers = new Headers { new Header("n", Encoding.UTF8.GetBytes(i.ToString())), new Header("empty", null) },
            });
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        await Task.CompletedTask;
    }

    /// <summary>Each record of a partition, from <paramref name="from"/> to the end, as one comparable line.</summary>
    private static List<string> ReadPartition(BrokerFixture broker, string topic, int partition, long from = 0)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = broker.Bootstrap }).Build();
        var tp = new TopicPartition(topic, partition);
        var end = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value;
        consumer.Assign(new TopicPartitionOffset(tp, from));
        var records = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (consumer.Position(tp) is var position && (position == Offset.Unset || position.Value < end))
        {
            Assert.True(DateTime.UtcNow < deadline, $"reading {tp} up to {end} took more than 30 s");
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { Message: { } m }) continue;
            string Hex(byte[]? b) => b == null ? "null" : Convert.ToHexString(b);
            records.Add($"{Hex(m.Key)}={Hex(m.Value)}@{m.Timestamp.UnixTimestampMs}#" +
                        string.Join(",", (m.Headers ?? []).Select(h => $"{h.Key}:{Hex(h.Value)}")));
        }
        return records;
    }

    private static async Task<long> EndOffsetAsync(IAdminClient admin, string topic, int partition)
    {
        try
        {
            return (await admin.ListOffsetAsync(new TopicPartition(topic, partition), OffsetSpec.Latest())).Value;
        }
        catch (KafkaException)
        {
            return -1; // not created yet
        }
    }

    private static async Task<long> TotalEndAsync(IAdminClient admin, string topic, int partitions)
    {
        long total = 0;
        for (var p = 0; p < partitions; p++) total += Math.Max(0, await EndOffsetAsync(admin, topic, p));
        return total;
    }

    /// <summary>The target's partitions of source.orders hold exactly the source's records (after partition 0's head), in order.</summary>
    private static void AssertMirroredExactly(BrokerFixture source, BrokerFixture target)
    {
        for (var p = 0; p < 3; p++)
        {
            var expected = ReadPartition(source, "orders", p);
            var actual = ReadPartition(target, "source.orders", p, p == 0 ? TargetHead : 0);
            Assert.True(expected.SequenceEqual(actual),
                $"orders-{p}: {expected.Count} source records, {actual.Count} mirrored; first difference at index " +
                $"{Enumerable.Range(0, Math.Min(expected.Count, actual.Count)).FirstOrDefault(i => expected[i] != actual[i], Math.Min(expected.Count, actual.Count))}");
        }
    }

    [Fact]
    public async Task Records_are_mirrored_byte_identical_resume_after_a_restart_and_groups_and_heartbeats_reach_the_target()
    {
        await using var source = await BrokerFixture.StartAsync();
        using var sourceAdmin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build();
        await sourceAdmin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 3 }]);
        await ProduceAsync(source, "orders", 0, 300, 3);
        // The group "app" read 50 records of partition 0 on the source.
        await sourceAdmin.AlterConsumerGroupOffsetsAsync("app", [new TopicPartitionOffset(new TopicPartition("orders", 0), 50)]);

        var worker = new Dictionary<string, string> { ["key.converter"] = ByteArray, ["value.converter"] = ByteArray };
        await using var harness = await ConnectWorkerHarness.StartAsync(worker);
        var target = harness.Broker;
        using var targetAdmin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = target.Bootstrap }).Build();
        await targetAdmin.CreateTopicsAsync([new TopicSpecification { Name = "source.orders", NumPartitions = 3 }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = target.Bootstrap }).Build())
            for (var i = 0; i < TargetHead; i++) await producer.ProduceAsync(new TopicPartition("source.orders", 0), new Message<string, string> { Value = "already here" });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await harness.StopWorkerAsync();
        await harness.StartWorkerAsync(worker, Connectors(source, target));
        await harness.WaitForStateAsync("mirror-source", "RUNNING", tasks: 2);

        await Wait.UntilAsync(async () => await TotalEndAsync(targetAdmin, "source.orders", 3) == 300 + TargetHead, "300 records mirrored to source.orders");
        AssertMirroredExactly(source, target);
        output.WriteLine($"mirrored 300 records: {clock.ElapsedMilliseconds} ms");

        // The group's offset 50 on the source is the copy of record 50 on the target, 7 records further on.
        await Wait.UntilAsync(() => ReadCheckpoints(target).Any(c => c is { Group: "app", Source.Partition.Value: 0, UpstreamOffset: 50, DownstreamOffset: 50 + TargetHead }),
            "a checkpoint of group app: orders-0 at 50 is source.orders-0 at 57");
        await Wait.UntilAsync(async () => (await targetAdmin.DescribeConsumerGroupAsync("app")).CommittedOffsets
                .Any(o => o.Topic == "source.orders" && o.Partition == 0 && o.Offset.Value == 50 + TargetHead),
            "group app's offset synced to 57 on the target");
        await Wait.UntilAsync(() => ReadHeartbeats(target).Any(), "a heartbeat source->target on the target's heartbeats topic");

        // A topic created on the source while the connector runs is mirrored after the next refresh.
        await sourceAdmin.CreateTopicsAsync([new TopicSpecification { Name = "payments", NumPartitions = 1 }]);
        await ProduceAsync(source, "payments", 0, 20, 1);
        await Wait.UntilAsync(async () => await EndOffsetAsync(targetAdmin, "source.payments", 0) == 20, "the new topic's 20 records on source.payments");
        output.WriteLine($"new topic mirrored: {clock.ElapsedMilliseconds} ms");

        // A clean stop stores the offsets of everything the target acknowledged: the restart sends only what is new.
        await harness.StopWorkerAsync();
        await ProduceAsync(source, "orders", 300, 150, 3);
        await harness.StartWorkerAsync(worker, Connectors(source, target));
        await Wait.UntilAsync(async () => await TotalEndAsync(targetAdmin, "source.orders", 3) >= 450 + TargetHead, "the 150 new records mirrored after the restart");
        await harness.WaitForStateAsync("mirror-source", "RUNNING", tasks: 2);
        AssertMirroredExactly(source, target);
        Assert.Equal(20, await EndOffsetAsync(targetAdmin, "source.payments", 0));
        output.WriteLine($"restart resumed: {clock.ElapsedMilliseconds} ms");

        // Stored at the next offset flush: Kafka's partition map {cluster, topic, partition} and the last record's offset.
        await Wait.UntilAsync(async () => (await harness.GetJsonAsync("/connectors/mirror-source/offsets"))["offsets"]!.AsArray()
                .Any(o => o!["partition"]!.ToJsonString() == """{"cluster":"source","partition":0,"topic":"orders"}""" && o["offset"]!.ToJsonString() == """{"offset":149}"""),
            "orders-0's stored offset at 149");
    }

    private static List<Checkpoint> ReadCheckpoints(BrokerFixture target) => ReadValues(target, "source.checkpoints.internal", Checkpoint.Parse);

    private static List<long> ReadHeartbeats(BrokerFixture target) =>
        ReadValues(target, "heartbeats", v => Heartbeat.TimestampOf(v) is { } ms ? (long?)ms : null).Select(ms => ms!.Value).ToList();

    private static List<T> ReadValues<T>(BrokerFixture broker, string topic, Func<byte[]?, T?> parse)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        try
        {
            _ = admin.ListOffsetAsync(new TopicPartition(topic, 0), OffsetSpec.Latest()).GetAwaiter().GetResult();
        }
        catch (KafkaException)
        {
            return []; // not created yet
        }
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = broker.Bootstrap }).Build();
        var tp = new TopicPartition(topic, 0);
        var end = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value;
        consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
        var values = new List<T>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (consumer.Position(tp) is var position && (position == Offset.Unset || position.Value < end) && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } m } && parse(m.Value) is { } value)
                values.Add(value);
        return values;
    }
}
