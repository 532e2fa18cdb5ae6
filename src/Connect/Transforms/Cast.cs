using System.Globalization;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Internal;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Casts fields, or the whole key (<see cref="Key"/>) or value (<see cref="Value"/>), to another primitive type (Kafka
/// Connect's <c>Cast</c>). <c>spec</c> is either <c>field:type,...</c> for the fields of a struct or map, or a single
/// type for the whole key or value. Target types: int8, int16, int32, int64, float32, float64, boolean, string; bytes
/// can only be cast to string (base64). Numbers narrow as Java's do, strings are parsed, booleans become 1/0, dates and
/// times become their integers (or ISO-8601 text when cast to string). The updated schema is built once per input
/// schema. Null keys or values pass unchanged.
/// </summary>
public abstract class Cast : ITransformation
{
    /// <summary>The casts: <c>field:type,...</c> or one type for the whole key or value.</summary>
    public const string SpecConfig = "spec";

    private const string Purpose = "cast types";

    private static readonly SchemaType[] SupportedOutputTypes =
        [SchemaType.Int8, SchemaType.Int16, SchemaType.Int32, SchemaType.Int64, SchemaType.Float32, SchemaType.Float64, SchemaType.Boolean, SchemaType.String];

    private static readonly SchemaType[] SupportedInputTypes = [.. SupportedOutputTypes, SchemaType.Bytes];

    private readonly RecordPart _part;
    private readonly SchemaUpdateCache _schemaUpdateCache = new();
    private Dictionary<string, SchemaType> _casts = [];
    private SchemaType? _wholeValueCastType;

    private protected Cast(RecordPart part) => _part = part;

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .DefineRequired(SpecConfig, ConfigType.List, Importance.High,
            "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. " +
            "Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string.",
            (name, value) => ParseFieldTypes((List<string>)value!));

    /// <inheritdoc />
    /// <exception cref="ConfigException">the spec is missing or names an unknown or unsupported type.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs)
    {
        var (casts, whole) = ParseFieldTypes((List<string>)Config.Parse(configs)[SpecConfig]!);
        _casts = casts;
        _wholeValueCastType = whole;
    }

    private static (Dictionary<string, SchemaType> Casts, SchemaType? Whole) ParseFieldTypes(List<string> mappings)
    {
        var casts = new Dictionary<string, SchemaType>(StringComparer.Ordinal);
        SchemaType? whole = null;
        foreach (var mapping in mappings)
        {
            var parts = JavaFormats.Split(mapping, ':');
            if (parts.Length > 2) throw new ConfigException(SpecConfig, "[" + string.Join(", ", mappings) + "]", "Invalid cast mapping: " + mapping);
            if (parts.Length == 1) whole = ValidOutputType(ParseType(parts[0]));
            else casts[parts[0].Trim()] = ValidOutputType(ParseType(parts[1]));
        }
        if (whole != null && mappings.Count > 1)
            throw new ConfigException("Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec");
        return (casts, whole);
    }

    private static SchemaType ParseType(string text) =>
        SchemaTypeNames.Parse(text.Trim()) ?? throw new ConfigException("Invalid type found in casting spec: " + text.Trim());

    private static string JavaName(SchemaType type) => type.ToString().ToUpperInvariant();

    private static string JavaSet(IEnumerable<SchemaType> types) => "[" + string.Join(", ", types.Select(JavaName)) + "]";

    private static SchemaType ValidOutputType(SchemaType type) =>
        SupportedOutputTypes.Contains(type) ? type
            : throw new ConfigException($"Cast transformation does not support casting to/from {JavaName(type)}; supported types are {JavaSet(SupportedOutputTypes)}");

    private static void ValidInputType(SchemaType type)
    {
        if (!SupportedInputTypes.Contains(type))
            throw new DataException($"Cast transformation does not support casting to/from {JavaName(type)}; supported types are {JavaSet(SupportedInputTypes)}");
    }

    /// <inheritdoc />
    /// <exception cref="DataException">the key or value is not a struct or map (field casts), or a value cannot be cast.</exception>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        var value = record.ValueOf(_part);
        if (value == null) return record;
        var schema = record.SchemaOf(_part);
        if (schema == null)
        {
            if (_wholeValueCastType is { } wholeType) return record.With(_part, null, CastValueToType(null, value, wholeType));
            var map = Requirements.RequireMap(value, Purpose);
            var updatedMap = SchemaUtil.CopyMap(map);
            foreach (var (field, type) in _casts) updatedMap[field] = CastValueToType(null, map.TryGetValue(field, out var v) ? v : null, type);
            return record.With(_part, null, updatedMap);
        }
        var updatedSchema = _schemaUpdateCache.GetOrAdd(schema, BuildUpdatedSchema);
        if (_wholeValueCastType is { } castType) return record.With(_part, updatedSchema, CastValueToType(schema, value, castType));
        var original = Requirements.RequireStruct(value, Purpose);
        var updated = new Struct(updatedSchema);
        foreach (var field in original.Schema.Fields)
        {
            var fieldValue = original.Get(field);
            updated.Put(field.Name, _casts.TryGetValue(field.Name, out var type) ? CastValueToType(field.Schema, fieldValue, type) : fieldValue);
        }
        return record.With(_part, updatedSchema, updated);
    }

    private Schema BuildUpdatedSchema(Schema schema)
    {
        SchemaBuilder builder;
        if (_wholeValueCastType is { } wholeType)
        {
            builder = SchemaBuilder.Type(wholeType);
            // A logical type's name would claim the old representation; Kafka copies it, but the data model here checks it.
            if (LogicalTypes.ClrType(schema.Name) == null) SchemaUtil.CopySchemaBasics(schema, builder);
        }
        else
        {
            builder = SchemaUtil.CopySchemaBasics(schema, SchemaBuilder.Struct());
            foreach (var field in schema.Fields)
            {
                if (!_casts.TryGetValue(field.Name, out var type))
                {
                    builder.Field(field.Name, field.Schema);
                    continue;
                }
                var fieldBuilder = SchemaBuilder.Type(type);
                if (field.Schema.IsOptional) fieldBuilder.Optional();
                if (field.Schema.DefaultValue != null) fieldBuilder.DefaultValue(CastValueToType(field.Schema, field.Schema.DefaultValue, type));
                builder.Field(field.Name, fieldBuilder.Build());
            }
        }
        if (schema.IsOptional) builder.Optional();
        if (schema.DefaultValue != null && _wholeValueCastType is { } t) builder.DefaultValue(CastValueToType(schema, schema.DefaultValue, t));
        return builder.Build();
    }

    internal static object? CastValueToType(Schema? schema, object? value, SchemaType targetType)
    {
        if (value == null) return null;
        var inferred = schema?.Type ?? SchemaTypeNames.Of(value)
            ?? throw new DataException($"Cast transformation was passed a value of type {value.GetType()} which is not supported by Connect's data API");
        ValidInputType(inferred);
        if (schema?.Name != null && targetType != SchemaType.String) value = EncodeLogicalType(schema, value);
        try
        {
            return targetType switch
            {
                SchemaType.Int8 => Integral(value, l => unchecked((sbyte)l), sbyte.Parse),
                SchemaType.Int16 => Integral(value, l => unchecked((short)l), short.Parse),
                SchemaType.Int32 => Integral(value, l => unchecked((int)l), int.Parse),
                SchemaType.Int64 => Integral(value, l => l, long.Parse),
                SchemaType.Float32 => value switch
                {
                    bool b => b ? 1f : 0f,
                    string s => (float)ParseJavaDouble(s),
                    _ => (float)ToDouble(value),
                },
                SchemaType.Float64 => value switch
                {
                    bool b => b ? 1d : 0d,
                    string s => ParseJavaDouble(s),
                    _ => ToDouble(value),
                },
                SchemaType.Boolean => value switch
                {
                    bool b => b,
                    string s => s.Equals("true", StringComparison.OrdinalIgnoreCase),
                    _ => ToLong(value) != 0L,
                },
                SchemaType.String => CastToString(value),
                _ => throw new DataException(JavaName(targetType) + " is not supported in the Cast transformation."),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new DataException($"Value ({value}) was out of range for requested data type", e);
        }
    }

    private static object Integral<T>(object value, Func<long, T> narrow, Func<string, NumberStyles, IFormatProvider, T> parse) where T : notnull => value switch
    {
        bool b => narrow(b ? 1 : 0),
        string s => parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
        // Java narrows a floating value through int (long for int64), saturating, then drops high bits.
        float or double => narrow(typeof(T) == typeof(long) ? (long)ToDouble(value) : (int)ToDouble(value)),
        _ => narrow(ToLong(value)),
    };

    private static long ToLong(object value) => value switch
    {
        sbyte v => v,
        short v => v,
        int v => v,
        long v => v,
        float v => (long)v,
        double v => (long)v,
        decimal v => (long)decimal.Truncate(v),
        _ => throw new DataException($"Unexpected type in Cast transformation: {value.GetType()}"),
    };

    private static double ToDouble(object value) => value switch
    {
        sbyte v => v,
        short v => v,
        int v => v,
        long v => v,
        float v => v,
        double v => v,
        decimal v => (double)v,
        _ => throw new DataException($"Unexpected type in Cast transformation: {value.GetType()}"),
    };

    private static double ParseJavaDouble(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length > 0 && trimmed[^1] is 'f' or 'F' or 'd' or 'D') trimmed = trimmed[..^1];
        return trimmed switch
        {
            "NaN" => double.NaN,
            "Infinity" or "+Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => double.Parse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
    }

    private static object EncodeLogicalType(Schema schema, object value) => (schema.Name, value) switch
    {
        (ConnectDate.LogicalName, DateTime d) => ConnectDate.FromLogical(d),
        (ConnectTime.LogicalName, DateTime d) => ConnectTime.FromLogical(d),
        (ConnectTimestamp.LogicalName, DateTime d) => ConnectTimestamp.FromLogical(d),
        _ => value,
    };

    private static string CastToString(object value) => value switch
    {
        DateTime d => DateFormatFor(d),
        byte[] bytes => Convert.ToBase64String(bytes),
        bool b => b ? "true" : "false",
        float f => JavaFormats.FloatToString(f),
        double d => JavaFormats.DoubleToString(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Kafka's <c>Values.dateFormatFor</c>: a time of day before one day after the epoch, a date at midnight, otherwise a timestamp.</summary>
    private static string DateFormatFor(DateTime value)
    {
        var millis = ConnectTimestamp.FromLogical(value);
        var utc = ConnectTimestamp.ToLogical(millis);
        if (millis < 86_400_000L) return utc.ToString("HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        if (millis % 86_400_000L == 0) return utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Casts the record's key or its fields.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.Cast$Key")]
    public sealed class Key() : Cast(RecordPart.Key);

    /// <summary>Casts the record's value or its fields.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.Cast$Value")]
    public sealed class Value() : Cast(RecordPart.Value);
}
