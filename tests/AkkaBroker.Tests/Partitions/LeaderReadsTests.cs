using Akka.Actor;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>How leader 1 answers reads, with no actor: what it replies, parks, reads from the journal or reports.</summary>
public class LeaderReadsTests
{
    private readonly TestLog _t = new("akkabroker.broker.broker.id = 1");
    private LeaderRole? _leader;
    private (ErrorCode Code, string Message)? _notServing;

    private LeaderReads Reads() => new(_t.Log, 1 << 20, () => _notServing, () => _leader);

    private LeaderRole Lead(int[] isr, int[]? replicas = null) =>
        _leader = new LeaderRole(1, new PartitionAssignment(0, replicas ?? [1, 2], 1, 0, isr, 0), _t.Log, 10_000, TimeSpan.FromSeconds(7), 0);

    private static ReplicaEffects Fx() => new();

    private static T Replied<T>(ReplicaEffects fx) => (T)Assert.Single(fx.Of<ReplicaEffect.Reply>()).Message;

    [Fact]
    public void Waiting_fetches_are_bounded_in_time_and_number_whatever_clients_ask()
    {
        Lead([1, 2]);
        _t.Append(3);
        var reads = new LeaderReads(_t.Log, 1 << 20, () => _notServing, () => _leader, maxFetchWait: TimeSpan.FromSeconds(2), maxParkedFetches: 2);
        var fx = Fx();
        // A day's wait is cut to the broker's limit.
        reads.Fetch(new FetchRequest(TestLog.Tp, 0, 1 << 20, 1, 86_400_000), ActorRefs.Nobody, 0, fx);
        Assert.Equal(TimeSpan.FromSeconds(2), Assert.Single(fx.Of<ReplicaEffect.StartTimer>()).Delay);
        reads.Fetch(new FetchRequest(TestLog.Tp, 0, 1 << 20, 1, 500), ActorRefs.Nobody, 0, Fx());
        Assert.Equal(2, reads.ParkedFetches);
        // One more: the first one is answered now (with nothing yet, the high watermark being 0) and its timer cancelled.
        fx = Fx();
        reads.Fetch(new FetchRequest(TestLog.Tp, 0, 1 << 20, 1, 500), ActorRefs.Nobody, 0, fx);
        Assert.Equal(2, reads.ParkedFetches);
        Assert.Empty(Replied<FetchResponse>(fx).Records);
        Assert.Equal("fetch-1", Assert.Single(fx.Of<ReplicaEffect.CancelTimer>()).Key); // the first, which waited longest
    }

    [Fact]
    public void A_replica_that_does_not_lead_answers_why()
    {
        _notServing = (ErrorCode.NotLeaderOrFollower, "broker 1 is a follower");
        var fx = Fx();
        Reads().Fetch(new FetchRequest(TestLog.Tp, 0, 1 << 20, 1, 0), ActorRefs.Nobody, 0, fx);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, Replied<FetchResponse>(fx).Error);
        fx = Fx();
        Reads().ReplicaFetch(new ReplicaFetchRequest(TestLog.Tp, 2, 0, 0, 1 << 20, 0, 7), ActorRefs.Nobody, 0, 0, fx);
        Assert.Equal(7, Replied<ReplicaFetchResponse>(fx).CorrelationId);
    }

    [Fact]
    public void A_consumer_sees_only_records_below_the_high_watermark_and_waits_for_more()
    {
        Lead([1, 2]);
        _t.Append(3);
        var reads = Reads();
        var fx = Fx();
        reads.Fetch(new FetchRequest(TestLog.Tp, 0, 1 << 20, 1, 500), ActorRefs.Nobody, 0, fx);
        Assert.Empty(fx.Of<ReplicaEffect.Reply>()); // the follower has nothing yet: the high watermark is 0
        Assert.Single(fx.Of<ReplicaEffect.StartTimer>());
        Assert.Equal(1, reads.ParkedFetches);
        // The follower catches up: the high watermark moves and the parked fetch is answered with the records.
        fx = Fx();
        reads.ReplicaFetch(new ReplicaFetchRequest(TestLog.Tp, 2, 0, 3, 1 << 20, 0, 1), ActorRefs.Nobody, 0, 0, fx);
        Assert.Single(fx.Of<ReplicaEffect.WakeParkedFetches>());
        fx = Fx();
        reads.WakeParked(fx);
        Assert.Single(fx.Of<ReplicaEffect.CancelTimer>());
        var response = Replied<FetchResponse>(fx);
        Assert.Equal(3, response.HighWatermark);
        Assert.NotEmpty(response.Records);
    }

    [Fact]
    public void A_parked_fetch_whose_wait_ends_is_answered_with_what_there_is()
    {
        Lead([1]);
        var reads = Reads();
        var fx = Fx();
        reads.Fetch(new FetchRequest(TestLog.Tp, 0, 1 << 20, 1, 500), ActorRefs.Nobody, 0, fx);
        var timer = Assert.Single(fx.Of<ReplicaEffect.StartTimer>());
        fx = Fx();
        reads.DeadlineElapsed((LeaderReads.FetchDeadline)timer.Message, fx);
        Assert.Empty(Replied<FetchResponse>(fx).Records);
        fx = Fx();
        reads.DeadlineElapsed((LeaderReads.FetchDeadline)timer.Message, fx);
        Assert.Empty(fx.All);
    }

    [Fact]
    public void A_follower_of_another_epoch_or_outside_the_log_is_refused()
    {
        Lead([1, 2]);
        _t.Append(3);
        var fx = Fx();
        Reads().ReplicaFetch(new ReplicaFetchRequest(TestLog.Tp, 2, 1, 0, 1 << 20, 0, 1), ActorRefs.Nobody, 0, 0, fx);
        Assert.Equal(ErrorCode.UnknownLeaderEpoch, Replied<ReplicaFetchResponse>(fx).Error);
        fx = Fx();
        Reads().ReplicaFetch(new ReplicaFetchRequest(TestLog.Tp, 2, 0, 4, 1 << 20, 0, 1), ActorRefs.Nobody, 0, 0, fx);
        Assert.Equal(ErrorCode.OffsetOutOfRange, Replied<ReplicaFetchResponse>(fx).Error);
        fx = Fx();
        Reads().ReplicaFetch(new ReplicaFetchRequest(TestLog.Tp, 3, 0, 0, 1 << 20, 0, 1), ActorRefs.Nobody, 0, 0, fx);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, Replied<ReplicaFetchResponse>(fx).Error);
    }

    [Fact]
    public void An_epoch_lookup_is_answered_with_where_that_epoch_ends_here()
    {
        _t.Append(5, leaderEpoch: 0);
        Lead([1, 2]);
        var fx = Fx();
        Reads().OffsetForLeaderEpoch(new OffsetForLeaderEpochRequest(TestLog.Tp, 2, 0, 0, 9), ActorRefs.Nobody, fx);
        var answer = Replied<OffsetForLeaderEpochResponse>(fx);
        Assert.Equal((0, 5L, 9L), (answer.LeaderEpoch, answer.EndOffset, answer.CorrelationId));
    }

    [Fact]
    public void Latest_is_not_available_until_a_new_leaders_high_watermark_reaches_its_epoch_start()
    {
        _t.Append(5);
        Lead([1, 2]);
        var fx = Fx();
        Reads().ListOffsets(new ListOffsetsRequest(TestLog.Tp, ListOffsetsRequest.Latest), ActorRefs.Nobody, fx);
        Assert.Equal(ErrorCode.OffsetNotAvailable, Replied<ListOffsetsResponse>(fx).Error);
        fx = Fx();
        Reads().ListOffsets(new ListOffsetsRequest(TestLog.Tp, ListOffsetsRequest.Earliest), ActorRefs.Nobody, fx);
        Assert.Equal(0, Replied<ListOffsetsResponse>(fx).Offset);
        _leader!.FollowerFetched(2, 5, 1, Fx());
        fx = Fx();
        Reads().ListOffsets(new ListOffsetsRequest(TestLog.Tp, ListOffsetsRequest.Latest), ActorRefs.Nobody, fx);
        Assert.Equal(5, Replied<ListOffsetsResponse>(fx).Offset);
    }

    [Fact]
    public void A_corrupt_batch_read_from_the_journal_is_answered_corrupt_message_and_reported()
    {
        Lead([1]);
        _t.Append(2);
        _t.Append(2);
        _leader!.Appended(Fx());
        var bad = _t.Journal[1].Batch.ToArray();
        bad[^1] ^= 0x10;
        var fx = Fx();
        Reads().JournalRead(new LeaderReads.PendingRead(new FetchRequest(TestLog.Tp, 2, 1 << 20, 1, 0), ActorRefs.Nobody, 0, 10), [(_t.Journal[1].SequenceNr, bad)], null, fx);
        Assert.Equal(ErrorCode.CorruptMessage, Replied<FetchResponse>(fx).Error);
        Assert.Equal(2, Assert.Single(fx.Of<ReplicaEffect.LogCorrupt>()).Offset);
    }

    [Fact]
    public void Parked_fetches_are_answered_with_the_reason_when_the_replica_stops_leading()
    {
        Lead([1]);
        var reads = Reads();
        reads.Fetch(new FetchRequest(TestLog.Tp, 0, 1 << 20, 1, 500), ActorRefs.Nobody, 0, Fx());
        var fx = Fx();
        reads.FailParked(ErrorCode.NotLeaderOrFollower, "moved", fx);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, Replied<FetchResponse>(fx).Error);
        Assert.Equal(0, reads.ParkedFetches);
    }

    // ---------------------------------------------------------------- read-ahead (no tail cache: every read is a journal read)

    private readonly TestLog _cold = new("akkabroker.broker.broker.id = 1\nakkabroker.partition.tail-cache-bytes = 0");

    /// <summary>Leader 1 of a log of four two-record batches, all below the high watermark, with no tail cache.</summary>
    private LeaderReads ColdReads()
    {
        for (var i = 0; i < 4; i++) _cold.Append(2);
        _leader = new LeaderRole(1, new PartitionAssignment(0, [1], 1, 0, [1], 0), _cold.Log, 10_000, TimeSpan.FromSeconds(7), 0);
        _leader.Appended(Fx());
        return new LeaderReads(_cold.Log, 1 << 20, () => _notServing, () => _leader);
    }

    /// <summary>One batch per fetch (a batch always goes whole, whatever max bytes says).</summary>
    private static FetchRequest OneBatchAt(long offset) => new(TestLog.Tp, offset, 1, 1, 500);

    private IReadOnlyList<(long SequenceNr, byte[] Batch)> Events(ReplicaEffect.ReadJournal read) =>
        _cold.Journal.Where(e => e.SequenceNr >= read.From && e.SequenceNr <= read.To).ToList();

    /// <summary>A fetch at 0 answered from the journal, the range from 2 being read ahead, and a fetch at 2 waiting for it.</summary>
    private (LeaderReads Reads, ReplicaEffect.ReadJournal Ahead) FetchWaitingForTheRangeAhead()
    {
        var (reads, ahead) = RangeAheadStarted();
        var fx = Fx();
        reads.Fetch(OneBatchAt(2), ActorRefs.Nobody, 0, fx);
        Assert.Empty(fx.All);
        return (reads, ahead);
    }

    /// <summary>A fetch at 0 answered from the journal (its records checked), and the range from 2 being read ahead.</summary>
    private (LeaderReads Reads, ReplicaEffect.ReadJournal Ahead) RangeAheadStarted()
    {
        var reads = ColdReads();
        var fx = Fx();
        reads.Fetch(OneBatchAt(0), ActorRefs.Nobody, 0, fx);
        var read = Assert.Single(fx.Of<ReplicaEffect.ReadJournal>());
        fx = Fx();
        reads.JournalRead((LeaderReads.PendingRead)read.Purpose, Events(read), null, fx);
        Assert.Equal(0, FirstOffset(Replied<FetchResponse>(fx)));
        var ahead = Assert.Single(fx.Of<ReplicaEffect.ReadJournal>());
        Assert.Equal(2, Assert.IsType<ReadAhead.Read>(ahead.Purpose).Offset);
        return (reads, ahead);
    }

    private static long FirstOffset(FetchResponse response) => AkkaBroker.Protocol.Records.RecordBatch.ReadAll(response.Records).First().BaseOffset;

    [Fact]
    public void A_consumer_reading_in_order_finds_its_next_records_read_ahead()
    {
        // Answered up to offset 2: the range from there is read before the consumer asks for it.
        var (reads, ahead) = RangeAheadStarted();

        // The consumer asks while the range is still being read: it waits for that read, with no read of its own.
        var fx = Fx();
        reads.Fetch(OneBatchAt(2), ActorRefs.Nobody, 0, fx);
        Assert.Empty(fx.All);
        fx = Fx();
        reads.ReadAheadArrived((ReadAhead.Read)ahead.Purpose, Events(ahead), null, fx);
        Assert.Equal(2, FirstOffset(Replied<FetchResponse>(fx)));
        var next = Assert.Single(fx.Of<ReplicaEffect.ReadJournal>());
        Assert.Equal(4, ((ReadAhead.Read)next.Purpose).Offset);

        // The range arrives first: it is kept (for a while) and the next fetch is answered from it at once.
        fx = Fx();
        reads.ReadAheadArrived((ReadAhead.Read)next.Purpose, Events(next), null, fx);
        Assert.Empty(fx.Of<ReplicaEffect.Reply>());
        Assert.Single(fx.Of<ReplicaEffect.StartTimer>());
        fx = Fx();
        reads.Fetch(OneBatchAt(4), ActorRefs.Nobody, 0, fx);
        Assert.Equal(4, FirstOffset(Replied<FetchResponse>(fx)));
        Assert.Equal(6, ((ReadAhead.Read)Assert.Single(fx.Of<ReplicaEffect.ReadJournal>()).Purpose).Offset);
    }

    [Fact]
    public void A_range_read_ahead_and_not_asked_for_is_let_go_and_other_offsets_read_their_own()
    {
        var (reads, ahead) = RangeAheadStarted();
        var fx = Fx();
        reads.ReadAheadArrived((ReadAhead.Read)ahead.Purpose, Events(ahead), null, fx);
        var unused = Assert.IsType<ReadAhead.Unused>(Assert.Single(fx.Of<ReplicaEffect.StartTimer>()).Message);

        // Another consumer at another offset reads the journal for itself.
        fx = Fx();
        reads.Fetch(OneBatchAt(6), ActorRefs.Nobody, 0, fx);
        Assert.IsType<LeaderReads.PendingRead>(Assert.Single(fx.Of<ReplicaEffect.ReadJournal>()).Purpose);

        // Nobody came for the range in time: a fetch at its offset now reads the journal too.
        reads.ReadAheadUnused(unused);
        fx = Fx();
        reads.Fetch(OneBatchAt(2), ActorRefs.Nobody, 0, fx);
        Assert.IsType<LeaderReads.PendingRead>(Assert.Single(fx.Of<ReplicaEffect.ReadJournal>()).Purpose);
    }

    [Fact]
    public void A_fetch_waiting_for_a_range_read_ahead_is_answered_as_the_log_is_when_the_range_arrives()
    {
        var (reads, ahead) = FetchWaitingForTheRangeAhead();

        // Records up to offset 4 were deleted meanwhile: the waiting fetch gets what any fetch at offset 2 now gets.
        _cold.Log.ApplyRecordsDeleted(new RecordsDeleted(4), _cold.LastSequenceNr + 1);
        var fx = Fx();
        reads.ReadAheadArrived((ReadAhead.Read)ahead.Purpose, Events(ahead), null, fx);
        Assert.Equal(ErrorCode.OffsetOutOfRange, Replied<FetchResponse>(fx).Error);
    }

    [Fact]
    public void A_fetch_waiting_for_a_range_whose_read_failed_reads_again()
    {
        var (reads, ahead) = FetchWaitingForTheRangeAhead();
        var fx = Fx();
        reads.ReadAheadArrived((ReadAhead.Read)ahead.Purpose, [], "journal read failed: disk I/O error", fx);
        Assert.Empty(fx.Of<ReplicaEffect.Reply>());
        var again = Assert.IsType<LeaderReads.PendingRead>(Assert.Single(fx.Of<ReplicaEffect.ReadJournal>()).Purpose);
        Assert.Equal(2, ((FetchRequest)again.Request).FetchOffset);
    }

    [Fact]
    public void A_fetch_waiting_for_a_range_read_ahead_is_answered_with_the_reason_when_the_replica_stops_leading()
    {
        var (reads, ahead) = FetchWaitingForTheRangeAhead();
        var fx = Fx();
        reads.FailParked(ErrorCode.NotLeaderOrFollower, "moved", fx);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, Replied<FetchResponse>(fx).Error);
        // The range that arrives later has nobody left to answer.
        fx = Fx();
        reads.ReadAheadArrived((ReadAhead.Read)ahead.Purpose, Events(ahead), null, fx);
        Assert.Empty(fx.Of<ReplicaEffect.Reply>());
    }
}
