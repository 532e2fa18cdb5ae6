using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Replaces the record key with a struct (or, schemaless, a map) of the named fields of the value (Kafka Connect's
/// <c>ValueToKey</c>). The key schema is built once per value schema, from the fields' own schemas.
/// </summary>
[PluginAlias("org.apache.kafka.connect.transforms.ValueToKey")]
public sealed class ValueToKey : ITransformation
{
    /// <summary>Names of the value's fields that make the key.</summary>
    public const string FieldsConfig = "fields";

    private const string Purpose = "copying fields from value to key";

    private readonly SchemaUpdateCache _valueToKeySchemaCache = new();
    private List<string> _fields = [];

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .DefineRequired(FieldsConfig, ConfigType.List, Importance.High, "Field names on the record value to extract as the record key.", Validators.NonEmptyList);

    /// <inheritdoc />
    /// <exception cref="ConfigException"><c>fields</c> is missing or empty.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs) => _fields = (List<string>)Config.Parse(configs)[FieldsConfig]!;

    /// <inheritdoc />
    /// <exception cref="DataException">the value is neither a struct nor a map, or a named field is not in the value's schema.</exception>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        if (record.ValueSchema == null)
        {
            var value = Requirements.RequireMap(record.Value, Purpose);
            var key = new Dictionary<string, object?>(_fields.Count);
            foreach (var field in _fields) key[field] = value.TryGetValue(field, out var v) ? v : null;
            return record with { KeySchema = null, Key = key };
        }
        var structValue = Requirements.RequireStruct(record.Value, Purpose);
        var keySchema = _valueToKeySchemaCache.GetOrAdd(structValue.Schema, valueSchema =>
        {
            var builder = SchemaBuilder.Struct();
            foreach (var field in _fields)
                builder.Field(field, (valueSchema.Field(field) ?? throw new DataException("Field does not exist: " + field)).Schema);
            return builder.Build();
        });
        var structKey = new Struct(keySchema);
        foreach (var field in _fields) structKey.Put(field, structValue.Get(field));
        return record with { KeySchema = keySchema, Key = structKey };
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
