using System.Collections.Concurrent;
using System.Diagnostics;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// MirrorMaker with real processes: a single-broker source and a three-broker target (replication factor 3), the
/// mirror-maker command copying under load while the mirror itself and then a target broker are killed with -9 and
/// restarted, and a topic is created on the source mid-run. Every record acknowledged on the source reaches the target
/// in its partition's order, duplicates come only from re-mirrored windows, and a consumer group moved to the target
/// at its translated offsets reads on without a gap and without re-reading what it had committed.
/// </summary>
public class MirrorMakerTests(ITestOutputHelper output)
{
    private const string Topic = "orders";
    private const int Partitions = 4;

    [Fact]
    public async Task Nothing_acknowledged_on_the_source_is_missing_on_the_target_across_kill_minus_9_of_the_mirror_and_of_a_target_broker()
    {
        var root = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-mirror-" + Guid.NewGuid().ToString("N"));
        var targetDirs = Enumerable.Range(1, 3).Select(i => Path.Combine(root, $"target{i}")).ToArray();
        const string targetConfig = "akkabroker.broker.default.replication.factor = 3\nakkabroker.broker.offsets.topic.replication.factor = 3";
        var targets = new Dictionary<int, BrokerProcess>();
        ToolProcess? mirror = null;
        var mirrorLogs = new List<string>();
        try
        {
            using var source = await BrokerProcess.StartAsync(Path.Combine(root, "source"));
            targets[1] = await BrokerProcess.StartAsync(targetDirs[0], extraConfig: targetConfig, extraArgs: ["--broker-id", "1"]);
            targets[2] = await BrokerProcess.StartAsync(targetDirs[1], extraConfig: targetConfig, extraArgs: ["--broker-id", "2", "--seed-nodes", targets[1].SeedNode]);
            targets[3] = await BrokerProcess.StartAsync(targetDirs[2], extraConfig: targetConfig, extraArgs: ["--broker-id", "3", "--seed-nodes", targets[1].SeedNode]);
            await BrokerProcess.WaitForToolAsync(["cluster", "describe", "--bootstrap-server", targets[1].Bootstrap], o => o.Contains("Brokers: 3"), "three live target brokers");
            var targetBootstrap = string.Join(",", targets.Values.Select(t => t.Bootstrap));

            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build())
                await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = Partitions }]);

            // The load: records acknowledged by the source, written on until the end of the run.
            var acked = new ConcurrentDictionary<string, (int Partition, long Offset)>();
            using var stopProducing = new CancellationTokenSource();
            var producing = Task.Run(() => Produce(source.Bootstrap, Topic, acked, stopProducing.Token));

            var consumerConfig = Path.Combine(root, "consumer.properties");
            var producerConfig = Path.Combine(root, "producer.properties");
            await File.WriteAllTextAsync(consumerConfig, $"bootstrap.servers={source.Bootstrap}\ngroup.id=mirror\nauto.offset.reset=earliest\nsession.timeout.ms=6000\nheartbeat.interval.ms=1000\n");
            await File.WriteAllTextAsync(producerConfig, $"bootstrap.servers={targetBootstrap}\nlinger.ms=5\n");
            string[] mirrorArgs =
            [
                "mirror-maker", "--consumer.config", consumerConfig, "--producer.config", producerConfig, "--whitelist", "orders|late",
                "--num.streams", "2", "--offset.commit.interval.ms", "1000", "--sync.group.offsets.enabled", "true", "--emit.checkpoints.interval.seconds", "1",
            ];
            mirror = BrokerProcess.StartTool(mirrorArgs);
            await WaitUntilAsync(async () => await EndOffsetsAsync(targetBootstrap, Topic) >= 3000, "3000 records mirrored");

            // Once the mirror has caught up and committed, kill -9 it mid-stream and start it again. What it copied past its
            // last commit (target records at the kill minus the committed offsets) bounds the duplicates.
            var caughtUp = acked.Count;
            await WaitUntilAsync(async () => (await CommittedAsync(source.Bootstrap, "mirror")).Values.Sum() >= caughtUp, "the mirror to catch up and commit");
            var committedBeforeKill = (await CommittedAsync(source.Bootstrap, "mirror")).Values.Sum();
            mirrorLogs.AddRange(mirror.Lines);
            mirror.KillHard();
            var onTargetAtKill = await EndOffsetsAsync(targetBootstrap, Topic);
            var uncommittedWindow = onTargetAtKill - committedBeforeKill;
            output.WriteLine($"mirror killed: {onTargetAtKill} records on the target, {committedBeforeKill} committed on the source before the kill");
            mirror.Dispose();
            mirror = BrokerProcess.StartTool(mirrorArgs);

            // An application's group on the source reads past the records the restarted mirror copies twice, and commits:
            // on the target its offsets must point past the second copies.
            var appCommitted = await ConsumeAndCommitAsync(source.Bootstrap, "app", (int)onTargetAtKill + 2000);

            // kill -9 a target broker (not the first, which the others joined through), and restart it from its data.
            var before = await EndOffsetsAsync(targetBootstrap, Topic);
            await WaitUntilAsync(async () => await EndOffsetsAsync(targetBootstrap, Topic) >= before + 2000, "the restarted mirror to copy 2000 more");
            targets[3].KillHard();
            output.WriteLine("target broker 3 killed");
            targets[3].Dispose();
            await WaitUntilAsync(async () => await EndOffsetsAsync(targetBootstrap, Topic) >= before + 4000, "mirroring on while target broker 3 is down");
            targets[3] = await BrokerProcess.StartAsync(targetDirs[2], extraConfig: targetConfig, extraArgs: ["--broker-id", "3", "--seed-nodes", targets[1].SeedNode]);

            // A topic created on the source mid-run reaches the target while the mirror runs (it lists topics every 2 s;
            // the target creates the topic with three replicas, one on the broker restarted just now). The time is printed.
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build())
                await admin.CreateTopicsAsync([new TopicSpecification { Name = "late", NumPartitions = 2 }]);
            using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = source.Bootstrap }).Build())
                await producer.ProduceAsync("late", new Message<string, string> { Key = "k", Value = "first" });
            var late = Stopwatch.StartNew();
            await WaitUntilAsync(async () =>
            {
                try
                {
                    return await EndOffsetsAsync(targetBootstrap, "late", 2) >= 1;
                }
                catch (KafkaException)
                {
                    return false;
                }
            }, "the new topic on the target", TimeSpan.FromSeconds(30));
            output.WriteLine($"topic created mid-run mirrored {late.ElapsedMilliseconds} ms after its first record");

            stopProducing.Cancel();
            await producing;
            output.WriteLine($"{acked.Count} records acknowledged on the source");
            await WaitUntilAsync(async () => await EndOffsetsAsync(targetBootstrap, Topic) >= acked.Count, "every source record on the target", TimeSpan.FromSeconds(120));

            // Every acknowledged record on the target, in its partition's source order; duplicates only from re-mirrored windows.
            var sourceRecords = ReadAll(source.Bootstrap, Topic, Partitions);
            var targetRecords = ReadAll(targetBootstrap, Topic, Partitions);
            var duplicates = 0;
            for (var p = 0; p < Partitions; p++)
            {
                var firstCopies = new List<string>();
                var seen = new HashSet<string>();
                foreach (var value in targetRecords[p])
                    if (seen.Add(value)) firstCopies.Add(value);
                    else duplicates++;
                Assert.Equal(sourceRecords[p], firstCopies);
            }
            var missing = acked.Keys.Except(targetRecords.Values.SelectMany(v => v)).Count();
            output.WriteLine($"target: {targetRecords.Values.Sum(v => v.Count)} records, {duplicates} duplicates from re-mirrored windows, {missing} acknowledged records missing");
            Assert.Equal(0, missing);
            Assert.True(duplicates <= uncommittedWindow, $"{duplicates} duplicates, more than the {uncommittedWindow} records copied past the last commit before the kill");

            // The group, moved to the target at its translated offsets, starts right after what it committed on the source.
            await WaitUntilAsync(async () => (await CommittedAsync(targetBootstrap, "app")).Count == appCommitted.Count, "the app group's offsets synced to the target");
            var translated = await CommittedAsync(targetBootstrap, "app");
            foreach (var (partition, sourceOffset) in appCommitted)
            {
                var expected = sourceRecords[partition][(int)sourceOffset];
                var first = ReadAt(targetBootstrap, Topic, partition, translated[partition]);
                Assert.True(expected == first, $"partition {partition}: the group committed source offset {sourceOffset} ({expected}); at its translated target offset {translated[partition]} is {first}");
            }
            // The status view, read from both clusters: every source partition with its lag, and a fresh heartbeat.
            var status = await BrokerProcess.RunToolAsync(null, "mirror-maker", "status", "--consumer.config", consumerConfig, "--producer.config", producerConfig, "--include", "orders|late");
            output.WriteLine(status.Stdout);
            Assert.True(status.ExitCode == 0, status.Stderr);
            for (var p = 0; p < Partitions; p++) Assert.Matches($@"(?m)^orders\s+{p}\s+\d+\s+\d+\s+\d+\s+orders\s+\d+", status.Stdout);
            var heartbeat = System.Text.RegularExpressions.Regex.Match(status.Stdout, @"newest heartbeat on the target \(source\.heartbeats\): ([\d.]+) s old");
            Assert.True(heartbeat.Success, status.Stdout);
            Assert.True(double.Parse(heartbeat.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < 10, status.Stdout);
            output.WriteLine("app group translated: " + string.Join(", ", appCommitted.Select(kv => $"{kv.Key}: {kv.Value} -> {translated[kv.Key]}")));
        }
        finally
        {
            if (mirror != null)
            {
                mirrorLogs.AddRange(mirror.Lines);
                output.WriteLine("---- mirror's last lines\n" + string.Join("\n", mirrorLogs.TakeLast(30)) + "\n" + mirror.Stderr);
                mirror.KillHard();
                mirror.Dispose();
            }
            foreach (var t in targets.Values) t.Dispose();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task Produce(string bootstrap, string topic, ConcurrentDictionary<string, (int, long)> acked, CancellationToken stop)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5, Acks = Acks.All }).Build();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var value = $"r{i}";
            producer.Produce(topic, new Message<string, string> { Key = $"k{i % 64}", Value = value }, r =>
            {
                if (!r.Error.IsError) acked[value] = (r.Partition, r.Offset.Value);
            });
            // About 2,000 records a second: a steady load the mirror must keep up with through its restarts.
            if (i % 100 == 99) await Task.Delay(50, CancellationToken.None);
        }
        producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>Reads and commits about <paramref name="count"/> records in <paramref name="group"/>; returns the committed offsets.</summary>
    private static async Task<Dictionary<int, long>> ConsumeAndCommitAsync(string bootstrap, string group, int count)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group, EnableAutoCommit = false, AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Subscribe(Topic);
        var read = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (read < count && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: not null }) read++;
        var committed = consumer.Commit();
        consumer.Close();
        await Task.CompletedTask;
        return committed.ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
    }

    private static async Task<Dictionary<int, long>> CommittedAsync(string bootstrap, string group)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        try
        {
            return (await admin.DescribeConsumerGroupAsync(group)).CommittedOffsets.Where(o => o.Topic == Topic).ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
        }
        catch (KafkaException)
        {
            return [];
        }
    }

    private static async Task<long> EndOffsetsAsync(string bootstrap, string topic, int partitions = Partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        long total = 0;
        for (var p = 0; p < partitions; p++) total += (await admin.ListOffsetAsync(new TopicPartition(topic, p), OffsetSpec.Latest())).Value;
        return total;
    }

    private static Dictionary<int, List<string>> ReadAll(string bootstrap, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, EnablePartitionEof = true }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var values = Enumerable.Range(0, partitions).ToDictionary(p => p, _ => new List<string>());
        var atEnd = new HashSet<int>();
        var deadline = Stopwatch.StartNew();
        while (atEnd.Count < partitions)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"read to the end of {atEnd.Count} of {partitions} partitions within 60 s");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r == null) continue;
            if (r.IsPartitionEOF) atEnd.Add(r.Partition);
            else values[r.Partition].Add(r.Message!.Value);
        }
        return values;
    }

    private static string? ReadAt(string bootstrap, string topic, int partition, long offset)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, partition, new Offset(offset)));
        return consumer.Consume(TimeSpan.FromSeconds(30))?.Message?.Value;
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(60))) throw new TimeoutException($"expected {what} within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s");
            await Task.Delay(200);
        }
    }
}
