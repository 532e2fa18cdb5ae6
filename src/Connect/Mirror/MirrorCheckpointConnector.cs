using AkkaBroker.Client;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Jdbc;
using AkkaBroker.Mirror;

namespace AkkaBroker.Connect.Mirror;

/// <summary>
/// Translates the source cluster's consumer group offsets to the target (Kafka's MirrorMaker 2
/// <c>MirrorCheckpointConnector</c>, same keys): creates the checkpoints topic <c>{source alias}.checkpoints.internal</c>
/// on the target and runs one <see cref="MirrorCheckpointTask"/>, which lists the groups (<c>groups</c> /
/// <c>groups.exclude</c>) itself on every pass, so new groups need no reconfiguration. No task while
/// <c>emit.checkpoints.enabled</c> is false.
/// </summary>
[PluginAlias("org.apache.kafka.connect.mirror.MirrorCheckpointConnector")]
public sealed class MirrorCheckpointConnector : SourceConnector
{
    private MirrorConnectorConfig _config = null!;

    /// <inheritdoc />
    public override ConfigDef Config => MirrorConnectorConfig.CheckpointDefinition;

    /// <inheritdoc />
    public override Type TaskType => typeof(MirrorCheckpointTask);

    /// <summary>Checks the configuration and creates the checkpoints topic on the target.</summary>
    /// <exception cref="ConfigException">a key is invalid.</exception>
    /// <exception cref="ConnectException">the target cannot be reached or refuses the topic.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _config = MirrorConnectorConfig.Parse(Config, config);
        MirrorTopics.EnsureCompacted(_config, MirrorCluster.Target, _config.CheckpointsTopic);
    }

    /// <inheritdoc />
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) =>
        _config.Get<bool>(MirrorConnectorConfig.EmitCheckpointsEnabled) ? [_config.Originals] : [];

    /// <inheritdoc />
    public override void Stop() { }

    /// <summary>Each key on its own, then the keys together (aliases and replication policy).</summary>
    public override IReadOnlyList<ConfigValue> Validate(IReadOnlyDictionary<string, string> connectorConfig) =>
        JdbcConfigValidation.Validate(Config, connectorConfig, props => MirrorConnectorConfig.Parse(Config, props));
}
