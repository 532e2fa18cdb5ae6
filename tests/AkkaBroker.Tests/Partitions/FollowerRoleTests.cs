using Akka.Actor;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;
using State = AkkaBroker.Actors.Partitions.FollowerRole.State;

namespace AkkaBroker.Tests.Partitions;

/// <summary>Broker 2 following broker 1: every transition of the follower's state machine, with no actor.</summary>
public class FollowerRoleTests
{
    private static readonly BrokerInfo LeaderBroker = new(1, "127.0.0.1", 9192);
    private static readonly IActorRef LeaderReplica = new FakeActorRef("leader-replica");

    private readonly TestLog _t = new("akkabroker.broker.broker.id = 2");

    private FollowerRole Follower(int leaderEpoch = 5, long session = 1) =>
        new(2, new PartitionAssignment(0, [1, 2], 1, leaderEpoch, [1, 2], 0), LeaderBroker, _t.Log, _t.Settings, session);

    private static ReplicaEffects Fx() => new();

    private static T Sent<T>(ReplicaEffects fx) => (T)Assert.Single(fx.Of<ReplicaEffect.SendToLeader>()).Message;

    private static OffsetForLeaderEpochResponse EpochAnswer(FollowerRole f, int epoch, long endOffset, ErrorCode error = ErrorCode.None) =>
        new(TestLog.Tp, error, null, epoch, endOffset, f.CorrelationId);

    private static ReplicaFetchResponse FetchAnswer(FollowerRole f, byte[] records, long highWatermark, ErrorCode error = ErrorCode.None, long logStart = 0) =>
        new(TestLog.Tp, error, null, highWatermark, logStart, records, f.CorrelationId);

    /// <summary>Carries out a truncation the follower decided: read the journal, journal the cut, tell it.</summary>
    private ReplicaEffects Truncate(FollowerRole f, ReplicaEffects fx)
    {
        var read = Assert.Single(fx.Of<ReplicaEffect.ReadJournal>());
        var next = Fx();
        f.TruncationEventsRead((FollowerRole.TruncationRead)read.Purpose, _t.Journal.Where(e => e.SequenceNr >= read.From && e.SequenceNr <= read.To).ToList(), null, next);
        foreach (var e in Assert.Single(next.Of<ReplicaEffect.Persist>()).Events) _t.Apply(e);
        var after = Fx();
        f.Truncated(after);
        return after;
    }

    [Fact]
    public void A_follower_with_an_empty_log_fetches_at_once_through_the_leaders_gateway()
    {
        var f = Follower();
        var fx = Fx();
        f.Start(fx);
        Assert.Equal(State.Fetching, f.Current);
        var send = Assert.Single(fx.Of<ReplicaEffect.SendToLeader>());
        Assert.Null(send.Replica);
        Assert.Equal(LeaderBroker, send.Leader);
        Assert.Equal(0, ((ReplicaFetchRequest)send.Message).FetchOffset);
        Assert.Single(fx.Of<ReplicaEffect.StartTimer>(), t => t.Key == FollowerRole.TimeoutTimer);
    }

    [Fact]
    public void A_follower_with_records_first_asks_where_its_last_epoch_ends()
    {
        _t.Append(10, leaderEpoch: 3);
        var f = Follower();
        var fx = Fx();
        f.Start(fx);
        Assert.Equal(State.EpochLookup, f.Current);
        var lookup = Sent<OffsetForLeaderEpochRequest>(fx);
        Assert.Equal(3, lookup.LeaderEpoch);
        Assert.Equal(5, lookup.CurrentLeaderEpoch);
    }

    [Fact]
    public void A_follower_whose_log_agrees_with_the_leader_fetches_from_its_log_end()
    {
        _t.Append(10, leaderEpoch: 3);
        var f = Follower();
        f.Start(Fx());
        var fx = Fx();
        f.EpochAnswered(EpochAnswer(f, 3, 12), LeaderReplica, fx);
        Assert.Equal(State.Fetching, f.Current);
        Assert.Equal(10, Sent<ReplicaFetchRequest>(fx).FetchOffset);
        // The leader replica answered: it is watched, and the next request goes to it directly.
        Assert.Equal(LeaderReplica, Assert.Single(fx.Of<ReplicaEffect.WatchLeader>()).Replica);
        Assert.Equal(LeaderReplica, Assert.Single(fx.Of<ReplicaEffect.SendToLeader>()).Replica);
    }

    // After two unclean elections one epoch lookup is not enough (KIP-279): this follower wrote epochs 0, 2 and 4; the
    // leader has epoch 0 up to offset 12, then epoch 3. A single truncation to the end of epoch 2 would keep offsets
    // 10-19 of epoch 2 where the leader has other records of epoch 3.
    [Fact]
    public void A_follower_asks_again_after_each_truncation_until_its_last_epoch_and_the_leader_agree()
    {
        _t.Append(10, leaderEpoch: 0);
        _t.Append(10, leaderEpoch: 2);
        _t.Append(10, leaderEpoch: 4);
        var f = Follower(leaderEpoch: 5);
        f.Start(Fx());
        var fx = Fx();
        f.EpochAnswered(EpochAnswer(f, 3, 30), LeaderReplica, fx);
        Assert.Equal(State.Truncating, f.Current);
        fx = Truncate(f, fx);
        Assert.Equal(20, _t.Log.LogEndOffset);
        // Not a fetch yet: the follower's last epoch is now 2, and the leader must say where that ends.
        Assert.Equal(State.EpochLookup, f.Current);
        Assert.Equal(2, Sent<OffsetForLeaderEpochRequest>(fx).LeaderEpoch);
        fx = Fx();
        f.EpochAnswered(EpochAnswer(f, 0, 12), LeaderReplica, fx);
        fx = Truncate(f, fx);
        Assert.Equal(10, _t.Log.LogEndOffset);
        Assert.Equal(0, Sent<OffsetForLeaderEpochRequest>(fx).LeaderEpoch);
        fx = Fx();
        f.EpochAnswered(EpochAnswer(f, 0, 12), LeaderReplica, fx);
        Assert.Equal(State.Fetching, f.Current);
        Assert.Equal(10, Sent<ReplicaFetchRequest>(fx).FetchOffset);
    }

    [Fact]
    public void A_follower_that_found_its_log_corrupt_cuts_it_back_there_and_fetches_the_rest_again()
    {
        _t.Append(4, leaderEpoch: 5);
        _t.Append(4, leaderEpoch: 5);
        var f = new FollowerRole(2, new PartitionAssignment(0, [1, 2], 1, 6, [1], 0), LeaderBroker, _t.Log, _t.Settings, 1, repairFrom: 5);
        f.Start(Fx());
        var fx = Fx();
        // The leader agrees with the whole log (same epoch, same end): only the corruption makes it cut.
        f.EpochAnswered(EpochAnswer(f, 5, 8), LeaderReplica, fx);
        Assert.Equal(State.Truncating, f.Current);
        fx = Truncate(f, fx);
        Assert.Equal(4, _t.Log.LogEndOffset); // whole batches: the one holding offset 5 starts at 4
        fx = Fx();
        f.EpochAnswered(EpochAnswer(f, 5, 8), LeaderReplica, fx);
        Assert.Equal(4, Sent<ReplicaFetchRequest>(fx).FetchOffset);
    }

    [Fact]
    public void A_leader_without_any_epoch_of_the_followers_empties_its_log_to_the_start()
    {
        _t.Append(10, leaderEpoch: 3);
        var f = Follower();
        f.Start(Fx());
        var fx = Fx();
        f.EpochAnswered(EpochAnswer(f, -1, -1), LeaderReplica, fx);
        fx = Truncate(f, fx);
        Assert.Equal(0, _t.Log.LogEndOffset);
        Assert.Equal(State.Fetching, f.Current);
        Assert.Equal(0, Sent<ReplicaFetchRequest>(fx).FetchOffset);
    }

    [Fact]
    public void Fetched_batches_are_journaled_then_the_leaders_high_watermark_is_taken_and_the_next_fetch_sent()
    {
        var leader = new TestLog("akkabroker.broker.broker.id = 1");
        leader.Append(3, leaderEpoch: 5);
        var f = Follower();
        f.Start(Fx());
        var fx = Fx();
        f.FetchAnswered(FetchAnswer(f, leader.Journal[0].Batch, highWatermark: 3), LeaderReplica, 0, fx);
        Assert.Equal(State.Appending, f.Current);
        Assert.Empty(fx.Of<ReplicaEffect.SendToLeader>());
        foreach (var e in Assert.Single(fx.Of<ReplicaEffect.Persist>()).Events) _t.Apply(e);
        fx = Fx();
        f.Appended(fx);
        Assert.Equal(3, _t.Log.HighWatermark);
        Assert.Single(fx.Of<ReplicaEffect.WakeParkedFetches>());
        Assert.Equal(3, Sent<ReplicaFetchRequest>(fx).FetchOffset);
    }

    [Fact]
    public void A_throttled_new_replica_pauses_after_each_fetch_for_as_long_as_its_bytes_take_at_the_rate_then_fetches_on()
    {
        var leader = new TestLog("akkabroker.broker.broker.id = 1");
        leader.Append(3, leaderEpoch: 5);
        var batch = leader.Journal[0].Batch;
        // A new replica (2) not in sync yet, copying at most batch-length bytes per second: one second per batch.
        var f = new FollowerRole(2, new PartitionAssignment(0, [1, 2], 1, 5, [1], 0), LeaderBroker, _t.Log, _t.Settings, 1, throttleBytesPerSecond: batch.Length);
        var fx = Fx();
        f.Start(fx);
        Assert.Equal(batch.Length, Sent<ReplicaFetchRequest>(fx).MaxBytes); // at most a second's worth asked for
        fx = Fx();
        f.FetchAnswered(FetchAnswer(f, batch, highWatermark: 3), LeaderReplica, 0, fx);
        foreach (var e in Assert.Single(fx.Of<ReplicaEffect.Persist>()).Events) _t.Apply(e);
        fx = Fx();
        f.Appended(fx);
        Assert.Equal(State.Throttled, f.Current);
        Assert.Empty(fx.Of<ReplicaEffect.SendToLeader>());
        var pause = Assert.Single(fx.Of<ReplicaEffect.StartTimer>(), t => t.Key == FollowerRole.RetryTimer);
        Assert.Equal(TimeSpan.FromSeconds(1), pause.Delay);
        fx = Fx();
        f.RetryDueElapsed((FollowerRole.RetryDue)pause.Message, fx);
        Assert.Equal(State.Fetching, f.Current);
        Assert.Equal(3, Sent<ReplicaFetchRequest>(fx).FetchOffset); // on from where it was, no epoch lookup

        // Once in sync it is throttled no more: acks=all writes wait for it.
        f.AssignmentUpdated(new PartitionAssignment(0, [1, 2], 1, 5, [1, 2], 1), LeaderBroker);
        leader.Append(2, leaderEpoch: 5);
        fx = Fx();
        f.FetchAnswered(FetchAnswer(f, leader.Journal[1].Batch, highWatermark: 5), LeaderReplica, 0, fx);
        foreach (var e in Assert.Single(fx.Of<ReplicaEffect.Persist>()).Events) _t.Apply(e);
        fx = Fx();
        f.Appended(fx);
        Assert.Equal(State.Fetching, f.Current);
        Assert.Equal(5, Sent<ReplicaFetchRequest>(fx).FetchOffset);
    }

    [Fact]
    public void An_empty_fetch_takes_the_high_watermark_only_up_to_the_followers_own_log()
    {
        _t.Append(5, leaderEpoch: 5);
        var f = Follower();
        f.Start(Fx());
        f.EpochAnswered(EpochAnswer(f, 5, 5), LeaderReplica, Fx());
        var fx = Fx();
        f.FetchAnswered(FetchAnswer(f, [], highWatermark: 9), LeaderReplica, 0, fx);
        Assert.Equal(5, _t.Log.HighWatermark);
        Assert.Equal(State.Fetching, f.Current);
    }

    [Fact]
    public void A_leader_whose_log_starts_past_the_followers_end_has_it_reset_there()
    {
        _t.Append(5, leaderEpoch: 3);
        var f = Follower();
        f.Start(Fx());
        f.EpochAnswered(EpochAnswer(f, 3, 5), LeaderReplica, Fx());
        var fx = Fx();
        f.FetchAnswered(FetchAnswer(f, [], 100, ErrorCode.OffsetOutOfRange, logStart: 80), LeaderReplica, 0, fx);
        Assert.Equal(State.Truncating, f.Current);
        _t.Apply(Assert.IsType<LogReset>(Assert.Single(Assert.Single(fx.Of<ReplicaEffect.Persist>()).Events)));
        fx = Fx();
        f.Truncated(fx);
        Assert.Equal(80, Sent<ReplicaFetchRequest>(fx).FetchOffset);
    }

    [Fact]
    public void An_out_of_range_fetch_within_the_leaders_log_looks_up_the_epoch_again()
    {
        _t.Append(5, leaderEpoch: 3);
        var f = Follower();
        f.Start(Fx());
        f.EpochAnswered(EpochAnswer(f, 3, 5), LeaderReplica, Fx());
        var fx = Fx();
        f.FetchAnswered(FetchAnswer(f, [], 0, ErrorCode.OffsetOutOfRange), LeaderReplica, 0, fx);
        Assert.Equal(State.EpochLookup, f.Current);
    }

    [Fact]
    public void An_error_from_the_leader_backs_off_and_forgets_the_leader_replica_then_starts_again()
    {
        var f = Follower();
        f.Start(Fx());
        f.FetchAnswered(FetchAnswer(f, [], 0), LeaderReplica, 0, Fx());
        Assert.Equal(LeaderReplica, f.LeaderReplica);
        var fx = Fx();
        f.FetchAnswered(FetchAnswer(f, [], 0, ErrorCode.NotLeaderOrFollower), LeaderReplica, 0, fx);
        Assert.Equal(State.Backoff, f.Current);
        Assert.Null(f.LeaderReplica);
        var retry = Assert.Single(fx.Of<ReplicaEffect.StartTimer>(), t => t.Key == FollowerRole.RetryTimer);
        Assert.Equal(TimeSpan.FromMilliseconds(_t.Settings.ReplicaFetchBackoffMs), retry.Delay);
        fx = Fx();
        f.RetryDueElapsed((FollowerRole.RetryDue)retry.Message, fx);
        Assert.Equal(State.Fetching, f.Current);
        Assert.Null(Assert.Single(fx.Of<ReplicaEffect.SendToLeader>()).Replica);
    }

    [Fact]
    public void Answers_to_an_older_request_or_another_session_are_dropped()
    {
        _t.Append(5, leaderEpoch: 3);
        var f = Follower(session: 2);
        f.Start(Fx());
        var stale = EpochAnswer(f, 0, 0) with { CorrelationId = f.CorrelationId - 1 };
        var fx = Fx();
        f.EpochAnswered(stale, LeaderReplica, fx);
        Assert.Empty(fx.All);
        Assert.Equal(State.EpochLookup, f.Current);
        f.RetryDueElapsed(new FollowerRole.RetryDue(1), fx);
        Assert.Empty(fx.All);
    }

    [Fact]
    public void A_request_without_an_answer_in_time_goes_again_through_the_gateway()
    {
        var f = Follower();
        f.Start(Fx());
        f.FetchAnswered(FetchAnswer(f, [], 0), LeaderReplica, 0, Fx());
        var first = f.CorrelationId;
        var fx = Fx();
        f.AnswerOverdueElapsed(new FollowerRole.AnswerOverdue(first), fx);
        var again = Assert.Single(fx.Of<ReplicaEffect.SendToLeader>());
        Assert.Null(again.Replica);
        Assert.Equal(first + 1, ((ReplicaFetchRequest)again.Message).CorrelationId);
    }

    // Followers kept sending to a restarted leader's old actor until their 30 s timeout.
    [Fact]
    public void When_the_leader_replica_stops_the_request_in_flight_goes_again_at_once_through_the_gateway()
    {
        _t.Append(5, leaderEpoch: 5);
        var f = Follower();
        f.Start(Fx());
        f.EpochAnswered(EpochAnswer(f, 5, 5), LeaderReplica, Fx());
        var inFlight = f.CorrelationId;
        var fx = Fx();
        f.LeaderReplicaStopped(LeaderReplica, fx);
        Assert.Null(f.LeaderReplica);
        var send = Assert.Single(fx.Of<ReplicaEffect.SendToLeader>());
        Assert.Null(send.Replica);
        Assert.IsType<OffsetForLeaderEpochRequest>(send.Message);
        Assert.True(f.CorrelationId > inFlight);
        // The answer to the lost request, were it to come, is dropped.
        var late = Fx();
        f.FetchAnswered(FetchAnswer(f, [], 0) with { CorrelationId = inFlight }, LeaderReplica, 0, late);
        Assert.Empty(late.All);
    }

    [Fact]
    public void Another_actor_stopping_changes_nothing()
    {
        var f = Follower();
        f.Start(Fx());
        f.FetchAnswered(FetchAnswer(f, [], 0), LeaderReplica, 0, Fx());
        var fx = Fx();
        f.LeaderReplicaStopped(new FakeActorRef("someone-else"), fx);
        Assert.Empty(fx.All);
        Assert.Equal(LeaderReplica, f.LeaderReplica);
    }

    [Fact]
    public void A_follower_with_writes_still_in_flight_from_its_time_as_leader_waits_before_it_truncates()
    {
        _t.Append(5, leaderEpoch: 3);
        var b = new RecordBatchBuilder(CompressionType.None);
        b.Append(1, null, new byte[1]);
        Assert.IsType<PartitionLog.AppendDecision.Accepted>(_t.Log.PrepareAppend(b.Build(), 1, 0, 3));
        var f = Follower();
        var fx = Fx();
        f.Start(fx);
        Assert.Equal(State.Backoff, f.Current);
        Assert.Empty(fx.Of<ReplicaEffect.SendToLeader>());
    }

    [Fact]
    public void Inputs_the_state_cannot_take_are_refused_loudly()
    {
        var f = Follower();
        f.Start(Fx());
        Assert.Throws<InvalidOperationException>(() => f.Appended(Fx()));
        Assert.Throws<InvalidOperationException>(() => f.Truncated(Fx()));
        f.Stop(Fx());
        Assert.Equal(State.Stopped, f.Current);
        Assert.Throws<InvalidOperationException>(() => f.Start(Fx()));
    }

    [Fact]
    public void A_follower_cannot_be_made_for_its_own_leadership()
    {
        Assert.Throws<ArgumentException>(() => new FollowerRole(1, new PartitionAssignment(0, [1, 2], 1, 0, [1, 2], 0), LeaderBroker, _t.Log, _t.Settings, 1));
    }

    private sealed class FakeActorRef(string name) : MinimalActorRef
    {
        public override ActorPath Path { get; } = new RootActorPath(new Address("akka", "test")) / name;
        public override IActorRefProvider Provider => throw new NotSupportedException();
    }
}
