using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Mirror;

/// <summary>
/// What the checkpoint and heartbeat connectors share: each checks its keys, creates the compacted topic it writes to on
/// the target, and runs one task with its own configuration while its feature is on (none while it is off).
/// </summary>
/// <param name="definition">The connector's keys.</param>
/// <param name="taskType">Its task.</param>
/// <param name="topicOf">The topic on the target the task writes to.</param>
/// <param name="intervalKey">The task's <c>emit.*.interval.seconds</c> key: a negative interval means no task.</param>
/// <param name="enabledKey">The task's <c>emit.*.enabled</c> key.</param>
public abstract class MirrorTopicConnector(ConfigDef definition, Type taskType, Func<MirrorConnectorConfig, string> topicOf, string intervalKey, string enabledKey)
    : SourceConnector
{
    private MirrorConnectorConfig _config = null!;

    /// <inheritdoc />
    public override ConfigDef Config => definition;

    /// <inheritdoc />
    public override Type TaskType => taskType;

    /// <summary>Checks the configuration and creates the topic on the target.</summary>
    /// <exception cref="ConfigException">a key is invalid.</exception>
    /// <exception cref="ConnectException">the target cannot be reached or refuses the topic.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _config = MirrorConnectorConfig.Parse(Config, config);
        MirrorTopics.EnsureCompacted(_config, MirrorCluster.Target, topicOf(_config));
    }

    /// <summary>One task, with the connector's configuration, while enabled; none otherwise (<paramref name="maxTasks"/> does not matter).</summary>
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) => _config.Interval(intervalKey, enabledKey) != null ? [_config.Originals] : [];

    /// <inheritdoc />
    public override void Stop() { }

    /// <summary>Each key on its own, then the keys together (aliases and replication policy).</summary>
    public override IReadOnlyList<ConfigValue> Validate(IReadOnlyDictionary<string, string> connectorConfig) =>
        MirrorConnectorConfig.Validate(Config, connectorConfig);
}
