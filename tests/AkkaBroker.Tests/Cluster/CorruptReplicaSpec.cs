using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// A follower whose journal was damaged while its broker was down (a flipped bit in one batch, as a disk fault would
/// leave): it reports the corruption, leaves the ISR, cuts its log back to the last good batch, fetches the rest from
/// the leader again and returns to the ISR holding exactly the leader's records.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class CorruptReplicaSpec(ITestOutputHelper output)
{
    private const string Topic = "mended";
    private const int Records = 40;

    [Fact]
    public async Task A_follower_with_a_corrupt_batch_repairs_its_log_from_the_leader_and_rejoins_the_isr()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = Topic, NumPartitions = 1, ReplicationFactor = 3, Configs = new() { ["min.insync.replicas"] = "2" },
        }]);
        var p = await Replication.WaitForPartitionAsync(admin, Topic, x => x.InSyncReplicas.Length == 3, "three in-sync replicas");
        // A follower that is not broker 1, so stopping it moves neither the partition's leader nor the controller.
        var follower = p.Replicas.First(r => r != p.Leader && r != 1);
        output.WriteLine($"leader {p.Leader}, damaged follower {follower}");

        using (var producer = Replication.Producer(cluster.Bootstrap(p.Leader), Acks.All))
            for (var i = 0; i < Records; i++)
                await producer.ProduceAsync(Topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
        await Replication.WaitForPartitionAsync(admin, Topic, x => x.InSyncReplicas.Length == 3, "three in-sync replicas after the writes");
        var pid = $"partition-{Topic}-0";
        var leaderLog = ReplicaJournalFiles.ReadReplica(cluster.DataDirOf(p.Leader), pid);
        Assert.Equal(Records, leaderLog.Count);
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            await Task.Yield();
            return ReplicaJournalFiles.ReadReplica(cluster.DataDirOf(follower), pid).Count == Records ? "" : null;
        }, $"broker {follower} to hold all {Records} records");

        await cluster.StopBrokerAsync(follower);
        // A bit flipped inside a batch in the middle of the log: its CRC no longer matches.
        await ReplicaJournalFiles.DamageBatchAsync(cluster.DataDirOf(follower), pid, 5, payload => payload[^2] ^= 0x40);
        Assert.NotEqual(leaderLog, ReplicaJournalFiles.ReadReplica(cluster.DataDirOf(follower), pid));

        await cluster.StartBrokerAsync(follower);
        await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var now = await Replication.PartitionAsync(admin, Topic);
            if (now.InSyncReplicas.Length != 3) return null;
            var repaired = ReplicaJournalFiles.ReadReplica(cluster.DataDirOf(follower), pid);
            return repaired.SequenceEqual(leaderLog) ? "" : null;
        }, $"broker {follower} back in the ISR holding the leader's records");
    }
}
