namespace AkkaBroker.Protocol.Records;

/// <summary>Zig-zag variable-length integers as Kafka's record format (and protobuf) encode them.</summary>
public static class Varint
{
    public static int SizeOf(long value)
    {
        var v = (ulong)((value << 1) ^ (value >> 63));
        var size = 1;
        while (v >= 0x80) { v >>= 7; size++; }
        return size;
    }

    public static int Write(Span<byte> dest, long value)
    {
        var v = (ulong)((value << 1) ^ (value >> 63));
        var i = 0;
        while (v >= 0x80)
        {
            dest[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        dest[i++] = (byte)v;
        return i;
    }

    /// <exception cref="FormatException">the bytes end inside the number or it is longer than 10 bytes.</exception>
    public static long Read(ReadOnlySpan<byte> src, ref int pos)
    {
        ulong result = 0;
        var shift = 0;
        while (true)
        {
            if (pos >= src.Length) throw new FormatException("varint runs past the end of the buffer");
            var b = src[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
            shift += 7;
            if (shift > 63) throw new FormatException("varint is longer than 10 bytes");
        }
        return (long)(result >> 1) ^ -(long)(result & 1);
    }
}
