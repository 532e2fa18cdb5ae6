using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Partitions;

/// <summary>
/// The one apply function for journaled events: a replica rebuilt by replaying its journal is the replica that wrote
/// it, recovery finds and cuts what does not continue the log, and corruption is reported once per recovery and role.
/// </summary>
public class ReplicaJournalTests
{
    private const long Now = 10_000_000;

    private static ReplicaEffects Fx() => new();

    private static (TestLog Log, ReplicaJournal Journal) Make()
    {
        var t = new TestLog("akkabroker.broker.broker.id = 1");
        var maintenance = new LogMaintenance(t.Log, t.Broker.LogCleaner, t.Broker.Partition.SnapshotIntervalEvents);
        return (t, new ReplicaJournal(t.Log, maintenance, 1));
    }

    /// <summary>A fresh replica's log and journal on the same settings, as a restart finds them.</summary>
    private static (TestLog Log, ReplicaJournal Journal) Replay(IEnumerable<(long SequenceNr, object Event)> events)
    {
        var (t, journal) = Make();
        foreach (var (seq, e) in events) journal.Apply(e, seq, Now, replaying: true, Fx());
        return (t, journal);
    }

    [Fact]
    public void A_replay_of_what_was_written_gives_the_same_log_high_watermark_and_fencing()
    {
        var (t, journal) = Make();
        var written = new List<(long, object)>();
        void Write(object e)
        {
            var seq = t.LastSequenceNr + written.Count + 1;
            written.Add((seq, e));
            journal.Apply(e, seq, Now, replaying: false, Fx());
        }
        var source = new TestLog();
        source.Append(5);
        source.Append(5);
        source.Append(5);
        Write(new LeadershipAccepted(3, 2, 7));
        foreach (var (_, batch) in source.Journal) Write(new BatchAppended(batch));
        t.Log.AdvanceHighWatermark(10);
        Write(new HighWatermarkCheckpointed(10));
        Write(new LogStartAdvanced(5, written[2].Item1));

        var (replayed, again) = Replay(written);
        Assert.Equal((t.Log.LogStartOffset, t.Log.DurableEnd, t.Log.HighWatermark), (replayed.Log.LogStartOffset, replayed.Log.DurableEnd, replayed.Log.HighWatermark));
        Assert.Equal((5L, 15L, 10L), (replayed.Log.LogStartOffset, replayed.Log.DurableEnd, replayed.Log.HighWatermark));
        Assert.Equal(journal.Fencing, again.Fencing);
        Assert.Equal(new ReplicaLeadership.Fencing(3, 2, 7), again.Fencing);
        Assert.Equal(-1, again.CorruptFrom);
    }

    [Fact]
    public void Recovery_leaves_out_a_batch_that_does_not_continue_the_log_and_everything_after_it_then_cuts_and_reports_there()
    {
        var source = new TestLog();
        for (var i = 0; i < 4; i++) source.Append(5);
        var j = source.Journal;
        // The third event holds the first batch again: its base offset (0) does not continue the log at 10.
        var (t, journal) = Replay([(2, new BatchAppended(j[0].Batch)), (3, new BatchAppended(j[1].Batch)), (4, new BatchAppended(j[0].Batch)),
            (5, new BatchAppended(j[3].Batch))]);
        Assert.Equal(10, t.Log.LogEndOffset);
        Assert.Equal(10, journal.CorruptFrom);

        var fx = Fx();
        journal.RecoveryCompleted(fx);
        var report = Assert.IsType<ReplicaLogCorrupted>(Assert.Single(fx.Of<ReplicaEffect.TellController>()).Message);
        Assert.Equal((TestLog.Tp, 1, 10L), (report.TopicPartition, report.BrokerId, report.Offset));
        var cut = Assert.IsType<LogTruncated>(Assert.Single(Assert.Single(fx.Of<ReplicaEffect.Persist>()).Events));
        Assert.Equal((10L, 4L), (cut.Offset, cut.FirstDeadSequenceNr));

        // Once the cut is written the log is whole again below it: nothing more to report or repair.
        journal.Apply(cut, 6, Now, replaying: false, Fx());
        Assert.Equal(-1, journal.CorruptFrom);
        fx = Fx();
        journal.RoleChanged();
        journal.ReportCorruption(fx);
        Assert.Empty(fx.All);
    }

    [Fact]
    public void A_later_recovery_replays_the_cut_and_places_the_batches_after_it()
    {
        var source = new TestLog();
        for (var i = 0; i < 3; i++) source.Append(5);
        var j = source.Journal;
        (long, object)[] damaged = [(2, new BatchAppended(j[0].Batch)), (3, new BatchAppended(j[1].Batch)), (4, new BatchAppended(j[0].Batch))];
        var fx = Fx();
        Replay(damaged).Journal.RecoveryCompleted(fx);
        var cut = Assert.IsType<LogTruncated>(Assert.Single(Assert.Single(fx.Of<ReplicaEffect.Persist>()).Events));

        // As journaled since: the cut, then the batch fetched from the leader again.
        var (t, journal) = Replay([.. damaged, (5, cut), (6, new BatchAppended(j[2].Batch))]);
        Assert.Equal(15, t.Log.LogEndOffset);
        Assert.Equal(-1, journal.CorruptFrom);
        fx = Fx();
        journal.RecoveryCompleted(fx);
        Assert.Empty(fx.All);
    }

    [Fact]
    public void Corruption_found_by_a_read_is_reported_once_per_role_at_the_lowest_offset_found()
    {
        var (_, journal) = Make();
        var fx = Fx();
        journal.CorruptionFound(40, fx);
        journal.CorruptionFound(25, fx);
        var report = Assert.IsType<ReplicaLogCorrupted>(Assert.Single(fx.Of<ReplicaEffect.TellController>()).Message);
        Assert.Equal(40, report.Offset);
        Assert.Equal(25, journal.CorruptFrom);

        journal.RoleChanged();
        fx = Fx();
        journal.ReportCorruption(fx);
        Assert.Equal(25, Assert.IsType<ReplicaLogCorrupted>(Assert.Single(fx.Of<ReplicaEffect.TellController>()).Message).Offset);
    }

    [Fact]
    public void A_deleted_partition_forgets_its_corruption_and_leader_epochs_but_not_the_controller_epoch()
    {
        var (_, journal) = Make();
        journal.Apply(new LeadershipAccepted(4, 9, 12), 2, Now, replaying: false, Fx());
        journal.CorruptionFound(3, Fx());
        journal.Apply(new PartitionDeleted(), 3, Now, replaying: false, Fx());
        Assert.Equal(new ReplicaLeadership.Fencing(4, -1, -1), journal.Fencing);
        Assert.Equal(-1, journal.CorruptFrom);
    }

    [Fact]
    public void An_event_the_replica_does_not_journal_is_a_bug_not_something_to_skip()
    {
        var (_, journal) = Make();
        Assert.Throws<InvalidOperationException>(() => journal.Apply("not an event", 2, Now, replaying: true, Fx()));
    }
}
