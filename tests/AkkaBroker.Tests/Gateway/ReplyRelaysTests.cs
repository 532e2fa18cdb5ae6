using Akka.Actor;
using Akka.TestKit.Xunit2;
using AkkaBroker.Actors.Gateway;
using Xunit;

namespace AkkaBroker.Tests.Gateway;

/// <summary>The replies of clients' requests, relayed once each and bounded per client connection.</summary>
public class ReplyRelaysTests : TestKit
{
    private ReplyRelays Relays(int max) => new(((ExtendedActorSystem)Sys).Provider, max);

    [Fact]
    public void A_relay_passes_on_the_first_reply_only_and_is_then_gone()
    {
        var relays = Relays(10);
        var client = CreateTestProbe();
        var relay = relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1))!;
        // Reachable by its path, as a reply from another broker finds it.
        Assert.Same(relay, ((ExtendedActorSystem)Sys).Provider.ResolveActorRef(relay.Path));
        relay.Tell("first");
        relay.Tell("second");
        client.ExpectMsg("first");
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, relays.Count);
        Assert.NotSame(relay, ((ExtendedActorSystem)Sys).Provider.ResolveActorRef(relay.Path));
    }

    [Fact]
    public void A_connection_gets_no_more_relays_than_allowed_until_some_are_answered()
    {
        var relays = Relays(2);
        var client = CreateTestProbe();
        var first = relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1))!;
        Assert.NotNull(relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1)));
        Assert.Null(relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1)));
        first.Tell("answer");
        client.ExpectMsg("answer");
        Assert.NotNull(relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void Expired_relays_and_those_of_a_closed_connection_are_ended()
    {
        var relays = Relays(10);
        var client = CreateTestProbe();
        var expired = relays.TryOpen(client.Ref, TimeSpan.Zero)!;
        relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1));
        Assert.Equal(1, relays.Expire());
        expired.Tell("too late");
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, relays.Close(client.Ref.Path.Address));
        Assert.Equal(0, relays.Count);
    }
}
