using System.Diagnostics;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// Committed offsets survive the loss of their coordinator, with real processes: three brokers, the offsets topic
/// replicated on all three. A verifiable consumer reads and commits 10,000 records and stops; the broker that
/// coordinates its group is killed with -9; the new leader of the group's offsets partition serves exactly the offsets
/// committed before, and a new member of the group resumes there: it reads the 10,000 records produced since and
/// nothing before them.
/// </summary>
public class CoordinatorFailoverTests(ITestOutputHelper output)
{
    private const string Topic = "committed";
    private const int Partitions = 6;

    [Fact]
    public async Task Committed_offsets_survive_kill_minus_9_of_the_groups_coordinator()
    {
        var dirs = Enumerable.Range(1, 3).Select(i => Path.Combine(Path.GetTempPath(), $"akkabroker-e2e-coord{i}-" + Guid.NewGuid().ToString("N"))).ToArray();
        var brokers = new Dictionary<int, BrokerProcess>();
        const string config = "akkabroker.broker.offsets.topic.replication.factor = 3\nakkabroker.broker.group.initial.rebalance.delay.ms = 500";
        ToolProcess? consumer = null;
        try
        {
            brokers[1] = await BrokerProcess.StartAsync(dirs[0], extraConfig: config, extraArgs: ["--broker-id", "1"]);
            brokers[2] = await BrokerProcess.StartAsync(dirs[1], extraConfig: config, extraArgs: ["--broker-id", "2", "--seed-nodes", brokers[1].SeedNode]);
            brokers[3] = await BrokerProcess.StartAsync(dirs[2], extraConfig: config, extraArgs: ["--broker-id", "3", "--seed-nodes", brokers[1].SeedNode]);
            await BrokerProcess.WaitForToolAsync(["cluster", "describe", "--bootstrap-server", brokers[2].Bootstrap], o => o.Contains("Brokers: 3"), "three live brokers");
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = brokers[2].Bootstrap }).Build();
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = Topic, NumPartitions = Partitions, ReplicationFactor = 3, Configs = { ["min.insync.replicas"] = "2" },
            }]);
            using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = brokers[2].Bootstrap, LingerMs = 5 }).Build();
            await Task.WhenAll(Enumerable.Range(0, 10_000).Select(i => producer.ProduceAsync(Topic, new Message<string, string> { Key = "k" + i, Value = i.ToString() })));

            // The first group request creates the offsets topic; then a group is picked whose coordinator is not the
            // controller's broker (1), so the kill tests the group's failover rather than the controller's hand-over.
            await Eventually(() => admin.DescribeConsumerGroupAsync("probe"), "the offsets topic");
            var offsetsLeaders = (await Eventually(() => admin.GetMetadataAsync(["__consumer_offsets"]), "the offsets topic's leaders"))
                .Topics.Single().Partitions.ToDictionary(p => p.PartitionId, p => p.Leader);
            var group = Enumerable.Range(0, 100).Select(i => $"billing-{i}").First(g => offsetsLeaders[OffsetsPartitionFor(g, offsetsLeaders.Count)] is 2 or 3);
            var coordinator = offsetsLeaders[OffsetsPartitionFor(group, offsetsLeaders.Count)];

            // It stops after 10,000 records and closes (a last commit, then it leaves the group): nothing commits from
            // here on, so what the new coordinator serves can only be what the old one stored.
            consumer = StartConsumer(brokers[1].Bootstrap, group, "--max-messages", "10000");
            await WaitFor(() => consumer.Lines.ToArray().Any(l => l.Contains("\"shutdown_complete\"")), "the first member to consume 10,000 records and close", consumer);
            var before = await Eventually(() => admin.DescribeConsumerGroupAsync(group), "10,000 committed",
                d => d.CommittedOffsets.Sum(o => o.Offset.Value) >= 10_000);
            Assert.Equal(10_000, before.CommittedOffsets.Sum(o => o.Offset.Value));
            var committedBefore = before.CommittedOffsets.ToDictionary(o => o.Partition, o => o.Offset.Value);
            Assert.Equal(Partitions, committedBefore.Count);

            output.WriteLine($"group {group} is coordinated by broker {coordinator}; kill -9 of it");
            var killedAt = Stopwatch.StartNew();
            brokers[coordinator].KillHard();
            await Task.WhenAll(Enumerable.Range(10_000, 10_000).Select(i => producer.ProduceAsync(Topic, new Message<string, string> { Key = "k" + i, Value = i.ToString() })));

            var after = await Eventually(() => admin.DescribeConsumerGroupAsync(group), "the group described by its new coordinator");
            output.WriteLine($"the group's offsets were served again {killedAt.ElapsedMilliseconds} ms after the kill");
            Assert.Equal(committedBefore.OrderBy(kv => kv.Key), after.CommittedOffsets.ToDictionary(o => o.Partition, o => o.Offset.Value).OrderBy(kv => kv.Key));

            // A new member resumes at the committed offsets: the 10,000 records produced since, none before them.
            consumer = StartConsumer(brokers[1].Bootstrap, group);
            await WaitFor(() => Consumed(consumer).Distinct().Count() >= 10_000, "the 10,000 newer records consumed", consumer);
            var consumed = Consumed(consumer);
            output.WriteLine($"the new member consumed {consumed.Count}, distinct {consumed.Distinct().Count()}");
            Assert.All(consumed, c => Assert.True(c.Offset >= committedBefore[c.Partition],
                $"partition {c.Partition} offset {c.Offset} was consumed again, below the committed {committedBefore[c.Partition]}"));
            Assert.Equal(10_000, consumed.Distinct().Count());
        }
        finally
        {
            consumer?.Dispose();
            foreach (var b in brokers.Values) b.Dispose();
            foreach (var dir in dirs.Where(Directory.Exists))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                    // a process still closing its journal; the OS cleans the temp dir
                }
            }
        }
    }

    private static ToolProcess StartConsumer(string bootstrap, string group, params string[] more) =>
        BrokerProcess.StartTool(["verifiable-consumer", "--bootstrap-server", bootstrap, "--topic", Topic, "--group-id", group,
            "--enable-autocommit", "--consumer-property", "auto.commit.interval.ms=200", "--consumer-property", "heartbeat.interval.ms=500",
            "--consumer-property", "fetch.max.wait.ms=100", "--consumer-property", "auto.offset.reset=earliest", .. more]);

    private static int OffsetsPartitionFor(string groupId, int partitions) => Actors.Controller.ControllerState.OffsetsPartitionFor(groupId, partitions);

    private static List<(int Partition, long Offset)> Consumed(ToolProcess consumer) => VerifiableConsumerOutput.Consumed(consumer.Lines.ToArray());

    /// <summary>Asks until the answer is no retriable error (a coordinator or leader moving) and satisfies <paramref name="done"/>, for at most 60 s.</summary>
    private static async Task<T> Eventually<T>(Func<Task<T>> ask, string what, Func<T, bool>? done = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var answer = await ask();
                if (done == null || done(answer)) return answer;
                if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"expected {what} within 60 s");
                await Task.Delay(200);
            }
            catch (KafkaException e) when (e.Error.IsRetriable && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(200);
            }
            catch (KafkaException e) when (clock.Elapsed >= TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"expected {what} within 60 s; last error: {e.Error}", e);
            }
        }
    }

    private static async Task WaitFor(Func<bool> condition, string what, ToolProcess tool)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(90)) Assert.Fail($"expected {what} within 90 s; consumer stderr:\n{tool.Stderr}");
            await Task.Delay(100);
        }
    }
}
