using System.Text;
using AkkaBroker.Protocol.Security;
using Xunit;

namespace AkkaBroker.Tests.Security;

public class ScramTests
{
    private const string ClientNonce = "rOprNGfwEbeRWgbNEkqO";
    private const string ServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

    /// <summary>RFC 7677 section 3: user "user", password "pencil".</summary>
    private static ScramCredential Rfc7677Credential()
    {
        var salt = Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ==");
        return ScramCredential.FromSaltedPassword(ScramMechanism.Sha256, ScramMechanism.Sha256.SaltedPassword("pencil", salt, 4096), salt, 4096);
    }

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    [Fact]
    public void Client_and_server_exchange_exactly_the_messages_of_RFC_7677()
    {
        var credential = Rfc7677Credential();
        var client = new ScramClient(ScramMechanism.Sha256, "user", "pencil") { FixedNonce = ClientNonce };
        var server = new ScramServer(ScramMechanism.Sha256, (u, m) => u == "user" && m == ScramMechanism.Sha256 ? credential : null) { FixedServerNonce = ServerNonce };

        var clientFirst = client.First();
        Assert.Equal("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", Text(clientFirst));
        var serverFirst = server.EvaluateResponse(clientFirst);
        Assert.Equal("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", Text(serverFirst));
        var clientFinal = client.Respond(serverFirst)!;
        Assert.Equal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", Text(clientFinal));
        Assert.False(server.IsComplete);
        var serverFinal = server.EvaluateResponse(clientFinal);
        Assert.Equal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", Text(serverFinal));
        Assert.True(server.IsComplete);
        Assert.Equal("user", server.AuthenticatedUser);
        Assert.Null(client.Respond(serverFinal));
    }

    [Theory]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-512")]
    public void A_wrong_password_is_refused_with_the_same_message_as_an_unknown_user(string name)
    {
        var mechanism = ScramMechanism.Named(name)!;
        var stored = ScramCredential.FromPassword(mechanism, "alice-secret", 4096);
        ScramCredential? Lookup(string user, ScramMechanism m) => user == "alice" && m == mechanism ? stored : null;

        var wrongPassword = Assert.Throws<SaslAuthenticationException>(() => Run(mechanism, "alice", "not-it", Lookup));
        var unknownUser = Assert.Throws<SaslAuthenticationException>(() => Run(mechanism, "mallory", "alice-secret", Lookup));
        Assert.Equal(wrongPassword.Message, unknownUser.Message);
        Assert.Equal("alice", Run(mechanism, "alice", "alice-secret", Lookup));
    }

    [Fact]
    public void A_credential_of_the_other_mechanism_does_not_authenticate()
    {
        var stored = ScramCredential.FromPassword(ScramMechanism.Sha512, "pw", 4096);
        Assert.Throws<SaslAuthenticationException>(() => Run(ScramMechanism.Sha256, "u", "pw", (_, m) => m == ScramMechanism.Sha512 ? stored : null));
    }

    [Fact]
    public void A_client_refuses_a_server_whose_final_signature_is_not_the_credentials()
    {
        var stored = ScramCredential.FromPassword(ScramMechanism.Sha256, "pw", 4096);
        var client = new ScramClient(ScramMechanism.Sha256, "u", "pw");
        var server = new ScramServer(ScramMechanism.Sha256, (_, _) => stored);
        client.Respond(server.EvaluateResponse(client.First()));
        var forged = Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(new byte[32]));
        var e = Assert.Throws<SaslAuthenticationException>(() => client.Respond(forged));
        Assert.Contains("signature", e.Message);
    }

    [Theory]
    [InlineData("y,,n=u,r=abc", "channel binding")]
    [InlineData("n,,n=u", "client-first")]
    [InlineData("n,a=admin,n=u,r=abc", "authorization id")]
    [InlineData("n,,n=u,r=abc,m=ext", "mandatory extensions")]
    [InlineData("n,,n=,r=abc", "username")]
    public void A_malformed_or_overreaching_client_first_message_is_refused_saying_what_is_wrong(string message, string expected)
    {
        var server = new ScramServer(ScramMechanism.Sha256, (_, _) => null);
        var e = Assert.Throws<SaslAuthenticationException>(() => server.EvaluateResponse(Encoding.UTF8.GetBytes(message)));
        Assert.Contains(expected, e.Message);
        Assert.Throws<SaslAuthenticationException>(() => server.EvaluateResponse(Encoding.UTF8.GetBytes("c=biws,r=abc,p=AAAA")));
    }

    [Fact]
    public void A_client_final_message_with_another_nonce_is_refused()
    {
        var stored = ScramCredential.FromPassword(ScramMechanism.Sha256, "pw", 4096);
        var server = new ScramServer(ScramMechanism.Sha256, (_, _) => stored);
        server.EvaluateResponse(Encoding.UTF8.GetBytes("n,,n=u,r=abc"));
        var e = Assert.Throws<SaslAuthenticationException>(() => server.EvaluateResponse(Encoding.UTF8.GetBytes("c=biws,r=abcOTHER,p=AAAA")));
        Assert.Contains("nonce", e.Message);
    }

    [Fact]
    public void User_names_with_commas_and_equals_signs_survive_the_exchange()
    {
        var stored = ScramCredential.FromPassword(ScramMechanism.Sha256, "pw", 4096);
        Assert.Equal("a,b=c", Run(ScramMechanism.Sha256, "a,b=c", "pw", (u, _) => u == "a,b=c" ? stored : null));
    }

    [Fact]
    public void Plain_checks_the_password_against_the_stored_scram_credential()
    {
        var stored = ScramCredential.FromPassword(ScramMechanism.Sha512, "alice-secret", 4096);
        ScramCredential? Lookup(string user, ScramMechanism m) => user == "alice" && m == ScramMechanism.Sha512 ? stored : null;

        var server = SaslMechanisms.Server("plain", Lookup)!;
        Assert.Empty(server.EvaluateResponse(SaslClient.For("PLAIN", "alice", "alice-secret")!.First()));
        Assert.Equal("alice", server.AuthenticatedUser);
        Assert.Throws<SaslAuthenticationException>(() => SaslMechanisms.Server("PLAIN", Lookup)!.EvaluateResponse(SaslClient.For("PLAIN", "alice", "wrong")!.First()));
        Assert.Throws<SaslAuthenticationException>(() => SaslMechanisms.Server("PLAIN", Lookup)!.EvaluateResponse(Encoding.UTF8.GetBytes("bob\0alice\0alice-secret")));
        Assert.Throws<SaslAuthenticationException>(() => SaslMechanisms.Server("PLAIN", Lookup)!.EvaluateResponse(Encoding.UTF8.GetBytes("garbage")));
    }

    [Fact]
    public void Only_the_served_mechanisms_have_servers()
    {
        Assert.Null(SaslMechanisms.Server("GSSAPI", (_, _) => null));
        Assert.Null(SaslMechanisms.Server("OAUTHBEARER", (_, _) => null));
        Assert.Equal(["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"], SaslMechanisms.All);
    }

    [Fact]
    public void A_credential_never_shows_its_keys_in_text()
    {
        var stored = ScramCredential.FromPassword(ScramMechanism.Sha256, "pw", 4096);
        Assert.DoesNotContain(Convert.ToBase64String(stored.StoredKey), stored.ToString());
        Assert.Equal(stored, stored with { Salt = stored.Salt.ToArray() });
    }

    private static string Run(ScramMechanism mechanism, string user, string password, Func<string, ScramMechanism, ScramCredential?> lookup)
    {
        var client = new ScramClient(mechanism, user, password);
        var server = new ScramServer(mechanism, lookup);
        var final = server.EvaluateResponse(client.Respond(server.EvaluateResponse(client.First()))!);
        Assert.Null(client.Respond(final));
        return server.AuthenticatedUser!;
    }
}
