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

    /// <summary>The one credential in <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">it is not one credential in Kafka's form; the message shows the form and never the password.</exception>
    public static ScramCredentialSpec Parse(string text) =>
        ParseAll(text) is [var one] ? one : throw new FormatException($"'{Redacted(text)}' holds more than one credential; give one at a time");

    /// <summary>
    /// The credentials in <paramref name="text"/>, which may list several as Kafka's <c>--add-config</c> does:
    /// <c>SCRAM-SHA-256=[iterations=8192,password=a],SCRAM-SHA-512=[password=b]</c>.
    /// </summary>
    /// <exception cref="FormatException">it is not in Kafka's form; the message shows the form and never the password.</exception>
    public static IReadOnlyList<ScramCredentialSpec> ParseAll(string text)
    {
        const string Form = "MECHANISM=[name=USER,password=PASSWORD,iterations=N], e.g. SCRAM-SHA-256=[name=alice,password=alice-secret]";
        var specs = new List<ScramCredentialSpec>();
        var rest = text.Trim();
        while (rest.Length > 0)
        {
            var open = rest.IndexOf("=[", StringComparison.Ordinal);
            // A credential ends at "]" followed by the end or by ",MECHANISM=[": a password may hold commas and brackets.
            var close = open < 0 ? -1 : NextClose(rest, open + 2);
            if (open <= 0 || close < 0) throw new FormatException($"'{Redacted(text)}' is not a SCRAM credential: write {Form}");
            var mechanism = ScramMechanism.Named(rest[..open])
                ?? throw new FormatException($"'{Redacted(rest[..open].Trim())}' is not a SCRAM mechanism: use SCRAM-SHA-256 or SCRAM-SHA-512");
            specs.Add(ParseBody(mechanism, rest[(open + 2)..close], Form));
            rest = rest[(close + 1)..].TrimStart();
            if (rest.StartsWith(',')) rest = rest[1..].TrimStart();
        }
        if (specs.Count == 0) throw new FormatException($"no SCRAM credential given: write {Form}");
        return specs;
    }

    private static int NextClose(string text, int from)
    {
        for (var i = text.IndexOf(']', from); i >= 0; i = text.IndexOf(']', i + 1))
        {
            var after = text[(i + 1)..].TrimStart();
            if (after.Length == 0) return i;
            if (after.StartsWith(',') && ScramMechanism.All.Any(m => after[1..].TrimStart().StartsWith(m.Name + "=[", StringComparison.OrdinalIgnoreCase))) return i;
        }
        return -1;
    }

    private static ScramCredentialSpec ParseBody(ScramMechanism mechanism, string body, string form)
    {
        string? user = null, password = null;
        var iterations = DefaultIterations;
        foreach (var field in SplitFields(body))
        {
            var eq = field.IndexOf('=');
            var (key, value) = eq < 0 ? (field.Trim(), "") : (field[..eq].Trim().ToLowerInvariant(), field[(eq + 1)..]);
            switch (key)
            {
                case "name": user = Unquote(value.Trim()); break;
                case "password": password = Unquote(value); break;
                case "iterations" when int.TryParse(value, out var n) && n is >= ScramMechanism.MinIterations and <= ScramMechanism.MaxIterations:
                    iterations = n;
                    break;
                case "iterations":
                    throw new FormatException($"iterations={value} is out of bounds: from {ScramMechanism.MinIterations} to {ScramMechanism.MaxIterations} are taken");
                case "salt" or "saltedpassword":
                    throw new FormatException($"'{key}' is not taken: give the password, and the tool salts and hashes it itself");
                default:
                    throw new FormatException($"'{Redacted(key)}' is not a field of a SCRAM credential: write {form}");
            }
        }
        if (string.IsNullOrEmpty(password)) throw new FormatException($"the SCRAM credential has no password: write {form}");
        return new ScramCredentialSpec(mechanism, user, password, iterations);
    }

    /// <summary>Kafka's quoted values ("a,b") lose their quotes.</summary>
    private static string Unquote(string value) => value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;

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

    /// <summary>What may be shown of a credential's text: never what is inside its brackets.</summary>
    private static string Redacted(string text) => text.IndexOf('[') is var open and >= 0 ? text[..open] + "[...]" : text.Length > 40 ? text[..40] + "..." : text;

    // Never the password in a log line.
    public override string ToString() => $"{Mechanism.Name}=[name={User},iterations={Iterations}]";
}
