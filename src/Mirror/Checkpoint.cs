using System.Buffers.Binary;
using System.Text;
using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// A source consumer group's committed offset on one partition and where that group resumes on the target (MirrorMaker
/// 2's checkpoint): <see cref="UpstreamOffset"/> on the source partition, <see cref="DownstreamOffset"/> on the target
/// topic's partition of the same number. Written to the target's <see cref="Topic"/> (compacted: the latest per group
/// and partition), where an operator or a tool reads where to move a group.
/// </summary>
/// <param name="SourceCluster">The source cluster's alias.</param>
/// <param name="Group">The consumer group.</param>
/// <param name="Source">The source partition.</param>
/// <param name="TargetTopic">The topic the source topic is mirrored to.</param>
/// <param name="UpstreamOffset">The group's committed offset on the source.</param>
/// <param name="DownstreamOffset">The translated offset on the target.</param>
public sealed record Checkpoint(string SourceCluster, string Group, TopicPartition Source, string TargetTopic, long UpstreamOffset, long DownstreamOffset)
{
    /// <summary>The compacted topic on the target that holds every mirror's checkpoints.</summary>
    public const string Topic = "__mirror_checkpoints";

    private const byte Version = 0;

    /// <summary>The record key: one per source cluster, group and source partition.</summary>
    public byte[] Key() => Encoding.UTF8.GetBytes($"{SourceCluster}/{Group}/{Source.Topic}/{Source.Partition}");

    /// <summary>The record value: version, partition, upstream and downstream offsets, then alias, group, source topic and target topic (each length-prefixed UTF-8).</summary>
    public byte[] Value()
    {
        byte[][] strings = [Encoding.UTF8.GetBytes(SourceCluster), Encoding.UTF8.GetBytes(Group), Encoding.UTF8.GetBytes(Source.Topic), Encoding.UTF8.GetBytes(TargetTopic)];
        var buffer = new byte[1 + 4 + 8 + 8 + strings.Sum(b => 4 + b.Length)];
        var span = buffer.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], Source.Partition);
        BinaryPrimitives.WriteInt64BigEndian(span[5..], UpstreamOffset);
        BinaryPrimitives.WriteInt64BigEndian(span[13..], DownstreamOffset);
        var at = 21;
        foreach (var s in strings)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], s.Length);
            s.CopyTo(span[(at + 4)..]);
            at += 4 + s.Length;
        }
        return buffer;
    }

    /// <summary>Reads a value written by <see cref="Value"/>; null for a tombstone or an unknown version.</summary>
    /// <exception cref="FormatException">The value is cut short or inconsistent.</exception>
    public static Checkpoint? Parse(byte[]? value)
    {
        if (value is not { Length: > 0 } || value[0] != Version) return null;
        try
        {
            var span = value.AsSpan();
            var partition = BinaryPrimitives.ReadInt32BigEndian(span[1..]);
            long upstream = BinaryPrimitives.ReadInt64BigEndian(span[5..]), downstream = BinaryPrimitives.ReadInt64BigEndian(span[13..]);
            var strings = new string[4];
            var at = 21;
            for (var i = 0; i < strings.Length; i++)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(span[at..]);
                strings[i] = Encoding.UTF8.GetString(span.Slice(at + 4, length));
                at += 4 + length;
            }
            if (at != value.Length) throw new FormatException($"a checkpoint of {value.Length} bytes does not add up");
            return new Checkpoint(strings[0], strings[1], new TopicPartition(strings[2], partition), strings[3], upstream, downstream);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"a checkpoint of {value.Length} bytes is cut short", e);
        }
    }
}
