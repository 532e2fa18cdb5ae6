using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Transforms.Predicates;

/// <summary>True for tombstones, records whose value is null (Kafka Connect's <c>RecordIsTombstone</c>).</summary>
[PluginAlias("org.apache.kafka.connect.transforms.predicates.RecordIsTombstone")]
public sealed class RecordIsTombstone : IPredicate
{
    /// <inheritdoc />
    public ConfigDef Config { get; } = new();

    /// <inheritdoc />
    public void Configure(IReadOnlyDictionary<string, string> configs) { }

    /// <inheritdoc />
    public bool Test(ConnectRecord record) => record.Value == null;

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
