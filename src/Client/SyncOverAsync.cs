namespace AkkaBroker.Client.SyncOverAsync;

/// <summary>
/// An <see cref="IAsyncSerializer{T}"/> used where a synchronous one is needed: each call waits for the task on the
/// calling thread (as Confluent.Kafka's class of the same name). Do not use it with a serializer that needs the calling
/// thread's synchronization context to complete.
/// </summary>
public sealed class SyncOverAsyncSerializer<T>(IAsyncSerializer<T> asyncSerializer) : ISerializer<T>
{
    /// <inheritdoc />
    public byte[]? Serialize(T data, SerializationContext context) =>
        asyncSerializer.SerializeAsync(data, context).ConfigureAwait(false).GetAwaiter().GetResult();
}

/// <summary>An <see cref="IAsyncDeserializer{T}"/> used where a synchronous one is needed: each call waits for the task.</summary>
public sealed class SyncOverAsyncDeserializer<T>(IAsyncDeserializer<T> asyncDeserializer) : IDeserializer<T>
{
    /// <inheritdoc />
    public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        asyncDeserializer.DeserializeAsync(isNull ? ReadOnlyMemory<byte>.Empty : data.ToArray(), isNull, context)
            .ConfigureAwait(false).GetAwaiter().GetResult();
}

/// <summary><c>AsSyncOverAsync()</c> on async serializers.</summary>
public static class SyncOverAsyncSerializerExtensionMethods
{
    /// <summary>The serializer as a synchronous one that waits for each call.</summary>
    public static ISerializer<T> AsSyncOverAsync<T>(this IAsyncSerializer<T> asyncSerializer) => new SyncOverAsyncSerializer<T>(asyncSerializer);
}

/// <summary><c>AsSyncOverAsync()</c> on async deserializers.</summary>
public static class SyncOverAsyncDeserializerExtensionMethods
{
    /// <summary>The deserializer as a synchronous one that waits for each call.</summary>
    public static IDeserializer<T> AsSyncOverAsync<T>(this IAsyncDeserializer<T> asyncDeserializer) => new SyncOverAsyncDeserializer<T>(asyncDeserializer);
}
