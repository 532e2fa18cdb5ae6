using System.Text;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>Segments, retention and the cleaning trigger of <see cref="PartitionLog"/>, with exact results.</summary>
public class LogRetentionTests
{
    private static readonly TopicPartition Tp = new("events", 0);
    private long _seq = 10;

    private static PartitionLog NewLog(Dictionary<string, string> topicOverrides)
    {
        var settings = TestConfigs.Settings();
        var log = new PartitionLog(Tp, settings);
        log.ApplyConfig(settings.EffectiveTopicConfig(topicOverrides), 1);
        return log;
    }

    /// <summary>A batch of <paramref name="records"/> 100-byte values with keys k0.., all stamped <paramref name="timestamp"/>.</summary>
    private static byte[] Batch(int records, long timestamp, int firstKey = 0, bool tombstones = false)
    {
        var b = new RecordBatchBuilder(CompressionType.None);
        for (var i = 0; i < records; i++) b.Append(timestamp, Encoding.UTF8.GetBytes($"k{firstKey + i}"), tombstones ? null : new byte[100]);
        return b.Build();
    }

    private void Append(PartitionLog log, byte[] batch)
    {
        var a = Assert.IsType<PartitionLog.AppendDecision.Accepted>(log.PrepareAppend(batch, 1, 0));
        log.OnPersisted(a.Batch, ++_seq);
        log.AdvanceHighWatermark(log.DurableEnd);
    }

    [Fact]
    public void The_log_rolls_a_segment_when_the_next_batch_would_pass_segment_bytes()
    {
        var log = NewLog(new() { ["segment.bytes"] = "1000" });
        for (var i = 0; i < 10; i++) Append(log, Batch(3, 1000)); // ~400 bytes each: two per segment
        Assert.Equal(5, log.Segments.Count);
        Assert.Equal([0L, 6, 12, 18, 24], log.Segments.Select(s => s.BaseOffset));
        Assert.All(log.Segments, s => Assert.Contains(log.Index, e => e.BaseOffset == s.BaseOffset && e.SequenceNr == s.FirstSequenceNr));
        Assert.Equal(log.LogBytes, log.SizeBytes);
    }

    [Fact]
    public void The_log_rolls_by_segment_ms_measured_on_record_time()
    {
        var log = NewLog(new() { ["segment.ms"] = "1000" });
        Append(log, Batch(1, 10_000));
        Append(log, Batch(1, 10_900));
        Append(log, Batch(1, 11_001)); // more than segment.ms after the segment's first batch
        Assert.Equal([0L, 2], log.Segments.Select(s => s.BaseOffset));
    }

    [Fact]
    public void Retention_by_size_removes_the_oldest_whole_segments_and_keeps_at_least_retention_bytes_and_the_active_segment()
    {
        var log = NewLog(new() { ["segment.bytes"] = "1000", ["retention.bytes"] = "1500" });
        for (var i = 0; i < 10; i++) Append(log, Batch(3, 1000));
        var size = log.SizeBytes;
        var plan = Assert.IsType<LogStartAdvanced>(log.PlanRetention(nowMs: 2000));
        log.ApplyLogStart(plan, ++_seq);
        Assert.True(log.SizeBytes >= 1500 && log.SizeBytes < size, $"size {log.SizeBytes} of {size}");
        Assert.Equal(log.Segments[0].BaseOffset, log.LogStartOffset);
        Assert.Equal(log.Segments[0].FirstSequenceNr, log.FirstLiveSequenceNr);
        var outOfRange = Assert.IsType<PartitionLog.FetchPlan.Error>(log.PlanFetch(0, 1 << 20));
        Assert.Equal(ErrorCode.OffsetOutOfRange, outOfRange.Code);
        Assert.IsNotType<PartitionLog.FetchPlan.Error>(log.PlanFetch(log.LogStartOffset, 1 << 20));
        Assert.Null(log.PlanRetention(nowMs: 2000));
    }

    [Fact]
    public void Retention_by_time_removes_segments_whose_newest_record_is_older_than_retention_ms_but_never_the_active_one()
    {
        var log = NewLog(new() { ["segment.ms"] = "100", ["retention.ms"] = "60000" });
        Append(log, Batch(2, 1_000));
        Append(log, Batch(2, 2_000));
        Append(log, Batch(2, 100_000));
        Append(log, Batch(2, 200_000));
        Assert.Equal(4, log.Segments.Count);
        var plan = Assert.IsType<LogStartAdvanced>(log.PlanRetention(nowMs: 150_000));
        Assert.Equal(4, plan.Offset); // the segments of t=1000 and t=2000 are past retention; t=100000 is not yet
        log.ApplyLogStart(plan, ++_seq);
        // Everything is past retention much later, but the active segment stays.
        var later = Assert.IsType<LogStartAdvanced>(log.PlanRetention(nowMs: 10_000_000));
        Assert.Equal(6, later.Offset);
    }

    [Fact]
    public void Retention_never_removes_what_the_high_watermark_has_not_passed()
    {
        var settings = TestConfigs.Settings();
        var log = new PartitionLog(Tp, settings);
        log.ApplyConfig(settings.EffectiveTopicConfig(new Dictionary<string, string> { ["segment.bytes"] = "500", ["retention.bytes"] = "0" }), 1);
        for (var i = 0; i < 4; i++)
        {
            var a = Assert.IsType<PartitionLog.AppendDecision.Accepted>(log.PrepareAppend(Batch(3, 1000), 1, 0));
            log.OnPersisted(a.Batch, ++_seq);
        }
        Assert.Null(log.PlanRetention(2000)); // nothing replicated yet
        log.AdvanceHighWatermark(5); // within the third segment (offsets 6..8 start at 6): only the first segment is wholly below
        Assert.Equal(3, Assert.IsType<LogStartAdvanced>(log.PlanRetention(2000)).Offset);
    }

    [Fact]
    public void A_delete_topic_never_plans_cleaning_and_a_compact_topic_never_plans_retention()
    {
        var delete = NewLog(new() { ["segment.bytes"] = "500", ["retention.bytes"] = "0" });
        var compact = NewLog(new() { ["segment.bytes"] = "500", ["retention.bytes"] = "0", ["cleanup.policy"] = "compact" });
        for (var i = 0; i < 4; i++)
        {
            Append(delete, Batch(3, 1000));
            Append(compact, Batch(3, 1000));
        }
        Assert.Null(delete.PlanCleaning(2000));
        Assert.Null(compact.PlanRetention(2000));
        Assert.NotNull(compact.PlanCleaning(2000));
    }

    [Fact]
    public void Cleaning_is_due_at_min_cleanable_dirty_ratio_covers_whole_segments_before_the_active_one_and_honours_min_compaction_lag()
    {
        var log = NewLog(new() { ["segment.bytes"] = "1000", ["cleanup.policy"] = "compact", ["min.cleanable.dirty.ratio"] = "0.5", ["min.compaction.lag.ms"] = "1000" });
        for (var i = 0; i < 6; i++) Append(log, Batch(3, 1000));
        Assert.Null(log.PlanCleaning(nowMs: 1500)); // too young for min.compaction.lag.ms
        var plan = Assert.IsType<PartitionLog.CleaningPlan>(log.PlanCleaning(nowMs: 5000));
        Assert.Equal(log.Segments[^1].BaseOffset, plan.EndOffset);
        Assert.Equal(log.Segments[0].FirstSequenceNr, plan.FromSequenceNr);
        Assert.Equal(log.Segments[^1].FirstSequenceNr - 1, plan.ToSequenceNr);
        Assert.Equal(1.0, plan.DirtyRatio);

        // Cleaned: nothing is dirty until new segments below the active one fill up again.
        log.ApplyCleaned(new LogCleaned(plan.EndOffset, plan.Segments.Select(s => new SegmentSize(s.BaseOffset, 100)).ToArray()), ++_seq);
        Assert.Equal(plan.EndOffset, log.CleanedUpTo);
        Assert.Null(log.PlanCleaning(nowMs: 5000));
        Assert.Equal(plan.Segments.Count * 100 + log.Segments[^1].Bytes, log.SizeBytes);
        Append(log, Batch(3, 1000));
        Append(log, Batch(3, 1000)); // rolls: the former active segment is now cleanable and dirty
        Assert.InRange(log.DirtyRatio(5000), 0.01, 0.99);
        var next = Assert.IsType<PartitionLog.CleaningPlan>(log.PlanCleaning(nowMs: 5000));
        Assert.True(next.DirtyRatio >= 0.5, $"dirty ratio {next.DirtyRatio}");
    }

    [Fact]
    public void Snapshots_keep_segments_and_the_cleaner_position()
    {
        var log = NewLog(new() { ["segment.bytes"] = "1000", ["cleanup.policy"] = "compact,delete" });
        for (var i = 0; i < 6; i++) Append(log, Batch(3, 1000));
        log.ApplyCleaned(new LogCleaned(6, [new SegmentSize(0, 50)]), ++_seq);
        var restored = NewLog(new());
        restored.Restore(log.ToSnapshot(0, long.MaxValue), _seq);
        Assert.Equal(log.Segments, restored.Segments);
        Assert.Equal(6, restored.CleanedUpTo);
        Assert.Equal(log.SizeBytes, restored.SizeBytes);
    }

    [Fact]
    public void A_read_that_found_only_removed_batches_goes_on_from_where_it_ended_up_to_the_log_end()
    {
        var settings = TestConfigs.Settings("akkabroker.broker.log.index.interval.bytes = 1\nakkabroker.partition.max-journal-read-bytes = 1024");
        var log = new PartitionLog(Tp, settings);
        log.ApplyConfig(settings.EffectiveTopicConfig(new Dictionary<string, string>()), 1);
        for (var i = 0; i < 20; i++) Append(log, Batch(3, 1000)); // journal events 11..30, one index entry each
        var (from, to) = log.NextJournalRange(afterSequenceNr: 15, maxBytes: 1);
        Assert.Equal(16, from);
        Assert.InRange(to, 17, 30); // about one read budget, not the whole rest of the log
        Assert.Equal((30L, 30L), log.NextJournalRange(afterSequenceNr: 29, maxBytes: 1 << 20));
    }

    [Fact]
    public void Max_compaction_lag_forces_cleaning_below_the_dirty_ratio()
    {
        var log = NewLog(new() { ["segment.bytes"] = "1000", ["cleanup.policy"] = "compact", ["min.cleanable.dirty.ratio"] = "0.9", ["max.compaction.lag.ms"] = "60000" });
        for (var i = 0; i < 10; i++) Append(log, Batch(3, 1000));
        var first = Assert.IsType<PartitionLog.CleaningPlan>(log.PlanCleaning(nowMs: 2000));
        log.ApplyCleaned(new LogCleaned(first.EndOffset, first.Segments.Select(s => new SegmentSize(s.BaseOffset, s.Bytes)).ToArray()), ++_seq);
        Append(log, Batch(3, 1000));
        Append(log, Batch(3, 1000)); // one new dirty segment: far below a 0.9 dirty ratio
        Assert.InRange(log.DirtyRatio(2000), 0.01, 0.5);
        Assert.Null(log.PlanCleaning(nowMs: 2000));
        // Its records (t=1000) have waited longer than max.compaction.lag.ms.
        Assert.NotNull(log.PlanCleaning(nowMs: 1000 + 60_001));
    }

    [Fact]
    public void A_compacted_topic_refuses_records_without_a_key()
    {
        var log = NewLog(new() { ["cleanup.policy"] = "compact" });
        var b = new RecordBatchBuilder(CompressionType.None);
        b.Append(1000, null, new byte[10]);
        var refused = Assert.IsType<PartitionLog.AppendDecision.Rejected>(log.PrepareAppend(b.Build(), 1, 0));
        Assert.Equal(ErrorCode.InvalidRecord, refused.Error);
        Assert.Contains("needs a key", refused.Message);
    }

    [Fact]
    public void Recovery_accepts_the_gaps_compaction_leaves_and_a_journal_whose_first_events_retention_deleted()
    {
        var log = NewLog(new() { ["cleanup.policy"] = "compact" });
        var first = Batch(3, 1000);
        RecordBatch.SetBaseOffset(first, 40); // events below were deleted: the log starts here
        Assert.Null(log.Recover(first, 5, 0));
        var second = Batch(2, 1000);
        RecordBatch.SetBaseOffset(second, 50); // 43..49 were cleaned away
        Assert.Null(log.Recover(second, 6, 0));
        Assert.Equal(40, log.LogStartOffset);
        Assert.Equal(52, log.DurableEnd);
        var overlapping = Batch(1, 1000);
        RecordBatch.SetBaseOffset(overlapping, 51);
        var problem = log.Recover(overlapping, 7, 0);
        Assert.NotNull(problem);
        Assert.False(problem.Applied);
        Assert.Equal(52, problem.Offset);
        Assert.Equal(52, log.DurableEnd);
    }

    // ---- DeleteRecords ----

    [Theory]
    [InlineData("delete")]
    [InlineData("compact,delete")]
    public void Records_deleted_mid_segment_move_the_log_start_there_and_the_next_retention_check_drops_the_segments_wholly_below(string policy)
    {
        var log = NewLog(new() { ["segment.bytes"] = "1000", ["cleanup.policy"] = policy, ["retention.ms"] = "-1" });
        for (var i = 0; i < 10; i++) Append(log, Batch(3, 1000)); // segments at 0, 6, 12, 18, 24
        log.ApplyRecordsDeleted(new RecordsDeleted(14), ++_seq);

        Assert.Equal(14, log.LogStartOffset);
        Assert.Equal(ErrorCode.OffsetOutOfRange, Assert.IsType<PartitionLog.FetchPlan.Error>(log.PlanFetch(13, 1 << 20)).Code);
        Assert.IsNotType<PartitionLog.FetchPlan.Error>(log.PlanFetch(14, 1 << 20));
        Assert.Equal([0L, 6, 12, 18, 24], log.Segments.Select(s => s.BaseOffset));

        // The segment holding offset 14 stays (its later records are still read); the two before it go.
        var plan = Assert.IsType<LogStartAdvanced>(log.PlanRetention(nowMs: 2000));
        Assert.Equal(12, plan.Offset);
        log.ApplyLogStart(plan, ++_seq);
        Assert.Equal([12L, 18, 24], log.Segments.Select(s => s.BaseOffset));
        Assert.Equal(14, log.LogStartOffset);
        Assert.IsNotType<PartitionLog.FetchPlan.Error>(log.PlanFetch(14, 1 << 20));
        Assert.Null(log.PlanRetention(nowMs: 2000));
    }

    [Fact]
    public void Records_deleted_never_move_the_log_start_back_nor_past_the_log_end()
    {
        var log = NewLog(new() { ["segment.bytes"] = "1000" });
        for (var i = 0; i < 4; i++) Append(log, Batch(3, 1000));
        log.ApplyRecordsDeleted(new RecordsDeleted(7), ++_seq);
        log.ApplyRecordsDeleted(new RecordsDeleted(3), ++_seq);
        Assert.Equal(7, log.LogStartOffset);
        log.ApplyRecordsDeleted(new RecordsDeleted(100), ++_seq);
        Assert.Equal(12, log.LogStartOffset);
        Assert.Equal(12, log.HighWatermark);
    }
}

/// <summary>log.cleaner.io.max.bytes.per.second: the cleaner waits once it has moved more than the budget allows.</summary>
public class CleanerThrottlerTests
{
    [Fact]
    public void The_cleaner_waits_until_its_bytes_fit_the_budget()
    {
        var throttler = new CleanerThrottler(1_000_000);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        throttler.Throttle(150_000, CancellationToken.None);
        throttler.Throttle(150_000, CancellationToken.None);
        // 300 kB at 1 MB/s take at least 0.3 s, whatever the machine's speed.
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290), $"took {watch.ElapsedMilliseconds} ms");
    }

}
