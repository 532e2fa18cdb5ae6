using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AkkaBroker.Protocol.Tls;

/// <summary>A certificate or key file that cannot be used, with the setting that names it.</summary>
public sealed class TlsFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Certificates from files, as Kafka takes them (<c>ssl.keystore.location</c>, <c>ssl.truststore.location</c>,
/// <c>ssl.ca.location</c>): PKCS#12 (<c>.p12</c>/<c>.pfx</c>, with a password) or PEM, and the check that a peer's
/// certificate was issued by one of the trusted authorities (a private CA, not the machine's store).
/// </summary>
public static class TlsFiles
{
    /// <summary>This side's certificate with its private key.</summary>
    /// <param name="location">A PKCS#12 file, or a PEM file with the certificate.</param>
    /// <param name="password">The PKCS#12 file's password (or the PEM key's, when it is encrypted); empty for none.</param>
    /// <param name="keyLocation">A PEM file with the private key; empty: the key is in <paramref name="location"/>.</param>
    /// <param name="setting">The setting that named the file, for the error message.</param>
    /// <exception cref="TlsFileException">the file is missing, unreadable or holds no private key.</exception>
    public static X509Certificate2 LoadCertificate(string location, string password, string keyLocation, string setting)
    {
        Exists(location, setting);
        try
        {
            X509Certificate2 certificate;
            if (IsPem(location))
            {
                var key = keyLocation.Length > 0 ? keyLocation : location;
                Exists(key, setting);
                certificate = password.Length > 0
                    ? X509Certificate2.CreateFromEncryptedPemFile(location, password, key)
                    : X509Certificate2.CreateFromPemFile(location, key);
                // A key read from PEM lives only in memory; TLS on some platforms needs it in a PKCS#12 form.
                certificate = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
            }
            else certificate = X509CertificateLoader.LoadPkcs12FromFile(location, password.Length > 0 ? password : null);
            if (!certificate.HasPrivateKey)
                throw new TlsFileException($"{setting} = '{location}' holds a certificate without its private key: give the key too (a PKCS#12 file with it, or a PEM key file)");
            return certificate;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new TlsFileException($"{setting} = '{location}' could not be read as a PKCS#12 or PEM certificate with its private key ({e.Message})", e);
        }
    }

    /// <summary>
    /// The certificates in a keystore besides <paramref name="leaf"/>: the intermediate authorities between it and its
    /// root, which a server presents with its own so that clients trusting only the root accept it (an operator's PEM
    /// "full chain" file, or the extra certificates of a PKCS#12 file).
    /// </summary>
    /// <exception cref="TlsFileException">the file cannot be read.</exception>
    public static X509Certificate2Collection LoadChain(string location, string password, X509Certificate2 leaf, string setting)
    {
        Exists(location, setting);
        try
        {
            var all = new X509Certificate2Collection();
            if (IsPem(location)) all.ImportFromPemFile(location);
            else all = X509CertificateLoader.LoadPkcs12CollectionFromFile(location, password.Length > 0 ? password : null);
            var chain = new X509Certificate2Collection();
            foreach (var certificate in all)
                if (certificate.Thumbprint != leaf.Thumbprint) chain.Add(certificate);
            return chain;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new TlsFileException($"{setting} = '{location}' could not be read for its chain of certificates ({e.Message})", e);
        }
    }

    /// <summary>The authorities in a PEM file (one or more certificates).</summary>
    /// <exception cref="TlsFileException">the file is missing or holds no certificate.</exception>
    public static X509Certificate2Collection LoadAuthorities(string location, string setting)
    {
        Exists(location, setting);
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(location);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new TlsFileException($"{setting} = '{location}' could not be read as PEM certificates ({e.Message})", e);
        }
        if (authorities.Count == 0) throw new TlsFileException($"{setting} = '{location}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return authorities;
    }

    /// <summary>Why <paramref name="certificate"/> is not to be trusted, or null when one of <paramref name="authorities"/> issued it.</summary>
    /// <param name="presented">The chain the peer sent, whose intermediate certificates may link it to an authority.</param>
    /// <param name="extra">Further intermediate certificates the peer sent.</param>
    /// <param name="usage">An extended key usage every certificate of the chain must allow (when it restricts them at all).</param>
    public static string? ChainProblem(X509Certificate? certificate, X509Certificate2Collection authorities, X509Chain? presented = null,
        X509Certificate2Collection? extra = null, Oid? usage = null)
    {
        if (certificate == null) return "the peer presented no certificate";
        // The TLS stack owns the certificate it passes: only a copy made here is disposed here.
        using var copy = certificate as X509Certificate2 == null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        var peer = certificate as X509Certificate2 ?? copy!;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        if (presented != null)
            foreach (var element in presented.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (extra != null) chain.ChainPolicy.ExtraStore.AddRange(extra);
        // A private cluster authority publishes no revocation lists; and a peer's certificate must never make this
        // process fetch anything (its issuer URLs are the peer's to choose).
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (usage != null) chain.ChainPolicy.ApplicationPolicy.Add(usage);
        if (chain.Build(peer)) return null;
        return $"{peer.Subject} (issued by {peer.Issuer}): " + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
    }

    private static bool IsPem(string location)
    {
        using var reader = new StreamReader(location);
        var start = new char[64];
        var read = reader.Read(start, 0, start.Length);
        return new string(start, 0, read).Contains("-----BEGIN", StringComparison.Ordinal);
    }

    private static void Exists(string location, string setting)
    {
        if (!File.Exists(location)) throw new TlsFileException($"{setting} = '{location}': no such file");
    }
}
