using AkkaBroker.Client;
using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Mirror;

/// <summary>A mirror stream's source offsets: records handed to the producer in consume order, answered by the target in any order.</summary>
public class SubmittedRecordsTests
{
    private static readonly TopicPartition Orders = new("orders", 0);
    private static readonly TopicPartition Payments = new("payments", 3);

    private static List<SubmittedRecord> SubmitAll(SubmittedRecords s, TopicPartition tp, params long[] offsets) =>
        offsets.Select(o => s.Submit(tp, o)).ToList();

    [Fact]
    public void In_order_acknowledgements_make_the_offset_after_each_acknowledged_record_safe_to_commit()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 10);
        var sent = SubmitAll(s, Orders, 10, 11, 12);
        Assert.Equal(10, s.SafeOffset(Orders));
        Assert.Equal(3, s.InFlight);

        Assert.True(s.Acknowledged(sent[0]));
        Assert.Equal(11, s.SafeOffset(Orders));
        Assert.True(s.Acknowledged(sent[1]));
        Assert.True(s.Acknowledged(sent[2]));

        Assert.Equal(13, s.SafeOffset(Orders));
        Assert.Equal(0, s.InFlight);
    }

    [Fact]
    public void Out_of_order_acknowledgements_move_the_safe_offset_only_once_every_earlier_record_is_acknowledged()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 0);
        var sent = SubmitAll(s, Orders, 0, 1, 2, 3);

        s.Acknowledged(sent[3]);
        s.Acknowledged(sent[1]);
        Assert.Equal(0, s.SafeOffset(Orders));
        s.Acknowledged(sent[0]);
        Assert.Equal(2, s.SafeOffset(Orders));
        s.Acknowledged(sent[2]);
        Assert.Equal(4, s.SafeOffset(Orders));
    }

    [Fact]
    public void Partitions_are_tracked_apart_so_a_slow_partition_holds_back_only_itself()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 0);
        s.Assign(Payments, 100);
        var orders = SubmitAll(s, Orders, 0, 1);
        var payments = SubmitAll(s, Payments, 100, 101);

        s.Acknowledged(payments[0]);
        s.Acknowledged(payments[1]);
        s.Acknowledged(orders[1]);

        Assert.Equal(0, s.SafeOffset(Orders));
        Assert.Equal(102, s.SafeOffset(Payments));
    }

    [Fact]
    public void Offsets_need_not_be_contiguous_and_gaps_from_compaction_or_transaction_markers_do_not_hold_commits_back()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 3);
        var sent = SubmitAll(s, Orders, 5, 8, 9, 20);

        s.Acknowledged(sent[0]);
        Assert.Equal(6, s.SafeOffset(Orders));
        s.Acknowledged(sent[2]);
        Assert.Equal(6, s.SafeOffset(Orders));
        s.Acknowledged(sent[1]);
        Assert.Equal(10, s.SafeOffset(Orders));
        s.Acknowledged(sent[3]);
        Assert.Equal(21, s.SafeOffset(Orders));
    }

    [Fact]
    public void An_assigned_partition_is_safe_to_commit_at_its_start_before_anything_is_mirrored()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 42);
        Assert.Equal(42, s.SafeOffset(Orders));
        Assert.Equal(42, s.Position(Orders));
        Assert.Equal([new TopicPartitionOffset(Orders, 42)], s.OffsetsToCommit());
    }

    [Fact]
    public void A_partition_submitted_without_an_assignment_is_safe_to_commit_at_its_first_record_until_that_is_acknowledged()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        Assert.Null(s.SafeOffset(Orders));
        Assert.Null(s.Position(Orders));

        var first = s.Submit(Orders, 7);

        Assert.Equal(7, s.SafeOffset(Orders));
        Assert.Equal(8, s.Position(Orders));
        s.Acknowledged(first);
        Assert.Equal(8, s.SafeOffset(Orders));
    }

    [Fact]
    public void A_failed_send_with_abort_on_send_failure_stops_the_mirror_and_the_safe_offset_never_passes_it()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 0);
        var sent = SubmitAll(s, Orders, 0, 1, 2, 3);
        s.Acknowledged(sent[0]);

        var outcome = s.Failed(sent[1], "MESSAGE_TOO_LARGE");

        Assert.True(outcome.MustStop);
        Assert.True(s.MustStop);
        Assert.Contains("orders [[0]] @1", outcome.Message);
        Assert.Contains("MESSAGE_TOO_LARGE", outcome.Message);
        Assert.Contains("committed only up to 1", outcome.Message);
        Assert.Equal(outcome.Message, s.StopReason);
        // Records after the failure are acknowledged, but the failed one is never: the safe offset stays before it.
        s.Acknowledged(sent[2]);
        s.Acknowledged(sent[3]);
        Assert.Equal(1, s.SafeOffset(Orders));
        Assert.Equal(0, s.InFlight);
        Assert.Equal(0, s.Dropped);
    }

    [Fact]
    public void Only_the_first_failure_is_the_stop_reason()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        var sent = SubmitAll(s, Orders, 0, 1);
        var first = s.Failed(sent[0], "first error");
        s.Failed(sent[1], "second error");
        Assert.Equal(first.Message, s.StopReason);
    }

    [Fact]
    public void A_failed_send_without_abort_on_send_failure_drops_the_record_counts_it_and_lets_commits_pass_it()
    {
        var s = new SubmittedRecords(abortOnSendFailure: false);
        s.Assign(Orders, 0);
        var sent = SubmitAll(s, Orders, 0, 1, 2);
        s.Acknowledged(sent[0]);
        s.Acknowledged(sent[2]);

        var outcome = s.Failed(sent[1], "RECORD_TOO_LARGE");

        Assert.False(outcome.MustStop);
        Assert.False(s.MustStop);
        Assert.Contains("dropped", outcome.Message);
        Assert.Equal(1, s.Dropped);
        Assert.Equal(3, s.SafeOffset(Orders));
    }

    [Fact]
    public void Revoking_returns_the_safe_offset_and_forgets_the_partition_and_its_records_in_flight()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 0);
        s.Assign(Payments, 0);
        var orders = SubmitAll(s, Orders, 0, 1, 2);
        s.Submit(Payments, 0);
        s.Acknowledged(orders[0]);

        Assert.Equal(1, s.Revoke(Orders));

        Assert.Null(s.SafeOffset(Orders));
        Assert.Equal([Payments], s.Partitions);
        Assert.Equal(1, s.InFlight);
        Assert.DoesNotContain(s.OffsetsToCommit(), tpo => tpo.TopicPartition == Orders);
        // The target's answers for the revoked records arrive late and change nothing.
        Assert.False(s.Acknowledged(orders[1]));
        Assert.Null(s.SafeOffset(Orders));
    }

    [Fact]
    public void Revoking_a_partition_never_tracked_returns_nothing()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        Assert.Null(s.Revoke(Orders));
    }

    [Fact]
    public void A_late_answer_from_an_earlier_assignment_does_not_count_for_the_same_offset_consumed_again()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 0);
        var earlier = SubmitAll(s, Orders, 0, 1);
        Assert.Equal(0, s.Revoke(Orders));
        s.Assign(Orders, 0);
        var again = SubmitAll(s, Orders, 0, 1);

        Assert.False(s.Acknowledged(earlier[0]));
        Assert.Equal(0, s.SafeOffset(Orders));
        Assert.True(s.Acknowledged(again[0]));
        Assert.Equal(1, s.SafeOffset(Orders));
    }

    [Fact]
    public void A_failure_of_a_revoked_partition_still_stops_the_mirror_but_leaves_the_new_assignment_alone()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 0);
        var earlier = s.Submit(Orders, 0);
        s.Revoke(Orders);
        s.Assign(Orders, 0);
        s.Acknowledged(s.Submit(Orders, 0));

        var outcome = s.Failed(earlier, "TOPIC_AUTHORIZATION_FAILED");

        Assert.True(outcome.MustStop);
        Assert.Contains("revoked", outcome.Message);
        Assert.Equal(1, s.SafeOffset(Orders));
    }

    [Fact]
    public void A_late_failure_of_a_revoked_partition_without_abort_is_not_counted_as_dropped()
    {
        var s = new SubmittedRecords(abortOnSendFailure: false);
        var earlier = s.Submit(Orders, 0);
        s.Revoke(Orders);

        var outcome = s.Failed(earlier, "REQUEST_TIMED_OUT");

        Assert.False(outcome.MustStop);
        Assert.Equal(0, s.Dropped);
        Assert.Contains("next owner sends it again", outcome.Message);
    }

    [Fact]
    public void A_repeated_acknowledgement_changes_nothing()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        var sent = SubmitAll(s, Orders, 0, 1);
        Assert.True(s.Acknowledged(sent[1]));
        Assert.False(s.Acknowledged(sent[1]));
        Assert.Equal(1, s.InFlight);
        Assert.Equal(0, s.SafeOffset(Orders));
    }

    [Fact]
    public void A_record_consumed_below_the_partitions_position_is_refused_naming_the_partition_and_both_offsets()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 10);
        s.Submit(Orders, 10);

        var e = Assert.Throws<InvalidOperationException>(() => s.Submit(Orders, 4));
        Assert.Contains("orders [[0]]", e.Message);
        Assert.Contains("offset 4", e.Message);
        Assert.Contains("offset 11", e.Message);
        Assert.Throws<InvalidOperationException>(() => s.Submit(Orders, 10));
    }

    [Fact]
    public void Offsets_to_commit_are_those_that_moved_since_the_last_commit_and_an_older_commit_never_moves_one_back()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 0);
        s.Assign(Payments, 50);
        var first = s.OffsetsToCommit();
        Assert.Equal([new TopicPartitionOffset(Orders, 0), new TopicPartitionOffset(Payments, 50)], first);
        s.Committed(first);
        Assert.Empty(s.OffsetsToCommit());

        s.Acknowledged(s.Submit(Orders, 0));
        s.Acknowledged(s.Submit(Orders, 1));
        Assert.Equal([new TopicPartitionOffset(Orders, 2)], s.OffsetsToCommit());

        s.Committed([new TopicPartitionOffset(Orders, 2)]);
        s.Committed([new TopicPartitionOffset(Orders, 1)]);
        Assert.Empty(s.OffsetsToCommit());
        s.Acknowledged(s.Submit(Orders, 2));
        Assert.Equal([new TopicPartitionOffset(Orders, 3)], s.OffsetsToCommit());
    }

    [Fact]
    public void Offsets_committed_for_a_partition_no_longer_tracked_are_ignored()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Committed([new TopicPartitionOffset(Orders, 5)]);
        Assert.Empty(s.Partitions);
    }

    [Fact]
    public void Skipping_past_offsets_retention_deleted_moves_the_safe_offset_there_once_earlier_records_are_acknowledged()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 0);
        var sent = SubmitAll(s, Orders, 0, 1);

        s.SkipTo(Orders, 500);

        Assert.Equal(500, s.Position(Orders));
        Assert.Equal(0, s.SafeOffset(Orders));
        s.Acknowledged(sent[1]);
        s.Acknowledged(sent[0]);
        Assert.Equal(500, s.SafeOffset(Orders));
        var next = s.Submit(Orders, 500);
        s.Acknowledged(next);
        Assert.Equal(501, s.SafeOffset(Orders));
    }

    [Fact]
    public void Skipping_to_the_position_or_behind_it_changes_nothing()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 10);
        s.SkipTo(Orders, 10);
        s.SkipTo(Orders, 3);
        Assert.Equal(10, s.Position(Orders));
        Assert.Equal(10, s.SafeOffset(Orders));
        s.Acknowledged(s.Submit(Orders, 10));
        Assert.Equal(11, s.SafeOffset(Orders));
    }

    [Fact]
    public void A_skip_never_lets_the_safe_offset_pass_a_failed_send()
    {
        var s = new SubmittedRecords(abortOnSendFailure: true);
        s.Assign(Orders, 0);
        s.Failed(s.Submit(Orders, 0), "NOT_ENOUGH_REPLICAS");
        s.SkipTo(Orders, 100);
        Assert.Equal(0, s.SafeOffset(Orders));
    }
}
