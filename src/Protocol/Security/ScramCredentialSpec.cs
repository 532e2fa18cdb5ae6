using System.Security.Cryptography;

namespace AkkaBroker.Protocol.Security;

/// <summary>
/// A SCRAM credential written as Kafka writes it in <c>kafka-configs --add-config</c> and <c>kafka-storage format
/// --add-scram</c>: <c>SCRAM-SHA-256=[name=alice,password=alice-secret,iterations=8192]</c> (<c>name</c> only where
/// the user is not given apart; <c>iterations</c> defaults to 4096, Kafka's default).
/// </summary>
public sealed record ScramCredentialSpec(ScramMechanism Mechanism, string? User, string Password, int Iterations)
{
    public const int DefaultIterations = 4096;

    /// <summary>The spec in <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">it is not in Kafka's form; the message shows the form.</exception>
    public static ScramCredentialSpec Parse(string text)
    {
        const string Form = "MECHANISM=[name=USER,password=PASSWORD,iterations=N], e.g. SCRAM-SHA-256=[name=alice,password=alice-secret]";
        var equals = text.IndexOf('=');
        var trimmed = text.Trim();
        if (equals < 0 || !trimmed.EndsWith(']') || text.IndexOf('[') != equals + 1)
            throw new FormatException($"'{Redacted(text)}' is not a SCRAM credential: write {Form}");
        var mechanism = ScramMechanism.Named(text[..equals])
            ?? throw new FormatException($"'{text[..equals].Trim()}' is not a SCRAM mechanism: use SCRAM-SHA-256 or SCRAM-SHA-512");
        var body = trimmed[(trimmed.IndexOf('[') + 1)..^1];
        string? user = null, password = null;
        var iterations = DefaultIterations;
        // The password is last in Kafka's examples and may hold commas: everything after "password=" up to a known key.
        foreach (var field in SplitFields(body))
        {
            var eq = field.IndexOf('=');
            var (key, value) = eq < 0 ? (field, "") : (field[..eq].Trim().ToLowerInvariant(), field[(eq + 1)..]);
            switch (key)
            {
                case "name": user = value.Trim(); break;
                case "password": password = value; break;
                case "iterations" when int.TryParse(value, out var n) && n is >= ScramMechanism.MinIterations and <= ScramMechanism.MaxIterations:
                    iterations = n;
                    break;
                case "iterations":
                    throw new FormatException($"iterations={value} is out of bounds: from {ScramMechanism.MinIterations} to {ScramMechanism.MaxIterations} are taken");
                default:
                    throw new FormatException($"'{key}' is not a field of a SCRAM credential: write {Form}");
            }
        }
        if (string.IsNullOrEmpty(password)) throw new FormatException($"the SCRAM credential has no password: write {Form}");
        return new ScramCredentialSpec(mechanism, user, password, iterations);
    }

    /// <summary>The credential with a fresh salt, as the client sends it: the salted password, never the password.</summary>
    public (byte[] Salt, byte[] SaltedPassword) Salted()
    {
        var salt = RandomNumberGenerator.GetBytes(Mechanism.HashSize);
        return (salt, Mechanism.SaltedPassword(Password, salt, Iterations));
    }

    private static IEnumerable<string> SplitFields(string body)
    {
        string? pending = null;
        foreach (var part in body.Split(','))
        {
            var key = part.Split('=')[0].Trim().ToLowerInvariant();
            if (pending != null && key is not ("name" or "iterations" or "password"))
            {
                pending += "," + part;
                continue;
            }
            if (pending != null) yield return pending;
            pending = part;
        }
        if (pending != null) yield return pending;
    }

    private static string Redacted(string text) => text.Contains("password=", StringComparison.OrdinalIgnoreCase) ? text[..text.IndexOf('=')] + "=[...]" : text;

    // Never the password in a log line.
    public override string ToString() => $"{Mechanism.Name}=[name={User},iterations={Iterations}]";
}
