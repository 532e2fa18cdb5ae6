using System.Text;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Records;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>
/// The pure cleaner over random streams of keyed updates and tombstones, in random batches, some compressed: read
/// from the beginning, the compacted log is each key's latest record among those before the active segment, in offset
/// order (tombstones kept or dropped by their age), followed by the active segment untouched; every kept record keeps
/// its offset, and every batch keeps its offset span.
/// </summary>
public sealed class LogCompactionPropertyTests
{
    private const int Tests = 300;

    /// <summary>One update: key index, null value (tombstone) or not, and whether its timestamp is old.</summary>
    public sealed record Update(int Key, bool Tombstone, bool Old);

    /// <summary>Updates in batches; the last <c>ActiveBatches</c> batches are the active segment.</summary>
    public sealed record Scenario(Update[][] Batches, int ActiveBatches, bool DropOldTombstones, CompressionType Compression)
    {
        public override string ToString() =>
            $"{Compression}, active {ActiveBatches}, drop old tombstones {DropOldTombstones}: " +
            string.Join(" | ", Batches.Select(b => string.Join(",", b.Select(u => $"k{u.Key}{(u.Tombstone ? "X" : "")}{(u.Old ? "o" : "")}"))));
    }

    private const long Now = 1_000_000;
    private const long OldTimestamp = 1_000;

    private static Arbitrary<Scenario> Scenarios =>
        (from keys in Gen.Choose(1, 12)
         from batchCount in Gen.Choose(1, 12)
         from batches in (from n in Gen.Choose(1, 8)
                          from updates in (from k in Gen.Choose(0, keys - 1)
                                           from t in Gen.Frequency((1, Gen.Constant(true)), (4, Gen.Constant(false)))
                                           from o in Gen.Elements(true, false)
                                           select new Update(k, t, o)).ArrayOf(n)
                          select updates).ArrayOf(batchCount)
         from active in Gen.Choose(0, batchCount)
         from drop in Gen.Elements(true, false)
         from compression in Gen.Elements(CompressionType.None, CompressionType.Gzip, CompressionType.Lz4)
         select new Scenario(batches, active, drop, compression)).ToArbitrary();

    [Property(MaxTest = Tests)]
    public Property The_compacted_log_is_the_latest_record_per_key_before_the_active_segment_then_the_active_segment_untouched() =>
        Prop.ForAll(Scenarios, s =>
        {
            // Build the log as the partition would: dense batches with consecutive offsets.
            var log = new List<byte[]>();
            var records = new List<(long Offset, string Key, string? Value, long Timestamp)>();
            var offset = 0L;
            foreach (var updates in s.Batches)
            {
                var builder = new RecordBatchBuilder(s.Compression);
                foreach (var u in updates)
                {
                    var value = u.Tombstone ? null : $"v{offset}";
                    var timestamp = u.Old ? OldTimestamp : Now;
                    builder.Append(timestamp, Encoding.UTF8.GetBytes($"k{u.Key}"), value == null ? null : Encoding.UTF8.GetBytes(value));
                    records.Add((offset, $"k{u.Key}", value, timestamp));
                    offset++;
                }
                var batch = builder.Build();
                RecordBatch.SetBaseOffset(batch, offset - updates.Length);
                log.Add(batch);
            }
            var cleanableBatches = log.Count - s.ActiveBatches;
            var endOffset = cleanableBatches == log.Count ? offset : RecordBatch.Wrap(log[cleanableBatches]).BaseOffset;
            var horizon = s.DropOldTombstones ? Now - 10 : long.MinValue;

            var map = new LogCompaction.OffsetMap(endOffset);
            foreach (var batch in log.Take(cleanableBatches)) map.Add(batch);
            var cleaned = log.Select((b, i) => i < cleanableBatches ? LogCompaction.Clean(b, map, horizon) : b).ToList();

            var latest = records.Where(r => r.Offset < endOffset).GroupBy(r => r.Key).Select(g => g.Last())
                .Where(r => r.Value != null || r.Timestamp >= horizon);
            var expected = latest.Concat(records.Where(r => r.Offset >= endOffset)).OrderBy(r => r.Offset)
                .Select(r => $"{r.Offset}:{r.Key}={r.Value ?? "null"}").ToArray();
            var actual = cleaned.Where(b => b != null).SelectMany(b => RecordBatch.Wrap(b!).ReadRecords())
                .Select(r => $"{r.Offset}:{Encoding.UTF8.GetString(r.Key!)}={(r.Value == null ? "null" : Encoding.UTF8.GetString(r.Value))}").ToArray();

            var spansKept = cleaned.Zip(log).All(p => p.Item1 == null ||
                (RecordBatch.Wrap(p.Item1).BaseOffset == RecordBatch.Wrap(p.Item2).BaseOffset
                 && RecordBatch.Wrap(p.Item1).NextOffset == RecordBatch.Wrap(p.Item2).NextOffset
                 && RecordBatch.Validate(p.Item1) == null));
            var activeUntouched = cleaned.Skip(cleanableBatches).Zip(log.Skip(cleanableBatches)).All(p => ReferenceEquals(p.Item1, p.Item2));
            return (expected.SequenceEqual(actual) && spansKept && activeUntouched)
                .Label($"expected [{string.Join(" ", expected)}] got [{string.Join(" ", actual)}] spans kept {spansKept} active untouched {activeUntouched}");
        });
}
