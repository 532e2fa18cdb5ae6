using System.Globalization;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>Reads and checks a client's key/value configuration once, when the client is built.</summary>
internal sealed class ConfigReader
{
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>librdkafka's (Confluent.Kafka's) names of Kafka's keys, read as Kafka's.</summary>
    private static readonly (string Librdkafka, string Kafka)[] Aliases =
    [
        ("message.timeout.ms", "delivery.timeout.ms"),
        ("fetch.wait.max.ms", "fetch.max.wait.ms"),
        ("queue.buffering.max.ms", "linger.ms"),
    ];

    /// <exception cref="KafkaException">a key is given under both its names with different values.</exception>
    public ConfigReader(IEnumerable<KeyValuePair<string, string>> config)
    {
        _values = config.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var (alias, key) in Aliases)
        {
            if (!_values.Remove(alias, out var value)) continue;
            // librdkafka's message.timeout.ms = 0 means no limit; Kafka's delivery.timeout.ms has no such value.
            if (alias == "message.timeout.ms" && value.Trim() == "0") value = int.MaxValue.ToString(CultureInfo.InvariantCulture);
            if (_values.TryGetValue(key, out var other) && other.Trim() != value.Trim())
                throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                    $"Configuration properties {alias} = '{value}' and {key} = '{other}' are the same setting with different values: keep one."));
            _values[key] = value;
        }
    }

    private static KafkaException Invalid(string key, string value, string allowed) =>
        new(new Error(ErrorCode.LocalInvalidArgument, $"Invalid value '{value}' for configuration property {key}: it must be {allowed}."));

    public string? String(string key)
    {
        _read.Add(key);
        return _values.TryGetValue(key, out var v) ? v.Trim() : null;
    }

    /// <summary>The value as given, spaces and all (a password may begin or end with one).</summary>
    public string? Raw(string key)
    {
        _read.Add(key);
        return _values.GetValueOrDefault(key);
    }

    public string Required(string key, string what) =>
        String(key) is { Length: > 0 } v ? v : throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument, $"Configuration property {key} is required: {what}."));

    public long Long(string key, long defaultValue, long min, long max)
    {
        var v = String(key);
        if (v == null) return defaultValue;
        return long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw Invalid(key, v, $"a whole number from {min} to {max}");
    }

    public int Int(string key, int defaultValue, int min, int max) => (int)Long(key, defaultValue, min, max);

    public double Double(string key, double defaultValue, double min, double max)
    {
        var v = String(key);
        if (v == null) return defaultValue;
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw Invalid(key, v, $"a number from {min} to {max}");
    }

    public bool Bool(string key, bool defaultValue)
    {
        var v = String(key);
        return v?.ToLowerInvariant() switch
        {
            null => defaultValue,
            "true" => true,
            "false" => false,
            _ => throw Invalid(key, v, "true or false"),
        };
    }

    public T Choice<T>(string key, T defaultValue, IReadOnlyDictionary<string, T> choices)
    {
        var v = String(key);
        if (v == null) return defaultValue;
        return choices.TryGetValue(v.ToLowerInvariant(), out var c) ? c : throw Invalid(key, v, "one of " + string.Join(", ", choices.Keys));
    }

    /// <summary>Refuses keys nobody read: a misspelt key must not be silently ignored.</summary>
    public void EnsureAllKnown(string clientKind)
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToArray();
        if (unknown.Length > 0)
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                $"Unknown {clientKind} configuration propert{(unknown.Length == 1 ? "y" : "ies")}: {string.Join(", ", unknown)}. See docs/configuration.md for the supported keys."));
    }
}

/// <summary>
/// TLS to the brokers' client endpoints (<c>security.protocol=SSL</c>): the authorities that may have issued the brokers'
/// certificates (<c>ssl.ca.location</c>, PEM) and whether a broker's certificate must name the host connected to
/// (<c>ssl.endpoint.identification.algorithm</c>: https, Kafka's default, or none).
/// </summary>
internal sealed record ClientTlsSettings(string CaLocation, bool VerifyHostname, ClientCertificateSettings? Certificate = null);

/// <summary>
/// The client's own certificate (Kafka's <c>ssl.certificate.location</c> and <c>ssl.key.location</c>, PEM, or
/// <c>ssl.keystore.location</c>, PKCS#12), which a broker taking client certificates makes the client's principal.
/// </summary>
/// <param name="Location">The certificate file (PEM, or PKCS#12).</param>
/// <param name="KeyLocation">The PEM key file; empty when the key is in <paramref name="Location"/>.</param>
/// <param name="Password">The PKCS#12 file's or the encrypted PEM key's password; empty for none.</param>
/// <param name="Setting">The key that named <paramref name="Location"/>, for messages.</param>
internal sealed record ClientCertificateSettings(string Location, string KeyLocation, string Password, string Setting)
{
    // Never the password in a log line or an exception.
    public override string ToString() => $"ClientCertificateSettings({Location})";

    /// <summary>The certificate with its private key, and the intermediate authorities in the same file.</summary>
    /// <exception cref="KafkaException">a file cannot be read.</exception>
    public (System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate, System.Security.Cryptography.X509Certificates.X509Certificate2Collection Chain) Load()
    {
        try
        {
            var certificate = Protocol.Tls.TlsFiles.LoadCertificate(Location, Password, KeyLocation, Setting);
            return (certificate, Protocol.Tls.TlsFiles.LoadChain(Location, Password, certificate, Setting));
        }
        catch (Protocol.Tls.TlsFileException e)
        {
            throw new KafkaException(new Error(Protocol.ErrorCode.LocalInvalidArgument, $"Invalid configuration property {e.Message}."), e);
        }
    }
}

/// <summary>
/// SASL authentication at the brokers' client endpoints (<c>security.protocol=SASL_PLAINTEXT</c> or <c>SASL_SSL</c>):
/// <c>sasl.mechanism</c> (SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN), <c>sasl.username</c>, <c>sasl.password</c>.
/// </summary>
internal sealed record ClientSaslSettings(string Mechanism, string Username, string Password)
{
    // Never the password in a log line or an exception.
    public override string ToString() => $"ClientSaslSettings({Mechanism}, {Username})";
}
/// <summary>Settings every client has.</summary>
internal sealed record ClientSettings(IReadOnlyList<(string Host, int Port)> BootstrapServers, string ClientId, TimeSpan RequestTimeout,
    TimeSpan ConnectTimeout, TimeSpan RetryBackoff, TimeSpan StatisticsInterval, ClientTlsSettings? Tls = null, ClientSaslSettings? Sasl = null)
{
    /// <summary>Whether the client authenticates at the brokers (with SASL, or else with its certificate).</summary>
    public bool Authenticates => Sasl != null || Tls?.Certificate != null;

    public static ClientSettings Read(ConfigReader r)
    {
        var servers = r.Required("bootstrap.servers", "a comma-separated list of broker host:port, e.g. 127.0.0.1:9192");
        var list = new List<(string, int)>();
        foreach (var part in servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part[(colon + 1)..], out var port) || port is <= 0 or > 65535)
                throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                    $"Invalid value '{servers}' for configuration property bootstrap.servers: '{part}' is not host:port (e.g. 127.0.0.1:9192)."));
            list.Add((part[..colon], port));
        }
        if (list.Count == 0)
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument, "Configuration property bootstrap.servers is empty: list at least one broker host:port."));
        return new ClientSettings(list,
            r.String("client.id") ?? "akkabroker",
            TimeSpan.FromMilliseconds(r.Int("request.timeout.ms", 30000, 1, int.MaxValue)),
            TimeSpan.FromMilliseconds(r.Int("socket.connection.setup.timeout.ms", 10000, 1, int.MaxValue)),
            TimeSpan.FromMilliseconds(r.Int("retry.backoff.ms", 100, 0, int.MaxValue)),
            // librdkafka's: 0 (off) unless a statistics handler is to be called.
            TimeSpan.FromMilliseconds(r.Int("statistics.interval.ms", 0, 0, 86_400_000)),
            ReadTls(r, out var sasl),
            sasl ? ReadSasl(r) : NoSasl(r));
    }

    private static ClientSaslSettings ReadSasl(ConfigReader r)
    {
        var mechanism = r.String("sasl.mechanism") ?? r.String("sasl.mechanisms") ?? "GSSAPI";
        if (Protocol.Security.SaslMechanisms.Canonical(mechanism) is not { } canonical)
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                $"Invalid value '{mechanism}' for configuration property sasl.mechanism: AkkaBroker's brokers offer {string.Join(", ", Protocol.Security.SaslMechanisms.All)}."));
        var user = r.String("sasl.username");
        var password = r.Raw("sasl.password");
        if (string.IsNullOrEmpty(user) || password == null)
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                $"Configuration properties sasl.username and sasl.password are required with security.protocol={r.String("security.protocol")!.ToUpperInvariant()}."));
        return new ClientSaslSettings(canonical, user, password);
    }

    /// <summary>SASL keys without a SASL security.protocol would be ignored, and a client that means to authenticate would not: refused.</summary>
    private static ClientSaslSettings? NoSasl(ConfigReader r)
    {
        foreach (var key in new[] { "sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password" })
            if (r.String(key) != null)
                throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                    $"Configuration property {key} is set but security.protocol is {r.String("security.protocol")?.ToUpperInvariant() ?? "PLAINTEXT"}: " +
                    "set security.protocol=SASL_PLAINTEXT (SASL_SSL with TLS) to authenticate, or remove the sasl.* properties."));
        return null;
    }

    private static ClientTlsSettings? ReadTls(ConfigReader r, out bool sasl)
    {
        var (ssl, withSasl) = r.Choice("security.protocol", (false, false), new Dictionary<string, (bool, bool)>
        {
            ["plaintext"] = (false, false), ["ssl"] = (true, false), ["sasl_plaintext"] = (false, true), ["sasl_ssl"] = (true, true),
        });
        sasl = withSasl;
        var ca = r.String("ssl.ca.location");
        var verify = r.Choice("ssl.endpoint.identification.algorithm", true, new Dictionary<string, bool> { ["https"] = true, ["none"] = false, [""] = false });
        var certificate = ReadCertificate(r);
        if (!ssl)
        {
            foreach (var (key, value) in new[] { ("ssl.ca.location", ca), ("ssl.certificate.location", r.String("ssl.certificate.location")),
                         ("ssl.keystore.location", r.String("ssl.keystore.location")), ("ssl.key.location", r.String("ssl.key.location")) })
                if (value is { Length: > 0 })
                    throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                        $"Configuration property {key} is set but security.protocol has no TLS: set security.protocol=SSL (SASL_SSL) to connect with TLS, or remove {key}."));
            return null;
        }
        if (ca is not { Length: > 0 })
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                "Configuration property ssl.ca.location is required with security.protocol=SSL (or SASL_SSL): the PEM file of the authority that issued the brokers' certificates."));
        return new ClientTlsSettings(ca, verify, certificate);
    }

    /// <summary>The client's certificate: a PEM certificate and key (<c>ssl.certificate.location</c>, <c>ssl.key.location</c>, <c>ssl.key.password</c>) or a PKCS#12 file (<c>ssl.keystore.location</c>, <c>ssl.keystore.password</c>).</summary>
    private static ClientCertificateSettings? ReadCertificate(ConfigReader r)
    {
        var pem = r.String("ssl.certificate.location");
        var keystore = r.String("ssl.keystore.location");
        var key = r.String("ssl.key.location") ?? "";
        var keyPassword = r.Raw("ssl.key.password");
        var keystorePassword = r.Raw("ssl.keystore.password");
        if (pem is { Length: > 0 } && keystore is { Length: > 0 })
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                "Configuration properties ssl.certificate.location and ssl.keystore.location are both set: give the client's certificate once (PEM, or PKCS#12)."));
        // A key or password that nothing uses would be silently ignored: refused instead.
        string? unused = pem is { Length: > 0 } ? (keystorePassword != null ? "ssl.keystore.password" : null)
            : keystore is { Length: > 0 } ? (key.Length > 0 ? "ssl.key.location" : keyPassword != null ? "ssl.key.password" : null)
            : key.Length > 0 ? "ssl.key.location" : keyPassword != null ? "ssl.key.password" : keystorePassword != null ? "ssl.keystore.password" : null;
        if (unused != null)
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                $"Configuration property {unused} does not go with the client certificate given: ssl.key.location and ssl.key.password go with " +
                "ssl.certificate.location (PEM), ssl.keystore.password with ssl.keystore.location (PKCS#12). Remove it, or give the certificate it belongs to."));
        if (pem is { Length: > 0 }) return new ClientCertificateSettings(pem, key, keyPassword ?? "", "ssl.certificate.location");
        if (keystore is { Length: > 0 }) return new ClientCertificateSettings(keystore, "", keystorePassword ?? "", "ssl.keystore.location");
        return null;
    }
}

/// <summary>The producer's settings, Kafka's keys and defaults.</summary>
internal sealed record ProducerSettings(ClientSettings Client, short Acks, double LingerMs, int BatchSize, long BufferMemory, int MaxInFlight,
    int Retries, TimeSpan DeliveryTimeout, TimeSpan MaxBlock, bool EnableIdempotence, Protocol.Records.CompressionType Compression, int MaxRequestSize,
    Partitioner Partitioner)
{
    public static ProducerSettings Read(IEnumerable<KeyValuePair<string, string>> config)
    {
        var r = new ConfigReader(config);
        var client = ClientSettings.Read(r);
        var acks = r.Choice<short>("acks", -1, new Dictionary<string, short> { ["0"] = 0, ["1"] = 1, ["all"] = -1, ["-1"] = -1 });
        var maxInFlight = r.Int("max.in.flight.requests.per.connection", 5, 1, 1000);
        // As Kafka's Java producer (KIP-679): on unless turned off, or unless acks or in-flight, set by the user, conflict
        // with it; only an explicit enable.idempotence=true that conflicts is refused.
        var idempotence = r.Bool("enable.idempotence", acks == -1 && maxInFlight <= 5);
        var compressionName = r.String("compression.type") ?? "none";
        if (!Protocol.Records.Compression.TryParse(compressionName, out var compression))
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                $"Invalid value '{compressionName}' for configuration property compression.type: it must be one of none, gzip, snappy, lz4, zstd."));
        var settings = new ProducerSettings(client, acks,
            r.Double("linger.ms", 5, 0, 900000),
            r.Int("batch.size", 16384, 1, int.MaxValue),
            r.Long("buffer.memory", 33554432, 1, long.MaxValue),
            maxInFlight,
            r.Int("retries", int.MaxValue, 0, int.MaxValue),
            TimeSpan.FromMilliseconds(r.Int("delivery.timeout.ms", 120000, 1, int.MaxValue)),
            TimeSpan.FromMilliseconds(r.Int("max.block.ms", 60000, 0, int.MaxValue)),
            idempotence, compression,
            r.Int("max.request.size", 1048576, 1, int.MaxValue),
            r.Choice("partitioner", Partitioner.Murmur2Random, Enum.GetValues<Partitioner>().ToDictionary(PartitionerNames.Of, p => p)));
        r.EnsureAllKnown("producer");
        if (idempotence && acks != -1)
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                $"enable.idempotence=true requires acks=all, but acks is '{(acks == 0 ? "0" : "1")}'. Set acks=all, or enable.idempotence=false."));
        if (idempotence && maxInFlight > 5)
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                $"enable.idempotence=true requires max.in.flight.requests.per.connection of at most 5, but it is {maxInFlight}."));
        return settings;
    }
}

/// <summary>The consumer's settings, Kafka's keys and defaults.</summary>
internal sealed record ConsumerSettings(ClientSettings Client, string? GroupId, AutoOffsetReset AutoOffsetReset, int FetchMinBytes, int FetchMaxWaitMs,
    int FetchMaxBytes, int MaxPartitionFetchBytes, int MaxPollRecords, bool EnablePartitionEof, bool EnableAutoCommit, TimeSpan AutoCommitInterval,
    bool EnableAutoOffsetStore, int SessionTimeoutMs, TimeSpan HeartbeatInterval, int MaxPollIntervalMs, IReadOnlyList<string> AssignmentStrategies,
    string? GroupInstanceId, TimeSpan MetadataMaxAge)
{
    /// <summary>Kafka's names, in the order Kafka's consumer lists them.</summary>
    public static readonly IReadOnlyList<string> KnownStrategies = ["range", "roundrobin", "sticky", "cooperative-sticky"];

    /// <summary>
    /// As in Kafka's consumer, a member rebalances cooperatively (KIP-429: keeps its partitions while rejoining) only
    /// when every strategy it offers is cooperative; with any eager one it gives everything up first, which is safe
    /// whichever strategy the group picks.
    /// </summary>
    public bool Cooperative => AssignmentStrategies.All(s => s == "cooperative-sticky");

    public static ConsumerSettings Read(IEnumerable<KeyValuePair<string, string>> config)
    {
        var r = new ConfigReader(config);
        var client = ClientSettings.Read(r);
        var groupId = r.String("group.id");
        if (groupId is { Length: 0 }) groupId = null;
        var strategyList = r.String("partition.assignment.strategy") ?? "range,cooperative-sticky";
        var strategies = strategyList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.ToLowerInvariant()).ToArray();
        if (strategies.Length == 0 || strategies.Any(s => !KnownStrategies.Contains(s)))
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                $"Invalid value '{strategyList}' for configuration property partition.assignment.strategy: it must list one or more of {string.Join(", ", KnownStrategies)}."));
        var session = r.Int("session.timeout.ms", 45000, 1, int.MaxValue);
        var heartbeat = r.Int("heartbeat.interval.ms", 3000, 1, int.MaxValue);
        if (heartbeat >= session)
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument,
                $"heartbeat.interval.ms ({heartbeat}) must be lower than session.timeout.ms ({session}); Kafka recommends at most a third of it."));
        var settings = new ConsumerSettings(client,
            groupId,
            r.Choice("auto.offset.reset", AutoOffsetReset.Latest, new Dictionary<string, AutoOffsetReset>
            {
                ["latest"] = AutoOffsetReset.Latest, ["earliest"] = AutoOffsetReset.Earliest, ["none"] = AutoOffsetReset.Error,
            }),
            r.Int("fetch.min.bytes", 1, 0, int.MaxValue),
            r.Int("fetch.max.wait.ms", 500, 0, 300000),
            r.Int("fetch.max.bytes", 52428800, 1024, int.MaxValue),
            r.Int("max.partition.fetch.bytes", 1048576, 1, int.MaxValue),
            r.Int("max.poll.records", 500, 1, int.MaxValue),
            r.Bool("enable.partition.eof", false),
            r.Bool("enable.auto.commit", true),
            TimeSpan.FromMilliseconds(r.Int("auto.commit.interval.ms", 5000, 0, int.MaxValue)),
            r.Bool("enable.auto.offset.store", true),
            session,
            TimeSpan.FromMilliseconds(heartbeat),
            r.Int("max.poll.interval.ms", 300000, 1, int.MaxValue),
            strategies,
            r.String("group.instance.id") is { Length: > 0 } instance ? instance : null,
            TimeSpan.FromMilliseconds(r.Int("metadata.max.age.ms", 300000, 1, int.MaxValue)));
        r.EnsureAllKnown("consumer");
        return settings;
    }
}
