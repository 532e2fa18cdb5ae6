using System.Globalization;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Internal;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Converts a timestamp, the whole key (<see cref="Key"/>) or value (<see cref="Value"/>) or one of its fields
/// (<c>field</c>), between text in a <c>SimpleDateFormat</c> pattern (<c>string</c>), a number since the epoch
/// (<c>unix</c>, in <c>unix.precision</c>), and Connect's <c>Date</c>, <c>Time</c> and <c>Timestamp</c> (Kafka Connect's
/// <c>TimestampConverter</c>). The source kind comes from the schema (or, schemaless, from the value: a DateTime is a
/// Timestamp, a long unix, a string text). All times are UTC. The updated struct schema is built once per input schema.
/// </summary>
public abstract class TimestampConverter : ITransformation
{
    /// <summary>The field holding the timestamp; empty for the whole key or value.</summary>
    public const string FieldConfig = "field";

    /// <summary>The kind to convert to: string, unix, Date, Time or Timestamp.</summary>
    public const string TargetTypeConfig = "target.type";

    /// <summary>The <c>SimpleDateFormat</c> pattern for string timestamps.</summary>
    public const string FormatConfig = "format";

    /// <summary>The unit of unix timestamps: seconds, milliseconds, microseconds or nanoseconds.</summary>
    public const string UnixPrecisionConfig = "unix.precision";

    private const string Purpose = "converting timestamp formats";
    private const string TypeString = "string";
    private const string TypeUnix = "unix";
    private const string TypeDate = "Date";
    private const string TypeTime = "Time";
    private const string TypeTimestamp = "Timestamp";
    private static readonly string[] ValidTypes = [TypeString, TypeUnix, TypeDate, TypeTime, TypeTimestamp];

    private readonly RecordPart _part;
    private readonly SchemaUpdateCache _schemaUpdateCache = new();
    private string _field = "";
    private string _targetType = TypeTimestamp;
    private string? _javaPattern;
    private string? _format;
    private string _unixPrecision = "milliseconds";

    private protected TimestampConverter(RecordPart part) => _part = part;

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .Define(FieldConfig, ConfigType.String, "", Importance.High,
            "The field containing the timestamp, or empty if the entire value is a timestamp")
        .DefineRequired(TargetTypeConfig, ConfigType.String, Importance.High,
            "The desired timestamp representation: string, unix, Date, Time, or Timestamp", Validators.In(ValidTypes))
        .Define(FormatConfig, ConfigType.String, "", Importance.Medium,
            "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string.")
        .Define(UnixPrecisionConfig, ConfigType.String, "milliseconds", Importance.Low,
            "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix " +
            "or used to parse the input if the input is a Long.",
            Validators.In("nanoseconds", "microseconds", "milliseconds", "seconds"));

    /// <inheritdoc />
    /// <exception cref="ConfigException">the target type is unknown, a string target has no format, or the format is not a supported pattern.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs)
    {
        var values = Config.Parse(configs);
        _field = (string)values[FieldConfig]!;
        var type = (string)values[TargetTypeConfig]!;
        var pattern = (string?)values[FormatConfig] ?? "";
        _unixPrecision = ((string)values[UnixPrecisionConfig]!).ToLowerInvariant();
        if (!ValidTypes.Contains(type, StringComparer.Ordinal))
            throw new ConfigException($"Unknown timestamp type in TimestampConverter: {type}. Valid values are {string.Join(", ", ValidTypes)}.");
        if (type == TypeString && string.IsNullOrWhiteSpace(pattern))
            throw new ConfigException("TimestampConverter requires format option to be specified when using string timestamps");
        _targetType = type;
        _javaPattern = null;
        _format = null;
        if (!string.IsNullOrWhiteSpace(pattern))
        {
            try
            {
                _format = JavaFormats.DateFormatToDotNet(pattern);
                _ = DateTime.UnixEpoch.ToString(_format, CultureInfo.InvariantCulture);
            }
            catch (FormatException e)
            {
                throw new ConfigException($"TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern} ({e.Message})");
            }
            _javaPattern = pattern;
        }
    }

    /// <inheritdoc />
    /// <exception cref="DataException">the value is not of the kind its schema says, or text does not match the format.</exception>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        var schema = record.SchemaOf(_part);
        var raw = record.ValueOf(_part);
        if (schema == null)
        {
            if (raw == null || _field.Length == 0) return record.With(_part, null, ConvertTimestamp(raw, null));
            var map = Requirements.RequireMap(raw, Purpose);
            var updatedMap = SchemaUtil.CopyMap(map);
            updatedMap[_field] = ConvertTimestamp(map.TryGetValue(_field, out var v) ? v : null, null);
            return record.With(_part, null, updatedMap);
        }
        if (_field.Length == 0)
            return record.With(_part, TypeSchema(_targetType, schema.IsOptional), ConvertTimestamp(raw, TimestampTypeFromSchema(schema)));
        var value = Requirements.RequireStructOrNull(raw, Purpose);
        var updatedSchema = _schemaUpdateCache.GetOrAdd(schema, BuildUpdatedSchema);
        return record.With(_part, updatedSchema, ApplyValueWithSchema(value, updatedSchema));
    }

    private Schema BuildUpdatedSchema(Schema schema)
    {
        var builder = SchemaUtil.CopySchemaBasics(schema, SchemaBuilder.Struct());
        foreach (var field in schema.Fields)
            builder.Field(field.Name, field.Name == _field ? TypeSchema(_targetType, field.Schema.IsOptional) : field.Schema);
        if (schema.IsOptional) builder.Optional();
        if (schema.DefaultValue is Struct defaultValue)
        {
            var withoutDefault = builder.Build();
            builder.DefaultValue(ApplyValueWithSchema(defaultValue, withoutDefault));
            var rebuilt = builder.Build();
            return rebuilt;
        }
        return builder.Build();
    }

    private Struct? ApplyValueWithSchema(Struct? value, Schema updatedSchema)
    {
        if (value == null) return null;
        var updated = new Struct(updatedSchema);
        foreach (var field in value.Schema.Fields)
            updated.Put(field.Name, field.Name == _field ? ConvertTimestamp(value.Get(field), TimestampTypeFromSchema(field.Schema)) : value.Get(field));
        return updated;
    }

    private static Schema TypeSchema(string type, bool optional)
    {
        var builder = type switch
        {
            TypeString => SchemaBuilder.String(),
            TypeUnix => SchemaBuilder.Int64(),
            TypeDate => ConnectDate.Builder(),
            TypeTime => ConnectTime.Builder(),
            _ => ConnectTimestamp.Builder(),
        };
        return (optional ? builder.Optional() : builder).Build();
    }

    private static string TimestampTypeFromSchema(Schema schema) => schema.Name switch
    {
        ConnectTimestamp.LogicalName => TypeTimestamp,
        ConnectDate.LogicalName => TypeDate,
        ConnectTime.LogicalName => TypeTime,
        _ when schema.Type == SchemaType.String => TypeString,
        _ when schema.Type == SchemaType.Int64 => TypeUnix,
        _ => throw new ConnectException($"Schema {schema} does not correspond to a known timestamp type format"),
    };

    private static string InferTimestampType(object timestamp) => timestamp switch
    {
        DateTime => TypeTimestamp,
        long => TypeUnix,
        string => TypeString,
        _ => throw new DataException($"TimestampConverter does not support {timestamp.GetType()} objects as timestamps"),
    };

    private object? ConvertTimestamp(object? timestamp, string? sourceType)
    {
        if (timestamp == null) return null;
        var raw = ToRaw(sourceType ?? InferTimestampType(timestamp), timestamp);
        return ToType(raw);
    }

    private DateTime ToRaw(string type, object value)
    {
        switch (type)
        {
            case TypeString:
                if (value is not string text) throw new DataException($"Expected string timestamp to be a String, but found {value.GetType()}");
                if (_format == null) throw new DataException("TimestampConverter requires format option to be specified when using string timestamps");
                return DateTime.TryParseExact(text, _format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
                    ? parsed
                    : throw new DataException($"Could not parse timestamp: value ({text}) does not match pattern ({_javaPattern})");
            case TypeUnix:
                if (value is not long unix) throw new DataException($"Expected Unix timestamp to be a Long, but found {value.GetType()}");
                var millis = _unixPrecision switch
                {
                    "seconds" => unix * 1000,
                    "microseconds" => unix / 1000,
                    "nanoseconds" => unix / 1_000_000,
                    _ => unix,
                };
                return ConnectTimestamp.ToLogical(millis);
            default:
                if (value is not DateTime date) throw new DataException($"Expected {type} to be a DateTime, but found {value.GetType()}");
                return date.Kind switch
                {
                    DateTimeKind.Local => date.ToUniversalTime(),
                    DateTimeKind.Unspecified => DateTime.SpecifyKind(date, DateTimeKind.Utc),
                    _ => date,
                };
        }
    }

    private object ToType(DateTime raw)
    {
        switch (_targetType)
        {
            case TypeString:
                return raw.ToString(_format!, CultureInfo.InvariantCulture);
            case TypeUnix:
                var millis = ConnectTimestamp.FromLogical(raw);
                return _unixPrecision switch
                {
                    "seconds" => millis / 1000,
                    "microseconds" => millis * 1000,
                    "nanoseconds" => millis * 1_000_000,
                    _ => millis,
                };
            case TypeDate:
                return DateTime.SpecifyKind(raw.Date, DateTimeKind.Utc);
            case TypeTime:
                return DateTime.UnixEpoch.Add(TimeSpan.FromMilliseconds(Math.Floor(raw.TimeOfDay.TotalMilliseconds)));
            default:
                return raw;
        }
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Converts the record's key or one of its fields.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.TimestampConverter$Key")]
    public sealed class Key() : TimestampConverter(RecordPart.Key);

    /// <summary>Converts the record's value or one of its fields.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.TimestampConverter$Value")]
    public sealed class Value() : TimestampConverter(RecordPart.Value);
}
