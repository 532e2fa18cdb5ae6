using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;
using TopicPartition = AkkaBroker.Client.TopicPartition;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// Kafka's partition reassignment with three brokers: a partition moves off a broker onto the one that had none of it,
/// while keeping every acknowledged record, and producers and consumers carry on through the leadership changes.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class ReassignmentSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task A_partition_moves_to_a_new_broker_with_every_record_and_leaves_the_old_one()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        var bootstrap = cluster.Bootstrap(1);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "moved", NumPartitions = 1, ReplicationFactor = 2 }]);
        var before = await Replication.WaitForPartitionAsync(admin, "moved", p => p.Leader > 0 && p.InSyncReplicas.Length == 2, "two in-sync replicas");
        var newcomer = new[] { 1, 2, 3 }.Single(b => !before.Replicas.Contains(b));
        var (leaving, staying) = (before.Replicas[0], before.Replicas[1]);
        output.WriteLine($"replicas {string.Join(",", before.Replicas)} led by {before.Leader}: moving from {leaving} to {newcomer}");

        using var producer = Replication.Producer(bootstrap, Acks.All);
        for (var i = 0; i < 300; i++) await producer.ProduceAsync("moved", new Message<string, string> { Key = "k", Value = $"before-{i}" });

        var tp = new TopicPartition("moved", 0);
        // Throttled so the new replica copies the log (~20 KB) in several paced fetches over a few seconds.
        await admin.AlterPartitionReassignmentsAsync(new Dictionary<TopicPartition, IReadOnlyList<int>?> { [tp] = [newcomer, staying] }, throttleBytesPerSecond: 8_000);
        var inProgress = await admin.ListPartitionReassignmentsAsync();
        // It may have finished already; if not, it says what it adds and removes.
        if (inProgress.SingleOrDefault() is { } ongoing)
        {
            Assert.Equal([newcomer], ongoing.AddingReplicas);
            Assert.Equal([leaving], ongoing.RemovingReplicas);
        }
        var refused = await Assert.ThrowsAsync<AlterPartitionReassignmentsException>(() =>
            admin.AlterPartitionReassignmentsAsync(new Dictionary<TopicPartition, IReadOnlyList<int>?> { [tp] = [newcomer, 9] }));
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, Assert.Single(refused.Results).Error.Code);

        var moving = System.Diagnostics.Stopwatch.StartNew();
        await ThreeBrokerCluster.WaitForAsync(async () => (await admin.ListPartitionReassignmentsAsync()).Count == 0 ? "done" : null, "the reassignment to finish");
        output.WriteLine($"moved {(await admin.DescribeLogAsync(new TopicPartition("moved", 0))).SizeBytes} bytes in {moving.Elapsed.TotalSeconds:0.0} s");
        var after = await Replication.WaitForPartitionAsync(admin, "moved", p => p.Replicas.SequenceEqual([newcomer, staying]) && p.Leader > 0 && p.InSyncReplicas.Length == 2,
            $"replicas {newcomer},{staying}, both in sync");
        Assert.DoesNotContain(leaving, after.InSyncReplicas);
        Assert.NotEqual(leaving, after.Leader);

        for (var i = 0; i < 100; i++) await producer.ProduceAsync("moved", new Message<string, string> { Key = "k", Value = $"after-{i}" });
        var read = await Replication.ReadAllAsync(bootstrap, "moved", 400);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"before-{i}").Concat(Enumerable.Range(0, 100).Select(i => $"after-{i}")), read);

        // The new leader holds the whole log; the leaving broker's copy is deleted, the newcomer's is whole.
        var log = await admin.DescribeLogAsync(tp);
        Assert.Equal((0, 400), (log.LogStartOffset, log.LogEndOffset));
        await ThreeBrokerCluster.WaitForAsync(() => Task.FromResult(
            ReplicaJournalFiles.ReadReplica(cluster.DataDirOf(leaving), "partition-moved-0").Count == 0 ? "deleted" : null),
            $"broker {leaving}'s replica deleted from its journal");
        await ThreeBrokerCluster.WaitForAsync(() => Task.FromResult(
            ReplicaJournalFiles.ReadReplica(cluster.DataDirOf(newcomer), "partition-moved-0").Count == 400 ? "whole" : null),
            $"broker {newcomer}'s replica holding all 400 records");

        // Per-broker sizes (kafka-log-dirs): the two replicas now, equal once the follower caught up.
        var replicas = await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var described = await admin.DescribeReplicaLogsAsync(topics: ["moved"]);
            return described.All(r => r.LogEndOffset == 400 && r.OffsetLag == 0) ? described : null;
        }, "both replicas described at log end 400");
        Assert.Equal(new[] { newcomer, staying }.Order(), replicas.Select(r => r.BrokerId));
        Assert.Single(replicas, r => r.IsLeader);
        Assert.Equal(replicas[0].SizeBytes, replicas[1].SizeBytes);
    }

    [Fact]
    public async Task A_running_reassignment_copies_at_the_rate_a_dynamic_broker_config_sets()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        var bootstrap = cluster.Bootstrap(1);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "paced", NumPartitions = 1, ReplicationFactor = 1 }]);
        var before = await Replication.WaitForPartitionAsync(admin, "paced", p => p.Leader > 0, "a leader");
        var newcomer = new[] { 1, 2, 3 }.First(b => b != before.Leader);
        using var producer = Replication.Producer(bootstrap, Acks.All);
        var value = new string('x', 1000);
        for (var i = 0; i < 300; i++) await producer.ProduceAsync("paced", new Message<string, string> { Key = $"{i}", Value = value });

        // ~300 KB at 1,000 bytes/s would take five minutes, far past the wait below ...
        var tp = new TopicPartition("paced", 0);
        await admin.AlterPartitionReassignmentsAsync(new Dictionary<TopicPartition, IReadOnlyList<int>?> { [tp] = [newcomer] }, throttleBytesPerSecond: 1_000);
        Assert.Single(await admin.ListPartitionReassignmentsAsync());

        // ... until the operator raises the new replica's broker's rate while it runs, as with Kafka's kafka-configs.
        var broker = new ConfigResource { Type = ResourceType.Broker, Name = $"{newcomer}" };
        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [broker] = [new ConfigEntry { Name = "follower.replication.throttled.rate", Value = "50000000", IncrementalOperation = AlterConfigOpType.Set }],
        });
        var rate = (await admin.DescribeConfigsAsync([broker])).Single().Entries["follower.replication.throttled.rate"];
        Assert.Equal(("50000000", ConfigSource.DynamicBrokerConfig), (rate.Value, rate.Source));

        var moving = System.Diagnostics.Stopwatch.StartNew();
        await ThreeBrokerCluster.WaitForAsync(async () => (await admin.ListPartitionReassignmentsAsync()).Count == 0 ? "done" : null, "the reassignment to finish");
        output.WriteLine($"moved {(await admin.DescribeLogAsync(tp)).SizeBytes} bytes in {moving.Elapsed.TotalSeconds:0.0} s after the rate was raised");
        var after = await Replication.WaitForPartitionAsync(admin, "paced", p => p.Replicas.SequenceEqual([newcomer]) && p.Leader == newcomer, $"broker {newcomer} alone");
        Assert.Equal([newcomer], after.InSyncReplicas);
        Assert.Equal(300, (await Replication.ReadAllAsync(bootstrap, "paced", 300)).Count);
    }
}
