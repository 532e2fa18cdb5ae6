using AkkaBroker.Protocol;

namespace AkkaBroker.Client;

/// <summary>An error code from the broker or the client, with a reason a person can act on.</summary>
public sealed record Error(ErrorCode Code, string Reason)
{
    /// <summary>No error.</summary>
    public static readonly Error NoError = new(ErrorCode.None, "Success");

    /// <summary>True unless <see cref="Code"/> is None.</summary>
    public bool IsError => Code != ErrorCode.None;

    /// <summary>Whether the same request may succeed later.</summary>
    public bool IsRetriable => Code.IsRetriable();

    /// <inheritdoc />
    public override string ToString() => $"{Code.KafkaName()}: {Reason}";
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
public sealed class ConsumeException(Error error, Exception? inner = null) : KafkaException(error, inner);
