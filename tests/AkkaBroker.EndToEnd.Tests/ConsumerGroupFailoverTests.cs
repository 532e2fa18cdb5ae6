using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// Kafka's consumer-group bar with real processes: three verifiable consumers share a 12-partition topic, one is
/// killed with -9, its partitions move to the others within the session timeout, every record is consumed, and the
/// only duplicates are the records the dead member consumed after its last commit.
/// </summary>
public class ConsumerGroupFailoverTests(ITestOutputHelper output)
{
    private const string Topic = "failover";
    private const int Partitions = 12;
    private const int SessionTimeoutMs = 6000;

    /// <summary>What one verifiable consumer reported, parsed from its JSON lines.</summary>
    private sealed class Report(IReadOnlyList<string> lines)
    {
        public List<(int Partition, long Offset)> Consumed { get; } = new();
        public List<(long Timestamp, int[] Partitions)> Assigned { get; } = new();

        public Report Parse()
        {
            var snapshot = lines.ToArray();
            Consumed.AddRange(VerifiableConsumerOutput.Consumed(snapshot));
            foreach (var line in snapshot)
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                if (e.GetProperty("name").GetString() == "partitions_assigned")
                    Assigned.Add((e.GetProperty("timestamp").GetInt64(),
                        e.GetProperty("partitions").EnumerateArray().Select(p => p.GetProperty("partition").GetInt32()).ToArray()));
            }
            return this;
        }
    }

    [Fact]
    public async Task A_consumer_killed_with_minus_9_hands_its_partitions_over_and_only_its_uncommitted_records_are_consumed_twice()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-" + Guid.NewGuid().ToString("N"));
        using var broker = await BrokerProcess.StartAsync(dataDir, extraConfig: "akkabroker.broker.group.initial.rebalance.delay.ms = 1000");
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = Partitions }]);
        var acked = new ConcurrentDictionary<(int, long), bool>();
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 5 }).Build();

        async Task ProduceAsync(int from, int count)
        {
            var tasks = Enumerable.Range(from, count).Select(async i =>
            {
                var r = await producer.ProduceAsync(Topic, new Message<string, string> { Key = "k" + i, Value = i.ToString() });
                acked[(r.Partition, r.Offset.Value)] = true;
            });
            await Task.WhenAll(tasks);
        }

        await ProduceAsync(0, 20_000);
        var consumers = Enumerable.Range(0, 3).Select(i => BrokerProcess.StartTool("verifiable-consumer", "--bootstrap-server", broker.Bootstrap,
            "--topic", Topic, "--group-id", "failover-group", "--session-timeout", SessionTimeoutMs.ToString(),
            "--consumer-property", "heartbeat.interval.ms=500", "--consumer-property", "fetch.max.wait.ms=100",
            // Auto-commit once a second, so a member killed mid-stream leaves consumed-but-uncommitted records behind.
            "--enable-autocommit", "--consumer-property", "auto.commit.interval.ms=1000",
            "--consumer-property", $"client.id=consumer-{i}")).ToArray();
        try
        {
            // All three hold partitions and the first 20,000 records are consumed.
            await WaitFor(() => consumers.All(c => new Report(c.Lines).Parse().Assigned.Count > 0)
                                && consumers.SelectMany(c => new Report(c.Lines).Parse().Consumed).Distinct().Count() >= 20_000,
                "three members with partitions and the first 20,000 records consumed", consumers);

            // Kill one while it is consuming the next records.
            var more = ProduceAsync(20_000, 20_000);
            var dead = consumers[0];
            var consumedBeforeKill = new Report(dead.Lines).Parse().Consumed.Count;
            await WaitFor(() => new Report(dead.Lines).Parse().Consumed.Count > consumedBeforeKill, "the doomed consumer to consume more", consumers);
            dead.KillHard();
            var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            // The group's committed offsets right after the kill are the dead member's last commits: nobody else owns
            // its partitions until its session expires.
            Dictionary<int, long> committedAtKill;
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
                committedAtKill = (await admin.DescribeConsumerGroupAsync("failover-group")).CommittedOffsets.ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
            await more;
            await ProduceAsync(40_000, 20_000);

            var deadReport = new Report(dead.Lines).Parse();
            var deadPartitions = deadReport.Assigned.Last().Partitions;
            await WaitFor(() => consumers.Skip(1).SelectMany(c => new Report(c.Lines).Parse().Consumed).Concat(deadReport.Consumed).Distinct().Count() >= 60_000,
                "every record consumed by the group", consumers);

            var survivors = consumers.Skip(1).Select(c => new Report(c.Lines).Parse()).ToArray();
            var takeover = survivors.SelectMany(s => s.Assigned).Where(a => a.Timestamp > killedAt && a.Partitions.Intersect(deadPartitions).Any())
                .Select(a => a.Timestamp - killedAt).DefaultIfEmpty(long.MaxValue).Min();
            output.WriteLine($"dead member held {string.Join(",", deadPartitions)}; taken over {takeover} ms after kill -9");
            Assert.True(takeover <= SessionTimeoutMs + 5000, $"its partitions should move within the session timeout ({SessionTimeoutMs} ms) plus a rebalance, took {takeover} ms");

            // Every acknowledged record consumed at least once.
            var all = survivors.SelectMany(s => s.Consumed).Concat(deadReport.Consumed).ToList();
            var consumedSet = all.ToHashSet();
            var lost = acked.Keys.Where(k => !consumedSet.Contains(k)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} acknowledged records were never consumed, e.g. {string.Join(", ", lost.Take(5))}");

            // The duplicates are exactly the records the dead member consumed after its last commit.
            var duplicates = all.GroupBy(x => x).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            var uncommitted = deadReport.Consumed.Where(x => !committedAtKill.TryGetValue(x.Partition, out var c) || x.Offset >= c).ToHashSet();
            output.WriteLine($"consumed {all.Count}, distinct {consumedSet.Count}, duplicates {duplicates.Count}, dead member's uncommitted {uncommitted.Count}");
            Assert.Equal(uncommitted.OrderBy(x => x), duplicates.OrderBy(x => x));
        }
        finally
        {
            foreach (var c in consumers) c.Dispose();
        }
        Directory.Delete(dataDir, recursive: true);
    }

    private static async Task WaitFor(Func<bool> condition, string what, ToolProcess[] tools)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(90))
                Assert.Fail($"expected {what} within 90 s; consumer stderr:\n{string.Join("\n---\n", tools.Select(t => t.Stderr))}");
            await Task.Delay(100);
        }
    }
}
