using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Storage;

/// <summary>
/// Keys or values passed through as raw bytes (Kafka Connect's <c>ByteArrayConverter</c>): writes bytes unchanged and
/// reads them back with an optional bytes schema. Useful to copy records whose format the connector need not know.
/// </summary>
[PluginAlias("org.apache.kafka.connect.converters.ByteArrayConverter")]
public sealed class ByteArrayConverter : IConverter
{
    /// <inheritdoc />
    public ConfigDef Config { get; } = new();

    /// <inheritdoc />
    public void Configure(IReadOnlyDictionary<string, string> configs, bool isKey) { }

    /// <summary>The bytes of <paramref name="value"/>, unchanged.</summary>
    /// <exception cref="DataException">the schema is not a bytes schema, or the value is not bytes.</exception>
    public byte[]? FromConnectData(string topic, Schema? schema, object? value)
    {
        if (schema != null && schema.Type != SchemaType.Bytes)
            throw new DataException($"Invalid schema type for ByteArrayConverter: {schema.Type.ToString().ToUpperInvariant()}");
        return value switch
        {
            null => null,
            byte[] bytes => bytes,
            ReadOnlyMemory<byte> memory => memory.ToArray(),
            _ => throw new DataException($"ByteArrayConverter is not compatible with objects of type {value.GetType().FullName}"),
        };
    }

    /// <inheritdoc />
    public SchemaAndValue ToConnectData(string topic, byte[]? value) => new(Schema.OptionalBytes, value);
}
