using System.Net;
using System.Net.Sockets;
using AkkaBroker.Tests.Integration;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// process.roles = controller: a dedicated controller node runs the controller and hosts no partition, so the brokers'
/// data path never waits for it. With its only controller node crashed the cluster has no controller at all, and
/// acks=all writes and reads still go on; a controller node that joins later takes over the replicated metadata.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class DedicatedControllerSpec(ITestOutputHelper output)
{
    private const string Topic = "kept";

    [Fact]
    public async Task Writes_and_reads_go_on_while_no_controller_runs_and_a_controller_node_that_joins_takes_over()
    {
        const int controller = ThreeBrokerCluster.FirstControllerNodeId;
        await using var cluster = await ThreeBrokerCluster.StartAsync(brokers: 3, controllerNodes: 1);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = Topic, NumPartitions = 3, ReplicationFactor = 3, Configs = new Dictionary<string, string> { ["min.insync.replicas"] = "2" },
        }]);
        var before = await admin.GetMetadataAsync([Topic]);
        Assert.Equal(controller, before.ControllerId);
        Assert.Equal([1, 2, 3], before.Brokers.Select(b => b.BrokerId).Order()); // the controller node hosts nothing
        Assert.All(before.Topics.Single().Partitions, p => Assert.InRange(p.Leader, 1, 3));
        var epochBefore = (await admin.DescribeClusterAsync()).ControllerEpoch;
        // A client bootstrapped from the controller node (which has only a cluster endpoint) is told that it serves no
        // clients, and what to list instead.
        using (var misdirected = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.SeedNode(controller) }).Build())
        {
            var refused = await Assert.ThrowsAsync<KafkaException>(() => misdirected.DescribeClusterAsync());
            Assert.Contains("controller-only node", refused.Message);
        }

        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.Bootstrap(2), Acks = Acks.All, EnableIdempotence = true }).Build();
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = cluster.Bootstrap(3) }).Build();
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset(new TopicPartition(Topic, p), Offset.Beginning)));
        await ProduceAsync(producer, 0, 30);
        Assert.Equal(30, Consume(consumer, 30).Count);

        await cluster.CrashBrokerAsync(controller);
        // Downed and removed: no member may run the controller any more, so nothing below can lean on one.
        await ThreeBrokerCluster.WaitForAsync(() => Task.FromResult(cluster.Brokers.Values.All(b =>
        {
            var state = Akka.Cluster.Cluster.Get(b.Node.System).State;
            return !state.Members.Any(m => m.HasRole(BrokerRole.Controller)) && state.Unreachable.Count == 0;
        }) ? "" : null), "the controller node to be removed from the cluster");

        await ProduceAsync(producer, 30, 60);
        var read = Consume(consumer, 30);
        Assert.Equal(Enumerable.Range(30, 30).Select(i => $"v{i}").Order(), read.Order());
        output.WriteLine("60 records acknowledged with acks=all and read back, the last 30 while no controller ran");

        cluster.JoinThrough(1); // the first seed was the crashed controller node
        await cluster.StartBrokerAsync(controller + 1, controllerOnly: true);
        var after = await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            try
            {
                var m = await admin.GetMetadataAsync([Topic]);
                return m.ControllerId == controller + 1 ? m : null;
            }
            catch (KafkaException)
            {
                return null; // the new controller is reading the replicated state
            }
        }, "the new controller node to take over");
        Assert.Equal(before.Topics.Single().Partitions.Select(p => (p.PartitionId, p.Leader)), after.Topics.Single().Partitions.Select(p => (p.PartitionId, p.Leader)));
        Assert.True((await admin.DescribeClusterAsync()).ControllerEpoch > epochBefore, "the new controller acts under a higher epoch");
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "after", NumPartitions = 1, ReplicationFactor = 3 }]);
    }

    private static async Task ProduceAsync(IProducer<string, string> producer, int from, int to)
    {
        for (var i = from; i < to; i++)
            await producer.ProduceAsync(Topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
    }

    private static List<string> Consume(IConsumer<string, string> consumer, int count)
    {
        var values = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (values.Count < count) values.Add(consumer.Consume(cts.Token)!.Message!.Value);
        return values;
    }
}

/// <summary>
/// Every node keeps the controller's state on its disk, a standby controller node too. A controller whose own copy is
/// empty (a new or wiped controller node) must not start a new, empty cluster because the majority that answered its
/// read happened to hold nothing: after a full restart in which both controller nodes lost their data directories, the
/// controller finds the brokers' copy and every topic is still there.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class WipedControllerNodesSpec
{
    [Fact]
    public async Task A_standby_controller_node_keeps_the_metadata_and_controller_nodes_that_lost_theirs_take_it_from_the_brokers()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync(brokers: 3, controllerNodes: 2);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "kept", NumPartitions = 3, ReplicationFactor = 3 }]);
        // The standby controller node, which runs neither the controller nor a gateway, keeps a copy on its disk too.
        await ThreeBrokerCluster.WaitForAsync(() => Task.FromResult(StoredMetadataKeys(cluster.DataDirOf(102)).Contains("controller-state") ? "" : null),
            "controller node 102 to keep the cluster metadata in its database");
        foreach (var id in new[] { 3, 2, 1, 102, 101 }) await cluster.StopBrokerAsync(id);
        foreach (var id in new[] { 101, 102 }) Directory.Delete(cluster.DataDirOf(id), recursive: true);

        // Both empty controller nodes and one broker come up together (min-nr-of-members 3): a majority read by the
        // controller may be answered by the two empty nodes alone.
        var ports = new[] { 101, 102, 1, 2 }.ToDictionary(id => id, _ => FreePort());
        var seed = $"akka.tcp://akkabroker@127.0.0.1:{ports[101]}";
        string Config(int id) => $"""
            akkabroker.broker.broker.id = {id}
            akkabroker.broker.process.roles = {(id > 100 ? "controller" : "broker")}
            akka.remote.dot-netty.tcp.port = {ports[id]}
            akka.cluster.seed-nodes = ["{seed}"]
            akka.cluster.min-nr-of-members = 3
            # No gossip of the replicated metadata during the test: the controller learns it only from its reads.
            akka.cluster.distributed-data.gossip-interval = 10m
            {ThreeBrokerCluster.FastCluster}
            """;
        var nodes = new List<BrokerFixture>();
        try
        {
            nodes.AddRange(await Task.WhenAll(new[] { 101, 102, 1 }.Select(id => BrokerFixture.StartAsync(Config(id), cluster.DataDirOf(id)))));
            // Broker 2 too, so the restarted cluster can host the topic's other replicas.
            nodes.Add(await BrokerFixture.StartAsync(Config(2), cluster.DataDirOf(2)));
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = nodes[2].Bootstrap }).Build();
            var described = await ThreeBrokerCluster.WaitForAsync(async () =>
            {
                try
                {
                    return await admin.DescribeClusterAsync();
                }
                catch (KafkaException)
                {
                    return null; // the controller is still reading the metadata
                }
            }, "the controller to act");
            Assert.True(described.Controller?.Id > 100, $"a controller node acts, not broker {described.Controller?.Id}");
            var metadata = await admin.GetMetadataAsync(["kept"]);
            Assert.Equal(3, metadata.Topics.Single().Partitions.Count);
        }
        finally
        {
            foreach (var node in Enumerable.Reverse(nodes)) await node.StopAsync();
        }
    }

    private static List<string> StoredMetadataKeys(string dataDir)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDir, "akkabroker.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'cluster_metadata'";
        if (command.ExecuteScalar() == null) return [];
        command.CommandText = "SELECT key FROM cluster_metadata";
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read()) keys.Add(reader.GetString(0));
        return keys;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
