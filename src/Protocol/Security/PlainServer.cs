using System.Text;

namespace AkkaBroker.Protocol.Security;

/// <summary>
/// SASL/PLAIN (RFC 4616): one message, <c>authzid NUL user NUL password</c>, checked against the user's stored SCRAM
/// credential, so one <c>users</c> entry serves both mechanisms and no password is ever stored. The password crosses the
/// network as it is: use it on a TLS endpoint only.
/// </summary>
public sealed class PlainServer(Func<string, ScramMechanism, ScramCredential?> credentials) : ISaslServer
{
    private static readonly byte[] UnknownUserSalt = new byte[32];
    private string? _user;
    private bool _done;

    public string Mechanism => SaslMechanisms.Plain;

    public bool IsComplete => _user != null;

    public string? AuthenticatedUser => _user;

    public byte[] EvaluateResponse(byte[] response)
    {
        if (_done) throw new SaslAuthenticationException("the PLAIN exchange is over; a new one needs a new connection");
        _done = true;
        var parts = Encoding.UTF8.GetString(response).Split('\0');
        if (parts.Length != 3 || parts[1].Length == 0)
            throw new SaslAuthenticationException("Invalid PLAIN message: it must be authzid, user name and password separated by NUL bytes");
        var (authzid, user, password) = (parts[0], parts[1], parts[2]);
        if (authzid.Length > 0 && authzid != user)
            throw new SaslAuthenticationException("Authentication failed: the authorization id is not the user name; a client may only act as itself");
        // Any stored mechanism's credential proves the password; an unknown user costs the same work as a known one.
        var known = ScramMechanism.All.Select(m => (Mechanism: m, Credential: credentials(user, m))).FirstOrDefault(c => c.Credential != null);
        bool matches;
        if (known.Credential != null) matches = known.Credential.Matches(known.Mechanism, password);
        else
        {
            _ = ScramMechanism.Sha256.SaltedPassword(password, UnknownUserSalt, ScramMechanism.MinIterations);
            matches = false;
        }
        if (!matches) throw new SaslAuthenticationException("Authentication failed: invalid user name or password for the SASL mechanism PLAIN");
        _user = user;
        return [];
    }
}
