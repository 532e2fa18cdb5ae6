using System.Buffers;
using AkkaBroker.KafkaProtocol;
using Xunit;

namespace AkkaBroker.Tests.KafkaProtocol;

public class KafkaPrimitiveTests
{
    private static byte[] Write(Action<KafkaWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new KafkaWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData(0u, new byte[] { 0x00 })]
    [InlineData(1u, new byte[] { 0x01 })]
    [InlineData(127u, new byte[] { 0x7F })]
    [InlineData(128u, new byte[] { 0x80, 0x01 })]
    [InlineData(300u, new byte[] { 0xAC, 0x02 })]
    [InlineData(16383u, new byte[] { 0xFF, 0x7F })]
    [InlineData(16384u, new byte[] { 0x80, 0x80, 0x01 })]
    [InlineData(uint.MaxValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void Unsigned_varint_has_the_protobuf_encoding_and_reads_back(uint value, byte[] expected)
    {
        var bytes = Write(w => w.WriteUnsignedVarint(value));
        Assert.Equal(expected, bytes);
        var reader = new KafkaReader(bytes);
        Assert.Equal(value, reader.ReadUnsignedVarint("v"));
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(-1, new byte[] { 0x01 })]
    [InlineData(1, new byte[] { 0x02 })]
    [InlineData(-64, new byte[] { 0x7F })]
    [InlineData(64, new byte[] { 0x80, 0x01 })]
    [InlineData(int.MaxValue, new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0x0F })]
    [InlineData(int.MinValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void Varint_is_zigzag_encoded_and_reads_back(int value, byte[] expected)
    {
        var bytes = Write(w => w.WriteVarint(value));
        Assert.Equal(expected, bytes);
        var reader = new KafkaReader(bytes);
        Assert.Equal(value, reader.ReadVarint("v"));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(1L << 40)]
    public void Varlong_reads_back_including_the_extremes(long value)
    {
        var bytes = Write(w => w.WriteVarlong(value));
        Assert.True(bytes.Length <= 10, $"{bytes.Length} bytes for {value}");
        var reader = new KafkaReader(bytes);
        Assert.Equal(value, reader.ReadVarlong("v"));
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Unsigned_varint_longer_than_32_bits_is_refused()
    {
        var ex = Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F }).ReadUnsignedVarint("len"));
        Assert.Equal("len", ex.Field);
        Assert.Equal(0, ex.Offset);
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }).ReadUnsignedVarint("len"));
    }

    [Fact]
    public void Compact_nullable_string_writes_zero_for_null_and_length_plus_one_otherwise()
    {
        Assert.Equal(new byte[] { 0x00 }, Write(w => w.WriteNullableString(true, null)));
        Assert.Equal(new byte[] { 0x01 }, Write(w => w.WriteNullableString(true, "")));
        Assert.Equal(new byte[] { 0x04, 0xC3, 0xA9, (byte)'x' }, Write(w => w.WriteNullableString(true, "éx")));
        Assert.Equal(new byte[] { 0xFF, 0xFF }, Write(w => w.WriteNullableString(false, null)));
        Assert.Equal(new byte[] { 0x00, 0x02, (byte)'a', (byte)'b' }, Write(w => w.WriteString(false, "ab")));

        var reader = new KafkaReader(new byte[] { 0x00, 0x01, 0x04, 0xC3, 0xA9, (byte)'x' });
        Assert.Null(reader.ReadNullableString(true, "a"));
        Assert.Equal("", reader.ReadNullableString(true, "b"));
        Assert.Equal("éx", reader.ReadString(true, "c"));
    }

    [Fact]
    public void A_null_where_the_field_is_not_nullable_is_refused()
    {
        var ex = Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0x00 }).ReadString(true, "Name"));
        Assert.Equal("Name", ex.Field);
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }).ReadArrayLength(false, false, "Topics"));
        Assert.Equal(-1, new KafkaReader(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }).ReadArrayLength(false, true, "Topics"));
    }

    [Fact]
    public void Uuid_is_written_most_significant_byte_first_as_its_text_reads()
    {
        var id = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var bytes = Write(w => w.WriteUuid(id));
        Assert.Equal(Convert.FromHexString("00112233445566778899AABBCCDDEEFF"), bytes);
        Assert.Equal(id, new KafkaReader(bytes).ReadUuid("TopicId"));
        // Kafka's ZERO_UUID.
        Assert.Equal(new byte[16], Write(w => w.WriteUuid(Guid.Empty)));
    }

    [Fact]
    public void Integers_are_big_endian()
    {
        var bytes = Write(w =>
        {
            w.WriteInt16(0x0102);
            w.WriteInt32(0x03040506);
            w.WriteInt64(0x0708090A0B0C0D0E);
            w.WriteUInt16(0xFFFE);
            w.WriteUInt32(0xFFFFFFFD);
            w.WriteInt8(-2);
            w.WriteBool(true);
            w.WriteFloat64(1.0);
        });
        Assert.Equal(Convert.FromHexString("0102" + "03040506" + "0708090A0B0C0D0E" + "FFFE" + "FFFFFFFD" + "FE" + "01" + "3FF0000000000000"), bytes);
        var r = new KafkaReader(bytes);
        Assert.Equal(0x0102, r.ReadInt16("a"));
        Assert.Equal(0x03040506, r.ReadInt32("b"));
        Assert.Equal(0x0708090A0B0C0D0E, r.ReadInt64("c"));
        Assert.Equal(0xFFFE, r.ReadUInt16("d"));
        Assert.Equal(0xFFFFFFFD, r.ReadUInt32("e"));
        Assert.Equal(-2, r.ReadInt8("f"));
        Assert.True(r.ReadBool("g"));
        Assert.Equal(1.0, r.ReadFloat64("h"));
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public void Truncated_input_names_the_field_and_the_offset()
    {
        var ex = Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader(new byte[] { 0, 1, 0, 0, 0 });
            r.ReadInt16("RequestApiKey");
            r.ReadInt32("CorrelationId");
        });
        Assert.Equal("CorrelationId", ex.Field);
        Assert.Equal(2, ex.Offset);
        Assert.Contains("CorrelationId", ex.Message);
    }

    [Fact]
    public void Huge_declared_lengths_are_refused_before_allocating()
    {
        // 15 bytes declaring a 2 GB string, bytes field, records, array and tagged field: each must fail at once.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var frame = new byte[15];
        frame[0] = 0x7F; frame[1] = 0xFF; frame[2] = 0xFF; frame[3] = 0xFF;
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(frame).ReadBytes(false, "Data"));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(frame).ReadNullableRecords(false, "Records"));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(frame).ReadArrayLength(false, false, "Topics"));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(frame).ReadString(false, "Name"));
        var compactHuge = new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(compactHuge).ReadBytes(true, "Data"));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(compactHuge).ReadArrayLength(true, false, "Topics"));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(compactHuge).ReadTaggedFieldCount());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 }).ReadTaggedField(out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1_000_000, $"expected the refusals to allocate little (exceptions only), but {allocated} bytes were allocated");
    }

    [Fact]
    public void Records_are_a_slice_of_the_input_not_a_copy()
    {
        var frame = new byte[] { 0, 0, 0, 3, 7, 8, 9, 42 };
        var records = new KafkaReader(frame).ReadRecords(false, "Records");
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(records, out var segment));
        Assert.Same(frame, segment.Array);
        Assert.Equal(4, segment.Offset);
        Assert.Equal(3, segment.Count);
    }

    [Fact]
    public void Tagged_fields_are_written_in_ascending_tag_order_and_a_duplicate_tag_is_refused()
    {
        var known = new TaggedFieldsWriter();
        known.Begin(3).WriteInt8(7);
        var bytes = Write(w => w.WriteTaggedFields(known, [(5, new byte[] { 0xAA }), (1, new byte[] { 0xBB, 0xCC })]));
        Assert.Equal(new byte[] { 3, 1, 2, 0xBB, 0xCC, 3, 1, 7, 5, 1, 0xAA }, bytes);

        var clash = new TaggedFieldsWriter();
        clash.Begin(1).WriteInt8(0);
        Assert.Throws<KafkaProtocolException>(() => Write(w => w.WriteTaggedFields(clash, [(1, new byte[] { 0 })])));
    }

    [Fact]
    public void A_tagged_field_reader_reports_offsets_in_the_whole_frame()
    {
        var tag = -1;
        var ex = Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(new byte[] { 9, 9, 1, 4, 1, 0x00 });
            reader.ReadInt16("x");
            Assert.Equal(1, reader.ReadTaggedFieldCount());
            var field = reader.ReadTaggedField(out tag);
            field.ReadInt16("Inner");
        });
        Assert.Equal(4, tag);
        Assert.Equal("Inner", ex.Field);
        Assert.Equal(5, ex.Offset);
    }
}
