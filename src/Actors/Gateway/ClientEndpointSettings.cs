using Akka.Configuration;
using AkkaBroker.Actors.Broker;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// <c>akkabroker.broker.client-endpoint</c>: where AkkaBroker clients reach this broker, apart from the cluster endpoint.
/// </summary>
/// <param name="Hostname">The interface to bind.</param>
/// <param name="Port">The port to bind; 0 picks a free one.</param>
/// <param name="PublicHostname">The host clients are given in metadata (NAT, containers).</param>
/// <param name="MaxInFlightRequestsPerConnection">Most requests one client connection may have waiting for an answer.</param>
/// <param name="TcpReuseAddress">SO_REUSEADDR on the bind: only for a restart when nobody listens on the port.</param>
/// <param name="Tls">TLS for clients (<c>ssl</c>).</param>
/// <param name="SaslEnabled">Whether clients must authenticate (<c>sasl.enabled</c>) with one of <c>akkabroker.broker.sasl.enabled.mechanisms</c>.</param>
/// <param name="ClientAuth">
/// Kafka's <c>ssl.client.auth</c> (<c>ssl.client.auth</c> here): whether clients may (<c>requested</c>) or must
/// (<c>required</c>) prove they hold a certificate the truststore's authorities issued, whose subject is then their principal.
/// </param>
public sealed record ClientEndpointSettings(string Hostname, int Port, string PublicHostname, int MaxInFlightRequestsPerConnection, bool TcpReuseAddress,
    EndpointTlsSettings Tls, bool SaslEnabled = false, Kafka.SslClientAuth ClientAuth = Kafka.SslClientAuth.None)
{
    /// <summary>Whether every request needs an authenticated principal (by SASL or a client certificate).</summary>
    public bool AuthenticationRequired => SaslEnabled || ClientAuth == Kafka.SslClientAuth.Required;

    public const string Section = BrokerSettings.Section + ".client-endpoint";

    /// <exception cref="BrokerConfigurationException">a value is out of range.</exception>
    public static ClientEndpointSettings Create(Config config, string clusterHost)
    {
        var c = config.GetConfig(Section) ?? throw new BrokerConfigurationException(Section, null, "present (reference.conf is missing)");
        var hostname = c.GetString("hostname");
        if (string.IsNullOrWhiteSpace(hostname)) hostname = clusterHost;
        var publicHostname = c.GetString("public-hostname");
        // Behind NAT the cluster endpoint's public host is usually the clients' too.
        if (string.IsNullOrWhiteSpace(publicHostname)) publicHostname = config.GetString("akka.remote.dot-netty.tcp.public-hostname");
        if (string.IsNullOrWhiteSpace(publicHostname)) publicHostname = hostname;
        // A client must be given an address it can connect to: "every interface" is no such address.
        if (publicHostname is "0.0.0.0" or "::" or "[::]")
            throw new BrokerConfigurationException($"{Section}.public-hostname", publicHostname,
                "the host name or IP address clients connect to (the bind address is every interface, which clients cannot be given)");
        var clientAuthKey = $"{Section}.ssl.client.auth";
        var clientAuth = c.GetString("ssl.client.auth", "none")?.ToLowerInvariant() switch
        {
            "none" or "" or null => Kafka.SslClientAuth.None,
            "requested" => Kafka.SslClientAuth.Requested,
            "required" => Kafka.SslClientAuth.Required,
            var other => throw new BrokerConfigurationException(clientAuthKey, other, "none, requested or required (Kafka's ssl.client.auth)"),
        };
        var tls = EndpointTlsSettings.Create(config, $"{Section}.ssl", truststoreRequired: clientAuth == Kafka.SslClientAuth.None ? null
            : $"a PEM file of the certificate authority (or authorities) that issues clients' certificates, with {Section}.ssl.client.auth = {c.GetString("ssl.client.auth")}");
        if (clientAuth != Kafka.SslClientAuth.None && !tls.Enabled)
            throw new BrokerConfigurationException(clientAuthKey, c.GetString("ssl.client.auth"),
                $"none unless TLS is on ({Section}.ssl.enabled = on): client certificates are part of TLS");
        return new ClientEndpointSettings(hostname, Number("port", 0, 65535), publicHostname, Number("max-in-flight-requests-per-connection", 1, int.MaxValue),
            OnOff("tcp-reuse-addr"), tls, OnOff("sasl.enabled"), clientAuth);

        bool OnOff(string key) => c.GetString(key, "off")?.ToLowerInvariant() switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            var other => throw new BrokerConfigurationException($"{Section}.{key}", other, "on or off"),
        };

        int Number(string key, int min, int max)
        {
            var raw = c.GetString(key);
            if (!int.TryParse(raw, out var v) || v < min || v > max)
                throw new BrokerConfigurationException($"{Section}.{key}", raw, $"a whole number from {min} to {max}");
            return v;
        }
    }
}
