using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Client.Internal;

/// <summary>An open batch taken from its accumulator once sealed: the records it completes and when it was opened.</summary>
internal readonly record struct OpenBatch<TRecord>(List<TRecord> Records, long CreatedTicks);

/// <summary>
/// One partition's open batch, as Kafka's record accumulator keeps it: records are appended until the batch reaches
/// <c>batch.size</c>, is older than <c>linger.ms</c> or a flush asks for it; the producer then builds its bytes and
/// takes it (to number and send). Pure: no clock, no locks (the producer calls it under the partition's lock and
/// passes the time).
/// </summary>
internal sealed class PartitionAccumulator<TRecord>(Protocol.Records.CompressionType compression, int batchSize, long lingerTicks)
{
    private RecordBatchBuilder? _open;
    private List<TRecord> _records = new();

    public bool HasOpen => _open != null;
    public int RecordCount => _records.Count;
    /// <summary>When the open batch took its first record (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    public long OpenCreatedTicks { get; private set; }
    /// <summary>A flush asked for the open batch to leave now, whatever linger.ms says.</summary>
    public bool FlushRequested { get; set; }

    /// <summary>Whether a record of <paramref name="size"/> bytes would overflow the open batch, which must be taken first.</summary>
    public bool WouldOverflow(int size) => _open != null && _open.EstimatedSize + size > batchSize;

    /// <summary>Whether the open batch reached batch.size: it leaves without waiting for linger.ms.</summary>
    public bool IsFull => _open != null && _open.EstimatedSize >= batchSize;

    /// <summary>Whether the open batch waited linger.ms (it may leave then, as it may when <see cref="FlushRequested"/>).</summary>
    public bool LingerPassed(long nowTicks) => _open != null && nowTicks - OpenCreatedTicks >= lingerTicks;

    /// <summary>Whether the open batch was created at or before <paramref name="ticks"/>.</summary>
    public bool OpenedBy(long ticks) => _open != null && OpenCreatedTicks <= ticks;

    /// <summary>Opens a batch created at <paramref name="nowTicks"/>; records are appended to it until it is taken.</summary>
    public void Start(long nowTicks)
    {
        if (_open != null) throw new InvalidOperationException("a batch is already open");
        // A batch.size larger than 1 MiB grows as records come rather than being allocated whole up front.
        _open = new RecordBatchBuilder(compression, Math.Min(batchSize, 1 << 20));
        OpenCreatedTicks = nowTicks;
    }

    /// <summary>Appends a record to the open batch (see <see cref="Start"/>).</summary>
    public void Append(long timestamp, byte[]? key, byte[]? value, IReadOnlyList<RecordHeader>? headers, TRecord record)
    {
        var open = _open ?? throw new InvalidOperationException("no open batch: start one first");
        open.Append(timestamp, key, value, headers);
        _records.Add(record);
    }

    /// <summary>
    /// The open batch's bytes, for the producer id and base sequence given; the batch stays open until
    /// <see cref="Take"/>, so that a batch that cannot be built loses no record.
    /// </summary>
    public byte[] Build(long producerId, short producerEpoch, int baseSequence) =>
        (_open ?? throw new InvalidOperationException("no open batch to build")).Build(producerId, producerEpoch, baseSequence);

    /// <summary>Takes the open batch away; the next record starts a new one.</summary>
    public OpenBatch<TRecord> Take()
    {
        if (_open == null) throw new InvalidOperationException("no open batch to take");
        var taken = new OpenBatch<TRecord>(_records, OpenCreatedTicks);
        // Built (its bytes copied out) or dropped: either way its buffer goes back to the pool.
        _open.Release();
        _open = null;
        _records = new List<TRecord>();
        return taken;
    }
}
