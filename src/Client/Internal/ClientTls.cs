using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using AkkaBroker.Protocol.Tls;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>Akka.Remote's TLS setup for a client with <c>security.protocol=SSL</c>.</summary>
internal static class ClientTls
{
    /// <summary>
    /// A broker is accepted when the authorities in <c>ssl.ca.location</c> issued its certificate (and, with hostname
    /// identification, the certificate names the host connected to). The certificate Akka.Remote's TLS presents when a
    /// broker asks for one is <paramref name="clientCertificate"/>, the client's own (<c>ssl.certificate.location</c>); a
    /// client without one gets a throwaway self-signed certificate, which Akka.Remote needs for the client's own listener
    /// (bound to loopback and never used).
    /// </summary>
    /// <exception cref="KafkaException">ssl.ca.location cannot be read.</exception>
    public static DotNettySslSetup Setup(ClientTlsSettings tls, X509Certificate2? clientCertificate)
    {
        X509Certificate2Collection authorities;
        try
        {
            authorities = TlsFiles.LoadAuthorities(tls.CaLocation, "ssl.ca.location");
        }
        catch (TlsFileException e)
        {
            throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument, $"Invalid configuration property {e.Message}."), e);
        }
        // Akka.Remote presents its certificate to a server only when its setup asks for mutual authentication.
        return new DotNettySslSetup(clientCertificate ?? ListenerCertificate(), suppressValidation: false, requireMutualAuthentication: clientCertificate != null, validateCertificateHostname: tls.VerifyHostname,
            customValidator: (peer, chain, remote, errors, log) =>
            {
                if (TlsFiles.ChainProblem(peer, authorities, chain) is { } problem)
                {
                    log.Warning("TLS: refused broker {0}: its certificate was not issued by an authority in ssl.ca.location: {1}", remote, problem);
                    return false;
                }
                if (tls.VerifyHostname && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    log.Warning("TLS: refused broker {0}: its certificate does not name the host connected to (set ssl.endpoint.identification.algorithm=none to allow it)", remote);
                    return false;
                }
                return true;
            });
    }

    private static X509Certificate2 ListenerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=akkabroker-client", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(10));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
