using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>Offset commits and fetches, offset retention of an empty group, and deleting a group.</summary>
public class GroupStateOffsetTests
{
    private static TopicPartition Tp(int p, string topic = GroupHarness.Topic) => GroupHarness.Tp(p, topic);
    private static OffsetCommit At(int p, long offset, string? metadata = null) => GroupHarness.At(p, offset, metadata);

    private static void AssertRefused(GroupOutcome outcome, ErrorCode code)
    {
        var reply = Assert.IsType<OffsetCommitResponse>(outcome.Reply);
        Assert.Equal(code, reply.Error);
        Assert.NotNull(reply.ErrorMessage);
        Assert.Empty(outcome.Events);
    }

    // ---- Commits ----

    [Fact]
    public void A_commit_in_Stable_with_the_current_generation_is_accepted_and_fetchable_once_applied()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        h.Advance(10);

        var outcome = h.State.Commit(GroupHarness.CommitRequest("a-0", 1, At(0, 42, "m"), At(1, 7)), h.Now);

        Assert.Equal(new OffsetCommitResponse(ErrorCode.None, null), outcome.Reply);
        var committed = Assert.IsType<GroupOffsetsCommitted>(Assert.Single(outcome.Events));
        Assert.Equal([new CommittedOffset(Tp(0), 42, "m", h.Now), new CommittedOffset(Tp(1), 7, null, h.Now)], committed.Offsets);
        // Not visible until persisted and applied.
        Assert.Equal(new CommittedOffset(Tp(0), -1, null, -1), h.Fetched(0));

        h.Persisted(outcome);

        Assert.Equal(new CommittedOffset(Tp(0), 42, "m", h.Now), h.Fetched(0));
        Assert.Equal(new CommittedOffset(Tp(1), 7, null, h.Now), h.Fetched(1));
        Assert.Equal(GroupStateName.Stable, h.State.State);
    }

    [Fact]
    public void A_later_commit_replaces_the_earlier_one()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Commit("a-0", 1, At(0, 1));
        h.Advance(1);
        h.Commit("a-0", 1, At(0, 9, "x"));
        Assert.Equal(new CommittedOffset(Tp(0), 9, "x", h.Now), h.Fetched(0));
    }

    [Fact]
    public void A_commit_while_the_group_prepares_a_rebalance_is_accepted_with_the_current_generation()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        h.Join("c");
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);

        // a revokes its partitions before rejoining, committing what it processed.
        Assert.Equal(new OffsetCommitResponse(ErrorCode.None, null), h.Commit("a-0", 1, At(0, 10), At(1, 11)));

        Assert.Equal(10, h.Fetched(0).Offset);
        Assert.Equal(11, h.Fetched(1).Offset);
    }

    [Fact]
    public void A_commit_while_the_group_completes_a_rebalance_answers_REBALANCE_IN_PROGRESS()
    {
        var h = new GroupHarness();
        h.Join("a");
        h.CompleteJoin();
        Assert.Equal(GroupStateName.CompletingRebalance, h.State.State);

        AssertRefused(h.Commit(GroupHarness.CommitRequest("a-0", 1, At(0, 5))), ErrorCode.RebalanceInProgress);
        Assert.Equal(-1, h.Fetched(0).Offset);
    }

    [Fact]
    public void A_commit_for_a_partition_assigned_to_another_member_answers_ILLEGAL_GENERATION()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");

        AssertRefused(h.Commit(GroupHarness.CommitRequest("a-0", 1, At(0, 5), At(2, 5))), ErrorCode.IllegalGeneration);
        Assert.Equal(-1, h.Fetched(0).Offset);
        Assert.Equal(-1, h.Fetched(2).Offset);
    }

    [Fact]
    public void A_commit_for_a_partition_assigned_to_nobody_is_accepted()
    {
        var h = new GroupHarness();
        h.StableGroup("a", "b");
        Assert.Equal(ErrorCode.None, h.Commit("a-0", 1, new OffsetCommit(Tp(0, "other"), 3, null)).Error);
        Assert.Equal(3, h.Fetched(0, "other").Offset);
    }

    [Fact]
    public void A_commit_with_a_stale_generation_answers_ILLEGAL_GENERATION()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Join("a", "a-0");
        h.CompleteJoin();
        h.Sync("a-0", 2);

        AssertRefused(h.Commit(GroupHarness.CommitRequest("a-0", 1, At(0, 5))), ErrorCode.IllegalGeneration);
        Assert.Equal(ErrorCode.None, h.Commit("a-0", 2, At(0, 5)).Error);
    }

    [Fact]
    public void A_commit_from_outside_the_group_is_accepted_while_the_group_has_no_members()
    {
        var h = new GroupHarness();

        var outcome = h.State.Commit(GroupHarness.CommitRequest("", -1, At(0, 7)), h.Now);

        Assert.Equal(new OffsetCommitResponse(ErrorCode.None, null), outcome.Reply);
        Assert.Equal(GroupStateName.Dead, h.State.State);
        h.Persisted(outcome);
        Assert.Equal(GroupStateName.Empty, h.State.State);
        Assert.True(h.State.Exists);
        Assert.Equal(7, h.Fetched(0).Offset);
    }

    [Fact]
    public void A_commit_from_outside_the_group_is_accepted_once_the_last_member_left()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Commit("a-0", 1, At(0, 3));
        h.Leave("a-0");
        Assert.Equal(GroupStateName.Empty, h.State.State);

        Assert.Equal(ErrorCode.None, h.Commit("", -1, At(0, 100)).Error);
        Assert.Equal(100, h.Fetched(0).Offset);
        Assert.Equal(GroupStateName.Empty, h.State.State);
    }

    [Fact]
    public void A_commit_from_outside_the_group_answers_NON_EMPTY_GROUP_while_the_group_has_members()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        AssertRefused(h.Commit(GroupHarness.CommitRequest("", -1, At(0, 7))), ErrorCode.NonEmptyGroup);

        h.Join("b");
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        AssertRefused(h.Commit(GroupHarness.CommitRequest("", -1, At(0, 7))), ErrorCode.NonEmptyGroup);
        Assert.Equal(-1, h.Fetched(0).Offset);
    }

    [Fact]
    public void A_commit_with_generation_minus_1_from_a_member_answers_ILLEGAL_GENERATION()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        AssertRefused(h.Commit(GroupHarness.CommitRequest("a-0", -1, At(0, 7))), ErrorCode.IllegalGeneration);
    }

    [Fact]
    public void A_negative_offset_is_refused_with_INVALID_REQUEST_and_nothing_of_the_commit_is_kept()
    {
        var h = new GroupHarness();
        h.StableGroup("a");

        AssertRefused(h.Commit(GroupHarness.CommitRequest("a-0", 1, At(0, 4), At(1, -1))), ErrorCode.InvalidRequest);

        Assert.Equal(-1, h.Fetched(0).Offset);
        Assert.Equal(ErrorCode.None, h.Commit("a-0", 1, At(1, 0)).Error);
        Assert.Equal(0, h.Fetched(1).Offset);
    }

    [Fact]
    public void Metadata_longer_than_OffsetMetadataMaxBytes_is_refused_with_OFFSET_METADATA_TOO_LARGE()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        var atLimit = new string('m', GroupHarness.MetadataMaxBytes);
        var overLimit = new string('m', GroupHarness.MetadataMaxBytes + 1);

        AssertRefused(h.Commit(GroupHarness.CommitRequest("a-0", 1, At(0, 4, overLimit))), ErrorCode.OffsetMetadataTooLarge);
        Assert.Equal(-1, h.Fetched(0).Offset);

        Assert.Equal(ErrorCode.None, h.Commit("a-0", 1, At(0, 4, atLimit)).Error);
        Assert.Equal(atLimit, h.Fetched(0).Metadata);
    }

    [Fact]
    public void FetchOffsets_returns_minus_1_for_a_partition_without_a_commit()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Commit("a-0", 1, At(0, 4));

        var fetched = h.State.FetchOffsets(new OffsetFetchRequest("g", [Tp(3), Tp(0), Tp(0, "never")]));

        Assert.Equal(ErrorCode.None, fetched.Error);
        Assert.Equal(
            [
                new CommittedOffset(Tp(3), -1, null, -1),
                new CommittedOffset(Tp(0), 4, null, h.Now),
                new CommittedOffset(Tp(0, "never"), -1, null, -1),
            ],
            fetched.Offsets);
    }

    [Fact]
    public void FetchOffsets_without_partitions_returns_every_committed_offset_by_topic_then_partition()
    {
        var h = new GroupHarness();
        h.Commit("", -1, new OffsetCommit(Tp(10, "b"), 1, null), new OffsetCommit(Tp(2, "a"), 2, null), new OffsetCommit(Tp(1, "b"), 3, null));

        var fetched = h.State.FetchOffsets(new OffsetFetchRequest("g", null));

        Assert.Equal([Tp(2, "a"), Tp(1, "b"), Tp(10, "b")], fetched.Offsets.Select(o => o.TopicPartition));
        Assert.Equal([2L, 3L, 1L], fetched.Offsets.Select(o => o.Offset));
    }

    // ---- Offset retention ----

    [Fact]
    public void An_Empty_groups_offsets_expire_OffsetsRetentionMs_after_it_became_empty_and_then_the_group_is_Dead()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Commit("a-0", 1, At(0, 5), At(1, 6));
        h.Advance(1000);
        h.Leave("a-0");
        var emptySince = h.Now;
        Assert.Equal(GroupStateName.Empty, h.State.State);
        Assert.Equal(emptySince, h.State.EmptySince);
        Assert.Equal(h.Now + GroupHarness.RetentionCheckIntervalMs, h.State.NextDeadline(h.Now));

        Assert.Empty(h.State.Tick(emptySince + GroupHarness.RetentionMs - 1).Events);

        h.Now = emptySince + GroupHarness.RetentionMs;
        var tick = h.State.Tick(h.Now);

        var expired = Assert.IsType<GroupOffsetsExpired>(Assert.Single(tick.Events));
        Assert.Equal([Tp(0), Tp(1)], expired.Partitions.OrderBy(tp => tp.Partition));
        Assert.Equal(GroupStateName.Empty, h.State.State);
        Assert.Equal(5, h.Fetched(0).Offset);

        h.Persisted(tick);

        Assert.Equal(GroupStateName.Dead, h.State.State);
        Assert.False(h.State.Exists);
        Assert.Equal(-1, h.Fetched(0).Offset);
        Assert.Empty(h.State.Offsets);
        Assert.Equal(long.MaxValue, h.State.NextDeadline(h.Now));
    }

    [Fact]
    public void Offsets_committed_from_outside_the_group_expire_OffsetsRetentionMs_after_their_own_commit()
    {
        var h = new GroupHarness();
        var t = h.Now;
        h.Commit("", -1, At(0, 1));
        h.Now = t + 5000;
        h.Commit("", -1, At(1, 2));

        h.Now = t + GroupHarness.RetentionMs;
        var first = h.Tick();
        Assert.Equal([Tp(0)], Assert.IsType<GroupOffsetsExpired>(Assert.Single(first.Events)).Partitions);
        Assert.Equal(GroupStateName.Empty, h.State.State);
        Assert.Equal(2, h.Fetched(1).Offset);

        h.Now = t + 5000 + GroupHarness.RetentionMs;
        h.Tick();
        Assert.Equal(GroupStateName.Dead, h.State.State);
    }

    [Fact]
    public void Offsets_of_a_group_with_members_do_not_expire()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Commit("a-0", 1, At(0, 5));
        var t = h.Now;
        h.Now = t + GroupHarness.RetentionMs;
        h.Heartbeat("a-0", 1);

        Assert.Empty(h.State.Tick(h.Now).Events);
        Assert.Equal(5, h.Fetched(0).Offset);
    }

    // ---- Delete ----

    [Fact]
    public void Delete_is_refused_with_NON_EMPTY_GROUP_while_the_group_has_members()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Commit("a-0", 1, At(0, 5));

        var outcome = h.State.Delete();

        Assert.Equal(ErrorCode.NonEmptyGroup, Assert.IsType<DeleteGroupResponse>(outcome.Reply).Error);
        Assert.Empty(outcome.Events);
        Assert.Equal(GroupStateName.Stable, h.State.State);
        Assert.Equal(5, h.Fetched(0).Offset);
    }

    [Fact]
    public void Delete_of_a_Dead_group_answers_GROUP_ID_NOT_FOUND()
    {
        var h = new GroupHarness();

        var outcome = h.State.Delete();

        Assert.Equal(ErrorCode.GroupIdNotFound, Assert.IsType<DeleteGroupResponse>(outcome.Reply).Error);
        Assert.Empty(outcome.Events);
    }

    [Fact]
    public void Delete_of_an_Empty_group_records_GroupDeleted_and_once_applied_the_group_is_Dead_without_offsets()
    {
        var h = new GroupHarness();
        h.StableGroup("a");
        h.Commit("a-0", 1, At(0, 5));
        h.Leave("a-0");
        Assert.Equal(GroupStateName.Empty, h.State.State);

        var outcome = h.State.Delete();

        Assert.Equal(new DeleteGroupResponse(ErrorCode.None, null), outcome.Reply);
        Assert.Equal(new GroupDeleted(), Assert.Single(outcome.Events));
        Assert.Equal(GroupStateName.Empty, h.State.State);

        h.Persisted(outcome);

        Assert.Equal(GroupStateName.Dead, h.State.State);
        Assert.False(h.State.Exists);
        Assert.Empty(h.State.Offsets);
        Assert.Empty(h.State.FetchOffsets(new OffsetFetchRequest("g", null)).Offsets);
        Assert.Equal(-1, h.Fetched(0).Offset);
        Assert.Equal(ErrorCode.GroupIdNotFound, Assert.IsType<DeleteGroupResponse>(h.State.Delete().Reply).Error);
    }

    [Fact]
    public void A_deleted_group_can_be_joined_afresh()
    {
        var h = new GroupHarness();
        h.Commit("", -1, At(0, 5));
        h.Persisted(h.State.Delete());

        Assert.Null(h.Join("a").Reply);
        Assert.Equal(GroupStateName.PreparingRebalance, h.State.State);
        h.CompleteJoin();
        Assert.Equal([Tp(0), Tp(1), Tp(2), Tp(3)], h.Sync("a-0", h.State.GenerationId).Assignment);
        Assert.Equal(-1, h.Fetched(0).Offset);
    }
}
