using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace AkkaBroker.Protocol.Records;

/// <summary>
/// Accumulates records into one v2 record batch. Not thread-safe: the producer's accumulator owns one builder per
/// partition and hands the finished bytes to the sender.
/// </summary>
/// <remarks>
/// The records are written into an array rented from <see cref="ArrayPool{T}.Shared"/>, which <see cref="Release"/>
/// gives back once the batch is built (as Kafka's producer takes its batch buffers from a pool): a producer fills a
/// batch.size buffer per batch, and fresh ones cost a pass to zero them and, at 256 KiB, page faults besides.
/// </remarks>
public sealed class RecordBatchBuilder
{
    private byte[] _records;
    private int _written;
    private readonly CompressionType _compression;
    private long _baseTimestamp = -1;
    private long _maxTimestamp = -1;

    public RecordBatchBuilder(CompressionType compression, int initialCapacity = 1024)
    {
        _compression = compression;
        _records = ArrayPool<byte>.Shared.Rent(Math.Max(64, initialCapacity));
    }

    public int Count { get; private set; }

    /// <summary>Uncompressed size of the batch so far, header included: what <c>batch.size</c> is compared with.</summary>
    public int EstimatedSize => RecordBatch.HeaderSize + _written;

    /// <summary>Size one more record would add, so the caller can close a batch before it outgrows <c>batch.size</c>.</summary>
    public static int EstimateRecordSize(byte[]? key, byte[]? value, IReadOnlyList<RecordHeader>? headers)
    {
        var body = 1 + 10 + 5 + Varint.SizeOf(key?.Length ?? -1) + (key?.Length ?? 0)
                   + Varint.SizeOf(value?.Length ?? -1) + (value?.Length ?? 0) + 5;
        if (headers != null)
            foreach (var h in headers)
                body += 10 + Encoding.UTF8.GetByteCount(h.Key) + (h.Value?.Length ?? 0);
        return body + Varint.SizeOf(body);
    }

    public void Append(long timestamp, byte[]? key, byte[]? value, IReadOnlyList<RecordHeader>? headers = null)
    {
        if (Count == 0) _baseTimestamp = timestamp;
        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
        var timestampDelta = timestamp - _baseTimestamp;
        var offsetDelta = Count;

        var bodySize = 1 + Varint.SizeOf(timestampDelta) + Varint.SizeOf(offsetDelta)
                       + SizeOfBytes(key) + SizeOfBytes(value) + Varint.SizeOf(headers?.Count ?? 0);
        byte[][]? headerKeys = null;
        if (headers is { Count: > 0 })
        {
            headerKeys = new byte[headers.Count][];
            for (var i = 0; i < headers.Count; i++)
            {
                headerKeys[i] = Encoding.UTF8.GetBytes(headers[i].Key);
                bodySize += SizeOfBytes(headerKeys[i]) + SizeOfBytes(headers[i].Value);
            }
        }

        var span = Reserve(bodySize + 5);
        var pos = Varint.Write(span, bodySize);
        span[pos++] = 0;
        pos += Varint.Write(span[pos..], timestampDelta);
        pos += Varint.Write(span[pos..], offsetDelta);
        pos += WriteBytes(span[pos..], key);
        pos += WriteBytes(span[pos..], value);
        pos += Varint.Write(span[pos..], headers?.Count ?? 0);
        if (headerKeys != null)
            for (var i = 0; i < headerKeys.Length; i++)
            {
                pos += WriteBytes(span[pos..], headerKeys[i]);
                pos += WriteBytes(span[pos..], headers![i].Value);
            }
        _written += pos;
        Count++;
    }

    /// <summary>Finishes the batch with base offset 0 (the broker assigns the real one) and a valid CRC.</summary>
    public byte[] Build(long producerId = RecordBatch.NoProducerId, short producerEpoch = RecordBatch.NoProducerEpoch,
        int baseSequence = RecordBatch.NoSequence)
    {
        if (Count == 0) throw new InvalidOperationException("an empty record batch cannot be built");
        var records = _records.AsSpan(0, _written);
        var section = _compression == CompressionType.None ? records : Compression.Compress(_compression, records);
        // Not zeroed first: every header field and the records after them are written below.
        var batch = ByteArrays.ForOverwrite(RecordBatch.HeaderSize + section.Length);
        var s = batch.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(s[RecordBatch.BaseOffsetPos..], 0);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatch.LengthPos..], batch.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatch.LeaderEpochPos..], -1);
        s[RecordBatch.MagicPos] = RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(s[RecordBatch.AttributesPos..], (short)_compression);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatch.LastOffsetDeltaPos..], Count - 1);
        BinaryPrimitives.WriteInt64BigEndian(s[RecordBatch.BaseTimestampPos..], _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(s[RecordBatch.MaxTimestampPos..], _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(s[RecordBatch.ProducerIdPos..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(s[RecordBatch.ProducerEpochPos..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatch.BaseSequencePos..], baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(s[RecordBatch.RecordCountPos..], Count);
        section.CopyTo(s[RecordBatch.HeaderSize..]);
        BinaryPrimitives.WriteUInt32BigEndian(s[RecordBatch.CrcPos..], Crc32C.Compute(s[RecordBatch.AttributesPos..]));
        return batch;
    }

    /// <summary>
    /// Gives the records' buffer back to the pool once the batch is built (or dropped); the builder takes no more
    /// records after. A builder never released only leaves its buffer to the garbage collector.
    /// </summary>
    public void Release()
    {
        var records = _records;
        _records = [];
        _written = 0;
        Count = 0;
        if (records.Length > 0) ArrayPool<byte>.Shared.Return(records);
    }

    /// <summary>Room for <paramref name="size"/> more bytes after those written, in a larger rented buffer if need be.</summary>
    private Span<byte> Reserve(int size)
    {
        if (_written + size > _records.Length)
        {
            if (_records.Length == 0) throw new ObjectDisposedException(nameof(RecordBatchBuilder), "the batch was built and its buffer released");
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_records.Length * 2, _written + size));
            _records.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_records);
            _records = larger;
        }
        return _records.AsSpan(_written, size);
    }

    private static int SizeOfBytes(byte[]? b) => b == null ? Varint.SizeOf(-1) : Varint.SizeOf(b.Length) + b.Length;

    private static int WriteBytes(Span<byte> dest, byte[]? b)
    {
        if (b == null) return Varint.Write(dest, -1);
        var n = Varint.Write(dest, b.Length);
        b.CopyTo(dest[n..]);
        return n + b.Length;
    }
}
