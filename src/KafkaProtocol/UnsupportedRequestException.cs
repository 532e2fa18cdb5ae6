namespace AkkaBroker.KafkaProtocol;

/// <summary>
/// A request whose API key the codec does not carry, or whose version it does not read. It carries what the request
/// header said so that the listener can still answer: Kafka answers an ApiVersions request of a too-new version with
/// an ApiVersionsResponse v0 with error UNSUPPORTED_VERSION (35), and closes the connection for anything else.
/// </summary>
public sealed class UnsupportedRequestException : Exception
{
    /// <summary>Creates the exception from the header fields that could be read.</summary>
    public UnsupportedRequestException(short apiKey, short apiVersion, int correlationId, string? clientId, bool isKnownApi)
        : base(isKnownApi
            ? $"{(ApiKey)apiKey} version {apiVersion} is not supported (correlation id {correlationId}, client {clientId})"
            : $"API key {apiKey} is not supported (correlation id {correlationId}, client {clientId})")
    {
        ApiKey = apiKey;
        ApiVersion = apiVersion;
        CorrelationId = correlationId;
        ClientId = clientId;
        IsKnownApi = isKnownApi;
    }

    /// <summary>The request's API key as sent.</summary>
    public short ApiKey { get; }

    /// <summary>The request's API version as sent.</summary>
    public short ApiVersion { get; }

    /// <summary>The request's correlation id, to put in the answer.</summary>
    public int CorrelationId { get; }

    /// <summary>The request's client id, or null when the client sent none or it could not be read.</summary>
    public string? ClientId { get; }

    /// <summary>True when the API is known and only the version is unsupported; false for an unknown API key.</summary>
    public bool IsKnownApi { get; }
}
