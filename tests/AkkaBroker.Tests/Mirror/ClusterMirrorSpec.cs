using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Mirror;
using AkkaBroker.Tests.Cluster;
using AkkaBroker.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Mirror;

/// <summary>
/// The mirror run inside the target cluster from a <c>mirror</c> HOCON block: its streams are sharded entities spread
/// over the three brokers, and when the broker hosting one of them crashes, that stream starts again on another broker
/// and every source record still reaches the target.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class ClusterMirrorSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task Streams_spread_over_the_brokers_and_move_when_a_broker_crashes_without_losing_a_record()
    {
        await using var source = await BrokerFixture.StartAsync();
        await using var target = await ThreeBrokerCluster.StartAsync(extraConfig: "akkabroker.broker.default.replication.factor = 3");
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = source.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 3 }]);
        var written = new List<string>();
        await ProduceAsync(source.Bootstrap, 0, 3000, written);

        var settings = MirrorMakerSettings.FromHocon(ConfigurationFactory.ParseString($$"""
            num.streams = 3
            include = orders
            offset.commit.interval.ms = 500
            emit.checkpoints.interval.seconds = 1
            consumer {
              bootstrap.servers = "{{source.Bootstrap}}"
              group.id = cluster-mirror
              auto.offset.reset = earliest
              session.timeout.ms = 6000
              heartbeat.interval.ms = 1000
            }
            producer { linger.ms = 5 }
            """), target.Bootstrap(1));
        foreach (var broker in target.Brokers.Values) ClusterMirror.Start(broker.Node.System, settings, hostsStreams: true);

        var targetBootstrap = string.Join(",", target.Brokers.Keys.Select(target.Bootstrap));
        var started = Stopwatch.StartNew();
        await ThreeBrokerCluster.WaitForAsync(async () => (await ReadAllAsync(targetBootstrap)).Count >= 3000 ? "" : null, "the first 3000 records on the target");
        output.WriteLine($"first 3000 records on the target after {started.ElapsedMilliseconds} ms");
        var hosts = await StreamHostsAsync(target);
        output.WriteLine("streams by broker: " + string.Join(", ", hosts.Select(kv => $"{kv.Key}: {string.Join(" ", kv.Value)}")));
        Assert.True(hosts.Count(kv => kv.Value.Count > 0) >= 2, "the three streams should be spread over at least two brokers");

        // The broker hosting a stream (not the first, the others' seed) crashes; its stream moves, nothing is lost.
        var victim = hosts.Where(kv => kv.Key != 1 && kv.Value.Count > 0).Select(kv => kv.Key).First();
        await target.CrashBrokerAsync(victim);
        var moved = Stopwatch.StartNew();
        await ProduceAsync(source.Bootstrap, 3000, 3000, written);
        targetBootstrap = string.Join(",", target.Brokers.Keys.Select(target.Bootstrap));
        await ThreeBrokerCluster.WaitForAsync(async () => (await ReadAllAsync(targetBootstrap)).IsSupersetOf(written) ? "" : null, "every source record on the target");
        output.WriteLine($"broker {victim} crashed; every record on the target {moved.ElapsedMilliseconds} ms later");
        // The crashed broker's stream runs again on a live one once the cluster has removed the broker.
        var after = await ThreeBrokerCluster.WaitForAsync(async () => await StreamHostsAsync(target) is var h && h.Values.Sum(v => v.Count) == 3 ? h : null,
            "the three streams running on the two live brokers");
        output.WriteLine($"streams by broker {moved.ElapsedMilliseconds} ms after the crash: " + string.Join(", ", after.Select(kv => $"{kv.Key}: {string.Join(" ", kv.Value)}")));
    }

    private static async Task ProduceAsync(string bootstrap, int from, int count, List<string> written)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5 }).Build();
        var sends = Enumerable.Range(from, count).Select(i => producer.ProduceAsync(new TopicPartition("orders", i % 3), new Message<string, string> { Key = $"k{i}", Value = $"v{i}" })).ToList();
        await Task.WhenAll(sends);
        written.AddRange(sends.Select(s => s.Result.Message.Value));
    }

    private static async Task<HashSet<string>> ReadAllAsync(string bootstrap)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, EnablePartitionEof = true }).Build();
        try
        {
            consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("orders", p, Offset.Beginning)));
            var values = new HashSet<string>();
            var atEnd = new HashSet<int>();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (atEnd.Count < 3 && DateTime.UtcNow < deadline)
            {
                var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
                if (r == null) continue;
                if (r.IsPartitionEOF) atEnd.Add(r.Partition);
                else values.Add(r.Message!.Value);
            }
            await Task.CompletedTask;
            return values;
        }
        catch (KafkaException)
        {
            return []; // the target topic is not there yet
        }
    }

    /// <summary>Which stream entities each running broker hosts, from the shard regions themselves.</summary>
    private static async Task<Dictionary<int, List<string>>> StreamHostsAsync(ThreeBrokerCluster cluster)
    {
        var hosts = new Dictionary<int, List<string>>();
        foreach (var (id, broker) in cluster.Brokers)
        {
            var region = ClusterSharding.Get(broker.Node.System).ShardRegion(ClusterMirror.RegionName);
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
            hosts[id] = state.Shards.SelectMany(s => s.EntityIds).OrderBy(e => e).ToList();
        }
        return hosts;
    }
}
