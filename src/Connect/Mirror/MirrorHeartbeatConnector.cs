namespace AkkaBroker.Connect.Mirror;

/// <summary>
/// Writes a heartbeat to the target's <c>heartbeats</c> topic every <c>emit.heartbeats.interval.seconds</c> (Kafka's
/// MirrorMaker 2 <c>MirrorHeartbeatConnector</c>, same keys), in the <c>mirror-maker</c> command's heartbeat format: its
/// age on the target says the worker and the target are alive and keeping up; a MirrorSourceConnector mirroring the
/// other way carries it on. Creates the topic (compacted) and runs one <see cref="MirrorHeartbeatTask"/>; none while
/// <c>emit.heartbeats.enabled</c> is false or the interval negative.
/// </summary>
[PluginAlias("org.apache.kafka.connect.mirror.MirrorHeartbeatConnector")]
public sealed class MirrorHeartbeatConnector() : MirrorTopicConnector(MirrorConnectorConfig.HeartbeatDefinition, typeof(MirrorHeartbeatTask),
    config => config.Policy.HeartbeatsTopic, MirrorConnectorConfig.EmitHeartbeatsIntervalSeconds, MirrorConnectorConfig.EmitHeartbeatsEnabled);
