using System.Text;
using AkkaBroker.Client;
using AkkaBroker.Client.Internal;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;
using CompressionType = AkkaBroker.Protocol.Records.CompressionType;
using ProtocolErrorCode = AkkaBroker.Protocol.ErrorCode;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;
using TopicPartition = AkkaBroker.Client.TopicPartition;

namespace AkkaBroker.Tests.Client;

/// <summary>
/// The consumer's subscription state: which partition may fetch now, what a fetch's answer hands the application and
/// changes, and which offsets are due for a commit.
/// </summary>
public class SubscriptionStateTests
{
    private static readonly ProtocolTopicPartition P0 = new("t", 0);
    private static readonly ProtocolTopicPartition P1 = new("t", 1);

    private static ConsumerSettings Settings(params (string Key, string Value)[] extra) =>
        ConsumerSettings.Read(new Dictionary<string, string> { ["bootstrap.servers"] = "127.0.0.1:9192", ["retry.backoff.ms"] = "250" }
            .Concat(extra.Select(e => KeyValuePair.Create(e.Key, e.Value))));

    private static (SubscriptionState Subscriptions, PartitionFetchState State) Positioned(long offset, params (string Key, string Value)[] extra)
    {
        var subscriptions = new SubscriptionState(Settings(extra));
        var state = subscriptions.Add(P0);
        subscriptions.Seek(state, offset);
        return (subscriptions, state);
    }

    /// <summary>A batch of <paramref name="count"/> records numbered from <paramref name="baseOffset"/>, values "v{offset}".</summary>
    private static byte[] Batch(long baseOffset, int count)
    {
        var builder = new RecordBatchBuilder(CompressionType.None);
        for (var i = 0; i < count; i++) builder.Append(0, null, Encoding.UTF8.GetBytes("v" + (baseOffset + i)));
        var batch = builder.Build();
        RecordBatch.SetBaseOffset(batch, baseOffset);
        return batch;
    }

    private static FetchResponse Answer(long highWatermark, params byte[][] batches) =>
        new(P0, ProtocolErrorCode.None, null, highWatermark, 0, batches.SelectMany(b => b).ToArray());

    private static FetchResponse Failure(ProtocolErrorCode code) => new(P0, code, null, -1, -1, []);

    private static List<long> Offsets(CompletedFetch fetch)
    {
        var offsets = new List<long>();
        while (fetch.Next() is { } record) offsets.Add(record.Offset);
        return offsets;
    }

    [Fact]
    public void A_partition_fetches_from_a_known_position_one_fetch_at_a_time_and_not_while_paused_or_with_its_buffer_full()
    {
        var subscriptions = new SubscriptionState(Settings(("fetch.max.bytes", "4096"), ("max.partition.fetch.bytes", "1000000")));
        var state = subscriptions.Add(P0);
        Assert.Null(subscriptions.NextFetch(state, 0));

        subscriptions.Seek(state, 42);
        var request = subscriptions.NextFetch(state, 0);
        Assert.NotNull(request);
        // max.partition.fetch.bytes is capped by fetch.max.bytes.
        Assert.Equal((42L, 4096), (request.FetchOffset, request.MaxBytes));
        Assert.Null(subscriptions.NextFetch(state, 0));

        var other = subscriptions.Add(P1);
        subscriptions.Seek(other, 0);
        Assert.Null(subscriptions.NextFetch(other, 4096));
        other.BufferedChunks = SubscriptionState.MaxBufferedChunksPerPartition;
        Assert.Null(subscriptions.NextFetch(other, 0));
        other.BufferedChunks = 0;
        SubscriptionState.Pause(other);
        Assert.Null(subscriptions.NextFetch(other, 0));
    }

    [Fact]
    public void An_answer_hands_over_its_records_from_the_fetch_offset_and_the_next_fetch_starts_after_the_last_whole_batch()
    {
        var (subscriptions, state) = Positioned(6);
        var request = subscriptions.NextFetch(state, 0)!;

        var outcome = subscriptions.Fetched(state, state.Generation, request, Answer(20, Batch(5, 3), Batch(8, 2)), null);

        Assert.Equal(FetchFollowUp.FetchAgain, outcome.FollowUp);
        var fetch = Assert.Single(outcome.Deliver);
        Assert.Equal([6L, 7, 8, 9], Offsets(fetch));
        Assert.Equal((10L, 6L, 20L, 1), (state.FetchPosition, state.Position, state.HighWatermark, state.BufferedChunks));
        // The answer ended the fetch in flight: the next may go.
        Assert.Equal(10, subscriptions.NextFetch(state, 0)!.FetchOffset);
    }

    [Fact]
    public void An_answer_to_a_fetch_from_before_a_seek_delivers_nothing_and_leaves_the_fetch_from_the_new_position_in_flight()
    {
        var (subscriptions, state) = Positioned(0);
        var before = state.Generation;
        var request = subscriptions.NextFetch(state, 0)!;
        subscriptions.Seek(state, 100);
        Assert.Equal(100, subscriptions.NextFetch(state, 0)!.FetchOffset);

        var outcome = subscriptions.Fetched(state, before, request, Answer(200, Batch(0, 5)), null);

        Assert.Equal(FetchFollowUp.FetchAgain, outcome.FollowUp);
        Assert.Empty(outcome.Deliver);
        Assert.Equal((100L, 0), (state.FetchPosition, state.BufferedChunks));
        Assert.Null(subscriptions.NextFetch(state, 0));
    }

    [Fact]
    public void A_partition_removed_while_its_fetch_was_out_ignores_the_answer()
    {
        var (subscriptions, state) = Positioned(0);
        var request = subscriptions.NextFetch(state, 0)!;
        Assert.True(subscriptions.Remove(P0));

        var outcome = subscriptions.Fetched(state, state.Generation, request, Answer(5, Batch(0, 5)), null);

        Assert.Same(FetchOutcome.Nothing, outcome);
        Assert.Equal(0, subscriptions.Count);
        Assert.Null(subscriptions.NextFetch(state, 0));
    }

    [Fact]
    public void End_of_partition_is_reported_once_each_time_the_fetch_position_reaches_the_high_watermark()
    {
        var (subscriptions, state) = Positioned(0, ("enable.partition.eof", "true"));
        CompletedFetch[] Fetch(FetchResponse answer)
        {
            state.BufferedChunks = 0; // the application keeps up
            return subscriptions.Fetched(state, state.Generation, subscriptions.NextFetch(state, 0)!, answer, null).Deliver.ToArray();
        }

        var first = Fetch(Answer(3, Batch(0, 3)));
        Assert.Equal([false, true], first.Select(f => f.Eof));
        Assert.Empty(Fetch(Answer(3)));
        var more = Fetch(Answer(5, Batch(3, 1)));
        Assert.Equal([false], more.Select(f => f.Eof));
        Assert.Equal([false, true], Fetch(Answer(5, Batch(4, 1))).Select(f => f.Eof));
    }

    [Fact]
    public void An_offset_out_of_range_resets_the_position_unless_auto_offset_reset_is_none_which_tells_the_application()
    {
        var (resetting, state) = Positioned(50, ("auto.offset.reset", "earliest"));
        var outcome = resetting.Fetched(state, state.Generation, resetting.NextFetch(state, 0)!, Failure(ProtocolErrorCode.OffsetOutOfRange), null);
        Assert.Equal(FetchFollowUp.ResetPosition, outcome.FollowUp);
        Assert.Empty(outcome.Deliver);

        var (strict, state2) = Positioned(50, ("auto.offset.reset", "none"));
        outcome = strict.Fetched(state2, state2.Generation, strict.NextFetch(state2, 0)!, Failure(ProtocolErrorCode.OffsetOutOfRange), null);
        Assert.Equal(FetchFollowUp.None, outcome.FollowUp);
        var error = Assert.Single(outcome.Deliver).Error;
        Assert.NotNull(error);
        Assert.Contains("auto.offset.reset is 'none'", error.Error.Reason);
        Assert.Equal(50, error.ConsumerRecord!.TopicPartitionOffset.Offset.Value);
    }

    [Fact]
    public void A_retriable_error_waits_the_backoff_silently_and_refreshes_metadata_while_the_partition_stays_in_flight()
    {
        var (subscriptions, state) = Positioned(0);
        var outcome = subscriptions.Fetched(state, state.Generation, subscriptions.NextFetch(state, 0)!, Failure(ProtocolErrorCode.NotLeaderOrFollower), null);

        Assert.Equal(FetchFollowUp.RetryLater, outcome.FollowUp);
        Assert.Empty(outcome.Deliver);
        Assert.True(outcome.RefreshMetadata);
        Assert.Equal(TimeSpan.FromMilliseconds(250), outcome.RetryAfter);
        Assert.Null(subscriptions.NextFetch(state, 0));
        SubscriptionState.RetryDue(state, state.Generation);
        Assert.Equal(0, subscriptions.NextFetch(state, 0)!.FetchOffset);
    }

    [Fact]
    public void An_error_the_application_must_hear_is_handed_over_once_per_generation_and_again_after_a_seek()
    {
        var (subscriptions, state) = Positioned(0);
        FetchOutcome Fail()
        {
            var request = subscriptions.NextFetch(state, 0)!;
            var outcome = subscriptions.Fetched(state, state.Generation, request, Failure(ProtocolErrorCode.TopicAuthorizationFailed), null);
            SubscriptionState.RetryDue(state, state.Generation);
            return outcome;
        }

        var first = Fail();
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, Assert.Single(first.Deliver).Error!.Error.Code);
        Assert.Equal(TimeSpan.FromSeconds(1), first.RetryAfter);
        Assert.Empty(Fail().Deliver);
        subscriptions.Seek(state, 0);
        Assert.Single(Fail().Deliver);
    }

    [Fact]
    public void A_partition_assigned_again_reports_its_errors_afresh()
    {
        var subscriptions = new SubscriptionState(Settings());
        var state = subscriptions.Add(P0);
        Assert.True(subscriptions.ShouldReport(state, state.Generation, ProtocolErrorCode.UnknownTopicOrPartition));
        Assert.False(subscriptions.ShouldReport(state, state.Generation, ProtocolErrorCode.UnknownTopicOrPartition));

        subscriptions.Remove(P0);
        Assert.False(subscriptions.ShouldReport(state, state.Generation, ProtocolErrorCode.UnknownTopicOrPartition));
        var again = subscriptions.Add(P0);

        Assert.True(subscriptions.ShouldReport(again, again.Generation, ProtocolErrorCode.UnknownTopicOrPartition));
    }

    [Fact]
    public void Committable_offsets_are_the_positions_and_after_a_commit_only_those_that_moved()
    {
        var subscriptions = new SubscriptionState(Settings());
        var p0 = subscriptions.Add(P0);
        var p1 = subscriptions.Add(P1);
        subscriptions.Seek(p0, 10);
        subscriptions.Seek(p1, -1);

        var all = subscriptions.Committable(null, onlyChanged: false);
        Assert.Equal([("t", 0, 10L)], all.Select(o => (o.Topic, o.Partition.Value, o.Offset.Value)));
        subscriptions.Committed(all);
        Assert.Empty(subscriptions.Committable(null, onlyChanged: true));

        p0.Position = 12;
        p1.Position = 3;
        Assert.Equal([(0, 12L), (1, 3L)], subscriptions.Committable(null, onlyChanged: true).Select(o => (o.Partition.Value, o.Offset.Value)).OrderBy(x => x));
        Assert.Equal([(1, 3L)], subscriptions.Committable([new TopicPartition("t", 1)], onlyChanged: false).Select(o => (o.Partition.Value, o.Offset.Value)));
    }

    [Fact]
    public void With_offsets_stored_by_the_application_only_stored_offsets_are_committed()
    {
        var subscriptions = new SubscriptionState(Settings(("enable.auto.offset.store", "false")));
        var state = subscriptions.Add(P0);
        subscriptions.Seek(state, 10);
        Assert.Empty(subscriptions.Committable(null, onlyChanged: false));

        state.StoredOffset = 7;

        Assert.Equal([7L], subscriptions.Committable(null, onlyChanged: false).Select(o => o.Offset.Value));
    }
}
