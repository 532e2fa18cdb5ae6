using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Jdbc;
using AkkaBroker.Mirror;

namespace AkkaBroker.Connect.Mirror;

/// <summary>
/// Writes a heartbeat to the target's <c>heartbeats</c> topic every <c>emit.heartbeats.interval.seconds</c> (Kafka's
/// MirrorMaker 2 <c>MirrorHeartbeatConnector</c>, same keys), in the <c>mirror-maker</c> command's heartbeat format: its
/// age on the target says the worker and the target are alive and keeping up; a MirrorSourceConnector mirroring the
/// other way carries it on. Creates the topic (compacted) and runs one <see cref="MirrorHeartbeatTask"/>; none while
/// <c>emit.heartbeats.enabled</c> is false or the interval negative.
/// </summary>
[PluginAlias("org.apache.kafka.connect.mirror.MirrorHeartbeatConnector")]
public sealed class MirrorHeartbeatConnector : SourceConnector
{
    private MirrorConnectorConfig _config = null!;

    /// <inheritdoc />
    public override ConfigDef Config => MirrorConnectorConfig.HeartbeatDefinition;

    /// <inheritdoc />
    public override Type TaskType => typeof(MirrorHeartbeatTask);

    /// <summary>Checks the configuration and creates the heartbeats topic on the target.</summary>
    /// <exception cref="ConfigException">a key is invalid.</exception>
    /// <exception cref="ConnectException">the target cannot be reached or refuses the topic.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _config = MirrorConnectorConfig.Parse(Config, config);
        MirrorTopics.EnsureCompacted(_config, MirrorCluster.Target, _config.Policy.HeartbeatsTopic);
    }

    /// <inheritdoc />
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) =>
        _config.Interval(MirrorConnectorConfig.EmitHeartbeatsIntervalSeconds, MirrorConnectorConfig.EmitHeartbeatsEnabled) != null ? [_config.Originals] : [];

    /// <inheritdoc />
    public override void Stop() { }

    /// <summary>Each key on its own, then the keys together (aliases and replication policy).</summary>
    public override IReadOnlyList<ConfigValue> Validate(IReadOnlyDictionary<string, string> connectorConfig) =>
        JdbcConfigValidation.Validate(Config, connectorConfig, props => MirrorConnectorConfig.Parse(Config, props));
}
