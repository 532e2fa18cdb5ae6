using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using AkkaBroker.Protocol.Serialization;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;
using TopicPartition = AkkaBroker.Client.TopicPartition;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// Compaction and retention on a replicated topic (three brokers, replication factor 3) with a leader change in the
/// middle: every replica cleans its own log, the broker that was down comes back behind its leader's log start and
/// starts again there, and for every offset that two replicas both hold they hold the same record.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class ReplicatedLogCleanupSpec(ITestOutputHelper output)
{
    private const string Topic = "cleaned";
    private const int Keys = 50;

    [Fact]
    public async Task Replicas_clean_their_own_logs_and_never_serve_different_records_for_the_same_offset()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync(extraConfig: """
            akkabroker.broker.log.retention.check.interval.ms = 200
            akkabroker.broker.log.cleaner.backoff.ms = 200
            """);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = Topic, NumPartitions = 3, ReplicationFactor = 3,
            Configs = new()
            {
                ["min.insync.replicas"] = "2", ["cleanup.policy"] = "compact,delete", ["segment.bytes"] = "16384",
                ["retention.bytes"] = "100000", ["delete.retention.ms"] = "0",
            },
        }]);
        // A partition not led by broker 1, so the crash below does not also move the controller.
        var p = (await admin.GetMetadataAsync([Topic])).Topics.Single().Partitions.First(x => x.Leader != 1);
        var tp = new TopicPartition(Topic, p.PartitionId);
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var m = (await admin.GetMetadataAsync([Topic])).Topics.Single().Partitions.Single(x => x.PartitionId == tp.Partition);
            return m.InSyncReplicas.Length == 3 ? m : null;
        }, "three in-sync replicas");
        var leader = p.Leader;
        var survivor = p.Replicas.First(r => r != leader);
        output.WriteLine($"partition {tp.Partition}: leader {leader}, replicas {string.Join(",", p.Replicas)}");

        using (var producer = Replication.Producer(cluster.Bootstrap(survivor), Acks.All))
        {
            await ProduceAsync(producer, tp, 0, 4000);
            await WaitForCleaningAsync(admin, tp, 1, "the first leader's cleaning");
            await cluster.CrashBrokerAsync(leader);
            // The new leader takes more updates: enough that retention moves its log start past all the crashed broker had.
            await ProduceAsync(producer, tp, 4000, 8000);
        }
        var cleaned = await WaitForCleaningAsync(admin, tp, 6000, "the new leader's cleaning of what it took after the crash");
        output.WriteLine($"new leader's log: {cleaned}");

        await cluster.WaitForMembersAsync(2);
        await cluster.StartBrokerAsync(leader);
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var m = (await admin.GetMetadataAsync([Topic])).Topics.Single().Partitions.Single(x => x.PartitionId == tp.Partition);
            return m.InSyncReplicas.Length == 3 ? m : null;
        }, "the returning broker back in the ISR");

        // Every replica cleans its own log: wait until each holds far fewer records than were written, then compare.
        var pid = $"partition-{Topic}-{tp.Partition}";
        Dictionary<int, SortedDictionary<long, string>> logs = new();
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            await Task.Yield();
            logs = cluster.Brokers.ToDictionary(b => b.Key, b => ReplicaJournalFiles.ReadReplica(b.Value.DataDir, pid));
            return logs.Values.All(l => l.Count < 4000) ? logs : null;
        }, "every replica compacted");
        foreach (var (broker, log) in logs)
            output.WriteLine($"broker {broker}: {log.Count} records from offset {log.Keys.First()} to {log.Keys.Last()}");

        var compared = 0;
        foreach (var (a, logA) in logs)
        foreach (var (b, logB) in logs.Where(x => x.Key > a))
        foreach (var (offset, record) in logA)
        {
            if (!logB.TryGetValue(offset, out var other)) continue;
            compared++;
            Assert.True(record == other, $"offset {offset}: broker {a} holds {record}, broker {b} holds {other}");
        }
        output.WriteLine($"{compared} offsets held by two replicas compared, all equal");
        Assert.True(compared > 0);

        // And a consumer reading from the beginning sees each key's last value.
        var values = await Replication.ReadAllAsync(cluster.Bootstrap(survivor), Topic, 1, tp.Partition);
        var last = values.GroupBy(v => v.Split('=')[0]).ToDictionary(g => g.Key, g => g.Last());
        Assert.Equal(Keys, last.Count);
        Assert.All(last, kv => Assert.StartsWith($"{kv.Key}=79", kv.Value));
    }

    private static async Task ProduceAsync(IProducer<string, string> producer, TopicPartition tp, int from, int to)
    {
        var pending = new List<Task>();
        for (var i = from; i < to; i++)
            pending.Add(producer.ProduceAsync(tp, new Message<string, string> { Key = $"k{i % Keys}", Value = $"k{i % Keys}={i}:{new string('x', 60)}" }));
        await Task.WhenAll(pending);
    }

    private static Task<PartitionLogDescription> WaitForCleaningAsync(IAdminClient admin, TopicPartition tp, long cleanedUpTo, string what) =>
        ThreeBrokerCluster.WaitForAsync(async () =>
        {
            try
            {
                var log = await admin.DescribeLogAsync(tp);
                return log.CleanedUpTo >= cleanedUpTo ? log : null;
            }
            catch (KafkaException)
            {
                return null; // leadership is moving
            }
        }, what);
}
