using System.IO.Compression;
using K4os.Compression.LZ4.Streams;

namespace AkkaBroker.Protocol.Records;

/// <summary>
/// Compresses and decompresses a batch's records section. Gzip, LZ4 (frame format) and zstd produce the streams
/// Kafka's clients produce; snappy uses the plain block format (Kafka's Java client wraps it in xerial framing,
/// which the Kafka-protocol listener will have to add).
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

    /// <exception cref="InvalidDataException">the data is not a valid stream of that codec.</exception>
    public static byte[] Decompress(CompressionType type, ReadOnlySpan<byte> data)
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
                    using var output = new MemoryStream(data.Length * 4);
                    gz.CopyTo(output);
                    return output.ToArray();
                }
                case CompressionType.Snappy:
                    return Snappier.Snappy.DecompressToArray(data);
                case CompressionType.Lz4:
                {
                    using var input = new MemoryStream(data.ToArray());
                    using var lz = LZ4Stream.Decode(input);
                    using var output = new MemoryStream(data.Length * 4);
                    lz.CopyTo(output);
                    return output.ToArray();
                }
                case CompressionType.Zstd:
                {
                    using var zstd = new ZstdSharp.Decompressor();
                    return zstd.Unwrap(data).ToArray();
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
