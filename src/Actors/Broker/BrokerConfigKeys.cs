using System.Globalization;
using Akka.Configuration;
using AkkaBroker.Protocol;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// What a user may write under <c>akkabroker</c>: the broker's own keys (every key of reference.conf, plus the two it
/// leaves unset on purpose), and the spellings of Kafka's <c>server.properties</c> that mean the same thing, which are
/// rewritten to the broker's keys. Anything else under <c>akkabroker.broker</c>, <c>akkabroker.partition</c> or <c>akkabroker.logging</c> is
/// refused, naming the nearest known key: a misspelt key silently ignored leaves a broker running on a default its
/// operator thought was changed.
/// </summary>
public static class BrokerConfigKeys
{
    private const string Broker = BrokerSettings.Section;
    private const string Partition = "akkabroker.partition";
    private const string Logging = LoggingSettings.Section;

    /// <summary>The sections under <c>akkabroker</c>.</summary>
    private static readonly string[] Sections = ["broker", "partition", "logging", "mirror"];

    /// <summary>Broker keys with no value in reference.conf: unset means a default that a busy port may move.</summary>
    private static readonly string[] UnsetByDefault = ["listeners", "metrics.prometheus.port", "offsets.topic.replication.factor"];

    /// <summary>Kafka's spellings of a time in another unit: each value times the factor gives the broker's key in ms.</summary>
    internal static readonly (string Kafka, string Ours, long Factor)[] TimeAliases =
    [
        ("log.retention.minutes", "log.retention.ms", 60_000),
        ("log.retention.hours", "log.retention.ms", 3_600_000),
        ("log.roll.hours", "log.roll.ms", 3_600_000),
    ];

    /// <summary>Kafka's names of a broker key (KRaft's <c>node.id</c>; <c>log.dirs</c> and <c>log.dir</c> with one directory).</summary>
    private static readonly (string Kafka, string Ours)[] NameAliases =
    [
        ("node.id", "broker.id"),
        ("log.dirs", "data-dir"),
        ("log.dir", "data-dir"),
    ];

    private static readonly Lazy<HashSet<string>> Known = new(() =>
        LeafPaths(BrokerNode.ReferenceConfig, Broker).Select(k => $"{Broker}.{k}")
            .Concat(UnsetByDefault.Select(k => $"{Broker}.{k}"))
            .Concat(LeafPaths(BrokerNode.ReferenceConfig, Partition).Select(k => $"{Partition}.{k}"))
            .Concat(LeafPaths(BrokerNode.ReferenceConfig, Logging).Select(k => $"{Logging}.{k}"))
            .ToHashSet(StringComparer.Ordinal));

    /// <summary>True when <paramref name="key"/> (e.g. <c>num.partitions</c>) is a key of <c>akkabroker.broker</c> or one of Kafka's spellings of one.</summary>
    public static bool IsBrokerKey(string key) =>
        Known.Value.Contains($"{Broker}.{key}") || NameAliases.Any(a => a.Kafka == key) || TimeAliases.Any(a => a.Kafka == key);

    /// <summary>
    /// The user's configuration with Kafka's spellings rewritten to the broker's keys.
    /// </summary>
    /// <exception cref="BrokerConfigurationException">a key is unknown (the message names the nearest known one), or a
    /// Kafka spelling has a value the broker cannot take (several log directories, a time that is not a number).</exception>
    public static Config Normalize(Config user)
    {
        foreach (var key in user.AsEnumerable().Select(kv => kv.Key))
            if (key is not ("akka" or "akkabroker"))
                throw new BrokerConfigurationException(key, "...",
                    "under akkabroker or akka: the broker's keys are akkabroker.broker.* (a Kafka server.properties file is read as one only when it holds nothing else: no braces, no akka keys)");
        foreach (var section in TopLevel(user))
            if (!Sections.Contains(section))
                throw new BrokerConfigurationException($"akkabroker.{section}", "{ ... }",
                    $"one of the sections akkabroker.{string.Join(", akkabroker.", Sections)}; did you mean akkabroker.{NearestKey.Of(section, Sections)}?");

        var rewritten = new List<string>();
        var brokerKeys = LeafPaths(user, Broker).ToHashSet(StringComparer.Ordinal);
        foreach (var (kafka, ours) in NameAliases)
        {
            if (!brokerKeys.Contains(kafka)) continue;
            // Kafka's own precedence: log.dirs over log.dir; the broker's own key over either.
            if (brokerKeys.Contains(ours) || rewritten.Any(r => r.StartsWith($"{Broker}.{ours} =", StringComparison.Ordinal))) continue;
            var value = user.GetString($"{Broker}.{kafka}");
            if (ours == "data-dir") value = OneDirectory(kafka, value);
            rewritten.Add($"{Broker}.{ours} = {Quote(value)}");
        }
        foreach (var (kafka, ours, factor) in TimeAliases)
        {
            if (!brokerKeys.Contains(kafka)) continue;
            var text = user.GetString($"{Broker}.{kafka}");
            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var amount) || (amount < 0 && amount != -1) || amount > long.MaxValue / factor)
                throw new BrokerConfigurationException($"{Broker}.{kafka}", text, $"a whole number, or -1 for no limit (it sets {Broker}.{ours})");
            // Kafka: the finest unit given wins (ms over minutes over hours).
            if (brokerKeys.Contains(ours) || rewritten.Any(r => r.StartsWith($"{Broker}.{ours} =", StringComparison.Ordinal))) continue;
            rewritten.Add($"{Broker}.{ours} = {(amount == -1 ? -1 : amount * factor)}");
        }

        var aliases = NameAliases.Select(a => $"{Broker}.{a.Kafka}").Concat(TimeAliases.Select(a => $"{Broker}.{a.Kafka}")).ToHashSet(StringComparer.Ordinal);
        // Every unknown key at once: a Kafka server.properties may hold several, and one run should name them all.
        var unknown = brokerKeys.Select(k => $"{Broker}.{k}").Concat(LeafPaths(user, Partition).Select(k => $"{Partition}.{k}"))
            .Concat(LeafPaths(user, Logging).Select(k => $"{Logging}.{k}"))
            .Where(key => !Known.Value.Contains(key) && !aliases.Contains(key)).ToList();
        if (unknown.Count > 0)
        {
            string Suggest(string key) => NearestKey.Of(key, Known.Value.Concat(aliases))!;
            var others = unknown.Skip(1).Select(k => $"{k} (did you mean {Suggest(k)}?)").ToList();
            throw new BrokerConfigurationException(unknown[0], user.GetString(unknown[0]),
                $"a key the broker knows; did you mean {Suggest(unknown[0])}?" +
                (others.Count == 0 ? "" : $" Not known either: {string.Join(", ", others)}.") + " Every key is listed in docs/configuration.md");
        }
        return rewritten.Count == 0 ? user : ConfigurationFactory.ParseString(string.Join("\n", rewritten)).WithFallback(user);
    }

    /// <summary>Kafka's log.dirs may list several directories; a broker keeps its whole log in one database, in one.</summary>
    private static string OneDirectory(string key, string value)
    {
        var dirs = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return dirs.Length == 1 ? dirs[0]
            : throw new BrokerConfigurationException($"{Broker}.{key}", value,
                $"one directory: a broker keeps its log in one database (data-dir); to use several disks, run a broker per disk");
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static IEnumerable<string> TopLevel(Config config) =>
        config.HasPath("akkabroker") ? config.GetConfig("akkabroker").AsEnumerable().Select(kv => kv.Key) : [];

    /// <summary>The dotted paths of every value under <paramref name="path"/>, across the config's fallbacks.</summary>
    private static IEnumerable<string> LeafPaths(Config config, string path)
    {
        if (!config.HasPath(path)) yield break;
        foreach (var (key, value) in config.GetConfig(path).AsEnumerable())
        {
            if (value.IsObject())
                foreach (var leaf in LeafPaths(config, $"{path}.{key}")) yield return $"{key}.{leaf}";
            else yield return key;
        }
    }
}
