namespace AkkaBroker.Protocol.Records;

/// <summary>Codec of a record batch's records section; values are Kafka's attribute bits 0-2.</summary>
public enum CompressionType : byte
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}

/// <summary>Whether a record's timestamp was set by the producer or by the broker on append (attribute bit 3).</summary>
public enum TimestampType : byte
{
    CreateTime = 0,
    LogAppendTime = 1,
}
