namespace AkkaBroker.Connect.Mirror;

/// <summary>
/// Translates the source cluster's consumer group offsets to the target (Kafka's MirrorMaker 2
/// <c>MirrorCheckpointConnector</c>, same keys): creates the checkpoints topic <c>{source alias}.checkpoints.internal</c>
/// on the target and runs one <see cref="MirrorCheckpointTask"/>, which lists the groups (<c>groups</c> /
/// <c>groups.exclude</c>) itself on every pass, so new groups need no reconfiguration. No task while
/// <c>emit.checkpoints.enabled</c> is false.
/// </summary>
[PluginAlias("org.apache.kafka.connect.mirror.MirrorCheckpointConnector")]
public sealed class MirrorCheckpointConnector() : MirrorTopicConnector(MirrorConnectorConfig.CheckpointDefinition, typeof(MirrorCheckpointTask),
    config => config.CheckpointsTopic, MirrorConnectorConfig.EmitCheckpointsIntervalSeconds, MirrorConnectorConfig.EmitCheckpointsEnabled);
