using System.Collections;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Transforms;

/// <summary>Which half of a record a Key/Value transform works on (Kafka's <c>$Key</c> and <c>$Value</c> variants).</summary>
internal enum RecordPart { Key, Value }

/// <summary>Reading and replacing the key or the value of a record, so one transform body serves both variants.</summary>
internal static class RecordParts
{
    public static Schema? SchemaOf(this ConnectRecord record, RecordPart part) => part == RecordPart.Key ? record.KeySchema : record.ValueSchema;

    public static object? ValueOf(this ConnectRecord record, RecordPart part) => part == RecordPart.Key ? record.Key : record.Value;

    /// <summary>A copy of the record (same kind, same offsets) with the key or value and its schema replaced.</summary>
    public static ConnectRecord With(this ConnectRecord record, RecordPart part, Schema? schema, object? value) =>
        part == RecordPart.Key ? record with { KeySchema = schema, Key = value } : record with { ValueSchema = schema, Value = value };
}

/// <summary>The shape checks Kafka's transforms make (<c>Requirements</c>), with Kafka's wording; .NET type names stand for Java's.</summary>
internal static class Requirements
{
    public static IDictionary<string, object?> RequireMap(object? value, string purpose) =>
        value as IDictionary<string, object?>
        ?? throw new DataException($"Only Map objects supported in absence of schema for [{purpose}], found: {NullSafeClassName(value)}");

    public static IDictionary<string, object?>? RequireMapOrNull(object? value, string purpose) => value == null ? null : RequireMap(value, purpose);

    public static Struct RequireStruct(object? value, string purpose) =>
        value as Struct ?? throw new DataException($"Only Struct objects supported for [{purpose}], found: {NullSafeClassName(value)}");

    public static Struct? RequireStructOrNull(object? value, string purpose) => value == null ? null : RequireStruct(value, purpose);

    public static SinkRecord RequireSinkRecord(ConnectRecord record, string purpose) =>
        record as SinkRecord ?? throw new DataException($"Only SinkRecord supported for [{purpose}], found: {NullSafeClassName(record)}");

    public static string NullSafeClassName(object? value) => value == null ? "null" : value.GetType().FullName ?? value.GetType().Name;
}

/// <summary>Schema helpers Kafka's transforms share (<c>SchemaUtil</c>).</summary>
internal static class SchemaUtil
{
    /// <summary>Copies name, version, doc and parameters (not optionality or default) of <paramref name="source"/> onto <paramref name="builder"/>.</summary>
    public static SchemaBuilder CopySchemaBasics(Schema source, SchemaBuilder builder)
    {
        builder.Name(source.Name).Version(source.Version).Doc(source.Doc);
        foreach (var (key, value) in source.Parameters) builder.Parameter(key, value);
        return builder;
    }

    /// <summary>A shallow copy of a schemaless map, keeping its comparer when it is a <see cref="Dictionary{TKey,TValue}"/>.</summary>
    public static Dictionary<string, object?> CopyMap(IDictionary<string, object?> map) =>
        map is Dictionary<string, object?> d ? new Dictionary<string, object?>(d, d.Comparer) : new Dictionary<string, object?>(map);
}

/// <summary>
/// The updated schema per input schema, as Kafka's transforms keep them (a synchronized LRU of 16): a transform sees few
/// schemas, so rebuilding and comparing each record's schema would waste time. Forgets everything when full, which
/// only costs a rebuild.
/// </summary>
internal sealed class SchemaUpdateCache
{
    private const int Capacity = 16;
    private readonly Dictionary<Schema, Schema> _entries = new();

    public Schema GetOrAdd(Schema key, Func<Schema, Schema> build)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue(key, out var cached)) return cached;
        }
        var built = build(key);
        lock (_entries)
        {
            if (_entries.Count >= Capacity) _entries.Clear();
            _entries[key] = built;
        }
        return built;
    }

    public int Count
    {
        get { lock (_entries) return _entries.Count; }
    }
}
