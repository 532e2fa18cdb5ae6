using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>A replica's housekeeping decisions, with a fake clock: snapshots, retention, cleaning, checkpoints, journal deletion.</summary>
public class LogMaintenanceTests
{
    private const long Now = 10_000_000;

    private static (TestLog Log, LogMaintenance Maintenance) Make(Dictionary<string, string>? topic = null, string broker = "")
    {
        var t = new TestLog("akkabroker.partition.snapshot-interval-events = 3\nakkabroker.broker.log.retention.check.interval.ms = 1000\n" + broker, topic);
        var m = new LogMaintenance(t.Log, t.Broker.LogCleaner, t.Broker.Partition.SnapshotIntervalEvents);
        m.Started(Now);
        return (t, m);
    }

    private static ReplicaEffects Fx() => new();

    /// <summary>A compacted log with whole segments due for cleaning, snapshotted, after the tick that asked the cleaner.</summary>
    private static (TestLog Log, LogMaintenance Maintenance, LogCleaner.CleanLog Request) CompactedLogHandedToTheCleaner()
    {
        var (t, m) = Make(new() { ["cleanup.policy"] = "compact", ["segment.bytes"] = "300", ["min.cleanable.dirty.ratio"] = "0.01", ["min.compaction.lag.ms"] = "0" });
        for (var i = 0; i < 6; i++) t.Append(5);
        t.Log.AdvanceHighWatermark(t.Log.DurableEnd);
        m.SnapshotSaved(t.LastSequenceNr, Fx());
        var fx = Fx();
        m.Tick(Now, t.LastSequenceNr, fx);
        return (t, m, Assert.IsType<LogCleaner.CleanLog>(Assert.Single(fx.Of<ReplicaEffect.TellCleaner>()).Message));
    }

    [Fact]
    public void A_snapshot_is_asked_for_every_snapshot_interval_events_one_at_a_time()
    {
        var (t, m) = Make();
        var fx = Fx();
        for (var i = 0; i < 2; i++) m.EventJournaled();
        m.MaybeSnapshot(t.LastSequenceNr, fx);
        Assert.Empty(fx.Of<ReplicaEffect.SaveSnapshot>());
        m.EventJournaled();
        m.MaybeSnapshot(t.LastSequenceNr, fx);
        Assert.Single(fx.Of<ReplicaEffect.SaveSnapshot>());
        for (var i = 0; i < 3; i++) m.EventJournaled();
        fx = Fx();
        m.MaybeSnapshot(t.LastSequenceNr, fx);
        Assert.Empty(fx.Of<ReplicaEffect.SaveSnapshot>()); // the first is still being saved
        m.SnapshotSaved(t.LastSequenceNr, Fx());
        m.MaybeSnapshot(t.LastSequenceNr, fx);
        Assert.Single(fx.Of<ReplicaEffect.SaveSnapshot>());
    }

    [Fact]
    public void No_snapshot_is_taken_while_a_write_is_in_flight()
    {
        var (t, m) = Make();
        for (var i = 0; i < 3; i++) m.EventJournaled();
        var b = new AkkaBroker.Protocol.Records.RecordBatchBuilder(AkkaBroker.Protocol.Records.CompressionType.None);
        b.Append(1, null, [1]);
        t.Log.PrepareAppend(b.Build(), 1, 0);
        var fx = Fx();
        m.MaybeSnapshot(t.LastSequenceNr, fx);
        Assert.Empty(fx.Of<ReplicaEffect.SaveSnapshot>());
    }

    [Fact]
    public void Retention_journals_a_new_log_start_and_the_journal_below_it_goes_only_after_a_snapshot_holds_it()
    {
        var (t, m) = Make(new() { ["segment.bytes"] = "300", ["retention.bytes"] = "300" });
        for (var i = 0; i < 6; i++) t.Append(5);
        t.Log.AdvanceHighWatermark(t.Log.DurableEnd);
        var fx = Fx();
        m.Tick(Now + 1_000, t.LastSequenceNr, fx);
        var start = Assert.IsType<LogStartAdvanced>(Assert.Single(Assert.Single(fx.Of<ReplicaEffect.Persist>()).Events));
        Assert.True(start.Offset > 0);
        var previous = t.Log.LogStartOffset;
        t.Apply(start);
        fx = Fx();
        m.RetentionApplied(start, t.LastSequenceNr, previous, 1, Now + 1_000, fx);
        Assert.Single(fx.Of<ReplicaEffect.SaveSnapshot>());
        fx = Fx();
        m.SnapshotSaved(t.LastSequenceNr, fx);
        var deleted = Assert.Single(fx.Of<ReplicaEffect.DeleteJournalUpTo>());
        Assert.Equal(t.Log.FirstLiveSequenceNr - 1, deleted.SequenceNr);
        Assert.Equal(t.LastSequenceNr - 1, Assert.Single(fx.Of<ReplicaEffect.DeleteSnapshotsUpTo>()).SequenceNr);
    }

    [Fact]
    public void A_snapshot_older_than_the_new_log_start_deletes_no_journal_events()
    {
        var (t, m) = Make();
        m.LogStartMoved(50);
        var fx = Fx();
        m.SnapshotSaved(40, fx);
        Assert.Empty(fx.Of<ReplicaEffect.DeleteJournalUpTo>());
    }

    [Fact]
    public void A_compacted_log_due_for_cleaning_is_handed_to_the_cleaner_and_a_late_answer_after_a_truncation_is_ignored()
    {
        var (t, m, clean) = CompactedLogHandedToTheCleaner();
        var fx = Fx();
        m.Tick(Now + 1, t.LastSequenceNr, fx);
        Assert.Empty(fx.Of<ReplicaEffect.TellCleaner>()); // one cleaning at a time
        m.AbandonCleaning();
        fx = Fx();
        m.Cleaned(new LogCleaner.Cleaned(TestLog.Tp, 10, [], new LogCleaner.CleaningStats(0, 0, 0, 0, 0, 0, TimeSpan.Zero), clean.CleaningId), fx);
        Assert.Empty(fx.All);
    }

    [Fact]
    public void A_failed_cleaning_waits_twenty_backoffs_before_the_next_try()
    {
        var (t, m, clean) = CompactedLogHandedToTheCleaner();
        m.CleaningFailed(new LogCleaner.CleaningFailed(TestLog.Tp, "unreadable", clean.CleaningId), Now);
        var backoff = 20 * t.Broker.LogCleaner.CleanerBackoffMs;
        var fx = Fx();
        m.Tick(Now + backoff - 1, t.LastSequenceNr, fx);
        Assert.Empty(fx.Of<ReplicaEffect.TellCleaner>());
        fx = Fx();
        m.Tick(Now + backoff, t.LastSequenceNr, fx);
        Assert.Single(fx.Of<ReplicaEffect.TellCleaner>());
    }

    [Fact]
    public void The_high_watermark_is_checkpointed_only_when_it_moved()
    {
        var (t, m) = Make();
        var fx = Fx();
        m.CheckpointDue(fx);
        Assert.Empty(fx.All);
        t.Append(3);
        t.Log.AdvanceHighWatermark(3);
        m.CheckpointDue(fx);
        var persist = Assert.Single(fx.Of<ReplicaEffect.Persist>());
        Assert.True(persist.Async);
        Assert.Equal(new HighWatermarkCheckpointed(3), Assert.Single(persist.Events));
        m.HighWatermarkCheckpointed(3);
        fx = Fx();
        m.CheckpointDue(fx);
        Assert.Empty(fx.All);
    }

    [Fact]
    public void After_a_truncation_lowered_the_high_watermark_the_next_rise_is_checkpointed_again()
    {
        var (t, m) = Make();
        t.Append(2);
        t.Append(2);
        t.Log.AdvanceHighWatermark(4);
        m.HighWatermarkCheckpointed(4);
        t.Apply(t.Log.DecideTruncation(t.Journal, 2)!);
        m.HighWatermarkLowered();
        t.Append(1);
        t.Log.AdvanceHighWatermark(3);
        var fx = Fx();
        m.CheckpointDue(fx);
        Assert.Equal(new HighWatermarkCheckpointed(3), Assert.Single(Assert.Single(fx.Of<ReplicaEffect.Persist>()).Events));
    }
}
