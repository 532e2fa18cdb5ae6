using System.Buffers.Binary;
using System.Text;
using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// One run of mirrored records: <see cref="Count"/> records of a source partition from <see cref="SourceOffset"/> were
/// written to consecutive target offsets from <see cref="TargetOffset"/>. Streams write these to the target's
/// <see cref="Topic"/> before they commit the source offsets they cover, so every committed source offset can be
/// translated (<see cref="OffsetTranslation"/>). A run that grows is written again under the same key, and the
/// topic is compacted: the latest, longest version of each run is kept.
/// </summary>
/// <param name="SourceCluster">The source cluster's alias: several mirrors into one target keep their syncs apart.</param>
/// <param name="Source">The source partition.</param>
/// <param name="SourceOffset">The run's first source offset.</param>
/// <param name="TargetOffset">Where that record was written on the target (same partition number, the policy's topic name).</param>
/// <param name="Count">Records in the run.</param>
public sealed record OffsetSync(string SourceCluster, TopicPartition Source, long SourceOffset, long TargetOffset, long Count)
{
    /// <summary>The compacted topic on the target that holds every mirror's offset syncs.</summary>
    public const string Topic = "__mirror_offset_syncs";

    private const byte Version = 0;

    /// <summary>The record key: one per run, so compaction keeps each run's latest length.</summary>
    public byte[] Key() => Encoding.UTF8.GetBytes($"{SourceCluster}/{Source.Topic}/{Source.Partition}/{SourceOffset}/{TargetOffset}");

    /// <summary>The record value: version, partition, source offset, target offset, count, then the alias and topic (length-prefixed UTF-8).</summary>
    public byte[] Value()
    {
        var alias = Encoding.UTF8.GetBytes(SourceCluster);
        var topic = Encoding.UTF8.GetBytes(Source.Topic);
        var buffer = new byte[1 + 4 + 8 + 8 + 8 + 2 + alias.Length + 2 + topic.Length];
        var span = buffer.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], Source.Partition);
        BinaryPrimitives.WriteInt64BigEndian(span[5..], SourceOffset);
        BinaryPrimitives.WriteInt64BigEndian(span[13..], TargetOffset);
        BinaryPrimitives.WriteInt64BigEndian(span[21..], Count);
        BinaryPrimitives.WriteUInt16BigEndian(span[29..], checked((ushort)alias.Length));
        alias.CopyTo(span[31..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[(31 + alias.Length)..], checked((ushort)topic.Length));
        topic.CopyTo(span[(33 + alias.Length)..]);
        return buffer;
    }

    /// <summary>Reads a value written by <see cref="Value"/>; null for a tombstone, or a version this build does not know (a newer mirror wrote it).</summary>
    /// <exception cref="FormatException">The value is cut short or inconsistent: the topic holds something else.</exception>
    public static OffsetSync? Parse(byte[]? value)
    {
        if (value is not { Length: > 0 } || value[0] != Version) return null;
        try
        {
            var span = value.AsSpan();
            var partition = BinaryPrimitives.ReadInt32BigEndian(span[1..]);
            long source = BinaryPrimitives.ReadInt64BigEndian(span[5..]), target = BinaryPrimitives.ReadInt64BigEndian(span[13..]),
                count = BinaryPrimitives.ReadInt64BigEndian(span[21..]);
            int aliasLength = BinaryPrimitives.ReadUInt16BigEndian(span[29..]);
            var alias = Encoding.UTF8.GetString(span.Slice(31, aliasLength));
            int topicLength = BinaryPrimitives.ReadUInt16BigEndian(span[(31 + aliasLength)..]);
            var topic = Encoding.UTF8.GetString(span.Slice(33 + aliasLength, topicLength));
            if (33 + aliasLength + topicLength != value.Length || partition < 0 || source < 0 || target < 0 || count < 0)
                throw new FormatException($"an offset sync of {value.Length} bytes does not add up");
            return new OffsetSync(alias, new TopicPartition(topic, partition), source, target, count);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"an offset sync of {value.Length} bytes is cut short", e);
        }
    }
}

/// <summary>
/// A stream's offset syncs not yet written: the run each partition is extending (as the target acknowledges records)
/// and whether it changed since it was last handed out to be written. Owned by one stream actor; not thread-safe.
/// </summary>
public sealed class PendingOffsetSyncs(string sourceCluster)
{
    private sealed class PartitionRuns
    {
        public OffsetSync? Current;
        public bool CurrentDirty;
        /// <summary>Runs ended (a gap in source or target offsets) and not yet handed out.</summary>
        public readonly List<OffsetSync> Ended = [];
    }

    private readonly Dictionary<TopicPartition, PartitionRuns> _partitions = new();

    /// <summary>The target acknowledged the record at <paramref name="sourceOffset"/> of <paramref name="source"/> at <paramref name="targetOffset"/>.</summary>
    public void Acknowledged(TopicPartition source, long sourceOffset, long targetOffset)
    {
        if (!_partitions.TryGetValue(source, out var p)) _partitions[source] = p = new PartitionRuns();
        if (p.Current is { } run && run.SourceOffset + run.Count == sourceOffset && run.TargetOffset + run.Count == targetOffset)
            p.Current = run with { Count = run.Count + 1 };
        else
        {
            if (p.Current is { } ended && p.CurrentDirty) p.Ended.Add(ended);
            p.Current = new OffsetSync(sourceCluster, source, sourceOffset, targetOffset, 1);
        }
        p.CurrentDirty = true;
    }

    /// <summary>The syncs to write now for <paramref name="partitions"/> (every partition when null); they count as written unless handed back to <see cref="Failed"/>.</summary>
    public List<OffsetSync> Take(IEnumerable<TopicPartition>? partitions = null)
    {
        var taken = new List<OffsetSync>();
        foreach (var tp in partitions ?? _partitions.Keys.ToList())
        {
            if (!_partitions.TryGetValue(tp, out var p)) continue;
            taken.AddRange(p.Ended);
            p.Ended.Clear();
            if (p.CurrentDirty && p.Current != null) taken.Add(p.Current);
            p.CurrentDirty = false;
        }
        return taken;
    }

    /// <summary>Writing <paramref name="sync"/> failed: it is handed out again by the next <see cref="Take"/> (unless a longer version of it is by then).</summary>
    public void Failed(OffsetSync sync)
    {
        if (!_partitions.TryGetValue(sync.Source, out var p)) _partitions[sync.Source] = p = new PartitionRuns();
        if (p.Current is { } current && current.SourceOffset == sync.SourceOffset && current.TargetOffset == sync.TargetOffset) p.CurrentDirty = true;
        else p.Ended.Add(sync);
    }

    /// <summary>The partition went to another stream: its runs are written (taken) first; then nothing of it is kept.</summary>
    public void Forget(TopicPartition source) => _partitions.Remove(source);
}
