namespace AkkaBroker.Protocol.Records;

/// <summary>A record header: a string key and an optional value, as in Kafka.</summary>
public sealed record RecordHeader(string Key, byte[]? Value);

/// <summary>One record read back out of a batch, with its absolute offset and timestamp.</summary>
public sealed record Record(long Offset, long Timestamp, TimestampType TimestampType, byte[]? Key, byte[]? Value,
    IReadOnlyList<RecordHeader> Headers);
