using System.Globalization;
using System.Text.RegularExpressions;
using AkkaBroker.Client;
using AkkaBroker.Protocol;

namespace AkkaBroker.Mirror;

/// <summary>
/// The mirror's settings, read and checked once at start from the command line and the two client properties files.
/// Whatever the files say, the mirror never skips a record, so it sets:
/// <list type="bullet">
/// <item>producer <c>acks=all</c> and <c>enable.idempotence=true</c>, with <c>max.in.flight.requests.per.connection</c>
/// at most 5 (the most idempotence keeps in order). Explicit <c>acks</c> other than all, or
/// <c>enable.idempotence=false</c>, is refused rather than silently overridden;</item>
/// <item>consumer <c>enable.auto.commit=false</c> (the mirror commits source offsets itself, only for records the
/// target acknowledged; explicit true is refused) and <c>auto.offset.reset=none</c>: a position retention deleted
/// must surface as an error the mirror reports and counts (<see cref="OffsetGap"/>), never as a silent jump. The
/// file's own <c>auto.offset.reset</c> (default earliest, as in MirrorMaker 2) becomes <see cref="AutoOffsetReset"/>,
/// where a partition with no committed offset starts.</item>
/// </list>
/// Key and value (de)serializer keys are dropped: records are copied as bytes; Kafka's assignor class names in
/// <c>partition.assignment.strategy</c> are read as the client's short names. Other keys go to the clients, which
/// refuse unknown ones when they are built. Bad values fail here, naming the file, the key, the value and what to do.
/// </summary>
public sealed partial class MirrorMakerSettings
{
    /// <summary>Kafka MirrorMaker's default <c>offset.commit.interval.ms</c>.</summary>
    public const int DefaultOffsetCommitIntervalMs = 60000;

    /// <summary>The most <c>max.in.flight.requests.per.connection</c> idempotence keeps in order (Kafka's limit).</summary>
    public const int MaxInFlightWithIdempotence = 5;

    /// <summary>The mirror's consumers look for added partitions this often unless the consumer file says otherwise.</summary>
    public const int DefaultConsumerMetadataMaxAgeMs = 5000;

    /// <summary>MirrorMaker 2's default <c>emit.checkpoints.interval.seconds</c>.</summary>
    public const double DefaultCheckpointIntervalSeconds = 60;

    /// <summary>MirrorMaker 2's default <c>groups.exclude</c>: console consumers, Connect's workers and internal groups.</summary>
    public const string DefaultGroupsExclude = "console-consumer-.*, connect-.*, __.*";

    /// <summary>The source cluster's name in offset syncs and checkpoints when <c>--source.cluster.alias</c> is not given.</summary>
    public const string DefaultSourceClusterName = "source";

    private const string CommandLine = "the command line";

    // Records are copied as bytes, as Kafka's MirrorMaker does (it overrides these keys with its byte-array classes).
    private static readonly string[] SerdeKeys = ["key.serializer", "value.serializer", "key.deserializer", "value.deserializer"];

    /// <summary>Kafka's legal topic-name characters: aliases and the separator become parts of topic names.</summary>
    [GeneratedRegex("^[a-zA-Z0-9._-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex LegalTopicChars();

    private readonly Dictionary<string, string> _consumer;
    private readonly Dictionary<string, string> _producer;

    private MirrorMakerSettings(Dictionary<string, string> consumer, Dictionary<string, string> producer, int numStreams, TopicFilter topics,
        ReplicationPolicy policy, TimeSpan offsetCommitInterval, bool abortOnSendFailure, AutoOffsetReset autoOffsetReset, IReadOnlyList<string> adjustments,
        CheckpointSettings checkpoints, TimeSpan? heartbeatInterval, TimeSpan? topicConfigSyncInterval)
    {
        TopicConfigSyncInterval = topicConfigSyncInterval;
        Checkpoints = checkpoints;
        HeartbeatInterval = heartbeatInterval;
        _consumer = consumer;
        _producer = producer;
        NumStreams = numStreams;
        Topics = topics;
        Policy = policy;
        OffsetCommitInterval = offsetCommitInterval;
        AbortOnSendFailure = abortOnSendFailure;
        AutoOffsetReset = autoOffsetReset;
        Adjustments = adjustments;
    }

    /// <summary>How often the source topics' configs are copied to the target when they changed, or null when they are not.</summary>
    public TimeSpan? TopicConfigSyncInterval { get; }

    /// <summary>How often a heartbeat is written to the source's heartbeats topic (and mirrored), or null when heartbeats are off.</summary>
    public TimeSpan? HeartbeatInterval { get; }

    /// <summary>How the source groups' committed offsets are translated to the target.</summary>
    public CheckpointSettings Checkpoints { get; }

    /// <summary>The source cluster's name in offset syncs and checkpoints: <c>--source.cluster.alias</c>, or "source".</summary>
    public string SourceClusterName => Policy.SourceClusterAlias ?? DefaultSourceClusterName;

    /// <summary>The consumer group of every stream (<c>group.id</c>): the source partitions are shared among the streams, and its committed offsets are where the mirror resumes.</summary>
    public string GroupId => _consumer["group.id"];

    /// <summary><c>num.streams</c>: how many consumers (stream actors) mirror in the group.</summary>
    public int NumStreams { get; }

    /// <summary>The topics the user asked for (<c>--include</c>/<c>--exclude</c>).</summary>
    public TopicFilter Topics { get; }

    /// <summary>Target topic naming, loop prevention and the topics never mirrored.</summary>
    public ReplicationPolicy Policy { get; }

    /// <summary><c>offset.commit.interval.ms</c>: how often acknowledged source offsets are committed (also on revoke and on shutdown).</summary>
    public TimeSpan OffsetCommitInterval { get; }

    /// <summary><c>abort.on.send.failure</c>: a record the target does not take stops the mirror (true) or is dropped and counted (false).</summary>
    public bool AbortOnSendFailure { get; }

    /// <summary>
    /// Where a partition with no committed offset starts: the consumer file's <c>auto.offset.reset</c> (earliest when
    /// not given; <see cref="Client.AutoOffsetReset.Error"/> for none, which makes such a partition stop the mirror). The
    /// consumer itself runs with none, so the mirror applies this when partitions are assigned.
    /// </summary>
    public AutoOffsetReset AutoOffsetReset { get; }

    /// <summary>The consumer's keys as the streams use them (client.id and group.instance.id get a per-stream suffix, <see cref="ConsumerConfigFor"/>).</summary>
    public IReadOnlyDictionary<string, string> ConsumerProperties => _consumer;

    /// <summary>The producer's keys as the mirror uses them.</summary>
    public IReadOnlyDictionary<string, string> ProducerProperties => _producer;

    /// <summary>What was changed or dropped from the files, one sentence each, for the start-up log.</summary>
    public IReadOnlyList<string> Adjustments { get; }

    /// <summary>
    /// The consumer configuration of stream <paramref name="stream"/> (0-based): <c>client.id</c> is
    /// <c>{client.id or group.id}-{stream}</c> as in Kafka's MirrorMaker, and a <c>group.instance.id</c> gets the same
    /// suffix, since two members with one instance id would fence each other.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stream"/> is not below <see cref="NumStreams"/>.</exception>
    public ConsumerConfig ConsumerConfigFor(int stream)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stream);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stream, NumStreams);
        var clientId = _consumer.TryGetValue("client.id", out var id) && id.Trim().Length > 0 ? id.Trim() : GroupId;
        var config = new ConsumerConfig(_consumer) { ClientId = $"{clientId}-{stream}" };
        if (_consumer.TryGetValue("group.instance.id", out var instance) && instance.Trim().Length > 0)
            config.GroupInstanceId = $"{instance.Trim()}-{stream}";
        return config;
    }

    /// <summary>The producer configuration (one producer, shared by the streams).</summary>
    public ProducerConfig ProducerConfig() => new(_producer);

    /// <summary>Whether <paramref name="topic"/> is mirrored: the user's filter includes it and the policy allows it (not internal, not heartbeats, not come from the target).</summary>
    public bool ShouldMirror(string topic) => Topics.IsIncluded(topic) && Policy.ShouldMirror(topic);

    /// <summary>Whether the stream consumes <paramref name="topic"/>: a topic the user asked for, or the heartbeats topic while heartbeats are on.</summary>
    public bool ShouldConsume(string topic) => ShouldMirror(topic) || (HeartbeatInterval != null && topic == Policy.HeartbeatsTopic);

    /// <summary>Reads both properties files named by <paramref name="options"/> and checks everything.</summary>
    /// <exception cref="MirrorMakerConfigException">a file is missing or unreadable, or a setting is refused.</exception>
    public static MirrorMakerSettings Load(MirrorMakerOptions options)
    {
        RequireFile("--consumer.config", options.ConsumerConfig);
        RequireFile("--producer.config", options.ProducerConfig);
        var consumer = ReadFile("--consumer.config", options.ConsumerConfig!);
        var producer = ReadFile("--producer.config", options.ProducerConfig!);
        return Create(options, consumer, producer);
    }

    /// <summary>The keys of a <c>mirror</c> HOCON block besides its <c>consumer</c> and <c>producer</c> blocks: the command line's options.</summary>
    public static readonly IReadOnlyList<string> HoconKeys =
    [
        "num.streams", "include", "whitelist", "exclude", "blacklist", "offset.commit.interval.ms", "abort.on.send.failure",
        "replication.policy.class", "source.cluster.alias", "target.cluster.alias", "replication.policy.separator", "heartbeats.topic.name",
        "emit.checkpoints.enabled", "emit.checkpoints.interval.seconds", "sync.group.offsets.enabled", "groups", "groups.exclude",
        "emit.heartbeats.enabled", "emit.heartbeats.interval.seconds", "sync.topic.configs.enabled", "sync.topic.configs.interval.seconds",
    ];

    /// <summary>
    /// Settings from a broker's <c>akkabroker.mirror</c> HOCON block, for the mirror run inside the cluster: the
    /// command line's options under their own names (<c>num.streams = 2</c>, <c>include = "orders.*"</c>, ...), and the
    /// clients' Kafka keys in <c>consumer { ... }</c> and <c>producer { ... }</c>. The producer's
    /// <c>bootstrap.servers</c> defaults to <paramref name="localBootstrap"/>: the cluster the mirror runs in.
    /// </summary>
    /// <exception cref="MirrorMakerConfigException">an unknown key, a bad value, or a setting refused as for the command.</exception>
    public static MirrorMakerSettings FromHocon(Akka.Configuration.Config block, string localBootstrap)
    {
        const string origin = "akkabroker.mirror";
        var consumer = new Dictionary<string, string>();
        var producer = new Dictionary<string, string>();
        var options = new Dictionary<string, string>();
        foreach (var (key, text) in Flatten(block.Root, ""))
        {
            if (key.StartsWith("consumer.", StringComparison.Ordinal)) consumer[key["consumer.".Length..]] = text;
            else if (key.StartsWith("producer.", StringComparison.Ordinal)) producer[key["producer.".Length..]] = text;
            else if (HoconKeys.Contains(key)) options[key] = text;
            else
            {
                var nearest = HoconKeys.Concat(["consumer.bootstrap.servers", "consumer.group.id", "producer.bootstrap.servers"])
                    .MinBy(k => NearestKey.Distance(k, key));
                throw new MirrorMakerConfigException(origin, key, text,
                    $"It is not a mirror key. Did you mean '{nearest}'? Client keys go in consumer {{ ... }} or producer {{ ... }}.");
            }
        }
        producer.TryAdd("bootstrap.servers", localBootstrap);
        string? Text(string key) => options.GetValueOrDefault(key);
        bool Bool(string key, bool fallback) => Text(key) is not { } v ? fallback
            : bool.TryParse(v, out var b) ? b : throw new MirrorMakerConfigException(origin, key, v, "It must be true or false.");
        double Number(string key, double fallback) => Text(key) is not { } v ? fallback
            : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new MirrorMakerConfigException(origin, key, v, "It must be a number.");
        var defaults = new MirrorMakerOptions();
        if (Text("num.streams") is { } streams && !int.TryParse(streams, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            throw new MirrorMakerConfigException(origin, "num.streams", streams, "It must be a whole number of streams, at least 1.");
        return Create(new MirrorMakerOptions
        {
            ConsumerConfig = origin + ".consumer", ProducerConfig = origin + ".producer",
            NumStreams = (int)Number("num.streams", defaults.NumStreams), Include = Text("include"), Whitelist = Text("whitelist"),
            Exclude = Text("exclude"), Blacklist = Text("blacklist"), OffsetCommitIntervalMs = (long)Number("offset.commit.interval.ms", defaults.OffsetCommitIntervalMs),
            AbortOnSendFailure = Bool("abort.on.send.failure", defaults.AbortOnSendFailure), ReplicationPolicyClass = Text("replication.policy.class"),
            SourceClusterAlias = Text("source.cluster.alias"), TargetClusterAlias = Text("target.cluster.alias"),
            ReplicationPolicySeparator = Text("replication.policy.separator"), HeartbeatsTopicName = Text("heartbeats.topic.name"),
            EmitCheckpointsEnabled = Bool("emit.checkpoints.enabled", defaults.EmitCheckpointsEnabled),
            EmitCheckpointsIntervalSeconds = Number("emit.checkpoints.interval.seconds", defaults.EmitCheckpointsIntervalSeconds),
            SyncGroupOffsetsEnabled = Bool("sync.group.offsets.enabled", defaults.SyncGroupOffsetsEnabled), Groups = Text("groups"), GroupsExclude = Text("groups.exclude"),
            EmitHeartbeatsEnabled = Bool("emit.heartbeats.enabled", defaults.EmitHeartbeatsEnabled),
            EmitHeartbeatsIntervalSeconds = Number("emit.heartbeats.interval.seconds", defaults.EmitHeartbeatsIntervalSeconds),
            SyncTopicConfigsEnabled = Bool("sync.topic.configs.enabled", defaults.SyncTopicConfigsEnabled),
            SyncTopicConfigsIntervalSeconds = Number("sync.topic.configs.interval.seconds", defaults.SyncTopicConfigsIntervalSeconds),
        }, consumer, producer);
    }

    /// <summary>The block's leaves under their dotted paths: <c>num.streams = 2</c> and <c>num { streams = 2 }</c> alike.</summary>
    private static IEnumerable<(string Key, string Value)> Flatten(Akka.Configuration.Hocon.HoconValue value, string prefix)
    {
        if (value.IsObject())
        {
            foreach (var (key, child) in value.GetObject().Items)
                foreach (var leaf in Flatten(child, prefix.Length == 0 ? key : $"{prefix}.{key}"))
                    yield return leaf;
        }
        else yield return (prefix, value.GetString());
    }

    /// <summary>Checks the command line and the two files' key/value pairs and makes the settings.</summary>
    /// <exception cref="MirrorMakerConfigException">a setting is refused; the message names where it came from, the key, the value and what to do.</exception>
    public static MirrorMakerSettings Create(MirrorMakerOptions options, IReadOnlyDictionary<string, string> consumerProperties,
        IReadOnlyDictionary<string, string> producerProperties)
    {
        var consumerOrigin = "consumer.config" + (options.ConsumerConfig is { } c ? " " + c : "");
        var producerOrigin = "producer.config" + (options.ProducerConfig is { } p ? " " + p : "");
        var adjustments = new List<string>();

        if (options.NumStreams < 1)
            throw new MirrorMakerConfigException(CommandLine, "--num.streams", options.NumStreams.ToString(CultureInfo.InvariantCulture),
                "It must be at least 1: the number of consumers mirroring in the group.");
        if (options.OffsetCommitIntervalMs < 0)
            throw new MirrorMakerConfigException(CommandLine, "--offset.commit.interval.ms", options.OffsetCommitIntervalMs.ToString(CultureInfo.InvariantCulture),
                $"It must be 0 or more milliseconds (default {DefaultOffsetCommitIntervalMs}).");

        var consumer = ReadConsumer(consumerProperties, consumerOrigin, adjustments, out var autoOffsetReset);
        var producer = ReadProducer(producerProperties, producerOrigin, adjustments);
        var topics = ReadTopicFilter(options);
        var policy = ReadPolicy(options);

        if (policy.KeepsTopicNames && SameCluster(consumer["bootstrap.servers"], producer["bootstrap.servers"]))
            throw new MirrorMakerConfigException(producerOrigin, "bootstrap.servers", producer["bootstrap.servers"],
                $"It names the same cluster as the consumer's bootstrap.servers, and {policy.Name} keeps topic names: every mirrored " +
                "record would be consumed again and mirrored forever. Mirror to another cluster, or use --replication.policy.class " +
                "DefaultReplicationPolicy with --source.cluster.alias and --target.cluster.alias.");

        if (!(options.EmitCheckpointsIntervalSeconds >= 0.1))
            throw new MirrorMakerConfigException(CommandLine, "--emit.checkpoints.interval.seconds", options.EmitCheckpointsIntervalSeconds.ToString(CultureInfo.InvariantCulture),
                $"It must be at least 0.1 seconds (default {DefaultCheckpointIntervalSeconds}); to translate no offsets, give --emit.checkpoints.enabled false.");
        if (options.SyncGroupOffsetsEnabled && !options.EmitCheckpointsEnabled)
            throw new MirrorMakerConfigException(CommandLine, "--sync.group.offsets.enabled", "true",
                "Group offsets are synced from the checkpoints, and --emit.checkpoints.enabled is false: enable both, or neither.");
        var checkpoints = new CheckpointSettings(options.EmitCheckpointsEnabled, TimeSpan.FromSeconds(options.EmitCheckpointsIntervalSeconds),
            options.SyncGroupOffsetsEnabled, ReadGroupFilter(options));

        if (!(options.EmitHeartbeatsIntervalSeconds >= 0.1))
            throw new MirrorMakerConfigException(CommandLine, "--emit.heartbeats.interval.seconds", options.EmitHeartbeatsIntervalSeconds.ToString(CultureInfo.InvariantCulture),
                "It must be at least 0.1 seconds (default 1); to write no heartbeats, give --emit.heartbeats.enabled false.");
        var heartbeats = options.EmitHeartbeatsEnabled ? TimeSpan.FromSeconds(options.EmitHeartbeatsIntervalSeconds) : (TimeSpan?)null;

        if (!(options.SyncTopicConfigsIntervalSeconds >= 0.1))
            throw new MirrorMakerConfigException(CommandLine, "--sync.topic.configs.interval.seconds", options.SyncTopicConfigsIntervalSeconds.ToString(CultureInfo.InvariantCulture),
                "It must be at least 0.1 seconds (default 600); to copy no config changes, give --sync.topic.configs.enabled false.");
        var configSync = options.SyncTopicConfigsEnabled ? TimeSpan.FromSeconds(options.SyncTopicConfigsIntervalSeconds) : (TimeSpan?)null;

        return new MirrorMakerSettings(consumer, producer, options.NumStreams, topics, policy,
            TimeSpan.FromMilliseconds(options.OffsetCommitIntervalMs), options.AbortOnSendFailure, autoOffsetReset, adjustments, checkpoints, heartbeats, configSync);
    }

    private static void RequireFile(string option, string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new MirrorMakerConfigException(CommandLine, option, null,
                "Give the Java properties file of the client, with Kafka's keys (bootstrap.servers, ...).");
    }

    private static Dictionary<string, string> ReadFile(string option, string path)
    {
        try
        {
            return JavaProperties.Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new MirrorMakerConfigException(CommandLine, option, path, $"The file cannot be read: {e.Message}");
        }
    }

    private static Dictionary<string, string> ReadConsumer(IReadOnlyDictionary<string, string> given, string origin, List<string> adjustments,
        out AutoOffsetReset autoOffsetReset)
    {
        var consumer = WithoutSerdes(given, origin, adjustments);
        RequireNonEmpty(consumer, "bootstrap.servers", origin, "Name the source cluster's brokers, e.g. bootstrap.servers=127.0.0.1:9192.");
        RequireNonEmpty(consumer, "group.id", origin,
            "The mirror's streams consume as one consumer group, whose committed offsets are where a restarted mirror resumes; set e.g. group.id=mirror-maker.");
        consumer["group.id"] = consumer["group.id"].Trim();

        if (consumer.TryGetValue("enable.auto.commit", out var autoCommit))
        {
            if (autoCommit.Trim().Equals("true", StringComparison.OrdinalIgnoreCase))
                throw new MirrorMakerConfigException(origin, "enable.auto.commit", autoCommit,
                    "The mirror commits source offsets itself, only for records the target acknowledged; auto-commit would commit records " +
                    "still on their way, and a crash would lose them. Remove the key or set it to false.");
            if (!autoCommit.Trim().Equals("false", StringComparison.OrdinalIgnoreCase))
                throw new MirrorMakerConfigException(origin, "enable.auto.commit", autoCommit, "It must be false (the mirror commits offsets itself), or left out.");
        }
        consumer["enable.auto.commit"] = "false";

        // Kafka's consumer notices partitions added to a subscribed topic only at its next metadata refresh (5 minutes
        // by default): a mirror should copy them within seconds. A value in the file is kept.
        consumer.TryAdd("metadata.max.age.ms", DefaultConsumerMetadataMaxAgeMs.ToString(CultureInfo.InvariantCulture));

        autoOffsetReset = AutoOffsetReset.Earliest;
        if (consumer.TryGetValue("auto.offset.reset", out var reset))
            autoOffsetReset = reset.Trim().ToLowerInvariant() switch
            {
                "earliest" => AutoOffsetReset.Earliest,
                "latest" => AutoOffsetReset.Latest,
                "none" => AutoOffsetReset.Error,
                _ => throw new MirrorMakerConfigException(origin, "auto.offset.reset", reset,
                    "It must be earliest (the default: a partition with no committed offset is mirrored from its start), latest (only records " +
                    "written from now on) or none (stop when a partition has no committed offset)."),
            };
        // Offsets retention deleted must reach the mirror as an error it reports, not as a silent reset (see OffsetGap).
        consumer["auto.offset.reset"] = "none";

        if (consumer.TryGetValue("partition.assignment.strategy", out var strategies))
        {
            var names = strategies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => JavaAssignors.TryGetValue(s, out var name) ? name : s).ToArray();
            var joined = string.Join(",", names);
            if (joined != strategies.Trim())
            {
                adjustments.Add($"{origin}: partition.assignment.strategy {strategies.Trim()} read as {joined}, the client's names for Kafka's assignor classes.");
                consumer["partition.assignment.strategy"] = joined;
            }
        }
        return consumer;
    }

    /// <summary>
    /// Kafka's Java consumer names assignors by class (Kafka's MirrorMaker 1 itself recommended
    /// <c>org.apache.kafka.clients.consumer.RoundRobinAssignor</c>); the client takes the short names.
    /// </summary>
    private static readonly Dictionary<string, string> JavaAssignors = new(StringComparer.Ordinal)
    {
        ["org.apache.kafka.clients.consumer.RangeAssignor"] = "range",
        ["org.apache.kafka.clients.consumer.RoundRobinAssignor"] = "roundrobin",
        ["org.apache.kafka.clients.consumer.StickyAssignor"] = "sticky",
        ["org.apache.kafka.clients.consumer.CooperativeStickyAssignor"] = "cooperative-sticky",
    };

    private static Dictionary<string, string> ReadProducer(IReadOnlyDictionary<string, string> given, string origin, List<string> adjustments)
    {
        var producer = WithoutSerdes(given, origin, adjustments);
        RequireNonEmpty(producer, "bootstrap.servers", origin, "Name the target cluster's brokers, e.g. bootstrap.servers=127.0.0.1:9292.");

        if (producer.TryGetValue("acks", out var acks) && acks.Trim().ToLowerInvariant() is not ("all" or "-1"))
            throw new MirrorMakerConfigException(origin, "acks", acks,
                "The mirror forces acks=all: a record counts as mirrored, and its source offset may be committed, only once every in-sync " +
                "replica of the target has it; with acks=0 or 1 a target broker failing could lose records the source no longer offers " +
                "the mirror. Remove the key or set acks=all.");
        producer["acks"] = "all";

        if (producer.TryGetValue("enable.idempotence", out var idempotence))
        {
            if (idempotence.Trim().Equals("false", StringComparison.OrdinalIgnoreCase))
                throw new MirrorMakerConfigException(origin, "enable.idempotence", idempotence,
                    "The mirror forces enable.idempotence=true: its producer retries, and without idempotence a retried send can write a " +
                    "record twice or, with several requests in flight, out of order. Remove the key or set it to true.");
            if (!idempotence.Trim().Equals("true", StringComparison.OrdinalIgnoreCase))
                throw new MirrorMakerConfigException(origin, "enable.idempotence", idempotence, "It must be true (the mirror forces it), or left out.");
        }
        producer["enable.idempotence"] = "true";

        var maxInFlight = MaxInFlightWithIdempotence;
        if (producer.TryGetValue("max.in.flight.requests.per.connection", out var inFlight))
        {
            if (!int.TryParse(inFlight.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out maxInFlight) || maxInFlight < 1)
                throw new MirrorMakerConfigException(origin, "max.in.flight.requests.per.connection", inFlight,
                    $"It must be a whole number from 1 to {MaxInFlightWithIdempotence}.");
            if (maxInFlight > MaxInFlightWithIdempotence)
            {
                adjustments.Add($"{origin}: max.in.flight.requests.per.connection lowered from {maxInFlight} to {MaxInFlightWithIdempotence}, " +
                                "the most an idempotent producer keeps in order.");
                maxInFlight = MaxInFlightWithIdempotence;
            }
        }
        producer["max.in.flight.requests.per.connection"] = maxInFlight.ToString(CultureInfo.InvariantCulture);
        return producer;
    }

    private static Dictionary<string, string> WithoutSerdes(IReadOnlyDictionary<string, string> given, string origin, List<string> adjustments)
    {
        var result = new Dictionary<string, string>(given, StringComparer.Ordinal);
        foreach (var key in SerdeKeys)
            if (result.Remove(key))
                adjustments.Add($"{origin}: {key} ignored: the mirror copies keys and values as bytes.");
        return result;
    }

    private static void RequireNonEmpty(Dictionary<string, string> properties, string key, string origin, string advice)
    {
        if (!properties.TryGetValue(key, out var value)) throw new MirrorMakerConfigException(origin, key, null, advice);
        if (value.Trim().Length == 0) throw new MirrorMakerConfigException(origin, key, value, "It is empty. " + advice);
    }

    private static TopicFilter ReadTopicFilter(MirrorMakerOptions options)
    {
        var (includeOption, include) = options.Include != null ? ("--include", options.Include) : ("--whitelist", options.Whitelist);
        var (excludeOption, exclude) = options.Exclude != null ? ("--exclude", options.Exclude) : ("--blacklist", options.Blacklist);
        if (include == null)
            throw new MirrorMakerConfigException(CommandLine, "--include", null,
                "Name the topics to mirror as a regular expression matching whole topic names, e.g. --include 'orders|payments' " +
                "or --include '.*' for every topic (--whitelist is the older name).");
        try
        {
            return new TopicFilter(include, exclude);
        }
        catch (ArgumentException e)
        {
            var (option, value) = e.ParamName == "exclude" ? (excludeOption, exclude) : (includeOption, include);
            throw new MirrorMakerConfigException(CommandLine, option, value,
                $"{FirstSentence(e)} Write a regular expression (Java's syntax, as Kafka's) that matches whole topic names, e.g. 'orders.*|payments'.");
        }
    }

    private static TopicFilter ReadGroupFilter(MirrorMakerOptions options)
    {
        try
        {
            return new TopicFilter(options.Groups ?? ".*", options.GroupsExclude ?? DefaultGroupsExclude);
        }
        catch (ArgumentException e)
        {
            var (option, value) = e.ParamName == "exclude" ? ("--groups.exclude", options.GroupsExclude) : ("--groups", options.Groups);
            throw new MirrorMakerConfigException(CommandLine, option, value,
                $"{FirstSentence(e)} Write a regular expression that matches whole group names, e.g. 'orders-.*|billing'.");
        }
    }

    private static ReplicationPolicy ReadPolicy(MirrorMakerOptions options)
    {
        var separator = options.ReplicationPolicySeparator ?? ReplicationPolicy.DefaultSeparator;
        if (separator.Length == 0 || !LegalTopicChars().IsMatch(separator))
            throw new MirrorMakerConfigException(CommandLine, "--replication.policy.separator", separator,
                "It goes into topic names, so it must be one or more of ASCII letters, digits, '.', '_' and '-' (default '.').");
        var heartbeats = options.HeartbeatsTopicName ?? ReplicationPolicy.DefaultHeartbeatsTopic;
        if (!LegalTopicChars().IsMatch(heartbeats))
            throw new MirrorMakerConfigException(CommandLine, "--heartbeats.topic.name", heartbeats,
                "It must be a legal topic name: ASCII letters, digits, '.', '_' and '-' (default 'heartbeats').");
        var source = CheckAlias("--source.cluster.alias", options.SourceClusterAlias);
        var target = CheckAlias("--target.cluster.alias", options.TargetClusterAlias);

        var name = options.ReplicationPolicyClass?.Trim() ?? "IdentityReplicationPolicy";
        var simple = name[(name.LastIndexOf('.') + 1)..];
        if (simple.Equals("identity", StringComparison.OrdinalIgnoreCase) || simple.Equals("IdentityReplicationPolicy", StringComparison.OrdinalIgnoreCase))
            return ReplicationPolicy.Identity(source, target, heartbeats);
        if (!simple.Equals("default", StringComparison.OrdinalIgnoreCase) && !simple.Equals("DefaultReplicationPolicy", StringComparison.OrdinalIgnoreCase))
            throw new MirrorMakerConfigException(CommandLine, "--replication.policy.class", name,
                "It must be IdentityReplicationPolicy (the default: topic names stay) or DefaultReplicationPolicy (names become " +
                "{source.cluster.alias}.{topic}), with or without Kafka's package org.apache.kafka.connect.mirror.");
        if (source == null)
            throw new MirrorMakerConfigException(CommandLine, "--source.cluster.alias", null,
                "DefaultReplicationPolicy names mirrored topics {source.cluster.alias}{separator}{topic}: name the source cluster, e.g. --source.cluster.alias us-west.");
        if (target == null)
            throw new MirrorMakerConfigException(CommandLine, "--target.cluster.alias", null,
                "DefaultReplicationPolicy leaves out topics that came from the target cluster, so that two clusters can mirror each other " +
                "without loops: name the target cluster, e.g. --target.cluster.alias us-east.");
        CheckNoSeparator("--source.cluster.alias", source, separator);
        CheckNoSeparator("--target.cluster.alias", target, separator);
        if (source == target)
            throw new MirrorMakerConfigException(CommandLine, "--target.cluster.alias", target,
                "It is the source cluster's alias too: every topic mirrored would look like one that came from the target. Give the two clusters different aliases.");
        return ReplicationPolicy.Prefixed(source, target, separator, heartbeats);
    }

    private static string? CheckAlias(string option, string? alias)
    {
        if (alias != null && !LegalTopicChars().IsMatch(alias))
            throw new MirrorMakerConfigException(CommandLine, option, alias,
                "A cluster alias goes into topic names, so it must be one or more of ASCII letters, digits, '.', '_' and '-'.");
        return alias;
    }

    private static void CheckNoSeparator(string option, string alias, string separator)
    {
        if (alias.Contains(separator, StringComparison.Ordinal))
            throw new MirrorMakerConfigException(CommandLine, option, alias,
                $"It contains the separator '{separator}', so a mirrored topic's name could not be read back into alias and topic. " +
                "Choose an alias without it, or another --replication.policy.separator.");
    }

    /// <summary>Whether two bootstrap.servers lists name the same brokers (same host:port set, case aside).</summary>
    private static bool SameCluster(string a, string b)
    {
        static string[] Set(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => x.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal).ToArray();
        return Set(a).SequenceEqual(Set(b));
    }

    /// <summary>An ArgumentException's own sentence, without the "(Parameter '...')" .NET appends.</summary>
    private static string FirstSentence(ArgumentException e)
    {
        var message = e.Message;
        var parameter = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        if (parameter >= 0) message = message[..parameter];
        return char.ToUpperInvariant(message[0]) + message[1..] + (message.EndsWith('.') ? "" : ".");
    }
}

/// <summary>
/// Checkpoints (MirrorMaker 2's keys): every <see cref="Interval"/> the committed offsets of the source groups
/// <see cref="Groups"/> matches are translated to target offsets and written to the target's checkpoints topic, and
/// with <see cref="SyncGroupOffsets"/> committed as the target group's offsets while that group has no members there.
/// The mirror's own group is never translated: its offsets are the mirror's progress, not a reader's.
/// </summary>
public sealed record CheckpointSettings(bool Enabled, TimeSpan Interval, bool SyncGroupOffsets, TopicFilter Groups);
