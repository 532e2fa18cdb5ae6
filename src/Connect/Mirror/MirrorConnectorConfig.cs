using AkkaBroker.Client;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Jdbc;
using AkkaBroker.Mirror;

namespace AkkaBroker.Connect.Mirror;

/// <summary>Which cluster a client or an internal topic belongs to.</summary>
public enum MirrorCluster
{
    /// <summary>The cluster mirrored from.</summary>
    Source,

    /// <summary>The cluster mirrored to, the worker's.</summary>
    Target,
}

/// <summary>
/// The keys of MirrorMaker 2's connectors (Kafka's <c>MirrorConnectorConfig</c> and its subclasses, same names and
/// defaults), the definitions each connector validates against, and a parsed configuration. Immutable.
/// <para>
/// Clients: <c>{source|target}.cluster.*</c> (minus <c>alias</c>) are the cluster's settings every client to it gets,
/// <c>bootstrap.servers</c> first among them; <c>{source|target}.{consumer|producer|admin}.*</c> are added for that one
/// client, as Kafka's <c>source.consumer.*</c> overrides are.
/// </para>
/// </summary>
public sealed class MirrorConnectorConfig
{
    // Key names as Kafka spells them; what each means is in the definitions below.
    public const string SourceClusterAlias = "source.cluster.alias";
    public const string TargetClusterAlias = "target.cluster.alias";
    public const string SourceBootstrapServers = "source.cluster.bootstrap.servers";
    public const string TargetBootstrapServers = "target.cluster.bootstrap.servers";
    public const string ReplicationPolicyClass = "replication.policy.class";
    public const string ReplicationPolicySeparator = "replication.policy.separator";
    public const string Topics = "topics";
    public const string TopicsExclude = "topics.exclude";
    public const string Groups = "groups";
    public const string GroupsExclude = "groups.exclude";
    public const string RefreshTopicsEnabled = "refresh.topics.enabled";
    public const string RefreshTopicsIntervalSeconds = "refresh.topics.interval.seconds";
    public const string SyncTopicConfigsEnabled = "sync.topic.configs.enabled";
    public const string SyncTopicConfigsIntervalSeconds = "sync.topic.configs.interval.seconds";
    public const string OffsetSyncsTopicLocation = "offset-syncs.topic.location";
    public const string EmitOffsetSyncsEnabled = "emit.offset-syncs.enabled";
    public const string EmitCheckpointsEnabled = "emit.checkpoints.enabled";
    public const string EmitCheckpointsIntervalSeconds = "emit.checkpoints.interval.seconds";
    public const string SyncGroupOffsetsEnabled = "sync.group.offsets.enabled";
    public const string SyncGroupOffsetsIntervalSeconds = "sync.group.offsets.interval.seconds";
    public const string EmitHeartbeatsEnabled = "emit.heartbeats.enabled";
    public const string EmitHeartbeatsIntervalSeconds = "emit.heartbeats.interval.seconds";

    /// <summary>The source task's own key: its source partitions, <c>topic-partition</c> comma-separated (Kafka's <c>task.assigned.partitions</c>).</summary>
    public const string TaskAssignedPartitions = "task.assigned.partitions";

    /// <summary>The source task's number among the connector's tasks, for its metrics and summary line (<c>stream N</c>).</summary>
    public const string TaskIndex = "task.index";

    /// <summary>Kafka's default <c>topics.exclude</c>: internal topics and replicas of other tools.</summary>
    public const string DefaultTopicsExclude = @".*[\-\.]internal, .*\.replica, __.*";

    private const string KafkaPolicyPackage = "org.apache.kafka.connect.mirror.";
    private static readonly string[] PolicyClasses =
        ["DefaultReplicationPolicy", "IdentityReplicationPolicy", KafkaPolicyPackage + "DefaultReplicationPolicy", KafkaPolicyPackage + "IdentityReplicationPolicy"];

    // Declared before the definitions that use them: static fields are initialized in order.
    private static readonly Action<string, object?> IncludeFilter = (name, value) => CheckFilter(name, value, () => new TopicFilter((string)value!));
    private static readonly Action<string, object?> ExcludeFilter = (name, value) => CheckFilter(name, value, () => new TopicFilter(".*", (string)value!));

    private static void CheckFilter(string name, object? value, Func<TopicFilter> create)
    {
        try
        {
            create();
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(name, value, e.Message);
        }
    }

    private static readonly Action<string, object?> PositiveOrDisabled = (name, value) =>
    {
        if (value is 0L) throw new ConfigException(name, value, "Value must be at least 1, or negative to disable");
    };

    /// <summary>Keys of the MirrorSourceConnector.</summary>
    public static readonly ConfigDef SourceDefinition = Common(needsSource: true)
        .Define(Topics, ConfigType.String, ".*", Importance.High, "Regular expressions of the source topics to mirror (whole names; ',' separates alternatives).", IncludeFilter, "Mirror")
        .Define(TopicsExclude, ConfigType.String, DefaultTopicsExclude, Importance.High, "Regular expressions of topics not to mirror.", ExcludeFilter, "Mirror")
        .Define(RefreshTopicsEnabled, ConfigType.Boolean, true, Importance.Low, "Look for new source topics and partitions periodically.", group: "Mirror")
        .Define(RefreshTopicsIntervalSeconds, ConfigType.Long, 600L, Importance.Low, "How often, in seconds, the source's topics are listed again; negative: never.", PositiveOrDisabled, "Mirror")
        .Define(SyncTopicConfigsEnabled, ConfigType.Boolean, true, Importance.Low, "Copy the source topics' config changes to the target topics.", group: "Mirror")
        .Define(SyncTopicConfigsIntervalSeconds, ConfigType.Long, 600L, Importance.Low, "How often, in seconds, topic configs are compared; negative: never.", PositiveOrDisabled, "Mirror")
        .Define(EmitOffsetSyncsEnabled, ConfigType.Boolean, true, Importance.Low, "Write offset syncs (where each source record landed on the target), which checkpoints are translated with.", group: "Mirror")
        .Define(OffsetSyncsTopicLocation, ConfigType.String, "source", Importance.Low, "The cluster the offset syncs topic mm2-offset-syncs.{target alias}.internal lives on.", Validators.In("source", "target"), "Mirror");

    /// <summary>Keys of the MirrorCheckpointConnector.</summary>
    public static readonly ConfigDef CheckpointDefinition = Common(needsSource: true)
        .Define(Topics, ConfigType.String, ".*", Importance.High, "Regular expressions of the mirrored source topics whose group offsets are translated.", IncludeFilter, "Checkpoints")
        .Define(TopicsExclude, ConfigType.String, DefaultTopicsExclude, Importance.High, "Regular expressions of topics left out.", ExcludeFilter, "Checkpoints")
        .Define(Groups, ConfigType.String, ".*", Importance.High, "Regular expressions of the source consumer groups to translate.", IncludeFilter, "Checkpoints")
        .Define(GroupsExclude, ConfigType.String, MirrorMakerSettings.DefaultGroupsExclude, Importance.High, "Regular expressions of groups not to translate.", ExcludeFilter, "Checkpoints")
        .Define(EmitCheckpointsEnabled, ConfigType.Boolean, true, Importance.Low, "Write checkpoints to {source alias}.checkpoints.internal on the target.", group: "Checkpoints")
        .Define(EmitCheckpointsIntervalSeconds, ConfigType.Long, 60L, Importance.Low, "How often, in seconds, group offsets are translated; negative: never.", PositiveOrDisabled, "Checkpoints")
        .Define(SyncGroupOffsetsEnabled, ConfigType.Boolean, false, Importance.Low, "Also commit the translated offsets as the groups' offsets on the target, while a group has no members there.", group: "Checkpoints")
        .Define(SyncGroupOffsetsIntervalSeconds, ConfigType.Long, 60L, Importance.Low, "How often, in seconds, group offsets are committed on the target; negative: never.", PositiveOrDisabled, "Checkpoints")
        .Define(OffsetSyncsTopicLocation, ConfigType.String, "source", Importance.Low, "The cluster the offset syncs are read from (as the MirrorSourceConnector's).", Validators.In("source", "target"), "Checkpoints");

    /// <summary>Keys of the MirrorHeartbeatConnector.</summary>
    public static readonly ConfigDef HeartbeatDefinition = Common(needsSource: false)
        .Define(EmitHeartbeatsEnabled, ConfigType.Boolean, true, Importance.Low, "Write heartbeats to the target's heartbeats topic.", group: "Heartbeats")
        .Define(EmitHeartbeatsIntervalSeconds, ConfigType.Long, 1L, Importance.Low, "How often, in seconds, a heartbeat is written; negative: never.", PositiveOrDisabled, "Heartbeats");

    private static ConfigDef Common(bool needsSource)
    {
        var def = new ConfigDef()
            .Define(SourceClusterAlias, ConfigType.String, "source", Importance.High, "The source cluster's name: the prefix of remote topic names and the key of offset syncs and checkpoints.", Validators.NonEmptyString, "Clusters")
            .Define(TargetClusterAlias, ConfigType.String, "target", Importance.High, "The target cluster's name: topics that came from it are not mirrored back.", Validators.NonEmptyString, "Clusters");
        def = needsSource
            ? def.DefineRequired(SourceBootstrapServers, ConfigType.String, Importance.High, "The source cluster's brokers, host:port comma-separated.", Validators.NonEmptyString, "Clusters")
            : def.Define(SourceBootstrapServers, ConfigType.String, "", Importance.Low, "The source cluster's brokers (not used by this connector).", group: "Clusters");
        return def
            .DefineRequired(TargetBootstrapServers, ConfigType.String, Importance.High, "The target cluster's brokers, host:port comma-separated.", Validators.NonEmptyString, "Clusters")
            .Define(ReplicationPolicyClass, ConfigType.Class, KafkaPolicyPackage + "DefaultReplicationPolicy", Importance.Low,
                "DefaultReplicationPolicy ({source alias}{separator}{topic}) or IdentityReplicationPolicy (names stay).", Validators.In(PolicyClasses), "Clusters")
            .Define(ReplicationPolicySeparator, ConfigType.String, ReplicationPolicy.DefaultSeparator, Importance.Low, "Between the alias and the topic name.", Validators.NonEmptyString, "Clusters");
    }

    private readonly IReadOnlyDictionary<string, string> _props;
    private readonly IReadOnlyDictionary<string, object?> _values;

    private MirrorConnectorConfig(IReadOnlyDictionary<string, string> props, IReadOnlyDictionary<string, object?> values, ReplicationPolicy policy)
    {
        _props = props;
        _values = values;
        Policy = policy;
        SourceAlias = (string)values[SourceClusterAlias]!;
        TargetAlias = (string)values[TargetClusterAlias]!;
        if (values.ContainsKey(Topics)) TopicFilter = new TopicFilter((string)values[Topics]!, (string?)values[TopicsExclude]);
        if (values.ContainsKey(Groups)) GroupFilter = new TopicFilter((string)values[Groups]!, (string?)values[GroupsExclude]);
    }

    /// <summary>Parses and checks <paramref name="props"/> against <paramref name="definition"/>, then the keys together (aliases and policy).</summary>
    /// <exception cref="ConfigException">a key is missing or invalid, or two keys contradict; the message names the key.</exception>
    public static MirrorConnectorConfig Parse(ConfigDef definition, IReadOnlyDictionary<string, string> props)
    {
        var values = definition.Parse(props);
        string source = (string)values[SourceClusterAlias]!, target = (string)values[TargetClusterAlias]!, separator = (string)values[ReplicationPolicySeparator]!;
        var identity = ((string)values[ReplicationPolicyClass]!).EndsWith("IdentityReplicationPolicy", StringComparison.OrdinalIgnoreCase);
        ReplicationPolicy policy;
        try
        {
            policy = identity ? ReplicationPolicy.Identity(source, target) : ReplicationPolicy.Prefixed(source, target, separator);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(SourceClusterAlias, source, e.Message);
        }
        return new MirrorConnectorConfig(props, values, policy);
    }

    /// <summary>
    /// <paramref name="definition"/>'s check of each key; when every key passes, the check of the keys together
    /// (<see cref="Parse"/>), whose objection goes on the key it names.
    /// </summary>
    public static IReadOnlyList<ConfigValue> Validate(ConfigDef definition, IReadOnlyDictionary<string, string> props) =>
        JdbcConfigValidation.Validate(definition, props, p => Parse(definition, p));

    /// <summary>The connector's keys as given, for task configurations.</summary>
    public IReadOnlyDictionary<string, string> Originals => _props;

    /// <summary><c>source.cluster.alias</c>.</summary>
    public string SourceAlias { get; }

    /// <summary><c>target.cluster.alias</c>.</summary>
    public string TargetAlias { get; }

    /// <summary>The replication policy: target topic names and which topics are never mirrored.</summary>
    public ReplicationPolicy Policy { get; }

    /// <summary><c>topics</c> and <c>topics.exclude</c> (null for the heartbeat connector).</summary>
    public TopicFilter? TopicFilter { get; }

    /// <summary><c>groups</c> and <c>groups.exclude</c> (checkpoint connector only).</summary>
    public TopicFilter? GroupFilter { get; }

    /// <summary>Kafka's offset syncs topic for this target: <c>mm2-offset-syncs.{target alias}.internal</c>.</summary>
    public string OffsetSyncsTopic => $"mm2-offset-syncs.{TargetAlias}.internal";

    /// <summary>Kafka's checkpoints topic on the target: <c>{source alias}.checkpoints.internal</c>.</summary>
    public string CheckpointsTopic => $"{SourceAlias}.checkpoints.internal";

    /// <summary>The cluster <c>offset-syncs.topic.location</c> names.</summary>
    public MirrorCluster OffsetSyncsLocation => Get<string>(OffsetSyncsTopicLocation) == "target" ? MirrorCluster.Target : MirrorCluster.Source;

    /// <summary>
    /// Whether the source connector mirrors <paramref name="topic"/>: the topic filter and the policy let it through,
    /// or it is the source's heartbeats topic (mirrored so that the target sees heartbeats written on the source).
    /// </summary>
    public bool ShouldReplicate(string topic) => (TopicFilter?.IsIncluded(topic) == true && Policy.ShouldMirror(topic)) || topic == Policy.HeartbeatsTopic;

    /// <summary>A typed value.</summary>
    public T Get<T>(string key) => (T)_values[key]!;

    /// <summary>An interval in seconds, or null when it is negative (disabled) or its feature is off.</summary>
    public TimeSpan? Interval(string secondsKey, string? enabledKey = null) =>
        (enabledKey == null || Get<bool>(enabledKey)) && Get<long>(secondsKey) is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : null;

    /// <summary>The settings of a <paramref name="client"/> (<c>consumer</c>, <c>producer</c>, <c>admin</c>) to <paramref name="cluster"/>.</summary>
    public Dictionary<string, string> ClientProps(MirrorCluster cluster, string client)
    {
        var side = cluster == MirrorCluster.Source ? "source" : "target";
        var props = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in _props)
            if (key.StartsWith(side + ".cluster.", StringComparison.Ordinal) && key != $"{side}.cluster.alias") props[key[(side.Length + 9)..]] = value;
        foreach (var (key, value) in _props)
            if (key.StartsWith($"{side}.{client}.", StringComparison.Ordinal)) props[key[(side.Length + client.Length + 2)..]] = value;
        return props;
    }

    /// <summary>An admin client of <paramref name="cluster"/>.</summary>
    /// <exception cref="ConnectException">the client settings are refused (an unknown key or a bad value).</exception>
    public IAdminClient Admin(MirrorCluster cluster) =>
        Build(cluster, "admin", props => new AdminClientBuilder(new AdminClientConfig(props)).Build());

    /// <summary>A byte-array consumer of <paramref name="cluster"/> with no group: the mirror assigns partitions and keeps its own offsets.</summary>
    /// <exception cref="ConnectException">the client settings are refused.</exception>
    public IConsumer<byte[]?, byte[]?> Consumer(MirrorCluster cluster, string clientId, Action<Dictionary<string, string>>? adjust = null) =>
        Build(cluster, "consumer", props =>
        {
            props.TryAdd("client.id", clientId);
            adjust?.Invoke(props);
            return new ConsumerBuilder<byte[]?, byte[]?>(props).Build();
        });

    /// <summary>A byte-array producer to <paramref name="cluster"/>.</summary>
    /// <exception cref="ConnectException">the client settings are refused.</exception>
    public IProducer<byte[]?, byte[]?> Producer(MirrorCluster cluster, string clientId) =>
        Build(cluster, "producer", props =>
        {
            props.TryAdd("client.id", clientId);
            return new ProducerBuilder<byte[]?, byte[]?>(props).Build();
        });

    private T Build<T>(MirrorCluster cluster, string client, Func<Dictionary<string, string>, T> build)
    {
        var side = cluster == MirrorCluster.Source ? "source" : "target";
        try
        {
            return build(ClientProps(cluster, client));
        }
        catch (KafkaException e)
        {
            throw new ConnectException($"The {side} cluster's {client} settings are refused: {e.Error.Reason} Check the {side}.cluster.* and {side}.{client}.* keys.", e);
        }
    }
}
