namespace AkkaBroker.KafkaProtocol;

/// <summary>A generated message or struct class: reads and writes itself at a given version.</summary>
public interface IKafkaMessage
{
    /// <summary>Replaces every property with the values read at <paramref name="version"/>.</summary>
    /// <exception cref="KafkaProtocolException">the input is truncated or malformed.</exception>
    void Read(ref KafkaReader reader, short version);

    /// <summary>Writes the properties that <paramref name="version"/> has.</summary>
    /// <exception cref="UnsupportedVersionException">a value cannot be expressed at that version.</exception>
    /// <exception cref="KafkaProtocolException">a property is null where the version allows none.</exception>
    void Write(KafkaWriter writer, short version);
}

/// <summary>A response with Kafka's <c>throttle_time_ms</c>: how long a client's quota asks it to wait before its next request.</summary>
public interface IThrottledResponse
{
    int ThrottleTimeMs { get; set; }
}
