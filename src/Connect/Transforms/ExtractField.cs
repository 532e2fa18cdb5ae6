using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Replaces the key (<see cref="Key"/>) or value (<see cref="Value"/>) with one of its fields (Kafka Connect's
/// <c>ExtractField</c>): from a struct the field's value with the field's schema, from a schemaless map the entry (null
/// when absent). A null key or value stays null.
/// </summary>
public abstract class ExtractField : ITransformation
{
    /// <summary>The field to extract.</summary>
    public const string FieldConfig = "field";

    private const string Purpose = "field extraction";

    private readonly RecordPart _part;
    private string _fieldName = "";

    private protected ExtractField(RecordPart part) => _part = part;

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .DefineRequired(FieldConfig, ConfigType.String, Importance.Medium, "Field name to extract.");

    /// <inheritdoc />
    /// <exception cref="ConfigException"><c>field</c> is missing.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs) => _fieldName = (string)Config.Parse(configs)[FieldConfig]!;

    /// <inheritdoc />
    /// <exception cref="DataException">the key or value is neither a struct nor a map, or the struct's schema has no such field.</exception>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        var schema = record.SchemaOf(_part);
        if (schema == null)
        {
            var map = Requirements.RequireMapOrNull(record.ValueOf(_part), Purpose);
            return record.With(_part, null, map == null ? null : map.TryGetValue(_fieldName, out var v) ? v : null);
        }
        var value = Requirements.RequireStructOrNull(record.ValueOf(_part), Purpose);
        var field = schema.Field(_fieldName) ?? throw new DataException("Unknown field: " + _fieldName);
        return record.With(_part, field.Schema, value?.Get(field));
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Extracts a field of the record's key.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.ExtractField$Key")]
    public sealed class Key() : ExtractField(RecordPart.Key);

    /// <summary>Extracts a field of the record's value.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.ExtractField$Value")]
    public sealed class Value() : ExtractField(RecordPart.Value);
}
