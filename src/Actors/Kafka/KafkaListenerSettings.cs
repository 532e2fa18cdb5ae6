using Akka.Configuration;
using AkkaBroker.Actors.Broker;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// The Kafka-protocol listener's settings, read once at start from Kafka's own keys under <c>akkabroker.broker</c>:
/// <c>listeners</c> (<c>PLAINTEXT://HOST:PORT</c>; an empty host binds every interface; an empty value turns the listener
/// off; when not given, the broker's host on port 9092), <c>advertised.listeners</c> (what Metadata tells clients; defaults to the listener, with the broker's host when
/// the listener binds every interface) and <c>socket.request.max.bytes</c>.
/// </summary>
/// <param name="BindHost">The address to bind; null for every interface.</param>
/// <param name="Port">The port to bind; 0 picks a free one.</param>
/// <param name="PortRequested">
/// False when the port is the default nobody asked for: a busy default port then moves the listener to a free port
/// (with a warning) instead of stopping the broker.
/// </param>
/// <param name="AdvertisedHost">The host clients are told to connect to.</param>
/// <param name="AdvertisedPort">The port clients are told to connect to; null to advertise the port bound.</param>
/// <param name="SaslEnabled">A <c>SASL_PLAINTEXT</c> or <c>SASL_SSL</c> listener: clients authenticate (SaslHandshake, SaslAuthenticate) before anything else.</param>
/// <param name="Tls">
/// An <c>SSL</c> or <c>SASL_SSL</c> listener's certificate (Kafka's broker-level <c>ssl.keystore.location</c>, falling back
/// to the client endpoint's); null for a plaintext listener.
/// </param>
/// <param name="ClientAuth">
/// Kafka's <c>ssl.client.auth</c> on a TLS listener: <c>none</c>; <c>requested</c> (a client may present a certificate);
/// <c>required</c>. A presented certificate must come from <c>ssl.truststore.location</c>'s authorities, and its subject is
/// the connection's principal (<c>User:CN=alice,OU=...</c>) unless the client authenticates with SASL.
/// </param>
public sealed record KafkaListenerSettings(string? BindHost, int Port, bool PortRequested, string AdvertisedHost, int? AdvertisedPort, int SocketRequestMaxBytes,
    bool SaslEnabled = false, EndpointTlsSettings? Tls = null, SslClientAuth ClientAuth = SslClientAuth.None)
{
    /// <summary>Kafka's name of the listener's security protocol.</summary>
    public string SecurityProtocol => (SaslEnabled, Tls != null) switch
    {
        (true, true) => "SASL_SSL",
        (true, false) => "SASL_PLAINTEXT",
        (false, true) => "SSL",
        _ => "PLAINTEXT",
    };

    public const int DefaultPort = 9092;
    private const string ListenersKey = BrokerSettings.Section + ".listeners";
    private const string AdvertisedKey = BrokerSettings.Section + ".advertised.listeners";
    private const string MaxBytesKey = BrokerSettings.Section + ".socket.request.max.bytes";

    /// <summary>The settings, or null when <c>listeners</c> is empty (the listener is off).</summary>
    /// <exception cref="BrokerConfigurationException">a value is not a listener Kafka would accept, or names a protocol not served.</exception>
    public static KafkaListenerSettings? Create(Config config, string brokerHost)
    {
        // Not given: the broker's own host on Kafka's port, which a busy port may move. Given empty: off.
        var requested = config.HasPath(ListenersKey);
        var listeners = requested ? config.GetString(ListenersKey, "")?.Trim() ?? "" : $"PLAINTEXT://{brokerHost}:{DefaultPort}";
        if (listeners.Length == 0) return null;
        var (bindHost, port, sasl, tls) = ParseOne(ListenersKey, listeners);
        var advertised = config.GetString(AdvertisedKey, "")?.Trim() ?? "";
        string advertisedHost;
        int? advertisedPort;
        if (advertised.Length == 0)
        {
            advertisedHost = bindHost ?? brokerHost;
            advertisedPort = null;
        }
        else
        {
            var (host, p, advertisedSasl, advertisedTls) = ParseOne(AdvertisedKey, advertised);
            if (advertisedSasl != sasl || advertisedTls != tls)
                throw new BrokerConfigurationException(AdvertisedKey, advertised, $"the listener's own protocol ({listeners.Split("://")[0]}): an advertised listener names the same listener");
            if (host == null)
                throw new BrokerConfigurationException(AdvertisedKey, advertised, "an address clients can reach, with a host (PLAINTEXT://broker1.example.com:9092)");
            if (p == 0)
                throw new BrokerConfigurationException(AdvertisedKey, advertised, "an address with a real port: 0 can only be bound, not advertised");
            (advertisedHost, advertisedPort) = (host, p);
        }
        var maxBytes = config.GetInt(MaxBytesKey, 104857600);
        if (maxBytes < 1024)
            throw new BrokerConfigurationException(MaxBytesKey, maxBytes.ToString(), "at least 1024 bytes (Kafka's default is 104857600)");
        var clientAuthKey = $"{BrokerSettings.Section}.ssl.client.auth";
        var clientAuth = (config.GetString(clientAuthKey, "none") ?? "none").Trim().ToLowerInvariant() switch
        {
            "none" or "" => SslClientAuth.None,
            "requested" => SslClientAuth.Requested,
            "required" => SslClientAuth.Required,
            var other => throw new BrokerConfigurationException(clientAuthKey, other, "none, requested or required (Kafka's ssl.client.auth)"),
        };
        var certificate = tls ? Certificate(config) : null;
        if (certificate != null && clientAuth != SslClientAuth.None)
        {
            var truststore = config.GetString($"{BrokerSettings.Section}.ssl.truststore.location", "") ?? "";
            if (truststore.Length == 0)
                throw new BrokerConfigurationException($"{BrokerSettings.Section}.ssl.truststore.location", "",
                    $"a PEM file of the authorities that issue clients' certificates, with ssl.client.auth = {clientAuth.ToString().ToLowerInvariant()}");
            certificate = certificate with { TruststoreLocation = truststore };
        }
        return new KafkaListenerSettings(bindHost, port, requested, advertisedHost, advertisedPort, maxBytes, sasl, certificate, certificate == null ? SslClientAuth.None : clientAuth);
    }

    /// <summary>
    /// The certificate of a TLS listener: Kafka's broker-level <c>ssl.keystore.location</c> (with <c>ssl.keystore.password</c>
    /// and <c>ssl.key.location</c>), else the client endpoint's, so that one certificate can serve both.
    /// </summary>
    private static EndpointTlsSettings Certificate(Config config)
    {
        var own = config.GetString($"{BrokerSettings.Section}.ssl.keystore.location", "") ?? "";
        if (own.Length > 0)
            return new EndpointTlsSettings($"{BrokerSettings.Section}.ssl", true, own, config.GetString($"{BrokerSettings.Section}.ssl.keystore.password", "") ?? "",
                config.GetString($"{BrokerSettings.Section}.ssl.key.location", "") ?? "", "");
        var client = $"{BrokerSettings.Section}.client-endpoint.ssl";
        var location = config.GetString($"{client}.keystore.location", "") ?? "";
        if (location.Length == 0)
            throw new BrokerConfigurationException($"{BrokerSettings.Section}.ssl.keystore.location", "",
                "the broker's certificate with its private key (PKCS#12, or PEM with ssl.key.location) for an SSL or SASL_SSL listener " +
                "(or set the client endpoint's, client-endpoint.ssl.keystore.location, which the listener then uses too)");
        return new EndpointTlsSettings(client, true, location, config.GetString($"{client}.keystore.password", "") ?? "", config.GetString($"{client}.key.location", "") ?? "", "");
    }

    /// <summary>One <c>NAME://HOST:PORT</c> entry, NAME one of Kafka's security protocols (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL).</summary>
    internal static (string? Host, int Port, bool Sasl, bool Tls) ParseOne(string key, string value)
    {
        var entries = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (entries.Length != 1)
            throw new BrokerConfigurationException(key, value, "one listener (PLAINTEXT://HOST:PORT): a broker serves one Kafka-protocol listener");
        var entry = entries[0];
        var scheme = entry.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
            throw new BrokerConfigurationException(key, value, "a listener as Kafka writes it, NAME://HOST:PORT, e.g. PLAINTEXT://0.0.0.0:9092");
        var name = entry[..scheme];
        var (sasl, tls) = name.ToUpperInvariant() switch
        {
            "PLAINTEXT" => (false, false),
            "SSL" => (false, true),
            "SASL_PLAINTEXT" => (true, false),
            "SASL_SSL" => (true, true),
            _ => throw new BrokerConfigurationException(key, value, $"a listener named by Kafka's security protocols, PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL: '{name}' is none of them"),
        };
        var address = entry[(scheme + 3)..];
        var colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address[(colon + 1)..], out var port) || port is < 0 or > 65535)
            throw new BrokerConfigurationException(key, value, "HOST:PORT after the listener name, with a port from 0 to 65535 (PLAINTEXT://0.0.0.0:9092)");
        var host = address[..colon].Trim('[', ']');
        return (host.Length == 0 ? null : host, port, sasl, tls);
    }
}

/// <summary>Kafka's <c>ssl.client.auth</c>: whether clients of a TLS listener present certificates.</summary>
public enum SslClientAuth
{
    None,
    Requested,
    Required,
}
