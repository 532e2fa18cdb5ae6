using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;
using System.Security.Cryptography;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Actors.Quotas;
using AkkaBroker.Actors.Security;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Security;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// The client endpoint's only reachable actor, at <c>/user/broker</c> of the client-facing ActorSystem (the path clients
/// have always resolved). It passes the client protocol's requests to the cluster's <see cref="BrokerGateway"/> with a
/// <see cref="ReplyRelay"/> as their sender, and refuses everything else: the messages that only brokers and the
/// controller may send (replica fetches, replica commands, ISR changes, forwarded group requests) and anything unknown
/// are dropped, counted (<c>akkabroker.client_endpoint.refused</c>) and logged with the sender's address. Where the
/// endpoint requires SASL authentication, it takes only handshakes here: each gives the client a
/// <see cref="ClientSession"/> of its own, through which its requests come once it has authenticated.
/// </summary>
public sealed class ClientGateway : ReceiveActor, IWithTimers
{
    public const string Name = BrokerGateway.Name;

    /// <summary>How long a request may wait for its answer when it says nothing of its own (a fetch waits at most 30 s, admin requests their admin.timeout).</summary>
    internal static readonly TimeSpan DefaultRequestLifetime = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    /// <summary>Most sessions (authenticated or authenticating) one client connection may hold at once.</summary>
    internal const int MaxSessionsPerConnection = 8;

    /// <summary>Most sessions the endpoint holds at once, over all connections.</summary>
    internal const int MaxSessions = 10_000;

    internal static Props Props(IActorRef clusterGateway, ReplyRelays relays, ConnectedClients connected, ClientAuthentication? authentication = null,
        Authorizer? authorizer = null, ClientQuotaManager? quotas = null) =>
        Akka.Actor.Props.Create(() => new ClientGateway(clusterGateway, relays, connected, authentication, authorizer ?? new Authorizer(AuthorizerSettings.Off),
            quotas ?? new ClientQuotaManager(ClientQuotaSettings.Default, null)));

    private sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _lastWarningAt;
    private int _unloggedRefusals;

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly Dictionary<Address, int> _sessions = new();
    private readonly Dictionary<IActorRef, Address> _sessionOwners = new();

    private readonly IActorRef _clusterGateway;
    private readonly ReplyRelays _relays;
    private readonly ConnectedClients _connected;
    private readonly Authorizer _authorizer;
    private readonly ClientQuotaManager _quotas;

    public ClientGateway(IActorRef clusterGateway, ReplyRelays relays, ConnectedClients connected, ClientAuthentication? authentication, Authorizer authorizer,
        ClientQuotaManager quotas)
    {
        (_clusterGateway, _relays, _connected, _authorizer, _quotas) = (clusterGateway, relays, connected, authorizer, quotas);
        Receive<Sweep>(_ =>
        {
            if (relays.Expire() is > 0 and var expired)
            {
                BrokerMetrics.ClientEndpointRefused.Add(expired, new KeyValuePair<string, object?>("reason", "unanswered"));
                _log.Warning("{0} client request(s) got no answer within their lifetime and were given up (the client has retried or timed out long since)", expired);
            }
        });
        Receive<DisassociatedEvent>(e => relays.Close(e.RemoteAddress));
        Receive<SaslHandshakeRequest>(r => Handshake(r, authentication, connected));
        Receive<Terminated>(t =>
        {
            if (!_sessionOwners.Remove(t.ActorRef, out var owner)) return;
            if (--_sessions[owner] == 0) _sessions.Remove(owner);
        });
        // Only from this gateway's own sessions: the message has no serializer, so it cannot come over the network anyway.
        Receive<AuthenticatedRequest>(_ => _sessionOwners.ContainsKey(Sender), r => Serve(r.Message, r.ReplyTo, r.Principal));
        ReceiveAny(message =>
        {
            if (authentication is { Required: true } && IsClientRequest(message))
            {
                // Answered, so the client learns why, but only to a client connected here (never a reply sent elsewhere).
                if (connected.Contains(Sender.Path.Address))
                    Sender.Tell(ClientErrorReplies.For(message, ErrorCode.SaslAuthenticationFailed,
                        $"This broker's client endpoint requires authentication: {authentication.HowToAuthenticate()}."));
                Refuse(message, "unauthenticated", "the client has not authenticated, and this endpoint requires it (client-endpoint.sasl.enabled or ssl.client.auth = required)");
                return;
            }
            Serve(message, Sender, Authorizer.Anonymous);
        });
    }

    private void Serve(object message, IActorRef sender, string principal)
    {
        var started = Stopwatch.GetTimestamp();
        var (clusterGateway, relays, connected) = (_clusterGateway, _relays, _connected);
        if (!IsClientRequest(message))
        {
            Refuse(message, "broker_only", "only brokers and the controller may send it, on the cluster endpoint");
            return;
        }
        var noReply = sender.IsNobody() || sender.Equals(Context.System.DeadLetters);
        // A produce with acks=0 asks for no answer: nothing waits for it, whatever sender it names. Everything else names who gets the reply.
        if (message is ProduceRequest { Acks: 0 } unanswered)
        {
            // Dropped when the ACLs refuse it: nobody waits for an answer (the Kafka listener closes such a connection, as Kafka does).
            if (RequestAuthorization.Check(_authorizer, principal, null, message) != null) return;
            clusterGateway.Tell(message, ActorRefs.NoSender);
            // Its bytes count as any produce's; with no answer to hold, its connection's other answers wait. An
            // authenticated client names its connection in the sender it gives; an anonymous one gives none, and is not
            // counted (its client.id, all that would name it, is its own to choose anyway).
            if (_quotas.Enabled && connected.Contains(sender.Path.Address)
                && _quotas.Record(QuotaType.Produce, principal, ClientIdOf(sender.Path.Address), unanswered.Batch.Length, clientIdSanitized: true) is var throttle && throttle > TimeSpan.Zero)
                relays.Hold(sender.Path.Address, throttle);
            return;
        }
        // A sender is only the name a message gives, so only a client connected here may be answered: otherwise
        // the broker would send a reply wherever a client said, into the cluster or anywhere else.
        if (noReply || !connected.Contains(sender.Path.Address))
        {
            Refuse(message, "unknown_sender", noReply
                ? "it names no sender to answer"
                : $"it names a sender at {sender.Path.Address}, which is not a client connected to this endpoint");
            return;
        }
        if (Authorized(message, sender, principal, started)) return;
        // No closure on the hot path while no quota is set.
        if (relays.TryOpen(sender, LifetimeOf(message), _quotas.Enabled ? () => Charge(message, sender, principal, started) : null) is not { } relay)
        {
            Refuse(message, "too_many_in_flight", "its connection has the most requests in flight that akkabroker.broker.client-endpoint.max-in-flight-requests-per-connection allows");
            return;
        }
        clusterGateway.Tell(message, relay);
    }

    /// <summary>
    /// What <paramref name="message"/> counts against its client's quotas: its produced bytes and the time this gateway
    /// spent on it now, its fetched bytes when the reply comes. Null when no quota is set anywhere.
    /// </summary>
    private QuotaCharge? Charge(object message, IActorRef sender, string principal, long started)
    {
        if (!_quotas.Enabled) return null;
        var clientId = ClientIdOf(sender.Path.Address);
        var produced = message is ProduceRequest produce ? _quotas.Record(QuotaType.Produce, principal, clientId, produce.Batch.Length, clientIdSanitized: true) : TimeSpan.Zero;
        var handling = _quotas.Record(QuotaType.Request, principal, clientId, Stopwatch.GetElapsedTime(started).TotalSeconds, clientIdSanitized: true);
        return new QuotaCharge(_quotas, principal, clientId, produced > handling ? produced : handling);
    }

    /// <summary>A client's <c>client.id</c> as its connection shows it (<see cref="ClientIds"/>: only letters, digits and '-').</summary>
    internal static string ClientIdOf(Address client) => ClientIds.FromSystemName(client.System);

    /// <summary>
    /// True when the request was answered here under the ACLs: refused (in its response's shape, the client endpoint
    /// trusting no client's address, so only host <c>*</c> ACLs grant), or a Metadata or ListGroups answer cut to what
    /// <paramref name="principal"/> may see. False: it may go on as it is.
    /// </summary>
    private bool Authorized(object message, IActorRef sender, string principal, long started)
    {
        if (RequestAuthorization.Check(_authorizer, principal, null, message) is { } refused)
        {
            sender.Tell(ClientErrorReplies.For(message, refused.Code, refused.Message));
            return true;
        }
        // With no authorizer nothing is cut: requests take the usual way, through a relay.
        if (!_authorizer.Enabled) return false;
        var timeout = DefaultRequestLifetime;
        Func<Task<object>>? answer = message switch
        {
            MetadataRequest m => async () => await RequestAuthorization.MetadataAsync(_authorizer, principal, null, m, r => _clusterGateway.Ask<MetadataResponse>(r, timeout)),
            ListGroupsRequest l => async () => await RequestAuthorization.ListGroupsAsync(_authorizer, principal, null, l, r => _clusterGateway.Ask<ListGroupsResponse>(r, timeout)),
            OffsetFetchRequest { Partitions: null } o =>
                async () => await RequestAuthorization.OffsetFetchAsync(_authorizer, principal, null, o, r => _clusterGateway.Ask<OffsetFetchResponse>(r, timeout)),
            _ => null,
        };
        if (answer == null) return false;
        // Counted against the connection's in-flight requests like any other.
        if (_relays.TryOpen(sender, timeout, _quotas.Enabled ? () => Charge(message, sender, principal, started) : null) is not { } relay)
        {
            Refuse(message, "too_many_in_flight", "its connection has the most requests in flight that akkabroker.broker.client-endpoint.max-in-flight-requests-per-connection allows");
            return true;
        }
        // An answer that does not come (the cluster gateway's ask timed out) is not sent: the client's own timeout has
        // retried long since. It is counted as any unanswered request is, and its in-flight slot freed.
        answer().ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) relay.Tell(t.Result, ActorRefs.NoSender);
            else if (relay.TryComplete())
                BrokerMetrics.ClientEndpointRefused.Add(1, new KeyValuePair<string, object?>("reason", "unanswered"),
                    new KeyValuePair<string, object?>("message", message.GetType().Name));
        });
        return true;
    }

    /// <summary>
    /// A client starts authenticating: it gets a session of its own (<see cref="ClientSession"/>) for the exchange's
    /// messages and, once authenticated, its requests.
    /// </summary>
    private void Handshake(SaslHandshakeRequest r, ClientAuthentication? authentication, ConnectedClients connected)
    {
        var owner = Sender.Path.Address;
        if (!connected.Contains(owner))
        {
            Refuse(r, "unknown_sender", $"it names a sender at {owner}, which is not a client connected to this endpoint");
            return;
        }
        if (authentication == null)
        {
            Sender.Tell(new SaslHandshakeResponse(ErrorCode.UnsupportedSaslMechanism,
                "This broker's client endpoint does not authenticate clients (akkabroker.broker.client-endpoint.sasl.enabled = off, ssl.client.auth = none): " +
                "set security.protocol=PLAINTEXT (SSL with TLS) without sasl.* or ssl.certificate.location, or turn authentication on at the broker.", [], ""));
            return;
        }
        var certificate = r.Mechanism.Equals(ClientCertificateMechanism.Name, StringComparison.OrdinalIgnoreCase);
        if (certificate && authentication.CertificateAuthorities == null)
        {
            Sender.Tell(new SaslHandshakeResponse(ErrorCode.UnsupportedSaslMechanism,
                "This broker's client endpoint takes no client certificates (akkabroker.broker.client-endpoint.ssl.client.auth = none): " +
                "remove ssl.certificate.location" + (authentication.EnabledMechanisms.Count > 0 ? $", and log in with SASL ({string.Join(", ", authentication.EnabledMechanisms)})." : "."),
                authentication.Mechanisms, ""));
            return;
        }
        ISaslServer? sasl = null;
        if (!certificate && (!authentication.EnabledMechanisms.Contains(r.Mechanism, StringComparer.OrdinalIgnoreCase)
                             || (sasl = SaslMechanisms.Server(r.Mechanism, authentication.Credentials.Lookup)) == null))
        {
            Sender.Tell(new SaslHandshakeResponse(ErrorCode.UnsupportedSaslMechanism,
                authentication.EnabledMechanisms.Count == 0
                    ? $"This broker's client endpoint does not offer SASL (akkabroker.broker.client-endpoint.sasl.enabled = off): {authentication.HowToAuthenticate()}."
                    : $"This broker does not offer SASL mechanism '{r.Mechanism}': set sasl.mechanism to one of {string.Join(", ", authentication.EnabledMechanisms)} " +
                      $"({SaslSettings.Section}.enabled.mechanisms).", authentication.Mechanisms, ""));
            return;
        }
        // Answered IllegalSaslState, which clients retry: none of these says the credentials are wrong.
        if (!certificate && !authentication.Credentials.Loaded)
        {
            Sender.Tell(new SaslHandshakeResponse(ErrorCode.IllegalSaslState,
                "This broker is still reading the cluster's metadata and cannot check credentials yet; retry shortly.", authentication.Mechanisms, ""));
            return;
        }
        if (_sessions.GetValueOrDefault(owner) >= MaxSessionsPerConnection || _sessionOwners.Count >= MaxSessions)
        {
            Sender.Tell(new SaslHandshakeResponse(ErrorCode.IllegalSaslState,
                $"This connection holds {MaxSessionsPerConnection} sessions already (or the broker {MaxSessions}), the most it may; retry later.",
                authentication.Mechanisms, ""));
            return;
        }
        var name = "session-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        // A certificate's proof is a signature over this session's random name, so it is good for this session only.
        var server = sasl ?? new ClientCertificateServer(authentication.CertificateAuthorities!, name);
        var session = Context.ActorOf(ClientSession.Props(owner, server), name);
        Context.Watch(session);
        _sessionOwners[session] = owner;
        _sessions[owner] = _sessions.GetValueOrDefault(owner) + 1;
        Sender.Tell(new SaslHandshakeResponse(ErrorCode.None, null, authentication.Mechanisms, name));
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, SweepInterval);
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>The requests of the client protocol (what AkkaBroker.Client and the command-line tools send).</summary>
    public static bool IsClientRequest(object message) => message switch
    {
        ProduceRequest or FetchRequest or ListOffsetsRequest or DeleteRecordsRequest or DescribeLogRequest or DescribeReplicaLogRequest => true,
        IGroupRequest or ListGroupsRequest => true,
        MetadataRequest or DescribeClusterRequest or InitProducerIdRequest => true,
        CreateTopicRequest or DeleteTopicRequest or CreatePartitionsRequest or DescribeConfigsRequest or AlterConfigsRequest => true,
        DescribeBrokerConfigsRequest or AlterBrokerConfigsRequest => true,
        DescribeUserScramCredentialsRequest or AlterUserScramCredentialsRequest => true,
        CreateAclsRequest or DeleteAclsRequest or DescribeAclsRequest => true,
        DescribeClientQuotasRequest or AlterClientQuotasRequest => true,
        ElectLeadersRequest or ReassignPartitionsRequest or ListPartitionReassignmentsRequest or UnregisterNodeRequest => true,
        _ => false,
    };

    /// <summary>A join waits for the whole group to rejoin, up to its rebalance timeout; everything else is answered far sooner.</summary>
    private static TimeSpan LifetimeOf(object message) => message is JoinGroupRequest join
        ? TimeSpan.FromMilliseconds(Math.Max(0, (long)join.RebalanceTimeoutMs)) + DefaultRequestLifetime
        : DefaultRequestLifetime;

    private void Refuse(object message, string reason, string why)
    {
        var type = message.GetType().Name;
        BrokerMetrics.ClientEndpointRefused.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("message", type));
        // A hostile client can send refusals as fast as it likes: one line per interval, saying how many went unlogged.
        if (_lastWarningAt != 0 && Stopwatch.GetElapsedTime(_lastWarningAt) < LogInterval)
        {
            _unloggedRefusals++;
            return;
        }
        _log.Warning("Refused {0} from {1} on the client endpoint: {2}{3}", type, Sender.Path.Address, why,
            _unloggedRefusals > 0 ? $" ({_unloggedRefusals} more refusals since the last such line)" : "");
        _lastWarningAt = Stopwatch.GetTimestamp();
        _unloggedRefusals = 0;
    }
}

/// <summary>What a client endpoint authenticates clients with.</summary>
/// <param name="EnabledMechanisms">The SASL mechanisms offered (<c>sasl.enabled.mechanisms</c>); none when SASL is off.</param>
/// <param name="Credentials">The users' credentials, as this broker last saw them.</param>
/// <param name="CertificateAuthorities">Who issues the client certificates taken (<c>client-endpoint.ssl.truststore.location</c>); null: none are.</param>
/// <param name="Required">Whether every request needs an authenticated principal; if not, a client that has not authenticated is <c>User:ANONYMOUS</c>.</param>
public sealed record ClientAuthentication(IReadOnlyList<string> EnabledMechanisms, ScramCredentialStore Credentials,
    System.Security.Cryptography.X509Certificates.X509Certificate2Collection? CertificateAuthorities = null, bool Required = true)
{
    /// <summary>Every mechanism offered: the SASL ones and, when certificates are taken, <see cref="ClientCertificateMechanism.Name"/>.</summary>
    public IReadOnlyList<string> Mechanisms { get; } = CertificateAuthorities == null ? EnabledMechanisms : [.. EnabledMechanisms, ClientCertificateMechanism.Name];

    /// <summary>What a client that has not authenticated is told to set.</summary>
    public string HowToAuthenticate() =>
        (EnabledMechanisms.Count > 0
            ? "set security.protocol=SASL_PLAINTEXT (SASL_SSL with TLS), " +
              $"sasl.mechanism (one of {string.Join(", ", EnabledMechanisms)}), sasl.username and sasl.password"
            : "") +
        (EnabledMechanisms.Count > 0 && CertificateAuthorities != null ? "; or " : "") +
        (CertificateAuthorities != null
            ? "set security.protocol=SSL, ssl.certificate.location and ssl.key.location to a client certificate issued by an authority in client-endpoint.ssl.truststore.location"
            : "");
}
