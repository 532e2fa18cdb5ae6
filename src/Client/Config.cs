using System.Collections;
using System.Globalization;

namespace AkkaBroker.Client;

/// <summary>
/// Client configuration as Kafka's key/value pairs (<c>bootstrap.servers</c>, <c>acks</c>, ...), with typed properties
/// over the same keys. Unknown keys are refused when a client is built, naming the key.
/// </summary>
public class ClientConfig : IEnumerable<KeyValuePair<string, string>>
{
    /// <summary>The key/value pairs set so far.</summary>
    protected readonly Dictionary<string, string> Properties = new(StringComparer.Ordinal);

    /// <summary>
    /// The keys that say how a client reaches and authenticates to the brokers (address, timeouts, TLS, SASL): what an
    /// admin client, or any other client of the same cluster, takes from a producer's or consumer's configuration.
    /// </summary>
    public static IReadOnlyList<string> ConnectionKeys { get; } =
    [
        "bootstrap.servers", "client.id", "request.timeout.ms", "socket.connection.setup.timeout.ms", "retry.backoff.ms",
        "security.protocol", "ssl.ca.location", "ssl.endpoint.identification.algorithm",
        "ssl.certificate.location", "ssl.key.location", "ssl.key.password", "ssl.keystore.location", "ssl.keystore.password",
        "sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password",
    ];

    /// <summary>The connection keys (<see cref="ConnectionKeys"/>) of <paramref name="config"/>, for another client of the same cluster.</summary>
    public static Dictionary<string, string> ConnectionOf(IEnumerable<KeyValuePair<string, string>> config) =>
        config.Where(kv => ConnectionKeys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Creates an empty configuration.</summary>
    public ClientConfig() { }

    /// <summary>Creates a configuration holding <paramref name="config"/>'s pairs.</summary>
    public ClientConfig(IEnumerable<KeyValuePair<string, string>> config)
    {
        foreach (var (k, v) in config) Properties[k] = v;
    }

    /// <summary>Sets a key by its Kafka name.</summary>
    public void Set(string key, string value) => Properties[key] = value;

    /// <summary>The value of a key, or null when it is not set.</summary>
    public string? Get(string key) => Properties.TryGetValue(key, out var v) ? v : null;

    /// <summary><c>bootstrap.servers</c>: comma-separated host:port list of brokers to learn metadata from.</summary>
    public string? BootstrapServers { get => Get("bootstrap.servers"); set => SetOrRemove("bootstrap.servers", value); }

    /// <summary><c>client.id</c>: a name for this client in broker logs.</summary>
    public string? ClientId { get => Get("client.id"); set => SetOrRemove("client.id", value); }

    /// <summary><c>statistics.interval.ms</c>: how often the statistics handler gets librdkafka-style JSON; 0 (default) never.</summary>
    public int? StatisticsIntervalMs { get => GetInt("statistics.interval.ms"); set => SetOrRemove("statistics.interval.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>request.timeout.ms</c>: how long to wait for a broker's reply. Default 30000.</summary>
    public int? RequestTimeoutMs { get => GetInt("request.timeout.ms"); set => SetOrRemove("request.timeout.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>socket.connection.setup.timeout.ms</c>: how long to try to reach a bootstrap server. Default 10000.</summary>
    public int? SocketConnectionSetupTimeoutMs { get => GetInt("socket.connection.setup.timeout.ms"); set => SetOrRemove("socket.connection.setup.timeout.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary>
    /// <c>security.protocol</c>: Plaintext (default); Ssl to reach brokers whose client endpoint has TLS on; SaslPlaintext
    /// or SaslSsl to authenticate too (<see cref="SaslMechanism"/>, <see cref="SaslUsername"/>, <see cref="SaslPassword"/>).
    /// </summary>
    public SecurityProtocol? SecurityProtocol
    {
        get => Get("security.protocol")?.ToLowerInvariant() switch
        {
            null => null,
            "ssl" => Client.SecurityProtocol.Ssl,
            "sasl_plaintext" => Client.SecurityProtocol.SaslPlaintext,
            "sasl_ssl" => Client.SecurityProtocol.SaslSsl,
            _ => Client.SecurityProtocol.Plaintext,
        };
        set => SetOrRemove("security.protocol", value switch
        {
            null => null,
            Client.SecurityProtocol.Ssl => "SSL",
            Client.SecurityProtocol.SaslPlaintext => "SASL_PLAINTEXT",
            Client.SecurityProtocol.SaslSsl => "SASL_SSL",
            _ => "PLAINTEXT",
        });
    }

    /// <summary><c>sasl.mechanism</c>: how to authenticate with SASL: ScramSha256, ScramSha512 or Plain (send the password only over TLS).</summary>
    public SaslMechanism? SaslMechanism
    {
        get => Get("sasl.mechanism")?.ToUpperInvariant() switch
        {
            null => null,
            "PLAIN" => Client.SaslMechanism.Plain,
            "SCRAM-SHA-512" => Client.SaslMechanism.ScramSha512,
            _ => Client.SaslMechanism.ScramSha256,
        };
        set => SetOrRemove("sasl.mechanism", value switch
        {
            null => null,
            Client.SaslMechanism.Plain => "PLAIN",
            Client.SaslMechanism.ScramSha512 => "SCRAM-SHA-512",
            _ => "SCRAM-SHA-256",
        });
    }

    /// <summary><c>sasl.username</c>: the user to authenticate as.</summary>
    public string? SaslUsername { get => Get("sasl.username"); set => SetOrRemove("sasl.username", value); }

    /// <summary><c>sasl.password</c>: the user's password. With SCRAM it never leaves the client.</summary>
    public string? SaslPassword { get => Get("sasl.password"); set => SetOrRemove("sasl.password", value); }

    /// <summary><c>ssl.ca.location</c>: PEM file of the authority (or authorities) that issued the brokers' certificates.</summary>
    public string? SslCaLocation { get => Get("ssl.ca.location"); set => SetOrRemove("ssl.ca.location", value); }

    /// <summary>
    /// <c>ssl.certificate.location</c>: PEM file of the client's own certificate (intermediate authorities may follow it),
    /// for brokers that take client certificates (<c>client-endpoint.ssl.client.auth</c>): its subject is then the
    /// client's principal, e.g. <c>User:CN=alice,O=Example</c>. A SASL login, when configured, is used instead.
    /// </summary>
    public string? SslCertificateLocation { get => Get("ssl.certificate.location"); set => SetOrRemove("ssl.certificate.location", value); }

    /// <summary><c>ssl.key.location</c>: PEM file of the private key of <see cref="SslCertificateLocation"/>, when it is not in the same file.</summary>
    public string? SslKeyLocation { get => Get("ssl.key.location"); set => SetOrRemove("ssl.key.location", value); }

    /// <summary><c>ssl.key.password</c>: the password of an encrypted PEM key.</summary>
    public string? SslKeyPassword { get => Get("ssl.key.password"); set => SetOrRemove("ssl.key.password", value); }

    /// <summary><c>ssl.keystore.location</c>: the client's certificate and key as a PKCS#12 file, instead of <see cref="SslCertificateLocation"/>.</summary>
    public string? SslKeystoreLocation { get => Get("ssl.keystore.location"); set => SetOrRemove("ssl.keystore.location", value); }

    /// <summary><c>ssl.keystore.password</c>: the password of <see cref="SslKeystoreLocation"/>.</summary>
    public string? SslKeystorePassword { get => Get("ssl.keystore.password"); set => SetOrRemove("ssl.keystore.password", value); }

    /// <summary>
    /// <c>ssl.endpoint.identification.algorithm</c>: Https (default) accepts a broker only when its certificate names the
    /// host connected to; None checks the issuer alone.
    /// </summary>
    public SslEndpointIdentificationAlgorithm? SslEndpointIdentificationAlgorithm
    {
        get => Get("ssl.endpoint.identification.algorithm")?.ToLowerInvariant() switch
        {
            null => null,
            "https" => Client.SslEndpointIdentificationAlgorithm.Https,
            _ => Client.SslEndpointIdentificationAlgorithm.None,
        };
        set => SetOrRemove("ssl.endpoint.identification.algorithm", value switch { null => null, Client.SslEndpointIdentificationAlgorithm.Https => "https", _ => "none" });
    }

    /// <summary>Sets or removes a key.</summary>
    protected void SetOrRemove(string key, string? value)
    {
        if (value == null) Properties.Remove(key);
        else Properties[key] = value;
    }

    /// <summary>Reads an integer key, or null when unset.</summary>
    protected int? GetInt(string key) => Get(key) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => Properties.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>How a client connects to brokers (<c>security.protocol</c>).</summary>
public enum SecurityProtocol
{
    /// <summary>No encryption.</summary>
    Plaintext,
    /// <summary>TLS (Kafka's SSL): the broker's certificate is checked against <c>ssl.ca.location</c>.</summary>
    Ssl,
    /// <summary>SASL authentication without encryption.</summary>
    SaslPlaintext,
    /// <summary>SASL authentication over TLS.</summary>
    SaslSsl,
}

/// <summary>How a client authenticates (<c>sasl.mechanism</c>), as Confluent.Kafka names them.</summary>
public enum SaslMechanism
{
    /// <summary>The password itself is sent: use it over TLS only.</summary>
    Plain,
    /// <summary>SCRAM with SHA-256: the password never leaves the client, and the broker proves it holds the credential.</summary>
    ScramSha256,
    /// <summary>SCRAM with SHA-512.</summary>
    ScramSha512,
}

/// <summary>Whether a broker's certificate must name the host connected to (<c>ssl.endpoint.identification.algorithm</c>).</summary>
public enum SslEndpointIdentificationAlgorithm
{
    /// <summary>The issuer is checked, not the name.</summary>
    None,
    /// <summary>The certificate must name the host (Kafka's default).</summary>
    Https,
}

/// <summary>Which replicas must have a record before the producer is told it was written.</summary>
public enum Acks
{
    /// <summary>acks=0: do not wait for the broker.</summary>
    None = 0,
    /// <summary>acks=1: the leader has written it to its journal.</summary>
    Leader = 1,
    /// <summary>acks=all (-1): every in-sync replica has it.</summary>
    All = -1,
}

/// <summary>Producer configuration, Kafka's keys and defaults.</summary>
public sealed class ProducerConfig : ClientConfig
{
    /// <summary>Creates an empty producer configuration.</summary>
    public ProducerConfig() { }

    /// <summary>Creates a producer configuration from key/value pairs.</summary>
    public ProducerConfig(IEnumerable<KeyValuePair<string, string>> config) : base(config) { }

    /// <summary><c>acks</c>: 0, 1 or all. Default all (Kafka 3.0+).</summary>
    public Acks? Acks
    {
        get => Get("acks") switch { null => null, "0" => Client.Acks.None, "1" => Client.Acks.Leader, _ => Client.Acks.All };
        set => SetOrRemove("acks", value switch { null => null, Client.Acks.None => "0", Client.Acks.Leader => "1", _ => "all" });
    }

    /// <summary><c>linger.ms</c>: how long to wait for more records before sending a batch. Default 5.</summary>
    public double? LingerMs { get => Get("linger.ms") is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : null; set => SetOrRemove("linger.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>batch.size</c>: largest batch per partition, in bytes. Default 16384.</summary>
    public int? BatchSize { get => GetInt("batch.size"); set => SetOrRemove("batch.size", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>buffer.memory</c>: bytes of records waiting to be sent before produce calls block. Default 33554432.</summary>
    public long? BufferMemory { get => Get("buffer.memory") is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : null; set => SetOrRemove("buffer.memory", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>max.in.flight.requests.per.connection</c>: unacknowledged batches per partition. Default 5 (at most 5 with idempotence).</summary>
    public int? MaxInFlight { get => GetInt("max.in.flight.requests.per.connection"); set => SetOrRemove("max.in.flight.requests.per.connection", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>retries</c>: how often a failed batch is retried. Default 2147483647 (bounded by delivery.timeout.ms).</summary>
    public int? Retries { get => GetInt("retries"); set => SetOrRemove("retries", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>delivery.timeout.ms</c>: upper bound from produce call to success or failure. Default 120000.</summary>
    public int? DeliveryTimeoutMs { get => GetInt("delivery.timeout.ms"); set => SetOrRemove("delivery.timeout.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>message.timeout.ms</c>, librdkafka's name of <c>delivery.timeout.ms</c>.</summary>
    public int? MessageTimeoutMs { get => GetInt("message.timeout.ms"); set => SetOrRemove("message.timeout.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary>
    /// <c>partitioner</c>: how a record without an explicit partition gets one. Default murmur2_random, Kafka's Java
    /// producer's (keys hashed with murmur2, records without a key spread); librdkafka's default is consistent_random.
    /// </summary>
    public Partitioner? Partitioner
    {
        get => Get("partitioner") is { } v ? Enum.GetValues<Partitioner>().First(p => PartitionerNames.Of(p) == v) : null;
        set => SetOrRemove("partitioner", value is { } p ? PartitionerNames.Of(p) : null);
    }

    /// <summary><c>enable.idempotence</c>: exactly one copy of each record per partition, in order, despite retries. Default true.</summary>
    public bool? EnableIdempotence { get => Get("enable.idempotence") is { } v ? bool.Parse(v) : null; set => SetOrRemove("enable.idempotence", value?.ToString().ToLowerInvariant()); }

    /// <summary><c>compression.type</c>: none, gzip, snappy, lz4 or zstd. Default none.</summary>
    public CompressionType? CompressionType
    {
        get => Get("compression.type") is { } v ? Enum.Parse<CompressionType>(v, ignoreCase: true) : null;
        set => SetOrRemove("compression.type", value?.ToString().ToLowerInvariant());
    }
}

/// <summary>How record batches are compressed (<c>compression.type</c>).</summary>
public enum CompressionType
{
    /// <summary>Not compressed.</summary>
    None,
    /// <summary>gzip.</summary>
    Gzip,
    /// <summary>Snappy.</summary>
    Snappy,
    /// <summary>LZ4.</summary>
    Lz4,
    /// <summary>Zstandard.</summary>
    Zstd,
}

/// <summary>How a producer picks a partition for a record sent without one (<c>partitioner</c>, librdkafka's choices).</summary>
public enum Partitioner
{
    /// <summary><c>random</c>: records to random partitions, sticky per batch (as librdkafka's and Kafka's producers are by default).</summary>
    Random,
    /// <summary><c>consistent</c>: CRC32 of the key (records without a key all go to one partition).</summary>
    Consistent,
    /// <summary><c>consistent_random</c>: CRC32 of the key; records without a key spread. librdkafka's default.</summary>
    ConsistentRandom,
    /// <summary><c>murmur2</c>: Kafka's Java hash of the key (records without a key all go to one partition).</summary>
    Murmur2,
    /// <summary><c>murmur2_random</c>: Kafka's Java hash of the key; records without a key spread (sticky per batch). The Java producer's default and this client's.</summary>
    Murmur2Random,
}

internal static class PartitionerNames
{
    public static string Of(Partitioner p) => p switch
    {
        Partitioner.Random => "random",
        Partitioner.Consistent => "consistent",
        Partitioner.ConsistentRandom => "consistent_random",
        Partitioner.Murmur2 => "murmur2",
        _ => "murmur2_random",
    };
}

/// <summary>How a consumer group member takes part in assigning partitions (<c>partition.assignment.strategy</c>).</summary>
public enum PartitionAssignmentStrategy
{
    /// <summary><c>range</c>: consecutive partitions of each topic per member.</summary>
    Range,
    /// <summary><c>roundrobin</c>: partitions dealt out in turn.</summary>
    RoundRobin,
    /// <summary><c>cooperative-sticky</c>: balanced and sticky, moving partitions without stopping the others (incremental rebalancing).</summary>
    CooperativeSticky,
}

/// <summary>What a consumer does when it has no valid position for a partition.</summary>
public enum AutoOffsetReset
{
    /// <summary>Start at the log end: only new records.</summary>
    Latest,
    /// <summary>Start at the log start.</summary>
    Earliest,
    /// <summary>Throw, naming the partitions.</summary>
    Error,
}

/// <summary>Consumer configuration, Kafka's keys and defaults.</summary>
public sealed class ConsumerConfig : ClientConfig
{
    /// <summary>Creates an empty consumer configuration.</summary>
    public ConsumerConfig() { }

    /// <summary>Creates a consumer configuration from key/value pairs.</summary>
    public ConsumerConfig(IEnumerable<KeyValuePair<string, string>> config) : base(config) { }

    /// <summary><c>group.id</c>: the consumer group; needed for Subscribe and for commits.</summary>
    public string? GroupId { get => Get("group.id"); set => SetOrRemove("group.id", value); }

    /// <summary><c>group.instance.id</c>: makes this a static member (KIP-345) that gets its partitions back without a rebalance when it restarts within session.timeout.ms.</summary>
    public string? GroupInstanceId { get => Get("group.instance.id"); set => SetOrRemove("group.instance.id", value); }

    /// <summary><c>enable.auto.commit</c>: commit consumed positions every auto.commit.interval.ms, before partitions are revoked and on close. Default true.</summary>
    public bool? EnableAutoCommit { get => Get("enable.auto.commit") is { } v ? bool.Parse(v) : null; set => SetOrRemove("enable.auto.commit", value?.ToString().ToLowerInvariant()); }

    /// <summary><c>auto.commit.interval.ms</c>: how often auto-commit runs (inside Consume). Default 5000.</summary>
    public int? AutoCommitIntervalMs { get => GetInt("auto.commit.interval.ms"); set => SetOrRemove("auto.commit.interval.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>enable.auto.offset.store</c>: commits include every record handed out by Consume; when false, only offsets given to StoreOffset. Default true.</summary>
    public bool? EnableAutoOffsetStore { get => Get("enable.auto.offset.store") is { } v ? bool.Parse(v) : null; set => SetOrRemove("enable.auto.offset.store", value?.ToString().ToLowerInvariant()); }

    /// <summary><c>session.timeout.ms</c>: a member not heard from for this long is removed and its partitions move. Default 45000.</summary>
    public int? SessionTimeoutMs { get => GetInt("session.timeout.ms"); set => SetOrRemove("session.timeout.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>heartbeat.interval.ms</c>: how often the background heartbeat runs; also how fast a member learns of a rebalance. Default 3000.</summary>
    public int? HeartbeatIntervalMs { get => GetInt("heartbeat.interval.ms"); set => SetOrRemove("heartbeat.interval.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>max.poll.interval.ms</c>: a consumer that does not call Consume for this long leaves the group. Default 300000.</summary>
    public int? MaxPollIntervalMs { get => GetInt("max.poll.interval.ms"); set => SetOrRemove("max.poll.interval.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary>
    /// <c>partition.assignment.strategy</c>: range, roundrobin or cooperative-sticky. Default "range,cooperative-sticky"
    /// (a list in preference order, which also accepts sticky, is set with <c>Set("partition.assignment.strategy", ...)</c>).
    /// </summary>
    public PartitionAssignmentStrategy? PartitionAssignmentStrategy
    {
        get => Get("partition.assignment.strategy") switch
        {
            "range" => Client.PartitionAssignmentStrategy.Range,
            "roundrobin" => Client.PartitionAssignmentStrategy.RoundRobin,
            "cooperative-sticky" => Client.PartitionAssignmentStrategy.CooperativeSticky,
            _ => null,
        };
        set => SetOrRemove("partition.assignment.strategy", value switch
        {
            Client.PartitionAssignmentStrategy.Range => "range",
            Client.PartitionAssignmentStrategy.RoundRobin => "roundrobin",
            Client.PartitionAssignmentStrategy.CooperativeSticky => "cooperative-sticky",
            _ => null,
        });
    }

    /// <summary><c>metadata.max.age.ms</c>: how often a subscribed consumer looks for new matching topics and added partitions. Default 300000.</summary>
    public int? MetadataMaxAgeMs { get => GetInt("metadata.max.age.ms"); set => SetOrRemove("metadata.max.age.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>auto.offset.reset</c>: latest (default), earliest or none.</summary>
    public AutoOffsetReset? AutoOffsetReset
    {
        get => Get("auto.offset.reset") switch { null => null, "earliest" or "smallest" or "beginning" => Client.AutoOffsetReset.Earliest, "none" or "error" => Client.AutoOffsetReset.Error, _ => Client.AutoOffsetReset.Latest };
        set => SetOrRemove("auto.offset.reset", value switch { null => null, Client.AutoOffsetReset.Earliest => "earliest", Client.AutoOffsetReset.Error => "none", _ => "latest" });
    }

    /// <summary><c>fetch.min.bytes</c>: bytes a fetch waits for. Default 1.</summary>
    public int? FetchMinBytes { get => GetInt("fetch.min.bytes"); set => SetOrRemove("fetch.min.bytes", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>fetch.max.wait.ms</c>: longest a fetch waits for fetch.min.bytes. Default 500.</summary>
    public int? FetchWaitMaxMs { get => GetInt("fetch.max.wait.ms"); set => SetOrRemove("fetch.max.wait.ms", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>fetch.max.bytes</c>: most bytes fetched and buffered at once across partitions. Default 52428800.</summary>
    public int? FetchMaxBytes { get => GetInt("fetch.max.bytes"); set => SetOrRemove("fetch.max.bytes", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>max.partition.fetch.bytes</c>: most bytes per partition per fetch. Default 1048576.</summary>
    public int? MaxPartitionFetchBytes { get => GetInt("max.partition.fetch.bytes"); set => SetOrRemove("max.partition.fetch.bytes", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>max.poll.records</c>: most records decoded ahead per partition fetch. Default 500.</summary>
    public int? MaxPollRecords { get => GetInt("max.poll.records"); set => SetOrRemove("max.poll.records", value?.ToString(CultureInfo.InvariantCulture)); }

    /// <summary><c>enable.partition.eof</c>: return an end-of-partition result when a partition is caught up. Default false.</summary>
    public bool? EnablePartitionEof { get => Get("enable.partition.eof") is { } v ? bool.Parse(v) : null; set => SetOrRemove("enable.partition.eof", value?.ToString().ToLowerInvariant()); }
}

/// <summary>Admin client configuration.</summary>
public sealed class AdminClientConfig : ClientConfig
{
    /// <summary>Creates an empty admin configuration.</summary>
    public AdminClientConfig() { }

    /// <summary>Creates an admin configuration from key/value pairs.</summary>
    public AdminClientConfig(IEnumerable<KeyValuePair<string, string>> config) : base(config) { }
}
