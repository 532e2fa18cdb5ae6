using System.Diagnostics;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Akka.Actor;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// The controller's state is replicated to a majority of brokers: when the broker running the controller crashes, the
/// controller that takes over on another broker knows every topic, keeps handing out fresh producer ids and acts under
/// a higher controller epoch.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class ControllerFailoverSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task A_controller_that_takes_over_after_a_crash_knows_every_topic_and_keeps_serving()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(2) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "before", NumPartitions = 3, ReplicationFactor = 1 }]);
        var before = await admin.GetMetadataAsync(["before"]);
        Assert.Equal(1, before.ControllerId); // the oldest broker runs the singleton
        var leaders = before.Topics.Single().Partitions.ToDictionary(p => p.PartitionId, p => p.Leader);
        var firstProducerId = (await ProducerIdAsync(cluster, 2)).ProducerId;

        var clock = Stopwatch.StartNew();
        await cluster.CrashBrokerAsync(1);
        var after = await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            try
            {
                var m = await admin.GetMetadataAsync(["before"]);
                return m.ControllerId != 1 ? m : null;
            }
            catch (KafkaException)
            {
                return null; // the controller is moving
            }
        }, "another broker to run the controller");
        output.WriteLine($"controller on broker {after.ControllerId} {clock.ElapsedMilliseconds} ms after the crash");
        Assert.Equal(2, after.ControllerId);
        Assert.Equal([2, 3], after.Brokers.Select(b => b.BrokerId).Order());
        var partitions = after.Topics.Single().Partitions;
        Assert.Equal(3, partitions.Count);
        Assert.All(partitions, p => Assert.Equal(leaders[p.PartitionId] == 1 ? -1 : leaders[p.PartitionId], p.Leader));

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "after", NumPartitions = 2, ReplicationFactor = 1 }]);
        var refused = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([new TopicSpecification { Name = "before", NumPartitions = 1 }]));
        Assert.Equal(AkkaBroker.Client.ErrorCode.TopicAlreadyExists, Assert.Single(refused.Results).Error.Code);
        var nextProducerId = await ProducerIdAsync(cluster, 3);
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.None, nextProducerId.Error);
        Assert.True(nextProducerId.ProducerId > firstProducerId, $"a new controller must never hand out a producer id again ({nextProducerId.ProducerId} after {firstProducerId})");
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.Bootstrap(3) }).Build();
        var delivered = await producer.ProduceAsync("after", new Message<Null, string> { Value = "y" });
        Assert.Equal(0, delivered.Offset.Value);
    }

    private static Task<InitProducerIdResponse> ProducerIdAsync(ThreeBrokerCluster cluster, int broker) =>
        cluster.Brokers[broker].Node.Gateway.Ask<InitProducerIdResponse>(new InitProducerIdRequest(), TimeSpan.FromSeconds(10));

}

/// <summary>
/// After a full shutdown, a controller that starts while only a minority of the registered brokers is up waits: it
/// must not act on that minority's possibly stale copy of the metadata.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class ControllerQuorumSpec
{
    [Fact]
    public async Task A_controller_among_a_minority_of_the_registered_brokers_waits_for_a_majority()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "kept", NumPartitions = 3, ReplicationFactor = 1 }]);
        foreach (var id in new[] { 3, 2, 1 }) await cluster.StopBrokerAsync(id);

        var alone = await cluster.StartClusterAgainAsync(1);
        // Broker 1 is a cluster of one; its controller knows brokers 1-3 and waits for two of them.
        await Assert.ThrowsAsync<AskTimeoutException>(() =>
            alone.Node.Gateway.Ask<DescribeClusterResponse>(new DescribeClusterRequest(), TimeSpan.FromSeconds(3)));

        await cluster.StartBrokerAsync(2);
        await cluster.WaitForMembersAsync(2);
        await cluster.WaitForControllerToSeeAsync(2);
        using var after = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(2) }).Build();
        var metadata = await after.GetMetadataAsync(["kept"]);
        Assert.Equal(3, metadata.Topics.Single().Partitions.Count);
    }
}
