namespace AkkaBroker.Connect.Data;

/// <summary>A value with its schema; the schema is null for schemaless data (Kafka Connect's <c>SchemaAndValue</c>).</summary>
public sealed record SchemaAndValue(Schema? Schema, object? Value)
{
    /// <summary>No schema, no value: what a converter returns for a null key or value.</summary>
    public static readonly SchemaAndValue Null = new(null, null);
}
