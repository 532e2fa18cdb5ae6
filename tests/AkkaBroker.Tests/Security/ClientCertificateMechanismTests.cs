using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AkkaBroker.Protocol.Security;
using AkkaBroker.Protocol.Tls;
using AkkaBroker.Tests.Tls;
using Xunit;

namespace AkkaBroker.Tests.Security;

/// <summary>The proof a client of the client endpoint gives of holding its certificate's key, and the broker's check of it.</summary>
public sealed class ClientCertificateMechanismTests : IDisposable
{
    private const string Session = "session-0123456789abcdef";
    private readonly TestCertificates _authority = new("proof-ca");
    private readonly X509Certificate2Collection _trusted;

    public ClientCertificateMechanismTests() => _trusted = TlsFiles.LoadAuthorities(_authority.CaPem, "test");

    public void Dispose() => _authority.Dispose();

    private X509Certificate2 Load((string Certificate, string Key) files) => TlsFiles.LoadCertificate(files.Certificate, "", files.Key, "test");

    private ClientCertificateServer Server(string session = Session) => new(_trusted, session);

    [Fact]
    public void A_certificate_the_authority_issued_with_a_signature_over_the_session_authenticates_its_subject()
    {
        using var alice = Load(_authority.IssuePem("alice"));
        var server = Server();
        Assert.Empty(server.EvaluateResponse(ClientCertificateMechanism.Proof(alice, [], Session)));
        Assert.True(server.IsComplete);
        Assert.Equal("CN=alice", server.AuthenticatedUser);
        Assert.Throws<SaslAuthenticationException>(() => server.EvaluateResponse(ClientCertificateMechanism.Proof(alice, [], Session)));
    }

    [Fact]
    public void A_certificate_issued_through_an_intermediate_authority_is_accepted_with_the_intermediate_sent_along()
    {
        var (path, key) = _authority.IssuePemThroughIntermediate("bob");
        using var bob = TlsFiles.LoadCertificate(path, "", key, "test");
        var chain = TlsFiles.LoadChain(path, "", bob, "test");
        Assert.Throws<SaslAuthenticationException>(() => Server().EvaluateResponse(ClientCertificateMechanism.Proof(bob, [], Session)));
        var server = Server();
        server.EvaluateResponse(ClientCertificateMechanism.Proof(bob, chain.Cast<X509Certificate2>(), Session));
        Assert.Equal("CN=bob", server.AuthenticatedUser);
    }

    [Fact]
    public void A_signature_made_for_another_session_another_authoritys_certificate_or_one_only_for_servers_is_refused()
    {
        using var alice = Load(_authority.IssuePem("alice"));
        var replayed = Assert.Throws<SaslAuthenticationException>(() => Server("session-other").EvaluateResponse(ClientCertificateMechanism.Proof(alice, [], Session)));
        Assert.Contains("does not prove", replayed.Message);

        using var other = new TestCertificates("other-ca");
        using var mallory = Load(other.IssuePem("mallory"));
        var foreign = Assert.Throws<SaslAuthenticationException>(() => Server().EvaluateResponse(ClientCertificateMechanism.Proof(mallory, [], Session)));
        Assert.Contains("not issued for clients by an authority", foreign.Message);

        // A certificate whose extended key usage allows servers only, from an authority trusted for this check.
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=usage-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=only-a-server", serverKey, HashAlgorithmName.SHA256);
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), [1, 2, 3, 4]);
        using var serverOnly = issued.CopyWithPrivateKey(serverKey);
        var usage = Assert.Throws<SaslAuthenticationException>(() =>
            new ClientCertificateServer([X509CertificateLoader.LoadCertificate(ca.RawData)], Session).EvaluateResponse(ClientCertificateMechanism.Proof(serverOnly, [], Session)));
        Assert.Contains("clientAuth", usage.Message);
    }

    /// <summary>A certificate of <paramref name="issuer"/> (with its key) for <paramref name="subject"/>, with the extensions given.</summary>
    private static X509Certificate2 Issue(X509Certificate2 issuer, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, params X509Extension[] extensions)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        foreach (var e in extensions) request.CertificateExtensions.Add(e);
        using var issued = request.Create(issuer, notBefore, notAfter, RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    [Fact]
    public void An_expired_certificate_an_authoritys_own_or_one_through_an_untrusted_intermediate_is_refused()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(10));
        var trusted = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(root.RawData));
        X509Certificate2Collection noIntermediates = [];
        string Refusal(X509Certificate2 certificate, X509Certificate2Collection intermediates) =>
            Assert.Throws<SaslAuthenticationException>(() =>
                new ClientCertificateServer(trusted, Session).EvaluateResponse(ClientCertificateMechanism.Proof(certificate, intermediates.Cast<X509Certificate2>(), Session))).Message;

        using var expired = Issue(root, "CN=expired", DateTimeOffset.UtcNow.AddDays(-5), DateTimeOffset.UtcNow.AddDays(-1));
        Assert.Contains("not issued for clients by an authority", Refusal(expired, noIntermediates));

        using var authority = Issue(root, "CN=sub-authority", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1),
            new X509BasicConstraintsExtension(true, false, 0, true));
        Assert.Contains("an authority's certificate", Refusal(authority, noIntermediates));

        // An intermediate only for servers: what it issues may not authenticate clients either.
        using var serverAuthority = Issue(root, "CN=server-authority", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1),
            new X509BasicConstraintsExtension(true, false, 0, true), new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var throughServerAuthority = Issue(serverAuthority, "CN=carol", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
        Assert.Contains("not issued for clients", Refusal(throughServerAuthority, [X509CertificateLoader.LoadCertificate(serverAuthority.RawData)]));

        // An intermediate the root never issued (self-signed by whoever made it).
        using var rogueKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rogueRequest = new CertificateRequest("CN=root", rogueKey, HashAlgorithmName.SHA256);
        rogueRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var rogue = rogueRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var throughRogue = Issue(rogue, "CN=dave", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
        Assert.Contains("not issued for clients", Refusal(throughRogue, [X509CertificateLoader.LoadCertificate(rogue.RawData)]));

        using var valid = Issue(root, "CN=erin", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
        var server = new ClientCertificateServer(trusted, Session);
        server.EvaluateResponse(ClientCertificateMechanism.Proof(valid, [], Session));
        Assert.Equal("CN=erin", server.AuthenticatedUser);
    }

    [Theory]
    [InlineData("CN=alice, OU=eng, O=Example", "CN=alice,OU=eng,O=Example")]
    [InlineData("CN=\"a, O=b\"", "CN=a\\, O=b")]
    [InlineData("CN=\"a,O=b\"", "CN=a\\,O=b")]
    [InlineData("CN=\" lead\"", "CN=\\ lead")]
    [InlineData("CN=x, S=Bavaria, C=DE", "CN=x,ST=Bavaria,C=DE")]
    [InlineData("E=alice@example.com, CN=alice", "1.2.840.113549.1.9.1=#1611616c696365406578616d706c652e636f6d,CN=alice")]
    public void A_subject_is_written_as_javas_rfc_2253_form_and_distinct_subjects_stay_distinct(string subject, string expected)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.Equal(expected, ClientCertificateMechanism.PrincipalName(certificate));
    }

    [Fact]
    public void Malformed_messages_are_refused_as_failed_authentication_and_nothing_else()
    {
        using var alice = Load(_authority.IssuePem("alice"));
        var proof = ClientCertificateMechanism.Proof(alice, [], Session);
        var random = new Random(17);
        List<byte[]> messages = [[], [1], [2, 1], [1, 0], [1, 9], proof[..^1], [.. proof, 0]];
        for (var cut = 0; cut < proof.Length; cut += 7) messages.Add(proof[..cut]);
        for (var i = 0; i < 200; i++)
        {
            var mutated = (byte[])proof.Clone();
            mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            messages.Add(mutated);
        }
        // A length far beyond the message: nothing is allocated for it.
        var huge = (byte[])proof.Clone();
        huge[2] = 0x7f;
        messages.Add(huge);
        foreach (var message in messages)
        {
            var server = Server();
            try
            {
                server.EvaluateResponse(message);
                // A flipped bit in a part no check covers (an unused certificate field's bytes outside the signature) may pass; it must then still be alice.
                Assert.Equal("CN=alice", server.AuthenticatedUser);
            }
            catch (SaslAuthenticationException)
            {
                Assert.False(server.IsComplete);
            }
        }
    }
}
