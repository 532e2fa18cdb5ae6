using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using AkkaBroker.Protocol.Tls;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// TLS on one of the broker's Akka.Remote endpoints (<c>akkabroker.broker.cluster-endpoint.ssl</c> or
/// <c>akkabroker.broker.client-endpoint.ssl</c>), with Kafka's key names: the broker's certificate from
/// <c>keystore.location</c> (PKCS#12 or PEM, <c>key.location</c> for a separate PEM key) and, where peers must prove
/// who they are, the authorities whose certificates are accepted from <c>truststore.location</c> (PEM).
/// </summary>
/// <param name="Section">The HOCON path of these settings, for messages.</param>
public sealed record EndpointTlsSettings(string Section, bool Enabled, string KeystoreLocation, string KeystorePassword, string KeyLocation, string TruststoreLocation)
{
    /// <exception cref="BrokerConfigurationException">TLS is on and a file is not given.</exception>
    /// <param name="truststoreRequired">Why a truststore is needed when TLS is on, or null when it is not.</param>
    public static EndpointTlsSettings Create(Config config, string section, string? truststoreRequired)
    {
        var c = config.GetConfig(section) ?? throw new BrokerConfigurationException(section, null, "present (reference.conf is missing)");
        var enabled = c.GetString("enabled")?.ToLowerInvariant() switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" or null => false,
            var other => throw new BrokerConfigurationException($"{section}.enabled", other, "on or off"),
        };
        var settings = new EndpointTlsSettings(section, enabled, c.GetString("keystore.location") ?? "", c.GetString("keystore.password") ?? "",
            c.GetString("key.location") ?? "", c.GetString("truststore.location") ?? "");
        if (!enabled) return settings;
        if (settings.KeystoreLocation.Length == 0)
            throw new BrokerConfigurationException($"{section}.keystore.location", "", "the broker's certificate with its private key (a PKCS#12 file, or PEM) when TLS is on");
        if (truststoreRequired != null && settings.TruststoreLocation.Length == 0)
            throw new BrokerConfigurationException($"{section}.truststore.location", "", truststoreRequired);
        return settings;
    }

    /// <summary>
    /// Akka.Remote's TLS setup for this endpoint: the broker's certificate; with a truststore (and
    /// <paramref name="mutual"/>), mutual TLS in which either side accepts the other only with a certificate the
    /// truststore's authorities issued.
    /// </summary>
    /// <exception cref="BrokerConfigurationException">a file cannot be read.</exception>
    public DotNettySslSetup Setup(bool mutual = true)
    {
        var certificate = Certificate();
        if (TruststoreLocation.Length == 0 || !mutual) return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: false);
        var authorities = Load(() => TlsFiles.LoadAuthorities(TruststoreLocation, $"{Section}.truststore.location"), "truststore.location", TruststoreLocation);
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            customValidator: (peer, chain, remote, _, log) => Accepts(peer, chain, authorities, remote, log));
    }

    /// <summary>The authorities in <see cref="TruststoreLocation"/>, whose certificates peers must present.</summary>
    /// <exception cref="BrokerConfigurationException">the file cannot be read.</exception>
    public X509Certificate2Collection Authorities() =>
        Load(() => TlsFiles.LoadAuthorities(TruststoreLocation, $"{Section}.truststore.location"), "truststore.location", TruststoreLocation);

    /// <summary>The endpoint's certificate with its private key.</summary>
    /// <exception cref="BrokerConfigurationException">the file cannot be read or holds no private key.</exception>
    public X509Certificate2 Certificate() =>
        Load(() => TlsFiles.LoadCertificate(KeystoreLocation, KeystorePassword, KeyLocation, $"{Section}.keystore.location"), "keystore.location", KeystoreLocation);

    /// <summary>The intermediate authorities in the keystore besides <paramref name="certificate"/>, presented with it.</summary>
    /// <exception cref="BrokerConfigurationException">the file cannot be read.</exception>
    public X509Certificate2Collection Chain(X509Certificate2 certificate) =>
        Load(() => TlsFiles.LoadChain(KeystoreLocation, KeystorePassword, certificate, $"{Section}.keystore.location"), "keystore.location", KeystoreLocation);

    private T Load<T>(Func<T> load, string key, string value)
    {
        try
        {
            return load();
        }
        catch (TlsFileException e)
        {
            throw new BrokerConfigurationException($"{Section}.{key}", value, $"usable: {e.Message}");
        }
    }

    private static bool Accepts(X509Certificate2? peer, X509Chain? chain, X509Certificate2Collection authorities, string remote, ILoggingAdapter log)
    {
        if (TlsFiles.ChainProblem(peer, authorities, chain) is not { } problem) return true;
        log.Warning("TLS: refused {0}: its certificate was not issued by the authorities in the truststore: {1}", remote, problem);
        return false;
    }
}
