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
        // Looks keys up by a view into the batch: a key is copied only the first time it is seen.
        private readonly Dictionary<byte[], long>.AlternateLookup<ReadOnlySpan<byte>> _byView;

        public OffsetMap(long endOffset)
        {
            EndOffset = endOffset;
            _byView = _latest.GetAlternateLookup<ReadOnlySpan<byte>>();
        }

        /// <summary>Records at or past it are not cleanable (the active segment, or what is not yet committed).</summary>
        public long EndOffset { get; private set; }

        public int Count => _latest.Count;

        /// <summary>Memory the map holds, roughly: each key's bytes plus a dictionary entry.</summary>
        public long ApproximateBytes { get; private set; }

        /// <summary>Cleaning ends earlier than planned (the map is full): nothing at or past <paramref name="endOffset"/> was added.</summary>
        public void StopAt(long endOffset) => EndOffset = Math.Min(EndOffset, endOffset);

        /// <summary>Adds the keyed records of one batch, taken in offset order.</summary>
        public void Add(byte[] batch) =>
            RecordBatch.Wrap(batch).VisitRecords((offset, _, key, hasKey, _) =>
            {
                if (!hasKey || offset >= EndOffset) return true;
                if (_byView.ContainsKey(key)) _byView[key] = offset;
                else
                {
                    _byView[key] = offset;
                    ApproximateBytes += key.Length + EntryOverheadBytes;
                }
                return true;
            });

        private const int EntryOverheadBytes = 64;

        public bool IsLatest(ReadOnlySpan<byte> key, long offset) => !_byView.TryGetValue(key, out var latest) || latest == offset;
    }

    /// <summary>
    /// The batch as compaction leaves it: a record below the cleanable end is dropped when a later record has its key,
    /// or when it is a tombstone (null value) older than <paramref name="tombstoneHorizonMs"/> (its timestamp plus
    /// <c>delete.retention.ms</c> has passed). Records without a key are kept (a compacted topic refuses them on
    /// produce). Returns the same array when nothing changes, null when nothing is left.
    /// </summary>
    public static byte[]? Clean(byte[] batch, OffsetMap map, long tombstoneHorizonMs) =>
        RecordBatch.Retain(batch, (offset, timestamp, key, hasKey, hasValue) =>
            offset >= map.EndOffset || !hasKey || (map.IsLatest(key, offset) && (hasValue || timestamp >= tombstoneHorizonMs)));

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
