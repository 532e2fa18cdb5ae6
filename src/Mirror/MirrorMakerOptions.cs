namespace AkkaBroker.Mirror;

/// <summary>
/// The <c>mirror-maker</c> command line as given, before any check: Kafka MirrorMaker 1's options, plus MirrorMaker 2's
/// replication policy keys (given as options of the same names). <see cref="MirrorMakerSettings.Load"/> checks them.
/// </summary>
public sealed record MirrorMakerOptions
{
    /// <summary><c>--consumer.config</c>: Java properties file of the source cluster's consumer (Kafka's client keys; one <c>group.id</c> for the whole mirror).</summary>
    public string? ConsumerConfig { get; init; }

    /// <summary><c>--producer.config</c>: Java properties file of the target cluster's producer.</summary>
    public string? ProducerConfig { get; init; }

    /// <summary><c>--num.streams</c>: consumers (stream actors) in the mirror's group. Default 1.</summary>
    public int NumStreams { get; init; } = 1;

    /// <summary><c>--include</c>: regular expression of the topics to mirror; wins over <see cref="Whitelist"/>, as in Kafka.</summary>
    public string? Include { get; init; }

    /// <summary><c>--whitelist</c>: MirrorMaker 1's name for <see cref="Include"/>, used when that is not given.</summary>
    public string? Whitelist { get; init; }

    /// <summary><c>--exclude</c>: regular expression of included topics not to mirror; wins over <see cref="Blacklist"/>.</summary>
    public string? Exclude { get; init; }

    /// <summary><c>--blacklist</c>: the older name for <see cref="Exclude"/>, used when that is not given.</summary>
    public string? Blacklist { get; init; }

    /// <summary><c>--offset.commit.interval.ms</c>: how often acknowledged source offsets are committed. Default 60000.</summary>
    public long OffsetCommitIntervalMs { get; init; } = MirrorMakerSettings.DefaultOffsetCommitIntervalMs;

    /// <summary><c>--abort.on.send.failure</c>: stop the mirror when the target does not take a record (true, the default) or drop the record and go on (false).</summary>
    public bool AbortOnSendFailure { get; init; } = true;

    /// <summary>
    /// <c>--replication.policy.class</c>: <c>IdentityReplicationPolicy</c> (the default: names stay) or
    /// <c>DefaultReplicationPolicy</c> (names get the source alias in front), Kafka's class names, with or without
    /// their package, or just <c>identity</c> / <c>default</c>.
    /// </summary>
    public string? ReplicationPolicyClass { get; init; }

    /// <summary><c>--source.cluster.alias</c>: the source cluster's name in remote topic names (needed by DefaultReplicationPolicy).</summary>
    public string? SourceClusterAlias { get; init; }

    /// <summary><c>--target.cluster.alias</c>: the target cluster's name, so that topics that came from it are not mirrored back (needed by DefaultReplicationPolicy).</summary>
    public string? TargetClusterAlias { get; init; }

    /// <summary><c>--replication.policy.separator</c>: between the alias and the topic name. Default ".".</summary>
    public string? ReplicationPolicySeparator { get; init; }

    /// <summary><c>--heartbeats.topic.name</c> (MirrorMaker 2's <c>default.replication.policy.heartbeats.topic.name</c>): never mirrored. Default "heartbeats".</summary>
    public string? HeartbeatsTopicName { get; init; }

    /// <summary><c>--emit.checkpoints.enabled</c> (MirrorMaker 2's key): translate the source groups' committed offsets to the target. Default true.</summary>
    public bool EmitCheckpointsEnabled { get; init; } = true;

    /// <summary><c>--emit.checkpoints.interval.seconds</c>: how often the source groups' offsets are translated. Default 60, as in MirrorMaker 2.</summary>
    public double EmitCheckpointsIntervalSeconds { get; init; } = MirrorMakerSettings.DefaultCheckpointIntervalSeconds;

    /// <summary><c>--sync.group.offsets.enabled</c>: also commit the translated offsets as the target group's, while it has no members there. Default false.</summary>
    public bool SyncGroupOffsetsEnabled { get; init; }

    /// <summary><c>--groups</c>: regular expression of the source consumer groups to translate. Default every group.</summary>
    public string? Groups { get; init; }

    /// <summary><c>--groups.exclude</c>: groups not to translate. Default MirrorMaker 2's: <c>console-consumer-.*, connect-.*, __.*</c>.</summary>
    public string? GroupsExclude { get; init; }

    /// <summary><c>--emit.heartbeats.enabled</c> (MirrorMaker 2's key): write a heartbeat to the source's heartbeats topic and mirror it. Default true.</summary>
    public bool EmitHeartbeatsEnabled { get; init; } = true;

    /// <summary><c>--emit.heartbeats.interval.seconds</c>: how often a heartbeat is written. Default 1, as in MirrorMaker 2.</summary>
    public double EmitHeartbeatsIntervalSeconds { get; init; } = 1;

    /// <summary><c>--sync.topic.configs.enabled</c> (MirrorMaker 2's key): copy changes of the source topics' configs to the target. Default true.</summary>
    public bool SyncTopicConfigsEnabled { get; init; } = true;

    /// <summary><c>--sync.topic.configs.interval.seconds</c>: how often topic configs are compared. Default 600, as in MirrorMaker 2.</summary>
    public double SyncTopicConfigsIntervalSeconds { get; init; } = 600;
}
