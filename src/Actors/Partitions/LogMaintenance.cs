using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// A replica's housekeeping, with no actor or I/O: when to snapshot, retention (<c>cleanup.policy=delete</c>), handing
/// compaction to the broker's <see cref="LogCleaner"/>, high-watermark checkpoints, and deleting journal events no
/// recovery needs. The order that keeps recovery safe: a new log start is journaled, then a snapshot that holds it is
/// saved, and only then are the journal events below it deleted, never past that snapshot.
/// </summary>
public sealed class LogMaintenance
{
    private static readonly long CleanerSilenceMs = (long)TimeSpan.FromMinutes(30).TotalMilliseconds;

    private readonly PartitionLog _log;
    private readonly LogCleanerSettings _cleaner;
    private readonly int _snapshotIntervalEvents;
    private long _eventsSinceSnapshot;
    private long _snapshotInProgress = -1;
    private bool _snapshotWanted;
    // The latest saved snapshot's event: cleaning stays below it (see PartitionLog.PlanCleaning).
    private long _snapshotSequenceNr;
    private long _logStartSequenceNr = -1;
    private long _journalDeletedTo;
    private long _lastRetentionCheckMs;
    private bool _cleaning;
    // Names the cleaning in flight; a reset, truncation or deletion of the log moves it on, so a late answer is ignored.
    private long _cleaningId;
    private long _cleaningSinceMs;
    // After a failed cleaning (say, a batch that cannot be read), the next try waits longer than the usual backoff.
    private long _cleaningRetryAtMs;
    private long _checkpointedHighWatermark;

    public LogMaintenance(PartitionLog log, LogCleanerSettings cleaner, int snapshotIntervalEvents)
    {
        _log = log;
        _cleaner = cleaner;
        _snapshotIntervalEvents = snapshotIntervalEvents;
    }

    /// <summary>How often <see cref="Tick"/> is due.</summary>
    public TimeSpan TickInterval => TimeSpan.FromMilliseconds(Math.Min(_cleaner.CleanerBackoffMs, _cleaner.RetentionCheckIntervalMs));

    // ------------------------------------------------------------ recovery and journal bookkeeping

    /// <summary>Recovery started from a snapshot taken at <paramref name="sequenceNr"/>.</summary>
    public void SnapshotRecovered(long sequenceNr)
    {
        _snapshotSequenceNr = sequenceNr;
        _checkpointedHighWatermark = _log.HighWatermark;
    }

    /// <summary>An event was journaled (or replayed); every event counts towards the next snapshot.</summary>
    public void EventJournaled() => _eventsSinceSnapshot++;

    /// <summary>The log start moved (retention, a reset): events below it may be deleted once a snapshot holds it.</summary>
    public void LogStartMoved(long sequenceNr)
    {
        _logStartSequenceNr = sequenceNr;
        _snapshotWanted = true;
    }

    public void HighWatermarkCheckpointed(long offset) => _checkpointedHighWatermark = Math.Max(_checkpointedHighWatermark, offset);

    /// <summary>
    /// A truncation or reset may have lowered the high watermark: the next checkpoint is due as soon as it moves again,
    /// so that a restart never finds a checkpoint above the log it recovers.
    /// </summary>
    public void HighWatermarkLowered() => _checkpointedHighWatermark = Math.Min(_checkpointedHighWatermark, _log.HighWatermark);

    /// <summary>The log was emptied for good (the topic was deleted).</summary>
    public void LogDeleted()
    {
        AbandonCleaning();
        _checkpointedHighWatermark = 0;
    }

    /// <summary>The log changed under a cleaning in flight (reset, truncated, deleted): its answer will be about another log.</summary>
    public void AbandonCleaning()
    {
        _cleaningId++;
        _cleaning = false;
    }

    public void Started(long nowMs)
    {
        _lastRetentionCheckMs = nowMs;
        PublishExtent(nowMs);
    }

    // ------------------------------------------------------------ decisions

    /// <summary>Asks for a snapshot when enough events were journaled or one is wanted, and none is being saved or could miss a write in flight.</summary>
    public void MaybeSnapshot(long lastSequenceNr, ReplicaEffects fx)
    {
        if ((_eventsSinceSnapshot < _snapshotIntervalEvents && !_snapshotWanted) || _snapshotInProgress >= 0 || _log.HasPendingWrites) return;
        _snapshotInProgress = lastSequenceNr;
        _eventsSinceSnapshot = 0;
        _snapshotWanted = false;
        fx.Add(new ReplicaEffect.SaveSnapshot());
    }

    /// <summary>The periodic check: metrics, a wanted snapshot, retention, and cleaning.</summary>
    public void Tick(long nowMs, long lastSequenceNr, ReplicaEffects fx)
    {
        if (!_log.Exists) return;
        PublishExtent(nowMs);
        // A snapshot wanted for a retention that came while writes were in flight.
        MaybeSnapshot(lastSequenceNr, fx);
        if (nowMs - _lastRetentionCheckMs >= _cleaner.RetentionCheckIntervalMs)
        {
            _lastRetentionCheckMs = nowMs;
            if (_log.PlanRetention(nowMs) is { } retention) fx.Add(new ReplicaEffect.Persist([retention]));
        }
        if (_cleaning && nowMs - _cleaningSinceMs > CleanerSilenceMs)
        {
            fx.Warning("the log cleaner has not answered for 30 minutes; asking again");
            AbandonCleaning();
        }
        if (_cleaning || !_cleaner.CleanerEnable || nowMs < _cleaningRetryAtMs || _log.Config is not { } config) return;
        var plan = _log.PlanCleaning(nowMs, _snapshotSequenceNr);
        // Segments past the latest snapshot are due too: a snapshot lets the next check clean them.
        if (_log.PlanCleaning(nowMs) is { } full && full.EndOffset > (plan?.EndOffset ?? -1))
        {
            _snapshotWanted = true;
            MaybeSnapshot(lastSequenceNr, fx);
        }
        if (plan == null) return;
        _cleaning = true;
        _cleaningSinceMs = nowMs;
        var horizon = config.DeleteRetentionMs >= nowMs ? long.MinValue : nowMs - config.DeleteRetentionMs;
        fx.Add(new ReplicaEffect.TellCleaner(new LogCleaner.CleanLog(_log.TopicPartition, PersistenceIdOf(_log), plan, horizon, ++_cleaningId)));
    }

    /// <summary>Journals the high watermark when it moved since the last checkpoint (Kafka's replication-offset-checkpoint).</summary>
    public void CheckpointDue(ReplicaEffects fx)
    {
        if (_log.Exists && _log.HighWatermark > _checkpointedHighWatermark)
            fx.Add(new ReplicaEffect.Persist([new HighWatermarkCheckpointed(_log.HighWatermark)], Async: true));
    }

    /// <summary>A retention's new log start was journaled and applied (<paramref name="segments"/> segments went).</summary>
    public void RetentionApplied(LogStartAdvanced e, long sequenceNr, long previousStart, int segments, long nowMs, ReplicaEffects fx)
    {
        LogStartMoved(sequenceNr);
        BrokerMetrics.RetentionDeletedSegments.Add(segments);
        fx.Info($"retention removed {segments} segment(s): the log starts at {_log.LogStartOffset} (was {previousStart}), {_log.SizeBytes} bytes left");
        PublishExtent(nowMs);
        MaybeSnapshot(sequenceNr, fx);
    }

    /// <summary>The cleaner finished: its result is journaled, unless the log changed since it was asked.</summary>
    public void Cleaned(LogCleaner.Cleaned cleaned, ReplicaEffects fx)
    {
        if (cleaned.CleaningId != _cleaningId) return;
        fx.Add(new ReplicaEffect.Persist([new LogCleaned(cleaned.CleanedUpTo, cleaned.SegmentBytes)]));
    }

    /// <summary>The cleaning's result is journaled and applied.</summary>
    public void CleaningApplied(long nowMs)
    {
        _cleaning = false;
        PublishExtent(nowMs);
    }

    public void CleaningFailed(LogCleaner.CleaningFailed failed, long nowMs)
    {
        if (failed.CleaningId != _cleaningId) return;
        _cleaning = false;
        _cleaningRetryAtMs = nowMs + 20 * _cleaner.CleanerBackoffMs;
    }

    /// <summary>A snapshot was saved: older ones go, and the journal below the log start (never past this snapshot).</summary>
    public void SnapshotSaved(long sequenceNr, ReplicaEffects fx)
    {
        _snapshotInProgress = -1;
        // A snapshot that finished after the partition was deleted must not resurrect the old log.
        fx.Add(new ReplicaEffect.DeleteSnapshotsUpTo(_log.Deleted ? long.MaxValue : sequenceNr - 1));
        if (_log.Deleted) return;
        _snapshotSequenceNr = sequenceNr;
        if (_logStartSequenceNr < 0 || sequenceNr < _logStartSequenceNr) return;
        // Later events (a config change, a truncation) are needed by recovery.
        var upTo = Math.Min(_log.FirstLiveSequenceNr - 1, sequenceNr);
        if (upTo <= _journalDeletedTo) return;
        _journalDeletedTo = upTo;
        fx.Add(new ReplicaEffect.DeleteJournalUpTo(upTo));
    }

    public void SnapshotFailed() => _snapshotInProgress = -1;

    /// <summary>Deleting journal events failed: the space is reclaimed after the next retention.</summary>
    public void JournalDeletionFailed(long toSequenceNr) => _journalDeletedTo = Math.Min(_journalDeletedTo, toSequenceNr - 1);

    /// <summary>The log's size, dirty ratio and start, as metrics.</summary>
    public void PublishExtent(long nowMs) => BrokerMetrics.SetLogExtent(_log.TopicPartition, _log.SizeBytes, _log.DirtyRatio(nowMs), _log.LogStartOffset);

    private static string PersistenceIdOf(PartitionLog log) => PartitionReplica.PersistenceIdFor(log.TopicPartition);
}
