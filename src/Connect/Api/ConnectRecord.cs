using AkkaBroker.Client;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect;

/// <summary>
/// A record between a connector and a topic, in Connect's data model (Kafka Connect's <c>ConnectRecord</c>): the
/// topic, the partition if one is chosen, key and value with their schemas (null schema: schemaless data), the
/// timestamp in milliseconds since the epoch and the headers. Immutable: transforms make changed copies with
/// <c>with { ... }</c>, which keeps the record's kind and its source offset or Kafka offset.
/// </summary>
/// <param name="Topic">The topic the record goes to (source) or came from (sink).</param>
/// <param name="KafkaPartition">The partition, or null to let the producer's partitioner choose from the key.</param>
/// <param name="Timestamp">Milliseconds since the epoch, or null to let the producer stamp it.</param>
public abstract record ConnectRecord(string Topic, int? KafkaPartition, Schema? KeySchema, object? Key, Schema? ValueSchema, object? Value,
    long? Timestamp, IReadOnlyList<Header> Headers)
{
    /// <summary>Headers of a record that has none.</summary>
    public static readonly IReadOnlyList<Header> NoHeaders = [];

    /// <summary>The headers with <paramref name="header"/> added at the end.</summary>
    public IReadOnlyList<Header> HeadersWith(Header header) => [.. Headers, header];
}

/// <summary>
/// A record a source task read from its external system (Kafka Connect's <c>SourceRecord</c>). The source partition
/// names where in the system it came from (a file, a table) and the source offset how far that partition has been
/// read; the worker stores the offset once the record is acknowledged by the cluster, and gives it back to the task
/// through <see cref="IOffsetStorageReader"/> when the task starts again.
/// </summary>
/// <param name="SourcePartition">Where the record came from; keys and values are strings, numbers or booleans.</param>
/// <param name="SourceOffset">How far that source partition is read once this record is stored.</param>
public sealed record SourceRecord(IReadOnlyDictionary<string, object?>? SourcePartition, IReadOnlyDictionary<string, object?>? SourceOffset,
    string Topic, int? KafkaPartition, Schema? KeySchema, object? Key, Schema? ValueSchema, object? Value, long? Timestamp = null,
    IReadOnlyList<Header>? Headers = null)
    : ConnectRecord(Topic, KafkaPartition, KeySchema, Key, ValueSchema, Value, Timestamp, Headers ?? NoHeaders)
{
    /// <summary>A record with only a value and no key.</summary>
    public SourceRecord(IReadOnlyDictionary<string, object?>? sourcePartition, IReadOnlyDictionary<string, object?>? sourceOffset, string topic, Schema? valueSchema, object? value)
        : this(sourcePartition, sourceOffset, topic, null, null, null, valueSchema, value) { }
}

/// <summary>
/// A record read from a topic for a sink task (Kafka Connect's <c>SinkRecord</c>): the Connect record plus its offset
/// in the partition and the kind of its timestamp. The original topic, partition and offset stay available after a
/// transform renames the topic, for the dead letter queue's headers and for committing.
/// </summary>
public sealed record SinkRecord(string Topic, int? KafkaPartition, Schema? KeySchema, object? Key, Schema? ValueSchema, object? Value,
    long KafkaOffset, long? Timestamp = null, TimestampType TimestampType = TimestampType.CreateTime, IReadOnlyList<Header>? Headers = null)
    : ConnectRecord(Topic, KafkaPartition, KeySchema, Key, ValueSchema, Value, Timestamp, Headers ?? NoHeaders)
{
    /// <summary>The topic the record was read from, before transforms.</summary>
    public string OriginalTopic { get; init; } = Topic;

    /// <summary>The partition the record was read from, before transforms.</summary>
    public int OriginalKafkaPartition { get; init; } = KafkaPartition ?? -1;

    /// <summary>The offset the record was read at, before transforms.</summary>
    public long OriginalKafkaOffset { get; init; } = KafkaOffset;
}
