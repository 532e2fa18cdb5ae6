using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Inserts fields from the record's metadata (topic, partition, Kafka offset, timestamp) or a configured static value
/// into the key (<see cref="Key"/>) or value (<see cref="Value"/>) (Kafka Connect's <c>InsertField</c>). Works on structs,
/// whose schema gains the fields (built once per input schema), and on schemaless maps. A field name ending in
/// <c>!</c> makes its field required, one ending in <c>?</c> (or nothing) optional. Null keys or values pass unchanged.
/// </summary>
public abstract class InsertField : ITransformation
{
    /// <summary>Field name for the record's topic.</summary>
    public const string TopicFieldConfig = "topic.field";

    /// <summary>Field name for the record's partition.</summary>
    public const string PartitionFieldConfig = "partition.field";

    /// <summary>Field name for the record's Kafka offset (sink records only).</summary>
    public const string OffsetFieldConfig = "offset.field";

    /// <summary>Field name for the record's timestamp.</summary>
    public const string TimestampFieldConfig = "timestamp.field";

    /// <summary>Field name for the static value.</summary>
    public const string StaticFieldConfig = "static.field";

    /// <summary>The static value.</summary>
    public const string StaticValueConfig = "static.value";

    private const string Purpose = "field insertion";
    private const string OptionalityDoc = "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).";

    private readonly RecordPart _part;
    private readonly SchemaUpdateCache _schemaUpdateCache = new();
    private InsertionSpec? _topicField, _partitionField, _offsetField, _timestampField, _staticField;
    private string? _staticValue;

    private protected InsertField(RecordPart part) => _part = part;

    private sealed record InsertionSpec(string Name, bool Optional)
    {
        public static InsertionSpec? Parse(string? spec) => spec switch
        {
            null or "" => null,
            _ when spec.EndsWith('?') => new InsertionSpec(spec[..^1], true),
            _ when spec.EndsWith('!') => new InsertionSpec(spec[..^1], false),
            _ => new InsertionSpec(spec, true),
        };
    }

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .Define(TopicFieldConfig, ConfigType.String, null, Importance.Medium, "Field name for Kafka topic. " + OptionalityDoc)
        .Define(PartitionFieldConfig, ConfigType.String, null, Importance.Medium, "Field name for Kafka partition. " + OptionalityDoc)
        .Define(OffsetFieldConfig, ConfigType.String, null, Importance.Medium, "Field name for Kafka offset - only applicable to sink connectors.<br/>" + OptionalityDoc)
        .Define(TimestampFieldConfig, ConfigType.String, null, Importance.Medium, "Field name for record timestamp. " + OptionalityDoc)
        .Define(StaticFieldConfig, ConfigType.String, null, Importance.Medium, "Field name for static data field. " + OptionalityDoc)
        .Define(StaticValueConfig, ConfigType.String, null, Importance.Medium, "Static field value, if field name configured.");

    /// <inheritdoc />
    /// <exception cref="ConfigException">no field is configured, or a static field has no value.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs)
    {
        var values = Config.Parse(configs);
        _topicField = InsertionSpec.Parse(values[TopicFieldConfig] as string);
        _partitionField = InsertionSpec.Parse(values[PartitionFieldConfig] as string);
        _offsetField = InsertionSpec.Parse(values[OffsetFieldConfig] as string);
        _timestampField = InsertionSpec.Parse(values[TimestampFieldConfig] as string);
        _staticField = InsertionSpec.Parse(values[StaticFieldConfig] as string);
        _staticValue = values[StaticValueConfig] as string;
        if (_topicField == null && _partitionField == null && _offsetField == null && _timestampField == null && _staticField == null)
            throw new ConfigException("No field insertion configured");
        if (_staticField != null && _staticValue == null)
            throw new ConfigException(StaticValueConfig, null, "No value specified for static field: " + _staticField.Name);
    }

    /// <inheritdoc />
    /// <exception cref="DataException">the key or value is neither a struct nor a map, or an offset is asked of a source record.</exception>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        var value = record.ValueOf(_part);
        if (value == null) return record;
        return record.SchemaOf(_part) == null ? ApplySchemaless(record, value) : ApplyWithSchema(record, value);
    }

    private ConnectRecord ApplySchemaless(ConnectRecord record, object value)
    {
        var updated = SchemaUtil.CopyMap(Requirements.RequireMap(value, Purpose));
        if (_topicField != null) updated[_topicField.Name] = record.Topic;
        if (_partitionField != null && record.KafkaPartition != null) updated[_partitionField.Name] = record.KafkaPartition.Value;
        if (_offsetField != null) updated[_offsetField.Name] = Requirements.RequireSinkRecord(record, Purpose).KafkaOffset;
        if (_timestampField != null && record.Timestamp != null) updated[_timestampField.Name] = record.Timestamp.Value;
        if (_staticField != null && _staticValue != null) updated[_staticField.Name] = _staticValue;
        return record.With(_part, null, updated);
    }

    private ConnectRecord ApplyWithSchema(ConnectRecord record, object value)
    {
        var original = Requirements.RequireStruct(value, Purpose);
        var updatedSchema = _schemaUpdateCache.GetOrAdd(original.Schema, MakeUpdatedSchema);
        var updated = new Struct(updatedSchema);
        foreach (var field in original.Schema.Fields) updated.Put(field.Name, original.Get(field));
        if (_topicField != null) updated.Put(_topicField.Name, record.Topic);
        if (_partitionField != null && record.KafkaPartition != null) updated.Put(_partitionField.Name, record.KafkaPartition.Value);
        if (_offsetField != null) updated.Put(_offsetField.Name, Requirements.RequireSinkRecord(record, Purpose).KafkaOffset);
        if (_timestampField != null && record.Timestamp != null) updated.Put(_timestampField.Name, ConnectTimestamp.ToLogical(record.Timestamp.Value));
        if (_staticField != null && _staticValue != null) updated.Put(_staticField.Name, _staticValue);
        return record.With(_part, updatedSchema, updated);
    }

    private Schema MakeUpdatedSchema(Schema schema)
    {
        var builder = SchemaUtil.CopySchemaBasics(schema, SchemaBuilder.Struct());
        foreach (var field in schema.Fields) builder.Field(field.Name, field.Schema);
        if (_topicField != null) builder.Field(_topicField.Name, _topicField.Optional ? Schema.OptionalString : Schema.String);
        if (_partitionField != null) builder.Field(_partitionField.Name, _partitionField.Optional ? Schema.OptionalInt32 : Schema.Int32);
        if (_offsetField != null) builder.Field(_offsetField.Name, _offsetField.Optional ? Schema.OptionalInt64 : Schema.Int64);
        if (_timestampField != null)
            builder.Field(_timestampField.Name, _timestampField.Optional ? ConnectTimestamp.Builder().Optional().Build() : ConnectTimestamp.Builder().Build());
        if (_staticField != null) builder.Field(_staticField.Name, _staticField.Optional ? Schema.OptionalString : Schema.String);
        return builder.Build();
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Inserts the fields into the record's key.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.InsertField$Key")]
    public sealed class Key() : InsertField(RecordPart.Key);

    /// <summary>Inserts the fields into the record's value.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.InsertField$Value")]
    public sealed class Value() : InsertField(RecordPart.Value);
}
