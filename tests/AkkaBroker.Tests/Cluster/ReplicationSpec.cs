using System.Diagnostics;
using Akka.Actor;
using AkkaBroker.Client;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;
using Xunit.Abstractions;
using TopicPartition = AkkaBroker.Client.TopicPartition;

namespace AkkaBroker.Tests.Cluster;

/// <summary>Helpers shared by the replication specs: metadata probes, producing and reading a partition whole.</summary>
internal static class Replication
{
    public static async Task<PartitionInfo> PartitionAsync(IAdminClient admin, string topic, int partition = 0) =>
        (await admin.GetMetadataAsync([topic])).Topics.Single().Partitions.Single(p => p.PartitionId == partition);

    /// <summary>Waits until the partition's metadata satisfies <paramref name="condition"/>.</summary>
    public static Task<PartitionInfo> WaitForPartitionAsync(IAdminClient admin, string topic, Func<PartitionInfo, bool> condition, string what) =>
        ThreeBrokerCluster.WaitForAsync(async () =>
        {
            try
            {
                var p = await PartitionAsync(admin, topic);
                return condition(p) ? p : null;
            }
            catch (KafkaException)
            {
                return null; // the controller is moving
            }
        }, what);

    public static IProducer<string, string> Producer(string bootstrap, Acks acks) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrap, Acks = acks, EnableIdempotence = acks == Acks.All, LingerMs = 1, DeliveryTimeoutMs = 60_000,
        }).Build();

    /// <summary>Every record of partition 0 from the beginning, read from its current leader.</summary>
    public static async Task<List<string>> ReadAllAsync(string bootstrap, string topic, int expectedAtLeast)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, EnablePartitionEof = true }).Build();
        consumer.Assign(new TopicPartitionOffset(new TopicPartition(topic, 0), Offset.Beginning));
        var values = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var r = await Task.Run(() => consumer.Consume(cts.Token));
            if (r.IsPartitionEOF)
            {
                if (values.Count >= expectedAtLeast) return values;
                continue;
            }
            values.Add(r.Message!.Value);
        }
    }
}

/// <summary>
/// Kafka's replication guarantee with three brokers, replication factor 3 and min.insync.replicas 2: records
/// acknowledged with acks=all survive the crash of the partition's leader; a new leader is elected from the in-sync
/// replicas and the idempotent producer carries on without duplicates.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class LeaderFailoverSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task Records_acknowledged_with_acks_all_survive_the_crash_of_their_leader()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "replicated", NumPartitions = 1, ReplicationFactor = 3, Configs = { ["min.insync.replicas"] = "2" },
        }]);
        var before = await Replication.WaitForPartitionAsync(admin, "replicated", p => p.Leader > 0 && p.InSyncReplicas.Count == 3, "a leader with three in-sync replicas");
        var survivor = before.Replicas.First(r => r != before.Leader);
        output.WriteLine($"leader {before.Leader}, replicas {string.Join(",", before.Replicas)}");

        var acknowledged = new List<string>();
        using (var producer = Replication.Producer(cluster.Bootstrap(survivor), Acks.All))
        {
            for (var i = 0; i < 200; i++)
                acknowledged.Add((await producer.ProduceAsync("replicated", new Message<string, string> { Key = "k", Value = $"v{i}" })).Message.Value);

            var clock = Stopwatch.StartNew();
            await cluster.CrashBrokerAsync(before.Leader);
            // Keep producing through the failover: the producer finds the new leader by itself.
            for (var i = 200; i < 300; i++)
                acknowledged.Add((await producer.ProduceAsync("replicated", new Message<string, string> { Key = "k", Value = $"v{i}" })).Message.Value);
            output.WriteLine($"300 records acknowledged, the last 100 within {clock.ElapsedMilliseconds} ms of the leader's crash");
        }

        var after = await Replication.WaitForPartitionAsync(admin, "replicated", p => p.Leader > 0 && p.Leader != before.Leader, "a new leader");
        Assert.DoesNotContain(before.Leader, after.InSyncReplicas);
        Assert.Contains(after.Leader, before.InSyncReplicas);
        var read = await Replication.ReadAllAsync(cluster.Bootstrap(survivor), "replicated", acknowledged.Count);
        var lost = acknowledged.Except(read).Count();
        var duplicates = read.Count - read.Distinct().Count();
        output.WriteLine($"acknowledged {acknowledged.Count}, consumed {read.Count}, duplicates {duplicates}, lost {lost}");
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicates);
        Assert.Equal(acknowledged, read.Where(acknowledged.Contains).ToList());
    }
}

/// <summary>
/// min.insync.replicas protects acks=all writes: with fewer in-sync replicas than it asks for, the leader refuses them
/// with NOT_ENOUGH_REPLICAS (acks=1 writes are still taken), and takes them again once a replica is back in sync.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class MinInsyncReplicasSpec
{
    [Fact]
    public async Task An_acks_all_write_is_refused_while_the_isr_is_below_min_insync_replicas()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "strict", NumPartitions = 1, ReplicationFactor = 3, Configs = { ["min.insync.replicas"] = "3" },
        }]);
        var p = await Replication.WaitForPartitionAsync(admin, "strict", x => x.Leader > 0 && x.InSyncReplicas.Count == 3, "three in-sync replicas");
        var follower = p.Replicas.Last(r => r != p.Leader && r != 1); // keep broker 1 (the controller) running
        var tp = new Protocol.Messages.TopicPartition("strict", 0);

        Assert.Equal(ErrorCode.None, (await ProduceAsync(cluster, p.Leader, tp, -1)).Error);
        await cluster.CrashBrokerAsync(follower);
        await Replication.WaitForPartitionAsync(admin, "strict", x => !x.InSyncReplicas.Contains(follower), $"broker {follower} out of the ISR");

        var refused = await ProduceAsync(cluster, p.Leader, tp, -1);
        Assert.Equal(ErrorCode.NotEnoughReplicas, refused.Error);
        Assert.Contains("min.insync.replicas 3", refused.ErrorMessage);
        Assert.Equal(ErrorCode.None, (await ProduceAsync(cluster, p.Leader, tp, 1)).Error);

        await cluster.StartBrokerAsync(follower);
        await Replication.WaitForPartitionAsync(admin, "strict", x => x.InSyncReplicas.Count == 3, $"broker {follower} back in the ISR");
        Assert.Equal(ErrorCode.None, (await ProduceAsync(cluster, p.Leader, tp, -1)).Error);
    }

    private static Task<ProduceResponse> ProduceAsync(ThreeBrokerCluster cluster, int broker, Protocol.Messages.TopicPartition tp, short acks)
    {
        var batch = new RecordBatchBuilder(CompressionType.None);
        batch.Append(1000, null, "x"u8.ToArray());
        return cluster.Brokers[broker].Node.Gateway.Ask<ProduceResponse>(new ProduceRequest(tp, acks, 10_000, batch.Build()), TimeSpan.FromSeconds(15));
    }
}

/// <summary>
/// With no in-sync replica live, a partition stays offline unless unclean.leader.election.enable allows an
/// out-of-sync replica to lead. When the former leader returns, it cuts off what the new leader does not have
/// (leader-epoch truncation), catches up and rejoins the ISR, so both replicas serve the same records.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class UncleanElectionAndTruncationSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task A_returning_former_leader_truncates_its_divergent_records_and_follows_the_new_leader()
    {
        // Five brokers: with both of the partition's replicas down, a majority (three) still runs the cluster.
        await using var cluster = await ThreeBrokerCluster.StartAsync(brokers: 5);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        // A partition whose replicas are not on broker 1, so crashing them never touches the controller.
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "diverge", NumPartitions = 5, ReplicationFactor = 2 }]);
        var metadata = await admin.GetMetadataAsync(["diverge"]);
        var partition = metadata.Topics.Single().Partitions.FirstOrDefault(x => !x.Replicas.Contains(1));
        Assert.NotNull(partition);
        var topic = "diverge";
        var tp = new Protocol.Messages.TopicPartition(topic, partition.PartitionId);
        int leader = partition.Replicas[0], follower = partition.Replicas[1];
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var p = (await admin.GetMetadataAsync([topic])).Topics.Single().Partitions.Single(x => x.PartitionId == tp.Partition);
            return p.InSyncReplicas.Count == 2 ? p : null;
        }, "two in-sync replicas");

        // acks=all: acknowledged only once the follower has them too.
        await ProduceValuesAsync(cluster, leader, tp, -1, "common-1", "common-2");
        // The follower goes; the leader takes records it will never see (acks=1, min.insync.replicas 1).
        await cluster.CrashBrokerAsync(follower);
        await WaitForIsrAsync(admin, tp, isr => !isr.Contains(follower), $"broker {follower} out of the ISR");
        // Each crashed broker is downed and removed before the next step, so no node joins past unreachable members.
        await cluster.WaitForMembersAsync(4);
        await ProduceValuesAsync(cluster, leader, tp, 1, "lost-1", "lost-2", "lost-3");
        // Now the leader goes too and the out-of-sync follower returns: no in-sync replica is live.
        await cluster.CrashBrokerAsync(leader);
        await cluster.WaitForMembersAsync(3);
        await cluster.StartBrokerAsync(follower);
        var offline = await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var p = (await admin.GetMetadataAsync([topic])).Topics.Single().Partitions.Single(x => x.PartitionId == tp.Partition);
            var cluster3 = await admin.DescribeClusterAsync();
            return p.Leader == -1 && cluster3.Brokers.Any(b => b.BrokerId == follower) ? p : null;
        }, "the partition offline while only an out-of-sync replica is live");
        Assert.Equal([leader], offline.InSyncReplicas);

        await admin.IncrementalAlterConfigsAsync(topic, new Dictionary<string, string> { ["unclean.leader.election.enable"] = "true" });
        await WaitForLeaderAsync(admin, tp, follower);
        await ProduceValuesAsync(cluster, follower, tp, 1, "new-1", "new-2");

        await cluster.StartBrokerAsync(leader);
        await WaitForIsrAsync(admin, tp, isr => isr.Contains(leader), $"broker {leader} back in the ISR after truncating");
        var expected = new[] { "common-1", "common-2", "new-1", "new-2" };
        Assert.Equal(expected, await ReadAsync(cluster, follower, tp, 4));
        // The former leader's copy: give leadership back to it and read from it.
        await cluster.CrashBrokerAsync(follower);
        await WaitForLeaderAsync(admin, tp, leader);
        var fromFormerLeader = await ReadAsync(cluster, leader, tp, 4);
        output.WriteLine($"former leader serves: {string.Join(", ", fromFormerLeader)}");
        Assert.Equal(expected, fromFormerLeader);
    }

    private static async Task WaitForIsrAsync(IAdminClient admin, Protocol.Messages.TopicPartition tp, Func<IReadOnlyList<int>, bool> condition, string what) =>
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var p = (await admin.GetMetadataAsync([tp.Topic])).Topics.Single().Partitions.Single(x => x.PartitionId == tp.Partition);
            return condition(p.InSyncReplicas) ? p : null;
        }, what);

    private static async Task WaitForLeaderAsync(IAdminClient admin, Protocol.Messages.TopicPartition tp, int leader) =>
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var p = (await admin.GetMetadataAsync([tp.Topic])).Topics.Single().Partitions.Single(x => x.PartitionId == tp.Partition);
            return p.Leader == leader ? p : null;
        }, $"broker {leader} leading {tp}");

    private static async Task ProduceValuesAsync(ThreeBrokerCluster cluster, int broker, Protocol.Messages.TopicPartition tp, short acks, params string[] values)
    {
        foreach (var v in values)
        {
            var batch = new RecordBatchBuilder(CompressionType.None);
            batch.Append(1000, null, System.Text.Encoding.UTF8.GetBytes(v));
            var bytes = batch.Build();
            // The replica may still be taking up its leadership: retry until it answers without error.
            var response = await ThreeBrokerCluster.WaitForAsync(async () =>
            {
                var r = await cluster.Brokers[broker].Node.Gateway.Ask<ProduceResponse>(new ProduceRequest(tp, acks, 10_000, (byte[])bytes.Clone()), TimeSpan.FromSeconds(10));
                return r.Error == ErrorCode.None ? r : null;
            }, $"broker {broker} to take '{v}'");
            Assert.True(response.BaseOffset >= 0);
        }
    }

    private static async Task<List<string>> ReadAsync(ThreeBrokerCluster cluster, int broker, Protocol.Messages.TopicPartition tp, int count) =>
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var r = await cluster.Brokers[broker].Node.Gateway.Ask<FetchResponse>(new FetchRequest(tp, 0, 1 << 20, 1, 0), TimeSpan.FromSeconds(10));
            if (r.Error != ErrorCode.None) return null;
            var values = RecordBatch.ReadAll(r.Records).SelectMany(b => b.ReadRecords()).Select(x => System.Text.Encoding.UTF8.GetString(x.Value!)).ToList();
            return values.Count >= count ? values : null;
        }, $"{count} records readable from broker {broker}");
}

/// <summary>
/// A replica that restarts on its own (its actor stopped after a journal failure, say) has lost the role the
/// controller gave it; it asks the controller again instead of answering NOT_LEADER_OR_FOLLOWER for ever.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class ReplicaRestartSpec
{
    [Fact]
    public async Task A_leader_replica_that_restarted_takes_its_leadership_back_from_the_controller()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "restarted", NumPartitions = 1, ReplicationFactor = 3 }]);
        var p = await Replication.WaitForPartitionAsync(admin, "restarted", x => x.Leader > 0 && x.InSyncReplicas.Count == 3, "three in-sync replicas");
        using var producer = Replication.Producer(cluster.Bootstrap(1), Acks.All);
        Assert.Equal(0, (await producer.ProduceAsync("restarted", new Message<string, string> { Key = "k", Value = "before" })).Offset.Value);

        // Stop the leader's replica actor; the next message starts it again from its journal, with no role.
        var system = cluster.Brokers[p.Leader].Node.System;
        var replica = await system.ActorSelection($"/system/sharding/partition/broker-{p.Leader}/restarted-0%40{p.Leader}").ResolveOne(TimeSpan.FromSeconds(5));
        replica.Tell(PoisonPill.Instance);

        var after = await producer.ProduceAsync("restarted", new Message<string, string> { Key = "k", Value = "after" });
        Assert.Equal(1, after.Offset.Value);
        Assert.Equal(p.Leader, (await Replication.PartitionAsync(admin, "restarted")).Leader);
    }
}
