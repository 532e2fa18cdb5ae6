using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Internal;

namespace AkkaBroker.Connect.Json;

/// <summary>
/// Keys or values as JSON (Kafka Connect's <c>JsonConverter</c>), byte for byte compatible with Kafka's. With
/// <c>schemas.enable=true</c> (the default) each record is an envelope <c>{"schema":{...},"payload":...}</c> carrying its
/// schema in Kafka's JSON form (types <c>int8</c>..<c>int64</c>, <c>float</c>, <c>double</c>, <c>boolean</c>,
/// <c>string</c>, <c>bytes</c>, <c>array</c>, <c>map</c>, <c>struct</c>; <c>optional</c>, <c>name</c>,
/// <c>version</c>, <c>doc</c>, <c>parameters</c>, <c>default</c>, <c>fields</c>/<c>field</c>, <c>items</c>,
/// <c>keys</c>/<c>values</c>). Bytes are base64 text, decimals base64 or numbers (<c>decimal.format</c>), dates, times
/// and timestamps their integers, and maps whose keys are not strings arrays of <c>[key, value]</c> pairs. With
/// <c>schemas.enable=false</c> plain JSON is written and read without a schema: objects become
/// <c>Dictionary&lt;string, object?&gt;</c>, arrays <c>List&lt;object?&gt;</c>, integers <see cref="long"/>, other
/// numbers <see cref="double"/>. An instance is used by one task at a time; its schema caches are thread-safe.
/// </summary>
[PluginAlias("org.apache.kafka.connect.json.JsonConverter")]
public sealed class JsonConverter : IConverter
{
    /// <summary>Whether records carry their schema in an envelope.</summary>
    public const string SchemasEnableConfig = "schemas.enable";

    /// <summary>How many schemas are kept converted in each direction.</summary>
    public const string SchemasCacheSizeConfig = "schemas.cache.size";

    /// <summary>How decimals are written: <c>BASE64</c> (the unscaled value's bytes) or <c>NUMERIC</c> (a JSON number).</summary>
    public const string DecimalFormatConfig = "decimal.format";

    /// <summary>Whether a null for a field with a default is written and read as the default.</summary>
    public const string ReplaceNullWithDefaultConfig = "replace.null.with.default";

    private const string EnvelopeSchema = "schema";
    private const string EnvelopePayload = "payload";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private bool _schemasEnabled = true;
    private bool _numericDecimals;
    private bool _replaceNullWithDefault = true;
    private int _cacheSize = 1000;
    private readonly Dictionary<Schema, byte[]> _fromConnectSchemaCache = new();
    private readonly Dictionary<string, Schema> _toConnectSchemaCache = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .Define(SchemasEnableConfig, ConfigType.Boolean, true, Importance.High,
            "Include schemas within each of the serialized values and keys.")
        .Define(SchemasCacheSizeConfig, ConfigType.Int, 1000, Importance.High,
            "The maximum number of schemas that can be cached in this converter instance.", Validators.AtLeast(0))
        .Define(DecimalFormatConfig, ConfigType.String, "BASE64", Importance.Low,
            "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            Validators.In("BASE64", "NUMERIC"))
        .Define(ReplaceNullWithDefaultConfig, ConfigType.Boolean, true, Importance.Low,
            "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.");

    /// <summary>True when records carry their schema (<c>schemas.enable</c>).</summary>
    public bool SchemasEnabled => _schemasEnabled;

    /// <inheritdoc />
    public void Configure(IReadOnlyDictionary<string, string> configs, bool isKey)
    {
        var values = Config.Parse(configs);
        _schemasEnabled = (bool)values[SchemasEnableConfig]!;
        _cacheSize = (int)values[SchemasCacheSizeConfig]!;
        _numericDecimals = ((string)values[DecimalFormatConfig]!).Equals("NUMERIC", StringComparison.OrdinalIgnoreCase);
        _replaceNullWithDefault = (bool)values[ReplaceNullWithDefaultConfig]!;
        lock (_fromConnectSchemaCache) _fromConnectSchemaCache.Clear();
        lock (_toConnectSchemaCache) _toConnectSchemaCache.Clear();
    }

    /// <summary>
    /// The JSON for <paramref name="value"/>: in an envelope with the schema's JSON when schemas are enabled (a null
    /// schema is written as <c>"schema":null</c>), plain otherwise. Null schema and null value give null bytes.
    /// </summary>
    /// <exception cref="DataException">the value does not fit the schema, or a schemaless value has no JSON form.</exception>
    public byte[]? FromConnectData(string topic, Schema? schema, object? value)
    {
        if (schema == null && value == null) return null;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (_schemasEnabled)
            {
                writer.WriteStartObject();
                writer.WritePropertyName(EnvelopeSchema);
                if (schema == null) writer.WriteNullValue();
                else writer.WriteRawValue(SchemaJson(schema), skipInputValidation: true);
                writer.WritePropertyName(EnvelopePayload);
                WriteValue(writer, schema, value);
                writer.WriteEndObject();
            }
            else
            {
                WriteValue(writer, schema, value);
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The schema and value of JSON bytes. With schemas enabled the bytes must be an envelope with exactly
    /// <c>schema</c> and <c>payload</c>; without, any JSON is read schemaless. Null or empty bytes give
    /// <see cref="SchemaAndValue.Null"/>.
    /// </summary>
    /// <exception cref="DataException">the bytes are not JSON, the envelope is missing, the schema is malformed or the payload does not fit it.</exception>
    public SchemaAndValue ToConnectData(string topic, byte[]? value)
    {
        if (value == null || value.Length == 0) return SchemaAndValue.Null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(value);
        }
        catch (JsonException e)
        {
            throw new DataException("Converting byte[] to Kafka Connect data failed due to serialization error: " + e.Message, e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (!_schemasEnabled) return new SchemaAndValue(null, ToConnect(null, root));
            if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Count() != 2
                || !root.TryGetProperty(EnvelopeSchema, out var schemaJson) || !root.TryGetProperty(EnvelopePayload, out var payload))
                throw new DataException("JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields." +
                    " If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.");
            var schema = AsConnectSchema(schemaJson);
            return new SchemaAndValue(schema, ToConnect(schema, payload));
        }
    }

    /// <summary>Kafka's JSON form of <paramref name="schema"/>, as written in the envelope.</summary>
    public byte[] SchemaJson(Schema schema)
    {
        lock (_fromConnectSchemaCache)
        {
            if (_fromConnectSchemaCache.TryGetValue(schema, out var cached)) return cached;
        }
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) WriteSchema(writer, schema, null);
        var json = buffer.WrittenSpan.ToArray();
        lock (_fromConnectSchemaCache)
        {
            if (_fromConnectSchemaCache.Count >= _cacheSize) _fromConnectSchemaCache.Clear();
            if (_cacheSize > 0) _fromConnectSchemaCache[schema] = json;
        }
        return json;
    }

    /// <summary>The schema that Kafka's JSON form <paramref name="json"/> describes, or null for JSON null.</summary>
    /// <exception cref="DataException">the JSON is not a valid schema; the message says what is wrong.</exception>
    public Schema? AsConnectSchema(JsonElement json)
    {
        if (json.ValueKind == JsonValueKind.Null) return null;
        var key = json.GetRawText();
        lock (_toConnectSchemaCache)
        {
            if (_toConnectSchemaCache.TryGetValue(key, out var cached)) return cached;
        }
        var schema = ParseSchema(json);
        lock (_toConnectSchemaCache)
        {
            if (_toConnectSchemaCache.Count >= _cacheSize) _toConnectSchemaCache.Clear();
            if (_cacheSize > 0) _toConnectSchemaCache[key] = schema;
        }
        return schema;
    }

    private static string JsonTypeName(SchemaType type) => type switch
    {
        SchemaType.Float32 => "float",
        SchemaType.Float64 => "double",
        _ => type.Name(),
    };

    private static string JavaTypeName(SchemaType type) => type.ToString().ToUpperInvariant();

    private static string NodeType(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => "BOOLEAN",
        JsonValueKind.Undefined => "MISSING",
        var other => other.ToString().ToUpperInvariant(),
    };

    private void WriteSchema(Utf8JsonWriter writer, Schema schema, string? fieldName)
    {
        writer.WriteStartObject();
        writer.WriteString("type", JsonTypeName(schema.Type));
        switch (schema.Type)
        {
            case SchemaType.Array:
                writer.WritePropertyName("items");
                WriteSchema(writer, schema.ValueSchema!, null);
                break;
            case SchemaType.Map:
                writer.WritePropertyName("keys");
                WriteSchema(writer, schema.KeySchema!, null);
                writer.WritePropertyName("values");
                WriteSchema(writer, schema.ValueSchema!, null);
                break;
            case SchemaType.Struct:
                writer.WriteStartArray("fields");
                foreach (var field in schema.Fields) WriteSchema(writer, field.Schema, field.Name);
                writer.WriteEndArray();
                break;
        }
        writer.WriteBoolean("optional", schema.IsOptional);
        if (schema.Name != null) writer.WriteString("name", schema.Name);
        if (schema.Version != null) writer.WriteNumber("version", schema.Version.Value);
        if (schema.Doc != null) writer.WriteString("doc", schema.Doc);
        if (schema.Parameters.Count > 0)
        {
            writer.WriteStartObject("parameters");
            foreach (var (key, value) in schema.Parameters) writer.WriteString(key, value);
            writer.WriteEndObject();
        }
        if (schema.DefaultValue != null)
        {
            writer.WritePropertyName("default");
            WriteValue(writer, schema, schema.DefaultValue);
        }
        if (fieldName != null) writer.WriteString("field", fieldName);
        writer.WriteEndObject();
    }

    private void WriteValue(Utf8JsonWriter writer, Schema? schema, object? value)
    {
        if (value == null)
        {
            if (schema == null) writer.WriteNullValue();
            else if (schema.DefaultValue != null && _replaceNullWithDefault) WriteValue(writer, schema, schema.DefaultValue);
            else if (schema.IsOptional) writer.WriteNullValue();
            else throw new DataException("Conversion error: null value for field that is required and has no default value");
            return;
        }
        switch (schema?.Name)
        {
            case ConnectDecimal.LogicalName:
                if (value is not decimal d) throw new DataException($"Invalid type for Decimal, expected decimal but was {value.GetType()}");
                var unscaled = ConnectDecimal.FromLogical(schema, d);
                if (_numericDecimals) writer.WriteRawValue(d.ToString("F" + ConnectDecimal.Scale(schema), CultureInfo.InvariantCulture), skipInputValidation: true);
                else writer.WriteBase64StringValue(unscaled);
                return;
            case ConnectDate.LogicalName:
                writer.WriteNumberValue(ConnectDate.FromLogical(value as DateTime? ?? throw new DataException($"Invalid type for Date, expected Date but was {value.GetType()}")));
                return;
            case ConnectTime.LogicalName:
                writer.WriteNumberValue(ConnectTime.FromLogical(value as DateTime? ?? throw new DataException($"Invalid type for Time, expected Date but was {value.GetType()}")));
                return;
            case ConnectTimestamp.LogicalName:
                writer.WriteNumberValue(ConnectTimestamp.FromLogical(value as DateTime? ?? throw new DataException($"Invalid type for Timestamp, expected Date but was {value.GetType()}")));
                return;
        }
        var type = schema?.Type ?? InferType(value);
        DataException Invalid() => new($"Invalid type for {JavaTypeName(type)}: {value.GetType()}");
        switch (type)
        {
            case SchemaType.Int8: writer.WriteNumberValue(value as sbyte? ?? throw Invalid()); break;
            case SchemaType.Int16: writer.WriteNumberValue(value as short? ?? throw Invalid()); break;
            case SchemaType.Int32: writer.WriteNumberValue(value as int? ?? throw Invalid()); break;
            case SchemaType.Int64: writer.WriteNumberValue(value as long? ?? throw Invalid()); break;
            case SchemaType.Float32:
                var f = value as float? ?? throw Invalid();
                if (float.IsFinite(f)) writer.WriteRawValue(JavaFormats.FloatToString(f), skipInputValidation: true);
                else writer.WriteStringValue(JavaFormats.FloatToString(f)); // Jackson quotes non-numeric numbers
                break;
            case SchemaType.Float64:
                var x = value as double? ?? throw Invalid();
                if (double.IsFinite(x)) writer.WriteRawValue(JavaFormats.DoubleToString(x), skipInputValidation: true);
                else writer.WriteStringValue(JavaFormats.DoubleToString(x));
                break;
            case SchemaType.Boolean: writer.WriteBooleanValue(value as bool? ?? throw Invalid()); break;
            case SchemaType.String: writer.WriteStringValue(value as string ?? throw Invalid()); break;
            case SchemaType.Bytes:
                if (value is byte[] bytes) writer.WriteBase64StringValue(bytes);
                else if (value is ReadOnlyMemory<byte> memory) writer.WriteBase64StringValue(memory.Span);
                else throw Invalid();
                break;
            case SchemaType.Array:
                if (value is not IList list || value is byte[]) throw Invalid();
                writer.WriteStartArray();
                foreach (var element in list) WriteValue(writer, schema?.ValueSchema, element);
                writer.WriteEndArray();
                break;
            case SchemaType.Map:
                if (value is not IDictionary map) throw Invalid();
                WriteMap(writer, schema, map);
                break;
            case SchemaType.Struct:
                if (value is not Struct s) throw Invalid();
                if (!s.Schema.Equals(schema)) throw new DataException("Mismatching schema.");
                writer.WriteStartObject();
                foreach (var field in s.Schema.Fields)
                {
                    writer.WritePropertyName(field.Name);
                    WriteValue(writer, field.Schema, s.Get(field));
                }
                writer.WriteEndObject();
                break;
        }
    }

    private void WriteMap(Utf8JsonWriter writer, Schema? schema, IDictionary map)
    {
        var objectMode = true;
        if (schema == null)
        {
            foreach (var key in map.Keys)
                if (key is not string) { objectMode = false; break; }
        }
        else objectMode = schema.KeySchema!.Type == SchemaType.String;
        if (objectMode)
        {
            writer.WriteStartObject();
            foreach (DictionaryEntry entry in map)
            {
                writer.WritePropertyName(entry.Key as string ?? throw new DataException($"Invalid type for STRING: {entry.Key.GetType()}"));
                WriteValue(writer, schema?.ValueSchema, entry.Value);
            }
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteStartArray();
            foreach (DictionaryEntry entry in map)
            {
                writer.WriteStartArray();
                WriteValue(writer, schema?.KeySchema, entry.Key);
                WriteValue(writer, schema?.ValueSchema, entry.Value);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
    }

    private static SchemaType InferType(object value) => SchemaTypeNames.Of(value) ?? throw new DataException($"Couldn't convert {value} to JSON.");

    private Schema ParseSchema(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("type", out var typeNode) || typeNode.ValueKind != JsonValueKind.String)
            throw new DataException("Schema must contain 'type' field");
        SchemaBuilder builder;
        switch (typeNode.GetString())
        {
            case "boolean": builder = SchemaBuilder.Bool(); break;
            case "int8": builder = SchemaBuilder.Int8(); break;
            case "int16": builder = SchemaBuilder.Int16(); break;
            case "int32": builder = SchemaBuilder.Int32(); break;
            case "int64": builder = SchemaBuilder.Int64(); break;
            case "float": builder = SchemaBuilder.Float32(); break;
            case "double": builder = SchemaBuilder.Float64(); break;
            case "bytes": builder = SchemaBuilder.Bytes(); break;
            case "string": builder = SchemaBuilder.String(); break;
            case "array":
                if (!json.TryGetProperty("items", out var items) || items.ValueKind == JsonValueKind.Null)
                    throw new DataException("Array schema did not specify the element type");
                builder = SchemaBuilder.Array(AsConnectSchema(items)!);
                break;
            case "map":
                if (!json.TryGetProperty("keys", out var keys) || keys.ValueKind == JsonValueKind.Null)
                    throw new DataException("Map schema did not specify the key type");
                if (!json.TryGetProperty("values", out var values) || values.ValueKind == JsonValueKind.Null)
                    throw new DataException("Map schema did not specify the value type");
                builder = SchemaBuilder.Map(AsConnectSchema(keys)!, AsConnectSchema(values)!);
                break;
            case "struct":
                builder = SchemaBuilder.Struct();
                if (!json.TryGetProperty("fields", out var fields) || fields.ValueKind != JsonValueKind.Array)
                    throw new DataException("Struct schema's \"fields\" argument is not an array.");
                foreach (var field in fields.EnumerateArray())
                {
                    if (field.ValueKind != JsonValueKind.Object || !field.TryGetProperty("field", out var name) || name.ValueKind != JsonValueKind.String)
                        throw new DataException("Struct schema's field name not specified properly");
                    builder.Field(name.GetString()!, AsConnectSchema(field)!);
                }
                break;
            default:
                throw new DataException("Unknown schema type: " + typeNode.GetString());
        }
        if (json.TryGetProperty("optional", out var optional) && optional.ValueKind == JsonValueKind.True) builder.Optional();
        else builder.Required();
        if (json.TryGetProperty("name", out var schemaName) && schemaName.ValueKind == JsonValueKind.String) builder.Name(schemaName.GetString());
        if (json.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.Number && version.TryGetInt32(out var v)) builder.Version(v);
        if (json.TryGetProperty("doc", out var doc) && doc.ValueKind == JsonValueKind.String) builder.Doc(doc.GetString());
        if (json.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
            foreach (var parameter in parameters.EnumerateObject())
            {
                if (parameter.Value.ValueKind != JsonValueKind.String) throw new DataException("Schema parameters must have string values.");
                builder.Parameter(parameter.Name, parameter.Value.GetString()!);
            }
        if (json.TryGetProperty("default", out var defaultValue) && defaultValue.ValueKind != JsonValueKind.Null)
            builder.DefaultValue(ToConnect(builder.Build(), defaultValue));
        return builder.Build();
    }

    private object? ToConnect(Schema? schema, JsonElement value)
    {
        SchemaType type;
        if (schema != null)
        {
            if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            {
                if (schema.DefaultValue != null && _replaceNullWithDefault) return schema.DefaultValue;
                if (schema.IsOptional) return null;
                throw new DataException($"Invalid null value for required {JavaTypeName(schema.Type)} field");
            }
            type = schema.Type;
        }
        else
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Null or JsonValueKind.Undefined: return null;
                case JsonValueKind.True or JsonValueKind.False: type = SchemaType.Boolean; break;
                case JsonValueKind.Number: type = IsIntegral(value) ? SchemaType.Int64 : SchemaType.Float64; break;
                case JsonValueKind.Array: type = SchemaType.Array; break;
                case JsonValueKind.Object: type = SchemaType.Map; break;
                default: type = SchemaType.String; break;
            }
        }
        switch (schema?.Name)
        {
            case ConnectDecimal.LogicalName:
                if (value.ValueKind == JsonValueKind.Number)
                    return value.TryGetDecimal(out var number) ? number : throw new DataException($"Decimal value {value.GetRawText()} is out of range for a .NET decimal");
                if (value.ValueKind == JsonValueKind.String)
                {
                    try
                    {
                        return ConnectDecimal.ToLogical(schema, value.GetBytesFromBase64());
                    }
                    catch (Exception e) when (e is FormatException or OverflowException)
                    {
                        throw new DataException("Invalid bytes for Decimal field", e);
                    }
                }
                throw new DataException("Invalid type for Decimal, underlying representation should be numeric or bytes but was " + NodeType(value.ValueKind));
            case ConnectDate.LogicalName:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var days)
                    ? ConnectDate.ToLogical(days)
                    : throw new DataException("Invalid type for Date, underlying representation should be integer but was " + NodeType(value.ValueKind));
            case ConnectTime.LogicalName:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var millis)
                    ? ConnectTime.ToLogical(millis)
                    : throw new DataException("Invalid type for Time, underlying representation should be integer but was " + NodeType(value.ValueKind));
            case ConnectTimestamp.LogicalName:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var instant)
                    ? ConnectTimestamp.ToLogical(instant)
                    : throw new DataException("Invalid type for Timestamp, underlying representation should be integral but was " + NodeType(value.ValueKind));
        }
        DataException Invalid() => new($"Invalid value for {JavaTypeName(type)} field: found JSON {NodeType(value.ValueKind)} {value.GetRawText()}");
        switch (type)
        {
            case SchemaType.Boolean:
                return value.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Invalid() };
            case SchemaType.Int8:
                return value.ValueKind == JsonValueKind.Number && value.TryGetSByte(out var i8) ? i8 : throw Invalid();
            case SchemaType.Int16:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt16(out var i16) ? i16 : throw Invalid();
            case SchemaType.Int32:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i32) ? i32 : throw Invalid();
            case SchemaType.Int64:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var i64) ? i64 : throw Invalid();
            case SchemaType.Float32:
                if (value.ValueKind == JsonValueKind.Number && value.TryGetSingle(out var f)) return f;
                return NonFinite(value) is { } nf ? (float)nf : throw Invalid();
            case SchemaType.Float64:
                if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d)) return d;
                return NonFinite(value) ?? throw Invalid();
            case SchemaType.String:
                return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Invalid();
            case SchemaType.Bytes:
                return value.ValueKind == JsonValueKind.String && value.TryGetBytesFromBase64(out var bytes) ? bytes : throw Invalid();
            case SchemaType.Array:
                if (value.ValueKind != JsonValueKind.Array) throw Invalid();
                var list = new List<object?>(value.GetArrayLength());
                foreach (var element in value.EnumerateArray()) list.Add(ToConnect(schema?.ValueSchema, element));
                return list;
            case SchemaType.Map:
                return ToConnectMap(schema, value);
            case SchemaType.Struct:
                if (value.ValueKind != JsonValueKind.Object) throw new DataException("Structs should be encoded as JSON objects, but found " + NodeType(value.ValueKind));
                var result = new Struct(schema!);
                foreach (var field in schema!.Fields)
                    result.Put(field, ToConnect(field.Schema, value.TryGetProperty(field.Name, out var fieldValue) ? fieldValue : default));
                return result;
            default:
                throw new DataException("Unknown schema type: " + type);
        }
    }

    private object ToConnectMap(Schema? schema, JsonElement value)
    {
        if (schema == null)
        {
            if (value.ValueKind != JsonValueKind.Object) throw new DataException("Maps with string fields should be encoded as JSON objects, but found " + NodeType(value.ValueKind));
            var schemaless = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var property in value.EnumerateObject()) schemaless[property.Name] = ToConnect(null, property.Value);
            return schemaless;
        }
        var map = new Dictionary<object, object?>();
        if (schema.KeySchema!.Type == SchemaType.String)
        {
            if (value.ValueKind != JsonValueKind.Object) throw new DataException("Maps with string fields should be encoded as JSON objects, but found " + NodeType(value.ValueKind));
            foreach (var property in value.EnumerateObject()) map[property.Name] = ToConnect(schema.ValueSchema, property.Value);
            return map;
        }
        if (value.ValueKind != JsonValueKind.Array) throw new DataException("Maps with non-string fields should be encoded as JSON array of tuples, but found " + NodeType(value.ValueKind));
        foreach (var entry in value.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Array) throw new DataException("Found invalid map entry instead of array tuple: " + NodeType(entry.ValueKind));
            if (entry.GetArrayLength() != 2) throw new DataException("Found invalid map entry, expected length 2 but found :" + entry.GetArrayLength());
            var key = ToConnect(schema.KeySchema, entry[0]) ?? throw new DataException("Found a null map key; .NET maps cannot hold one.");
            map[key] = ToConnect(schema.ValueSchema, entry[1]);
        }
        return map;
    }

    private static bool IsIntegral(JsonElement number)
    {
        var raw = number.GetRawText();
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0) return false;
        return number.TryGetInt64(out _) ? true : throw new DataException($"Integer {raw} is out of range for INT64");
    }

    private static double? NonFinite(JsonElement value) => value.ValueKind != JsonValueKind.String ? null : value.GetString() switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => null,
    };
}
