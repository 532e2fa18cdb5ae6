using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AkkaBroker.Tests.Tls;

/// <summary>
/// A certificate authority of its own and certificates it issues for 127.0.0.1, written as the files an operator would
/// have (PEM certificate and key, PKCS#12), in a temporary directory.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _ca;

    public TestCertificates(string name = "test-ca")
    {
        Directory = Path.Combine(Path.GetTempPath(), $"akkabroker-tls-{name}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        var request = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        CaPem = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(CaPem, _ca.ExportCertificatePem());
    }

    public string Directory { get; }

    /// <summary>The authority's certificate, PEM: a truststore or ssl.ca.location.</summary>
    public string CaPem { get; }

    /// <summary>A certificate for 127.0.0.1 and localhost (or localhost alone), as PEM certificate and key files.</summary>
    public (string Certificate, string Key) IssuePem(string name, bool withIpAddress = true)
    {
        using var certificate = Issue(name, withIpAddress);
        var cert = Path.Combine(Directory, $"{name}.crt.pem");
        var key = Path.Combine(Directory, $"{name}.key.pem");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(key, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }

    /// <summary>
    /// A certificate issued by an intermediate authority that the root (<see cref="CaPem"/>) issued, as a PEM "full chain"
    /// file (the certificate, then the intermediate) and a key file: clients that trust only the root need the
    /// intermediate from the server.
    /// </summary>
    public (string Certificate, string Key) IssuePemThroughIntermediate(string name)
    {
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}-intermediate", intermediateKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        using var intermediatePublic = request.Create(_ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(6), serial);
        using var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);
        using var certificate = Issue(name, issuer: intermediate);
        var cert = Path.Combine(Directory, $"{name}.fullchain.pem");
        var key = Path.Combine(Directory, $"{name}.key.pem");
        File.WriteAllText(cert, certificate.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem() + "\n");
        File.WriteAllText(key, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }

    /// <summary>The same as a PKCS#12 file with a password.</summary>
    public string IssuePkcs12(string name, string password)
    {
        using var certificate = Issue(name);
        var path = Path.Combine(Directory, $"{name}.p12");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    private X509Certificate2 Issue(string name, bool withIpAddress = true, X509Certificate2? issuer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        if (withIpAddress) san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        using var issued = request.Create(issuer ?? _ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(6), serial);
        return issued.CopyWithPrivateKey(key);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A broker still stopping may hold a file open; the directory is in the temporary folder.
        }
    }
}
