namespace AkkaBroker.Connect.Runtime;

/// <summary>A source partition of a connector and its stored offset.</summary>
public sealed record StoredSourceOffset(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?> Offset);

/// <summary>
/// Where source offsets are kept (Kafka Connect's <c>OffsetBackingStore</c>): a file for a standalone worker, the
/// offset topic for a distributed one. Reads come from memory; writes are durable when their task completes.
/// Thread-safe: tasks write from their own threads.
/// </summary>
public interface IOffsetBackingStore : IAsyncDisposable
{
    /// <summary>Loads what is stored. Called once before any other member.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>The newest offset of <paramref name="partition"/> of <paramref name="connector"/>, or null.</summary>
    IReadOnlyDictionary<string, object?>? Get(string connector, IReadOnlyDictionary<string, object?> partition);

    /// <summary>Every stored partition of <paramref name="connector"/> with its offset.</summary>
    IReadOnlyList<StoredSourceOffset> List(string connector);

    /// <summary>Completes once every offset stored before the call, by any worker, is known here (before a task that may have moved starts).</summary>
    Task ReadToEndAsync(CancellationToken cancellationToken);

    /// <summary>Stores the offsets (a null offset removes the partition's) durably.</summary>
    Task SetAsync(string connector, IReadOnlyList<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)> offsets, CancellationToken cancellationToken);
}
