using System.Buffers.Binary;
using System.Text;

namespace AkkaBroker.KafkaProtocol;

/// <summary>
/// Reads Kafka's primitive types from a frame, front to back. Every read checks the bytes left first and every declared
/// length is checked against them before anything is allocated, so a short or hostile frame costs at most its own size;
/// failures throw <see cref="KafkaProtocolException"/> naming the field and the offset. Records fields come back as
/// slices of the frame, never copied, so the frame's memory must stay untouched while they are in use.
/// </summary>
public ref struct KafkaReader
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    // Where _memory starts in the outermost frame, so that a tagged field's sub-reader reports frame offsets.
    private readonly int _frameOffset;
    private int _position;

    /// <summary>Reads <paramref name="buffer"/> from its start.</summary>
    public KafkaReader(ReadOnlyMemory<byte> buffer) : this(buffer, 0)
    {
    }

    private KafkaReader(ReadOnlyMemory<byte> buffer, int frameOffset)
    {
        _memory = buffer;
        _span = buffer.Span;
        _frameOffset = frameOffset;
        _position = 0;
    }

    /// <summary>How many bytes have been read.</summary>
    public readonly int Position => _position;

    /// <summary>How many bytes are left.</summary>
    public readonly int Remaining => _span.Length - _position;

    /// <summary>Reads an int8.</summary>
    public sbyte ReadInt8(string field) => (sbyte)Take(1, field)[0];

    /// <summary>Reads a boolean: one byte, anything but 0 being true (as Kafka reads it).</summary>
    public bool ReadBool(string field) => Take(1, field)[0] != 0;

    /// <summary>Reads a big-endian int16.</summary>
    public short ReadInt16(string field) => BinaryPrimitives.ReadInt16BigEndian(Take(2, field));

    /// <summary>Reads a big-endian uint16.</summary>
    public ushort ReadUInt16(string field) => BinaryPrimitives.ReadUInt16BigEndian(Take(2, field));

    /// <summary>Reads a big-endian int32.</summary>
    public int ReadInt32(string field) => BinaryPrimitives.ReadInt32BigEndian(Take(4, field));

    /// <summary>Reads a big-endian uint32.</summary>
    public uint ReadUInt32(string field) => BinaryPrimitives.ReadUInt32BigEndian(Take(4, field));

    /// <summary>Reads a big-endian int64.</summary>
    public long ReadInt64(string field) => BinaryPrimitives.ReadInt64BigEndian(Take(8, field));

    /// <summary>Reads a big-endian IEEE 754 double.</summary>
    public double ReadFloat64(string field) => BinaryPrimitives.ReadDoubleBigEndian(Take(8, field));

    /// <summary>Reads a uuid: the most significant 8 bytes then the least significant, both big-endian.</summary>
    public Guid ReadUuid(string field) => new(Take(16, field), bigEndian: true);

    /// <summary>Reads an unsigned varint of at most 5 bytes (32 bits), as Kafka's compact lengths and tags use.</summary>
    public uint ReadUnsignedVarint(string field) => (uint)ReadVarUInt(field, 32);

    /// <summary>Reads a zig-zag varint of at most 32 bits.</summary>
    public int ReadVarint(string field)
    {
        var raw = ReadUnsignedVarint(field);
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>Reads a zig-zag varlong of at most 10 bytes.</summary>
    public long ReadVarlong(string field)
    {
        var raw = ReadVarUInt(field, 64);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    // Base-128 little-endian groups; a value wider than `bits` (too many bytes, or high bits set in the last one) is refused.
    private ulong ReadVarUInt(string field, int bits)
    {
        var start = _position;
        ulong value = 0;
        for (var shift = 0; shift < bits; shift += 7)
        {
            var b = Take(1, field)[0];
            if (bits - shift < 7 && b >> (bits - shift) != 0) throw Invalid($"varint is wider than {bits} bits", field, start);
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Invalid($"varint is longer than {(bits + 6) / 7} bytes", field, start);
    }

    /// <summary>Reads a STRING (int16 length) or COMPACT_STRING (varint length + 1) that must not be null.</summary>
    public string ReadString(bool compact, string field) =>
        ReadNullableString(compact, field) ?? throw Invalid("non-nullable field was null", field, _position);

    /// <summary>Reads a NULLABLE_STRING or COMPACT_NULLABLE_STRING.</summary>
    public string? ReadNullableString(bool compact, string field)
    {
        var length = compact ? ReadCompactLength(field) : ReadInt16(field);
        if (length < -1) throw Invalid($"negative string length {length}", field, _position - 2);
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length, field));
    }

    /// <summary>Reads BYTES (int32 length) or COMPACT_BYTES that must not be null, copying them.</summary>
    public byte[] ReadBytes(bool compact, string field) =>
        ReadNullableBytes(compact, field) ?? throw Invalid("non-nullable field was null", field, _position);

    /// <summary>Reads NULLABLE_BYTES or COMPACT_NULLABLE_BYTES, copying them.</summary>
    public byte[]? ReadNullableBytes(bool compact, string field)
    {
        var length = ReadLength(compact, field);
        return length < 0 ? null : Take(length, field).ToArray();
    }

    /// <summary>Reads a records field that must not be null, as a slice of the frame (no copy).</summary>
    public ReadOnlyMemory<byte> ReadRecords(bool compact, string field) =>
        ReadNullableRecords(compact, field) ?? throw Invalid("non-nullable field was null", field, _position);

    /// <summary>Reads a nullable records field as a slice of the frame (no copy).</summary>
    public ReadOnlyMemory<byte>? ReadNullableRecords(bool compact, string field)
    {
        var length = ReadLength(compact, field);
        if (length < 0) return null;
        Take(length, field);
        return _memory.Slice(_position - length, length);
    }

    /// <summary>
    /// Reads an ARRAY (int32 count) or COMPACT_ARRAY (varint count + 1) header: the element count, or -1 for null.
    /// The count is refused when it exceeds the bytes left, since every element takes at least one byte.
    /// </summary>
    public int ReadArrayLength(bool compact, bool nullable, string field)
    {
        var start = _position;
        var count = ReadLength(compact, field);
        if (count < 0 && !nullable) throw Invalid("non-nullable field was null", field, start);
        if (count > Remaining) throw Invalid($"array of {count} elements is longer than the {Remaining} bytes left", field, start);
        return count;
    }

    /// <summary>Reads the number of tagged fields that follow.</summary>
    public int ReadTaggedFieldCount()
    {
        var start = _position;
        var count = ReadUnsignedVarint("tagged field count");
        if (count > (uint)Remaining) throw Invalid($"{count} tagged fields cannot fit in the {Remaining} bytes left", "tagged field count", start);
        return (int)count;
    }

    /// <summary>Reads one tagged field's tag and size, and returns a reader over exactly its data.</summary>
    public KafkaReader ReadTaggedField(out int tag)
    {
        var start = _position;
        var rawTag = ReadUnsignedVarint("tag");
        if (rawTag > int.MaxValue) throw Invalid($"tag {rawTag} is out of range", "tag", start);
        tag = (int)rawTag;
        var size = ReadUnsignedVarint("tagged field size");
        if (size > (uint)Remaining) throw Truncated($"tagged field {tag}", (int)Math.Min(size, int.MaxValue));
        var offset = _position;
        _position += (int)size;
        return new KafkaReader(_memory.Slice(offset, (int)size), _frameOffset + offset);
    }

    /// <summary>Checks that a tagged field's data was read to its end: a known tag whose size disagrees with its schema is malformed.</summary>
    public readonly void EnsureConsumed(string field)
    {
        if (Remaining != 0) throw Invalid($"{Remaining} bytes left over after the field", field, _position);
    }

    /// <summary>Copies the bytes left (an unknown tagged field's data).</summary>
    public byte[] ReadRemaining()
    {
        var rest = _span[_position..].ToArray();
        _position = _span.Length;
        return rest;
    }

    // -1 means null; the compact forms store length + 1 so that 0 can mean null.
    private int ReadLength(bool compact, string field)
    {
        var start = _position;
        int length;
        if (compact)
        {
            length = ReadCompactLength(field);
        }
        else
        {
            length = ReadInt32(field);
            if (length < -1) throw Invalid($"negative length {length}", field, start);
        }
        return length;
    }

    private int ReadCompactLength(string field)
    {
        var start = _position;
        var raw = ReadUnsignedVarint(field);
        if (raw > int.MaxValue) throw Invalid($"length {raw - 1} is out of range", field, start);
        return (int)raw - 1;
    }

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count > Remaining) throw Truncated(field, count);
        var slice = _span.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly KafkaProtocolException Truncated(string field, int needed) =>
        new($"needs {needed} bytes but only {Remaining} are left", field, _frameOffset + _position);

    private readonly KafkaProtocolException Invalid(string message, string field, int position) =>
        new(message, field, _frameOffset + position);
}
