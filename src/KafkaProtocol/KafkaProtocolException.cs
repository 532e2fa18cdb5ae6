namespace AkkaBroker.KafkaProtocol;

/// <summary>
/// Bytes that are not a valid Kafka message (truncated, a negative or oversized length, a null where the schema
/// allows none), or a value that cannot be written. A listener answers it by closing the connection, as Kafka does.
/// </summary>
public sealed class KafkaProtocolException : Exception
{
    /// <summary>Creates the exception for <paramref name="field"/> at <paramref name="offset"/> (-1 when writing).</summary>
    public KafkaProtocolException(string message, string field, int offset)
        : base(offset >= 0 ? $"{message} (field {field}, offset {offset})" : $"{message} (field {field})")
    {
        Field = field;
        Offset = offset;
    }

    /// <summary>The schema field (or wire element such as "tagged field size") that was being read or written.</summary>
    public string Field { get; }

    /// <summary>The offset in the frame where reading failed, or -1 for a failure while writing.</summary>
    public int Offset { get; }
}
