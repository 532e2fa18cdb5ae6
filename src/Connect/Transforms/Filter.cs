using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Drops every record it is applied to (Kafka Connect's <c>Filter</c>); used with a predicate
/// (<c>transforms.x.predicate</c>, optionally <c>negate</c>) to drop only the records that match.
/// </summary>
[PluginAlias("org.apache.kafka.connect.transforms.Filter")]
public sealed class Filter : ITransformation
{
    /// <inheritdoc />
    public ConfigDef Config { get; } = new();

    /// <inheritdoc />
    public void Configure(IReadOnlyDictionary<string, string> configs) { }

    /// <summary>Null: the record is dropped.</summary>
    public ConnectRecord? Apply(ConnectRecord record) => null;

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
