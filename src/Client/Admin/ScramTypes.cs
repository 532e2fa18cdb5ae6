namespace AkkaBroker.Client.Admin;

// Confluent.Kafka's types for users' SCRAM credentials (AlterUserScramCredentials, DescribeUserScramCredentials).

/// <summary>A SCRAM mechanism, with Kafka's numbers.</summary>
public enum ScramMechanism
{
    /// <summary>Not a mechanism this client knows.</summary>
    Unknown = 0,
    /// <summary>SCRAM-SHA-256.</summary>
    ScramSha256 = 1,
    /// <summary>SCRAM-SHA-512.</summary>
    ScramSha512 = 2,
}

/// <summary>A credential's mechanism and iteration count (never its keys).</summary>
public sealed class ScramCredentialInfo
{
    /// <summary>The mechanism.</summary>
    public ScramMechanism Mechanism { get; set; }
    /// <summary>PBKDF2 iterations, 4096 to 16384.</summary>
    public int Iterations { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{(Mechanism == ScramMechanism.ScramSha512 ? "SCRAM-SHA-512" : "SCRAM-SHA-256")} (iterations={Iterations})";
}

/// <summary>A change of one user's credentials: <see cref="UserScramCredentialUpsertion"/> or <see cref="UserScramCredentialDeletion"/>.</summary>
public abstract class UserScramCredentialAlteration
{
    /// <summary>The user.</summary>
    public string User { get; set; } = "";
}

/// <summary>Sets a user's credential of one mechanism. The password is salted and hashed here: only the salted password is sent.</summary>
public sealed class UserScramCredentialUpsertion : UserScramCredentialAlteration
{
    /// <summary>The mechanism and iterations.</summary>
    public ScramCredentialInfo ScramCredentialInfo { get; set; } = new() { Mechanism = ScramMechanism.ScramSha256, Iterations = 4096 };
    /// <summary>The password, UTF-8.</summary>
    public byte[] Password { get; set; } = [];
    /// <summary>The salt; null or empty for a random one (recommended).</summary>
    public byte[]? Salt { get; set; }
}

/// <summary>Removes a user's credential of one mechanism.</summary>
public sealed class UserScramCredentialDeletion : UserScramCredentialAlteration
{
    /// <summary>The mechanism whose credential goes.</summary>
    public ScramMechanism Mechanism { get; set; }
}

/// <summary>One user's credentials, or why they could not be described.</summary>
public sealed class UserScramCredentialsDescription
{
    /// <summary>The user.</summary>
    public string User { get; set; } = "";
    /// <summary>The user's credentials.</summary>
    public List<ScramCredentialInfo> ScramCredentialInfos { get; set; } = [];
    /// <summary>RESOURCE_NOT_FOUND for a user without credentials; NoError otherwise.</summary>
    public Error Error { get; set; } = Error.NoError;
}

/// <summary>The answer of <see cref="IAdminClient.DescribeUserScramCredentialsAsync"/>.</summary>
public sealed class DescribeUserScramCredentialsResult
{
    /// <summary>Each user's description.</summary>
    public List<UserScramCredentialsDescription> UserScramCredentialsDescriptions { get; set; } = [];
}

/// <summary>One user's outcome of <see cref="IAdminClient.AlterUserScramCredentialsAsync"/>.</summary>
public sealed class AlterUserScramCredentialsReport
{
    /// <summary>The user.</summary>
    public string User { get; set; } = "";
    /// <summary>NoError, or why the user's changes were not made.</summary>
    public Error Error { get; set; } = Error.NoError;
}

/// <summary>Some users' credentials were not changed; <see cref="Results"/> has each user's outcome.</summary>
public sealed class AlterUserScramCredentialsException(List<AlterUserScramCredentialsReport> results)
    : KafkaException(AdminErrors.Partial("altering SCRAM credentials", results.Select(r => (r.User, r.Error))))
{
    /// <summary>Each user's outcome.</summary>
    public List<AlterUserScramCredentialsReport> Results { get; } = results;
}

/// <summary>Options of <see cref="IAdminClient.AlterUserScramCredentialsAsync"/>.</summary>
public sealed class AlterUserScramCredentialsOptions
{
    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DescribeUserScramCredentialsAsync"/>.</summary>
public sealed class DescribeUserScramCredentialsOptions
{
    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}
