using System.Text;
using AkkaBroker.Protocol.Records;
using Xunit;

namespace AkkaBroker.Tests.Records;

public class RecordBatchTests
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Batch_round_trips_keys_values_headers_and_timestamps(CompressionType compression)
    {
        var builder = new RecordBatchBuilder(compression);
        builder.Append(1000, Bytes("k1"), Bytes("v1"), [new RecordHeader("h", Bytes("x")), new RecordHeader("empty", null)]);
        builder.Append(1005, null, Bytes("v2"));
        builder.Append(999, Bytes("k3"), null);
        var bytes = builder.Build(producerId: 42, producerEpoch: 3, baseSequence: 7);
        RecordBatch.SetBaseOffset(bytes, 100);

        Assert.Null(RecordBatch.Validate(bytes));
        var batch = RecordBatch.Wrap(bytes);
        Assert.Equal(100, batch.BaseOffset);
        Assert.Equal(102, batch.LastOffset);
        Assert.Equal(3, batch.RecordCount);
        Assert.Equal(1005, batch.MaxTimestamp);
        Assert.Equal(42, batch.ProducerId);
        Assert.Equal(3, batch.ProducerEpoch);
        Assert.Equal(7, batch.BaseSequence);
        Assert.Equal(9, batch.LastSequence);
        Assert.Equal(compression, batch.Compression);

        var records = batch.ReadRecords();
        Assert.Equal([100L, 101L, 102L], records.Select(r => r.Offset));
        Assert.Equal([1000L, 1005L, 999L], records.Select(r => r.Timestamp));
        Assert.Equal("k1", Encoding.UTF8.GetString(records[0].Key!));
        Assert.Null(records[1].Key);
        Assert.Null(records[2].Value);
        Assert.Equal(2, records[0].Headers.Count);
        Assert.Equal("x", Encoding.UTF8.GetString(records[0].Headers[0].Value!));
        Assert.Null(records[0].Headers[1].Value);
    }

    [Fact]
    public void A_builder_that_outgrows_its_first_buffer_keeps_every_record_and_refuses_more_once_released()
    {
        // 64 bytes to start: the records below take several larger buffers, each copied from the one before.
        var builder = new RecordBatchBuilder(CompressionType.None, 64);
        for (var i = 0; i < 500; i++) builder.Append(i, Bytes($"k{i}"), Bytes($"value {i}"));
        var bytes = builder.Build();
        builder.Release();

        Assert.Null(RecordBatch.Validate(bytes));
        var records = RecordBatch.Wrap(bytes).ReadRecords();
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"value {i}"), records.Select(r => Encoding.UTF8.GetString(r.Value!)));
        Assert.Equal(0, builder.Count);
        Assert.Throws<ObjectDisposedException>(() => builder.Append(0, null, Bytes("late")));

        // The buffer went back to the pool; the built batch owns its bytes, so the next builder changes nothing in it.
        var next = new RecordBatchBuilder(CompressionType.None, 64);
        for (var i = 0; i < 500; i++) next.Append(i, null, Bytes("overwritten?"));
        next.Build();
        Assert.Null(RecordBatch.Validate(bytes));
    }

    [Fact]
    public void Setting_the_base_offset_keeps_the_crc_valid_because_it_lies_outside_it()
    {
        var builder = new RecordBatchBuilder(CompressionType.None);
        builder.Append(1, null, Bytes("v"));
        var bytes = builder.Build();
        RecordBatch.SetBaseOffset(bytes, 123456789);
        Assert.True(RecordBatch.Wrap(bytes).IsCrcValid);
    }

    [Fact]
    public void Log_append_time_stamps_every_record_and_recomputes_the_crc()
    {
        var builder = new RecordBatchBuilder(CompressionType.None);
        builder.Append(1, null, Bytes("a"));
        builder.Append(2, null, Bytes("b"));
        var bytes = builder.Build();
        RecordBatch.SetLogAppendTime(bytes, 5000);
        var batch = RecordBatch.Wrap(bytes);
        Assert.True(batch.IsCrcValid);
        Assert.Equal(TimestampType.LogAppendTime, batch.TimestampType);
        Assert.All(batch.ReadRecords(), r => Assert.Equal(5000, r.Timestamp));
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Zstd)]
    public void A_record_count_the_records_cannot_hold_is_refused_before_anything_is_allocated(CompressionType compression)
    {
        var builder = new RecordBatchBuilder(compression);
        builder.Append(1, Bytes("key"), Bytes("value"));
        var bytes = builder.Build();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(57), int.MaxValue);
        var batch = RecordBatch.Wrap(bytes);
        Assert.Contains("claims 2147483647 records", Assert.Throws<InvalidDataException>(() => batch.ReadRecords()).Message);
        Assert.Contains("claims 2147483647 records", Assert.Throws<InvalidDataException>(() => batch.VisitRecords((_, _, _, _, _) => true)).Message);
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Corrupted_records_are_refused_as_invalid_data_and_nothing_else(CompressionType compression)
    {
        var builder = new RecordBatchBuilder(compression);
        for (var i = 0; i < 20; i++) builder.Append(1000 + i, Bytes($"key-{i}"), Bytes($"value-{i}"), [new RecordHeader("h", Bytes("x"))]);
        var good = builder.Build();
        var random = new Random(7);
        for (var attempt = 0; attempt < 2000; attempt++)
        {
            var bytes = (byte[])good.Clone();
            // Only the records section: the header is checked before the records are read (CRC, lengths).
            for (var flips = random.Next(1, 4); flips > 0; flips--) bytes[random.Next(RecordBatch.HeaderSize, bytes.Length)] ^= (byte)random.Next(1, 256);
            var batch = RecordBatch.Wrap(bytes);
            foreach (var read in new Action[] { () => batch.ReadRecords(), () => batch.VisitRecords((_, _, _, _, _) => true) })
            {
                try
                {
                    read();
                }
                catch (InvalidDataException)
                {
                }
                catch (Exception e)
                {
                    Assert.Fail($"{compression}, attempt {attempt}: {e.GetType().Name}: {e.Message}");
                }
            }
        }
    }

    [Fact]
    public void A_flipped_bit_in_the_records_is_reported_as_a_crc_mismatch()
    {
        var builder = new RecordBatchBuilder(CompressionType.None);
        builder.Append(1, Bytes("key"), Bytes("value"));
        var bytes = builder.Build();
        bytes[^2] ^= 0x01;
        var problem = RecordBatch.Validate(bytes);
        Assert.NotNull(problem);
        Assert.Contains("CRC mismatch", problem);
    }

    [Fact]
    public void Validate_names_a_wrong_length_and_a_wrong_magic()
    {
        var builder = new RecordBatchBuilder(CompressionType.None);
        builder.Append(1, null, Bytes("v"));
        var bytes = builder.Build();
        Assert.Contains("batchLength", RecordBatch.Validate(bytes.AsSpan(0, bytes.Length - 1)));
        var badMagic = (byte[])bytes.Clone();
        badMagic[16] = 1;
        Assert.Contains("magic", RecordBatch.Validate(badMagic));
        Assert.Contains("at least", RecordBatch.Validate(new byte[10]));
    }

    [Fact]
    public void ReadAll_skips_a_trailing_partial_batch()
    {
        var one = new RecordBatchBuilder(CompressionType.None);
        one.Append(1, null, Bytes("a"));
        var a = one.Build();
        var two = new RecordBatchBuilder(CompressionType.None);
        two.Append(2, null, Bytes("b"));
        var b = two.Build();
        var joined = a.Concat(b.Take(b.Length - 3)).ToArray();
        Assert.Single(RecordBatch.ReadAll(joined));
    }

    [Fact]
    public void Rewriting_the_base_sequence_keeps_the_batch_valid()
    {
        var builder = new RecordBatchBuilder(CompressionType.Lz4);
        builder.Append(1, null, Bytes("a"));
        var bytes = builder.Build(1, 0, 10);
        RecordBatch.SetBaseSequence(bytes, 4);
        Assert.Null(RecordBatch.Validate(bytes));
        Assert.Equal(4, RecordBatch.Wrap(bytes).BaseSequence);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(63L)]
    [InlineData(-64L)]
    [InlineData(300L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Varints_round_trip_and_report_their_size(long value)
    {
        var buffer = new byte[10];
        var written = Varint.Write(buffer, value);
        Assert.Equal(Varint.SizeOf(value), written);
        var pos = 0;
        Assert.Equal(value, Varint.Read(buffer, ref pos));
        Assert.Equal(written, pos);
    }

    [Fact]
    public void Crc32c_matches_the_standard_check_value()
    {
        // The CRC-32C check value of "123456789" (RFC 3720, appendix B.4).
        Assert.Equal(0xE3069283u, Crc32C.Compute(Bytes("123456789")));
    }
}
