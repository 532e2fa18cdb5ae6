using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Mirror;

public class OffsetTranslationTests
{
    private static readonly TopicPartition Tp = new("orders", 0);

    private static OffsetSync Sync(long source, long target, long count) => new("src", Tp, source, target, count);

    [Fact]
    public void A_dense_run_translates_every_offset_and_the_offset_after_it()
    {
        var t = new OffsetTranslation();
        t.Add(Sync(100, 0, 50));
        Assert.Equal(0, t.Translate(Tp, 100));
        Assert.Equal(30, t.Translate(Tp, 130));
        Assert.Equal(50, t.Translate(Tp, 150)); // the group read everything mirrored: it resumes after the last copy
        Assert.Null(t.Translate(Tp, 151));      // ahead of the mirror: nothing to translate to yet
        Assert.Equal(0, t.Translate(Tp, 0));    // below the first mirrored record (retention, or started late): the first record
        Assert.Null(t.Translate(new TopicPartition("orders", 1), 5));
    }

    [Fact]
    public void A_run_written_again_longer_is_one_run()
    {
        var t = new OffsetTranslation();
        t.Add(Sync(0, 0, 10));
        t.Add(Sync(0, 0, 25));
        t.Add(Sync(25, 25, 5));
        Assert.Equal([new OffsetTranslation.Run(0, 30, 0)], t.RunsOf(Tp));
    }

    [Fact]
    public void Offsets_compaction_removed_translate_to_the_next_mirrored_record()
    {
        var t = new OffsetTranslation();
        t.Add(Sync(0, 0, 10));  // source 0-9 -> target 0-9
        t.Add(Sync(20, 10, 5)); // source 10-19 compacted away; 20-24 -> target 10-14
        Assert.Equal(10, t.Translate(Tp, 10));
        Assert.Equal(10, t.Translate(Tp, 19));
        Assert.Equal(12, t.Translate(Tp, 22));
    }

    [Fact]
    public void In_a_gap_whose_syncs_a_crash_lost_a_group_resumes_after_the_last_synced_copy_reading_again_rather_than_skipping()
    {
        // Source 0-29 -> target 0-29, and 30-39 -> 30-39 with their syncs lost; 40-49 -> 40-49 synced again.
        var t = new OffsetTranslation();
        t.Add(Sync(0, 0, 30));
        t.Add(Sync(40, 40, 10));
        Assert.Equal(30, t.Translate(Tp, 35)); // the copy of 30: records 30-34 are read again, none is skipped
        Assert.Equal(40, t.Translate(Tp, 40));
    }

    [Fact]
    public void After_a_re_mirror_the_later_copy_wins_so_a_moved_group_neither_reads_twice_nor_skips()
    {
        // 0-99 mirrored to 0-99; the mirror crashed with source offsets committed at 60, so 60-99 went again to 100-139.
        var t = new OffsetTranslation();
        t.Add(Sync(0, 0, 100));
        t.Add(Sync(60, 100, 40));
        Assert.Equal(59, t.Translate(Tp, 59));
        Assert.Equal(100, t.Translate(Tp, 60)); // the second copy: what follows it on the target follows it on the source
        Assert.Equal(125, t.Translate(Tp, 85));
        Assert.Equal(140, t.Translate(Tp, 100));
    }

    [Fact]
    public void Syncs_read_in_any_order_or_twice_give_the_same_translation()
    {
        OffsetSync[] syncs = [Sync(0, 0, 100), Sync(60, 100, 40), Sync(100, 140, 10), Sync(80, 150, 30), Sync(200, 180, 5)];
        var reference = new OffsetTranslation();
        foreach (var s in syncs) reference.Add(s);
        var random = new Random(7);
        for (var round = 0; round < 50; round++)
        {
            var t = new OffsetTranslation();
            foreach (var s in syncs.Concat(syncs.Take(2)).OrderBy(_ => random.Next())) t.Add(s);
            Assert.Equal(reference.RunsOf(Tp), t.RunsOf(Tp));
        }
        // 80-109 were mirrored last, to 150-179.
        Assert.Equal(79 + 40, reference.Translate(Tp, 79));
        Assert.Equal(150, reference.Translate(Tp, 80));
        Assert.Equal(180, reference.Translate(Tp, 110));
    }

    [Fact]
    public void Offset_syncs_and_checkpoints_survive_their_encoding_and_refuse_garbage()
    {
        var sync = new OffsetSync("us-west", new TopicPartition("orders.eu", 7), 123_456_789_012, 42, 1000);
        Assert.Equal(sync, OffsetSync.Parse(sync.Value()));
        Assert.Throws<FormatException>(() => OffsetSync.Parse(sync.Value()[..20]));
        Assert.Null(OffsetSync.Parse(null));
        Assert.Null(OffsetSync.Parse([9, 1, 2]));

        var checkpoint = new Checkpoint("us-west", "billing", new TopicPartition("orders", 3), "us-west.orders", 500, 480);
        Assert.Equal(checkpoint, Checkpoint.Parse(checkpoint.Value()));
        Assert.Throws<FormatException>(() => Checkpoint.Parse(checkpoint.Value()[..30]));
        Assert.NotEqual(checkpoint.Key(), (checkpoint with { Group = "other" }).Key());
    }

    [Fact]
    public void Pending_syncs_extend_a_run_start_another_at_a_jump_and_hand_out_only_what_changed()
    {
        var pending = new PendingOffsetSyncs("src");
        for (var i = 0; i < 5; i++) pending.Acknowledged(Tp, i, 100 + i);
        pending.Acknowledged(Tp, 7, 105); // compaction gap on the source
        pending.Acknowledged(Tp, 8, 106);
        Assert.Equal([new OffsetSync("src", Tp, 0, 100, 5), new OffsetSync("src", Tp, 7, 105, 2)], pending.Take());
        Assert.Empty(pending.Take());
        pending.Acknowledged(Tp, 9, 107);
        var taken = Assert.Single(pending.Take());
        Assert.Equal(new OffsetSync("src", Tp, 7, 105, 3), taken);
        pending.Failed(taken);
        Assert.Equal([taken], pending.Take());
        pending.Failed(new OffsetSync("src", Tp, 0, 100, 5)); // an ended run that failed is written again too
        Assert.Equal([new OffsetSync("src", Tp, 0, 100, 5)], pending.Take());
    }

    [Fact]
    public void Group_offsets_are_synced_only_forward_and_only_while_the_group_has_no_members_on_the_target()
    {
        Checkpoint[] checkpoints =
        [
            new("src", "app", new TopicPartition("orders", 0), "orders", 50, 40),
            new("src", "app", new TopicPartition("orders", 1), "orders", 70, 60),
            new("src", "app", new TopicPartition("orders", 2), "orders", 10, 10),
        ];
        var empty = new ConsumerGroupDescription
        {
            GroupId = "app", State = ConsumerGroupState.Empty,
            CommittedOffsets = [new TopicPartitionOffset("orders", 0, new Offset(45)), new TopicPartitionOffset("orders", 1, new Offset(20))],
        };
        Assert.Equal([new TopicPartitionOffset("orders", 1, new Offset(60)), new TopicPartitionOffset("orders", 2, new Offset(10))],
            MirrorCheckpoints.OffsetsToSync(checkpoints, empty));
        var active = empty with { State = ConsumerGroupState.Stable, Members = [new MemberDescription { ConsumerId = "m", ClientId = "c" }] };
        Assert.Empty(MirrorCheckpoints.OffsetsToSync(checkpoints, active));
    }
}
