using System.Diagnostics;
using System.Text.Json;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// Cooperative-sticky with real processes: when a third member joins, the two members already there give up only the
/// partitions that move, and keep consuming the ones they keep while the rebalance runs, even when the newcomer is slow
/// to poll and so holds each round open.
/// </summary>
public class CooperativeRebalanceTests(ITestOutputHelper output)
{
    private sealed record Event(long Timestamp, string Name, int[] Partitions);

    private static List<Event> Events(ToolProcess tool) =>
        tool.Lines.Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            var partitions = e.TryGetProperty("partitions", out var ps)
                ? ps.EnumerateArray().Select(p => p.GetProperty("partition").GetInt32()).ToArray()
                : [];
            return new Event(e.GetProperty("timestamp").GetInt64(), e.GetProperty("name").GetString()!, partitions);
        }).ToList();

    [Fact]
    public async Task Members_that_keep_partitions_keep_consuming_them_while_a_new_member_joins()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-" + Guid.NewGuid().ToString("N"));
        using var broker = await BrokerProcess.StartAsync(dataDir, extraConfig: "akkabroker.broker.group.initial.rebalance.delay.ms = 0");
        const string topic = "coop";
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 6 }]);

        // A steady stream of records into every partition for the whole test.
        using var stop = new CancellationTokenSource();
        var producing = Task.Run(async () =>
        {
            using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 1 }).Build();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await producer.ProduceAsync(new TopicPartition(topic, i % 6), new Message<Null, string> { Value = i.ToString() });
                if (i % 60 == 0) await Task.Delay(5);
            }
        });
        ToolProcess Member(string id) => BrokerProcess.StartTool("verifiable-consumer", "--bootstrap-server", broker.Bootstrap, "--topic", topic,
            "--group-id", "coop-group", "--assignment-strategy", "cooperative-sticky", "--session-timeout", "10000",
            "--consumer-property", "fetch.max.wait.ms=50", "--consumer-property", $"client.id={id}");

        using var first = Member("first");
        using var second = Member("second");
        try
        {
            await WaitFor(() => Events(first).Concat(Events(second)).Where(e => e.Name == "partitions_assigned").SelectMany(e => e.Partitions).Distinct().Count() == 6
                                && Events(first).Any(e => e.Name == "records_consumed") && Events(second).Any(e => e.Name == "records_consumed"),
                "the first two members to share all six partitions and consume");
            // The second's arrival is a cooperative rebalance of its own (two rounds): wait until it has settled.
            await WaitFor(() => Owned(Events(first), long.MaxValue).Length + Owned(Events(second), long.MaxValue).Length == 6
                                && Owned(Events(first), long.MaxValue).Length > 0 && Owned(Events(second), long.MaxValue).Length > 0,
                "the first two members to settle on a split");
            // The newcomer polls only every 2 s, as an application busy with each batch does. The coordinator waits for
            // it to rejoin, so the rebalance lasts seconds: long enough for the members that keep partitions to show
            // they keep consuming them even on a loaded machine, where a sub-second window may hold no batch at all.
            long thirdAssignedAt = 0;
            using var third = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
                {
                    BootstrapServers = broker.Bootstrap, GroupId = "coop-group", ClientId = "third", SessionTimeoutMs = 10000,
                    PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
                })
                .SetPartitionsAssignedHandler((_, tps) =>
                {
                    if (tps.Count > 0 && thirdAssignedAt == 0) thirdAssignedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                })
                .Build();
            // The rebalance runs from the third member's subscribe (its first Consume joins at once) to its assignment.
            var joinedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            third.Subscribe(topic);
            var clock = Stopwatch.StartNew();
            while (thirdAssignedAt == 0)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "expected the third member to get partitions within 60 s");
                third.Consume(TimeSpan.FromMilliseconds(100));
                if (thirdAssignedAt == 0) await Task.Delay(2000);
            }
            output.WriteLine($"rebalance window {thirdAssignedAt - joinedAt} ms");

            foreach (var (name, member) in new[] { ("first", first), ("second", second) })
            {
                var events = Events(member);
                var before = Owned(events, joinedAt);
                var after = Owned(events, long.MaxValue);
                var kept = before.Intersect(after).ToArray();
                var revoked = events.Where(e => e.Name == "partitions_revoked" && e.Timestamp >= joinedAt).SelectMany(e => e.Partitions).ToArray();
                output.WriteLine($"{name}: owned {string.Join(",", before)} → {string.Join(",", after)}; revoked {string.Join(",", revoked)}");
                Assert.NotEmpty(kept);
                // Only moving partitions are revoked...
                Assert.Empty(revoked.Intersect(kept));
                // ...and the kept ones are consumed during the rebalance, between the join and the newcomer's assignment.
                Assert.Contains(events, e => e.Name == "records_consumed" && e.Timestamp > joinedAt && e.Timestamp < thirdAssignedAt && e.Partitions.Intersect(kept).Any());
            }
        }
        finally
        {
            await stop.CancelAsync();
            await producing;
        }
        Directory.Delete(dataDir, recursive: true);
    }

    /// <summary>The member's partitions as of <paramref name="until"/>: assignments added, revocations removed, in order.</summary>
    private static int[] Owned(IEnumerable<Event> events, long until)
    {
        var owned = new SortedSet<int>();
        foreach (var e in events.Where(e => e.Timestamp < until))
        {
            if (e.Name == "partitions_assigned") owned.UnionWith(e.Partitions);
            if (e.Name is "partitions_revoked" or "partitions_lost") owned.ExceptWith(e.Partitions);
        }
        return owned.ToArray();
    }

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"expected {what} within 60 s");
            await Task.Delay(50);
        }
    }
}
