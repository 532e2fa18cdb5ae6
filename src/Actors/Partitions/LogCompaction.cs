using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// Kafka's log compaction as pure functions over record batches, so the rules are testable without a journal: the
/// cleaner first maps every key to its latest offset in the cleanable range (<see cref="OffsetMap"/>), then rewrites
/// each batch with only the records that are still their key's latest (<see cref="Clean"/>). Kept records keep their
/// offsets and bytes; batches keep their base offset and offset span, so every replica serves the same record for
/// every offset it still has.
/// </summary>
public static class LogCompaction
{
    /// <summary>Each key's latest offset below the cleanable end.</summary>
    public sealed class OffsetMap
    {
        private readonly Dictionary<byte[], long> _latest = new(ByteArrayComparer.Instance);

        public OffsetMap(long endOffset) => EndOffset = endOffset;

        /// <summary>Records at or past it are not cleanable (the active segment, or what is not yet committed).</summary>
        public long EndOffset { get; }

        public int Count => _latest.Count;

        /// <summary>Adds the keyed records of one batch, taken in offset order.</summary>
        public void Add(byte[] batch)
        {
            foreach (var record in RecordBatch.Wrap(batch).ReadRecords())
                if (record.Key != null && record.Offset < EndOffset)
                    _latest[record.Key] = record.Offset;
        }

        public bool IsLatest(byte[] key, long offset) => !_latest.TryGetValue(key, out var latest) || latest == offset;
    }

    /// <summary>
    /// The batch as compaction leaves it: a record below the cleanable end is dropped when a later record has its key,
    /// or when it is a tombstone (null value) older than <paramref name="tombstoneHorizonMs"/> (its timestamp plus
    /// <c>delete.retention.ms</c> has passed). Records without a key are kept (a compacted topic refuses them on
    /// produce). Returns the same array when nothing changes, null when nothing is left.
    /// </summary>
    public static byte[]? Clean(byte[] batch, OffsetMap map, long tombstoneHorizonMs) =>
        RecordBatch.Retain(batch, r =>
            r.Offset >= map.EndOffset || r.Key == null || (map.IsLatest(r.Key, r.Offset) && (r.Value != null || r.Timestamp >= tombstoneHorizonMs)));

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
