using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Tests.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Controller;

/// <summary>
/// The controller actor on a real two-node cluster, with probes for the partition region and the leader: broker 11 runs
/// the controller (its partition region is a probe); broker 12 is a member that is Up, so it counts as live for the
/// ISR, but has no gateway, so the controller never sends it commands. The controller's state is written into the
/// replicator before it starts, as a previous controller would have left it. Broker ids 11 and 12 are used by no other
/// test, so the controller's metrics (kept per controller id, process-wide) never mix with another test's.
/// </summary>
public sealed class RecordedIsrSpec : TestKit
{
    private const int Controller = 11;
    private const int Follower = 12;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly TopicPartition Tp = new("t", 0);

    private readonly ActorSystem _follower;

    public RecordedIsrSpec(ITestOutputHelper output)
        : base(NodeConfig(Controller, BrokerRole.For(Controller), BrokerRole.Controller), BrokerNode.ActorSystemName, output)
    {
        _follower = ActorSystem.Create(BrokerNode.ActorSystemName, NodeConfig(Follower, BrokerRole.For(Follower)));
    }

    private static Config NodeConfig(int brokerId, params string[] roles) => BrokerNode.Compose(ConfigurationFactory.ParseString($"""
        akka.loglevel = WARNING
        akka.remote.dot-netty.tcp.port = 0
        akka.cluster.roles = [{string.Join(", ", roles.Select(r => $"\"{r}\""))}]
        # Nothing on disk: the state the controller starts from is written into the replicator by the test.
        akka.cluster.distributed-data.durable.keys = []
        akkabroker.broker.broker.id = {brokerId}
        {ThreeBrokerCluster.FastCluster}
        """));

    protected override void AfterAll()
    {
        Shutdown(_follower, verifySystemShutdown: true);
        base.AfterAll();
    }

    [Fact]
    public void A_recorded_isr_change_is_answered_and_pushed_to_the_partitions_live_replicas_as_ensure_partition()
    {
        // Both replicators run before the nodes meet: the controller reads and writes its state on a majority of both.
        var replicator = DistributedData.Get(Sys).Replicator;
        _ = DistributedData.Get(_follower).Replicator;
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        Akka.Cluster.Cluster.Get(_follower).Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 2, Wait, "both nodes to be Up");

        // Replicas 11 and 12, both in sync, led by 11 at leader epoch 3 and partition epoch 7, under controller epoch 4.
        var recorded = new PartitionAssignment(0, [Controller, Follower], Controller, 3, [Controller, Follower], 7);
        var snapshot = new ControllerSnapshot([new TopicState("t", 2, new Dictionary<string, string>(), [recorded])], 0, [], 4, [], 10, [Controller, Follower], []);
        var self = cluster.SelfUniqueAddress;
        Clock<ControllerSnapshot> byVersion = (_, s) => s.Version;
        replicator.Tell(Dsl.Update(ControllerActor.StateKey, new LWWRegister<ControllerSnapshot>(self, snapshot, byVersion), WriteLocal.Instance,
            register => register.WithValue(self, snapshot, byVersion)));
        ExpectMsg<UpdateSuccess>(Wait);

        var partitionRegion = CreateTestProbe();
        var endpoint = new BrokerInfo(Controller, "127.0.0.1", cluster.SelfAddress.Port!.Value);
        var controller = Sys.ActorOf(ControllerActor.Props(TestConfigs.Settings($"akkabroker.broker.broker.id = {Controller}"), endpoint,
            partitionRegion.Ref, CreateTestProbe().Ref));

        // Having taken over (epoch 5), the controller re-sends every partition's state to its live replicas: the recorded one.
        var resent = ExpectEnsure(partitionRegion);
        Assert.Equal((Controller, 3, 7, 5), (resent.Assignment.Leader, resent.Assignment.LeaderEpoch, resent.Assignment.PartitionEpoch, resent.ControllerEpoch));
        Assert.Equal([Controller, Follower], resent.Assignment.Isr);

        // The leader shrinks the ISR to itself.
        var leader = CreateTestProbe();
        controller.Tell(new AlterPartitionRequest(Tp, Controller, 3, 7, [Controller]), leader.Ref);
        var response = leader.ExpectMsg<AlterPartitionResponse>(Wait);
        Assert.Equal((Tp, ErrorCode.None), (response.TopicPartition, response.Error));
        var next = response.Assignment!;
        Assert.Equal([Controller], next.Isr);
        Assert.Equal((Controller, 3, 8), (next.Leader, next.LeaderEpoch, next.PartitionEpoch));

        // The recorded assignment also reaches the replica as leadership, so a leader that missed the answer still learns it.
        var pushed = ExpectEnsure(partitionRegion);
        Assert.Equal((next.Leader, next.LeaderEpoch, next.PartitionEpoch, 5), (pushed.Assignment.Leader, pushed.Assignment.LeaderEpoch, pushed.Assignment.PartitionEpoch, pushed.ControllerEpoch));
        Assert.Equal(next.Replicas, pushed.Assignment.Replicas);
        Assert.Equal(next.Isr, pushed.Assignment.Isr);
        Assert.Equal(endpoint, pushed.Leader);
    }

    /// <summary>The next command to the local replica of t-0, which must be an EnsurePartition; it is acknowledged as a replica would.</summary>
    private EnsurePartition ExpectEnsure(TestProbe partitionRegion)
    {
        var ensure = partitionRegion.ExpectMsg<EnsurePartition>(Wait, "the controller to send EnsurePartition for t-0 to broker 11's replica");
        Assert.Equal(Tp, ensure.TopicPartition);
        partitionRegion.Reply(new PartitionStateAck(Tp, ErrorCode.None, null));
        return ensure;
    }
}
