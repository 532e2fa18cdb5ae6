using Akka.Actor;
using Akka.Event;
using Akka.Remote;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Security;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// One client connection's authentication on the client endpoint, then its requests: a child of
/// <see cref="ClientGateway"/> with a long random name that only the connection that asked for it is told (a bearer
/// secret: with TLS on the endpoint nobody else can read it). It takes messages only from the address that asked for it;
/// once the client is authenticated it passes them to the gateway as <see cref="AuthenticatedRequest"/>s, until that
/// address's connection drops. An exchange not finished within <see cref="AuthenticationTimeout"/> ends; a failed one is
/// answered after <see cref="FailureDelay"/> (Kafka's <c>connection.failed.authentication.delay.ms</c>), which slows
/// password guessing.
/// </summary>
public sealed class ClientSession : ReceiveActor, IWithTimers
{
    /// <summary>How long a client may take to authenticate (Kafka's clients take a few round trips).</summary>
    internal static readonly TimeSpan AuthenticationTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a failed authentication waits for its answer.</summary>
    internal static readonly TimeSpan FailureDelay = TimeSpan.FromMilliseconds(100);

    internal static Props Props(Address owner, ISaslServer server) => Akka.Actor.Props.Create(() => new ClientSession(owner, server));

    private sealed record AuthenticationExpired
    {
        public static readonly AuthenticationExpired Instance = new();
    }

    /// <summary>The delayed answer to a failed authentication; the session ends once it is sent.</summary>
    private sealed record FailureAnswer(SaslAuthenticateResponse Response, IActorRef ReplyTo);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Address _owner;

    public ITimerScheduler Timers { get; set; } = null!;

    public ClientSession(Address owner, ISaslServer server)
    {
        _owner = owner;
        Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(_owner), _ => Context.Stop(Self));
        Receive<DisassociatedEvent>(_ => { });
        Receive<AuthenticationExpired>(_ =>
        {
            _log.Warning("Client at {0} did not finish its {1} authentication within {2} s; its session ends", _owner, server.Mechanism, AuthenticationTimeout.TotalSeconds);
            Count(server.Mechanism, "failed");
            Context.Stop(Self);
        });
        Receive<SaslAuthenticateRequest>(_ => FromOwner(), r =>
        {
            byte[] answer;
            try
            {
                answer = server.EvaluateResponse(r.AuthBytes);
            }
            catch (SaslAuthenticationException e)
            {
                if (FailureLog.ShouldLog(out var unlogged))
                    _log.Warning("Client at {0} failed {1} authentication: {2}{3}", _owner, server.Mechanism, e.Message,
                        unlogged > 0 ? $" ({unlogged} more failures since the last such line)" : "");
                Count(server.Mechanism, "failed");
                Timers.Cancel(nameof(AuthenticationExpired));
                Timers.StartSingleTimer(nameof(FailureAnswer), new FailureAnswer(new SaslAuthenticateResponse(ErrorCode.SaslAuthenticationFailed, e.Message, [], false), Sender),
                    FailureDelay);
                Become(Failed);
                return;
            }
            if (server.IsComplete)
            {
                var principal = $"User:{server.AuthenticatedUser}";
                _log.Info("Client at {0} authenticated as {1} with {2}", _owner, principal, server.Mechanism);
                Count(server.Mechanism, "succeeded");
                Timers.Cancel(nameof(AuthenticationExpired));
                Become(() => Authenticated(principal));
            }
            Sender.Tell(new SaslAuthenticateResponse(ErrorCode.None, null, answer, server.IsComplete));
        });
        ReceiveAny(message =>
        {
            if (FromOwner() && ClientGateway.IsClientRequest(message))
                Sender.Tell(ClientErrorReplies.For(message, ErrorCode.IllegalSaslState, "The client sent a request before its SASL authentication was complete."));
        });
    }

    private void Failed()
    {
        Receive<FailureAnswer>(f =>
        {
            f.ReplyTo.Tell(f.Response);
            Context.Stop(Self);
        });
        ReceiveAny(_ => { });
    }

    private void Authenticated(string principal)
    {
        Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(_owner), _ => Context.Stop(Self));
        Receive<DisassociatedEvent>(_ => { });
        Receive<SaslAuthenticateRequest>(_ => FromOwner(), _ =>
            Sender.Tell(new SaslAuthenticateResponse(ErrorCode.IllegalSaslState, "This session is authenticated already; authenticate again on a new connection.", [], false)));
        ReceiveAny(message =>
        {
            // Every request names a sender of the client's (an acks=0 produce one that drops replies), so all are checked alike.
            if (FromOwner())
                Context.Parent.Tell(new AuthenticatedRequest(principal, message, Sender));
            else
                BrokerMetrics.ClientEndpointRefused.Add(1, new KeyValuePair<string, object?>("reason", "unknown_sender"),
                    new KeyValuePair<string, object?>("message", message.GetType().Name));
        });
    }

    private bool FromOwner() => Sender.Path.Address.Equals(_owner);

    private static void Count(string mechanism, string result) =>
        BrokerMetrics.Authentications.Add(1, new KeyValuePair<string, object?>("listener", "client-endpoint"),
            new KeyValuePair<string, object?>("mechanism", mechanism), new KeyValuePair<string, object?>("result", result));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Timers.StartSingleTimer(nameof(AuthenticationExpired), AuthenticationExpired.Instance, AuthenticationTimeout);
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}

/// <summary>One log line per interval for failed authentications, which a client can cause as fast as it likes.</summary>
internal static class FailureLog
{
    private static long _lastAt;
    private static int _unlogged;

    public static bool ShouldLog(out int unlogged)
    {
        var last = Interlocked.Read(ref _lastAt);
        if (last != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(last) < TimeSpan.FromSeconds(10))
        {
            Interlocked.Increment(ref _unlogged);
            unlogged = 0;
            return false;
        }
        Interlocked.Exchange(ref _lastAt, System.Diagnostics.Stopwatch.GetTimestamp());
        unlogged = Interlocked.Exchange(ref _unlogged, 0);
        return true;
    }
}

/// <summary>A request from an authenticated client, passed by its <see cref="ClientSession"/> to the gateway (never leaves the broker's process).</summary>
/// <param name="Principal">Who sent it, as Kafka names principals: <c>User:alice</c>.</param>
/// <param name="ReplyTo">The client's sender of the request.</param>
public sealed record AuthenticatedRequest(string Principal, object Message, IActorRef ReplyTo);
