using AkkaBroker.Connect;
using AkkaBroker.Connect.Config;

namespace ConnectPlugin.Sample;

/// <summary>Upper-cases a record's string value; any other value passes unchanged.</summary>
public sealed class UppercaseTransform : ITransformation
{
    /// <inheritdoc />
    public ConfigDef Config { get; } = new();

    /// <inheritdoc />
    public void Configure(IReadOnlyDictionary<string, string> configs) { }

    /// <inheritdoc />
    public ConnectRecord? Apply(ConnectRecord record) =>
        record.Value is string text ? record with { Value = text.ToUpperInvariant() } : record;

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
