using AkkaBroker.Protocol;

namespace AkkaBroker.Client;

/// <summary>An error code from the broker or the client, with a reason a person can act on.</summary>
public sealed record Error(ErrorCode Code, string Reason)
{
    /// <summary>No error.</summary>
    public static readonly Error NoError = new(ErrorCode.NoError, "Success");

    /// <summary>An error of <paramref name="code"/> with the default text of its kind.</summary>
    public Error(ErrorCode code) : this(code, code == ErrorCode.NoError ? "Success" : NameOf(code)) { }

    // The client's own code speaks the broker's codes, which have the same numbers.
    internal Error(Protocol.ErrorCode code, string reason) : this((ErrorCode)(int)code, reason) { }

    /// <summary>The code as the broker and its protocol name it (the same number).</summary>
    internal Protocol.ErrorCode ProtocolCode => (Protocol.ErrorCode)(int)Code;

    /// <summary>True unless <see cref="Code"/> is NoError.</summary>
    public bool IsError => Code != ErrorCode.NoError;

    /// <summary>Whether the same request may succeed later.</summary>
    public bool IsRetriable => ProtocolCode.IsRetriable();

    /// <summary>Raised by the client itself (a timeout, a serializer, a bad argument), not answered by a broker.</summary>
    public bool IsLocalError => (int)Code < -1;

    /// <summary>Answered by a broker.</summary>
    public bool IsBrokerError => (int)Code > 0;

    /// <summary>The client cannot go on and must be disposed (this client raises no fatal errors: none of its states is unrecoverable).</summary>
    public bool IsFatal { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{NameOf(Code)}: {Reason}";

    // Kafka's name (UNKNOWN_TOPIC_OR_PARTITION, _MSG_TIMED_OUT) where the broker knows the code, else librdkafka's.
    private static string NameOf(ErrorCode code) =>
        Enum.IsDefined((Protocol.ErrorCode)(int)code) ? ((Protocol.ErrorCode)(int)code).KafkaName() : code.ToString();
}

/// <summary>Every client failure: a broker error code, an unreachable broker, a timeout or a bad configuration.</summary>
public class KafkaException : Exception
{
    /// <summary>Creates an exception for <paramref name="error"/>.</summary>
    public KafkaException(Error error, Exception? inner = null) : base(error.ToString(), inner) => Error = error;

    /// <summary>What went wrong.</summary>
    public Error Error { get; }
}

/// <summary>A record was not produced; <see cref="DeliveryResult"/> says which.</summary>
public sealed class ProduceException<TKey, TValue>(Error error, DeliveryResult<TKey, TValue> result, Exception? inner = null)
    : KafkaException(error, inner)
{
    /// <summary>The record and where it was meant to go.</summary>
    public DeliveryResult<TKey, TValue> DeliveryResult { get; } = result;
}

/// <summary>Consuming failed, for example a deserializer threw or offset reset is 'none'.</summary>
public sealed class ConsumeException(Error error, Exception? inner = null) : KafkaException(error, inner)
{
    /// <summary>
    /// Where consuming failed: the partition and the offset the consumer was at (its record, when one was read and could
    /// not be deserialized). Null when the failure is not about one partition.
    /// </summary>
    public ConsumeResult<byte[], byte[]>? ConsumerRecord { get; init; }
}

/// <summary>
/// A commit was refused because this consumer is no longer the group member that owns the partitions (the group
/// rebalanced: it was removed after its session expired or after exceeding <c>max.poll.interval.ms</c>, another
/// consumer took over its <c>group.instance.id</c>, or a rebalance is in progress). The records consumed since the
/// last successful commit will be consumed again by the partitions' new owner.
/// </summary>
public sealed class CommitFailedException(Error error, Exception? inner = null) : KafkaException(error, inner)
{
    internal static CommitFailedException From(Error brokerError, int maxPollIntervalMs) =>
        new(brokerError with
        {
            Reason = $"Commit cannot be completed: {brokerError.Reason} The group has rebalanced or is rebalancing, so these partitions " +
                     "may now belong to another member, which will consume the uncommitted records again. If this consumer spent longer " +
                     $"than max.poll.interval.ms ({maxPollIntervalMs} ms) between calls to Consume, process fewer records per call or raise " +
                     "max.poll.interval.ms; to avoid re-delivery on a rebalance, commit in the partitions-revoked handler.",
        });
}
