using System.Security.Cryptography;
using System.Text;

namespace AkkaBroker.Protocol.Security;

/// <summary>
/// What a broker keeps of a SCRAM password (RFC 5802): the salt, the iteration count, and the two keys derived from the
/// salted password. Neither the password nor the salted password can be recovered from it; a client proves it knows the
/// password by a proof the stored key checks, and the server proves it holds the credential by a signature of the
/// server key.
/// </summary>
public sealed record ScramCredential(byte[] Salt, byte[] StoredKey, byte[] ServerKey, int Iterations)
{
    private static readonly byte[] ClientKeyLabel = Encoding.ASCII.GetBytes("Client Key");
    private static readonly byte[] ServerKeyLabel = Encoding.ASCII.GetBytes("Server Key");

    /// <summary>The credential for a salted password (what Kafka's AlterUserScramCredentials carries: the password never leaves the client).</summary>
    public static ScramCredential FromSaltedPassword(ScramMechanism mechanism, byte[] saltedPassword, byte[] salt, int iterations) =>
        new(salt, mechanism.Digest(ClientKey(mechanism, saltedPassword)), mechanism.Hmac(saltedPassword, ServerKeyLabel), iterations);

    /// <summary>The credential for a password, with a fresh random salt.</summary>
    public static ScramCredential FromPassword(ScramMechanism mechanism, string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(mechanism.HashSize);
        return FromSaltedPassword(mechanism, mechanism.SaltedPassword(password, salt, iterations), salt, iterations);
    }

    /// <summary>Whether <paramref name="password"/> is the one this credential was made from (SASL/PLAIN checks passwords so).</summary>
    public bool Matches(ScramMechanism mechanism, string password)
    {
        var clientKey = ClientKey(mechanism, mechanism.SaltedPassword(password, Salt, Iterations));
        return CryptographicOperations.FixedTimeEquals(mechanism.Digest(clientKey), StoredKey);
    }

    internal static byte[] ClientKey(ScramMechanism mechanism, byte[] saltedPassword) => mechanism.Hmac(saltedPassword, ClientKeyLabel);

    // Byte arrays compare by content, so that replicated copies of a state compare equal.
    public bool Equals(ScramCredential? other) =>
        other is not null && Iterations == other.Iterations && Salt.AsSpan().SequenceEqual(other.Salt) && StoredKey.AsSpan().SequenceEqual(other.StoredKey)
        && ServerKey.AsSpan().SequenceEqual(other.ServerKey);

    public override int GetHashCode() => HashCode.Combine(Iterations, StoredKey.Length > 3 ? BitConverter.ToInt32(StoredKey) : 0);

    // Never the keys in a log line.
    public override string ToString() => $"ScramCredential(iterations={Iterations})";
}
