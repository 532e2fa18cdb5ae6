using AkkaBroker.Protocol.Security;

namespace AkkaBroker.Protocol.Messages;

/// <summary>
/// A user's SCRAM credential to set (Kafka's AlterUserScramCredentials upsertion). The client salts and hashes the
/// password itself, so only the salted password crosses the network and the broker keeps keys derived from it.
/// </summary>
/// <param name="Mechanism">Kafka's mechanism number: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512.</param>
public sealed record ScramCredentialUpsertion(string User, byte Mechanism, int Iterations, byte[] Salt, byte[] SaltedPassword)
{
    // Never the salted password in a log line.
    public override string ToString() => $"ScramCredentialUpsertion({User}, {ScramMechanism.OfType(Mechanism)?.Name ?? Mechanism.ToString()}, iterations={Iterations})";
}

/// <summary>A user's credential of one mechanism to remove.</summary>
public sealed record ScramCredentialDeletion(string User, byte Mechanism);

/// <summary>Kafka's AlterUserScramCredentials: each user's outcome is answered apart, as Kafka does.</summary>
public sealed record AlterUserScramCredentialsRequest(IReadOnlyList<ScramCredentialDeletion> Deletions, IReadOnlyList<ScramCredentialUpsertion> Upsertions);

/// <summary>One user's outcome of an alteration.</summary>
public sealed record UserOutcome(string User, ErrorCode Error, string? ErrorMessage);

public sealed record AlterUserScramCredentialsResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<UserOutcome> Results);

/// <summary>Kafka's DescribeUserScramCredentials: which mechanisms each user has credentials for; null: every user.</summary>
public sealed record DescribeUserScramCredentialsRequest(IReadOnlyList<string>? Users);

/// <summary>A credential's mechanism (Kafka's number) and iterations: never its keys.</summary>
public sealed record ScramCredentialInfo(byte Mechanism, int Iterations);

public sealed record UserScramCredentialsDescription(string User, ErrorCode Error, string? ErrorMessage, IReadOnlyList<ScramCredentialInfo> Credentials);

public sealed record DescribeUserScramCredentialsResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<UserScramCredentialsDescription> Results);

/// <summary>A user's stored credential of one mechanism.</summary>
public sealed record StoredScramCredential(byte Mechanism, ScramCredential Credential);

/// <summary>Controller state change: a user's complete new set of SCRAM credentials; an empty set removes the user.</summary>
public sealed record UserScramCredentialsChanged(string User, IReadOnlyList<StoredScramCredential> Credentials);

/// <summary>
/// The first step of a client's authentication on a broker's client endpoint (Kafka's SaslHandshake): the mechanism it
/// will use. Sent to the broker's gateway; the answer names the session the rest of the exchange goes to.
/// </summary>
public sealed record SaslHandshakeRequest(string Mechanism);

/// <summary>
/// <c>Session</c> is the name of the actor, a child of the gateway, that takes the exchange's messages and, once the
/// client is authenticated, its requests. The name is random and long: only the connection that asked for it knows it.
/// </summary>
public sealed record SaslHandshakeResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<string> EnabledMechanisms, string Session);

/// <summary>One message of the SASL exchange, sent to the session (Kafka's SaslAuthenticate).</summary>
public sealed record SaslAuthenticateRequest(byte[] AuthBytes)
{
    // Never the credentials in a log line (PLAIN carries the password).
    public override string ToString() => $"SaslAuthenticateRequest({AuthBytes.Length} bytes)";
}

/// <summary>The server's next message; <c>Complete</c> once the client is authenticated and the session takes requests.</summary>
public sealed record SaslAuthenticateResponse(ErrorCode Error, string? ErrorMessage, byte[] AuthBytes, bool Complete);

/// <summary>
/// Controller state change: the <c>sasl.add-scram</c> credentials (<c>MECHANISM:user</c>) have been applied, so they are
/// never applied again: a credential an operator changed or deleted later stays as the operator left it.
/// </summary>
public sealed record ScramBootstrapApplied(IReadOnlyList<string> Entries);
