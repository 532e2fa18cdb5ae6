using System.Collections.Concurrent;
using AkkaBroker.Protocol.Records;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Client.Internal;

/// <summary>
/// The batches of one fetch (Kafka's completed fetch), or an error or end-of-partition for the application. Records
/// are decoded lazily on the application's thread, as Kafka's consumer decodes in poll(), so the fetch loop only
/// reads batch headers and fetches on.
/// </summary>
internal sealed class CompletedFetch(PartitionFetchState state, int generation, byte[] raw, long fromOffset, ConsumeException? error = null, bool eof = false)
{
    /// <summary>Wakes a waiting Consume so that it looks at the group (rebalance finished, member lost, commit callback due).</summary>
    public static readonly CompletedFetch Wake = new(new PartitionFetchState(new ProtocolTopicPartition("", -1)) { Removed = true }, 0, [], 0);

    public PartitionFetchState State { get; } = state;
    public int Generation { get; } = generation;
    public long Bytes => raw.Length;
    public ConsumeException? Error { get; } = error;
    public bool Eof { get; } = eof;
    private IEnumerator<Record>? _records;

    /// <summary>An error for the application about one partition: the exception names the partition and its fetch position.</summary>
    public static CompletedFetch Failed(PartitionFetchState state, int generation, Error error) =>
        new(state, generation, [], 0, new ConsumeException(error)
        {
            ConsumerRecord = new ConsumeResult<byte[], byte[]> { TopicPartitionOffset = new TopicPartitionOffset(state.Tp.Topic, state.Tp.Partition, state.FetchPosition) },
        });

    /// <exception cref="InvalidDataException">a batch fails its CRC check or does not decode.</exception>
    public Record? Next()
    {
        _records ??= Decode(raw, fromOffset).GetEnumerator();
        return _records.MoveNext() ? _records.Current : null;
    }

    private static IEnumerable<Record> Decode(byte[] records, long fromOffset)
    {
        foreach (var batch in RecordBatch.ReadAll(records))
        {
            if (batch.NextOffset <= fromOffset) continue;
            if (!batch.IsCrcValid) throw new InvalidDataException($"the batch at offset {batch.BaseOffset} failed its CRC check");
            foreach (var r in batch.ReadRecords())
                if (r.Offset >= fromOffset) yield return r;
        }
    }
}

/// <summary>
/// Completed fetches waiting for the application (Kafka's fetch buffer), and the bytes they hold, which
/// <c>fetch.max.bytes</c> bounds. Background fetches add; the application's thread takes. Thread-safe.
/// </summary>
internal sealed class FetchBuffer
{
    private readonly BlockingCollection<CompletedFetch> _ready = new(new ConcurrentQueue<CompletedFetch>());
    private long _bytes;

    /// <summary>Bytes of fetched records not yet used up by the application.</summary>
    public long BufferedBytes => Interlocked.Read(ref _bytes);

    public void Add(CompletedFetch fetch)
    {
        if (_ready.IsAddingCompleted) return;
        Interlocked.Add(ref _bytes, fetch.Bytes);
        try
        {
            _ready.Add(fetch);
        }
        catch (InvalidOperationException) when (_ready.IsAddingCompleted)
        {
            // Close completed the buffer between the check and the add (a background fetch or heartbeat finishing
            // late): nobody will consume any more, so there is nothing to deliver.
        }
    }

    public bool TryTake(out CompletedFetch fetch, int millisecondsTimeout, CancellationToken ct) =>
        _ready.TryTake(out fetch!, millisecondsTimeout, ct);

    /// <summary>The fetch's bytes leave the buffer; false for one that held none (an error, end of partition, a wake-up).</summary>
    public bool Release(CompletedFetch fetch)
    {
        if (fetch.Bytes == 0) return false;
        Interlocked.Add(ref _bytes, -fetch.Bytes);
        return true;
    }

    public void Wake() => Add(CompletedFetch.Wake);

    /// <summary>No more adds: the consumer is closing.</summary>
    public void Complete() => _ready.CompleteAdding();
}
