using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Client;
using Xunit;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// In a cluster, a group's coordinator runs on the broker Kafka's placement gives it (its offsets partition's broker),
/// whichever broker its members talk to, and its committed offsets come back with that broker after a restart.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class GroupCoordinatorPlacementSpec
{
    [Fact]
    public async Task A_group_is_coordinated_by_its_offsets_partition_broker_and_its_offsets_survive_that_brokers_restart()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        // The controller places the 50 offsets partitions over brokers 1-3 exactly as ControllerState.Assign does.
        var placement = ControllerState.Assign(ControllerState.OffsetsTopic, 0, 50, 1, [1, 2, 3]);
        var group = Enumerable.Range(0, 100).Select(i => $"placed-{i}").First(g => ControllerState.CoordinatorOf(g, placement) == 3);
        const string topic = "grouped";
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(2) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 3, ReplicationFactor = 1 }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.Bootstrap(1) }).Build())
            for (var i = 0; i < 30; i++)
                await producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });

        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
               {
                   BootstrapServers = cluster.Bootstrap(1), GroupId = group, AutoOffsetReset = AutoOffsetReset.Earliest,
                   EnableAutoCommit = false, FetchWaitMaxMs = 50, HeartbeatIntervalMs = 200,
               }).Build())
        {
            consumer.Subscribe(topic);
            var seen = 0;
            var clock = Stopwatch.StartNew();
            while (seen < 30)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"expected 30 records within 30 s, got {seen}");
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) != null) seen++;
            }
            consumer.Commit();
            consumer.Close();
        }

        foreach (var (id, broker) in cluster.Brokers)
        {
            var region = await broker.Node.System.ActorSelection("/system/sharding/group").ResolveOne(TimeSpan.FromSeconds(5));
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
            var entities = state.Shards.SelectMany(s => s.EntityIds.Select(e => (s.ShardId, e))).ToArray();
            if (id == 3) Assert.Contains(("broker-3", $"{group}@3"), entities);
            else Assert.DoesNotContain(entities, x => x.e.StartsWith(group + "@", StringComparison.Ordinal));
        }
        Assert.Equal(30, (await admin.DescribeConsumerGroupAsync(group)).CommittedOffsets.Sum(o => o.Offset.Value));

        await cluster.StopBrokerAsync(3);
        await cluster.WaitForMembersAsync(2);
        await cluster.StartBrokerAsync(3);
        await cluster.WaitForMembersAsync(3);
        await cluster.WaitForControllerToSeeAsync(3);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                var description = await admin.DescribeConsumerGroupAsync(group);
                Assert.Equal(30, description.CommittedOffsets.Sum(o => o.Offset.Value));
                break;
            }
            catch (KafkaException e) when (e.Error.IsRetriable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200); // broker 3 is rejoining
            }
        }
    }
}
