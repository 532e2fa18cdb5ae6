using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Remote;

namespace AkkaBroker.Actors.Gateway;

/// <summary>The addresses of the clients connected to a client endpoint (their inbound associations). Thread-safe.</summary>
public sealed class ConnectedClients
{
    private readonly ConcurrentDictionary<Address, byte> _addresses = new();

    public bool Contains(Address address) => _addresses.ContainsKey(address);

    internal void Add(Address address) => _addresses[address] = 0;

    internal void Remove(Address address) => _addresses.TryRemove(address, out _);
}

/// <summary>
/// Keeps <see cref="ConnectedClients"/> from Akka.Remote's association events. It is subscribed as soon as the client
/// endpoint binds, long before its gateway serves, so a client that connects while the broker starts is known.
/// </summary>
public sealed class ConnectionTracker : ReceiveActor
{
    public const string Name = "connections";

    public static Props Props(ConnectedClients clients) => Akka.Actor.Props.Create(() => new ConnectionTracker(clients));

    // Public: Akka creates actors through their public constructors.
    public ConnectionTracker(ConnectedClients clients)
    {
        Receive<AssociatedEvent>(e => e.IsInbound, e => clients.Add(e.RemoteAddress));
        Receive<AssociatedEvent>(_ => { });
        Receive<DisassociatedEvent>(e => clients.Remove(e.RemoteAddress));
    }
}
