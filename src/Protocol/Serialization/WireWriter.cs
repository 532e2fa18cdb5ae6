using System.Buffers.Binary;
using System.Text;

namespace AkkaBroker.Protocol.Serialization;

/// <summary>Little-endian binary writer for the broker's own messages (record batches inside stay big-endian bytes).</summary>
internal sealed class WireWriter
{
    private byte[] _buffer;
    private int _pos;

    /// <param name="capacity">Initial size; when it is the exact size of the message, <see cref="ToArray"/> copies nothing.</param>
    // Not zeroed first: every byte Reserve hands out is written, and the buffer leaves whole only when full.
    public WireWriter(int capacity = 256) => _buffer = ByteArrays.ForOverwrite(Math.Max(16, capacity));

    /// <summary>The written bytes: the buffer itself when the message filled it exactly (hot messages size it so).</summary>
    public byte[] ToArray() => _pos == _buffer.Length ? _buffer : _buffer.AsSpan(0, _pos).ToArray();

    private Span<byte> Reserve(int n)
    {
        if (_pos + n > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _pos + n));
        var span = _buffer.AsSpan(_pos, n);
        _pos += n;
        return span;
    }

    public void Byte(byte v) => Reserve(1)[0] = v;

    public void Bool(bool v) => Byte(v ? (byte)1 : (byte)0);

    public void Short(short v) => BinaryPrimitives.WriteInt16LittleEndian(Reserve(2), v);

    public void Int(int v) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), v);

    public void Long(long v) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), v);

    public void Double(double v) => BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), v);

    /// <summary>Bytes <see cref="String"/> writes for <paramref name="v"/>.</summary>
    public static int SizeOf(string? v) => 4 + (v == null ? 0 : Encoding.UTF8.GetByteCount(v));

    /// <summary>Null is written as length -1.</summary>
    public void String(string? v)
    {
        if (v == null) { Int(-1); return; }
        var n = Encoding.UTF8.GetByteCount(v);
        Int(n);
        Encoding.UTF8.GetBytes(v, Reserve(n));
    }

    public void Bytes(ReadOnlySpan<byte> v)
    {
        Int(v.Length);
        v.CopyTo(Reserve(v.Length));
    }

    public void TopicPartition(Messages.TopicPartition tp)
    {
        String(tp.Topic);
        Int(tp.Partition);
    }

    public void StringMap(IReadOnlyDictionary<string, string> map)
    {
        Int(map.Count);
        foreach (var (k, v) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            String(k);
            String(v);
        }
    }

    public void List<T>(IReadOnlyList<T> items, Action<WireWriter, T> write)
    {
        Int(items.Count);
        foreach (var item in items) write(this, item);
    }
}

/// <summary>Reads what <see cref="WireWriter"/> wrote; throws <see cref="FormatException"/> on truncated input.</summary>
internal sealed class WireReader
{
    private readonly byte[] _bytes;
    private int _pos;

    public WireReader(byte[] bytes) => _bytes = bytes;

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || _pos + n > _bytes.Length)
            throw new FormatException($"message truncated: wanted {n} bytes at {_pos}, have {_bytes.Length - _pos}");
        var s = _bytes.AsSpan(_pos, n);
        _pos += n;
        return s;
    }

    public byte Byte() => Take(1)[0];
    public bool Bool() => Byte() != 0;
    public short Short() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));
    public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
    public long Long() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public string? NullableString()
    {
        var n = Int();
        return n < 0 ? null : Encoding.UTF8.GetString(Take(n));
    }

    public string String() => NullableString() ?? throw new FormatException("a required string is null");

    public byte[] Bytes() => ByteArrays.CopyOf(Take(Int()));

    public Messages.TopicPartition TopicPartition() => new(String(), Int());

    private int Remaining => _bytes.Length - _pos;

    public IReadOnlyDictionary<string, string> StringMap()
    {
        var n = Int();
        // Checked before anything is allocated: each entry is two strings of at least their 4-byte length.
        if (n < 0 || n > Remaining / 8) throw new FormatException($"map of {n} entries cannot fit in the {Remaining} bytes left");
        var map = new Dictionary<string, string>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++) map[String()] = String();
        return map;
    }

    public IReadOnlyList<T> List<T>(Func<WireReader, T> read)
    {
        var n = Int();
        // Checked before the array is allocated: every element takes at least one byte.
        if (n < 0 || n > Remaining) throw new FormatException($"list of {n} elements cannot fit in the {Remaining} bytes left");
        var list = new T[n];
        for (var i = 0; i < n; i++) list[i] = read(this);
        return list;
    }

    public void EnsureEnd()
    {
        if (_pos != _bytes.Length) throw new FormatException($"{_bytes.Length - _pos} unexpected bytes after the message");
    }
}
