using System.IO.Compression;
using K4os.Compression.LZ4.Streams;

namespace AkkaBroker.Protocol.Records;

/// <summary>
/// Compresses and decompresses a batch's records section. Gzip, LZ4 (frame format) and zstd produce the streams
/// Kafka's clients produce; snappy is written in the plain block format (as librdkafka writes it) and read in both that
/// and the xerial framing Kafka's Java client writes.
/// </summary>
public static class Compression
{
    public static byte[] Compress(CompressionType type, ReadOnlySpan<byte> data)
    {
        switch (type)
        {
            case CompressionType.None:
                return data.ToArray();
            case CompressionType.Gzip:
            {
                using var ms = new MemoryStream(data.Length / 2 + 64);
                using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
                return ms.ToArray();
            }
            case CompressionType.Snappy:
                return Snappier.Snappy.CompressToArray(data);
            case CompressionType.Lz4:
            {
                using var ms = new MemoryStream(data.Length / 2 + 64);
                using (var lz = LZ4Stream.Encode(ms, leaveOpen: true)) lz.Write(data);
                return ms.ToArray();
            }
            case CompressionType.Zstd:
            {
                using var zstd = new ZstdSharp.Compressor(3);
                return zstd.Wrap(data).ToArray();
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unknown compression type");
        }
    }

    /// <summary>
    /// The most bytes a batch's records section may decompress to. A few kilobytes of zeros can claim gigabytes
    /// (a decompression bomb): output past this is refused as invalid data before it is allocated. Producers' batches
    /// (<c>batch.size</c>, 16 KiB by default, 1 MiB by <c>max.message.bytes</c>) decompress to far less.
    /// </summary>
    public const int MaxDecompressedBytes = 64 * 1024 * 1024;

    /// <summary>xerial snappy-java's stream header (Kafka's Java client writes snappy batches in its framing).</summary>
    private static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <exception cref="InvalidDataException">the data is not a valid stream of that codec, or decompresses to more than <paramref name="maxBytes"/>.</exception>
    public static byte[] Decompress(CompressionType type, ReadOnlySpan<byte> data, int maxBytes = MaxDecompressedBytes)
    {
        try
        {
            switch (type)
            {
                case CompressionType.None:
                    return data.ToArray();
                case CompressionType.Gzip:
                {
                    using var input = new MemoryStream(data.ToArray());
                    using var gz = new GZipStream(input, CompressionMode.Decompress);
                    return ReadBounded(gz, data.Length * 4, maxBytes, type);
                }
                case CompressionType.Snappy:
                    return data.StartsWith(XerialMagic) ? DecompressXerial(data, maxBytes) : DecompressSnappyBlock(data, maxBytes);
                case CompressionType.Lz4:
                {
                    using var input = new MemoryStream(data.ToArray());
                    using var lz = LZ4Stream.Decode(input);
                    return ReadBounded(lz, data.Length * 4, maxBytes, type);
                }
                case CompressionType.Zstd:
                {
                    using var input = new MemoryStream(data.ToArray());
                    using var zstd = new ZstdSharp.DecompressionStream(input);
                    return ReadBounded(zstd, data.Length * 4, maxBytes, type);
                }
                default:
                    throw new InvalidDataException($"unknown compression type {(int)type}");
            }
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"the {type} records section could not be decompressed: {e.Message}", e);
        }
    }

    /// <summary>Reads <paramref name="stream"/> to its end, refusing it as soon as it passes <paramref name="maxBytes"/>.</summary>
    private static byte[] ReadBounded(Stream stream, int expected, int maxBytes, CompressionType type)
    {
        using var output = new MemoryStream(Math.Clamp(expected, 256, maxBytes));
        var buffer = new byte[Math.Min(81920, maxBytes + 1)];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (output.Length + read > maxBytes) throw TooLarge(type, maxBytes);
            // Grown by hand: MemoryStream's own doubling could allocate up to twice the limit.
            if (output.Length + read > output.Capacity) output.Capacity = (int)Math.Min(maxBytes, Math.Max(2L * output.Capacity, output.Length + read));
            output.Write(buffer, 0, read);
        }
        return output.ToArray();
    }

    private static byte[] DecompressSnappyBlock(ReadOnlySpan<byte> block, int maxBytes)
    {
        // A snappy block states its length first: checked before anything is allocated.
        if (Snappier.Snappy.GetUncompressedLength(block) > maxBytes) throw TooLarge(CompressionType.Snappy, maxBytes);
        return Snappier.Snappy.DecompressToArray(block);
    }

    /// <summary>snappy-java's framing: the 16-byte header (magic, version, compatible version), then blocks each after its big-endian length.</summary>
    private static byte[] DecompressXerial(ReadOnlySpan<byte> data, int maxBytes)
    {
        const int headerSize = 16;
        if (data.Length < headerSize) throw new InvalidDataException("the snappy stream header is cut short");
        using var output = new MemoryStream();
        var pos = headerSize;
        while (pos < data.Length)
        {
            if (pos + 4 > data.Length) throw new InvalidDataException("a snappy block's length is cut short");
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data[pos..]);
            pos += 4;
            if (length < 0 || pos + length > data.Length) throw new InvalidDataException($"a snappy block of {length} bytes runs past the end of the stream");
            var block = data.Slice(pos, length);
            if (output.Length + Snappier.Snappy.GetUncompressedLength(block) > maxBytes) throw TooLarge(CompressionType.Snappy, maxBytes);
            output.Write(Snappier.Snappy.DecompressToArray(block));
            pos += length;
        }
        return output.ToArray();
    }

    private static InvalidDataException TooLarge(CompressionType type, int maxBytes) =>
        new(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"the {type} records section decompresses to more than {maxBytes:N0} bytes (a decompression bomb, or a batch far larger than any producer sends)"));

    /// <summary>Parses Kafka's <c>compression.type</c> values.</summary>
    public static bool TryParse(string value, out CompressionType type)
    {
        switch (value.Trim().ToLowerInvariant())
        {
            case "none": type = CompressionType.None; return true;
            case "gzip": type = CompressionType.Gzip; return true;
            case "snappy": type = CompressionType.Snappy; return true;
            case "lz4": type = CompressionType.Lz4; return true;
            case "zstd": type = CompressionType.Zstd; return true;
            default: type = CompressionType.None; return false;
        }
    }
}
