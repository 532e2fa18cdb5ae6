using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Mirror;

/// <summary>Telling offsets retention deleted before they were mirrored from the harmless gaps of compaction and transaction markers.</summary>
public class OffsetGapTests
{
    [Fact]
    public void The_next_offset_at_the_position_is_no_gap_whether_or_not_the_log_start_is_known()
    {
        Assert.IsType<OffsetGap.None>(OffsetGap.Detect(10, 10, null));
        Assert.IsType<OffsetGap.None>(OffsetGap.Detect(10, 10, 0));
    }

    [Fact]
    public void An_offset_behind_the_position_is_no_gap()
    {
        Assert.IsType<OffsetGap.None>(OffsetGap.Detect(10, 4, null));
    }

    [Fact]
    public void Offsets_missing_at_or_above_the_log_start_were_compacted_away_or_held_transaction_markers_and_are_no_gap()
    {
        Assert.IsType<OffsetGap.None>(OffsetGap.Detect(10, 15, 0));
        Assert.IsType<OffsetGap.None>(OffsetGap.Detect(10, 15, 10));
    }

    [Fact]
    public void Offsets_below_the_log_start_were_deleted_by_retention_and_are_counted()
    {
        var gap = Assert.IsType<OffsetGap.RemovedByRetention>(OffsetGap.Detect(10, 250, 200));
        Assert.Equal((10L, 200L, 190L), (gap.From, gap.To, gap.Count));
    }

    [Fact]
    public void After_an_out_of_range_position_the_stream_seeks_to_the_log_start_and_everything_before_it_is_counted()
    {
        var gap = Assert.IsType<OffsetGap.RemovedByRetention>(OffsetGap.Detect(10, 200, 200));
        Assert.Equal(190, gap.Count);
    }

    [Fact]
    public void A_log_start_learned_after_the_next_record_counts_only_the_offsets_that_were_never_consumed()
    {
        var gap = Assert.IsType<OffsetGap.RemovedByRetention>(OffsetGap.Detect(10, 50, 900));
        Assert.Equal((10L, 50L), (gap.From, gap.To));
    }

    [Fact]
    public void A_jump_with_the_log_start_unknown_asks_for_it()
    {
        Assert.Equal(new OffsetGap.LogStartNeeded(10, 250), OffsetGap.Detect(10, 250, null));
    }
}
