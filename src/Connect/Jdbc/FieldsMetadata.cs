using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>A column a sink writes: its name, its schema and where its value comes from in a record.</summary>
internal sealed record SinkField(string Name, Schema Schema, Func<SinkRecord, object?> Value);

/// <summary>
/// The key and non-key columns a sink writes for records of one key and value schema (Confluent's
/// <c>FieldsMetadata</c>): the key from <c>pk.mode</c> and <c>pk.fields</c>, the other columns from the value's fields
/// filtered by <c>fields.whitelist</c>, key columns first.
/// </summary>
internal sealed record FieldsMetadata(IReadOnlyList<SinkField> KeyFields, IReadOnlyList<SinkField> NonKeyFields)
{
    /// <summary>The column of a primitive key when <c>pk.fields</c> names none, as Confluent's.</summary>
    public const string DefaultKeyColumn = "__connect_key";

    /// <summary>The columns of <c>pk.mode=kafka</c> when <c>pk.fields</c> names none.</summary>
    public static readonly string[] DefaultKafkaColumns = ["__connect_topic", "__connect_partition", "__connect_offset"];

    /// <summary>Key columns then the others.</summary>
    public IEnumerable<SinkField> AllFields => KeyFields.Concat(NonKeyFields);

    /// <summary>The columns for records of <paramref name="keySchema"/> and <paramref name="valueSchema"/> going to <paramref name="table"/>.</summary>
    /// <exception cref="ConnectException">the schemas do not fit the configured key (a missing key schema, a key field that is not there, a value that is not a struct).</exception>
    public static FieldsMetadata Extract(string table, JdbcSinkConfig config, Schema? keySchema, Schema? valueSchema)
    {
        if (valueSchema != null && valueSchema.Type != SchemaType.Struct)
            throw new ConnectException($"Table \"{table}\": the record value's schema must be a struct, not {valueSchema}; use a converter with schemas (JSON with schemas.enable=true, Avro) or a transform that makes one.");
        var keys = new List<SinkField>();
        switch (config.PkMode)
        {
            case PkMode.Kafka:
            {
                var names = config.PkFields.Count == 3 ? config.PkFields : DefaultKafkaColumns;
                keys.Add(new SinkField(names[0], Schema.String, r => r.Topic));
                keys.Add(new SinkField(names[1], Schema.Int32, r => r.KafkaPartition ?? -1));
                keys.Add(new SinkField(names[2], Schema.Int64, r => r.KafkaOffset));
                break;
            }
            case PkMode.RecordKey:
                if (keySchema == null)
                    throw new ConnectException($"Table \"{table}\": pk.mode is record_key but the record has no key schema; use a key converter with schemas or another pk.mode.");
                if (keySchema.Type.IsPrimitive())
                {
                    if (config.PkFields.Count > 1)
                        throw new ConnectException($"Table \"{table}\": a primitive key makes one column, but pk.fields names {config.PkFields.Count}: {string.Join(", ", config.PkFields)}.");
                    keys.Add(new SinkField(config.PkFields.Count == 1 ? config.PkFields[0] : DefaultKeyColumn, keySchema, r => r.Key));
                }
                else if (keySchema.Type == SchemaType.Struct)
                {
                    foreach (var field in Select(table, "key", keySchema, config.PkFields))
                        keys.Add(new SinkField(field.Name, field.Schema, r => ((Struct)r.Key!).Get(field)));
                }
                else
                {
                    throw new ConnectException($"Table \"{table}\": a {keySchema.Type.Name()} key cannot make a primary key; use a primitive or struct key.");
                }
                break;
            case PkMode.RecordValue:
                if (valueSchema == null)
                    throw new ConnectException($"Table \"{table}\": pk.mode is record_value but the record has no value schema.");
                foreach (var field in Select(table, "value", valueSchema, config.PkFields))
                    keys.Add(new SinkField(field.Name, field.Schema, r => ((Struct)r.Value!).Get(field)));
                break;
        }
        var keyNames = keys.Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        var others = new List<SinkField>();
        if (valueSchema != null)
        {
            foreach (var field in valueSchema.Fields)
            {
                if (keyNames.Contains(field.Name)) continue;
                if (config.FieldsWhitelist.Count > 0 && !config.FieldsWhitelist.Contains(field.Name, StringComparer.Ordinal)) continue;
                others.Add(new SinkField(field.Name, field.Schema, r => ((Struct)r.Value!).Get(field)));
            }
        }
        if (keys.Count == 0 && others.Count == 0)
            throw new ConnectException($"Table \"{table}\": the record has no fields to write (no key columns and no value fields after {JdbcConfigKeys.FieldsWhitelist}).");
        return new FieldsMetadata(keys, others);
    }

    private static IEnumerable<Field> Select(string table, string what, Schema schema, IReadOnlyList<string> names)
    {
        if (names.Count == 0) return schema.Fields;
        return names.Select(name => schema.Field(name)
            ?? throw new ConnectException($"Table \"{table}\": pk.fields names '{name}', which is not a field of the record {what}; its fields are: {string.Join(", ", schema.Fields.Select(f => f.Name))}."));
    }
}
