using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Akka.Actor;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// The sender a client's request carries inside the cluster: a temporary actor of the cluster's ActorSystem, so a reply
/// from any broker (a group coordinator or the controller elsewhere) comes back to this broker over the cluster endpoint,
/// and from here to the client over its own connection. Clients are thus never addressed by other brokers, and never
/// need to accept connections. One reply per request: the first message is passed on and the relay is gone.
/// </summary>
public sealed class ReplyRelay : MinimalActorRef
{
    private readonly ReplyRelays _owner;
    private readonly StrongBox<int> _connectionInFlight;
    private int _completed;

    internal ReplyRelay(ReplyRelays owner, ActorPath path, IActorRef client, StrongBox<int> connectionInFlight, long expiresAt)
    {
        _owner = owner;
        Path = path;
        Client = client;
        _connectionInFlight = connectionInFlight;
        ExpiresAt = expiresAt;
    }

    /// <summary>The client's own reply-to (its ask), reached through the client endpoint.</summary>
    public IActorRef Client { get; }

    /// <summary>When the relay is given up without a reply (<see cref="Stopwatch"/> ticks).</summary>
    public long ExpiresAt { get; }

    public override ActorPath Path { get; }

    public override IActorRefProvider Provider => _owner.Provider;

    protected override void TellInternal(object message, IActorRef sender)
    {
        if (TryComplete()) Client.Tell(message, ActorRefs.NoSender);
    }

    /// <summary>Ends the relay once (answered, expired or its client gone); false when it had ended already.</summary>
    internal bool TryComplete()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return false;
        _owner.Provider.UnregisterTempActor(Path);
        Interlocked.Decrement(ref _connectionInFlight.Value);
        _owner.Forget(this);
        return true;
    }
}

/// <summary>
/// The relays of one client endpoint, counted per client connection so that no client can make the broker hold more
/// than <c>max-in-flight-requests-per-connection</c> unanswered requests. Thread-safe: replies arrive on any thread.
/// </summary>
public sealed class ReplyRelays(IActorRefProvider clusterProvider, int maxInFlightPerConnection)
{
    private readonly ConcurrentDictionary<ReplyRelay, byte> _open = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<Address, StrongBox<int>> _inFlight = new();

    public IActorRefProvider Provider { get; } = clusterProvider;

    /// <summary>Requests waiting for their reply, over all connections.</summary>
    public int Count => _open.Count;

    /// <summary>A relay to <paramref name="client"/>, or null when its connection already has the most requests in flight.</summary>
    public ReplyRelay? TryOpen(IActorRef client, TimeSpan lifetime)
    {
        var count = _inFlight.GetOrAdd(client.Path.Address, _ => new StrongBox<int>());
        if (Interlocked.Increment(ref count.Value) > maxInFlightPerConnection)
        {
            Interlocked.Decrement(ref count.Value);
            return null;
        }
        var relay = new ReplyRelay(this, Provider.TempPath(), client, count, Stopwatch.GetTimestamp() + (long)(lifetime.TotalSeconds * Stopwatch.Frequency));
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
        if (_inFlight.TryGetValue(client, out var count) && Volatile.Read(ref count.Value) == 0) _inFlight.TryRemove(new KeyValuePair<Address, StrongBox<int>>(client, count));
        return closed;
    }

    internal void Forget(ReplyRelay relay) => _open.TryRemove(relay, out _);
}
