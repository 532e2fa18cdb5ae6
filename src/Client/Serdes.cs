using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace AkkaBroker.Client;

/// <summary>Where a serializer's data goes or comes from.</summary>
public enum MessageComponentType
{
    /// <summary>The record key.</summary>
    Key = 1,
    /// <summary>The record value.</summary>
    Value = 2,
}

/// <summary>Context handed to serializers and deserializers.</summary>
public readonly record struct SerializationContext(MessageComponentType Component, string Topic, Headers? Headers = null)
{
    /// <summary>No topic, component or headers: for calling a serializer outside a client.</summary>
    public static SerializationContext Empty => default;
}

/// <summary>Turns a key or value into bytes.</summary>
public interface ISerializer<in T>
{
    /// <summary>Serializes <paramref name="data"/>; null stays null (a null key or a tombstone value).</summary>
    byte[]? Serialize(T data, SerializationContext context);
}

/// <summary>Turns bytes back into a key or value.</summary>
public interface IDeserializer<out T>
{
    /// <summary>Deserializes; <paramref name="isNull"/> is true when the record had no key or value.</summary>
    T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context);
}

/// <summary>
/// Turns a key or value into bytes asynchronously (a schema registry lookup, say). A producer waits for it on the
/// thread that calls <c>ProduceAsync</c> or <c>Produce</c>, so it must not need that thread's synchronization context.
/// </summary>
public interface IAsyncSerializer<in T>
{
    /// <summary>Serializes <paramref name="data"/>; null stays null.</summary>
    Task<byte[]?> SerializeAsync(T data, SerializationContext context);
}

/// <summary>Turns bytes back into a key or value asynchronously; use it on a consumer through <c>AsSyncOverAsync()</c>.</summary>
public interface IAsyncDeserializer<T>
{
    /// <summary>Deserializes; <paramref name="isNull"/> is true when the record had no key or value.</summary>
    Task<T> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context);
}

/// <summary>Marks a key or value type that is always null.</summary>
public sealed class Null
{
    private Null() { }
}

/// <summary>Serializers for the common types; integers are big-endian like Kafka's.</summary>
public static class Serializers
{
    /// <summary>UTF-8 strings.</summary>
    public static readonly ISerializer<string> Utf8 = new Fn<string>(s => s == null ? null : Encoding.UTF8.GetBytes(s));
    /// <summary>Byte arrays as they are.</summary>
    public static readonly ISerializer<byte[]> ByteArray = new Fn<byte[]>(b => b);
    /// <summary>Always null.</summary>
    public static readonly ISerializer<Null> Null = new Fn<Null>(_ => null);
    /// <summary>32-bit big-endian integers.</summary>
    public static readonly ISerializer<int> Int32 = new Fn<int>(v => { var b = new byte[4]; BinaryPrimitives.WriteInt32BigEndian(b, v); return b; });
    /// <summary>64-bit big-endian integers.</summary>
    public static readonly ISerializer<long> Int64 = new Fn<long>(v => { var b = new byte[8]; BinaryPrimitives.WriteInt64BigEndian(b, v); return b; });
    /// <summary>IEEE 754 single-precision numbers, big-endian (Java's FloatSerializer).</summary>
    public static readonly ISerializer<float> Single = new Fn<float>(v => { var b = new byte[4]; BinaryPrimitives.WriteSingleBigEndian(b, v); return b; });
    /// <summary>IEEE 754 double-precision numbers, big-endian (Java's DoubleSerializer).</summary>
    public static readonly ISerializer<double> Double = new Fn<double>(v => { var b = new byte[8]; BinaryPrimitives.WriteDoubleBigEndian(b, v); return b; });

    private sealed class Fn<T>(Func<T, byte[]?> f) : ISerializer<T>
    {
        public byte[]? Serialize(T data, SerializationContext context) => f(data);
    }
}

/// <summary>Deserializers for the common types.</summary>
public static class Deserializers
{
    /// <summary>UTF-8 strings (null stays null).</summary>
    public static readonly IDeserializer<string> Utf8 = new Fn<string>((d, n) => n ? null! : Encoding.UTF8.GetString(d));
    /// <summary>Byte arrays as they are (null stays null).</summary>
    public static readonly IDeserializer<byte[]> ByteArray = new ByteArrayDeserializer();
    /// <summary>Ignores the data.</summary>
    public static readonly IDeserializer<Null> Null = new Fn<Null>((_, _) => null!);
    /// <summary>Ignores the data.</summary>
    public static readonly IDeserializer<Ignore> Ignore = new Fn<Ignore>((_, _) => null!);
    /// <summary>32-bit big-endian integers.</summary>
    public static readonly IDeserializer<int> Int32 = Fixed("an Int32", 4, BinaryPrimitives.ReadInt32BigEndian);
    /// <summary>64-bit big-endian integers.</summary>
    public static readonly IDeserializer<long> Int64 = Fixed("an Int64", 8, BinaryPrimitives.ReadInt64BigEndian);
    /// <summary>IEEE 754 single-precision numbers, big-endian.</summary>
    public static readonly IDeserializer<float> Single = Fixed("a Single", 4, BinaryPrimitives.ReadSingleBigEndian);
    /// <summary>IEEE 754 double-precision numbers, big-endian.</summary>
    public static readonly IDeserializer<double> Double = Fixed("a Double", 8, BinaryPrimitives.ReadDoubleBigEndian);

    private delegate T ReadFixed<out T>(ReadOnlySpan<byte> data);

    /// <summary>A value of exactly <paramref name="size"/> bytes; anything else (null included) is refused, naming what was expected.</summary>
    private static IDeserializer<T> Fixed<T>(string what, int size, ReadFixed<T> read) => new Fn<T>((d, n) => n || d.Length != size
        ? throw new FormatException($"{what} needs exactly {size} bytes, got {(n ? "null" : d.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))}")
        : read(d));

    private delegate T Decode<out T>(ReadOnlySpan<byte> data, bool isNull);

    private sealed class ByteArrayDeserializer : IDeserializer<byte[]>, IArrayDeserializer<byte[]>
    {
        public byte[] Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => isNull ? null! : data.ToArray();

        // The consumer already holds the value in an array of its own: hand it over instead of copying it again.
        public byte[] FromArray(byte[]? data) => data!;
    }

    private sealed class Fn<T>(Decode<T> f) : IDeserializer<T>
    {
        public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => f(data, isNull);
    }
}

/// <summary>Marks a key or value the consumer does not deserialize.</summary>
public sealed class Ignore
{
    private Ignore() { }
}

/// <summary>JSON through System.Text.Json, as UTF-8.</summary>
public sealed class JsonSerializer<T>(JsonSerializerOptions? options = null) : ISerializer<T>
{
    /// <inheritdoc />
    public byte[]? Serialize(T data, SerializationContext context) =>
        data == null ? null : System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(data, options);
}

/// <summary>JSON through System.Text.Json, as UTF-8.</summary>
public sealed class JsonDeserializer<T>(JsonSerializerOptions? options = null) : IDeserializer<T>
{
    /// <inheritdoc />
    public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull ? default! : System.Text.Json.JsonSerializer.Deserialize<T>(data, options)!;
}

/// <summary>A deserializer that can take ownership of an array the consumer decoded, saving a copy per record.</summary>
internal interface IArrayDeserializer<out T>
{
    T FromArray(byte[]? data);
}

internal static class DefaultSerdes
{
    public static ISerializer<T>? Serializer<T>() => typeof(T) switch
    {
        var t when t == typeof(string) => (ISerializer<T>)Serializers.Utf8,
        var t when t == typeof(byte[]) => (ISerializer<T>)Serializers.ByteArray,
        var t when t == typeof(Null) => (ISerializer<T>)Serializers.Null,
        var t when t == typeof(int) => (ISerializer<T>)Serializers.Int32,
        var t when t == typeof(long) => (ISerializer<T>)Serializers.Int64,
        var t when t == typeof(float) => (ISerializer<T>)Serializers.Single,
        var t when t == typeof(double) => (ISerializer<T>)Serializers.Double,
        _ => null,
    };

    public static IDeserializer<T>? Deserializer<T>() => typeof(T) switch
    {
        var t when t == typeof(string) => (IDeserializer<T>)Deserializers.Utf8,
        var t when t == typeof(byte[]) => (IDeserializer<T>)Deserializers.ByteArray,
        var t when t == typeof(Null) => (IDeserializer<T>)Deserializers.Null,
        var t when t == typeof(Ignore) => (IDeserializer<T>)Deserializers.Ignore,
        var t when t == typeof(int) => (IDeserializer<T>)Deserializers.Int32,
        var t when t == typeof(long) => (IDeserializer<T>)Deserializers.Int64,
        var t when t == typeof(float) => (IDeserializer<T>)Deserializers.Single,
        var t when t == typeof(double) => (IDeserializer<T>)Deserializers.Double,
        _ => null,
    };
}
