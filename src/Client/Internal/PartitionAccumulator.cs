using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Client.Internal;

/// <summary>An open batch taken from its accumulator to be sealed: the records written so far and what each completes.</summary>
internal readonly record struct OpenBatch<TRecord>(RecordBatchBuilder Builder, List<TRecord> Records, long CreatedTicks);

/// <summary>
/// One partition's open batch, as Kafka's record accumulator keeps it: records are appended until the batch reaches
/// <c>batch.size</c>, is older than <c>linger.ms</c> or a flush asks for it, and the producer then takes it to seal
/// (number and send). Pure: no clock, no locks (the producer calls it under the partition's lock and passes the time).
/// </summary>
internal sealed class PartitionAccumulator<TRecord>(Protocol.Records.CompressionType compression, int batchSize, long lingerTicks)
{
    private RecordBatchBuilder? _open;
    private List<TRecord> _records = new();

    public bool HasOpen => _open != null;
    /// <summary>When the open batch took its first record (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    public long OpenCreatedTicks { get; private set; }
    /// <summary>A flush asked for the open batch to leave now, whatever linger.ms says.</summary>
    public bool FlushRequested { get; set; }

    /// <summary>Whether a record of <paramref name="size"/> bytes would overflow the open batch, which must be taken first.</summary>
    public bool WouldOverflow(int size) => _open != null && _open.EstimatedSize + size > batchSize;

    /// <summary>Whether the open batch reached batch.size: it leaves without waiting for linger.ms.</summary>
    public bool IsFull => _open != null && _open.EstimatedSize >= batchSize;

    /// <summary>Whether the open batch may leave now: a flush asked for it or it waited linger.ms.</summary>
    public bool IsReady(long nowTicks) => _open != null && (FlushRequested || nowTicks - OpenCreatedTicks >= lingerTicks);

    /// <summary>Whether the open batch was created at or before <paramref name="ticks"/>.</summary>
    public bool OpenedBy(long ticks) => _open != null && OpenCreatedTicks <= ticks;

    /// <summary>Appends a record to the open batch, opening one (created at <paramref name="nowTicks"/>) if there is none.</summary>
    public void Append(long nowTicks, long timestamp, byte[]? key, byte[]? value, IReadOnlyList<RecordHeader>? headers, TRecord record)
    {
        if (_open == null)
        {
            // A batch.size larger than 1 MiB grows as records come rather than being allocated whole up front.
            _open = new RecordBatchBuilder(compression, Math.Min(batchSize, 1 << 20));
            OpenCreatedTicks = nowTicks;
        }
        _open.Append(timestamp, key, value, headers);
        _records.Add(record);
    }

    /// <summary>Takes the open batch away; the next record opens a new one.</summary>
    public OpenBatch<TRecord> Take()
    {
        var open = _open ?? throw new InvalidOperationException("no open batch to take");
        var taken = new OpenBatch<TRecord>(open, _records, OpenCreatedTicks);
        _open = null;
        _records = new List<TRecord>();
        return taken;
    }
}
