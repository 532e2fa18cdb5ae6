using Akka.Actor;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

public class FetchWaitersTests
{
    private static readonly TopicPartition Tp = new("orders", 0);

    private static FetchRequest Consumer(int minBytes) => new(Tp, 0, 1 << 20, minBytes, 500);

    private static ReplicaFetchRequest Follower() => new(Tp, 2, 0, 0, 1 << 20, 500, 1);

    [Fact]
    public void A_consumer_fetch_is_ready_once_fetch_min_bytes_lie_below_the_high_watermark()
    {
        var w = new FetchWaiters();
        var parked = w.Park(Consumer(minBytes: 100), ActorRefs.Nobody, startPosition: 1_000, 0);
        Assert.Empty(w.TakeReady(highWatermarkPosition: 1_099, logEndPosition: 5_000));
        Assert.Equal(parked, Assert.Single(w.TakeReady(1_100, 5_000)));
        Assert.Equal(0, w.Count);
    }

    [Fact]
    public void A_follower_fetch_is_ready_as_soon_as_the_log_grew_whatever_the_high_watermark()
    {
        var w = new FetchWaiters();
        w.Park(Follower(), ActorRefs.Nobody, startPosition: 1_000, 0);
        Assert.Empty(w.TakeReady(0, 1_000));
        Assert.Single(w.TakeReady(0, 1_001));
    }

    [Fact]
    public void An_expired_fetch_leaves_once_and_a_fetch_already_answered_is_not_expired()
    {
        var w = new FetchWaiters();
        var parked = w.Park(Consumer(1), ActorRefs.Nobody, 0, 0);
        Assert.Equal(parked, w.Expire(parked.Id));
        Assert.Null(w.Expire(parked.Id));
    }

    [Fact]
    public void Every_waiting_fetch_can_be_taken_at_once()
    {
        var w = new FetchWaiters();
        w.Park(Consumer(1), ActorRefs.Nobody, 0, 0);
        w.Park(Follower(), ActorRefs.Nobody, 0, 0);
        Assert.Equal(2, w.TakeAll().Count);
        Assert.Equal(0, w.Count);
    }

    [Fact]
    public void Only_fetches_wait()
    {
        Assert.Throws<ArgumentException>(() => new FetchWaiters().Park(new ListOffsetsRequest(Tp, -1), ActorRefs.Nobody, 0, 0));
    }
}
