using System.Security.Cryptography.X509Certificates;
using System.Diagnostics;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using AkkaBroker.Protocol.Logging;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;
using TopicMetadata = AkkaBroker.Protocol.Messages.TopicMetadata;
using PartitionMetadata = AkkaBroker.Protocol.Messages.PartitionMetadata;

/// <summary>
/// A client's link to the cluster: a small ActorSystem with Akka.Remote (not a cluster member) that finds brokers'
/// gateways (<c>/user/broker</c>), asks them with timeouts, and caches topic metadata. Thread-safe.
/// </summary>
internal sealed class BrokerConnection : IAsyncDisposable
{
    private const string BrokerSystemName = "akkabroker";
    /// <summary>Akka.Remote's name for the transport: <c>akka.ssl.tcp</c> with TLS.</summary>
    private readonly string _protocol;
    private readonly ConcurrentDictionary<(string Host, int Port), Task<IActorRef>> _gateways = new();
    private readonly ConcurrentDictionary<int, BrokerInfo> _brokers = new();
    /// <summary>Moves on after every change that may change a partition's leader gateway (see <see cref="CachedRoute"/>).</summary>
    private long _routingVersion;
    private readonly ConcurrentDictionary<string, TopicMetadata> _topics = new(StringComparer.Ordinal);
    // Topics whose cached leaders are in doubt (a leader refused or went away): partition counts are still used, leaders
    // are looked up again.
    private readonly ConcurrentDictionary<string, bool> _stale = new(StringComparer.Ordinal);
    /// <summary>When each topic's metadata was last read (Stopwatch ticks), so doubts about it are not re-asked in a tight loop.</summary>
    private readonly ConcurrentDictionary<string, long> _refreshedAt = new(StringComparer.Ordinal);
    /// <summary>Lookups of one topic in flight, shared by every caller that needs it meanwhile.</summary>
    private readonly ConcurrentDictionary<(string Topic, bool AllowAutoCreate), Task<MetadataResponse>> _lookups = new();
    private readonly IReadOnlyList<(string Host, int Port)> _bootstrap;
    // One token per broker node, cancelled when the connection to it drops: requests in flight to it fail at once.
    private readonly ConcurrentDictionary<Address, CancellationTokenSource> _links = new();
    // When the connection to host:port last dropped or was refused: such brokers are tried last.
    private readonly ConcurrentDictionary<(string Host, int Port), long> _lostAt = new();
    private static readonly TimeSpan GatedFor = TimeSpan.FromSeconds(5);
    // Between metadata attempts while no broker can be reached.
    private static readonly TimeSpan TransportRetryBackoff = TimeSpan.FromMilliseconds(500);
    // A leader lookup is answered in milliseconds, or lost with a controller that is moving (brokers hand metadata
    // requests to it): asked again after 1 s, the first lookup after a new controller's election is at most ~1 s late.
    private TimeSpan LookupTimeout => TimeSpan.FromMilliseconds(Math.Min(Settings.RequestTimeout.TotalMilliseconds, 1000));

    /// <param name="settings">The client's configuration.</param>
    /// <param name="log">The application's log handler; null: the client logs nothing.</param>
    /// <param name="errors">The application's error handler: told of brokers that cannot be reached, as they happen.</param>
    public BrokerConnection(ClientSettings settings, Action<LogMessage>? log = null, Action<Error>? errors = null)
    {
        _errors = errors;
        Settings = settings;
        _protocol = settings.Tls == null ? "akka.tcp" : "akka.ssl.tcp";
        _bootstrap = settings.BootstrapServers;
        var localHost = LocalAddressFor(_bootstrap[0].Host);
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              # Without a log handler nothing is logged: a client runs inside someone else's program, whose
              # standard output and error are its own.
              loglevel = {{(log == null ? "OFF" : "WARNING")}}
              stdout-loglevel = OFF
              log-dead-letters = off
              actor.provider = remote
              remote {
                log-remote-lifecycle-events = off
                # Nothing outside this application may choose its actors or deploy into it: brokers only ever answer
                # asks, over the connection the client opened (Akka's passive connections).
                untrusted-mode = on
                dot-netty.tcp {
                  # Akka.Remote always binds a port; bound to loopback it accepts nothing from the network. The routable
                  # address is only the name the client goes by in its connections to brokers.
                  hostname = "127.0.0.1"
                  public-hostname = "{{localHost}}"
                  port = 0
                  tcp-reuse-addr = off
                  maximum-frame-size = 16MiB
                  send-buffer-size = 16MiB
                  receive-buffer-size = 16MiB
                  # Requests carry whole record batches, so coalescing writes buys little; DotNetty's batching
                  # would hold a lone request up to 40 ms, which is the latency a producer's linger.ms is for.
                  batching.enabled = false
                }
              }
            }
            """).WithFallback(BrokerSerialization.Config);
        HasLogHandler = log != null;
        var sink = new LogSinkSetup(entry => log?.Invoke(LogMessage.From(settings.ClientId, entry)));
        var setup = sink.SystemSetup(config);
        if (settings.Tls is { } tls)
        {
            _certificate = tls.Certificate?.Load();
            config = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = true").WithFallback(config);
            setup = sink.SystemSetup(config).And(ClientTls.Setup(tls, _certificate?.Certificate));
        }
        System = ActorSystem.Create(ClientIds.SystemNameOf(settings.ClientId), setup);
        System.ActorOf(LinkWatcher.Props(OnLinkLost), "link-watcher");
        NoReplySender = System.ActorOf(Props.Create<NoReplies>(), "no-replies");
    }

    /// <summary>The client's certificate and its intermediate authorities (<c>ssl.certificate.location</c>), when it has one.</summary>
    private readonly (X509Certificate2 Certificate, X509Certificate2Collection Chain)? _certificate;

    /// <summary>
    /// The sender of requests that want no answer (an acks=0 produce) to an authenticated session, which serves only
    /// requests from this client's address; it drops whatever reaches it.
    /// </summary>
    public IActorRef NoReplySender { get; }

    private sealed class NoReplies : ReceiveActor
    {
        public NoReplies() => ReceiveAny(_ => { });
    }

    private readonly Action<Error>? _errors;
    private long _allDownReportedAt;

    /// <summary>
    /// Tells the application's error handler of a client-level error (Confluent.Kafka's error event): the request that
    /// met it retries or fails on its own; this is so the application hears of it as it happens.
    /// </summary>
    private void ReportError(Error error)
    {
        // And to the log, as librdkafka logs a FAIL line for each.
        System.Log.Warning("{0}", error);
        if (_errors == null) return;
        try
        {
            _errors(error);
        }
        catch (Exception e)
        {
            // The handler is the application's; its failure must not stop the client's retrying.
            System.Log.Error(e, "the error handler threw for {0}", error);
        }
    }

    /// <summary>Whether the application set a log handler (without one the client's log is not kept).</summary>
    public bool HasLogHandler { get; }

    /// <summary>Cancelled when the connection to <paramref name="target"/>'s node drops; pass it to asks of that node.</summary>
    public CancellationToken LinkToken(IActorRef target)
    {
        var address = target.Path.Address;
        if (address.Host == null) return CancellationToken.None;
        return _links.GetOrAdd(address, _ => new CancellationTokenSource()).Token;
    }

    /// <summary>
    /// The connection to a node dropped: fail what waits for it, forget its gateway and the metadata of topics it
    /// led. Only those: the node may be no leader at all (a controller-only node, which answers metadata requests
    /// directly), and refreshing every topic would make the producer wait for a controller that is moving.
    /// </summary>
    private void OnLinkLost(Address address)
    {
        if (address.Host != null && address.Port is { } port)
        {
            _lostAt[(address.Host, port)] = Stopwatch.GetTimestamp();
            ReportError(new Error(ErrorCode.LocalTransport, $"the connection to broker {address.Host}:{port} was lost (refused, closed or unreachable)"));
        }
        var changed = false;
        foreach (var (key, task) in _gateways)
            if (task.IsCompletedSuccessfully && task.Result.Path.Address.Equals(address))
                changed |= _gateways.TryRemove(new KeyValuePair<(string, int), Task<IActorRef>>(key, task));
        var ids = _brokers.Values.Where(b => b.Host == address.Host && b.Port == address.Port).Select(b => b.BrokerId).ToHashSet();
        foreach (var (topic, metadata) in _topics)
            if (metadata.Partitions.Any(p => ids.Contains(p.Leader)))
            {
                _stale[topic] = true;
                changed = true;
            }
        // Only then: while a broker is down, its connection's errors keep coming and would empty every partition's route.
        if (changed) RoutingChanged();
        if (_links.TryRemove(address, out var cts)) cts.Cancel();
    }

    public ClientSettings Settings { get; }

    public ActorSystem System { get; }

    /// <summary>Asks an actor and maps a missing reply to REQUEST_TIMED_OUT.</summary>
    public async Task<T> AskAsync<T>(IActorRef target, object request, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var t = timeout ?? Settings.RequestTimeout;
        // Akka's Ask sets no timer at all for a zero or negative timeout: a spent budget must not wait for ever.
        if (t <= TimeSpan.Zero)
            throw new KafkaException(new Error(ErrorCode.RequestTimedOut, $"{request.GetType().Name} to {target.Path.Address}: no time was left for it (request.timeout.ms)"));
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, LinkToken(target));
            return await target.Ask<T>(request, t, linked.Token).ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            throw new KafkaException(new Error(ErrorCode.RequestTimedOut,
                $"{request.GetType().Name} to {target.Path.Address} got no reply within {t.TotalMilliseconds:0} ms (request.timeout.ms)"), e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new KafkaException(new Error(ErrorCode.NetworkException,
                $"the connection to {target.Path.Address} dropped before {request.GetType().Name} was answered"), e);
        }
    }

    /// <summary>
    /// Any broker that answers: one already connected if there is one, else bootstrap servers and brokers learned from
    /// metadata, those whose connection dropped recently last (a bootstrap server may be long gone while the cluster
    /// lives on, as a Kafka client uses its bootstrap list only to start).
    /// </summary>
    public async Task<IActorRef> AnyBrokerAsync(CancellationToken ct = default)
    {
        // Group requests call this for every commit and heartbeat: the first bootstrap server, once resolved, is
        // returned without building the candidate list.
        if (_gateways.TryGetValue(_bootstrap[0], out var resolved) && resolved.IsCompletedSuccessfully) return resolved.Result;
        // A lost connection's gateway is removed from _gateways, so any resolved one left is connected.
        foreach (var gateway in _gateways.Values)
            if (gateway.IsCompletedSuccessfully) return gateway.Result;
        var candidates = _bootstrap.Concat(_brokers.Values.Select(b => (b.Host, b.Port))).Distinct()
            .OrderBy(c => _lostAt.TryGetValue(c, out var at) && Stopwatch.GetElapsedTime(at) < TimeSpan.FromSeconds(30))
            .ToList();
        var failures = new List<string>();
        foreach (var (host, port) in candidates)
        {
            try
            {
                return await GatewayAsync(host, port, ct).ConfigureAwait(false);
            }
            catch (KafkaException e) when (!IsAuthenticationError(e.Error.ProtocolCode))
            {
                failures.Add(e.Error.Reason);
            }
        }
        var allDown = new Error(ErrorCode.LocalAllBrokersDown,
            $"Could not reach any bootstrap server ({string.Join(", ", _bootstrap.Select(b => $"{b.Host}:{b.Port}"))}): {string.Join("; ", failures)}. " +
            "Check bootstrap.servers and that the broker is running.");
        // Once per gated period, not on every retry of a lookup that keeps finding every broker down.
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _allDownReportedAt);
        if ((last == 0 || Stopwatch.GetElapsedTime(last) >= GatedFor) && Interlocked.CompareExchange(ref _allDownReportedAt, now, last) == last) ReportError(allDown);
        throw new KafkaException(allDown);
    }

    /// <summary>The gateway of a broker at host:port, resolved once and cached.</summary>
    public Task<IActorRef> GatewayAsync(string host, int port, CancellationToken ct = default)
    {
        // Called for every produce and fetch: the cached, resolved gateway is returned without allocating.
        if (!_gateways.TryGetValue((host, port), out var task))
        {
            // Resolved once however many callers race here: with SASL each resolution is a session at the broker.
            var created = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
            task = _gateways.GetOrAdd((host, port), created.Task);
            if (ReferenceEquals(task, created.Task)) _ = ResolveIntoAsync(created, host, port);
        }
        if ((task.IsFaulted || task.IsCanceled) && _gateways.TryRemove(new KeyValuePair<(string, int), Task<IActorRef>>((host, port), task))) RoutingChanged();
        return ct.CanBeCanceled ? task.WaitAsync(ct) : task;
    }

    private async Task ResolveIntoAsync(TaskCompletionSource<IActorRef> gateway, string host, int port)
    {
        try
        {
            gateway.SetResult(await ResolveAsync(host, port).ConfigureAwait(false));
        }
        catch (Exception e)
        {
            // Only this resolution's entry: a later one may have been stored meanwhile.
            _gateways.TryRemove(new KeyValuePair<(string, int), Task<IActorRef>>((host, port), gateway.Task));
            RoutingChanged();
            gateway.SetException(e);
        }
    }

    private async Task<IActorRef> ResolveAsync(string host, int port)
    {
        var timeout = Settings.ConnectTimeout;
        // Akka.Remote drops every message to an address for 5 s after its connection failed (the address is "gated"):
        // a resolution in that window could only time out, so it fails at once and the caller's retry comes later.
        if (_lostAt.TryGetValue((host, port), out var lostAt) && Stopwatch.GetElapsedTime(lostAt) < GatedFor)
        {
            throw new KafkaException(new Error(ErrorCode.LocalTransport,
                $"the connection to broker {host}:{port} dropped {Stopwatch.GetElapsedTime(lostAt).TotalMilliseconds:0} ms ago; it is tried again after {GatedFor.TotalSeconds:0} s"));
        }
        try
        {
            // Fails at once when the connection attempt is refused (the broker is down), not after the whole timeout.
            var link = _links.GetOrAdd(new Address(_protocol, BrokerSystemName, host, port), _ => new CancellationTokenSource()).Token;
            var gateway = await System.ActorSelection($"{_protocol}://{BrokerSystemName}@{host}:{port}/user/broker").ResolveOne(timeout, link).ConfigureAwait(false);
            if (Settings.Sasl is { } sasl) return await AuthenticateAsync(gateway, sasl, host, port, timeout, link).ConfigureAwait(false);
            if (_certificate is { } certificate) return await AuthenticateAsync(gateway, certificate, host, port, timeout, link).ConfigureAwait(false);
            return gateway;
        }
        catch (KafkaException e) when (IsAuthenticationError(e.Error.ProtocolCode))
        {
            ReportError(e.Error);
            throw;
        }
        catch (ActorNotFoundException e)
        {
            // The node answered but runs no client gateway: a controller-only node, or a broker still starting.
            var error = new Error(ErrorCode.LocalTransport,
                $"{host}:{port} is a cluster node that serves no clients: a controller-only node (process.roles = controller) " +
                "or a broker still starting. List brokers in bootstrap.servers");
            ReportError(error);
            throw new KafkaException(error, e);
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or OperationCanceledException)
        {
            var error = new Error(ErrorCode.LocalTransport,
                $"broker {host}:{port} did not answer within {timeout.TotalMilliseconds:0} ms (socket.connection.setup.timeout.ms)");
            ReportError(error);
            throw new KafkaException(error, e);
        }
    }

    /// <summary>
    /// Authenticates this connection at the broker (Kafka's SaslHandshake and SaslAuthenticate): the broker's gateway gives
    /// it a session of its own, and the session, once the exchange succeeds, is what every request to that broker goes to.
    /// With SCRAM the broker also proves it holds the user's credential.
    /// </summary>
    private async Task<IActorRef> AuthenticateAsync(IActorRef gateway, ClientSaslSettings sasl, string host, int port, TimeSpan timeout, CancellationToken link)
    {
        KafkaException Failed(ErrorCode code, string why) => new(new Error(code, $"Authentication with broker {host}:{port} as '{sasl.Username}' ({sasl.Mechanism}) failed: {why}"));
        var (session, _) = await OpenSessionAsync(gateway, sasl.Mechanism, host, port, timeout, link, Failed).ConfigureAwait(false);
        var client = Protocol.Security.SaslClient.For(sasl.Mechanism, sasl.Username, sasl.Password)!;
        var message = client.First();
        while (true)
        {
            var answer = await session.Ask<SaslAuthenticateResponse>(new SaslAuthenticateRequest(message), timeout, link).ConfigureAwait(false);
            if (answer.Error != ErrorCode.None) throw Failed(answer.Error, answer.ErrorMessage ?? answer.Error.Describe());
            byte[]? next;
            try
            {
                next = client.Respond(answer.AuthBytes);
            }
            catch (Protocol.Security.SaslAuthenticationException e)
            {
                throw Failed(ErrorCode.SaslAuthenticationFailed, e.Message);
            }
            if (answer.Complete)
                return next == null ? session : throw Failed(ErrorCode.IllegalSaslState, "the broker ended the exchange before the client had finished it");
            message = next ?? throw Failed(ErrorCode.IllegalSaslState, "the broker asked for more after the client had finished the exchange");
        }
    }

    /// <summary>
    /// Authenticates this connection with the client's certificate: the broker's gateway gives it a session, and the client
    /// proves it holds the certificate's key by signing the session's name (<see cref="Protocol.Security.ClientCertificateMechanism"/>).
    /// </summary>
    private async Task<IActorRef> AuthenticateAsync(IActorRef gateway, (X509Certificate2 Certificate, X509Certificate2Collection Chain) certificate, string host, int port,
        TimeSpan timeout, CancellationToken link)
    {
        KafkaException Failed(ErrorCode code, string why) =>
            new(new Error(code, $"Authentication with broker {host}:{port} with the client certificate {certificate.Certificate.Subject} failed: {why}"));
        var (session, unsupported) = await OpenSessionAsync(gateway, Protocol.Security.ClientCertificateMechanism.Name, host, port, timeout, link, Failed,
            unsupportedIsAnswer: true).ConfigureAwait(false);
        // As a Kafka client's certificate is simply not asked for by a broker with ssl.client.auth=none: connected as
        // anonymous (a broker that requires SASL says so at the first request).
        if (unsupported != null)
        {
            System.Log.Warning("Broker {0}:{1} takes no client certificates ({2}); connected without authenticating", host, port, unsupported);
            return gateway;
        }
        byte[] proof;
        try
        {
            proof = Protocol.Security.ClientCertificateMechanism.Proof(certificate.Certificate, certificate.Chain.Cast<X509Certificate2>(), session.Path.Name);
        }
        catch (Protocol.Security.SaslAuthenticationException e)
        {
            throw Failed(ErrorCode.SaslAuthenticationFailed, e.Message);
        }
        var answer = await session.Ask<SaslAuthenticateResponse>(new SaslAuthenticateRequest(proof), timeout, link).ConfigureAwait(false);
        if (answer.Error != ErrorCode.None) throw Failed(answer.Error, answer.ErrorMessage ?? answer.Error.Describe());
        return answer.Complete ? session : throw Failed(ErrorCode.IllegalSaslState, "the broker asked for more than the certificate's proof");
    }

    /// <summary>
    /// Asks the broker's gateway for a session to authenticate in with <paramref name="mechanism"/>. With
    /// <paramref name="unsupportedIsAnswer"/>, a broker that does not offer the mechanism is an answer (its reason, and no session), not a failure.
    /// </summary>
    private async Task<(IActorRef Session, string? Unsupported)> OpenSessionAsync(IActorRef gateway, string mechanism, string host, int port, TimeSpan timeout,
        CancellationToken link, Func<ErrorCode, string, KafkaException> failed, bool unsupportedIsAnswer = false)
    {
        var handshake = await gateway.Ask<SaslHandshakeResponse>(new SaslHandshakeRequest(mechanism), timeout, link).ConfigureAwait(false);
        if (unsupportedIsAnswer && handshake.Error == ErrorCode.UnsupportedSaslMechanism)
            return (ActorRefs.Nobody, handshake.ErrorMessage ?? handshake.Error.Describe());
        // A broker that cannot authenticate now (still starting, too many sessions) is retried like one that cannot be reached.
        if (handshake.Error == ErrorCode.IllegalSaslState)
            throw new KafkaException(new Error(ErrorCode.LocalTransport, $"broker {host}:{port} cannot authenticate clients yet: {handshake.ErrorMessage}"));
        if (handshake.Error != ErrorCode.None) throw failed(handshake.Error, handshake.ErrorMessage ?? handshake.Error.Describe());
        if (handshake.Session.Length == 0 || !handshake.Session.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            throw failed(ErrorCode.IllegalSaslState, $"the broker named no usable session ('{handshake.Session}')");
        return (((ExtendedActorSystem)System).Provider.ResolveActorRef(gateway.Path / handshake.Session), null);
    }

    /// <summary>Errors of authentication: the same credentials would fail again, so they are not retried as an unreachable broker is.</summary>
    internal static bool IsAuthenticationError(ErrorCode code) => code is ErrorCode.SaslAuthenticationFailed or ErrorCode.UnsupportedSaslMechanism or ErrorCode.IllegalSaslState;

    /// <summary>Fresh metadata for <paramref name="topics"/> (null: all), cached for later lookups; <paramref name="timeout"/> defaults to request.timeout.ms.</summary>
    public async Task<MetadataResponse> RefreshMetadataAsync(IReadOnlyList<string>? topics, bool allowAutoCreate, CancellationToken ct = default,
        TimeSpan? timeout = null)
    {
        var broker = await AnyBrokerAsync(ct).ConfigureAwait(false);
        var response = await AskAsync<MetadataResponse>(broker, new MetadataRequest(topics, allowAutoCreate), timeout, ct).ConfigureAwait(false);
        // A refusal of the request as a whole comes as one entry with an empty name (never a topic's).
        if (response.Topics.FirstOrDefault(t => t.Name.Length == 0 && t.Error != ErrorCode.None) is { } refused)
            throw new KafkaException(new Error(refused.Error, refused.ErrorMessage ?? refused.Error.Describe()));
        foreach (var b in response.Brokers) _brokers[b.BrokerId] = b;
        foreach (var t in response.Topics)
        {
            _refreshedAt[t.Name] = Stopwatch.GetTimestamp();
            if (t.Error == ErrorCode.None) _topics[t.Name] = t;
            else _topics.TryRemove(t.Name, out _);
            _stale.TryRemove(t.Name, out _);
        }
        RoutingChanged();
        return response;
    }

    /// <summary>The last metadata known for the topic (its leaders may be out of date: see <see cref="Invalidate"/>).</summary>
    public TopicMetadata? CachedTopic(string topic) => _topics.TryGetValue(topic, out var t) ? t : null;

    /// <summary>The topic's leaders are in doubt: they are looked up again before the next request; its partition count stays known.</summary>
    public void Invalidate(string topic)
    {
        if (!_topics.ContainsKey(topic)) return;
        _stale[topic] = true;
        RoutingChanged();
    }

    // After the change itself: a reader that sees the new version also sees what changed.
    private void RoutingChanged() => Interlocked.Increment(ref _routingVersion);

    /// <summary>A partition's leader gateway as <see cref="LeaderGateway(ProtocolTopicPartition)"/> answered it, valid while no routing changed since.</summary>
    public sealed record CachedRoute(long Version, Task<IActorRef> Gateway);

    /// <summary>
    /// <see cref="LeaderGateway(ProtocolTopicPartition)"/>, kept in <paramref name="cache"/> until metadata, a topic's doubt
    /// or a gateway changes: the producer asks for every record, and the lookups (topic, broker and address dictionaries,
    /// hashing strings each time) took 5% of its CPU.
    /// </summary>
    public Task<IActorRef>? LeaderGateway(ProtocolTopicPartition tp, ref CachedRoute? cache)
    {
        // Read before the lookup: a change during it moves the version on, so what is kept is looked up again next time.
        var version = Volatile.Read(ref _routingVersion);
        if (cache is { } c && c.Version == version && c.Gateway.IsCompletedSuccessfully) return c.Gateway;
        var gateway = LeaderGateway(tp);
        if (gateway != null) cache = new CachedRoute(version, gateway);
        return gateway;
    }

    /// <summary>
    /// The topic's metadata, refreshing until it exists or <paramref name="maxWait"/> passes (then an exception
    /// naming the topic and the broker's error).
    /// </summary>
    /// <param name="topic">The topic.</param>
    /// <param name="allowAutoCreate">Whether the lookup may create it (auto.create.topics.enable).</param>
    /// <param name="maxWait">How long to keep trying while the answer is retriable.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <param name="waitForBrokers">Keep trying while no broker can be reached, until <paramref name="maxWait"/> (the
    /// producer's metadata wait); otherwise an unreachable cluster fails the lookup at once.</param>
    public async Task<TopicMetadata> TopicAsync(string topic, bool allowAutoCreate, TimeSpan maxWait, CancellationToken ct = default, bool waitForBrokers = false)
    {
        if (CachedTopic(topic) is { } cached && !_stale.ContainsKey(topic)) return cached;
        var deadline = DateTime.UtcNow + maxWait;
        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            MetadataResponse response;
            try
            {
                // A lookup that creates nothing is answered at once from the controller's state; one that gets no
                // answer was most likely lost with a controller that died (the broker forwards metadata requests to it
                // until the cluster has removed it), so it is asked again soon rather than after request.timeout.ms.
                // One that may create the topic is asked again too: creating is idempotent, and a first creation on a
                // cold broker can take longer than a short request.timeout.ms while the wait allowed is longer.
                response = await LookUpAsync(topic, allowAutoCreate, ct).ConfigureAwait(false);
            }
            catch (KafkaException e) when (e.Error.ProtocolCode == ErrorCode.RequestTimedOut && DateTime.UtcNow + backoff < deadline)
            {
                await Task.Delay(backoff, ct).ConfigureAwait(false);
                continue;
            }
            catch (KafkaException e) when (waitForBrokers && e.Error.ProtocolCode is ErrorCode.LocalTransport or ErrorCode.LocalAllBrokersDown
                                           && DateTime.UtcNow + TransportRetryBackoff < deadline)
            {
                // No broker reachable now (down, restarting, or a wrong address): tried again until the caller's wait
                // is over, as Kafka's clients do; the error handler has been told each time.
                await Task.Delay(TransportRetryBackoff, ct).ConfigureAwait(false);
                continue;
            }
            var t = response.Topics.FirstOrDefault(x => x.Name == topic);
            if (t is { Error: ErrorCode.None, Partitions.Count: > 0 }) return t;
            var error = t == null
                ? new Error(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic}' is not in the broker's metadata.")
                : new Error(t.Error, t.ErrorMessage ?? t.Error.Describe());
            if (!error.IsRetriable || DateTime.UtcNow + backoff > deadline)
                throw new KafkaException(error.ProtocolCode == ErrorCode.UnknownTopicOrPartition
                    ? error with { Reason = $"{error.Reason} Create it first (topics create), or enable auto.create.topics.enable on the broker." }
                    : error);
            await Task.Delay(backoff, ct).ConfigureAwait(false);
            backoff = TimeSpan.FromMilliseconds(Math.Min(1000, backoff.TotalMilliseconds * 2));
        }
    }

    /// <summary>One metadata lookup of <paramref name="topic"/> at a time: concurrent callers share the one in flight.</summary>
    private Task<MetadataResponse> LookUpAsync(string topic, bool allowAutoCreate, CancellationToken ct)
    {
        var key = (topic, allowAutoCreate);
        while (true)
        {
            if (_lookups.TryGetValue(key, out var inFlight))
            {
                if (!inFlight.IsCompleted) return ct.CanBeCanceled ? inFlight.WaitAsync(ct) : inFlight;
                // Finished (and about to be removed): never reuse a finished lookup, least of all a failed one.
                _lookups.TryRemove(new KeyValuePair<(string, bool), Task<MetadataResponse>>(key, inFlight));
                continue;
            }
            // Registered before it starts, so even a lookup that fails at once is removed after it was added.
            var lookup = new TaskCompletionSource<MetadataResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_lookups.TryAdd(key, lookup.Task)) continue;
            _ = RunAsync(lookup);
            return ct.CanBeCanceled ? lookup.Task.WaitAsync(ct) : lookup.Task;
        }

        async Task RunAsync(TaskCompletionSource<MetadataResponse> lookup)
        {
            try
            {
                lookup.SetResult(await RefreshMetadataAsync([topic], allowAutoCreate, CancellationToken.None, allowAutoCreate ? null : LookupTimeout).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                lookup.SetException(e);
            }
            finally
            {
                _lookups.TryRemove(new KeyValuePair<(string, bool), Task<MetadataResponse>>(key, lookup.Task));
            }
        }
    }

    /// <summary>Marks the topic's leaders in doubt unless its metadata was read within retry.backoff.ms (no tight lookup loop).</summary>
    private void Doubt(string topic)
    {
        if (!_refreshedAt.TryGetValue(topic, out var at) || Stopwatch.GetElapsedTime(at) >= Settings.RetryBackoff) Invalidate(topic);
    }

    /// <summary>The gateway of the partition's leader, from cached metadata; null when not known yet.</summary>
    public Task<IActorRef>? LeaderGateway(ProtocolTopicPartition tp)
    {
        if (CachedTopic(tp.Topic) is not { } t || _stale.ContainsKey(tp.Topic)) return null;
        // Partitions are listed in order, so the index is the partition number; search only if they are not.
        var p = tp.Partition >= 0 && tp.Partition < t.Partitions.Count && t.Partitions[tp.Partition].Partition == tp.Partition
            ? t.Partitions[tp.Partition]
            : t.Partitions.FirstOrDefault(x => x.Partition == tp.Partition);
        if (p == null || !_brokers.TryGetValue(p.Leader, out var broker)) return null;
        return GatewayAsync(broker.Host, broker.Port);
    }

    /// <summary>
    /// The partition's leader's gateway. Metadata that names no reachable leader (none was elected when it was read, or
    /// its broker cannot be reached) is looked up again on the next call rather than trusted until a connection drops.
    /// </summary>
    public async Task<IActorRef> LeaderGatewayAsync(ProtocolTopicPartition tp, CancellationToken ct = default)
    {
        if (LeaderGateway(tp) is not { } gateway)
        {
            Doubt(tp.Topic);
            var t = await TopicAsync(tp.Topic, allowAutoCreate: false, Settings.RequestTimeout, ct).ConfigureAwait(false);
            if (t.Partitions.All(p => p.Partition != tp.Partition))
                throw new KafkaException(new Error(ErrorCode.UnknownTopicOrPartition,
                    $"Partition {tp.Partition} of topic '{tp.Topic}' does not exist: the topic has partitions 0 to {t.Partitions.Count - 1}."));
            gateway = LeaderGateway(tp) ?? throw new KafkaException(new Error(ErrorCode.LeaderNotAvailable, $"{tp} has no leader yet (an election may be under way)"));
        }
        try
        {
            return await gateway.ConfigureAwait(false);
        }
        catch (KafkaException)
        {
            Doubt(tp.Topic);
            throw;
        }
    }

    /// <summary>
    /// Asks the partition's leader and, while the answer is a retriable error (no leader yet, leadership moved, the
    /// replica gone from that broker, broker unreachable), refreshes the metadata and asks again after retry.backoff.ms until <paramref name="timeout"/>,
    /// as a Kafka client does for list-offsets; the last error is thrown when time runs out.
    /// </summary>
    public async Task<T> AskLeaderAsync<T>(ProtocolTopicPartition tp, object request, Func<T, Error?> errorOf, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        TimeSpan Left() => TimeSpan.FromSeconds(Math.Max(0, deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
        // The last error a broker answered with: when the deadline cuts the final attempt short, the caller learns why
        // the broker refused (say, NOT_LEADER_OR_FOLLOWER), not that the last, shortened ask ran out of time.
        Error? answered = null;
        while (true)
        {
            Error error;
            try
            {
                var gateway = await LeaderGatewayAsync(tp, ct).ConfigureAwait(false);
                var response = await AskAsync<T>(gateway, request, Min(Left(), Settings.RequestTimeout), ct).ConfigureAwait(false);
                if (errorOf(response) is not { } e) return response;
                error = answered = e;
            }
            catch (KafkaException e) when (e.Error.IsRetriable && e.Error.ProtocolCode != ErrorCode.UnknownTopicOrPartition)
            {
                error = e.Error;
            }
            // A broker's UNKNOWN_TOPIC_OR_PARTITION may only mean its replica is gone (the partition was moved off it):
            // the refreshed metadata says whether the topic still exists, and the lookup fails at once if not.
            if (!error.IsRetriable) throw new KafkaException(error);
            if (Left() <= Settings.RetryBackoff) throw new KafkaException(error.ProtocolCode == ErrorCode.RequestTimedOut && answered is { } last ? last : error);
            Invalidate(tp.Topic);
            await Task.Delay(Settings.RetryBackoff, ct).ConfigureAwait(false);
        }

        static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }

    /// <summary>The error a list-offsets answer carries, for <see cref="AskLeaderAsync{T}"/>.</summary>
    public static Error? ListOffsetsError(ListOffsetsResponse r) =>
        r.Error == ErrorCode.None ? null : new Error(r.Error, r.ErrorMessage ?? $"{r.TopicPartition}: {r.Error.Describe()}");

    public async ValueTask DisposeAsync() => await System.Terminate().ConfigureAwait(false);

    /// <summary>The local address that routes to <paramref name="host"/>: the name this client goes by at the broker.</summary>
    private static string LocalAddressFor(string host)
    {
        try
        {
            var address = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
            if (address == null || IPAddress.IsLoopback(address)) return "127.0.0.1";
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(address, 9); // UDP connect sends nothing; it only picks the route.
            return ((IPEndPoint)socket.LocalEndPoint!).Address.ToString();
        }
        catch (SocketException)
        {
            return "127.0.0.1";
        }
    }

}
