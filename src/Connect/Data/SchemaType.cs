namespace AkkaBroker.Connect.Data;

/// <summary>
/// The types of Kafka Connect's data model (<c>Schema.Type</c>). A value of each type is held in .NET as:
/// Int8 <see cref="sbyte"/>, Int16 <see cref="short"/>, Int32 <see cref="int"/>, Int64 <see cref="long"/>,
/// Float32 <see cref="float"/>, Float64 <see cref="double"/>, Boolean <see cref="bool"/>, String <see cref="string"/>,
/// Bytes <c>byte[]</c>, Array <c>IList&lt;object?&gt;</c>, Map <c>IDictionary&lt;object, object?&gt;</c> and Struct
/// <see cref="Struct"/>. Logical types (<see cref="ConnectDecimal"/>, <see cref="ConnectDate"/>, <see cref="ConnectTime"/>,
/// <see cref="ConnectTimestamp"/>) are named schemas over these with their own .NET types.
/// </summary>
public enum SchemaType
{
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

/// <summary>Kafka's lower-case names of <see cref="SchemaType"/>, as in the JSON converter's envelope.</summary>
public static class SchemaTypeNames
{
    /// <summary>The name Kafka writes for <paramref name="type"/> (<c>int32</c>, <c>string</c>, <c>struct</c>, ...).</summary>
    public static string Name(this SchemaType type) => type.ToString().ToLowerInvariant();

    /// <summary>
    /// The type a schemaless <paramref name="value"/> has in Connect's data model (as Kafka's <c>ConnectSchema.schemaType</c>),
    /// or null for a .NET type the model does not have.
    /// </summary>
    public static SchemaType? Of(object value) => value switch
    {
        sbyte => SchemaType.Int8,
        short => SchemaType.Int16,
        int => SchemaType.Int32,
        long => SchemaType.Int64,
        float => SchemaType.Float32,
        double => SchemaType.Float64,
        bool => SchemaType.Boolean,
        string => SchemaType.String,
        byte[] or ReadOnlyMemory<byte> => SchemaType.Bytes,
        System.Collections.IDictionary => SchemaType.Map,
        System.Collections.IList => SchemaType.Array,
        Struct => SchemaType.Struct,
        _ => null,
    };

    /// <summary>The type named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static SchemaType? Parse(string? name) =>
        name != null && Enum.TryParse<SchemaType>(name, ignoreCase: true, out var type) && !int.TryParse(name, out _) ? type : null;

    /// <summary>True for the types that are not containers.</summary>
    public static bool IsPrimitive(this SchemaType type) => type is not (SchemaType.Array or SchemaType.Map or SchemaType.Struct);
}
