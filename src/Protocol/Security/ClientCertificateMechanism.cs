using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using AkkaBroker.Protocol.Tls;

namespace AkkaBroker.Protocol.Security;

/// <summary>
/// How a client of the brokers' client endpoint proves it holds a client certificate, so that the certificate's subject
/// is its principal as on Kafka's TLS listeners (<c>User:CN=alice,OU=eng</c>). Akka.Remote's TLS checks a certificate
/// but does not tell which connection presented it, so the proof travels in the authentication exchange instead: the
/// client sends its certificate chain and a signature, made with the certificate's key, over the name of the session the
/// broker has just chosen at random for this exchange; a signature cannot be replayed to another session.
/// </summary>
public static class ClientCertificateMechanism
{
    /// <summary>The mechanism's name in the handshake (not a SASL mechanism: only this protocol has it).</summary>
    public const string Name = "AKKABROKER-CLIENT-CERTIFICATE";

    /// <summary>At most this many certificates (the client's and its intermediate authorities).</summary>
    public const int MaxChainLength = 8;

    /// <summary>At most this many bytes in one certificate or signature.</summary>
    public const int MaxItemBytes = 64 * 1024;

    private const byte Version = 1;

    /// <summary>What the client signs: the purpose and the session's name.</summary>
    public static byte[] Challenge(string session) => Encoding.UTF8.GetBytes("akkabroker client certificate for " + session);

    /// <summary>The client's message: its certificate (first) and intermediate authorities, and its signature over <see cref="Challenge"/>.</summary>
    /// <exception cref="SaslAuthenticationException">the certificate's key is neither RSA nor ECDSA, or is not there.</exception>
    public static byte[] Proof(X509Certificate2 certificate, IEnumerable<X509Certificate2> intermediates, string session)
    {
        var signature = Sign(certificate, Challenge(session));
        var items = new List<byte[]> { certificate.RawData };
        items.AddRange(intermediates.Take(MaxChainLength - 1).Select(c => c.RawData));
        items.Add(signature);
        var message = new byte[2 + items.Sum(i => 4 + i.Length)];
        message[0] = Version;
        message[1] = (byte)(items.Count - 1);
        var pos = 2;
        foreach (var item in items)
        {
            BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(pos), item.Length);
            item.CopyTo(message, pos + 4);
            pos += 4 + item.Length;
        }
        return message;
    }

    private static byte[] Sign(X509Certificate2 certificate, byte[] data)
    {
        using var rsa = certificate.GetRSAPrivateKey();
        if (rsa != null) return rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ecdsa = certificate.GetECDsaPrivateKey();
        if (ecdsa != null) return ecdsa.SignData(data, HashAlgorithmName.SHA256);
        throw new SaslAuthenticationException($"the client certificate {certificate.Subject} comes without an RSA or ECDSA private key (ssl.key.location)");
    }

    /// <summary>The certificates and the signature of a client's message; every length is checked against what remains.</summary>
    /// <exception cref="SaslAuthenticationException">the message is not one <see cref="Proof"/> makes.</exception>
    internal static (IReadOnlyList<byte[]> Chain, byte[] Signature) Read(byte[] message)
    {
        if (message.Length < 2 || message[0] != Version)
            throw new SaslAuthenticationException("the client certificate message is not of a version this broker reads");
        var certificates = message[1];
        if (certificates is 0 or > MaxChainLength)
            throw new SaslAuthenticationException($"the client certificate message carries {certificates} certificates; 1 to {MaxChainLength} are accepted");
        var items = new List<byte[]>();
        var pos = 2;
        for (var i = 0; i <= certificates; i++)
        {
            if (message.Length - pos < 4) throw new SaslAuthenticationException("the client certificate message is cut short");
            var length = BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(pos));
            if (length is <= 0 or > MaxItemBytes || length > message.Length - pos - 4)
                throw new SaslAuthenticationException($"the client certificate message has an item of {length} bytes, more than it holds or than {MaxItemBytes}");
            items.Add(message.AsSpan(pos + 4, length).ToArray());
            pos += 4 + length;
        }
        if (pos != message.Length) throw new SaslAuthenticationException("the client certificate message has bytes after its signature");
        return (items.Take(certificates).ToArray(), items[^1]);
    }

    /// <summary>
    /// Kafka's principal name of a certificate: its subject as Java's <c>X500Principal.getName()</c> writes it (RFC 2253):
    /// most specific first, <c>CN=alice,OU=eng,O=Example</c>, with RFC 2253's keywords (CN, L, ST, O, OU, C, STREET, DC,
    /// UID), other attributes as their OID and the value's DER in hex (<c>1.2.840.113549.1.9.1=#16...</c>), and
    /// <c>, + " \ &lt; &gt; ;</c> escaped in values, so no two subjects share a name. Empty for an empty subject.
    /// </summary>
    public static string PrincipalName(X509Certificate2 certificate) =>
        string.Join(",", certificate.SubjectName.EnumerateRelativeDistinguishedNames(reversed: true).Select(rdn => RelativeName(rdn.RawData)));

    private static readonly Dictionary<string, string> Keywords = new()
    {
        ["2.5.4.3"] = "CN", ["2.5.4.7"] = "L", ["2.5.4.8"] = "ST", ["2.5.4.10"] = "O", ["2.5.4.11"] = "OU", ["2.5.4.6"] = "C",
        ["2.5.4.9"] = "STREET", ["0.9.2342.19200300.100.1.25"] = "DC", ["0.9.2342.19200300.100.1.1"] = "UID",
    };

    /// <summary>One relative name (a SET of type and value pairs, joined by <c>+</c> as RFC 2253 joins them).</summary>
    private static string RelativeName(ReadOnlyMemory<byte> der)
    {
        var set = new System.Formats.Asn1.AsnReader(der, System.Formats.Asn1.AsnEncodingRules.DER).ReadSetOf();
        var parts = new List<string>();
        while (set.HasData)
        {
            var pair = set.ReadSequence();
            var oid = pair.ReadObjectIdentifier();
            var value = pair.ReadEncodedValue();
            var text = Keywords.TryGetValue(oid, out var keyword) ? TextOf(value) : null;
            parts.Add(text == null ? $"{oid}=#{Convert.ToHexString(value.Span).ToLowerInvariant()}" : $"{keyword}={Escape(text)}");
        }
        return string.Join("+", parts);
    }

    /// <summary>The value of a directory string (UTF8String, PrintableString, ...), or null for any other type.</summary>
    private static string? TextOf(ReadOnlyMemory<byte> value)
    {
        var reader = new System.Formats.Asn1.AsnReader(value, System.Formats.Asn1.AsnEncodingRules.DER);
        var tag = reader.PeekTag();
        if (tag.TagClass != System.Formats.Asn1.TagClass.Universal) return null;
        try
        {
            return reader.ReadCharacterString((System.Formats.Asn1.UniversalTagNumber)tag.TagValue);
        }
        catch (Exception e) when (e is ArgumentException or System.Formats.Asn1.AsnContentException)
        {
            return null; // not a string type this reader decodes: written as hex, as Java does
        }
    }

    private static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length + 4);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' || (i == 0 && c is '#' or ' ') || (i == value.Length - 1 && c == ' '))
                escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }
}

/// <summary>
/// The broker's side of <see cref="ClientCertificateMechanism"/>: one message, accepted when the certificate was issued by
/// one of <paramref name="authorities"/> (through the intermediates sent with it), is valid now, may authenticate clients
/// (its extended key usage, when it has one, includes client authentication), and the signature is the certificate key's
/// over this session's challenge.
/// </summary>
public sealed class ClientCertificateServer(X509Certificate2Collection authorities, string session) : ISaslServer
{
    private const string ClientAuthenticationUsage = "1.3.6.1.5.5.7.3.2";

    public string Mechanism => ClientCertificateMechanism.Name;

    public bool IsComplete { get; private set; }

    public string? AuthenticatedUser { get; private set; }

    public byte[] EvaluateResponse(byte[] response)
    {
        if (IsComplete) throw new SaslAuthenticationException("the client certificate exchange is complete already");
        var (chain, signature) = ClientCertificateMechanism.Read(response);
        var certificates = new X509Certificate2Collection();
        try
        {
            foreach (var der in chain) certificates.Add(X509CertificateLoader.LoadCertificate(der));
            var leaf = certificates[0];
            if (leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usage
                && !usage.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuthenticationUsage))
                throw new SaslAuthenticationException($"the client certificate {leaf.Subject} may not authenticate clients (its extended key usage lacks clientAuth)");
            if (leaf.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is { CertificateAuthority: true })
                throw new SaslAuthenticationException($"the client sent an authority's certificate ({leaf.Subject}), not a client's");
            if (leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } keyUsage && (keyUsage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
                throw new SaslAuthenticationException($"the client certificate {leaf.Subject} may not sign (its key usage lacks digitalSignature)");
            // Every certificate of the chain must allow client authentication, as TLS checks it.
            if (TlsFiles.ChainProblem(leaf, authorities, extra: new X509Certificate2Collection(certificates.Skip(1).ToArray()), usage: new Oid(ClientAuthenticationUsage)) is { } problem)
                throw new SaslAuthenticationException($"the client certificate was not issued for clients by an authority in client-endpoint.ssl.truststore.location: {problem}");
            if (!Verifies(leaf, ClientCertificateMechanism.Challenge(session), signature))
                throw new SaslAuthenticationException($"the signature does not prove that the client holds the key of {leaf.Subject}");
            var name = ClientCertificateMechanism.PrincipalName(leaf);
            if (name.Length == 0) throw new SaslAuthenticationException("the client certificate has an empty subject, which names no principal");
            AuthenticatedUser = name;
        }
        catch (Exception e) when (e is CryptographicException or System.Formats.Asn1.AsnContentException)
        {
            throw new SaslAuthenticationException($"the client's certificate or signature cannot be read ({e.Message})");
        }
        finally
        {
            foreach (var certificate in certificates) certificate.Dispose();
        }
        IsComplete = true;
        return [];
    }

    private static bool Verifies(X509Certificate2 certificate, byte[] data, byte[] signature)
    {
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa != null) return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ecdsa = certificate.GetECDsaPublicKey();
        if (ecdsa != null) return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256);
        throw new SaslAuthenticationException($"the client certificate {certificate.Subject} has neither an RSA nor an ECDSA key");
    }
}
