using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Transforms.Predicates;

/// <summary>True for records with at least one header named <c>name</c> (Kafka Connect's <c>HasHeaderKey</c>).</summary>
[PluginAlias("org.apache.kafka.connect.transforms.predicates.HasHeaderKey")]
public sealed class HasHeaderKey : IPredicate
{
    /// <summary>The header name to look for.</summary>
    public const string NameConfig = "name";

    private string _name = "";

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .DefineRequired(NameConfig, ConfigType.String, Importance.Medium, "The header name.", Validators.NonEmptyString);

    /// <inheritdoc />
    /// <exception cref="ConfigException"><c>name</c> is missing or empty.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs) => _name = (string)Config.Parse(configs)[NameConfig]!;

    /// <inheritdoc />
    public bool Test(ConnectRecord record) => record.Headers.Any(h => h.Key == _name);

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
