using System.Buffers.Binary;
using AkkaBroker.Protocol.Records;
using Xunit;

namespace AkkaBroker.Tests.Records;

public class CompressionTests
{
    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void A_records_section_that_decompresses_past_the_limit_is_refused_and_one_at_the_limit_is_not(CompressionType type)
    {
        // A megabyte of zeros compresses to a few hundred bytes or kilobytes: a small bomb.
        var zeros = new byte[1_000_000];
        var bomb = Compression.Compress(type, zeros);
        Assert.True(bomb.Length < zeros.Length / 10, $"{type}: {bomb.Length} bytes");
        var refused = Assert.Throws<InvalidDataException>(() => Compression.Decompress(type, bomb, maxBytes: 999_999));
        Assert.Contains("decompresses to more than 999,999 bytes", refused.Message);
        Assert.Equal(zeros.Length, Compression.Decompress(type, bomb, maxBytes: 1_000_000).Length);
    }

    [Fact]
    public void Snappy_in_the_xerial_framing_of_kafkas_java_client_is_read_and_bounded()
    {
        var first = "first block "u8.ToArray();
        var second = new byte[5000];
        var stream = new MemoryStream();
        stream.Write([0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0]);
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, 1);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 1);
        stream.Write(header);
        foreach (var block in new[] { first, second }.Select(b => Compression.Compress(CompressionType.Snappy, b)))
        {
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, block.Length);
            stream.Write(length);
            stream.Write(block);
        }
        var framed = stream.ToArray();

        Assert.Equal(first.Concat(second), Compression.Decompress(CompressionType.Snappy, framed));
        Assert.Throws<InvalidDataException>(() => Compression.Decompress(CompressionType.Snappy, framed, maxBytes: 5000));
        Assert.Throws<InvalidDataException>(() => Compression.Decompress(CompressionType.Snappy, framed[..^3]));
    }
}
