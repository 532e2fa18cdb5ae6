using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using AkkaBroker.Actors.Quotas;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// The sender a client's request carries inside the cluster: a temporary actor of the cluster's ActorSystem, so a reply
/// from any broker (a group coordinator or the controller elsewhere) comes back to this broker over the cluster endpoint,
/// and from here to the client over its own connection. Clients are thus never addressed by other brokers, and never
/// need to accept connections. One reply per request: the first message is passed on and the relay is gone. A client
/// over its quota gets its reply late, by its throttle time, and its connection's other replies wait until then too (as
/// Kafka mutes a throttled client's connection); until delivered, a reply still counts as in flight.
/// </summary>
public sealed class ReplyRelay : MinimalActorRef
{
    private readonly ReplyRelays _owner;
    private readonly ClientConnection _connection;
    private readonly QuotaCharge? _charge;
    private int _completed;

    internal ReplyRelay(ReplyRelays owner, ActorPath path, IActorRef client, ClientConnection connection, long expiresAt, QuotaCharge? charge)
    {
        _owner = owner;
        Path = path;
        Client = client;
        _connection = connection;
        ExpiresAt = expiresAt;
        _charge = charge;
    }

    /// <summary>The client's own reply-to (its ask), reached through the client endpoint.</summary>
    public IActorRef Client { get; }

    /// <summary>When the relay is given up without a reply (<see cref="Stopwatch"/> ticks).</summary>
    public long ExpiresAt { get; }

    public override ActorPath Path { get; }

    public override IActorRefProvider Provider => _owner.Provider;

    protected override void TellInternal(object message, IActorRef sender)
    {
        if (!TryEnd()) return;
        var throttle = _charge?.Throttle(message) ?? TimeSpan.Zero;
        var delay = _connection.DelayOfReply(throttle, _owner.MaxHold);
        if (delay <= TimeSpan.Zero)
        {
            Deliver(message);
            return;
        }
        _owner.Scheduler.Advanced.ScheduleOnce(delay, () => Deliver(message));
    }

    // Released first: a client at its in-flight limit may send its next request as soon as it has this answer.
    private void Deliver(object message)
    {
        _connection.Released();
        Client.Tell(message, ActorRefs.NoSender);
    }

    /// <summary>Ends the relay once (answered, expired or its client gone); false when it had ended already.</summary>
    internal bool TryComplete()
    {
        if (!TryEnd()) return false;
        _connection.Released();
        return true;
    }

    private bool TryEnd()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return false;
        _owner.Provider.UnregisterTempActor(Path);
        _owner.Forget(this);
        return true;
    }
}

/// <summary>
/// What one request counts against its client's quotas: its throttle time so far (its produced bytes, its handling),
/// and on its reply the bytes a fetch returns.
/// </summary>
internal sealed record QuotaCharge(ClientQuotaManager Quotas, string Principal, string ClientId, TimeSpan RequestThrottle)
{
    /// <summary>The longest of the throttles this request and its <paramref name="reply"/> earn, as Kafka throttles by the largest.</summary>
    public TimeSpan Throttle(object reply) => reply is FetchResponse { Records.Length: > 0 } fetch
        ? TimeSpan.FromTicks(Math.Max(RequestThrottle.Ticks, Quotas.Record(QuotaType.Fetch, Principal, ClientId, fetch.Records.Length, clientIdSanitized: true).Ticks))
        : RequestThrottle;
}

/// <summary>One client connection's requests in flight, and until when its replies are held for a throttle.</summary>
internal sealed class ClientConnection
{
    private readonly Lock _gate = new();
    private int _inFlight;
    private long _heldUntil;

    public int InFlight => Volatile.Read(ref _inFlight);

    public bool TryAcquire(int max)
    {
        if (Interlocked.Increment(ref _inFlight) <= max) return true;
        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public void Released() => Interlocked.Decrement(ref _inFlight);

    /// <summary>
    /// How long a reply waits: its own <paramref name="throttle"/> from now (at most <paramref name="maxHold"/>), or
    /// until the connection's current throttle is over, whichever is later. A throttle counts everything recorded before
    /// it, so throttles overlap rather than add up, and the connection is never held longer than <paramref name="maxHold"/>.
    /// </summary>
    public TimeSpan DelayOfReply(TimeSpan throttle, TimeSpan maxHold)
    {
        var now = Stopwatch.GetTimestamp();
        // The common case, no quota and no hold: no lock on the way of every reply.
        if (throttle <= TimeSpan.Zero && Volatile.Read(ref _heldUntil) <= now) return TimeSpan.Zero;
        var own = now + (long)(Math.Min(throttle.TotalSeconds, maxHold.TotalSeconds) * Stopwatch.Frequency);
        lock (_gate)
        {
            var at = Math.Max(_heldUntil, own);
            Volatile.Write(ref _heldUntil, at);
            return at <= now ? TimeSpan.Zero : Stopwatch.GetElapsedTime(now, at);
        }
    }
}

/// <summary>
/// The relays of one client endpoint, counted per client connection so that no client can make the broker hold more
/// than <c>max-in-flight-requests-per-connection</c> unanswered requests. Thread-safe: replies arrive on any thread.
/// </summary>
/// <param name="maxHold">The longest a reply is held for its client's quota: below the clients' request timeout, so a held reply is never retried.</param>
public sealed class ReplyRelays(IActorRefProvider clusterProvider, IScheduler scheduler, int maxInFlightPerConnection, TimeSpan maxHold)
{
    private readonly ConcurrentDictionary<ReplyRelay, byte> _open = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<Address, ClientConnection> _connections = new();

    public IActorRefProvider Provider { get; } = clusterProvider;

    /// <summary>Where throttled replies wait.</summary>
    public IScheduler Scheduler { get; } = scheduler;

    /// <summary>The longest one reply is held for a throttle.</summary>
    public TimeSpan MaxHold { get; } = maxHold;

    /// <summary>Holds the replies of <paramref name="client"/>'s connection for <paramref name="throttle"/> (a request with no reply of its own went over a quota).</summary>
    internal void Hold(Address client, TimeSpan throttle) => _connections.GetOrAdd(client, _ => new ClientConnection()).DelayOfReply(throttle, MaxHold);

    /// <summary>Requests waiting for their reply, over all connections.</summary>
    public int Count => _open.Count;

    /// <summary>A relay to <paramref name="client"/>, or null when its connection already has the most requests in flight.</summary>
    /// <param name="charge">What the request counts against its client's quotas, asked once the request is taken; null when no quota is set.</param>
    internal ReplyRelay? TryOpen(IActorRef client, TimeSpan lifetime, Func<QuotaCharge?>? charge = null)
    {
        var connection = _connections.GetOrAdd(client.Path.Address, _ => new ClientConnection());
        if (!connection.TryAcquire(maxInFlightPerConnection)) return null;
        var relay = new ReplyRelay(this, Provider.TempPath(), client, connection, Stopwatch.GetTimestamp() + (long)(lifetime.TotalSeconds * Stopwatch.Frequency), charge?.Invoke());
        _open[relay] = 0;
        Provider.RegisterTempActor(relay, relay.Path);
        return relay;
    }

    /// <summary>Ends the relays whose request went unanswered past its lifetime; returns how many.</summary>
    public int Expire()
    {
        var now = Stopwatch.GetTimestamp();
        var expired = 0;
        foreach (var relay in _open.Keys)
            if (relay.ExpiresAt <= now && relay.TryComplete()) expired++;
        return expired;
    }

    /// <summary>Ends the relays of a client whose connection closed (a reply could no longer reach it); returns how many.</summary>
    public int Close(Address client)
    {
        var closed = 0;
        foreach (var relay in _open.Keys)
            if (relay.Client.Path.Address.Equals(client) && relay.TryComplete()) closed++;
        // Gone whatever it still holds: a held reply keeps its own connection object, and a new connection gets a new one.
        _connections.TryRemove(client, out _);
        return closed;
    }

    internal void Forget(ReplyRelay relay) => _open.TryRemove(relay, out _);
}
