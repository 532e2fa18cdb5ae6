using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace AkkaBroker.Protocol.Serialization;

/// <summary>Little-endian binary writer for the broker's own messages (record batches inside stay big-endian bytes).</summary>
internal sealed class WireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public WireWriter(int capacity = 256) => _buffer = new ArrayBufferWriter<byte>(capacity);

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void Byte(byte v)
    {
        _buffer.GetSpan(1)[0] = v;
        _buffer.Advance(1);
    }

    public void Bool(bool v) => Byte(v ? (byte)1 : (byte)0);

    public void Short(short v)
    {
        BinaryPrimitives.WriteInt16LittleEndian(_buffer.GetSpan(2), v);
        _buffer.Advance(2);
    }

    public void Int(int v)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), v);
        _buffer.Advance(4);
    }

    public void Long(long v)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), v);
        _buffer.Advance(8);
    }

    /// <summary>Null is written as length -1.</summary>
    public void String(string? v)
    {
        if (v == null) { Int(-1); return; }
        var n = Encoding.UTF8.GetByteCount(v);
        Int(n);
        Encoding.UTF8.GetBytes(v, _buffer.GetSpan(n));
        _buffer.Advance(n);
    }

    public void Bytes(ReadOnlySpan<byte> v)
    {
        Int(v.Length);
        v.CopyTo(_buffer.GetSpan(v.Length));
        _buffer.Advance(v.Length);
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

    public string? NullableString()
    {
        var n = Int();
        return n < 0 ? null : Encoding.UTF8.GetString(Take(n));
    }

    public string String() => NullableString() ?? throw new FormatException("a required string is null");

    public byte[] Bytes() => Take(Int()).ToArray();

    public Messages.TopicPartition TopicPartition() => new(String(), Int());

    public IReadOnlyDictionary<string, string> StringMap()
    {
        var n = Int();
        var map = new Dictionary<string, string>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++) map[String()] = String();
        return map;
    }

    public IReadOnlyList<T> List<T>(Func<WireReader, T> read)
    {
        var n = Int();
        if (n < 0 || n > _bytes.Length) throw new FormatException($"list length {n} is impossible here");
        var list = new T[n];
        for (var i = 0; i < n; i++) list[i] = read(this);
        return list;
    }

    public void EnsureEnd()
    {
        if (_pos != _bytes.Length) throw new FormatException($"{_bytes.Length - _pos} unexpected bytes after the message");
    }
}
