using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using AkkaBroker.Actors.Gateway;
using AkkaBroker.Actors.Quotas;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AkkaBroker.Tests.Gateway;

/// <summary>
/// The replies of clients' requests, relayed once each and bounded per client connection; a client over its quota gets
/// its reply late, and its connection's later replies wait behind it (on a scheduler the test moves).
/// </summary>
public class ReplyRelaysTests() : TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private ReplyRelays Relays(int max, int maxHoldSeconds = 11) => new(((ExtendedActorSystem)Sys).Provider, Sys.Scheduler, max, TimeSpan.FromSeconds(maxHoldSeconds));

    private static QuotaCharge Throttled(int seconds) =>
        new(new ClientQuotaManager(ClientQuotaSettings.Default), "User:ANONYMOUS", "app", TimeSpan.FromSeconds(seconds));

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

    [Fact]
    public void A_reply_over_the_quota_is_held_for_its_throttle_time_and_later_replies_wait_behind_it()
    {
        var quotas = new ClientQuotaManager(ClientQuotaSettings.Default, new FakeTimeProvider(DateTimeOffset.UnixEpoch));
        quotas.Update([new ClientQuotasChanged(new ClientQuotaEntity(null, QuotaEntityName.Default), new Dictionary<string, double> { [ClientQuotaKeys.ConsumerByteRate] = 1000 })]);
        var relays = Relays(2);
        var client = CreateTestProbe();
        var fetch = relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1), () => new QuotaCharge(quotas, "User:ANONYMOUS", "app", TimeSpan.Zero))!;
        var metadata = relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1))!;

        // 20,000 bytes fetched over the 10 s a first burst is measured over: 2,000 B/s, twice the quota, so 10 s of throttle.
        fetch.Tell(new FetchResponse(new TopicPartition("t", 0), ErrorCode.None, null, 1, 0, new byte[20_000]));
        metadata.Tell("metadata");

        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        // Held replies still count as in flight: the connection gets no third request through.
        Assert.Null(relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1)));
        ((TestScheduler)Sys.Scheduler).Advance(TimeSpan.FromSeconds(9));
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        ((TestScheduler)Sys.Scheduler).Advance(TimeSpan.FromSeconds(1));
        var delivered = new[] { client.ExpectMsg<object>(), client.ExpectMsg<object>() };
        Assert.Single(delivered.OfType<FetchResponse>());
        Assert.Contains("metadata", delivered);
        Assert.NotNull(relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void Throttles_on_one_connection_overlap_rather_than_add_up_and_none_holds_longer_than_the_window()
    {
        var relays = Relays(10, maxHoldSeconds: 8);
        var client = CreateTestProbe();
        var first = relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1), () => Throttled(5))!;
        var second = relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1), () => Throttled(3))!;
        var third = relays.TryOpen(client.Ref, TimeSpan.FromMinutes(1), () => Throttled(60))!;

        first.Tell("first");
        second.Tell("second");
        var scheduler = (TestScheduler)Sys.Scheduler;
        scheduler.Advance(TimeSpan.FromSeconds(4.5));
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        // Both go at 5 s, when the longer throttle ends (3 s after the first would be 8 s, were they added).
        scheduler.Advance(TimeSpan.FromSeconds(0.6));
        Assert.Equal(new[] { "first", "second" }, new[] { client.ExpectMsg<string>(), client.ExpectMsg<string>() }.Order());

        // A throttle longer than the longest hold is cut to it: the reply goes, the client's own timeout never fires.
        third.Tell("third");
        scheduler.Advance(TimeSpan.FromSeconds(7.5));
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        scheduler.Advance(TimeSpan.FromSeconds(0.6));
        client.ExpectMsg("third");
    }
}
