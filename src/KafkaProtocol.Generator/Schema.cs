using System.Text.Json;

namespace AkkaBroker.KafkaProtocol.Generator;

/// <summary>The kinds of value a schema field can hold.</summary>
public enum FieldKind { Bool, Int8, Int16, UInt16, Int32, UInt32, Int64, Float64, String, Bytes, Records, Uuid, Array, Struct }

/// <summary>A field's type: a primitive, an array of a type, or a struct named by the schema.</summary>
public sealed record FieldType(FieldKind Kind, FieldType? Element = null, string? StructName = null)
{
    /// <summary>Parses a schema type name such as "int32", "[]string" or "[]MetadataResponseTopic".</summary>
    public static FieldType Parse(string name) => name switch
    {
        "bool" => new(FieldKind.Bool),
        "int8" => new(FieldKind.Int8),
        "int16" => new(FieldKind.Int16),
        "uint16" => new(FieldKind.UInt16),
        "int32" => new(FieldKind.Int32),
        "uint32" => new(FieldKind.UInt32),
        "int64" => new(FieldKind.Int64),
        "float64" => new(FieldKind.Float64),
        "string" => new(FieldKind.String),
        "bytes" => new(FieldKind.Bytes),
        "records" => new(FieldKind.Records),
        "uuid" => new(FieldKind.Uuid),
        _ when name.StartsWith("[]", StringComparison.Ordinal) => new(FieldKind.Array, Parse(name[2..])),
        _ when name.Length > 0 && char.IsUpper(name[0]) => new(FieldKind.Struct, StructName: name),
        _ => throw new FormatException($"unknown field type '{name}'"),
    };
}

/// <summary>One field of a message or struct as the schema declares it.</summary>
public sealed record FieldSpec(
    string Name,
    FieldType Type,
    Versions Versions,
    Versions NullableVersions,
    Versions? FlexibleVersions,
    int? Tag,
    Versions TaggedVersions,
    string? Default,
    bool Ignorable,
    string? About,
    IReadOnlyList<FieldSpec>? Fields)
{
    /// <summary>The struct's name when this field is a struct or an array of structs.</summary>
    public string? StructName => Type.Kind == FieldKind.Struct ? Type.StructName : Type.Element?.StructName;
}

/// <summary>A struct: the message itself, a struct declared inline by a field, or a common struct.</summary>
public sealed record StructSpec(string Name, IReadOnlyList<FieldSpec> Fields, string? About);

/// <summary>One schema file: a request, a response or a header.</summary>
public sealed record MessageSpec(
    string FileName,
    string Name,
    string Type,
    short? ApiKey,
    Versions ValidVersions,
    Versions FlexibleVersions,
    IReadOnlyList<FieldSpec> Fields,
    IReadOnlyList<StructSpec> CommonStructs)
{
    /// <summary>The C# class name, as Kafka's Java generator names it.</summary>
    public string ClassName => Name + "Data";
}

/// <summary>Reads Kafka's message JSON (with its // comments) into <see cref="MessageSpec"/>s.</summary>
public static class SchemaLoader
{
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Parses one schema file's text.</summary>
    /// <exception cref="FormatException">a required property is missing or malformed.</exception>
    public static MessageSpec Parse(string fileName, string json)
    {
        using var doc = JsonDocument.Parse(json, Options);
        var root = doc.RootElement;
        var name = Required(root, "name", fileName);
        try
        {
            short? apiKey = root.TryGetProperty("apiKey", out var k) ? k.GetInt16() : null;
            var common = root.TryGetProperty("commonStructs", out var cs)
                ? cs.EnumerateArray().Select(s => new StructSpec(Required(s, "name", fileName), ParseFields(s), Optional(s, "about"))).ToList()
                : new List<StructSpec>();
            return new MessageSpec(
                fileName,
                name,
                Required(root, "type", fileName),
                apiKey,
                Versions.Parse(Required(root, "validVersions", fileName)),
                Versions.Parse(Optional(root, "flexibleVersions") ?? "none"),
                ParseFields(root),
                common);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new FormatException($"{fileName}: {e.Message}", e);
        }
    }

    private static List<FieldSpec> ParseFields(JsonElement owner) =>
        owner.TryGetProperty("fields", out var fields)
            ? fields.EnumerateArray().Select(ParseField).ToList()
            : new List<FieldSpec>();

    private static FieldSpec ParseField(JsonElement f)
    {
        var name = Required(f, "name", "field");
        var versions = Versions.Parse(Required(f, "versions", name));
        int? tag = f.TryGetProperty("tag", out var t) ? t.GetInt32() : null;
        var taggedVersions = Optional(f, "taggedVersions") is { } tv ? Versions.Parse(tv) : Versions.None;
        if (tag is not null && taggedVersions != versions)
            throw new FormatException($"field {name}: a tagged field must be tagged in all its versions ({versions} vs {taggedVersions})");
        string? def = null;
        if (f.TryGetProperty("default", out var d))
            def = d.ValueKind switch
            {
                JsonValueKind.String => d.GetString(),
                JsonValueKind.Number => d.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => throw new FormatException($"field {name}: default must be a string, number or boolean"),
            };
        var nested = f.TryGetProperty("fields", out _) ? ParseFields(f) : null;
        return new FieldSpec(
            name,
            FieldType.Parse(Required(f, "type", name)),
            versions,
            Optional(f, "nullableVersions") is { } nv ? Versions.Parse(nv) : Versions.None,
            Optional(f, "flexibleVersions") is { } fv ? Versions.Parse(fv) : null,
            tag,
            taggedVersions,
            def,
            f.TryGetProperty("ignorable", out var ig) && ig.GetBoolean(),
            Optional(f, "about"),
            nested);
    }

    private static string Required(JsonElement e, string property, string owner) =>
        e.TryGetProperty(property, out var p) && p.GetString() is { } s
            ? s
            : throw new FormatException($"{owner}: missing \"{property}\"");

    private static string? Optional(JsonElement e, string property) =>
        e.TryGetProperty(property, out var p) ? p.GetString() : null;
}
