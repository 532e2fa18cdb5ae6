using System.Security.Cryptography;
using System.Text;

namespace AkkaBroker.Protocol.Security;

/// <summary>
/// The server's side of a SCRAM exchange (RFC 5802 without channel binding, as Kafka's): client-first, server-first,
/// client-final, server-final. An unknown user is carried through the exchange with a made-up credential and refused
/// at the end with the same message as a wrong password.
/// </summary>
public sealed class ScramServer(ScramMechanism mechanism, Func<string, ScramMechanism, ScramCredential?> credentials) : ISaslServer
{
    internal const string Failed = "Authentication failed: invalid credentials for the SASL mechanism";
    private enum Step { ClientFirst, ClientFinal, Complete, Failed }

    private Step _step = Step.ClientFirst;
    private string _user = "";
    private ScramCredential? _credential;
    private string _clientFirstBare = "";
    private string _serverFirst = "";
    private string _nonce = "";

    /// <summary>The server's nonce part, for tests with RFC 7677's example; random otherwise.</summary>
    internal string? FixedServerNonce { get; init; }

    public string Mechanism => mechanism.Name;

    public bool IsComplete => _step == Step.Complete;

    public string? AuthenticatedUser => IsComplete ? _user : null;

    public byte[] EvaluateResponse(byte[] response)
    {
        try
        {
            return _step switch
            {
                Step.ClientFirst => ClientFirst(Encoding.UTF8.GetString(response)),
                Step.ClientFinal => ClientFinal(Encoding.UTF8.GetString(response)),
                _ => throw new SaslAuthenticationException($"the {Mechanism} exchange is over; a new one needs a new connection"),
            };
        }
        catch (SaslAuthenticationException)
        {
            _step = Step.Failed;
            throw;
        }
    }

    private byte[] ClientFirst(string message)
    {
        // gs2-header: "n,," (no channel binding) or "n,a=authzid,"; "y" or "p" would ask for channel binding, which is not offered.
        var parts = message.Split(',');
        if (parts.Length < 4 || parts[0] != "n")
            throw new SaslAuthenticationException($"Invalid {Mechanism} client-first message: it must start with \"n,,\" (no channel binding)");
        var authzid = parts[1].Length == 0 ? null : parts[1].StartsWith("a=", StringComparison.Ordinal) ? Unescape(parts[1][2..]) : throw Invalid("authzid");
        if (!parts[2].StartsWith("n=", StringComparison.Ordinal)) throw Invalid("username");
        if (!parts[3].StartsWith("r=", StringComparison.Ordinal) || parts[3].Length < 3) throw Invalid("nonce");
        if (parts.Skip(4).Any(p => p.StartsWith("m=", StringComparison.Ordinal)))
            throw new SaslAuthenticationException($"Invalid {Mechanism} client-first message: mandatory extensions are not supported");
        _user = Unescape(parts[2][2..]);
        if (_user.Length == 0) throw Invalid("username");
        if (authzid != null && authzid != _user)
            throw new SaslAuthenticationException("Authentication failed: the authorization id is not the user name; a client may only act as itself");
        _clientFirstBare = string.Join(',', parts.Skip(2));
        _credential = credentials(_user, mechanism);
        // An unknown user gets a credential nobody has a password for: the exchange goes on as for a known one.
        var salt = _credential?.Salt ?? RandomNumberGenerator.GetBytes(mechanism.HashSize);
        var iterations = _credential?.Iterations ?? ScramMechanism.MinIterations;
        _nonce = parts[3][2..] + (FixedServerNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(salt)},i={iterations}";
        _step = Step.ClientFinal;
        return Encoding.UTF8.GetBytes(_serverFirst);
    }

    private byte[] ClientFinal(string message)
    {
        var proofAt = message.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0) throw Invalid("proof");
        var withoutProof = message[..proofAt];
        var fields = withoutProof.Split(',');
        if (fields.Length < 2 || !fields[0].StartsWith("c=", StringComparison.Ordinal) || !fields[1].StartsWith("r=", StringComparison.Ordinal))
            throw new SaslAuthenticationException($"Invalid {Mechanism} client-final message: it must start with the channel binding (c=) and the nonce (r=)");
        // Kafka's check: the nonce must end with the one the server sent (librdkafka sends its own nonce before it again).
        if (!fields[1][2..].EndsWith(_nonce, StringComparison.Ordinal))
            throw new SaslAuthenticationException($"Invalid {Mechanism} client-final message: the nonce is not the one the server sent");
        byte[] proof;
        try
        {
            proof = Convert.FromBase64String(message[(proofAt + 3)..]);
        }
        catch (FormatException)
        {
            throw Invalid("proof");
        }
        if (_credential == null || proof.Length != mechanism.HashSize) throw new SaslAuthenticationException($"{Failed} {Mechanism}");
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
        var clientSignature = mechanism.Hmac(_credential.StoredKey, authMessage);
        var clientKey = new byte[proof.Length];
        for (var i = 0; i < proof.Length; i++) clientKey[i] = (byte)(proof[i] ^ clientSignature[i]);
        if (!CryptographicOperations.FixedTimeEquals(mechanism.Digest(clientKey), _credential.StoredKey))
            throw new SaslAuthenticationException($"{Failed} {Mechanism}");
        _step = Step.Complete;
        return Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(mechanism.Hmac(_credential.ServerKey, authMessage)));
    }

    private SaslAuthenticationException Invalid(string field) => new($"Invalid {Mechanism} message: its {field} is missing or malformed");

    /// <summary>RFC 5802's saslname: ',' is sent as "=2C" and '=' as "=3D".</summary>
    internal static string Unescape(string name) => name.Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);

    internal static string Escape(string name) => name.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);
}
