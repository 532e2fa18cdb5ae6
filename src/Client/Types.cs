namespace AkkaBroker.Client;

/// <summary>A partition number, or <see cref="Any"/> (the partitioner chooses). Converts to and from <c>int</c>.</summary>
/// <remarks>Written to and read from JSON as the number, as an <c>int</c> is.</remarks>
[System.Text.Json.Serialization.JsonConverter(typeof(PartitionJsonConverter))]
public readonly struct Partition : IEquatable<Partition>, IComparable<Partition>, IFormattable
{
    /// <summary>No partition given: the producer's partitioner chooses one.</summary>
    public static readonly Partition Any = new(-1);

    /// <summary>A partition number.</summary>
    public Partition(int partition) => Value = partition;

    /// <summary>The number; -1 for <see cref="Any"/>.</summary>
    public int Value { get; }

    /// <summary>True for <see cref="Any"/> (and other negative values).</summary>
    public bool IsSpecial => Value < 0;

    /// <summary>A partition from its number.</summary>
    public static implicit operator Partition(int partition) => new(partition);
    /// <summary>The partition's number.</summary>
    public static implicit operator int(Partition partition) => partition.Value;
    /// <summary>Same number.</summary>
    public static bool operator ==(Partition a, Partition b) => a.Value == b.Value;
    /// <summary>Different numbers.</summary>
    public static bool operator !=(Partition a, Partition b) => a.Value != b.Value;
    /// <summary>Compares numbers.</summary>
    public static bool operator <(Partition a, Partition b) => a.Value < b.Value;
    /// <summary>Compares numbers.</summary>
    public static bool operator >(Partition a, Partition b) => a.Value > b.Value;
    /// <summary>Compares numbers.</summary>
    public static bool operator <=(Partition a, Partition b) => a.Value <= b.Value;
    /// <summary>Compares numbers.</summary>
    public static bool operator >=(Partition a, Partition b) => a.Value >= b.Value;

    /// <inheritdoc />
    public bool Equals(Partition other) => Value == other.Value;
    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Partition p && Equals(p);
    /// <inheritdoc />
    public override int GetHashCode() => Value;
    /// <inheritdoc />
    public int CompareTo(Partition other) => Value.CompareTo(other.Value);
    /// <summary>
    /// The number, as an <c>int</c> prints, so a partition reads the same in logs, keys and tables whether a
    /// variable holds an <c>int</c> or a <see cref="Partition"/> (Confluent.Kafka writes <c>[3]</c>).
    /// </summary>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The number formatted as an <c>int</c> is.</summary>
    public string ToString(IFormatProvider? provider) => Value.ToString(provider);

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => Value.ToString(format, formatProvider);
}

internal sealed class PartitionJsonConverter : System.Text.Json.Serialization.JsonConverter<Partition>
{
    public override Partition Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => new(reader.GetInt32());

    public override void Write(System.Text.Json.Utf8JsonWriter writer, Partition value, System.Text.Json.JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);
}

/// <summary>A topic and partition number.</summary>
public sealed record TopicPartition(string Topic, Partition Partition) : IComparable<TopicPartition>
{
    /// <inheritdoc />
    public override string ToString() => $"{Topic} [[{Partition}]]";

    /// <summary>Orders by topic, then partition.</summary>
    public int CompareTo(TopicPartition? other) =>
        other is null ? 1 : string.CompareOrdinal(Topic, other.Topic) is var byTopic and not 0 ? byTopic : Partition.CompareTo(other.Partition);

    internal Protocol.Messages.TopicPartition ToProtocol() => new(Topic, Partition.Value);
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
    /// <summary>The offset stored by StoreOffset (librdkafka's logical offset for a commit of what was stored).</summary>
    public static readonly Offset Stored = new(-1000);

    /// <summary>True for Beginning, End, Unset and Stored.</summary>
    public bool IsSpecial => Value < 0;

    /// <summary>An offset from a number.</summary>
    public static implicit operator Offset(long value) => new(value);
    /// <summary>The offset's number.</summary>
    public static implicit operator long(Offset offset) => offset.Value;
    /// <summary>The offset <paramref name="n"/> records later.</summary>
    public static Offset operator +(Offset offset, int n) => new(offset.Value + n);
    /// <summary>The offset <paramref name="n"/> records later.</summary>
    public static Offset operator +(Offset offset, long n) => new(offset.Value + n);
    /// <summary>Compares numbers.</summary>
    public static bool operator <(Offset a, Offset b) => a.Value < b.Value;
    /// <summary>Compares numbers.</summary>
    public static bool operator >(Offset a, Offset b) => a.Value > b.Value;
    /// <summary>Compares numbers.</summary>
    public static bool operator <=(Offset a, Offset b) => a.Value <= b.Value;
    /// <summary>Compares numbers.</summary>
    public static bool operator >=(Offset a, Offset b) => a.Value >= b.Value;

    /// <inheritdoc />
    public override string ToString() => Value switch { -2 => "Beginning", -1 => "End", -1000 => "Stored", -1001 => "Unset", _ => Value.ToString() };
}

/// <summary>A position in a partition.</summary>
public sealed record TopicPartitionOffset(TopicPartition TopicPartition, Offset Offset)
{
    /// <summary>Creates a position from topic, partition and offset.</summary>
    public TopicPartitionOffset(string topic, Partition partition, Offset offset) : this(new TopicPartition(topic, partition), offset) { }

    /// <summary>The topic.</summary>
    public string Topic => TopicPartition.Topic;
    /// <summary>The partition.</summary>
    public Partition Partition => TopicPartition.Partition;

    /// <inheritdoc />
    public override string ToString() => $"{TopicPartition} @{Offset}";
}

/// <summary>A partition and a timestamp to look an offset up by (<see cref="IConsumer{TKey,TValue}.OffsetsForTimes"/>).</summary>
public sealed record TopicPartitionTimestamp(TopicPartition TopicPartition, Timestamp Timestamp);

/// <summary>Whether a timestamp was set by the producer or by the broker.</summary>
public enum TimestampType
{
    /// <summary>No timestamp.</summary>
    NotAvailable = 0,
    /// <summary>Set by the producer (CreateTime).</summary>
    CreateTime = 1,
    /// <summary>Set by the broker when it appended the record (LogAppendTime).</summary>
    LogAppendTime = 2,
}

/// <summary>A record timestamp: Unix milliseconds and where it came from.</summary>
public readonly record struct Timestamp(long UnixTimestampMs, TimestampType Type)
{
    /// <summary>No timestamp: the producer uses the current time.</summary>
    public static readonly Timestamp Default = new(0, TimestampType.NotAvailable);

    /// <summary>The Unix epoch, 1970-01-01T00:00:00Z.</summary>
    public static readonly DateTime UnixTimeEpoch = DateTime.UnixEpoch;

    /// <summary>A CreateTime timestamp for <paramref name="time"/>.</summary>
    public Timestamp(DateTimeOffset time) : this(time.ToUnixTimeMilliseconds(), TimestampType.CreateTime) { }

    /// <summary>A CreateTime timestamp for <paramref name="time"/> (a time not in UTC is taken as local and converted, as Confluent.Kafka does).</summary>
    public Timestamp(DateTime time) : this(time, TimestampType.CreateTime) { }

    /// <summary>A timestamp of <paramref name="type"/> for <paramref name="time"/> (a time not in UTC is taken as local and converted).</summary>
    public Timestamp(DateTime time, TimestampType type) : this(DateTimeToUnixTimestampMs(time), type) { }

    /// <summary>The timestamp as UTC time.</summary>
    public DateTime UtcDateTime => UnixTimestampMsToDateTime(UnixTimestampMs);

    /// <summary>Milliseconds since the Unix epoch of <paramref name="time"/> (a time not in UTC is taken as local and converted).</summary>
    public static long DateTimeToUnixTimestampMs(DateTime time) => new DateTimeOffset(time.ToUniversalTime()).ToUnixTimeMilliseconds();

    /// <summary>The UTC time <paramref name="unixMillisecondsTimestamp"/> ms after the Unix epoch.</summary>
    public static DateTime UnixTimestampMsToDateTime(long unixMillisecondsTimestamp) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMillisecondsTimestamp).UtcDateTime;

    internal static Timestamp From(long ms, Protocol.Records.TimestampType type) =>
        new(ms, type == Protocol.Records.TimestampType.LogAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime);
}

/// <summary>A record header: a key and a value that may be null.</summary>
public interface IHeader
{
    /// <summary>The key.</summary>
    string Key { get; }

    /// <summary>The value (null when the header has none).</summary>
    byte[]? GetValueBytes();
}

/// <summary>A record header.</summary>
public sealed record Header(string Key, byte[]? Value) : IHeader
{
    /// <inheritdoc />
    public byte[]? GetValueBytes() => Value;
}

/// <summary>Record headers, in order; keys may repeat.</summary>
public sealed class Headers : List<Header>
{
    /// <summary>Adds a header.</summary>
    public void Add(string key, byte[]? value) => base.Add(new Header(key, value));

    /// <summary>Adds a header.</summary>
    // base.Add: in this class Add(IHeader) would be chosen for a Header too, and call itself.
    public void Add(IHeader header) => base.Add(header as Header ?? new Header(header.Key, header.GetValueBytes()));

    /// <summary>Removes every header with <paramref name="key"/>.</summary>
    public void Remove(string key) => RemoveAll(h => h.Key == key);

    /// <summary>The value of the last header with <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">there is none.</exception>
    public byte[]? GetLastBytes(string key) =>
        FindLast(h => h.Key == key) is { } h ? h.Value : throw new KeyNotFoundException($"no header named '{key}'");

    /// <summary>The value of the last header with <paramref name="key"/>, if there is one.</summary>
    public bool TryGetLastBytes(string key, out byte[]? lastHeader)
    {
        var found = FindLast(h => h.Key == key);
        lastHeader = found?.Value;
        return found != null;
    }
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
    public Partition Partition => TopicPartitionOffset.Partition;
    /// <summary>The topic and partition.</summary>
    public TopicPartition TopicPartition => TopicPartitionOffset.TopicPartition;
    /// <summary>The offset.</summary>
    public Offset Offset => TopicPartitionOffset.Offset;
    /// <summary>The record.</summary>
    public Message<TKey, TValue> Message { get; init; } = null!;
    /// <summary>The record's key.</summary>
    public TKey Key => Message.Key;
    /// <summary>The record's value.</summary>
    public TValue Value => Message.Value;
    /// <summary>The record's headers.</summary>
    public Headers? Headers => Message.Headers;
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
    public Partition Partition => TopicPartitionOffset.Partition;
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
