using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit.Xunit2.Internals;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Mirror;
using AkkaBroker.Tests.Cluster;
using AkkaBroker.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Mirror;

/// <summary>
/// The mirror between two single-broker clusters in this process: records arrive on the target as they were written
/// (partition, order, key, value, headers, timestamp), a topic created on the source during the run is picked up,
/// and a stopped mirror has committed everything it mirrored, so a restart sends nothing twice.
/// </summary>
public class MirrorMakerSpec(ITestOutputHelper output)
{
    private static MirrorMakerSettings Settings(BrokerFixture source, BrokerFixture target, Func<MirrorMakerOptions, MirrorMakerOptions>? with = null) =>
        MirrorMakerSettings.Create(
            (with ?? (o => o))(new MirrorMakerOptions { NumStreams = 2, Include = "orders|events", OffsetCommitIntervalMs = 500 }),
            // A member of an earlier run that could not leave (its log says so) holds a restart's rebalance for a session
            // timeout at most: 10 s rather than Kafka's 45 s keeps a loaded machine within the waits below.
            new Dictionary<string, string> { ["bootstrap.servers"] = source.Bootstrap, ["group.id"] = "mirror", ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "10000" },
            new Dictionary<string, string> { ["bootstrap.servers"] = target.Bootstrap, ["linger.ms"] = "5" });

    /// <summary>Starts a mirror whose log (assignments, commits, resets) goes to this test's output, which a failure shows.</summary>
    private (ActorSystem System, IActorRef Mirror) StartMirror(MirrorMakerSettings settings)
    {
        var system = ActorSystem.Create("mirror", ConfigurationFactory.ParseString("akka.loglevel = INFO\nakka.loggers = []"));
        var logger = ((ExtendedActorSystem)system).SystemActorOf(Props.Create(() => new TestOutputLogger(output)), "test-output");
        logger.Ask<LoggerInitialized>(new InitializeLogger(system.EventStream), TimeSpan.FromSeconds(10)).Wait();
        return (system, system.ActorOf(MirrorMaker.Props(settings), "mirror-maker"));
    }

    /// <summary>As Ctrl-C stops the command: each stream commits what the target acknowledged, then the system ends.</summary>
    private static async Task StopAsync((ActorSystem System, IActorRef Mirror) mirror)
    {
        mirror.Mirror.Tell(new MirrorMaker.Shutdown());
        if (await Task.WhenAny(mirror.System.WhenTerminated, Task.Delay(TimeSpan.FromSeconds(60))) != mirror.System.WhenTerminated)
        {
            await mirror.System.Terminate();
            Assert.Fail("the mirror did not stop within 60 s of being asked to");
        }
    }

    private static async Task ProduceAsync(BrokerFixture broker, string topic, int from, int count, int partitions)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 5 }).Build();
        for (var i = from; i < from + count; i++)
            producer.Produce(new TopicPartition(topic, i % partitions), new Message<string, string>
            {
                Key = $"k{i}", Value = $"v{i}", Timestamp = new Timestamp(1_700_000_000_000 + i, TimestampType.CreateTime),
                Headers = new Headers { new Header("n", Encoding.UTF8.GetBytes(i.ToString())) },
            });
        producer.Flush(TimeSpan.FromSeconds(30));
        await Task.CompletedTask;
    }

    /// <summary>Every record of one partition as "key=value@timestamp#header", in offset order.</summary>
    private static List<string> ReadPartition(BrokerFixture broker, string topic, int partition, int expected)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = broker.Bootstrap }).Build();
        consumer.Assign(new TopicPartitionOffset(new TopicPartition(topic, partition), Offset.Beginning));
        var records = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (records.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is not { Message: { } m }) continue;
            records.Add($"{m.Key}={m.Value}@{m.Timestamp.UnixTimestampMs}#{Encoding.UTF8.GetString(m.Headers!.GetLastBytes("n")!)}");
        }
        // Anything more would be a duplicate.
        if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: { } extra }) records.Add($"{extra.Key}={extra.Value}");
        return records;
    }

    private static async Task<long> EndOffsetsAsync(BrokerFixture broker, string topic, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        long total = 0;
        for (var p = 0; p < partitions; p++) total += (await admin.ListOffsetAsync(new TopicPartition(topic, p), OffsetSpec.Latest())).Value;
        return total;
    }

    /// <summary>Waits until the target's partitions hold exactly <paramref name="expected"/> records; a timeout says how many they held.</summary>
    private static async Task WaitForRecordsAsync(BrokerFixture target, string topic, int partitions, long expected, string what)
    {
        long seen = -1;
        try
        {
            await ThreeBrokerCluster.WaitForAsync(async () => (seen = await EndOffsetsAsync(target, topic, partitions)) == expected ? "" : null, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}: the target's {topic} held {seen} records, {expected} expected", e);
        }
    }

    [Fact]
    public async Task Records_arrive_as_written_new_topics_are_picked_up_and_a_stopped_mirror_has_committed_what_it_sent()
    {
        await using var source = await BrokerFixture.StartAsync();
        await using var target = await BrokerFixture.StartAsync();
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 3, Configs = new() { ["retention.ms"] = "86400000" } }]);
        await ProduceAsync(source, "orders", 0, 3000, 3);

        var settings = Settings(source, target);
        var mirror = StartMirror(settings);
        try
        {
            await WaitForRecordsAsync(target, "orders", 3, 3000, "3000 records of orders on the target");
            for (var p = 0; p < 3; p++)
                Assert.Equal(ReadPartition(source, "orders", p, 1000), ReadPartition(target, "orders", p, 1000));
            using (var targetAdmin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = target.Bootstrap }).Build())
                Assert.Contains(await targetAdmin.DescribeConfigsAsync("orders"), c => c is { Name: "retention.ms", Value: "86400000" });

            // A topic created while the mirror runs is mirrored without a restart.
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build())
                await admin.CreateTopicsAsync([new TopicSpecification { Name = "events", NumPartitions = 2 }]);
            await ProduceAsync(source, "events", 0, 100, 2);
            var picked = System.Diagnostics.Stopwatch.StartNew();
            await ThreeBrokerCluster.WaitForAsync(async () =>
            {
                try
                {
                    return await EndOffsetsAsync(target, "events", 2) == 100 ? "" : null;
                }
                catch (KafkaException)
                {
                    return null; // not created on the target yet
                }
            }, "the new topic's 100 records on the target");
            output.WriteLine($"new topic mirrored {picked.ElapsedMilliseconds} ms after its records were written");
        }
        finally
        {
            await StopAsync(mirror);
        }

        // Stopping committed every mirrored record: a restarted mirror sends only what came since.
        await ProduceAsync(source, "orders", 3000, 300, 3);
        mirror = StartMirror(settings);
        try
        {
            await ThreeBrokerCluster.WaitForAsync(async () => await EndOffsetsAsync(target, "orders", 3) >= 3300 ? "" : null, "the 300 new records on the target");
            for (var p = 0; p < 3; p++)
                Assert.Equal(ReadPartition(source, "orders", p, 1100), ReadPartition(target, "orders", p, 1100));
        }
        finally
        {
            await StopAsync(mirror);
        }
    }

    /// <summary>
    /// Retention on the source deletes records the mirror has not read (it was stopped): the restarted mirror says how
    /// many offsets it skipped (log and metric), mirrors from the log start on, and commits past the gap, so a second
    /// restart does not report it again.
    /// </summary>
    [Fact]
    public async Task Records_deleted_by_source_retention_before_they_were_mirrored_are_reported_and_counted_and_mirroring_goes_on()
    {
        await using var source = await BrokerFixture.StartAsync("akkabroker.broker.log.retention.check.interval.ms = 200");
        await using var target = await BrokerFixture.StartAsync();
        using var sourceAdmin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build();
        // One segment per batch, so retention can delete some of the records and keep the rest.
        await sourceAdmin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 1, Configs = new() { ["segment.bytes"] = "14" } }]);
        var skipped = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MirrorMetrics.MeterName && instrument.Name == "akkabroker.mirror.records_skipped") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag is { Key: "topic", Value: "orders" }) skipped.AddOrUpdate("orders", value, (_, v) => v + value);
        });
        listener.Start();

        await ProduceNowAsync(source, "orders", 0, 100);
        var settings = Settings(source, target);
        var mirror = StartMirror(settings);
        try
        {
            await WaitForRecordsAsync(target, "orders", 1, 100, "100 records on the target");
        }
        finally
        {
            await StopAsync(mirror);
        }

        // While the mirror is stopped: 100 more records, then retention takes everything but the newest segment.
        await ProduceNowAsync(source, "orders", 100, 100);
        await sourceAdmin.IncrementalAlterConfigsAsync("orders", new Dictionary<string, string> { ["retention.ms"] = "1" });
        var logStart = await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var earliest = (await sourceAdmin.ListOffsetAsync(new TopicPartition("orders", 0), OffsetSpec.Earliest())).Value;
            return earliest > 100 ? (object)earliest : null;
        }, "retention to delete records past offset 100");
        await sourceAdmin.IncrementalAlterConfigsAsync("orders", new Dictionary<string, string> { ["retention.ms"] = "604800000" });
        var start = (await sourceAdmin.ListOffsetAsync(new TopicPartition("orders", 0), OffsetSpec.Earliest())).Value;
        output.WriteLine($"log start after retention: {start} (first seen {logStart})");
        await ProduceNowAsync(source, "orders", 200, 50);

        mirror = StartMirror(settings);
        try
        {
            var expected = 100 + (250 - start);
            await WaitForRecordsAsync(target, "orders", 1, expected, $"{expected} records on the target");
            listener.RecordObservableInstruments();
            Assert.Equal(start - 100, skipped.GetValueOrDefault("orders"));
        }
        finally
        {
            await StopAsync(mirror);
        }
        // The gap was committed past: a restart finds nothing to skip.
        mirror = StartMirror(settings);
        try
        {
            await ProduceNowAsync(source, "orders", 250, 10);
            await WaitForRecordsAsync(target, "orders", 1, 110 + (250 - start), "the 10 new records on the target");
            Assert.Equal(start - 100, skipped.GetValueOrDefault("orders"));
        }
        finally
        {
            await StopAsync(mirror);
        }
    }

    /// <summary>Records stamped now (retention by time must not take them before it is told to), one batch each.</summary>
    private static async Task ProduceNowAsync(BrokerFixture broker, string topic, int from, int count)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 0 }).Build();
        for (var i = from; i < from + count; i++)
            await producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
    }

    /// <summary>
    /// A source group's committed offsets are translated to the target exactly, although the target partition holds
    /// other records first, and committed for the group there; a consumer of that group on the target then starts at
    /// the record after the last one it committed on the source.
    /// </summary>
    [Fact]
    public async Task A_source_groups_offsets_are_translated_and_synced_so_it_resumes_on_the_target_at_the_next_record()
    {
        await using var source = await BrokerFixture.StartAsync();
        await using var target = await BrokerFixture.StartAsync();
        using var sourceAdmin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build();
        using var targetAdmin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = target.Bootstrap }).Build();
        await sourceAdmin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 2 }]);
        await targetAdmin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 2 }]);
        await ProduceAsync(source, "orders", 0, 400, 2);
        // Records already on the target's partition 0: its offsets differ from the source's by 25.
        using (var local = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = target.Bootstrap }).Build())
            for (var i = 0; i < 25; i++) await local.ProduceAsync(new TopicPartition("orders", 0), new Message<string, string> { Key = "local", Value = "local" });
        // The application's group read 70 records of partition 0 and 130 of partition 1 on the source.
        await sourceAdmin.AlterConsumerGroupOffsetsAsync("app", [new TopicPartitionOffset("orders", 0, new Offset(70)), new TopicPartitionOffset("orders", 1, new Offset(130))]);

        var mirror = StartMirror(Settings(source, target, o => o with { SyncGroupOffsetsEnabled = true, EmitCheckpointsIntervalSeconds = 0.5 }));
        try
        {
            var synced = await ThreeBrokerCluster.WaitForAsync(async () =>
            {
                var offsets = (await targetAdmin.DescribeConsumerGroupAsync("app")).CommittedOffsets;
                return offsets.Count == 2 ? offsets.OrderBy(o => o.Partition).Select(o => o.Offset.Value).ToArray() : null;
            }, "the group's offsets synced on the target");
            Assert.Equal([95L, 130L], synced);
        }
        finally
        {
            await StopAsync(mirror);
        }

        // The group, moved to the target, reads on from the records after its source commits.
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = target.Bootstrap, GroupId = "app" }).Build();
        consumer.Subscribe("orders");
        var first = new Dictionary<int, string>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (first.Count < 2 && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: { } m } r) first.TryAdd(r.Partition, m.Key);
        // ProduceAsync put record i on partition i % 2: partition 0's offset 70 holds record 140, partition 1's 130 record 261.
        Assert.Equal("k140", first.GetValueOrDefault(0));
        Assert.Equal("k261", first.GetValueOrDefault(1));
        consumer.Close();
    }

    /// <summary>
    /// While the mirror runs, partitions added on the source are added on the target (and their records arrive there),
    /// and topic config changes follow, except the configs that belong to the cluster (min.insync.replicas).
    /// </summary>
    [Fact]
    public async Task Partitions_added_and_configs_changed_on_the_source_follow_on_the_target()
    {
        await using var source = await BrokerFixture.StartAsync();
        await using var target = await BrokerFixture.StartAsync();
        using var sourceAdmin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build();
        using var targetAdmin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = target.Bootstrap }).Build();
        await sourceAdmin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "orders", NumPartitions = 2, Configs = new() { ["retention.ms"] = "86400000", ["min.insync.replicas"] = "1" },
        }]);
        await ProduceAsync(source, "orders", 0, 10, 2);
        var mirror = StartMirror(Settings(source, target, o => o with { SyncTopicConfigsIntervalSeconds = 0.5 }));
        try
        {
            await WaitForRecordsAsync(target, "orders", 2, 10, "10 records on the target");
            Assert.Contains(await targetAdmin.DescribeConfigsAsync("orders"), c => c is { Name: "retention.ms", Value: "86400000" });
            Assert.Contains(await targetAdmin.DescribeConfigsAsync("orders"), c => c is { Name: "min.insync.replicas", IsDefault: true });

            await sourceAdmin.CreatePartitionsAsync("orders", 4);
            await sourceAdmin.IncrementalAlterConfigsAsync("orders", new Dictionary<string, string> { ["retention.ms"] = "3600000", ["max.message.bytes"] = "2000000" });
            await ProduceAsync(source, "orders", 10, 8, 4);
            await ThreeBrokerCluster.WaitForAsync(async () =>
            {
                try
                {
                    return await EndOffsetsAsync(target, "orders", 4) == 18 ? "" : null;
                }
                catch (KafkaException)
                {
                    return null; // the target has no partition 3 yet
                }
            }, "the new partitions' records on the target");
            await ThreeBrokerCluster.WaitForAsync(async () =>
            {
                var configs = await targetAdmin.DescribeConfigsAsync("orders");
                return configs.Any(c => c is { Name: "retention.ms", Value: "3600000" }) && configs.Any(c => c is { Name: "max.message.bytes", Value: "2000000" }) ? "" : null;
            }, "the changed configs on the target");

            // A config the source stops overriding goes back to the target's default.
            await sourceAdmin.IncrementalAlterConfigsAsync("orders", new Dictionary<string, string>(), ["max.message.bytes"]);
            await ThreeBrokerCluster.WaitForAsync(async () =>
                (await targetAdmin.DescribeConfigsAsync("orders")).Any(c => c is { Name: "max.message.bytes", IsDefault: true }) ? "" : null, "max.message.bytes reset on the target");
            Assert.Contains(await targetAdmin.DescribeConfigsAsync("orders"), c => c is { Name: "min.insync.replicas", IsDefault: true });
        }
        finally
        {
            await StopAsync(mirror);
        }
    }

    /// <summary>
    /// Two clusters mirroring each other with MirrorMaker 2's naming: each gets the other's topics under the other's
    /// alias, and a topic that came from a cluster is never mirrored back to it (no A.orders copied to A as B.A.orders).
    /// </summary>
    [Fact]
    public async Task Two_clusters_mirror_each_other_without_a_loop()
    {
        await using var a = await BrokerFixture.StartAsync();
        await using var b = await BrokerFixture.StartAsync();
        await ProduceAsync(a, "orders", 0, 10, 1);
        await ProduceAsync(b, "orders", 100, 10, 1);
        MirrorMakerSettings Between(BrokerFixture source, string sourceAlias, BrokerFixture target, string targetAlias) => MirrorMakerSettings.Create(
            new MirrorMakerOptions
            {
                Include = ".*", OffsetCommitIntervalMs = 500, ReplicationPolicyClass = "DefaultReplicationPolicy",
                SourceClusterAlias = sourceAlias, TargetClusterAlias = targetAlias,
            },
            new Dictionary<string, string> { ["bootstrap.servers"] = source.Bootstrap, ["group.id"] = $"mirror-{sourceAlias}-{targetAlias}", ["auto.offset.reset"] = "earliest" },
            new Dictionary<string, string> { ["bootstrap.servers"] = target.Bootstrap });

        var aToB = StartMirror(Between(a, "A", b, "B"));
        (ActorSystem System, IActorRef Mirror)? bToA = null;
        try
        {
            await ThreeBrokerCluster.WaitForAsync(async () => await EndOffsetsOrZeroAsync(b, "A.orders") == 10 ? "" : null, "A's orders on B as A.orders");
            // Started once A.orders exists on B: its first listing of B's topics has it, and must leave it out.
            bToA = StartMirror(Between(b, "B", a, "A"));
            await ThreeBrokerCluster.WaitForAsync(async () => await EndOffsetsOrZeroAsync(a, "B.orders") == 10 ? "" : null, "B's orders on A as B.orders");
            using var adminA = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = a.Bootstrap }).Build();
            var topicsOnA = (await adminA.GetMetadataAsync()).Topics.Select(t => t.Topic).ToList();
            Assert.DoesNotContain("B.A.orders", topicsOnA);
            using var adminB = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = b.Bootstrap }).Build();
            var mirrored = (await adminB.DescribeConsumerGroupAsync("mirror-B-A")).CommittedOffsets.Select(o => o.Topic).Distinct().ToList();
            Assert.Contains("orders", mirrored);
            Assert.DoesNotContain("A.orders", mirrored);
        }
        finally
        {
            await StopAsync(aToB);
            if (bToA is { } started) await StopAsync(started);
        }
    }

    private static async Task<long> EndOffsetsOrZeroAsync(BrokerFixture broker, string topic)
    {
        try
        {
            return await EndOffsetsAsync(broker, topic, 1);
        }
        catch (KafkaException)
        {
            return 0; // not created yet
        }
    }

    /// <summary>
    /// A stream that fails is restarted by the mirror's supervisor while the other stream goes on and the mirror keeps
    /// running; no record is lost. The clients' tuning metrics and the per-partition metrics are published meanwhile.
    /// </summary>
    [Fact]
    public async Task A_failed_stream_is_restarted_without_stopping_the_mirror_and_the_metrics_an_operator_tunes_by_are_published()
    {
        await using var source = await BrokerFixture.StartAsync();
        await using var target = await BrokerFixture.StartAsync();
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 4 }]);
        var measured = new ConcurrentDictionary<string, bool>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MirrorMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => measured[instrument.Name] = true);
        listener.SetMeasurementEventCallback<long>((instrument, _, _, _) => measured[instrument.Name] = true);
        listener.Start();

        await ProduceAsync(source, "orders", 0, 1000, 4);
        var mirror = StartMirror(Settings(source, target));
        try
        {
            await ThreeBrokerCluster.WaitForAsync(async () => await EndOffsetsAsync(target, "orders", 4) >= 1000 ? "" : null, "1000 records on the target");
            var stream = await mirror.System.ActorSelection("/user/mirror-maker/stream-0").ResolveOne(TimeSpan.FromSeconds(5));
            stream.Tell(Kill.Instance);
            await ProduceAsync(source, "orders", 1000, 1000, 4);
            await ThreeBrokerCluster.WaitForAsync(async () =>
            {
                var onTarget = KeysAndValues(target, "orders", 4);
                await Task.CompletedTask;
                return Enumerable.Range(0, 2000).All(i => onTarget.Contains($"k{i}=v{i}")) ? "" : null;
            }, "all 2000 records on the target after the stream's restart");
            Assert.False(mirror.System.WhenTerminated.IsCompleted, "the mirror should go on when one stream fails");
            Assert.Equal(stream, await mirror.System.ActorSelection("/user/mirror-maker/stream-0").ResolveOne(TimeSpan.FromSeconds(5)));

            // Gauges report what the streams hold at the moment (a rebalance clears a partition's lag until its next fetch).
            string[] names = ["akkabroker.mirror.records", "akkabroker.mirror.bytes", "akkabroker.mirror.replication_latency", "akkabroker.mirror.lag",
                "akkabroker.mirror.batch_size_avg", "akkabroker.mirror.batch_size_max", "akkabroker.mirror.fetch_size_avg", "akkabroker.mirror.fetch_rate",
                "akkabroker.mirror.waiting_on_source", "akkabroker.mirror.heartbeat_age"];
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!names.All(measured.ContainsKey))
            {
                Assert.True(DateTime.UtcNow < deadline, "not published within 30 s: " + string.Join(", ", names.Where(n => !measured.ContainsKey(n))));
                listener.RecordObservableInstruments();
                await Task.Delay(100);
            }
        }
        finally
        {
            await StopAsync(mirror);
        }
    }

    /// <summary>Every record of the topic as "key=value", read to the end of each partition.</summary>
    private static HashSet<string> KeysAndValues(BrokerFixture broker, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = broker.Bootstrap, EnablePartitionEof = true }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var values = new HashSet<string>();
        var atEnd = new HashSet<int>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (atEnd.Count < partitions && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r == null) continue;
            if (r.IsPartitionEOF) atEnd.Add(r.Partition);
            else values.Add($"{r.Message!.Key}={r.Message.Value}");
        }
        return values;
    }
}
