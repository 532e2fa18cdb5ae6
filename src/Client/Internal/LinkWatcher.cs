using Akka.Actor;
using Akka.Remote;

namespace AkkaBroker.Client.Internal;

/// <summary>
/// Tells the <see cref="BrokerConnection"/> when the connection to a broker's node drops (Akka.Remote's
/// <see cref="DisassociatedEvent"/>), as a Kafka client learns it from its socket closing: requests in flight to that
/// broker can no longer be answered and are failed at once instead of waiting for request.timeout.ms, and the cached
/// metadata is refreshed, so a crashed leader is left behind within moments.
/// </summary>
internal sealed class LinkWatcher : ReceiveActor
{
    public static Props Props(Action<Address> onLinkLost) => Akka.Actor.Props.Create(() => new LinkWatcher(onLinkLost));

    public LinkWatcher(Action<Address> onLinkLost)
    {
        Receive<DisassociatedEvent>(e => onLinkLost(e.RemoteAddress));
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
