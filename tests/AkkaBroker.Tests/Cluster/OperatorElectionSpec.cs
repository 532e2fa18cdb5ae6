using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using ErrorCode = AkkaBroker.Client.ErrorCode;
using TopicPartition = AkkaBroker.Client.TopicPartition;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// Kafka's kafka-leader-election through the admin client: after a broker's return the operator gives its partitions
/// back to it (preferred election) rather than waiting for leader.imbalance.check.interval.seconds.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class OperatorElectionSpec
{
    [Fact]
    public async Task A_preferred_election_gives_a_partition_back_to_its_returned_first_replica()
    {
        // Without the periodic rebalance, only the operator's election moves the lead back.
        await using var cluster = await ThreeBrokerCluster.StartAsync(extraConfig: "akkabroker.broker.auto.leader.rebalance.enable = false");
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "elected", NumPartitions = 3, ReplicationFactor = 3 }]);
        var metadata = await ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var m = await admin.GetMetadataAsync(["elected"]);
            return m.Topics.Single().Partitions.All(p => p.Leader > 0 && p.InSyncReplicas.Length == 3) ? m : null;
        }, "three partitions led, each with three in-sync replicas");
        // A partition whose preferred leader is not broker 1, which runs the controller and stays up.
        var moved = metadata.Topics.Single().Partitions.First(p => p.Replicas[0] != 1);
        var preferred = moved.Replicas[0];
        var tp = new TopicPartition("elected", moved.PartitionId);

        var notNeeded = await Assert.ThrowsAsync<ElectLeadersException>(() => admin.ElectLeadersAsync(ElectionType.Preferred, [tp]));
        Assert.Equal(ErrorCode.ElectionNotNeeded, Assert.Single(notNeeded.Results.TopicPartitions).Error.Code);

        await cluster.CrashBrokerAsync(preferred);
        await Replication.WaitForPartitionAsync(admin, "elected", p => p.PartitionId == tp.Partition && p.Leader > 0 && p.Leader != preferred,
            $"another broker leading {tp} after broker {preferred}'s crash", tp.Partition);
        await cluster.StartBrokerAsync(preferred);
        await Replication.WaitForPartitionAsync(admin, "elected", p => p.InSyncReplicas.Contains(preferred),
            $"broker {preferred} back in the ISR of {tp}", tp.Partition);
        Assert.NotEqual(preferred, (await Replication.PartitionAsync(admin, "elected", tp.Partition)).Leader);

        var elected = await admin.ElectLeadersAsync(ElectionType.Preferred, [tp]);
        Assert.Equal([new TopicPartitionError(tp, Error.NoError)], elected.TopicPartitions);
        Assert.Equal(preferred, (await Replication.PartitionAsync(admin, "elected", tp.Partition)).Leader);

        // Unclean elections only touch partitions with no live leader: here every partition has one.
        var unclean = await Assert.ThrowsAsync<ElectLeadersException>(() => admin.ElectLeadersAsync(ElectionType.Unclean, [tp]));
        Assert.Equal(ErrorCode.ElectionNotNeeded, Assert.Single(unclean.Results.TopicPartitions).Error.Code);
    }
}
