namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// Which source offsets a source task may store, per source partition (the job of Kafka Connect's
/// <c>SubmittedRecords</c>). Records are submitted in poll order and acknowledged by the cluster in any order; a
/// partition's committable offset is that of the last record such that it and every record submitted before it from
/// the same source partition are acknowledged. Storing it never skips a record: after a crash the task resumes there
/// and records past it are produced again (at least once). Thread-safe: the task's thread submits, the producer's
/// delivery reports acknowledge.
/// </summary>
public sealed class SubmittedSourceOffsets
{
    /// <summary>One submitted record: acknowledge it when the cluster has it (or it was dropped on purpose).</summary>
    public sealed class Submitted
    {
        internal readonly string Key;
        internal readonly IReadOnlyDictionary<string, object?> Partition;
        internal readonly IReadOnlyDictionary<string, object?>? Offset;
        internal volatile bool Acknowledged;

        internal Submitted(string key, IReadOnlyDictionary<string, object?> partition, IReadOnlyDictionary<string, object?>? offset)
        {
            Key = key;
            Partition = partition;
            Offset = offset;
        }
    }

    private readonly Dictionary<string, Queue<Submitted>> _pending = new(StringComparer.Ordinal);
    // Tasks usually hand the same partition map with every record: its key is computed once, not per record.
    private IReadOnlyDictionary<string, object?>? _lastPartition;
    private string _lastKey = "";
    private readonly Lock _lock = new();
    private int _inFlight;

    /// <summary>Records submitted and not yet acknowledged.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Tracks a record; null when it has no source partition (nothing to store for it).</summary>
    public Submitted? Submit(IReadOnlyDictionary<string, object?>? partition, IReadOnlyDictionary<string, object?>? offset)
    {
        if (partition == null) return null;
        if (!ReferenceEquals(partition, _lastPartition))
        {
            _lastKey = SourceOffsetJson.Write(partition);
            _lastPartition = partition;
        }
        var record = new Submitted(_lastKey, partition, offset);
        lock (_lock)
        {
            if (!_pending.TryGetValue(record.Key, out var queue)) _pending[record.Key] = queue = new Queue<Submitted>();
            queue.Enqueue(record);
        }
        Interlocked.Increment(ref _inFlight);
        return record;
    }

    /// <summary>The cluster acknowledged <paramref name="record"/> (or it was dropped by a transform or skipped by error tolerance).</summary>
    public void Acknowledge(Submitted? record)
    {
        if (record == null || record.Acknowledged) return;
        record.Acknowledged = true;
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>
    /// Gives back offsets taken by <see cref="TakeCommittable"/> that could not be stored, so the next take returns
    /// them (or newer ones of the same partitions).
    /// </summary>
    public void Return(IEnumerable<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)> offsets)
    {
        lock (_lock)
            foreach (var (partition, offset) in offsets)
                _returned.TryAdd(SourceOffsetJson.Write(partition), (partition, offset));
    }

    private readonly Dictionary<string, (IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)> _returned = new(StringComparer.Ordinal);

    /// <summary>Takes the committable offset of every partition that moved since the last call.</summary>
    public List<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)> TakeCommittable()
    {
        var result = new List<(IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?)>();
        lock (_lock)
        {
            var moved = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, queue) in _pending.ToList())
            {
                Submitted? last = null;
                // A record without an offset moves nothing; the last acknowledged one with an offset counts.
                while (queue.TryPeek(out var head) && head.Acknowledged)
                    if (queue.Dequeue().Offset != null) last = head;
                if (last != null)
                {
                    result.Add((last.Partition, last.Offset));
                    moved.Add(key);
                }
                if (queue.Count == 0) _pending.Remove(key);
            }
            // A returned offset goes out again unless its partition has moved on since.
            foreach (var (key, returned) in _returned)
                if (!moved.Contains(key)) result.Add(returned);
            _returned.Clear();
        }
        return result;
    }
}
