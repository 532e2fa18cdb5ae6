using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// Three brokers in one cluster: a topic's partitions are spread over them, each replica runs (and journals) on the
/// broker the controller assigned it to, clients reach every partition through its leader, and a broker that stops and
/// comes back serves its partitions' records again from its own journal.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class PartitionPlacementSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task Partitions_live_on_their_assigned_brokers_and_come_back_with_a_restarted_broker()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        const string topic = "spread";
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(2) }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 6, ReplicationFactor = 1 }]);
            var metadata = await admin.GetMetadataAsync([topic]);
            Assert.Equal([1, 2, 3], metadata.Brokers.Select(b => b.BrokerId).Order());
            var leaders = metadata.Topics.Single().Partitions.ToDictionary(p => p.PartitionId, p => p.Leader);
            Assert.All(new[] { 1, 2, 3 }, b => Assert.Equal(2, leaders.Values.Count(l => l == b)));

            var refused = await Assert.ThrowsAsync<CreateTopicsException>(() =>
                admin.CreateTopicsAsync([new TopicSpecification { Name = "rf4", NumPartitions = 1, ReplicationFactor = 4 }]));
            Assert.Equal(AkkaBroker.Client.ErrorCode.InvalidReplicationFactor, Assert.Single(refused.Results).Error.Code);

            // Produce 10 records to every partition through a client that bootstraps from broker 3.
            using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.Bootstrap(3) }).Build())
                for (var p = 0; p < 6; p++)
                for (var i = 0; i < 10; i++)
                    await producer.ProduceAsync(new TopicPartition(topic, p), new Message<string, string> { Key = $"k{i}", Value = $"p{p}-{i}" });

            // Each broker's region hosts exactly its own shard, holding the replicas it leads.
            foreach (var (id, broker) in cluster.Brokers)
            {
                var state = await broker.Node.PartitionRegion.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
                var shard = Assert.Single(state.Shards);
                Assert.Equal($"broker-{id}", shard.ShardId);
                var expected = leaders.Where(kv => kv.Value == id).Select(kv => $"{topic}-{kv.Key}@{id}").Order();
                Assert.Equal(expected, shard.EntityIds.Where(e => e.StartsWith(topic + "-", StringComparison.Ordinal)).Order());
            }

            Assert.Equal(60, ReadAll(cluster.Bootstrap(1), topic, 60).Count);

            // Broker 3 leaves: its partitions have no leader until it is back.
            await cluster.StopBrokerAsync(3);
            await cluster.WaitForMembersAsync(2);
            var offline = await ThreeBrokerCluster.WaitForAsync(async () =>
            {
                var m = await admin.GetMetadataAsync([topic]);
                var parts = m.Topics.Single().Partitions.Where(p => leaders[p.PartitionId] == 3).ToArray();
                // The ISR keeps the one replica, so it may lead again when it returns (no other replica could).
                return parts.All(p => p.Leader == -1 && p.InSyncReplicas.SequenceEqual([3])) ? parts : null;
            }, "broker 3's partitions to lose their leader in metadata");
            Assert.Equal(2, offline.Length);
            Assert.Equal(2, ObservedGauge("akkabroker.offline_partitions", ("controller", 1)));
            Assert.Equal(2, ObservedGauge("akkabroker.leader_count", ("broker", 1)));
            Assert.Equal(1, ObservedGauge("akkabroker.controller.active", ("controller", 1)));
        }

        var clock = Stopwatch.StartNew();
        await cluster.StartBrokerAsync(3);
        await cluster.WaitForMembersAsync(3);
        await cluster.WaitForControllerToSeeAsync(3);
        output.WriteLine($"broker 3 back and Up in {clock.ElapsedMilliseconds} ms");
        var records = ReadAll(cluster.Bootstrap(1), topic, 60);
        Assert.Equal(60, records.Count);
        foreach (var p in Enumerable.Range(0, 6))
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"p{p}-{i}"), records.Where(r => r.Partition == p).OrderBy(r => r.Offset.Value).Select(r => r.Message!.Value));
    }

    /// <summary>The current value of one of the broker's observable gauges, for the measurement carrying the tag.</summary>
    private static long ObservedGauge(string name, (string Key, object Value) tag)
    {
        long? value = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Actors.Metrics.BrokerMetrics.MeterName && instrument.Name == name) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, measurement, tags, _) =>
        {
            foreach (var t in tags)
                if (t.Key == tag.Key && Equals(t.Value, tag.Value)) value = measurement;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return value ?? throw new InvalidOperationException($"gauge {name} has no measurement tagged {tag.Key}={tag.Value}");
    }

    private static List<ConsumeResult<string, string>> ReadAll(string bootstrap, string topic, int expected)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, FetchWaitMaxMs = 50 }).Build();
        consumer.Assign(Enumerable.Range(0, 6).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var result = new List<ConsumeResult<string, string>>();
        var clock = Stopwatch.StartNew();
        while (result.Count < expected)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"expected {expected} records within 30 s, got {result.Count}");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } r) result.Add(r);
        }
        return result;
    }
}
