using System.Text;
using Akka.Event;

namespace AkkaBroker.Connect.Runtime.Distributed;

/// <summary>
/// A distributed worker group's source offsets in the compacted <c>offset.storage.topic</c> (Kafka Connect's
/// <c>KafkaOffsetBackingStore</c>): key <c>["connector", {partition}]</c>, value the offset as JSON, a null value
/// removing it. Every worker follows the whole topic, so a task that moves to another worker resumes from the offsets
/// its previous worker stored; <see cref="ReadToEndAsync"/> is awaited before a source task starts.
/// </summary>
public sealed class KafkaOffsetBackingStore : IOffsetBackingStore
{
    private readonly StoredOffsets _offsets = new();
    private readonly KafkaBasedLog _log;
    private readonly int _partitions;
    private readonly short _replicationFactor;

    public KafkaOffsetBackingStore(Worker worker, ILoggingAdapter log)
    {
        var config = worker.Config;
        _partitions = config.Get<int>(WorkerConfig.OffsetStoragePartitions);
        _replicationFactor = config.Get<short>(WorkerConfig.OffsetStorageReplicationFactor);
        _log = new KafkaBasedLog(config.Get<string>(WorkerConfig.OffsetStorageTopic), worker, Apply, log);
    }

    private void Apply(string? key, byte[]? value)
    {
        if (key != null) _offsets.Set(key, value == null ? null : Encoding.UTF8.GetString(value));
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => _log.StartAsync(_partitions, _replicationFactor, cancellationToken);

    /// <summary>Completes once every offset stored before the call is known here.</summary>
    public Task ReadToEndAsync(CancellationToken cancellationToken) => _log.ReadToEndAsync(cancellationToken);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?>? Get(string connector, IReadOnlyDictionary<string, object?> partition) => _offsets.Get(connector, partition);

    /// <inheritdoc />
    public IReadOnlyList<StoredSourceOffset> List(string connector) => _offsets.List(connector);

    /// <inheritdoc />
    public async Task SetAsync(string connector, IReadOnlyList<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)> offsets, CancellationToken cancellationToken)
    {
        var writes = offsets.Select(o =>
        {
            var key = SourceOffsetJson.Key(connector, o.Partition);
            var value = o.Offset == null ? null : SourceOffsetJson.Write(o.Offset);
            // Known here at once, so this worker's next read sees its own write before the topic hands it back.
            Apply(key, value == null ? null : Encoding.UTF8.GetBytes(value));
            return _log.SendAsync(key, value == null ? null : Encoding.UTF8.GetBytes(value), cancellationToken);
        }).ToList();
        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _log.DisposeAsync();
}
