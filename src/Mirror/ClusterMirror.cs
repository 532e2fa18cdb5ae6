using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// The mirror run inside an Akka cluster (the target cluster's brokers), with no process of its own: the
/// <c>num.streams</c> <see cref="MirrorStream"/>s are cluster-sharded entities spread over the nodes that host them,
/// and one <see cref="MirrorMaker"/> runs as a cluster singleton that lists the source's topics, keeps the target's
/// topics in step, writes checkpoints and heartbeats, and every couple of seconds tells each stream entity what to
/// subscribe to (which also starts it again on another node after its node left or died). Each stream is a member of
/// the mirror's group on the source, so every source partition is mirrored by exactly one stream at a time; a stream
/// moved off a node that leaves is stopped gracefully first (it drains and commits), and one lost with its node resumes
/// from its last commit on another node. This is what uReplicator needed Apache Helix for.
/// </summary>
public static class ClusterMirror
{
    /// <summary>The shard region's type name.</summary>
    public const string RegionName = "mirror-streams";

    /// <summary>The singleton's name.</summary>
    public const string SingletonName = "mirror-maker";

    /// <summary>A message for stream entity <paramref name="Stream"/> (0 to num.streams - 1).</summary>
    public sealed record StreamEnvelope(int Stream, object Message);

    /// <summary>Entity and shard id are the stream number: with few entities, one per shard spreads them over the nodes.</summary>
    private sealed class Extractor : IMessageExtractor
    {
        public string? EntityId(object message) => message is StreamEnvelope e ? e.Stream.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;

        public object? EntityMessage(object message) => message is StreamEnvelope e ? e.Message : message;

        public string? ShardId(object message) => EntityId(message);

        public string ShardId(string entityId, object? messageHint = null) => entityId;
    }

    /// <summary>
    /// Starts this node's part of the mirror: the stream region (on a node that hosts streams, with this node's
    /// producer to the target) or a proxy to it (on one that does not), and the singleton manager.
    /// </summary>
    /// <param name="system">The node's actor system, a cluster member.</param>
    /// <param name="settings">The mirror's settings (the <c>mirror</c> block of the node's config).</param>
    /// <param name="hostsStreams">Whether stream entities may run on this node (brokers: yes; controller-only nodes: no).</param>
    /// <returns>The stream region (or proxy).</returns>
    public static IActorRef Start(ActorSystem system, MirrorMakerSettings settings, bool hostsStreams)
    {
        var sharding = ClusterSharding.Get(system);
        IActorRef region;
        if (hostsStreams)
        {
            // One producer to the target per node, shared by the streams placed here; the admin clients create target topics.
            var producer = new ProducerBuilder<byte[]?, byte[]?>(settings.ProducerConfig()).Build();
            var sourceAdmin = new AdminClientBuilder(new AdminClientConfig(ClientConfig.ConnectionOf(settings.ConsumerProperties))).Build();
            var targetAdmin = new AdminClientBuilder(new AdminClientConfig(ClientConfig.ConnectionOf(settings.ProducerProperties))).Build();
            var targetTopics = new TargetTopics(sourceAdmin, targetAdmin, settings.Policy);
            var metrics = MirrorMetrics.AddClient("producer", () => producer.Metrics);
            system.RegisterOnTermination(() =>
            {
                metrics.Dispose();
                producer.Dispose();
                sourceAdmin.Dispose();
                targetAdmin.Dispose();
            });
            var shardingSettings = ClusterShardingSettings.Create(system);
            region = sharding.Start(RegionName, entityId => MirrorStream.Props(settings, int.Parse(entityId, System.Globalization.CultureInfo.InvariantCulture), producer, targetTopics, askParentForTopics: false),
                shardingSettings, new Extractor(), sharding.DefaultShardAllocationStrategy(shardingSettings), new MirrorStream.StopStream());
        }
        else region = sharding.StartProxy(RegionName, null!, new Extractor());
        var manager = system.ActorOf(ClusterSingletonManager.Props(MirrorMaker.Props(settings, region), PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system).WithSingletonName(SingletonName)), SingletonName);
        // When this node stops, its streams hand off (each drains and commits) first, while this broker still takes their
        // records and offset syncs: stopping them later, with the broker's own services, would leave them waiting on it.
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "stop-mirror", async () =>
        {
            if (hostsStreams) await region.GracefulStop(TimeSpan.FromSeconds(30), GracefulShutdown.Instance).ConfigureAwait(false);
            await manager.GracefulStop(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            return Akka.Done.Instance;
        });
        return region;
    }
}
