using System.Buffers.Binary;
using System.Text;

namespace AkkaBroker.Protocol.Records;

/// <summary>
/// A read-only view of one record batch in Kafka's v2 format (magic 2), so that the bytes a producer sends are the
/// bytes the journal keeps and a consumer receives, and the Kafka-protocol listener passes them through:
/// <code>
/// baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
/// attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
/// producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
/// </code>
/// All integers are big-endian. The CRC-32C covers everything from attributes to the end, so the broker can set the
/// base offset without recomputing it.
/// </summary>
public readonly struct RecordBatch
{
    public const int HeaderSize = 61;
    public const byte CurrentMagic = 2;
    internal const int BaseOffsetPos = 0;
    internal const int LengthPos = 8;
    internal const int LeaderEpochPos = 12;
    internal const int MagicPos = 16;
    internal const int CrcPos = 17;
    internal const int AttributesPos = 21;
    internal const int LastOffsetDeltaPos = 23;
    internal const int BaseTimestampPos = 27;
    internal const int MaxTimestampPos = 35;
    internal const int ProducerIdPos = 43;
    internal const int ProducerEpochPos = 51;
    internal const int BaseSequencePos = 53;
    internal const int RecordCountPos = 57;
    /// <summary>Bytes before <c>batchLength</c>'s count starts (baseOffset and the length itself).</summary>
    internal const int LogOverhead = 12;

    public const long NoProducerId = -1;
    public const short NoProducerEpoch = -1;
    public const int NoSequence = -1;

    public ReadOnlyMemory<byte> Bytes { get; }

    private RecordBatch(ReadOnlyMemory<byte> bytes) => Bytes = bytes;

    private ReadOnlySpan<byte> S => Bytes.Span;

    public long BaseOffset => BinaryPrimitives.ReadInt64BigEndian(S[BaseOffsetPos..]);
    public int SizeInBytes => Bytes.Length;
    public byte Magic => S[MagicPos];
    /// <summary>The epoch of the leader that appended the batch; -1 before replication stamped it.</summary>
    public int PartitionLeaderEpoch => BinaryPrimitives.ReadInt32BigEndian(S[LeaderEpochPos..]);
    public uint Crc => BinaryPrimitives.ReadUInt32BigEndian(S[CrcPos..]);
    public short Attributes => BinaryPrimitives.ReadInt16BigEndian(S[AttributesPos..]);
    public CompressionType Compression => (CompressionType)(Attributes & 0x07);
    public TimestampType TimestampType => (Attributes & 0x08) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;
    public int LastOffsetDelta => BinaryPrimitives.ReadInt32BigEndian(S[LastOffsetDeltaPos..]);
    public long LastOffset => BaseOffset + LastOffsetDelta;
    public long NextOffset => LastOffset + 1;
    public long BaseTimestamp => BinaryPrimitives.ReadInt64BigEndian(S[BaseTimestampPos..]);
    public long MaxTimestamp => BinaryPrimitives.ReadInt64BigEndian(S[MaxTimestampPos..]);
    public long ProducerId => BinaryPrimitives.ReadInt64BigEndian(S[ProducerIdPos..]);
    public short ProducerEpoch => BinaryPrimitives.ReadInt16BigEndian(S[ProducerEpochPos..]);
    public int BaseSequence => BinaryPrimitives.ReadInt32BigEndian(S[BaseSequencePos..]);
    public int RecordCount => BinaryPrimitives.ReadInt32BigEndian(S[RecordCountPos..]);
    public bool HasProducerId => ProducerId >= 0;

    /// <summary>Sequence number of the batch's last record, wrapping as Kafka's does.</summary>
    public int LastSequence => BaseSequence < 0 ? NoSequence : (int)(((long)BaseSequence + LastOffsetDelta) % int.MaxValue);

    public uint ComputeCrc() => Crc32C.Compute(S[AttributesPos..]);

    public bool IsCrcValid => ComputeCrc() == Crc;

    /// <summary>
    /// Checks that <paramref name="bytes"/> hold exactly one well-formed batch: length, magic, CRC, record count and
    /// (for uncompressed batches, unless <paramref name="walkRecords"/> is false because the caller reads every record
    /// next, as the produce path does) that every record's length fits. Returns null when valid, else what is wrong.
    /// </summary>
    public static string? Validate(ReadOnlySpan<byte> bytes, bool walkRecords = true)
    {
        if (bytes.Length < HeaderSize) return $"a record batch needs at least {HeaderSize} bytes, got {bytes.Length}";
        var length = BinaryPrimitives.ReadInt32BigEndian(bytes[LengthPos..]);
        if (length + LogOverhead != bytes.Length)
            return $"batchLength says {length + LogOverhead} bytes but the batch has {bytes.Length}";
        if (bytes[MagicPos] != CurrentMagic) return $"unsupported magic {bytes[MagicPos]}; only record batch v2 is accepted";
        var crc = BinaryPrimitives.ReadUInt32BigEndian(bytes[CrcPos..]);
        var computed = Crc32C.Compute(bytes[AttributesPos..]);
        if (crc != computed) return $"CRC mismatch: the batch says {crc:x8}, its bytes give {computed:x8}";
        var count = BinaryPrimitives.ReadInt32BigEndian(bytes[RecordCountPos..]);
        var lastDelta = BinaryPrimitives.ReadInt32BigEndian(bytes[LastOffsetDeltaPos..]);
        if (count <= 0) return "a record batch must hold at least one record";
        // A compacted batch keeps its offsets (lastOffsetDelta) with fewer records; a produced one must be dense,
        // which the partition checks on append (IsDense).
        if (lastDelta < count - 1) return $"lastOffsetDelta {lastDelta} is too small for the record count {count}";
        var attributes = BinaryPrimitives.ReadInt16BigEndian(bytes[AttributesPos..]);
        if ((attributes & 0x07) > 4) return $"unknown compression codec {attributes & 0x07}";
        if ((attributes & 0x07) == 0 && walkRecords)
        {
            var pos = HeaderSize;
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var recordLength = Varint.Read(bytes, ref pos);
                    if (recordLength <= 0 || pos + recordLength > bytes.Length) return $"record {i} runs past the end of the batch";
                    pos += (int)recordLength;
                }
            }
            catch (FormatException e)
            {
                return $"record lengths are malformed: {e.Message}";
            }
            if (pos != bytes.Length) return $"{bytes.Length - pos} bytes follow the last record";
        }
        return null;
    }

    /// <summary>Whether every offset from base to last holds a record, as in every batch a producer sends (compaction leaves gaps).</summary>
    public bool IsDense => RecordCount == LastOffsetDelta + 1;

    /// <summary>What a record filter sees of each record, without copies: the key is a view into the batch.</summary>
    public delegate bool RecordFilter(long offset, long timestamp, ReadOnlySpan<byte> key, bool hasKey, bool hasValue);

    /// <summary>
    /// Walks the records (decompressing once when needed) and calls <paramref name="visit"/> for each, in order,
    /// allocating nothing per record; the filter's answers are returned, one per record.
    /// </summary>
    /// <exception cref="InvalidDataException">the records section is malformed.</exception>
    public bool[] VisitRecords(RecordFilter visit) => Walk(Section(), visit, asProduced: false);

    /// <summary>
    /// <see cref="VisitRecords"/> for a batch as a producer must send it (Kafka's LogValidator): the records are numbered
    /// 0, 1, 2, ... by their offset deltas and fill the records section exactly, so no client can make the log show
    /// offsets it does not hold.
    /// </summary>
    /// <exception cref="InvalidDataException">the records section is malformed, or its records are not numbered in order.</exception>
    public bool[] VisitProducedRecords(RecordFilter visit) => Walk(Section(), visit, asProduced: true);

    /// <summary>The records section, decompressed.</summary>
    private ReadOnlySpan<byte> Section() =>
        Compression == CompressionType.None ? S[HeaderSize..] : Records.Compression.Decompress(Compression, S[HeaderSize..]);

    private bool[] Walk(ReadOnlySpan<byte> section, RecordFilter visit, bool asProduced)
    {
        var count = RecordCount;
        var baseOffset = BaseOffset;
        var baseTimestamp = BaseTimestamp;
        var logAppend = TimestampType == TimestampType.LogAppendTime;
        var maxTimestamp = MaxTimestamp;
        CheckRecordCount(count, section.Length, baseOffset);
        var answers = new bool[count];
        var pos = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var (end, timestampDelta, offsetDelta) = RecordPrefix(section, ref pos, i);
                if (asProduced && offsetDelta != i)
                    throw new InvalidDataException($"record {i} of the batch has offset delta {offsetDelta}: a producer numbers its records 0, 1, 2, ...");
                var keyLength = (int)Varint.Read(section, ref pos);
                var key = keyLength < 0 ? ReadOnlySpan<byte>.Empty : section.Slice(pos, keyLength);
                if (keyLength > 0) pos += keyLength;
                var valueLength = Varint.Read(section, ref pos);
                if (pos > end || (valueLength > 0 && pos + valueLength > end)) throw new InvalidDataException($"record {i}'s fields run past its length");
                answers[i] = visit(baseOffset + offsetDelta, logAppend ? maxTimestamp : baseTimestamp + timestampDelta, key, keyLength >= 0, valueLength >= 0);
                pos = end;
            }
            if (asProduced && pos != section.Length)
                throw new InvalidDataException($"{section.Length - pos} bytes follow the batch's {count} records");
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"malformed record in batch at offset {baseOffset}: {e.Message}", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"malformed record in batch at offset {baseOffset}: {e.Message}", e);
        }
        return answers;
    }

    /// <summary>
    /// The batch with only the records <paramref name="keep"/> accepts, as Kafka's log cleaner writes it: base offset,
    /// lastOffsetDelta, timestamps, producer state, leader epoch and compression are kept, so every kept record keeps
    /// its offset and the next batch still starts where it did. Returns the same array when every record is kept and
    /// null when none is.
    /// </summary>
    /// <exception cref="InvalidDataException">the records section is malformed.</exception>
    public static byte[]? Retain(byte[] batch, RecordFilter keep)
    {
        var view = Wrap(batch);
        var section = view.Section();
        var kept = view.Walk(section, keep, asProduced: false);
        var keptCount = kept.Count(k => k);
        if (keptCount == kept.Length) return batch;
        if (keptCount == 0) return null;

        // Records are length-prefixed: the kept ones are copied byte for byte, offset and timestamp deltas included.
        var output = new byte[section.Length];
        int pos = 0, written = 0;
        for (var i = 0; i < kept.Length; i++)
        {
            var start = pos;
            var length = (int)Varint.Read(section, ref pos);
            pos += length;
            if (!kept[i]) continue;
            section[start..pos].CopyTo(output.AsSpan(written));
            written += pos - start;
        }
        var compression = view.Compression;
        ReadOnlySpan<byte> body = compression == CompressionType.None
            ? output.AsSpan(0, written)
            : Records.Compression.Compress(compression, output.AsSpan(0, written));
        var result = new byte[HeaderSize + body.Length];
        batch.AsSpan(0, HeaderSize).CopyTo(result);
        body.CopyTo(result.AsSpan(HeaderSize));
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(LengthPos), result.Length - LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(RecordCountPos), keptCount);
        BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(CrcPos), Crc32C.Compute(result.AsSpan(AttributesPos)));
        return result;
    }

    /// <summary>Wraps one batch without checking it; call <see cref="Validate"/> on untrusted bytes first.</summary>
    public static RecordBatch Wrap(ReadOnlyMemory<byte> bytes) => new(bytes);

    /// <summary>
    /// Splits a concatenation of batches (a fetch response or a journal page). A trailing partial batch, which a
    /// byte limit can cut off, is left out, as Kafka's consumers skip it.
    /// </summary>
    public static IEnumerable<RecordBatch> ReadAll(ReadOnlyMemory<byte> bytes)
    {
        var pos = 0;
        while (bytes.Length - pos >= LogOverhead)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.Span[(pos + LengthPos)..]);
            var total = length + LogOverhead;
            if (length < HeaderSize - LogOverhead || pos + total > bytes.Length) yield break;
            yield return new RecordBatch(bytes.Slice(pos, total));
            pos += total;
        }
    }

    /// <summary>Sets the base offset in place (outside the CRC, so the CRC stays valid).</summary>
    public static void SetBaseOffset(Span<byte> batch, long baseOffset) =>
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetPos..], baseOffset);

    /// <summary>Stamps the appending leader's epoch in place (outside the CRC, so the CRC stays valid).</summary>
    public static void SetPartitionLeaderEpoch(Span<byte> batch, int epoch) =>
        BinaryPrimitives.WriteInt32BigEndian(batch[LeaderEpochPos..], epoch);

    /// <summary>Stamps LogAppendTime on the batch in place and recomputes the CRC, as Kafka's broker does.</summary>
    public static void SetLogAppendTime(Span<byte> batch, long timestamp)
    {
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch[AttributesPos..]);
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesPos..], (short)(attributes | 0x08));
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampPos..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcPos..], Crc32C.Compute(batch[AttributesPos..]));
    }

    /// <summary>Rewrites the batch's base sequence in place and recomputes the CRC (a producer re-sequencing after a failed batch).</summary>
    public static void SetBaseSequence(Span<byte> batch, int baseSequence)
    {
        BinaryPrimitives.WriteInt32BigEndian(batch[BaseSequencePos..], baseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcPos..], Crc32C.Compute(batch[AttributesPos..]));
    }

    /// <summary>Rewrites producer id, epoch and base sequence in place and recomputes the CRC.</summary>
    public static void SetProducerState(Span<byte> batch, long producerId, short producerEpoch, int baseSequence)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch[ProducerIdPos..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[ProducerEpochPos..], producerEpoch);
        SetBaseSequence(batch, baseSequence);
    }

    /// <summary>Decodes the records (decompressing when needed) with absolute offsets.</summary>
    /// <exception cref="InvalidDataException">the records section is malformed.</exception>
    public IReadOnlyList<Record> ReadRecords()
    {
        var baseOffset = BaseOffset;
        var baseTimestamp = BaseTimestamp;
        var logAppend = TimestampType == TimestampType.LogAppendTime;
        var maxTimestamp = MaxTimestamp;
        var count = RecordCount;
        var section = Section();
        CheckRecordCount(count, section.Length, baseOffset);
        var list = new List<Record>(count);
        var pos = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var (end, timestampDelta, offsetDelta) = RecordPrefix(section, ref pos, i);
                var key = ReadBytes(section, ref pos);
                var value = ReadBytes(section, ref pos);
                var headerCount = (int)Varint.Read(section, ref pos);
                IReadOnlyList<RecordHeader> headers = Array.Empty<RecordHeader>();
                if (headerCount < 0 || headerCount > (end - pos) / 2)
                    throw new InvalidDataException($"record {i} claims {headerCount} headers, which cannot fit in its {end - pos} remaining bytes");
                if (headerCount > 0)
                {
                    var h = new RecordHeader[headerCount];
                    for (var j = 0; j < headerCount; j++)
                    {
                        var hk = ReadBytes(section, ref pos) ?? throw new InvalidDataException("a header key is null");
                        h[j] = new RecordHeader(Encoding.UTF8.GetString(hk), ReadBytes(section, ref pos));
                    }
                    headers = h;
                }
                if (pos != end) throw new InvalidDataException($"record {i}'s length does not match its fields");
                list.Add(new Record(baseOffset + offsetDelta, logAppend ? maxTimestamp : baseTimestamp + timestampDelta,
                    TimestampType, key, value, headers));
            }
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"malformed record in batch at offset {baseOffset}: {e.Message}", e);
        }
        return list;
    }

    /// <summary>The smallest record: a length, attributes, two deltas, null key and value and no headers, a byte each.</summary>
    private const int MinRecordBytes = 7;

    /// <summary>
    /// Refuses a record count the section cannot hold before anything is allocated for it: a header that claims two
    /// billion records in a few bytes would otherwise have the broker allocate gigabytes.
    /// </summary>
    private static void CheckRecordCount(int count, int sectionBytes, long baseOffset)
    {
        if (count < 0 || count > sectionBytes / MinRecordBytes)
            throw new InvalidDataException($"the batch at offset {baseOffset} claims {count} records, which cannot fit in its {sectionBytes} bytes of records");
    }

    /// <summary>Reads a record's length, attributes and deltas; returns where the record ends.</summary>
    private static (int End, long TimestampDelta, long OffsetDelta) RecordPrefix(ReadOnlySpan<byte> section, ref int pos, int index)
    {
        var length = (int)Varint.Read(section, ref pos);
        var end = pos + length;
        if (length <= 0 || end > section.Length) throw new InvalidDataException($"record {index} runs past the end of the batch");
        pos++; // record attributes, unused in v2
        var timestampDelta = Varint.Read(section, ref pos);
        return (end, timestampDelta, Varint.Read(section, ref pos));
    }

    private static byte[]? ReadBytes(ReadOnlySpan<byte> s, ref int pos)
    {
        var len = (int)Varint.Read(s, ref pos);
        if (len < 0) return null;
        if (pos + len > s.Length) throw new InvalidDataException("a key, value or header runs past the end of its record");
        var bytes = s.Slice(pos, len).ToArray();
        pos += len;
        return bytes;
    }
}
