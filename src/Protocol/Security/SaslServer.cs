namespace AkkaBroker.Protocol.Security;

/// <summary>A SASL exchange failed: the message is what the client is told (never which part of the credentials was wrong).</summary>
public sealed class SaslAuthenticationException(string message) : Exception(message);

/// <summary>
/// The server's side of one SASL exchange (a connection's authentication): each message from the client is answered
/// with the next one from the server until the exchange is complete. One instance per exchange; not thread-safe.
/// </summary>
public interface ISaslServer
{
    /// <summary>The mechanism's SASL name.</summary>
    string Mechanism { get; }

    /// <summary>The answer to the client's next message.</summary>
    /// <exception cref="SaslAuthenticationException">the credentials are wrong or the message is not what the mechanism expects.</exception>
    byte[] EvaluateResponse(byte[] response);

    /// <summary>Whether the client is authenticated (the last answer is the server's final message).</summary>
    bool IsComplete { get; }

    /// <summary>The user the client proved to be, once complete.</summary>
    string? AuthenticatedUser { get; }
}

/// <summary>The SASL mechanisms brokers serve, and a server for each.</summary>
public static class SaslMechanisms
{
    public const string Plain = "PLAIN";

    /// <summary>Every mechanism served, by its SASL name.</summary>
    public static IReadOnlyList<string> All { get; } = [ScramMechanism.Sha256.Name, ScramMechanism.Sha512.Name, Plain];

    /// <summary>The canonical name of <paramref name="name"/> (case-insensitive), or null when it is not served.</summary>
    public static string? Canonical(string name) => All.FirstOrDefault(m => m.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A server for <paramref name="mechanism"/> that checks credentials with <paramref name="credentials"/> (the stored
    /// SCRAM credential of a user and mechanism, or null); null when the mechanism is not served.
    /// </summary>
    public static ISaslServer? Server(string mechanism, Func<string, ScramMechanism, ScramCredential?> credentials) =>
        Canonical(mechanism) switch
        {
            Plain => new PlainServer(credentials),
            { } name when ScramMechanism.Named(name) is { } scram => new ScramServer(scram, credentials),
            _ => null,
        };
}
