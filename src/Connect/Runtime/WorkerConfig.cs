using AkkaBroker.Client;
using AkkaBroker.Protocol;
using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Runtime;

/// <summary>How a worker keeps connector configs, offsets and status: on its own (a file) or with a group (topics).</summary>
public enum WorkerMode { Standalone, Distributed }

/// <summary>
/// A worker's settings, read once at start from a Kafka Connect worker properties file with Kafka's keys
/// (<c>connect-standalone.properties</c>, <c>connect-distributed.properties</c>). Keys under <c>producer.</c>,
/// <c>consumer.</c> and <c>admin.</c> go to the worker's clients; keys under <c>key.converter.</c> and
/// <c>value.converter.</c> to its converters. Any other unknown key is refused, naming the nearest known one.
/// </summary>
public sealed class WorkerConfig
{
    public const string BootstrapServers = "bootstrap.servers";
    public const string KeyConverter = "key.converter";
    public const string ValueConverter = "value.converter";
    public const string OffsetStorageFileName = "offset.storage.file.filename";
    public const string OffsetFlushIntervalMs = "offset.flush.interval.ms";
    public const string OffsetFlushTimeoutMs = "offset.flush.timeout.ms";
    public const string Listeners = "listeners";
    public const string RestAdvertisedHostName = "rest.advertised.host.name";
    public const string RestAdvertisedPort = "rest.advertised.port";
    public const string PluginPath = "plugin.path";
    public const string TaskShutdownGracefulTimeoutMs = "task.shutdown.graceful.timeout.ms";
    public const string GroupId = "group.id";
    public const string ConfigStorageTopic = "config.storage.topic";
    public const string OffsetStorageTopic = "offset.storage.topic";
    public const string StatusStorageTopic = "status.storage.topic";
    public const string ConfigStorageReplicationFactor = "config.storage.replication.factor";
    public const string OffsetStorageReplicationFactor = "offset.storage.replication.factor";
    public const string StatusStorageReplicationFactor = "status.storage.replication.factor";
    public const string OffsetStoragePartitions = "offset.storage.partitions";
    public const string StatusStoragePartitions = "status.storage.partitions";
    public const string ScheduledRebalanceMaxDelayMs = "scheduled.rebalance.max.delay.ms";
    public const string HeartbeatIntervalMs = "heartbeat.interval.ms";
    public const string SessionTimeoutMs = "session.timeout.ms";

    /// <summary>Prefixes whose keys pass through to the worker's clients and converters.</summary>
    public static readonly string[] PassThroughPrefixes = ["producer.", "consumer.", "admin.", "key.converter.", "value.converter.", "header.converter."];

    /// <summary>Kafka worker keys accepted and not used here (they tune parts this worker does not have), so Kafka's sample files load unchanged.</summary>
    public static readonly string[] IgnoredKafkaKeys =
    [
        "header.converter", "internal.key.converter", "internal.value.converter", "rest.host.name", "rest.port", "client.id",
        "metrics.sample.window.ms", "metrics.num.samples", "metrics.recording.level", "metric.reporters", "config.providers",
        "connector.client.config.override.policy", "topic.creation.enable", "response.http.headers.config", "access.control.allow.origin",
        "access.control.allow.methods", "admin.listeners", "rest.extension.classes", "connect.protocol", "exactly.once.source.support",
    ];

    private static readonly ConfigDef Common = new ConfigDef()
        .Define(BootstrapServers, ConfigType.List, "127.0.0.1:9192", Importance.High, "The cluster's brokers, host:port as each broker advertises itself, separated by commas.", Validators.NonEmptyList)
        .Define(KeyConverter, ConfigType.Class, "org.apache.kafka.connect.json.JsonConverter", Importance.High, "Converter of record keys between Connect's data and bytes.")
        .Define(ValueConverter, ConfigType.Class, "org.apache.kafka.connect.json.JsonConverter", Importance.High, "Converter of record values between Connect's data and bytes.")
        .Define(OffsetFlushIntervalMs, ConfigType.Long, 60_000L, Importance.Low, "How often source offsets are stored and sink offsets committed.", Validators.AtLeast(1))
        .Define(OffsetFlushTimeoutMs, ConfigType.Long, 5_000L, Importance.Low, "How long storing offsets may take before it is given up until the next flush.", Validators.AtLeast(1))
        .Define(Listeners, ConfigType.List, "http://:8083", Importance.Low, "Where the REST API listens: http://HOST:PORT, comma-separated; an empty host listens on every interface.")
        .Define(RestAdvertisedHostName, ConfigType.String, null, Importance.Low, "The host name other workers use to reach this worker's REST API.")
        .Define(RestAdvertisedPort, ConfigType.Int, null, Importance.Low, "The port other workers use to reach this worker's REST API.")
        .Define(PluginPath, ConfigType.List, "", Importance.Low, "Directories holding connector plugins (assemblies), separated by commas.")
        .Define(TaskShutdownGracefulTimeoutMs, ConfigType.Long, 5_000L, Importance.Low, "How long a task may take to stop before the worker gives up waiting.", Validators.AtLeast(0))
        .Define("security.protocol", ConfigType.String, null, Importance.Medium, "How the worker's clients connect: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.")
        .Define("ssl.ca.location", ConfigType.String, null, Importance.Medium, "PEM file of the authority that issued the brokers' certificates (SSL, SASL_SSL).")
        .Define("ssl.endpoint.identification.algorithm", ConfigType.String, null, Importance.Low, "https (a broker's certificate must name its host) or none.")
        .Define("sasl.mechanism", ConfigType.String, null, Importance.Medium, "SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN (SASL_PLAINTEXT, SASL_SSL).")
        .Define("sasl.username", ConfigType.String, null, Importance.Medium, "The user the worker's clients authenticate as.")
        .Define("sasl.password", ConfigType.Password, null, Importance.Medium, "That user's password.");

    /// <summary>The worker-level keys its clients connect with besides bootstrap.servers.</summary>
    private static readonly string[] SecurityKeys =
        ["security.protocol", "ssl.ca.location", "ssl.endpoint.identification.algorithm", "sasl.mechanism", "sasl.username", "sasl.password"];

    private static readonly ConfigDef StandaloneDef = Common.Merge(new ConfigDef()
        .DefineRequired(OffsetStorageFileName, ConfigType.String, Importance.High, "The file source offsets are stored in.", Validators.NonEmptyString));

    private static readonly ConfigDef DistributedDef = Common.Merge(new ConfigDef()
        .DefineRequired(GroupId, ConfigType.String, Importance.High, "The worker group: workers with the same group.id share connectors and tasks.", Validators.NonEmptyString)
        .DefineRequired(ConfigStorageTopic, ConfigType.String, Importance.High, "The compacted topic connector configurations are kept in.", Validators.NonEmptyString)
        .DefineRequired(OffsetStorageTopic, ConfigType.String, Importance.High, "The compacted topic source offsets are kept in.", Validators.NonEmptyString)
        .DefineRequired(StatusStorageTopic, ConfigType.String, Importance.High, "The compacted topic connector and task status is kept in.", Validators.NonEmptyString)
        .Define(ConfigStorageReplicationFactor, ConfigType.Short, (short)-1, Importance.Low, "Replication factor of the config topic; -1: the cluster's default.")
        .Define(OffsetStorageReplicationFactor, ConfigType.Short, (short)-1, Importance.Low, "Replication factor of the offset topic; -1: the cluster's default.")
        .Define(StatusStorageReplicationFactor, ConfigType.Short, (short)-1, Importance.Low, "Replication factor of the status topic; -1: the cluster's default.")
        .Define(OffsetStoragePartitions, ConfigType.Int, 25, Importance.Low, "Partitions of the offset topic.", Validators.AtLeast(1))
        .Define(StatusStoragePartitions, ConfigType.Int, 5, Importance.Low, "Partitions of the status topic.", Validators.AtLeast(1))
        .Define(ScheduledRebalanceMaxDelayMs, ConfigType.Int, 300_000, Importance.Medium, "How long a departed worker's connectors and tasks wait for it to come back before they are given to the others.", Validators.AtLeast(0))
        .Define(HeartbeatIntervalMs, ConfigType.Int, 3_000, Importance.High, "How often a worker tells the group it is alive.", Validators.AtLeast(1))
        .Define(SessionTimeoutMs, ConfigType.Int, 10_000, Importance.High, "How long a silent worker stays in the group.", Validators.AtLeast(1)));

    private readonly IReadOnlyDictionary<string, object?> _values;

    private WorkerConfig(WorkerMode mode, IReadOnlyDictionary<string, string> originals, IReadOnlyDictionary<string, object?> values)
    {
        Mode = mode;
        Originals = originals;
        _values = values;
    }

    /// <summary>The definition of the keys of <paramref name="mode"/>.</summary>
    public static ConfigDef Definition(WorkerMode mode) => mode == WorkerMode.Standalone ? StandaloneDef : DistributedDef;

    /// <summary>Checks and types <paramref name="props"/>.</summary>
    /// <exception cref="ConfigException">a required key is missing, a value is invalid, or a key is unknown (naming the nearest known key).</exception>
    public static WorkerConfig Parse(WorkerMode mode, IReadOnlyDictionary<string, string> props)
    {
        var definition = Definition(mode);
        var known = definition.Keys.Select(k => k.Name).ToHashSet();
        foreach (var key in props.Keys)
        {
            if (known.Contains(key) || IgnoredKafkaKeys.Contains(key) || PassThroughPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal))) continue;
            var other = Definition(mode == WorkerMode.Standalone ? WorkerMode.Distributed : WorkerMode.Standalone).Keys.Any(k => k.Name == key);
            throw new ConfigException(other
                ? $"'{key}' is a {(mode == WorkerMode.Standalone ? "distributed" : "standalone")} worker key; this worker runs in {mode.ToString().ToLowerInvariant()} mode. Remove it, or run `connect {(mode == WorkerMode.Standalone ? "distributed" : "standalone")}`."
                : $"Unknown worker configuration '{key}'. Did you mean '{NearestKey.Of(key, known)}'? Client settings go under producer., consumer. or admin.; converter settings under key.converter. or value.converter.");
        }
        return new WorkerConfig(mode, props, definition.Parse(props));
    }

    /// <summary>Standalone or distributed.</summary>
    public WorkerMode Mode { get; }

    /// <summary>The keys as given.</summary>
    public IReadOnlyDictionary<string, string> Originals { get; }

    /// <summary>The typed value of <paramref name="key"/>.</summary>
    public T Get<T>(string key) => (T)_values[key]!;

    /// <summary>The typed value of <paramref name="key"/>, or null.</summary>
    public T? GetOrNull<T>(string key) where T : class => _values.GetValueOrDefault(key) as T;

    /// <summary>The brokers, as one comma-separated string for the clients.</summary>
    public string Bootstrap => string.Join(",", Get<List<string>>(BootstrapServers));

    /// <summary>
    /// How every client of this worker reaches the brokers: bootstrap.servers and the worker's TLS and SASL keys. The
    /// worker's own clients (group membership, internal topics) use them; connector clients take them unless their
    /// producer., consumer. or admin. keys say otherwise.
    /// </summary>
    public Dictionary<string, string> ClientConnection()
    {
        var connection = new Dictionary<string, string>(StringComparer.Ordinal) { [BootstrapServers] = Bootstrap };
        foreach (var key in SecurityKeys)
            if (Originals.TryGetValue(key, out var value)) connection[key] = value;
        return connection;
    }

    /// <summary>The keys under <paramref name="prefix"/> with the prefix removed.</summary>
    public Dictionary<string, string> WithPrefix(string prefix) =>
        Originals.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);

    /// <summary>The REST API's listeners as URLs (an empty host becomes every interface).</summary>
    /// <exception cref="ConfigException">a listener is not http://HOST:PORT.</exception>
    public IReadOnlyList<Uri> ListenerUris() => Get<List<string>>(Listeners).Select(text =>
    {
        var normalized = text.Replace("://:", "://0.0.0.0:", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.IsDefaultPort && !normalized.Contains(":80", StringComparison.Ordinal))
            throw new ConfigException(Listeners, text, "Expected http://HOST:PORT (the REST API serves plain http; put a TLS proxy in front for https)");
        return uri;
    }).ToList();
}
