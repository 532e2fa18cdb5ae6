using System.Security.Cryptography;
using System.Text;

namespace AkkaBroker.Protocol.Security;

/// <summary>
/// The client's side of a SASL exchange: <see cref="First"/> is sent first, then each server message is answered with
/// <see cref="Respond"/> until it returns null (the server is verified, for SCRAM, by its final signature).
/// </summary>
public abstract class SaslClient
{
    /// <summary>The mechanism's SASL name.</summary>
    public abstract string Mechanism { get; }

    /// <summary>The client's first message.</summary>
    public abstract byte[] First();

    /// <summary>The answer to the server's message; null when the exchange is complete and nothing more is sent.</summary>
    /// <exception cref="SaslAuthenticationException">the server's message is malformed or does not prove it holds the credential.</exception>
    public abstract byte[]? Respond(byte[] challenge);

    /// <summary>A client for <paramref name="mechanism"/> (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512), or null when it is not one of them.</summary>
    public static SaslClient? For(string mechanism, string user, string password) =>
        SaslMechanisms.Canonical(mechanism) switch
        {
            SaslMechanisms.Plain => new PlainClient(user, password),
            { } name when ScramMechanism.Named(name) is { } scram => new ScramClient(scram, user, password),
            _ => null,
        };
}

internal sealed class PlainClient(string user, string password) : SaslClient
{
    public override string Mechanism => SaslMechanisms.Plain;

    public override byte[] First() => Encoding.UTF8.GetBytes($"\0{user}\0{password}");

    public override byte[]? Respond(byte[] challenge) => null;
}

/// <summary>RFC 5802's client: proves it knows the password without sending it, and checks the server's signature.</summary>
public sealed class ScramClient(ScramMechanism mechanism, string user, string password) : SaslClient
{
    private string _clientFirstBare = "";
    private byte[]? _expectedServerSignature;

    /// <summary>The client nonce, for tests with RFC 7677's example; random otherwise.</summary>
    internal string? FixedNonce { get; init; }

    public override string Mechanism => mechanism.Name;

    public override byte[] First()
    {
        _clientFirstBare = $"n={ScramServer.Escape(user)},r={FixedNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))}";
        return Encoding.UTF8.GetBytes("n,," + _clientFirstBare);
    }

    public override byte[]? Respond(byte[] challenge)
    {
        try
        {
            return RespondTo(Encoding.UTF8.GetString(challenge));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new SaslAuthenticationException($"the broker's {Mechanism} message is malformed: {e.Message}");
        }
    }

    private byte[]? RespondTo(string message)
    {
        if (_expectedServerSignature != null) return Verify(message);
        var fields = new Dictionary<char, string>();
        foreach (var f in message.Split(','))
            if (f.Length >= 2 && f[1] == '=' && !fields.TryAdd(f[0], f[2..]))
                throw new SaslAuthenticationException($"the broker's {Mechanism} server-first message names '{f[0]}' twice");
        if (!fields.TryGetValue('r', out var nonce) || !fields.TryGetValue('s', out var salt64) || !fields.TryGetValue('i', out var iterationsText)
            || !nonce.StartsWith(_clientFirstBare[(_clientFirstBare.IndexOf(",r=", StringComparison.Ordinal) + 3)..], StringComparison.Ordinal)
            || !int.TryParse(iterationsText, out var iterations))
            throw new SaslAuthenticationException($"the broker's {Mechanism} server-first message is malformed or carries another nonce");
        if (iterations is < ScramMechanism.MinIterations or > ScramMechanism.MaxIterations)
            throw new SaslAuthenticationException($"the broker asks for {iterations} {Mechanism} iterations; {ScramMechanism.MinIterations} to {ScramMechanism.MaxIterations} are allowed");
        var salted = mechanism.SaltedPassword(password, Convert.FromBase64String(salt64), iterations);
        var withoutProof = $"c=biws,r={nonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{message},{withoutProof}");
        var clientKey = ScramCredential.ClientKey(mechanism, salted);
        var signature = mechanism.Hmac(mechanism.Digest(clientKey), authMessage);
        for (var i = 0; i < clientKey.Length; i++) clientKey[i] ^= signature[i];
        _expectedServerSignature = mechanism.Hmac(mechanism.Hmac(salted, Encoding.ASCII.GetBytes("Server Key")), authMessage);
        return Encoding.UTF8.GetBytes($"{withoutProof},p={Convert.ToBase64String(clientKey)}");
    }

    private byte[]? Verify(string message)
    {
        if (message.StartsWith("e=", StringComparison.Ordinal)) throw new SaslAuthenticationException($"the broker refused the {Mechanism} exchange: {message[2..]}");
        if (!message.StartsWith("v=", StringComparison.Ordinal)
            || !CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(message[2..]), _expectedServerSignature))
            throw new SaslAuthenticationException($"the broker's {Mechanism} signature is wrong: it does not hold this user's credential (a server impersonating the broker?)");
        return null;
    }
}
