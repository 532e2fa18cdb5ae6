using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Client;

/// <summary>A topic and partition number.</summary>
public sealed record TopicPartition(string Topic, int Partition)
{
    /// <inheritdoc />
    public override string ToString() => $"{Topic} [[{Partition}]]";

    internal Protocol.Messages.TopicPartition ToProtocol() => new(Topic, Partition);
}

/// <summary>
/// An offset in a partition, or one of the special values <see cref="Beginning"/>, <see cref="End"/> and
/// <see cref="Unset"/> (use auto.offset.reset).
/// </summary>
public readonly record struct Offset(long Value)
{
    /// <summary>The log start: the earliest offset still held.</summary>
    public static readonly Offset Beginning = new(-2);
    /// <summary>The log end: the next offset to be written.</summary>
    public static readonly Offset End = new(-1);
    /// <summary>No offset: the consumer applies auto.offset.reset.</summary>
    public static readonly Offset Unset = new(-1001);

    /// <summary>True for Beginning, End and Unset.</summary>
    public bool IsSpecial => Value < 0;

    /// <summary>An offset from a number.</summary>
    public static implicit operator Offset(long value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value switch { -2 => "Beginning", -1 => "End", -1001 => "Unset", _ => Value.ToString() };
}

/// <summary>A position in a partition.</summary>
public sealed record TopicPartitionOffset(TopicPartition TopicPartition, Offset Offset)
{
    /// <summary>Creates a position from topic, partition and offset.</summary>
    public TopicPartitionOffset(string topic, int partition, Offset offset) : this(new TopicPartition(topic, partition), offset) { }

    /// <summary>The topic.</summary>
    public string Topic => TopicPartition.Topic;
    /// <summary>The partition number.</summary>
    public int Partition => TopicPartition.Partition;

    /// <inheritdoc />
    public override string ToString() => $"{TopicPartition} @{Offset}";
}

/// <summary>A partition and a timestamp to look an offset up by (<see cref="IConsumer{TKey,TValue}.OffsetsForTimes"/>).</summary>
public sealed record TopicPartitionTimestamp(TopicPartition TopicPartition, Timestamp Timestamp);

/// <summary>Whether a timestamp was set by the producer or by the broker.</summary>
public enum TimestampKind
{
    /// <summary>No timestamp.</summary>
    NotAvailable,
    /// <summary>Set by the producer (CreateTime).</summary>
    CreateTime,
    /// <summary>Set by the broker when it appended the record (LogAppendTime).</summary>
    LogAppendTime,
}

/// <summary>A record timestamp: Unix milliseconds and where it came from.</summary>
public readonly record struct Timestamp(long UnixTimestampMs, TimestampKind Kind)
{
    /// <summary>No timestamp: the producer uses the current time.</summary>
    public static readonly Timestamp Default = new(0, TimestampKind.NotAvailable);

    /// <summary>A CreateTime timestamp for <paramref name="time"/>.</summary>
    public Timestamp(DateTimeOffset time) : this(time.ToUnixTimeMilliseconds(), TimestampKind.CreateTime) { }

    /// <summary>The timestamp as UTC time.</summary>
    public DateTime UtcDateTime => DateTimeOffset.FromUnixTimeMilliseconds(UnixTimestampMs).UtcDateTime;

    internal static Timestamp From(long ms, TimestampType type) =>
        new(ms, type == TimestampType.LogAppendTime ? TimestampKind.LogAppendTime : TimestampKind.CreateTime);
}

/// <summary>A record header.</summary>
public sealed record Header(string Key, byte[]? Value);

/// <summary>Record headers, in order; keys may repeat.</summary>
public sealed class Headers : List<Header>
{
    /// <summary>Adds a header.</summary>
    public void Add(string key, byte[]? value) => Add(new Header(key, value));

    /// <summary>The value of the last header with <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">there is none.</exception>
    public byte[]? GetLastBytes(string key) =>
        FindLast(h => h.Key == key) is { } h ? h.Value : throw new KeyNotFoundException($"no header named '{key}'");
}

/// <summary>A record to produce, or one consumed.</summary>
public sealed class Message<TKey, TValue>
{
    /// <summary>The key; records with equal keys go to the same partition.</summary>
    public TKey Key { get; set; } = default!;
    /// <summary>The value.</summary>
    public TValue Value { get; set; } = default!;
    /// <summary>The timestamp; <see cref="Timestamp.Default"/> means now.</summary>
    public Timestamp Timestamp { get; set; } = Timestamp.Default;
    /// <summary>Optional headers.</summary>
    public Headers? Headers { get; set; }
}

/// <summary>Whether a record was written.</summary>
public enum PersistenceStatus
{
    /// <summary>Not written.</summary>
    NotPersisted,
    /// <summary>Sent with acks=0: written or not, the broker does not say.</summary>
    PossiblyPersisted,
    /// <summary>Written and acknowledged.</summary>
    Persisted,
}

/// <summary>The outcome of a successful produce.</summary>
public class DeliveryResult<TKey, TValue>
{
    /// <summary>The record's partition and offset (offset -1 with acks=0).</summary>
    public TopicPartitionOffset TopicPartitionOffset { get; init; } = null!;
    /// <summary>The topic.</summary>
    public string Topic => TopicPartitionOffset.Topic;
    /// <summary>The partition.</summary>
    public int Partition => TopicPartitionOffset.Partition;
    /// <summary>The offset.</summary>
    public Offset Offset => TopicPartitionOffset.Offset;
    /// <summary>The record.</summary>
    public Message<TKey, TValue> Message { get; init; } = null!;
    /// <summary>The record's timestamp as stored (LogAppendTime topics: the broker's).</summary>
    public Timestamp Timestamp { get; init; }
    /// <summary>Whether the record is known to be written.</summary>
    public PersistenceStatus Status { get; init; }
}

/// <summary>What the fire-and-forget <c>Produce</c> hands its delivery handler: a result and possibly an error.</summary>
public sealed class DeliveryReport<TKey, TValue> : DeliveryResult<TKey, TValue>
{
    /// <summary>The error, or an Error with code None.</summary>
    public Error Error { get; init; } = Error.NoError;
}

/// <summary>A consumed record, or an end-of-partition event when <see cref="IsPartitionEOF"/>.</summary>
public sealed class ConsumeResult<TKey, TValue>
{
    /// <summary>The record's position.</summary>
    public TopicPartitionOffset TopicPartitionOffset { get; init; } = null!;
    /// <summary>The topic.</summary>
    public string Topic => TopicPartitionOffset.Topic;
    /// <summary>The partition.</summary>
    public int Partition => TopicPartitionOffset.Partition;
    /// <summary>The topic and partition.</summary>
    public TopicPartition TopicPartition => TopicPartitionOffset.TopicPartition;
    /// <summary>The offset.</summary>
    public Offset Offset => TopicPartitionOffset.Offset;
    /// <summary>The record (null for an end-of-partition event).</summary>
    public Message<TKey, TValue>? Message { get; init; }
    /// <summary>True when this reports reaching the end of a partition (enable.partition.eof).</summary>
    public bool IsPartitionEOF { get; init; }
}

/// <summary>A partition's low (log start) and high (high watermark) offsets.</summary>
public sealed record WatermarkOffsets(Offset Low, Offset High);
