using System.Collections;

namespace AkkaBroker.Connect.Data;

/// <summary>
/// The shape of a key or value in Kafka Connect's data model: a type, whether null is allowed, an optional default,
/// and for containers the schemas of their parts. Named schemas (<see cref="Name"/>) give logical types such as
/// <see cref="ConnectDecimal"/> their meaning. Immutable; build one with <see cref="SchemaBuilder"/>. Two schemas are equal
/// when every property is.
/// </summary>
public sealed class Schema : IEquatable<Schema>
{
    private readonly IReadOnlyList<Field>? _fields;
    private readonly Dictionary<string, Field>? _fieldsByName;

    internal Schema(SchemaType type, bool isOptional, object? defaultValue, string? name, int? version, string? doc,
        IReadOnlyDictionary<string, string>? parameters, IReadOnlyList<Field>? fields, Schema? keySchema, Schema? valueSchema)
    {
        Type = type;
        IsOptional = isOptional;
        DefaultValue = defaultValue;
        Name = name;
        Version = version;
        Doc = doc;
        Parameters = parameters ?? new Dictionary<string, string>();
        _fields = fields;
        if (fields != null) _fieldsByName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        KeySchema = keySchema;
        ValueSchema = valueSchema;
    }

    public static readonly Schema Int8 = SchemaBuilder.Int8().Build();
    public static readonly Schema Int16 = SchemaBuilder.Int16().Build();
    public static readonly Schema Int32 = SchemaBuilder.Int32().Build();
    public static readonly Schema Int64 = SchemaBuilder.Int64().Build();
    public static readonly Schema Float32 = SchemaBuilder.Float32().Build();
    public static readonly Schema Float64 = SchemaBuilder.Float64().Build();
    public static readonly Schema Boolean = SchemaBuilder.Bool().Build();
    public static readonly Schema String = SchemaBuilder.String().Build();
    public static readonly Schema Bytes = SchemaBuilder.Bytes().Build();
    public static readonly Schema OptionalInt8 = SchemaBuilder.Int8().Optional().Build();
    public static readonly Schema OptionalInt16 = SchemaBuilder.Int16().Optional().Build();
    public static readonly Schema OptionalInt32 = SchemaBuilder.Int32().Optional().Build();
    public static readonly Schema OptionalInt64 = SchemaBuilder.Int64().Optional().Build();
    public static readonly Schema OptionalFloat32 = SchemaBuilder.Float32().Optional().Build();
    public static readonly Schema OptionalFloat64 = SchemaBuilder.Float64().Optional().Build();
    public static readonly Schema OptionalBoolean = SchemaBuilder.Bool().Optional().Build();
    public static readonly Schema OptionalString = SchemaBuilder.String().Optional().Build();
    public static readonly Schema OptionalBytes = SchemaBuilder.Bytes().Optional().Build();

    /// <summary>The type of the values this schema describes.</summary>
    public SchemaType Type { get; }

    /// <summary>True when null is a valid value.</summary>
    public bool IsOptional { get; }

    /// <summary>The value used when none is given (for struct fields), or null.</summary>
    public object? DefaultValue { get; }

    /// <summary>The schema's name: a logical type (<c>org.apache.kafka.connect.data.Decimal</c>) or a record name.</summary>
    public string? Name { get; }

    /// <summary>The version of a named schema, or null.</summary>
    public int? Version { get; }

    /// <summary>Documentation of the schema, or null.</summary>
    public string? Doc { get; }

    /// <summary>Extra properties, such as a decimal's <c>scale</c>.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>The fields of a struct schema, in order.</summary>
    /// <exception cref="DataException">the schema is not a struct.</exception>
    public IReadOnlyList<Field> Fields => _fields ?? throw new DataException($"Cannot list fields of a {Type.Name()} schema: only struct schemas have fields.");

    /// <summary>The field named <paramref name="name"/> of a struct schema, or null when there is none.</summary>
    /// <exception cref="DataException">the schema is not a struct.</exception>
    public Field? Field(string name) =>
        _fieldsByName == null
            ? throw new DataException($"Cannot look up field '{name}' in a {Type.Name()} schema: only struct schemas have fields.")
            : _fieldsByName.GetValueOrDefault(name);

    /// <summary>The schema of a map's keys, or null for other types.</summary>
    public Schema? KeySchema { get; }

    /// <summary>The schema of an array's elements or a map's values, or null for other types.</summary>
    public Schema? ValueSchema { get; }

    /// <summary>
    /// Checks that <paramref name="value"/> fits <paramref name="schema"/>: null only where optional, the .NET type of
    /// the schema's type (or of its logical type), and the same for the parts of containers.
    /// </summary>
    /// <exception cref="DataException">the value does not fit; the message names the field and both types.</exception>
    public static void Validate(Schema schema, object? value, string? field = null)
    {
        var where = field == null ? "" : $" for field '{field}'";
        if (value == null)
        {
            if (schema.IsOptional || schema.DefaultValue != null) return;
            throw new DataException($"Invalid value: null used for required {schema.Type.Name()} schema{where}.");
        }
        var logical = LogicalTypes.ClrType(schema.Name);
        if (logical != null)
        {
            if (!logical.IsInstanceOfType(value))
                throw new DataException($"Invalid value{where}: {schema.Name} expects a {logical.Name}, got {value.GetType().Name}.");
            return;
        }
        var ok = schema.Type switch
        {
            SchemaType.Int8 => value is sbyte,
            SchemaType.Int16 => value is short,
            SchemaType.Int32 => value is int,
            SchemaType.Int64 => value is long,
            SchemaType.Float32 => value is float,
            SchemaType.Float64 => value is double,
            SchemaType.Boolean => value is bool,
            SchemaType.String => value is string,
            SchemaType.Bytes => value is byte[] or ReadOnlyMemory<byte>,
            SchemaType.Array => value is IList,
            SchemaType.Map => value is IDictionary,
            SchemaType.Struct => value is Struct,
            _ => false,
        };
        if (!ok) throw new DataException($"Invalid value{where}: a {schema.Type.Name()} schema does not take a {value.GetType().Name}.");
        switch (schema.Type)
        {
            case SchemaType.Struct:
                var s = (Struct)value;
                if (!s.Schema.Equals(schema))
                    throw new DataException($"Invalid value{where}: the struct's schema does not match the field's schema.");
                s.Validate();
                break;
            case SchemaType.Array:
                foreach (var element in (IList)value) Validate(schema.ValueSchema!, element, field);
                break;
            case SchemaType.Map:
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    Validate(schema.KeySchema!, entry.Key, field);
                    Validate(schema.ValueSchema!, entry.Value, field);
                }
                break;
        }
    }

    /// <inheritdoc />
    public bool Equals(Schema? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            Type == other.Type && IsOptional == other.IsOptional && Equals(DefaultValue, other.DefaultValue) && Name == other.Name
            && Version == other.Version && Doc == other.Doc
            && Parameters.Count == other.Parameters.Count && Parameters.All(p => other.Parameters.TryGetValue(p.Key, out var v) && v == p.Value)
            && (_fields == null ? other._fields == null : other._fields != null && _fields.SequenceEqual(other._fields))
            && Equals(KeySchema, other.KeySchema) && Equals(ValueSchema, other.ValueSchema));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Schema);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, IsOptional, Name, _fields?.Count ?? -1);

    /// <inheritdoc />
    public override string ToString() => Name != null ? $"Schema{{{Name}:{Type.Name().ToUpperInvariant()}}}" : $"Schema{{{Type.Name().ToUpperInvariant()}}}";
}
