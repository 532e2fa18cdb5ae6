using System.Text;

namespace AkkaBroker.Connect.Data;

/// <summary>
/// A value of a struct schema: one value per field, checked against the field's schema when put (Kafka Connect's
/// <c>Struct</c>). Mutable while a connector or transform fills it; equal to another struct with the same schema and
/// equal values (arrays of bytes compared by content).
/// </summary>
public sealed class Struct : IEquatable<Struct>
{
    private readonly object?[] _values;

    /// <summary>An empty struct of <paramref name="schema"/>.</summary>
    /// <exception cref="DataException"><paramref name="schema"/> is not a struct schema.</exception>
    public Struct(Schema schema)
    {
        if (schema.Type != SchemaType.Struct) throw new DataException($"A Struct needs a struct schema, not {schema}.");
        Schema = schema;
        _values = new object?[schema.Fields.Count];
    }

    /// <summary>The struct's schema.</summary>
    public Schema Schema { get; }

    /// <summary>The value of field <paramref name="fieldName"/>, or the field's default when unset.</summary>
    /// <exception cref="DataException">there is no such field.</exception>
    public object? Get(string fieldName) => Get(FieldOf(fieldName));

    /// <summary>The value of <paramref name="field"/>, or its default when unset.</summary>
    public object? Get(Field field) => _values[field.Index] ?? field.Schema.DefaultValue;

    /// <summary>The value of field <paramref name="fieldName"/> as <typeparamref name="T"/>.</summary>
    /// <exception cref="DataException">there is no such field, or its value is not a <typeparamref name="T"/>.</exception>
    public T? Get<T>(string fieldName)
    {
        var value = Get(fieldName);
        return value switch
        {
            null => default,
            T typed => typed,
            _ => throw new DataException($"Field '{fieldName}' holds a {value.GetType().Name}, not a {typeof(T).Name}."),
        };
    }

    /// <summary>Sets field <paramref name="fieldName"/> after checking <paramref name="value"/> against its schema.</summary>
    /// <returns>this struct, to chain puts.</returns>
    /// <exception cref="DataException">there is no such field, or the value does not fit its schema.</exception>
    public Struct Put(string fieldName, object? value) => Put(FieldOf(fieldName), value);

    /// <summary>Sets <paramref name="field"/> after checking <paramref name="value"/> against its schema.</summary>
    /// <exception cref="DataException">the value does not fit the field's schema.</exception>
    public Struct Put(Field field, object? value)
    {
        Schema.Validate(field.Schema, value, field.Name);
        _values[field.Index] = value;
        return this;
    }

    /// <summary>Checks that every required field has a value.</summary>
    /// <exception cref="DataException">a required field is unset; the message names it.</exception>
    public void Validate()
    {
        foreach (var field in Schema.Fields) Schema.Validate(field.Schema, Get(field), field.Name);
    }

    private Field FieldOf(string name) =>
        Schema.Field(name) ?? throw new DataException($"'{name}' is not a field of this struct; its fields are: {string.Join(", ", Schema.Fields.Select(f => f.Name))}.");

    /// <inheritdoc />
    public bool Equals(Struct? other) =>
        other is not null && Schema.Equals(other.Schema) && _values.Zip(other._values).All(p => Values.DeepEquals(p.First, p.Second));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Struct);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Schema, _values.Length);

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder("Struct{");
        var first = true;
        foreach (var field in Schema.Fields)
        {
            if (_values[field.Index] is not { } value) continue;
            if (!first) text.Append(',');
            text.Append(field.Name).Append('=').Append(value is byte[] b ? Convert.ToBase64String(b) : value);
            first = false;
        }
        return text.Append('}').ToString();
    }
}
