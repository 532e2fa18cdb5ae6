using Akka.Actor;
using Akka.Remote;

namespace AkkaBroker.Client.Internal;

/// <summary>
/// Tells the <see cref="BrokerConnection"/> when the connection to a broker's node drops or cannot be made (Akka.Remote's
/// <see cref="DisassociatedEvent"/> and <see cref="AssociationErrorEvent"/>), as a Kafka client learns it from its
/// socket closing or being refused: requests in flight to that broker can no longer be answered and are failed at once
/// instead of waiting for request.timeout.ms, and the cached leaders are looked up again, so a crashed leader is left
/// behind within moments.
/// </summary>
internal sealed class LinkWatcher : ReceiveActor
{
    public static Props Props(Action<Address> onLinkLost) => Akka.Actor.Props.Create(() => new LinkWatcher(onLinkLost));

    public LinkWatcher(Action<Address> onLinkLost)
    {
        Receive<DisassociatedEvent>(e => onLinkLost(e.RemoteAddress));
        Receive<AssociationErrorEvent>(e => onLinkLost(e.RemoteAddress));
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AssociationErrorEvent));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
