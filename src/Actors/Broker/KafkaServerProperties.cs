using System.Text;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// A Kafka <c>server.properties</c> file given to <c>serve --config</c>: told from HOCON by its syntax (Java properties
/// lines of Kafka's broker keys, no braces, nothing under <c>akka</c>) and turned into the broker's section, where the
/// keys the broker shares with Kafka keep their names, Kafka's other spellings are rewritten
/// (<see cref="BrokerConfigKeys"/>) and the rest are refused by name.
/// </summary>
public static class KafkaServerProperties
{
    /// <summary>True when <paramref name="text"/> reads as a Java properties file of bare keys rather than HOCON.</summary>
    public static bool IsProperties(string text)
    {
        var entries = Entries(text).ToList();
        if (entries.Count == 0 || entries.Any(e => e.Key.Contains('{') || e.Key.Contains('}') || e.Value.Contains('{') || e.Value.Contains('}'))) return false;
        return entries.All(e => e.Key != "include" && !e.Key.StartsWith("akka", StringComparison.Ordinal)
                                && e.Key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
    }

    /// <summary>The properties as HOCON under <c>akkabroker.broker</c>, each value a string as Java reads it.</summary>
    public static string ToHocon(string text)
    {
        var hocon = new StringBuilder();
        foreach (var (key, value) in Entries(text))
            hocon.Append(BrokerSettings.Section).Append('.').Append(key).Append(" = \"")
                .Append(value.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append("\"\n");
        return hocon.ToString();
    }

    /// <summary>Java properties entries: <c>key=value</c>, <c>key: value</c> or <c>key value</c>; <c>#</c> and <c>!</c> comments; a trailing backslash continues a line.</summary>
    private static IEnumerable<(string Key, string Value)> Entries(string text)
    {
        var logical = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (logical.Length == 0 && line.TrimStart() is var trimmed && (trimmed.Length == 0 || trimmed[0] is '#' or '!')) continue;
            if (line.EndsWith('\\'))
            {
                logical.Append(line.AsSpan(0, line.Length - 1).TrimStart());
                continue;
            }
            logical.Append(logical.Length == 0 ? line.Trim() : line.TrimStart());
            var entry = logical.ToString();
            logical.Clear();
            var at = entry.IndexOfAny(['=', ':', ' ', '\t']);
            if (at < 0)
            {
                yield return (entry, "");
                continue;
            }
            // The key ends at '=', ':' or whitespace; whitespace may be followed by one '=' or ':'.
            var rest = entry[at..].TrimStart();
            if (rest.Length > 0 && rest[0] is '=' or ':') rest = rest[1..];
            yield return (entry[..at], rest.Trim());
        }
    }
}
