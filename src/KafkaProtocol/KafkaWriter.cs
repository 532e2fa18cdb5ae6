using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace AkkaBroker.KafkaProtocol;

/// <summary>
/// Writes Kafka's primitive types, big-endian, to an <see cref="IBufferWriter{T}"/> (an <see cref="ArrayBufferWriter{T}"/>
/// or a pooled writer). Not thread-safe: one writer per message being written.
/// </summary>
public sealed class KafkaWriter
{
    private readonly IBufferWriter<byte> _output;

    /// <summary>Writes to <paramref name="output"/>.</summary>
    public KafkaWriter(IBufferWriter<byte> output) => _output = output;

    /// <summary>How many bytes this writer has written.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Writes an int8.</summary>
    public void WriteInt8(sbyte value)
    {
        _output.GetSpan(1)[0] = (byte)value;
        Advance(1);
    }

    /// <summary>Writes a boolean as one byte, 1 or 0.</summary>
    public void WriteBool(bool value) => WriteInt8(value ? (sbyte)1 : (sbyte)0);

    /// <summary>Writes a big-endian int16.</summary>
    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    /// <summary>Writes a big-endian uint16.</summary>
    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    /// <summary>Writes a big-endian int32.</summary>
    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    /// <summary>Writes a big-endian uint32.</summary>
    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    /// <summary>Writes a big-endian int64.</summary>
    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    /// <summary>Writes a big-endian IEEE 754 double.</summary>
    public void WriteFloat64(double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    /// <summary>Writes a uuid: the most significant 8 bytes then the least significant, both big-endian.</summary>
    public void WriteUuid(Guid value)
    {
        var span = _output.GetSpan(16);
        value.TryWriteBytes(span, bigEndian: true, out _);
        Advance(16);
    }

    /// <summary>Writes an unsigned varint (1 to 5 bytes).</summary>
    public void WriteUnsignedVarint(uint value) => WriteVarUInt(value);

    /// <summary>Writes a zig-zag varint.</summary>
    public void WriteVarint(int value) => WriteVarUInt((uint)((value << 1) ^ (value >> 31)));

    /// <summary>Writes a zig-zag varlong (1 to 10 bytes).</summary>
    public void WriteVarlong(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    private void WriteVarUInt(ulong value)
    {
        var span = _output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        Advance(i);
    }

    /// <summary>Writes a STRING or COMPACT_STRING.</summary>
    /// <exception cref="KafkaProtocolException">a non-compact string is longer than 32767 UTF-8 bytes.</exception>
    public void WriteString(bool compact, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (compact)
        {
            WriteUnsignedVarint((uint)length + 1);
        }
        else
        {
            if (length > short.MaxValue) throw new KafkaProtocolException($"string of {length} bytes is longer than an int16 length allows", "string", -1);
            WriteInt16((short)length);
        }
        var span = _output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        Advance(length);
    }

    /// <summary>Writes a NULLABLE_STRING or COMPACT_NULLABLE_STRING.</summary>
    public void WriteNullableString(bool compact, string? value)
    {
        if (value is not null) WriteString(compact, value);
        else if (compact) WriteUnsignedVarint(0);
        else WriteInt16(-1);
    }

    /// <summary>Writes BYTES or COMPACT_BYTES.</summary>
    public void WriteBytes(bool compact, byte[] value) => WriteRecords(compact, value);

    /// <summary>Writes NULLABLE_BYTES or COMPACT_NULLABLE_BYTES.</summary>
    public void WriteNullableBytes(bool compact, byte[]? value) =>
        // Typed as nullable: a null array converts to an empty ReadOnlyMemory, which would write length 0, not null.
        WriteNullableRecords(compact, value is null ? (ReadOnlyMemory<byte>?)null : value);

    /// <summary>Writes a records field: its length then the bytes as they are.</summary>
    public void WriteRecords(bool compact, ReadOnlyMemory<byte> value)
    {
        WriteLength(compact, value.Length);
        WriteRaw(value.Span);
    }

    /// <summary>Writes a nullable records field.</summary>
    public void WriteNullableRecords(bool compact, ReadOnlyMemory<byte>? value)
    {
        if (value is { } v) WriteRecords(compact, v);
        else WriteLength(compact, -1);
    }

    /// <summary>Writes an ARRAY or COMPACT_ARRAY header; -1 writes null.</summary>
    public void WriteArrayLength(bool compact, int count) => WriteLength(compact, count);

    /// <summary>Writes bytes as they are, without a length.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (_output is ByteCounter)
        {
            // Sizing a frame counts record batches without copying them.
            Advance(bytes.Length);
            return;
        }
        // In pieces of at most 64 KiB, so a large fetch response fills a pipe's pooled segments rather than asking for one
        // buffer its size.
        while (!bytes.IsEmpty)
        {
            var span = _output.GetSpan(Math.Min(bytes.Length, 65536));
            var n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            Advance(n);
            bytes = bytes[n..];
        }
    }

    /// <summary>
    /// Writes a struct's tagged field section: the known fields collected in <paramref name="known"/> and the
    /// <paramref name="unknown"/> ones passed through, together in ascending tag order as the protocol requires.
    /// </summary>
    /// <exception cref="KafkaProtocolException">an unknown tagged field has the tag of a known one, or a tag is negative.</exception>
    public void WriteTaggedFields(TaggedFieldsWriter? known, List<(int Tag, byte[] Data)>? unknown)
    {
        var fields = new List<(int Tag, ReadOnlyMemory<byte> Data)>();
        if (known is not null)
            foreach (var (tag, data) in known.Fields) fields.Add((tag, data.WrittenMemory));
        if (unknown is not null)
            foreach (var (tag, data) in unknown) fields.Add((tag, data));
        fields.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        for (var i = 0; i < fields.Count; i++)
        {
            if (fields[i].Tag < 0) throw new KafkaProtocolException($"tag {fields[i].Tag} is negative", "UnknownTaggedFields", -1);
            if (i > 0 && fields[i].Tag == fields[i - 1].Tag)
                throw new KafkaProtocolException($"tag {fields[i].Tag} appears twice", "UnknownTaggedFields", -1);
        }
        WriteUnsignedVarint((uint)fields.Count);
        foreach (var (tag, data) in fields)
        {
            WriteUnsignedVarint((uint)tag);
            WriteUnsignedVarint((uint)data.Length);
            WriteRaw(data.Span);
        }
    }

    /// <summary>The exception generated code throws for a null in a field the version does not let be null.</summary>
    public static KafkaProtocolException NullValue(string field, short version) =>
        new($"null is not allowed at version {version}", field, -1);

    private void WriteLength(bool compact, int length)
    {
        if (compact) WriteUnsignedVarint((uint)(length + 1));
        else WriteInt32(length);
    }

    private void Advance(int count)
    {
        _output.Advance(count);
        BytesWritten += count;
    }
}

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that only counts what is written to it, for sizing a frame before it is written
/// where it goes: small fields land in a scratch buffer, and <see cref="KafkaWriter.WriteRaw"/> skips the copy of
/// record batches altogether.
/// </summary>
internal sealed class ByteCounter : IBufferWriter<byte>
{
    private byte[] _scratch = new byte[256];

    /// <summary>The bytes written so far.</summary>
    public long Count { get; private set; }

    public void Advance(int count) => Count += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint);

    private byte[] Scratch(int sizeHint)
    {
        if (sizeHint > _scratch.Length) _scratch = new byte[sizeHint];
        return _scratch;
    }
}
