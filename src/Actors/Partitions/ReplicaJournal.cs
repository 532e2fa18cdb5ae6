using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// What each journaled event does to a replica, with no actor or I/O: the one function that applies an event, whether
/// recovery replays it or it has just been written, so a replica after a restart is the replica before it. It also keeps
/// what the journal says about the replica beyond its log: what fences it (<see cref="Fencing"/>) and where its log
/// stops being trustworthy (corruption found in recovery or by a read), which it reports to the controller once per
/// recovery and once per role.
/// </summary>
public sealed class ReplicaJournal
{
    private readonly PartitionLog _log;
    private readonly LogMaintenance _maintenance;
    private readonly int _brokerId;
    private bool _corruptionReported;
    // The journal event from which recovery left batches out because one did not continue the log (-1: none); the
    // cut is journaled when recovery completes.
    private long _recoverySkipsFromSequenceNr = -1;

    public ReplicaJournal(PartitionLog log, LogMaintenance maintenance, int brokerId)
    {
        _log = log;
        _maintenance = maintenance;
        _brokerId = brokerId;
    }

    /// <summary>The highest epochs this replica accepted, as journaled.</summary>
    public ReplicaLeadership.Fencing Fencing { get; private set; } = ReplicaLeadership.Fencing.Initial;

    /// <summary>The offset from which the log is not trusted (-1: it is), repaired from the leader when following.</summary>
    public long CorruptFrom { get; private set; } = -1;

    /// <summary>Recovery starts from a snapshot taken at <paramref name="sequenceNr"/>.</summary>
    public void SnapshotOffered(PartitionSnapshot snapshot, long sequenceNr)
    {
        _log.Restore(snapshot, sequenceNr);
        Fencing = new ReplicaLeadership.Fencing(snapshot.ControllerEpoch, snapshot.LeaderEpoch, snapshot.PartitionEpoch);
        _maintenance.SnapshotRecovered(sequenceNr);
    }

    /// <summary>The snapshot of the log with what fences the replica.</summary>
    public PartitionSnapshot ToSnapshot(long nowMs, long producerIdExpirationMs) =>
        _log.ToSnapshot(nowMs, producerIdExpirationMs) with
        {
            ControllerEpoch = Fencing.ControllerEpoch, LeaderEpoch = Fencing.LeaderEpoch, PartitionEpoch = Fencing.PartitionEpoch,
        };

    /// <summary>
    /// Applies event <paramref name="sequenceNr"/>: replayed in recovery (<paramref name="replaying"/>) or just written.
    /// The two differ only where noted: a replayed batch is checked (it may be corrupt), a written one was checked before
    /// it was written; metrics and log lines about a change are for changes made now.
    /// </summary>
    public void Apply(object e, long sequenceNr, long nowMs, bool replaying, ReplicaEffects fx)
    {
        _maintenance.EventJournaled();
        switch (e)
        {
            case BatchAppended b when replaying:
                // After a batch that did not continue the log, the rest cannot be placed either (the cut is journaled at the end of recovery).
                if (_recoverySkipsFromSequenceNr >= 0 || _log.Recover(b.Batch, sequenceNr, nowMs) is not { } problem) break;
                fx.Add(new ReplicaEffect.Log(Akka.Event.LogLevel.ErrorLevel,
                    $"{problem.Message}: the log is trusted only below offset {problem.Offset} and is repaired from the leader"));
                NoteCorruption(problem.Offset);
                if (!problem.Applied) _recoverySkipsFromSequenceNr = sequenceNr;
                break;
            case BatchAppended b:
                _log.OnPersisted(b.Batch, sequenceNr);
                break;
            case LogTruncated t:
                // A truncation past what recovery could place cut nothing of it; one below it ends the skipping.
                if (_recoverySkipsFromSequenceNr >= 0 && t.Offset > _log.LogEndOffset) break;
                _recoverySkipsFromSequenceNr = -1;
                var endBefore = _log.LogEndOffset;
                _log.ApplyTruncation(t, sequenceNr);
                // The cut (or a follower's repair) dealt with corruption at or above it.
                if (CorruptFrom >= t.Offset) CorruptFrom = -1;
                _maintenance.HighWatermarkLowered();
                if (replaying) break;
                BrokerMetrics.LogTruncations.Add(1);
                fx.Warning($"truncated the log from offset {endBefore} back to {t.Offset}");
                break;
            case LogReset r:
                ForgetCorruption();
                _log.ApplyReset(r, sequenceNr);
                _maintenance.HighWatermarkLowered();
                _maintenance.LogStartMoved(sequenceNr);
                if (!replaying) _maintenance.PublishExtent(nowMs);
                break;
            case LogStartAdvanced start when replaying:
                if (_recoverySkipsFromSequenceNr >= 0 && start.Offset > _log.LogEndOffset) break;
                _log.ApplyLogStart(start, sequenceNr);
                // Events below the new start may still be in the journal (no snapshot held it yet): take one soon.
                _maintenance.LogStartMoved(sequenceNr);
                break;
            case LogStartAdvanced start:
                var (previousStart, segments) = (_log.LogStartOffset, _log.Segments.Count(x => x.BaseOffset < start.Offset));
                _log.ApplyLogStart(start, sequenceNr);
                _maintenance.RetentionApplied(start, sequenceNr, previousStart, segments, nowMs, fx);
                // Long polls parked below the new start are answered now (with OFFSET_OUT_OF_RANGE).
                fx.Add(new ReplicaEffect.WakeParkedFetches());
                break;
            case RecordsDeleted deleted when replaying:
                if (_recoverySkipsFromSequenceNr >= 0 && deleted.Offset > _log.LogEndOffset) break;
                _log.ApplyRecordsDeleted(deleted, sequenceNr);
                break;
            case RecordsDeleted deleted:
                var before = _log.LogStartOffset;
                _log.ApplyRecordsDeleted(deleted, sequenceNr);
                if (_log.LogStartOffset > before) fx.Info($"records below offset {_log.LogStartOffset} deleted (the log started at {before})");
                _maintenance.PublishExtent(nowMs);
                // Long polls parked below the new start are answered now (with OFFSET_OUT_OF_RANGE).
                fx.Add(new ReplicaEffect.WakeParkedFetches());
                break;
            case LogCleaned cleaned:
                _log.ApplyCleaned(cleaned, sequenceNr);
                if (!replaying) _maintenance.CleaningApplied(nowMs);
                break;
            case HighWatermarkCheckpointed checkpoint:
                if (replaying) _log.RestoreHighWatermark(checkpoint.Offset, sequenceNr);
                else _log.NoteEvent(sequenceNr);
                _maintenance.HighWatermarkCheckpointed(checkpoint.Offset);
                break;
            case PartitionConfigured c:
                _log.ApplyConfig(c.Config, sequenceNr);
                break;
            case LeadershipAccepted accepted:
                Fencing = ReplicaLeadership.Fencing.Of(accepted);
                _log.NoteEvent(sequenceNr);
                break;
            case PartitionDeleted:
                _log.ApplyDeleted(sequenceNr);
                // A deleted topic's name may be created again, from leader epoch 0; controller epochs still only grow.
                Fencing = ReplicaLeadership.Fencing.Initial with { ControllerEpoch = Fencing.ControllerEpoch };
                ForgetCorruption();
                break;
            default:
                throw new InvalidOperationException($"{_log.TopicPartition}: no way to apply {e.GetType().Name}");
        }
    }

    /// <summary>
    /// Recovery is over. Batches it had to leave out are cut from the log by a journaled truncation before any command
    /// runs, so every later read and recovery skips them; corruption is reported now, whatever role comes next, so the
    /// controller takes this replica out of the ISR before it can be elected with records missing that it may have
    /// acknowledged.
    /// </summary>
    public void RecoveryCompleted(ReplicaEffects fx)
    {
        _corruptionReported = false;
        ReportCorruption(fx);
        if (_recoverySkipsFromSequenceNr >= 0)
            fx.Add(new ReplicaEffect.Persist([new LogTruncated(_log.LogEndOffset, _log.LogBytes, _recoverySkipsFromSequenceNr)]));
    }

    /// <summary>A read found the log corrupt from <paramref name="offset"/>.</summary>
    public void CorruptionFound(long offset, ReplicaEffects fx)
    {
        NoteCorruption(offset);
        ReportCorruption(fx);
    }

    /// <summary>The replica took another role: corruption it knows of is reported again under it.</summary>
    public void RoleChanged() => _corruptionReported = false;

    /// <summary>
    /// Tells the controller, once per recovery and once per role, that this log is corrupt: it takes the replica out of
    /// the ISR and, if it leads and another in-sync replica is live, moves leadership there; as a follower the replica
    /// then cuts its log back and fetches the rest again.
    /// </summary>
    public void ReportCorruption(ReplicaEffects fx)
    {
        if (CorruptFrom < 0 || _corruptionReported) return;
        _corruptionReported = true;
        BrokerMetrics.CorruptLogs.Add(1);
        fx.Add(new ReplicaEffect.Log(Akka.Event.LogLevel.ErrorLevel,
            $"the log is corrupt from offset {CorruptFrom}: asking the controller to take this replica out of the in-sync replicas"));
        fx.Add(new ReplicaEffect.TellController(new ReplicaLogCorrupted(_log.TopicPartition, _brokerId, CorruptFrom)));
    }

    private void NoteCorruption(long offset) => CorruptFrom = CorruptFrom < 0 ? offset : Math.Min(CorruptFrom, offset);

    /// <summary>The log that held the corruption is gone (deleted, or reset to the leader's log start).</summary>
    private void ForgetCorruption()
    {
        CorruptFrom = -1;
        _recoverySkipsFromSequenceNr = -1;
        _corruptionReported = false;
    }
}
