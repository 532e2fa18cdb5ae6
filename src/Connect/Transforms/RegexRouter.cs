using System.Text.RegularExpressions;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Internal;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Renames the topic of records whose topic matches <c>regex</c> in full, to <c>replacement</c> with Java-style group
/// references (<c>$1</c>, <c>${name}</c>) (Kafka Connect's <c>RegexRouter</c>). Records whose topic does not match pass
/// unchanged. Example: regex <c>(.*)-(.*)</c>, replacement <c>$2</c> routes <c>orders-eu</c> to <c>eu</c>.
/// </summary>
[PluginAlias("org.apache.kafka.connect.transforms.RegexRouter")]
public sealed class RegexRouter : ITransformation
{
    /// <summary>The regular expression a topic must match in full.</summary>
    public const string RegexConfig = "regex";

    /// <summary>The new topic, with group references.</summary>
    public const string ReplacementConfig = "replacement";

    private Regex? _regex;
    private string _replacement = "";

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .DefineRequired(RegexConfig, ConfigType.String, Importance.High, "Regular expression to use for matching.", Validators.Regex)
        .DefineRequired(ReplacementConfig, ConfigType.String, Importance.High, "Replacement string.");

    /// <inheritdoc />
    /// <exception cref="ConfigException">a key is missing, the regex is invalid, or the replacement refers to a group the regex does not have.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs)
    {
        var values = Config.Parse(configs);
        var pattern = (string)values[RegexConfig]!;
        // Java's Matcher.matches(): the whole topic must match.
        _regex = new Regex($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant);
        var replacement = (string)values[ReplacementConfig]!;
        try
        {
            _replacement = JavaFormats.ReplacementToDotNet(replacement, _regex);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(ReplacementConfig, replacement, e.Message);
        }
    }

    /// <summary>The record with its topic replaced when the topic matches; otherwise the record itself.</summary>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        var match = _regex!.Match(record.Topic);
        return match.Success ? record with { Topic = match.Result(_replacement) } : record;
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
