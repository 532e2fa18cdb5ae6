using AkkaBroker.Client;
using AkkaBroker.Mirror;

namespace AkkaBroker.Connect.Mirror;

/// <summary>Creating the connectors' own topics.</summary>
internal static class MirrorTopics
{
    /// <summary>Creates <paramref name="topic"/> (one partition, compacted) on <paramref name="cluster"/> unless it exists.</summary>
    /// <exception cref="ConnectException">the cluster cannot be reached or refuses the topic.</exception>
    public static void EnsureCompacted(MirrorConnectorConfig config, MirrorCluster cluster, string topic)
    {
        using var admin = config.Admin(cluster);
        try
        {
            TargetTopics.EnsureCompactedAsync(admin, topic).GetAwaiter().GetResult();
        }
        catch (KafkaException e)
        {
            var key = cluster == MirrorCluster.Source ? MirrorConnectorConfig.SourceBootstrapServers : MirrorConnectorConfig.TargetBootstrapServers;
            throw new ConnectException($"Cannot create {topic} on the {cluster.ToString().ToLowerInvariant()} cluster ({key}={config.Get<string>(key)}): {e.Error.Reason}", e);
        }
    }
}
