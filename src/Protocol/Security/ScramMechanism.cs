using System.Security.Cryptography;

namespace AkkaBroker.Protocol.Security;

/// <summary>
/// A SCRAM mechanism (RFC 5802, RFC 7677) by its SASL name, as Kafka offers them: <c>SCRAM-SHA-256</c> and
/// <c>SCRAM-SHA-512</c>. Iterations are bounded as Kafka bounds them (4096 to 16384).
/// </summary>
public sealed class ScramMechanism
{
    public const int MinIterations = 4096;
    public const int MaxIterations = 16384;

    public static readonly ScramMechanism Sha256 = new("SCRAM-SHA-256", 1, HashAlgorithmName.SHA256, 32);
    public static readonly ScramMechanism Sha512 = new("SCRAM-SHA-512", 2, HashAlgorithmName.SHA512, 64);

    /// <summary>Both mechanisms, in Kafka's order.</summary>
    public static IReadOnlyList<ScramMechanism> All { get; } = [Sha256, Sha512];

    private ScramMechanism(string name, byte type, HashAlgorithmName hash, int hashSize) => (Name, Type, Hash, HashSize) = (name, type, hash, hashSize);

    /// <summary>The SASL name, <c>SCRAM-SHA-256</c> or <c>SCRAM-SHA-512</c>.</summary>
    public string Name { get; }

    /// <summary>Kafka's number for it in AlterUserScramCredentials/DescribeUserScramCredentials (1 or 2).</summary>
    public byte Type { get; }

    public HashAlgorithmName Hash { get; }

    /// <summary>The length of the hash, of a salted password, and of each key.</summary>
    public int HashSize { get; }

    /// <summary>The mechanism named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static ScramMechanism? Named(string name) => All.FirstOrDefault(m => m.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The mechanism with Kafka's number <paramref name="type"/>, or null.</summary>
    public static ScramMechanism? OfType(int type) => All.FirstOrDefault(m => m.Type == type);

    /// <summary>RFC 5802's Hi(): PBKDF2 with this mechanism's HMAC, as long as the hash.</summary>
    public byte[] SaltedPassword(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(System.Text.Encoding.UTF8.GetBytes(password), salt, iterations, Hash, HashSize);

    internal byte[] Hmac(byte[] key, byte[] data) => Hash == HashAlgorithmName.SHA256 ? HMACSHA256.HashData(key, data) : HMACSHA512.HashData(key, data);

    internal byte[] Digest(byte[] data) => Hash == HashAlgorithmName.SHA256 ? SHA256.HashData(data) : SHA512.HashData(data);

    public override string ToString() => Name;
}
