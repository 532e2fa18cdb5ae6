using Akka.Configuration;
using AkkaBroker.Actors.Topics;

namespace AkkaBroker.Actors.Broker;

/// <summary>Thrown at start when a configuration value is not allowed; the message names key, value and what is allowed.</summary>
public sealed class BrokerConfigurationException(string key, string? value, string allowed, bool mayPassByItself = false)
    : Exception($"Invalid configuration: {key} = '{value}'. It must be {allowed}.")
{
    public string Key { get; } = key;

    /// <summary>What the value must be (the end of the message), e.g. "reachable: this broker did not become a cluster member ...".</summary>
    public string Requirement { get; } = allowed;

    /// <summary>
    /// True when the value is fine but the cluster is not ready for it yet (seed nodes unreachable, too few members,
    /// this node's previous instance not yet downed): a broker that rejoins after being downed tries again instead of stopping.
    /// </summary>
    public bool MayPassByItself { get; } = mayPassByItself;
}

/// <summary>The broker's settings, read once from HOCON at start (<c>akkabroker.broker</c> and <c>akkabroker.partition</c>).</summary>
public sealed record BrokerSettings(
    int BrokerId,
    ProcessRoles ProcessRoles,
    string Host,
    int Port,
    string DataDirectory,
    bool AutoCreateTopicsEnable,
    int NumPartitions,
    short DefaultReplicationFactor,
    IReadOnlyDictionary<string, string> DefaultTopicConfig,
    int IndexIntervalBytes,
    long ProducerIdExpirationMs,
    int PrometheusPort,
    bool PrometheusPortRequested,
    TimeSpan ConsumerLagInterval,
    TimeSpan AdminTimeout,
    TimeSpan JoinTimeout,
    RejoinSettings Rejoin,
    TimeSpan ControllerQuorumTimeout,
    long MaxControllerStateBytes,
    int OffsetsTopicNumPartitions,
    short OffsetsTopicReplicationFactor,
    bool OffsetsTopicReplicationFactorMayShrink,
    string JournalSynchronous,
    PartitionSettings Partition,
    ReplicationSettings Replication,
    LogCleanerSettings LogCleaner,
    Groups.GroupSettings Group,
    Gateway.ClientEndpointSettings ClientEndpoint,
    EndpointTlsSettings ClusterTls,
    Security.SaslSettings Sasl,
    Security.AuthorizerSettings Authorizer,
    EndpointTlsSettings MetricsTls,
    Quotas.ClientQuotaSettings ClientQuota)
{
    public const string Section = "akkabroker.broker";

    /// <summary>The metrics endpoint's port when none is configured (the Prometheus JMX exporter's usual port).</summary>
    public const int DefaultPrometheusPort = 9404;

    /// <summary>Kafka's default replication factor of <c>__consumer_offsets</c>.</summary>
    public const short DefaultOffsetsTopicReplicationFactor = 3;

    public string DatabasePath => Path.Combine(DataDirectory, "akkabroker.db");

    /// <exception cref="BrokerConfigurationException">a value is out of range.</exception>
    public static BrokerSettings Create(Config config)
    {
        var b = config.GetConfig(Section) ?? throw new BrokerConfigurationException(Section, null, "present (reference.conf is missing)");
        var p = config.GetConfig("akkabroker.partition");

        int Int(Config c, string section, string key, int min, int max)
        {
            var raw = c.GetString(key);
            if (!int.TryParse(raw, out var v) || v < min || v > max)
                throw new BrokerConfigurationException($"{section}.{key}", raw, $"a whole number from {min} to {max}");
            return v;
        }

        long Long(Config c, string section, string key, long min)
        {
            var raw = c.GetString(key);
            if (!long.TryParse(raw, out var v) || v < min)
                throw new BrokerConfigurationException($"{section}.{key}", raw, $"a whole number of at least {min}");
            return v;
        }

        bool Bool(Config c, string section, string key)
        {
            var raw = c.GetString(key);
            return raw?.ToLowerInvariant() switch
            {
                "true" or "on" or "yes" => true,
                "false" or "off" or "no" => false,
                _ => throw new BrokerConfigurationException($"{section}.{key}", raw, "true or false"),
            };
        }

        var host = config.GetString("akka.remote.dot-netty.tcp.hostname");
        if (string.IsNullOrWhiteSpace(host))
            throw new BrokerConfigurationException("akka.remote.dot-netty.tcp.hostname", host, "a host name or IP address");
        var port = Int(config.GetConfig("akka.remote.dot-netty.tcp"), "akka.remote.dot-netty.tcp", "port", 0, 65535);

        var topicDefaults = new Dictionary<string, string>();
        foreach (var (brokerKey, topicKey) in DynamicBrokerConfig.TopicDefaults)
        {
            var value = b.GetString(brokerKey) ?? "";
            // HOCON reads a bare true/false as a boolean; the topic config spells it in lower case, as Kafka does.
            if (topicKey == TopicConfig.UncleanLeaderElectionEnableKey) value = value.ToLowerInvariant();
            var problem = TopicConfigValidator.Validate(new Dictionary<string, string> { [topicKey] = value });
            if (problem != null)
                throw new BrokerConfigurationException($"{Section}.{brokerKey}", value, TopicConfigValidator.Requirement(topicKey)!);
            topicDefaults[topicKey] = value;
        }

        var dataDir = b.GetString("data-dir");
        if (string.IsNullOrWhiteSpace(dataDir))
            throw new BrokerConfigurationException($"{Section}.data-dir", dataDir, "a directory path");

        // Not given: the default, which a busy port may move (as the Kafka listener's).
        var prometheusPortRequested = b.HasPath("metrics.prometheus.port");
        var prometheusPort = prometheusPortRequested ? Int(b, Section, "metrics.prometheus.port", 0, 65535) : DefaultPrometheusPort;
        if (prometheusPort == 9092)
            throw new BrokerConfigurationException($"{Section}.metrics.prometheus.port", "9092", "another port: 9092 is kept for the Kafka-protocol listener");
        if (port == 9092)
            throw new BrokerConfigurationException("akka.remote.dot-netty.tcp.port", "9092", "another port: 9092 is kept for the Kafka-protocol listener");
        var processRoles = ParseProcessRoles(b);
        var clientEndpoint = Gateway.ClientEndpointSettings.Create(config, host);
        // A controller-only node has no client endpoint: its settings are not checked against the cluster port.
        var servesClients = processRoles.HasFlag(ProcessRoles.Broker);
        if (servesClients && clientEndpoint.Port == 9092)
            throw new BrokerConfigurationException($"{Gateway.ClientEndpointSettings.Section}.port", "9092", "another port: 9092 is kept for the Kafka-protocol listener");
        if (servesClients && clientEndpoint.Port != 0 && clientEndpoint.Port == port)
            throw new BrokerConfigurationException($"{Gateway.ClientEndpointSettings.Section}.port", port.ToString(),
                "another port than the cluster endpoint's (akka.remote.dot-netty.tcp.port): clients and brokers are served on separate ports (serve --port and --cluster-port)");

        var adminTimeout = b.GetTimeSpan("admin.timeout", null, allowInfinite: false);
        if (adminTimeout <= TimeSpan.Zero)
            throw new BrokerConfigurationException($"{Section}.admin.timeout", adminTimeout.ToString(), "a positive duration such as 10s");

        var joinTimeout = b.GetTimeSpan("cluster.join-timeout", null, allowInfinite: false);
        if (joinTimeout <= TimeSpan.Zero)
            throw new BrokerConfigurationException($"{Section}.cluster.join-timeout", joinTimeout.ToString(), "a positive duration such as 60s");

        var quorumTimeout = b.GetTimeSpan("controller.quorum-timeout", null, allowInfinite: false);
        if (quorumTimeout <= TimeSpan.Zero)
            throw new BrokerConfigurationException($"{Section}.controller.quorum-timeout", quorumTimeout.ToString(), "a positive duration such as 5s");

        return new BrokerSettings(
            BrokerId: Int(b, Section, "broker.id", 0, int.MaxValue),
            ProcessRoles: processRoles,
            Host: host,
            Port: port,
            DataDirectory: Path.GetFullPath(dataDir),
            AutoCreateTopicsEnable: Bool(b, Section, "auto.create.topics.enable"),
            NumPartitions: Int(b, Section, "num.partitions", 1, 1_000_000),
            DefaultReplicationFactor: (short)Int(b, Section, "default.replication.factor", 1, short.MaxValue),
            DefaultTopicConfig: topicDefaults,
            IndexIntervalBytes: Int(b, Section, "log.index.interval.bytes", 1, int.MaxValue),
            ProducerIdExpirationMs: Long(b, Section, "producer.id.expiration.ms", 1),
            PrometheusPort: prometheusPort,
            PrometheusPortRequested: prometheusPortRequested,
            ConsumerLagInterval: TimeSpan.FromMilliseconds(Long(b, Section, "metrics.consumer.lag.interval.ms", 100)),
            AdminTimeout: adminTimeout,
            JoinTimeout: joinTimeout,
            Rejoin: RejoinSettings.Create(b, Section),
            ControllerQuorumTimeout: quorumTimeout,
            // The controller's state travels whole in one Akka.Remote frame; 1 MiB is left for the envelope around it
            // and for the changes that are never refused (ISR and leadership changes).
            MaxControllerStateBytes: config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") is { } frame && frame > 2 * 1024 * 1024
                ? frame - 1024 * 1024
                : throw new BrokerConfigurationException("akka.remote.dot-netty.tcp.maximum-frame-size", config.GetString("akka.remote.dot-netty.tcp.maximum-frame-size"),
                    "more than 2MiB: the controller's state and record batches travel in one frame"),
            OffsetsTopicNumPartitions: Int(b, Section, "offsets.topic.num.partitions", 1, 1000),
            OffsetsTopicReplicationFactor: b.HasPath("offsets.topic.replication.factor")
                ? (short)Int(b, Section, "offsets.topic.replication.factor", 1, short.MaxValue)
                : DefaultOffsetsTopicReplicationFactor,
            // Unset, and no seed nodes (the node forms a cluster of its own and no other broker is expected to join it):
            // the one case where the offsets topic may have fewer replicas than offsets.topic.replication.factor.
            OffsetsTopicReplicationFactorMayShrink: !b.HasPath("offsets.topic.replication.factor") && config.GetStringList("akka.cluster.seed-nodes") is not { Count: > 0 },
            JournalSynchronous: b.GetString("journal.synchronous")?.ToUpperInvariant() switch
            {
                "NORMAL" => "NORMAL",
                "FULL" => "FULL",
                var other => throw new BrokerConfigurationException($"{Section}.journal.synchronous", other, "normal or full"),
            },
            Partition: new PartitionSettings(
                TailCacheBytes: Long(p, "akkabroker.partition", "tail-cache-bytes", 0),
                SnapshotIntervalEvents: Int(p, "akkabroker.partition", "snapshot-interval-events", 1, int.MaxValue),
                MaxJournalReadBytes: Int(p, "akkabroker.partition", "max-journal-read-bytes", 1024, int.MaxValue),
                MaxFetchWait: TimeSpan.FromMilliseconds(Int(p, "akkabroker.partition", "max-fetch-wait-ms", 1, int.MaxValue)),
                MaxParkedFetches: Int(p, "akkabroker.partition", "max-parked-fetches", 1, int.MaxValue),
                MaxConcurrentJournalReads: Int(p, "akkabroker.partition", "max-concurrent-journal-reads", 1, 1000)),
            Replication: new ReplicationSettings(
                ReplicaLagTimeMaxMs: Long(b, Section, "replica.lag.time.max.ms", 1),
                ReplicaFetchWaitMaxMs: Int(b, Section, "replica.fetch.wait.max.ms", 0, int.MaxValue),
                ReplicaFetchMaxBytes: Int(b, Section, "replica.fetch.max.bytes", 1, int.MaxValue),
                ReplicaFetchBackoffMs: Int(b, Section, "replica.fetch.backoff.ms", 0, int.MaxValue),
                ReplicaSocketTimeoutMs: Int(b, Section, "replica.socket.timeout.ms", 1, int.MaxValue),
                ReplicaHighWatermarkCheckpointIntervalMs: Long(b, Section, "replica.high.watermark.checkpoint.interval.ms", 1),
                AutoLeaderRebalanceEnable: Bool(b, Section, "auto.leader.rebalance.enable"),
                LeaderImbalanceCheckIntervalSeconds: Int(b, Section, "leader.imbalance.check.interval.seconds", 1, int.MaxValue)),
            LogCleaner: new LogCleanerSettings(
                RetentionCheckIntervalMs: Long(b, Section, "log.retention.check.interval.ms", 1),
                CleanerEnable: Bool(b, Section, "log.cleaner.enable"),
                CleanerBackoffMs: Long(b, Section, "log.cleaner.backoff.ms", 1),
                CleanerIoMaxBytesPerSecond: Long(b, Section, "log.cleaner.io.max.bytes.per.second", 1),
                DedupeBufferSize: Long(b, Section, "log.cleaner.dedupe.buffer.size", 1024 * 1024)),
            Group: Groups.GroupSettings.Create(config),
            ClientEndpoint: clientEndpoint,
            ClusterTls: EndpointTlsSettings.Create(config, $"{Section}.cluster-endpoint.ssl",
                truststoreRequired: "a PEM file of the certificate authority (or authorities) that issued the cluster's certificates when TLS is on: only nodes it vouches for may join"),
            Sasl: Security.SaslSettings.Create(config),
            Authorizer: Security.AuthorizerSettings.Create(config),
            MetricsTls: EndpointTlsSettings.Create(config, $"{Section}.metrics.prometheus.ssl", truststoreRequired: null),
            ClientQuota: Quotas.ClientQuotaSettings.Create(config));
    }

    /// <summary><c>process.roles</c>: a comma-separated string as in Kafka's server.properties, or a HOCON list.</summary>
    private static ProcessRoles ParseProcessRoles(Config b)
    {
        const string key = "process.roles";
        var value = b.GetValue(key);
        var names = value != null && value.IsArray()
            ? value.GetArray().Select(v => v.GetString()).ToList()
            : (b.GetString(key) ?? "").Split(',').ToList();
        var raw = string.Join(",", names);
        var roles = ProcessRoles.None;
        foreach (var name in names.Select(n => n.Trim().ToLowerInvariant()))
        {
            roles |= name switch
            {
                "broker" => ProcessRoles.Broker,
                "controller" => ProcessRoles.Controller,
                _ => throw new BrokerConfigurationException($"{Section}.{key}", raw, "broker, controller or broker,controller"),
            };
        }
        if (roles == ProcessRoles.None)
            throw new BrokerConfigurationException($"{Section}.{key}", raw, "broker, controller or broker,controller");
        return roles;
    }

    public bool IsBroker => ProcessRoles.HasFlag(ProcessRoles.Broker);

    public bool IsController => ProcessRoles.HasFlag(ProcessRoles.Controller);
}

/// <summary>
/// What a node does (Kafka's <c>process.roles</c>): host partition replicas and group coordinators and serve clients
/// (broker), be eligible to run the controller singleton (controller), or both.
/// </summary>
[Flags]
public enum ProcessRoles
{
    None = 0,
    Broker = 1,
    Controller = 2,
}

/// <summary>How followers copy their leaders and how the controller moves leadership (Kafka's broker keys of the same names).</summary>
public sealed record ReplicationSettings(
    long ReplicaLagTimeMaxMs,
    int ReplicaFetchWaitMaxMs,
    int ReplicaFetchMaxBytes,
    int ReplicaFetchBackoffMs,
    int ReplicaSocketTimeoutMs,
    long ReplicaHighWatermarkCheckpointIntervalMs,
    bool AutoLeaderRebalanceEnable,
    int LeaderImbalanceCheckIntervalSeconds);

/// <summary>
/// When replicas apply retention and compaction (Kafka's broker keys). <c>CleanerIoMaxBytesPerSecond</c> bounds the bytes
/// the broker's cleaner reads and writes per second, across all partitions.
/// </summary>
/// <c>DedupeBufferSize</c> bounds the memory of the cleaner's key map; a log with more distinct keys is cleaned a part at a time.
public sealed record LogCleanerSettings(long RetentionCheckIntervalMs, bool CleanerEnable, long CleanerBackoffMs, long CleanerIoMaxBytesPerSecond, long DedupeBufferSize);

/// <summary>Per-partition-replica limits (<c>akkabroker.partition</c>).</summary>
/// <summary>
/// A partition replica's settings (<c>akkabroker.partition</c>). <c>MaxFetchWait</c> and <c>MaxParkedFetches</c> bound
/// what fetches that wait for records can hold at a leader, whatever <c>fetch.max.wait.ms</c> a client asks for.
/// </summary>
public sealed record PartitionSettings(long TailCacheBytes, int SnapshotIntervalEvents, int MaxJournalReadBytes, TimeSpan MaxFetchWait = default,
    int MaxParkedFetches = 1000, int MaxConcurrentJournalReads = 4);

/// <summary>
/// Whether and how fast a broker that the cluster downed or removed starts a fresh ActorSystem in the same process and
/// rejoins (<c>akkabroker.broker.cluster.rejoin</c>; the backoff keys are Akka's BackoffSupervisor names).
/// </summary>
public sealed record RejoinSettings(bool Enable, TimeSpan MinBackoff, TimeSpan MaxBackoff, double RandomFactor)
{
    /// <exception cref="BrokerConfigurationException">a value is out of range.</exception>
    public static RejoinSettings Create(Config b, string section)
    {
        var prefix = $"{section}.cluster.rejoin";
        var raw = b.GetString("cluster.rejoin.enable");
        var enable = raw?.ToLowerInvariant() switch
        {
            "true" or "on" or "yes" => true,
            "false" or "off" or "no" => false,
            _ => throw new BrokerConfigurationException($"{prefix}.enable", raw, "on or off"),
        };
        var min = b.GetTimeSpan("cluster.rejoin.min-backoff", null, allowInfinite: false);
        if (min <= TimeSpan.Zero)
            throw new BrokerConfigurationException($"{prefix}.min-backoff", min.ToString(), "a positive duration such as 1s");
        var max = b.GetTimeSpan("cluster.rejoin.max-backoff", null, allowInfinite: false);
        if (max < min)
            throw new BrokerConfigurationException($"{prefix}.max-backoff", max.ToString(), $"a duration of at least min-backoff ({min})");
        var rawFactor = b.GetString("cluster.rejoin.random-factor");
        if (!double.TryParse(rawFactor, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var factor) || factor is < 0 or > 1)
            throw new BrokerConfigurationException($"{prefix}.random-factor", rawFactor, "a number from 0 to 1");
        return new RejoinSettings(enable, min, max, factor);
    }

    /// <summary>
    /// The wait before restart attempt <paramref name="attempt"/> (1 for the first after a downing): min-backoff doubled
    /// per attempt, capped at max-backoff, then stretched by up to random-factor (<paramref name="random"/> in [0, 1)) so
    /// that brokers downed together do not all rejoin in the same instant.
    /// </summary>
    public TimeSpan BackoffFor(int attempt, double random)
    {
        var exponent = Math.Min(Math.Max(attempt, 1) - 1, 30);
        var ticks = Math.Min(MinBackoff.Ticks * Math.Pow(2, exponent), MaxBackoff.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (1 + RandomFactor * random)));
    }
}
