using AkkaBroker.Actors.Metrics;
using AkkaBroker.Actors.Security;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Security;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// One connection's SASL authentication on a <c>SASL_PLAINTEXT</c> Kafka listener, as a Kafka broker does it: before
/// it is authenticated a connection may send only ApiVersions, SaslHandshake (v1: the exchange then goes in
/// SaslAuthenticate requests) and SaslAuthenticate; anything else, or a failed exchange, closes it. Owned by the
/// connection's read loop, one request at a time.
/// </summary>
internal sealed class KafkaSaslSession(IReadOnlyList<string> enabledMechanisms, ScramCredentialStore credentials)
{
    private ISaslServer? _server;

    /// <summary>Kafka's principal once authenticated (<c>User:alice</c>), else null.</summary>
    public string? Principal { get; private set; }

    /// <summary>Whether <paramref name="key"/> may be sent now.</summary>
    public bool Allows(ApiKey key) => Principal != null
        ? key != ApiKey.SaslHandshake && key != ApiKey.SaslAuthenticate
        : key is ApiKey.ApiVersions or ApiKey.SaslHandshake or ApiKey.SaslAuthenticate;

    public SaslHandshakeResponseData Handshake(SaslHandshakeRequestData request, short version)
    {
        var response = new SaslHandshakeResponseData { Mechanisms = enabledMechanisms.ToList() };
        if (version == 0) response.ErrorCode = (short)ErrorCode.UnsupportedVersion;
        else if (_server != null || !credentials.Loaded) response.ErrorCode = (short)ErrorCode.IllegalSaslState;
        else if (!enabledMechanisms.Contains(request.Mechanism, StringComparer.OrdinalIgnoreCase)
                 || SaslMechanisms.Server(request.Mechanism, credentials.Lookup) is not { } server)
            response.ErrorCode = (short)ErrorCode.UnsupportedSaslMechanism;
        else _server = server;
        return response;
    }

    /// <summary>The server's next message; a failure is answered, and the caller closes the connection after writing it.</summary>
    public (SaslAuthenticateResponseData Response, bool Failed) Authenticate(SaslAuthenticateRequestData request)
    {
        if (_server == null)
            return (new SaslAuthenticateResponseData { ErrorCode = (short)ErrorCode.IllegalSaslState, ErrorMessage = "SaslAuthenticate before SaslHandshake" }, true);
        try
        {
            var answer = _server.EvaluateResponse(request.AuthBytes);
            if (_server.IsComplete)
            {
                Principal = $"User:{_server.AuthenticatedUser}";
                Count("succeeded");
            }
            return (new SaslAuthenticateResponseData { AuthBytes = answer, ErrorMessage = null }, false);
        }
        catch (SaslAuthenticationException e)
        {
            Count("failed");
            return (new SaslAuthenticateResponseData { ErrorCode = (short)ErrorCode.SaslAuthenticationFailed, ErrorMessage = e.Message }, true);
        }
    }

    /// <summary>The mechanism being used, for log lines.</summary>
    public string Mechanism => _server?.Mechanism ?? "(none)";

    private void Count(string result) =>
        BrokerMetrics.Authentications.Add(1, new KeyValuePair<string, object?>("listener", "kafka"),
            new KeyValuePair<string, object?>("mechanism", _server!.Mechanism), new KeyValuePair<string, object?>("result", result));
}
