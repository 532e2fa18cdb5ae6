using System.Text.RegularExpressions;
using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Transforms.Predicates;

/// <summary>True for records whose topic matches <c>pattern</c> in full (Kafka Connect's <c>TopicNameMatches</c>).</summary>
[PluginAlias("org.apache.kafka.connect.transforms.predicates.TopicNameMatches")]
public sealed class TopicNameMatches : IPredicate
{
    /// <summary>The regular expression a topic must match in full.</summary>
    public const string PatternConfig = "pattern";

    private Regex? _pattern;

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .DefineRequired(PatternConfig, ConfigType.String, Importance.Medium,
            "A Java regular expression for matching against the name of a record's topic.",
            (name, value) => { Validators.NonEmptyString(name, value); Validators.Regex(name, value); });

    /// <inheritdoc />
    /// <exception cref="ConfigException"><c>pattern</c> is missing, empty or not a valid regular expression.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs) =>
        _pattern = new Regex($"\\A(?:{(string)Config.Parse(configs)[PatternConfig]!})\\z", RegexOptions.CultureInvariant);

    /// <inheritdoc />
    public bool Test(ConnectRecord record) => record.Topic != null && _pattern!.IsMatch(record.Topic);

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
