namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// The newest persisted batches of one partition, bounded in bytes, so that consumers near the log end are served
/// from memory. Batches are contiguous in offset order; older ones fall out first.
/// </summary>
public sealed class TailCache(long capacityBytes)
{
    public readonly record struct CachedBatch(long BaseOffset, long NextOffset, long Position, byte[] Bytes, long MaxTimestamp);

    private readonly List<CachedBatch> _batches = new();
    private int _head;

    public long Bytes { get; private set; }

    public int Count => _batches.Count - _head;

    public CachedBatch? First => Count == 0 ? null : _batches[_head];

    public void Add(CachedBatch batch)
    {
        if (capacityBytes <= 0) return;
        _batches.Add(batch);
        Bytes += batch.Bytes.Length;
        // Keep at least the newest batch even when it alone exceeds the capacity: tailing consumers want it.
        while (Bytes > capacityBytes && Count > 1)
        {
            Bytes -= _batches[_head].Bytes.Length;
            _batches[_head] = default;
            _head++;
        }
        if (_head > 1024 && _head > _batches.Count / 2)
        {
            _batches.RemoveRange(0, _head);
            _head = 0;
        }
    }

    public void Clear()
    {
        _batches.Clear();
        _head = 0;
        Bytes = 0;
    }

    /// <summary>True when the cache holds the batch containing <paramref name="offset"/> (or offset is its first base).</summary>
    public bool Covers(long offset) => Count > 0 && offset >= _batches[_head].BaseOffset;

    /// <summary>Index of the batch containing <paramref name="offset"/>, or of the first batch after it.</summary>
    public int IndexOf(long offset)
    {
        int lo = _head, hi = _batches.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_batches[mid].NextOffset <= offset) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    public CachedBatch this[int index] => _batches[index];

    public int EndIndex => _batches.Count;
}
