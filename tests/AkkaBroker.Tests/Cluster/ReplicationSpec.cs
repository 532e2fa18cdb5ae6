using System.Diagnostics;
using Akka.Actor;
using AkkaBroker.Client;
using CompressionType = AkkaBroker.Protocol.Records.CompressionType;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;
using Xunit.Abstractions;
using TopicPartition = AkkaBroker.Client.TopicPartition;
using PartitionMetadata = AkkaBroker.Client.PartitionMetadata;

namespace AkkaBroker.Tests.Cluster;

/// <summary>Helpers shared by the replication specs: metadata probes, producing and reading a partition whole.</summary>
internal static class Replication
{
    public static async Task<PartitionMetadata> PartitionAsync(IAdminClient admin, string topic, int partition = 0) =>
        (await admin.GetMetadataAsync([topic])).Topics.Single().Partitions.Single(p => p.PartitionId == partition);

    /// <summary>Waits until the partition's metadata satisfies <paramref name="condition"/>.</summary>
    public static Task<PartitionMetadata> WaitForPartitionAsync(IAdminClient admin, string topic, Func<PartitionMetadata, bool> condition, string what,
        int partition = 0) =>
        ThreeBrokerCluster.WaitForAsync(async () =>
        {
            try
            {
                var p = await PartitionAsync(admin, topic, partition);
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

    /// <summary>Every record of the partition (0 unless given) from the beginning, read from its current leader.</summary>
    public static async Task<List<string>> ReadAllAsync(string bootstrap, string topic, int expectedAtLeast, int partition = 0)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, EnablePartitionEof = true }).Build();
        consumer.Assign(new TopicPartitionOffset(new TopicPartition(topic, partition), Offset.Beginning));
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
        var before = await Replication.WaitForPartitionAsync(admin, "replicated", p => p.Leader > 0 && p.InSyncReplicas.Length == 3, "a leader with three in-sync replicas");
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
        var p = await Replication.WaitForPartitionAsync(admin, "strict", x => x.Leader > 0 && x.InSyncReplicas.Length == 3, "three in-sync replicas");
        var follower = p.Replicas.Last(r => r != p.Leader && r != 1); // keep broker 1 (the controller) running
        var tp = new Protocol.Messages.TopicPartition("strict", 0);

        Assert.Equal(AkkaBroker.Protocol.ErrorCode.None, (await ProduceAsync(cluster, p.Leader, tp, -1)).Error);
        await cluster.CrashBrokerAsync(follower);
        await Replication.WaitForPartitionAsync(admin, "strict", x => !x.InSyncReplicas.Contains(follower), $"broker {follower} out of the ISR");

        var refused = await ProduceAsync(cluster, p.Leader, tp, -1);
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.NotEnoughReplicas, refused.Error);
        Assert.Contains("min.insync.replicas 3", refused.ErrorMessage);
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.None, (await ProduceAsync(cluster, p.Leader, tp, 1)).Error);

        await cluster.StartBrokerAsync(follower);
        await Replication.WaitForPartitionAsync(admin, "strict", x => x.InSyncReplicas.Length == 3, $"broker {follower} back in the ISR");
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.None, (await ProduceAsync(cluster, p.Leader, tp, -1)).Error);
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
            return p.InSyncReplicas.Length == 2 ? p : null;
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
            return p.Leader == -1 && cluster3.Nodes.Any(b => b.Id == follower) ? p : null;
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
                return r.Error == AkkaBroker.Protocol.ErrorCode.None ? r : null;
            }, $"broker {broker} to take '{v}'");
            Assert.True(response.BaseOffset >= 0);
        }
    }

    private static async Task<List<string>> ReadAsync(ThreeBrokerCluster cluster, int broker, Protocol.Messages.TopicPartition tp, int count) =>
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var r = await cluster.Brokers[broker].Node.Gateway.Ask<FetchResponse>(new FetchRequest(tp, 0, 1 << 20, 1, 0), TimeSpan.FromSeconds(10));
            if (r.Error != AkkaBroker.Protocol.ErrorCode.None) return null;
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
        var p = await Replication.WaitForPartitionAsync(admin, "restarted", x => x.Leader > 0 && x.InSyncReplicas.Length == 3, "three in-sync replicas");
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

/// <summary>
/// A network partition (Akka.Remote's throttler blackhole) cuts off the broker that is both the controller and a
/// partition's leader. On its minority side it cannot acknowledge an acks=all write (its followers and the ISR change it
/// would need are out of reach), though it still appends acks=1 writes. The majority downs it, takes the controller over
/// and elects the in-sync follower; the downed broker shuts down. When it returns it truncates the records it took alone
/// and serves exactly what the new leader acknowledged.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class NetworkPartitionSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task An_isolated_leader_acknowledges_no_acks_all_write_and_returns_with_the_majoritys_log()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync(throttled: true, extraConfig: """
            # The isolated leader gives up on its follower after 1 s and asks its own (minority-side) controller to shrink
            # the ISR, well before the majority notices the partition (heartbeats may pause 8 s).
            akkabroker.broker.replica.lag.time.max.ms = 1000
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 8s
            """);
        var gateway = cluster.Brokers[2].Node.Gateway;
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.None, (await gateway.Ask<TopicOperationResponse>(
            new CreateTopicRequest("split", 3, 2, new Dictionary<string, string> { ["min.insync.replicas"] = "1" }, false), TimeSpan.FromSeconds(20))).Error);
        // A partition led by broker 1, the oldest member and so the controller.
        var p = await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var m = await MetadataAsync(gateway);
            return m?.Topics.Single().Partitions.FirstOrDefault(x => x.Leader == 1 && x.Isr.Count == 2);
        }, "a partition of 'split' led by broker 1 with two in-sync replicas");
        var tp = new Protocol.Messages.TopicPartition("split", p.Partition);
        var follower = p.Replicas.Single(r => r != 1);
        output.WriteLine($"{tp}: leader 1, follower {follower}");
        await ProduceAsync(cluster.Brokers[1].Node.Gateway, tp, -1, "common-1", "common-2");

        await cluster.IsolateAsync(1);
        var cutOff = cluster.Brokers[1].Node.Gateway;
        var divergent = await SendAsync(cutOff, tp, 1, "alone-1");
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.None, divergent.Error);
        // Never acknowledged, though it waits past replica.lag.time.max.ms: the leader's proposal to drop its follower from
        // the ISR cannot be recorded by a controller that reaches no majority.
        var refused = await SendAsync(cutOff, tp, -1, "alone-2", timeoutMs: 5_000);
        output.WriteLine($"acks=all on the isolated leader: {refused.Error} {refused.ErrorMessage}");
        Assert.NotEqual(AkkaBroker.Protocol.ErrorCode.None, refused.Error);
        var minorityView = await MetadataAsync(cutOff);
        Assert.NotNull(minorityView);
        Assert.Contains(follower, minorityView.Topics.Single().Partitions[tp.Partition].Isr);

        // The majority elects the in-sync follower and goes on.
        var majority = cluster.Brokers[follower].Node.Gateway;
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var m = await MetadataAsync(majority);
            return m?.Topics.Single().Partitions[tp.Partition].Leader == follower ? m : null;
        }, $"broker {follower} leading {tp} on the majority side");
        await ProduceAsync(majority, tp, -1, "after-1", "after-2");

        // Downed by the split brain resolver, broker 1 stops; it comes back on its own data directory.
        await cluster.WaitForShutdownAsync(1);
        cluster.JoinThrough(follower);
        await cluster.StartBrokerAsync(1);
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var m = await MetadataAsync(majority);
            return m?.Topics.Single().Partitions[tp.Partition].Isr.Contains(1) == true ? m : null;
        }, "broker 1 back in the ISR after truncating");

        // Broker 1's own copy: it leads again once the follower goes.
        string[] expected = ["common-1", "common-2", "after-1", "after-2"];
        Assert.Equal(expected, await ReadAsync(majority, tp, 4));
        await cluster.CrashBrokerAsync(follower);
        var returned = cluster.Brokers[1].Node.Gateway;
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var m = await MetadataAsync(returned);
            return m?.Topics.Single().Partitions[tp.Partition].Leader == 1 ? m : null;
        }, $"broker 1 leading {tp} again");
        var served = await ReadAsync(returned, tp, 4);
        output.WriteLine($"the returned broker serves: {string.Join(", ", served)}");
        Assert.Equal(expected, served);
    }

    /// <summary>The topic's metadata, or null while the controller is moving (the request gets no answer).</summary>
    private static async Task<MetadataResponse?> MetadataAsync(IActorRef gateway)
    {
        try
        {
            return await gateway.Ask<MetadataResponse>(new MetadataRequest(["split"], false), TimeSpan.FromSeconds(5));
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static async Task<ProduceResponse> SendAsync(IActorRef gateway, Protocol.Messages.TopicPartition tp, short acks, string value, int timeoutMs = 3_000)
    {
        var batch = new RecordBatchBuilder(CompressionType.None);
        batch.Append(1000, null, System.Text.Encoding.UTF8.GetBytes(value));
        try
        {
            return await gateway.Ask<ProduceResponse>(new ProduceRequest(tp, acks, timeoutMs, batch.Build()), TimeSpan.FromSeconds(10));
        }
        catch (AskTimeoutException)
        {
            return new ProduceResponse(tp, AkkaBroker.Protocol.ErrorCode.RequestTimedOut, "no answer", -1, -1, -1);
        }
    }

    private static async Task ProduceAsync(IActorRef gateway, Protocol.Messages.TopicPartition tp, short acks, params string[] values)
    {
        foreach (var v in values)
            await ThreeBrokerCluster.WaitForAsync(async () => (await SendAsync(gateway, tp, acks, v)) is { Error: AkkaBroker.Protocol.ErrorCode.None } r ? r : null, $"'{v}' acknowledged");
    }

    private static async Task<List<string>> ReadAsync(IActorRef gateway, Protocol.Messages.TopicPartition tp, int count) =>
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            FetchResponse r;
            try
            {
                r = await gateway.Ask<FetchResponse>(new FetchRequest(tp, 0, 1 << 20, 1, 0), TimeSpan.FromSeconds(10));
            }
            catch (AskTimeoutException)
            {
                return null;
            }
            if (r.Error != AkkaBroker.Protocol.ErrorCode.None) return null;
            var values = RecordBatch.ReadAll(r.Records).SelectMany(b => b.ReadRecords()).Select(x => System.Text.Encoding.UTF8.GetString(x.Value!)).ToList();
            return values.Count >= count ? values : null;
        }, $"{count} records readable");
}

/// <summary>
/// A follower cut off from its leader (a network partition shorter than the failure detector's patience, so it stays
/// a reachable cluster member) falls behind by more than <c>replica.lag.time.max.ms</c>: the leader takes it out of
/// the ISR through the controller, and puts it back once it has caught up after the partition heals.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class IsrShrinkAndExpandSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task A_lagging_follower_leaves_the_isr_and_rejoins_once_caught_up()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync(throttled: true, extraConfig: """
            akkabroker.broker.replica.lag.time.max.ms = 1000
            akkabroker.broker.replica.socket.timeout.ms = 2000
            # The cluster must not notice the partition: only replication may.
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 20s
            """);
        var gateway = cluster.Brokers[1].Node.Gateway;
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.None, (await gateway.Ask<TopicOperationResponse>(
            new CreateTopicRequest("lagging", 3, 3, new Dictionary<string, string>(), false), TimeSpan.FromSeconds(20))).Error);
        // A partition led by broker 1 (the controller, which stays reachable); broker 3 is the follower cut off.
        var p = await ThreeBrokerCluster.WaitForAsync(async () =>
            (await gateway.Ask<MetadataResponse>(new MetadataRequest(["lagging"], false), TimeSpan.FromSeconds(5)))
            .Topics.Single().Partitions.FirstOrDefault(x => x.Leader == 1 && x.Isr.Count == 3), "a partition led by broker 1 with three in-sync replicas");
        var tp = new Protocol.Messages.TopicPartition("lagging", p.Partition);
        var batch = new RecordBatchBuilder(CompressionType.None);
        batch.Append(1000, null, "before"u8.ToArray());
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.None, (await gateway.Ask<ProduceResponse>(new ProduceRequest(tp, -1, 10_000, batch.Build()), TimeSpan.FromSeconds(15))).Error);
        // The leader counts an ISR shrink only when the controller records one it proposed.
        long shrinks = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Actors.Metrics.BrokerMetrics.MeterName && instrument.Name == "akkabroker.isr_shrinks") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, measurement, _, _) => Interlocked.Add(ref shrinks, measurement));
        listener.Start();

        await cluster.IsolateAsync(3);
        var isolated = Stopwatch.StartNew();
        // As in Kafka, a follower is behind only once the leader has records it lacks (an idle one is never out of sync).
        var during = new RecordBatchBuilder(CompressionType.None);
        during.Append(1000, null, "during"u8.ToArray());
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.None, (await gateway.Ask<ProduceResponse>(new ProduceRequest(tp, 1, 10_000, during.Build()), TimeSpan.FromSeconds(15))).Error);
        var shrunk = await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var m = await gateway.Ask<MetadataResponse>(new MetadataRequest(["lagging"], false), TimeSpan.FromSeconds(5));
            return m.Topics.Single().Partitions[tp.Partition].Isr.Contains(3) ? null : m;
        }, "broker 3 out of the ISR");
        output.WriteLine($"{isolated.ElapsedMilliseconds} ms after the partition: ISR {string.Join(",", shrunk.Topics.Single().Partitions[tp.Partition].Isr)}, " +
                         $"unreachable: {string.Join(",", Akka.Cluster.Cluster.Get(cluster.Brokers[1].Node.System).State.Unreachable.Select(m => m.Address))}");
        // The leader's own decision (an AlterPartition it proposed), not the controller's reaction to a lost member.
        Assert.Empty(Akka.Cluster.Cluster.Get(cluster.Brokers[1].Node.System).State.Unreachable);
        // The controller's metadata can show the shrink a moment before the leader has the controller's answer and counts it.
        var counted = Stopwatch.StartNew();
        while (Interlocked.Read(ref shrinks) == 0 && counted.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        Assert.True(Interlocked.Read(ref shrinks) > 0, "the leader recorded no ISR shrink of its own within 10 s of the controller showing it");

        await cluster.HealAsync(3);
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var m = await gateway.Ask<MetadataResponse>(new MetadataRequest(["lagging"], false), TimeSpan.FromSeconds(5));
            return m.Topics.Single().Partitions[tp.Partition].Isr.Contains(3) ? m : null;
        }, "broker 3 back in the ISR");
    }
}
