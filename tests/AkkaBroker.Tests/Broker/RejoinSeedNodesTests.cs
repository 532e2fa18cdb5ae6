using Akka.Actor;
using AkkaBroker.Actors.Broker;
using Xunit;

namespace AkkaBroker.Tests.Broker;

/// <summary>Which nodes a broker restarted after a downing joins through (<see cref="BrokerRunner.SeedNodesForRejoin"/>).</summary>
public class RejoinSeedNodesTests
{
    private const string B1 = "akka.tcp://akkabroker@10.0.0.1:9201";
    private const string B2 = "akka.tcp://akkabroker@10.0.0.2:9202";
    private const string B3 = "akka.tcp://akkabroker@10.0.0.3:9203";
    private static readonly string[] Configured = [B1, B2, B3];

    [Fact]
    public void A_rejoining_node_leaves_its_own_address_out_so_that_it_never_starts_a_cluster_of_its_own()
    {
        Assert.Equal([B2, B3], BrokerRunner.SeedNodesForRejoin(Configured, Address.Parse(B1), [Address.Parse(B2), Address.Parse(B3)], joinFailedBefore: false));
        Assert.Equal([B1, B2], BrokerRunner.SeedNodesForRejoin(Configured, Address.Parse(B3), [], joinFailedBefore: false));
    }

    [Fact]
    public void A_rejoining_node_also_joins_through_the_members_it_last_saw_once_each()
    {
        const string joinedLater = "akka.tcp://akkabroker@10.0.0.4:9204";
        Assert.Equal([B2, B3, joinedLater],
            BrokerRunner.SeedNodesForRejoin(Configured, Address.Parse(B1), [Address.Parse(B2), Address.Parse(joinedLater), Address.Parse(B3)], joinFailedBefore: false));
        // Brokers that joined through broker 1 without seed nodes of their own (as in the in-process specs).
        Assert.Equal([B2], BrokerRunner.SeedNodesForRejoin([], Address.Parse(B1), [Address.Parse(B2), Address.Parse(B1)], joinFailedBefore: false));
    }

    [Fact]
    public void The_first_seed_node_may_start_the_cluster_again_only_after_a_join_failed()
    {
        Assert.Equal(Configured, BrokerRunner.SeedNodesForRejoin(Configured, Address.Parse(B1), [Address.Parse(B2)], joinFailedBefore: true));
        Assert.Equal([B1, B3], BrokerRunner.SeedNodesForRejoin(Configured, Address.Parse(B2), [], joinFailedBefore: true));
    }

    [Fact]
    public void A_single_broker_that_knew_no_other_node_forms_its_cluster_again()
    {
        Assert.Empty(BrokerRunner.SeedNodesForRejoin([], Address.Parse(B1), [], joinFailedBefore: false));
    }
}
