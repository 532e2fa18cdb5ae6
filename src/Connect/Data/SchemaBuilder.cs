namespace AkkaBroker.Connect.Data;

/// <summary>
/// Builds a <see cref="Schema"/> step by step (Kafka Connect's <c>SchemaBuilder</c>):
/// <c>SchemaBuilder.Struct().Name("user").Field("id", Schema.Int64).Field("email", Schema.OptionalString).Build()</c>.
/// </summary>
public sealed class SchemaBuilder
{
    private readonly SchemaType _type;
    private bool _optional;
    private object? _default;
    private string? _name;
    private int? _version;
    private string? _doc;
    private Dictionary<string, string>? _parameters;
    private readonly List<Field>? _fields;
    private readonly Schema? _keySchema;
    private readonly Schema? _valueSchema;

    private SchemaBuilder(SchemaType type, Schema? keySchema = null, Schema? valueSchema = null)
    {
        _type = type;
        if (type == SchemaType.Struct) _fields = [];
        _keySchema = keySchema;
        _valueSchema = valueSchema;
    }

    /// <summary>A builder for <paramref name="type"/> (not Array or Map, which need their parts).</summary>
    /// <exception cref="DataException"><paramref name="type"/> is Array or Map.</exception>
    public static SchemaBuilder Type(SchemaType type) =>
        type is SchemaType.Array or SchemaType.Map
            ? throw new DataException($"Use SchemaBuilder.Array or SchemaBuilder.Map for a {type.Name()} schema: it needs the schemas of its parts.")
            : new SchemaBuilder(type);

    public static SchemaBuilder Int8() => new(SchemaType.Int8);
    public static SchemaBuilder Int16() => new(SchemaType.Int16);
    public static SchemaBuilder Int32() => new(SchemaType.Int32);
    public static SchemaBuilder Int64() => new(SchemaType.Int64);
    public static SchemaBuilder Float32() => new(SchemaType.Float32);
    public static SchemaBuilder Float64() => new(SchemaType.Float64);
    public static SchemaBuilder Bool() => new(SchemaType.Boolean);
    public static SchemaBuilder String() => new(SchemaType.String);
    public static SchemaBuilder Bytes() => new(SchemaType.Bytes);
    public static SchemaBuilder Struct() => new(SchemaType.Struct);

    /// <summary>An array whose elements have <paramref name="valueSchema"/>.</summary>
    public static SchemaBuilder Array(Schema valueSchema) => new(SchemaType.Array, valueSchema: valueSchema);

    /// <summary>A map from <paramref name="keySchema"/> to <paramref name="valueSchema"/>.</summary>
    public static SchemaBuilder Map(Schema keySchema, Schema valueSchema) => new(SchemaType.Map, keySchema, valueSchema);

    /// <summary>A builder that starts as a copy of <paramref name="schema"/> (fields included).</summary>
    public static SchemaBuilder From(Schema schema)
    {
        var builder = new SchemaBuilder(schema.Type, schema.KeySchema, schema.ValueSchema)
        {
            _optional = schema.IsOptional, _default = schema.DefaultValue, _name = schema.Name, _version = schema.Version, _doc = schema.Doc,
            _parameters = schema.Parameters.Count == 0 ? null : new Dictionary<string, string>(schema.Parameters),
        };
        if (schema.Type == SchemaType.Struct)
            foreach (var field in schema.Fields) builder.Field(field.Name, field.Schema);
        return builder;
    }

    /// <summary>The type being built.</summary>
    public SchemaType SchemaType => _type;

    /// <summary>Null is allowed.</summary>
    public SchemaBuilder Optional() { _optional = true; return this; }

    /// <summary>Null is not allowed (the default).</summary>
    public SchemaBuilder Required() { _optional = false; return this; }

    /// <summary>The value used where none is given.</summary>
    public SchemaBuilder DefaultValue(object? value) { _default = value; return this; }

    /// <summary>The schema's name (a logical type's or a record's).</summary>
    public SchemaBuilder Name(string? name) { _name = name; return this; }

    /// <summary>The version of a named schema.</summary>
    public SchemaBuilder Version(int? version) { _version = version; return this; }

    /// <summary>Documentation.</summary>
    public SchemaBuilder Doc(string? doc) { _doc = doc; return this; }

    /// <summary>Sets one extra property.</summary>
    public SchemaBuilder Parameter(string key, string value) { (_parameters ??= new())[key] = value; return this; }

    /// <summary>Adds a field to a struct schema.</summary>
    /// <exception cref="DataException">this is not a struct, or a field of that name exists.</exception>
    public SchemaBuilder Field(string name, Schema schema)
    {
        if (_fields == null) throw new DataException($"Cannot add field '{name}' to a {_type.Name()} schema: only structs have fields.");
        if (_fields.Any(f => f.Name == name)) throw new DataException($"Cannot add field '{name}' twice to one struct schema.");
        _fields.Add(new Field(name, _fields.Count, schema));
        return this;
    }

    /// <summary>The immutable schema.</summary>
    /// <exception cref="DataException">the default value does not fit the schema.</exception>
    public Schema Build()
    {
        var schema = new Schema(_type, _optional, null, _name, _version, _doc, _parameters, _fields?.ToArray(), _keySchema, _valueSchema);
        if (_default == null) return schema;
        Schema.Validate(schema, _default);
        return new Schema(_type, _optional, _default, _name, _version, _doc, _parameters, _fields?.ToArray(), _keySchema, _valueSchema);
    }
}
