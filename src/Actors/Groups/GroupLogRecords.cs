using System.Buffers.Binary;
using System.Text;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// A group's state as records of the internal topic <c>__consumer_offsets</c>, laid out as Kafka lays them out so that
/// compaction keeps exactly the current state: one record per committed partition keyed by (group, topic, partition),
/// one membership record keyed by the group, and tombstones (null values) for expired offsets and deleted groups.
/// Replaying a group's records in offset order rebuilds its <see cref="GroupState"/>.
/// </summary>
public static class GroupLogRecords
{
    // Key types, the first byte of every key: a reader skips what it does not know of other groups, never of its own.
    private const byte OffsetKey = 1;
    private const byte MetadataKey = 2;
    /// <summary>Written by a coordinator as it loads (see <see cref="LoadMarker"/>); carries no state.</summary>
    private const byte LoadMarkerKey = 3;
    /// <summary>Says the group's journal from before group state was replicated has been read (see <see cref="LegacyJournalRead"/>).</summary>
    private const byte LegacyJournalReadKey = 4;

    private const byte ValueVersion = 0;

    /// <summary>The records that make <paramref name="event"/> durable. <paramref name="currentOffsets"/> are the partitions with a committed offset before it (a deletion tombstones them all).</summary>
    public static IEnumerable<(byte[] Key, byte[]? Value)> Encode(string groupId, object @event, IEnumerable<TopicPartition> currentOffsets)
    {
        switch (@event)
        {
            case GroupOffsetsCommitted c:
                foreach (var o in c.Offsets) yield return (Key(groupId, o.TopicPartition), Value(new GroupOffsetsCommitted([o])));
                break;
            case GroupOffsetsExpired x:
                foreach (var tp in x.Partitions) yield return (Key(groupId, tp), null);
                break;
            case GroupMetadataChanged m:
                yield return (Key(groupId, MetadataKey), Value(m));
                break;
            case GroupDeleted:
                foreach (var tp in currentOffsets) yield return (Key(groupId, tp), null);
                yield return (Key(groupId, MetadataKey), null);
                break;
            default:
                throw new InvalidOperationException($"no record layout for group event {@event.GetType().Name}");
        }
    }

    /// <summary>
    /// A tombstone a coordinator appends (with acks=all) before it reads its group back: once it is acknowledged, every
    /// record before it is replicated, so the read misses nothing an earlier coordinator acknowledged.
    /// </summary>
    public static (byte[] Key, byte[]? Value) LoadMarker(string groupId) => (Key(groupId, LoadMarkerKey), null);

    /// <summary>
    /// Written once per group, after its journal from an older version (if any) became records: later loads need not
    /// look for that journal. A value, not a tombstone, so compaction keeps it for good.
    /// </summary>
    public static (byte[] Key, byte[]? Value) LegacyJournalRead(string groupId) => (Key(groupId, LegacyJournalReadKey), [ValueVersion]);

    /// <summary>What <see cref="Decode"/> returns for the record <see cref="LegacyJournalRead"/> wrote.</summary>
    public sealed record LegacyJournalWasRead
    {
        public static readonly LegacyJournalWasRead Instance = new();
    }

    /// <summary>
    /// The event to apply for one record of <paramref name="groupId"/> (or <see cref="LegacyJournalWasRead"/>), or null
    /// for a record of another group or a load marker. A record that cannot be read throws
    /// <see cref="InvalidDataException"/>: skipping it could silently lose a group's state.
    /// </summary>
    public static object? Decode(string groupId, byte[]? key, byte[]? value)
    {
        if (key == null || key.Length < 3)
            throw new InvalidDataException($"a __consumer_offsets record has a key of {key?.Length ?? 0} bytes; every key names a group");
        var pos = 1;
        var group = ReadString(key, ref pos);
        if (group != groupId) return null;
        switch (key[0])
        {
            case OffsetKey:
                var topic = ReadString(key, ref pos);
                if (key.Length < pos + 4) throw new InvalidDataException($"an offset record of group '{groupId}' has a key cut short ({key.Length} bytes)");
                var tp = new TopicPartition(topic, BinaryPrimitives.ReadInt32BigEndian(key.AsSpan(pos, 4)));
                return value == null ? new GroupOffsetsExpired([tp]) : ReadValue(value);
            case MetadataKey:
                return value == null ? new GroupDeleted() : ReadValue(value);
            case LoadMarkerKey:
                return null;
            case LegacyJournalReadKey:
                return LegacyJournalWasRead.Instance;
            default:
                throw new InvalidDataException($"a __consumer_offsets record of group '{groupId}' has key type {key[0]}, which this broker does not know; upgrade it");
        }
    }

    /// <summary>What a record's key holds.</summary>
    public enum KeyKind
    {
        /// <summary>A committed offset of one partition.</summary>
        Offset,
        /// <summary>The group's membership.</summary>
        Metadata,
        /// <summary>No group state: a load marker, or the record that says an older journal was read.</summary>
        Other,
    }

    /// <summary>The group a record's key belongs to, and what it holds. Throws <see cref="InvalidDataException"/> for a key that names no group.</summary>
    public static (string GroupId, KeyKind Kind) GroupOf(byte[]? key)
    {
        if (key == null || key.Length < 3)
            throw new InvalidDataException($"a __consumer_offsets record has a key of {key?.Length ?? 0} bytes; every key names a group");
        var pos = 1;
        return (ReadString(key, ref pos), key[0] switch { OffsetKey => KeyKind.Offset, MetadataKey => KeyKind.Metadata, _ => KeyKind.Other });
    }

    private static byte[] Key(string groupId, byte type)
    {
        var group = Encoding.UTF8.GetBytes(groupId);
        var key = new byte[1 + 2 + group.Length];
        key[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(key.AsSpan(1), (ushort)group.Length);
        group.CopyTo(key, 3);
        return key;
    }

    private static byte[] Key(string groupId, TopicPartition tp)
    {
        var group = Encoding.UTF8.GetBytes(groupId);
        var topic = Encoding.UTF8.GetBytes(tp.Topic);
        var key = new byte[1 + 2 + group.Length + 2 + topic.Length + 4];
        key[0] = OffsetKey;
        BinaryPrimitives.WriteUInt16BigEndian(key.AsSpan(1), (ushort)group.Length);
        group.CopyTo(key, 3);
        BinaryPrimitives.WriteUInt16BigEndian(key.AsSpan(3 + group.Length), (ushort)topic.Length);
        topic.CopyTo(key, 5 + group.Length);
        BinaryPrimitives.WriteInt32BigEndian(key.AsSpan(5 + group.Length + topic.Length), tp.Partition);
        return key;
    }

    private static string ReadString(byte[] bytes, ref int pos)
    {
        if (bytes.Length < pos + 2) throw new InvalidDataException($"a __consumer_offsets record key is cut short ({bytes.Length} bytes)");
        var length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(pos, 2));
        if (bytes.Length < pos + 2 + length) throw new InvalidDataException($"a __consumer_offsets record key is cut short ({bytes.Length} bytes)");
        var s = Encoding.UTF8.GetString(bytes, pos + 2, length);
        pos += 2 + length;
        return s;
    }

    /// <summary>A value is a version byte, the serializer manifest and the event's bytes, so layouts can change like journal events do.</summary>
    private static byte[] Value(object @event)
    {
        var manifest = Encoding.ASCII.GetBytes(BrokerSerializer.ManifestOf(@event));
        var body = BrokerSerializer.Encode(@event);
        var value = new byte[2 + manifest.Length + body.Length];
        value[0] = ValueVersion;
        value[1] = (byte)manifest.Length;
        manifest.CopyTo(value, 2);
        body.CopyTo(value, 2 + manifest.Length);
        return value;
    }

    private static object ReadValue(byte[] value)
    {
        if (value.Length < 2 || value[0] != ValueVersion || value.Length < 2 + value[1])
            throw new InvalidDataException($"a __consumer_offsets record value has version {value[0]} or is cut short ({value.Length} bytes)");
        var manifest = Encoding.ASCII.GetString(value, 2, value[1]);
        return BrokerSerializer.Decode(value[(2 + value[1])..], manifest);
    }
}
