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
        Assert.Contains("not issued by an authority", foreign.Message);

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
