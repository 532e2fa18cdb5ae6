using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Actors.Gateway;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Metrics;

/// <summary>
/// Learns the high watermark (the end consumers can read to) of every partition that a group coordinated on this broker has committed, so that the broker can
/// report each group's lag per partition (<c>akkabroker.consumer_group.lag</c>) as kafka-lag-exporter or Burrow would,
/// without an outside tool. Each interval it asks each partition's leader (named by the controller's replicated state)
/// for its latest offset, which is the high watermark: the local replica directly, another broker's through that broker's gateway. Answers arrive
/// in any order; ends are published once per round, and a leader that does not answer leaves its partitions' last
/// known end in place until the next round.
/// </summary>
public sealed class ConsumerLagReporter : ReceiveActor, IWithTimers
{
    public const string Name = "consumer-lag";

    public static Props Props(IActorRef partitionRegion, int localBrokerId, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new ConsumerLagReporter(partitionRegion, localBrokerId, interval));

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private readonly IActorRef _partitionRegion;
    private readonly int _localBrokerId;
    private readonly LiveBrokers _members = new();
    private Dictionary<TopicPartition, int> _leaders = new();
    private readonly Dictionary<TopicPartition, long> _ends = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public ConsumerLagReporter(IActorRef partitionRegion, int localBrokerId, TimeSpan interval)
    {
        _partitionRegion = partitionRegion;
        _localBrokerId = localBrokerId;
        Receive<Changed>(c => c.Key.Equals(ControllerActor.StateKey), c => _leaders = c.Get(ControllerActor.StateKey).Value.Topics
            .SelectMany(t => t.Partitions.Select(p => (Tp: new TopicPartition(t.Name, p.Partition), p.Leader)))
            .ToDictionary(x => x.Tp, x => x.Leader));
        Receive<ClusterEvent.IClusterDomainEvent>(e => _members.Apply(e));
        Receive<Tick>(_ => AskLeaders());
        Receive<ListOffsetsResponse>(r =>
        {
            if (r.Error == ErrorCode.None) _ends[r.TopicPartition] = r.Offset;
        });
        Timers.StartPeriodicTimer(nameof(Tick), Tick.Instance, interval);
    }

    private void AskLeaders()
    {
        // What the last round learned goes out now; partitions no group commits any more are dropped.
        var wanted = BrokerMetrics.CommittedPartitions(Context.System);
        foreach (var tp in _ends.Keys.Where(tp => !wanted.Contains(tp)).ToList()) _ends.Remove(tp);
        BrokerMetrics.SetPartitionEnds(Context.System, _ends);
        var brokers = _members.Current();
        foreach (var tp in wanted)
        {
            if (!_leaders.TryGetValue(tp, out var leader)) continue;
            var request = new ListOffsetsRequest(tp, ListOffsetsRequest.Latest);
            if (leader == _localBrokerId) _partitionRegion.Tell(request);
            else if (brokers.TryGetValue(leader, out var member))
                Context.ActorSelection(BrokerGateway.GatewayPath(Context.System, member.Address.Host!, member.Address.Port!.Value)).Tell(request);
        }
    }

    protected override void PreStart()
    {
        DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(ControllerActor.StateKey, Self));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop()
    {
        Cluster.Get(Context.System).Unsubscribe(Self);
        BrokerMetrics.RemoveBroker(Context.System);
    }
}
