using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using TopicPartition = AkkaBroker.Client.TopicPartition;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// Day-2 changes of nodes with three brokers: a broker whose disk was lost comes back under its id and copies its
/// replicas again; a broker is decommissioned by moving its replicas away, stopping it and unregistering it.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class NodeReplacementSpec
{
    private const string Topic = "replaced";

    [Fact]
    public async Task A_broker_replaced_with_an_empty_disk_copies_its_replicas_again_and_a_decommissioned_one_is_unregistered()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = 1, ReplicationFactor = 3 }]);
        await Replication.WaitForPartitionAsync(admin, Topic, p => p.Leader > 0 && p.InSyncReplicas.Length == 3, "three in-sync replicas");
        using (var producer = Replication.Producer(cluster.Bootstrap(1), Acks.All))
            for (var i = 0; i < 200; i++) await producer.ProduceAsync(Topic, new Message<string, string> { Key = "k", Value = $"v{i}" });

        // Broker 3's disk is lost: it starts again under its id with nothing, and copies the partition from its leader.
        await cluster.CrashBrokerAsync(3);
        await Replication.WaitForPartitionAsync(admin, Topic, p => !p.InSyncReplicas.Contains(3), "broker 3 out of the ISR");
        // In one test process the crashed broker's pooled SQLite connections would still point at the deleted file.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(cluster.DataDirOf(3), recursive: true);
        await cluster.StartBrokerAsync(3);
        await Replication.WaitForPartitionAsync(admin, Topic, p => p.InSyncReplicas.Length == 3, "the replaced broker 3 back in the ISR");
        await ThreeBrokerCluster.WaitForAsync(() => Task.FromResult(
            ReplicaJournalFiles.ReadReplica(cluster.DataDirOf(3), $"partition-{Topic}-0").Count == 200 ? "whole" : null), "broker 3 holding all 200 records again");

        // Decommissioning broker 3: refused while it runs or holds replicas; moved off, stopped, then unregistered.
        var running = await Assert.ThrowsAsync<KafkaException>(() => admin.UnregisterBrokerAsync(3));
        Assert.Contains("is running", running.Error.Reason);
        await admin.AlterPartitionReassignmentsAsync(new Dictionary<TopicPartition, IReadOnlyList<int>?> { [new TopicPartition(Topic, 0)] = [1, 2] });
        await Replication.WaitForPartitionAsync(admin, Topic, p => p.Replicas.SequenceEqual([1, 2]), "the partition moved off broker 3");
        await cluster.StopBrokerAsync(3);
        await ThreeBrokerCluster.WaitForAsync(async () => (await admin.DescribeClusterAsync()).Nodes.Count == 2 ? "gone" : null, "broker 3 gone from the cluster");
        await admin.UnregisterBrokerAsync(3);
        var again = await Assert.ThrowsAsync<KafkaException>(() => admin.UnregisterBrokerAsync(3));
        Assert.StartsWith("BROKER_ID_NOT_REGISTERED", again.Error.ToString()); // Kafka's code 102, which Confluent.Kafka's enum lacks

        // The two brokers left are the whole cluster now: the controller keeps working with them.
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "after-decommission", NumPartitions = 1, ReplicationFactor = 2 }]);
    }
}
