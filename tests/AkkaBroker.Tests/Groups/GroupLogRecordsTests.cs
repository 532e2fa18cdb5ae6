using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Groups;

public class GroupLogRecordsTests
{
    private static readonly TopicPartition A = new("orders", 0);
    private static readonly TopicPartition B = new("orders", 1);

    /// <summary>Applies the records of <paramref name="groupId"/> among <paramref name="records"/>, as a loading coordinator does.</summary>
    private static GroupState Replay(string groupId, IEnumerable<(byte[] Key, byte[]? Value)> records)
    {
        var state = new GroupState(groupId, GroupSettings.Default);
        foreach (var (key, value) in records)
            if (GroupLogRecords.Decode(groupId, key, value) is { } e) state.Apply(e);
        return state;
    }

    private static CommittedOffset Offset(TopicPartition tp, long offset) => new(tp, offset, "meta", 1000);

    [Fact]
    public void Commits_membership_and_expiry_replay_to_the_same_state_and_other_groups_are_ignored()
    {
        var member = new GroupMemberRecord("m-1", null, "client", 10000, 30000, ["range"], ["orders"], [A, B]);
        var records = new List<(byte[], byte[]?)>();
        records.AddRange(GroupLogRecords.Encode("g", new GroupOffsetsCommitted([Offset(A, 5), Offset(B, 7)]), []));
        records.AddRange(GroupLogRecords.Encode("other", new GroupOffsetsCommitted([Offset(A, 99)]), []));
        records.Add(GroupLogRecords.LoadMarker("g"));
        records.AddRange(GroupLogRecords.Encode("g", new GroupMetadataChanged(4, "range", "m-1", 2000, [member]), [A, B]));
        records.AddRange(GroupLogRecords.Encode("g", new GroupOffsetsCommitted([Offset(A, 6)]), [A, B]));
        records.AddRange(GroupLogRecords.Encode("g", new GroupOffsetsExpired([B]), [A, B]));

        var state = Replay("g", records);
        var offsets = state.FetchOffsets(new OffsetFetchRequest("g", null)).Offsets;
        Assert.Equal([6L], offsets.Select(o => o.Offset));
        Assert.Equal("meta", offsets[0].Metadata);
        Assert.Equal(4, state.GenerationId);
        Assert.Equal(["m-1"], state.Members.Keys);
        // One record per committed partition, keyed by group, topic and partition: compaction keeps the latest of each.
        Assert.Equal(2, GroupLogRecords.Encode("g", new GroupOffsetsCommitted([Offset(A, 1), Offset(B, 1)]), []).Count());
    }

    [Fact]
    public void A_deletion_tombstones_every_committed_partition_and_the_membership()
    {
        var records = GroupLogRecords.Encode("g", new GroupOffsetsCommitted([Offset(A, 5), Offset(B, 7)]), []).ToList();
        var deletion = GroupLogRecords.Encode("g", new GroupDeleted(), [A, B]).ToList();
        Assert.Equal(3, deletion.Count);
        Assert.All(deletion, r => Assert.Null(r.Value));

        var state = Replay("g", records.Concat(deletion));
        Assert.False(state.Exists);
        Assert.Empty(state.CommittedPartitions);
        // Compaction may leave only the tombstones (or, after delete.retention.ms, nothing): the group is gone either way.
        Assert.False(Replay("g", deletion).Exists);
    }

    [Fact]
    public void A_record_of_this_group_that_cannot_be_read_is_an_error_not_skipped()
    {
        var (key, _) = GroupLogRecords.Encode("g", new GroupOffsetsCommitted([Offset(A, 5)]), []).Single();
        Assert.Throws<InvalidDataException>(() => GroupLogRecords.Decode("g", key, [9, 1, 2]));
        Assert.Null(GroupLogRecords.Decode("h", key, [9, 1, 2]));
    }
}
