using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Topics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// The state and rules of one partition replica's log, with no actor and no I/O, so every rule is testable with exact
/// results. The actor persists what <see cref="PrepareAppend"/> accepts and reports back with <see cref="OnPersisted"/>.
/// <para>
/// Offsets are assigned when a batch is accepted (<see cref="LogEndOffset"/>); batches the journal has confirmed end at
/// <see cref="DurableEnd"/>, which is what followers copy and report; consumers see only what is below the
/// <see cref="HighWatermark"/>, which the replica's leader moves once every in-sync replica has it, so a consumer never
/// sees a record that a crash could still take away. A follower's log is cut back (<see cref="ApplyTruncation"/>) to
/// where it agrees with its leader's: journal events that a truncation removed are skipped by every later read. Memory is bounded by configuration: a sparse offset index (one entry per
/// <c>log.index.interval.bytes</c>), the producer table and the tail cache; the batches themselves live in the journal.
/// </para>
/// </summary>
public sealed class PartitionLog
{
    private readonly int _indexIntervalBytes;
    private readonly List<OffsetIndexEntry> _index = new();
    private long _bytesSinceIndexEntry;
    private readonly List<LeaderEpochEntry> _epochs = new();
    private readonly List<SequenceRange> _deadRanges = new();
    private readonly List<LogSegmentInfo> _segments = new();

    public PartitionLog(TopicPartition topicPartition, BrokerSettings settings)
    {
        TopicPartition = topicPartition;
        _indexIntervalBytes = settings.IndexIntervalBytes;
        Settings = settings.Partition;
        Cache = new TailCache(settings.Partition.TailCacheBytes);
    }

    public TopicPartition TopicPartition { get; }
    public PartitionSettings Settings { get; }
    public TailCache Cache { get; }
    public ProducerStateTable Producers { get; } = new();

    public IReadOnlyDictionary<string, string>? ConfigMap { get; private set; }
    public TopicConfig? Config { get; private set; }
    public bool Deleted { get; private set; }
    public bool Exists => Config != null && !Deleted;

    public long LogStartOffset { get; private set; }
    /// <summary>Next offset to assign; includes batches still being written.</summary>
    public long LogEndOffset { get; private set; }
    /// <summary>End of what the journal has confirmed: what this replica has, and what a follower reports to its leader.</summary>
    public long DurableEnd { get; private set; }
    /// <summary>Consumers see offsets below it: every in-sync replica has them. Never above <see cref="DurableEnd"/>.</summary>
    public long HighWatermark { get; private set; }
    /// <summary>The leader-epoch cache: the first offset of each leader epoch the log holds, oldest first.</summary>
    public IReadOnlyList<LeaderEpochEntry> LeaderEpochs => _epochs;
    /// <summary>The newest leader epoch in the log, or -1.</summary>
    public int LatestEpoch => _epochs.Count == 0 ? -1 : _epochs[^1].Epoch;
    /// <summary>Bytes of log below the high watermark since the partition was created.</summary>
    public long LogBytes { get; private set; }
    public long MaxTimestamp { get; private set; } = -1;
    /// <summary>Journal sequence number of the newest confirmed event, whatever its kind.</summary>
    public long LastSequenceNr { get; private set; }
    public IReadOnlyList<OffsetIndexEntry> Index => _index;
    /// <summary>The log's segments, oldest first; the last is the active one, which retention and cleaning never touch.</summary>
    public IReadOnlyList<LogSegmentInfo> Segments => _segments;
    /// <summary>Where the log cleaner's last pass ended: records below it were compacted (Kafka's first dirty offset).</summary>
    public long CleanedUpTo { get; private set; }
    /// <summary>Bytes the log holds now (after retention and cleaning), what <c>retention.bytes</c> is compared with.</summary>
    public long SizeBytes
    {
        get
        {
            var total = 0L;
            foreach (var s in _segments) total += s.Bytes;
            return total;
        }
    }
    public bool HasPendingWrites => LogEndOffset != DurableEnd;

    /// <summary>Moves the high watermark up (never down, never past <see cref="DurableEnd"/>); true when it moved.</summary>
    public bool AdvanceHighWatermark(long offset)
    {
        offset = Math.Min(offset, DurableEnd);
        if (offset <= HighWatermark) return false;
        HighWatermark = offset;
        return true;
    }

    /// <summary>An event that does not change the log (say, the replica's fencing epochs) was journaled as <paramref name="sequenceNr"/>.</summary>
    public void NoteEvent(long sequenceNr) => LastSequenceNr = sequenceNr;

    /// <summary>
    /// A journaled high-watermark checkpoint, replayed in recovery: the high watermark is at least there (never past
    /// the log as recovered so far; a later truncation in the journal lowers it again).
    /// </summary>
    public void RestoreHighWatermark(long checkpoint, long sequenceNr)
    {
        AdvanceHighWatermark(checkpoint);
        LastSequenceNr = sequenceNr;
    }

    /// <summary>Records that a leader epoch starts at <paramref name="startOffset"/> (a new leader, or a batch of a newer epoch).</summary>
    public void AssignEpoch(int epoch, long startOffset)
    {
        if (epoch < 0 || epoch <= LatestEpoch) return;
        _epochs.Add(new LeaderEpochEntry(epoch, startOffset));
    }

    /// <summary>
    /// Kafka's OffsetsForLeaderEpoch on this log: the largest epoch at or below <paramref name="epoch"/> and the offset
    /// where it ends (the start of the next epoch, or the log end for the newest); (-1, -1) when the log has none.
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetForEpoch(int epoch)
    {
        for (var i = _epochs.Count - 1; i >= 0; i--)
            if (_epochs[i].Epoch <= epoch)
                return (_epochs[i].Epoch, i == _epochs.Count - 1 ? LogEndOffset : _epochs[i + 1].StartOffset);
        return (-1, -1);
    }

    public void ApplyConfig(IReadOnlyDictionary<string, string> config, long sequenceNr)
    {
        ConfigMap = config;
        Config = TopicConfig.FromMap(config);
        Deleted = false;
        LastSequenceNr = sequenceNr;
    }

    /// <summary>The topic was deleted: the log is gone, and a topic created later with the same name starts empty.</summary>
    public void ApplyDeleted(long sequenceNr)
    {
        Deleted = true;
        LastSequenceNr = sequenceNr;
        LogStartOffset = LogEndOffset = DurableEnd = HighWatermark = LogBytes = CleanedUpTo = 0;
        _epochs.Clear();
        _segments.Clear();
        MaxTimestamp = -1;
        _bytesSinceIndexEntry = 0;
        _index.Clear();
        Cache.Clear();
        Producers.Restore([]);
    }

    /// <summary>The outcome of an append request.</summary>
    public abstract record AppendDecision
    {
        public sealed record Accepted(byte[] Batch, long BaseOffset, long LogAppendTime, int RecordCount) : AppendDecision;
        /// <summary>A retry of a batch already appended; <c>EndOffset</c> is the offset after its last record.</summary>
        public sealed record Duplicate(long BaseOffset, long LogAppendTime, long EndOffset) : AppendDecision;
        public sealed record Rejected(ErrorCode Error, string Message) : AppendDecision;
    }

    /// <summary>
    /// Validates a produced batch and assigns its offsets. On acceptance the returned bytes (base offset and, for
    /// LogAppendTime topics, the timestamp set) are what must be journaled.
    /// </summary>
    /// <param name="leaderEpoch">Stamped on the batch, so followers and later leaders can tell whose epoch wrote it.</param>
    public AppendDecision PrepareAppend(byte[] batch, short acks, long nowMs, int leaderEpoch = -1)
    {
        if (!Exists || Config == null)
            return new AppendDecision.Rejected(ErrorCode.UnknownTopicOrPartition, $"{TopicPartition} does not exist on this broker");
        if (acks is not (0 or 1 or -1))
            return new AppendDecision.Rejected(ErrorCode.InvalidRequiredAcks, $"acks must be 0, 1 or -1 (all), got {acks}");
        if (batch.Length > Config.MaxMessageBytes)
            return new AppendDecision.Rejected(ErrorCode.MessageTooLarge,
                $"the record batch is {batch.Length} bytes, larger than {TopicPartition.Topic}'s max.message.bytes {Config.MaxMessageBytes}; " +
                "raise max.message.bytes on the topic or send smaller records or batches");
        // The records themselves are walked once, below (VisitProducedRecords checks what the length walk would).
        var problem = RecordBatch.Validate(batch, walkRecords: false);
        if (problem != null)
            return new AppendDecision.Rejected(ErrorCode.CorruptMessage, $"{TopicPartition}: {problem}");

        var view = RecordBatch.Wrap(batch);
        if (!view.IsDense)
            return new AppendDecision.Rejected(ErrorCode.CorruptMessage,
                $"{TopicPartition}: a produced batch must hold one record per offset ({view.RecordCount} records for lastOffsetDelta {view.LastOffsetDelta})");
        // Every record is read before it is appended, as Kafka's LogValidator does (compressed batches decompressed,
        // within a bound): records numbered in order and filling the batch, and on a compacted topic each with a key,
        // since compaction keeps the latest record per key and a record without one could never be cleaned.
        bool[] keyed;
        try
        {
            keyed = view.VisitProducedRecords((_, _, _, hasKey, _) => hasKey);
        }
        catch (InvalidDataException e)
        {
            return new AppendDecision.Rejected(ErrorCode.CorruptMessage, $"{TopicPartition}: {e.Message}");
        }
        if (Config.Compacts && keyed.Contains(false))
            return new AppendDecision.Rejected(ErrorCode.InvalidRecord,
                $"{TopicPartition.Topic} is compacted (cleanup.policy={string.Join(",", Config.CleanupPolicy)}): every record needs a key; " +
                "give each record a key, or produce to a topic with cleanup.policy=delete");
        switch (Producers.CheckBatch(view))
        {
            case ProducerStateTable.Check.Refuse r:
                return new AppendDecision.Rejected(r.Error, r.Message);
            case ProducerStateTable.Check.Duplicate d:
                return new AppendDecision.Duplicate(d.Original.BaseOffset, d.Original.LogAppendTime,
                    d.Original.BaseOffset + view.LastOffsetDelta + 1);
        }

        var baseOffset = LogEndOffset;
        RecordBatch.SetBaseOffset(batch, baseOffset);
        if (leaderEpoch >= 0) RecordBatch.SetPartitionLeaderEpoch(batch, leaderEpoch);
        var logAppendTime = -1L;
        if (Config.MessageTimestampType == TimestampType.LogAppendTime)
        {
            logAppendTime = nowMs;
            RecordBatch.SetLogAppendTime(batch, nowMs);
        }
        LogEndOffset = view.NextOffset;
        Producers.OnAppended(view, baseOffset, logAppendTime, nowMs);
        return new AppendDecision.Accepted(batch, baseOffset, logAppendTime, view.RecordCount);
    }

    /// <summary>The journal confirmed <paramref name="batch"/> as event <paramref name="sequenceNr"/>.</summary>
    public void OnPersisted(byte[] batch, long sequenceNr) => OnPersisted(batch, sequenceNr, cache: true);

    private void OnPersisted(byte[] batch, long sequenceNr, bool cache)
    {
        var view = RecordBatch.Wrap(batch);
        var rolled = RollIfDue(view, batch.Length, sequenceNr);
        if (rolled || _index.Count == 0 || _bytesSinceIndexEntry >= _indexIntervalBytes)
        {
            _index.Add(new OffsetIndexEntry(view.BaseOffset, sequenceNr, LogBytes, Math.Max(MaxTimestamp, view.MaxTimestamp)));
            _bytesSinceIndexEntry = 0;
        }
        _bytesSinceIndexEntry += batch.Length;
        MaxTimestamp = Math.Max(MaxTimestamp, view.MaxTimestamp);
        if (cache) Cache.Add(new TailCache.CachedBatch(view.BaseOffset, view.NextOffset, LogBytes, batch, view.MaxTimestamp));
        else Cache.Clear(); // the cache must stay contiguous: newer batches are cached again from here on
        var active = _segments[^1];
        _segments[^1] = active with { Bytes = active.Bytes + batch.Length, MaxTimestamp = Math.Max(active.MaxTimestamp, view.MaxTimestamp) };
        LogBytes += batch.Length;
        DurableEnd = view.NextOffset;
        AssignEpoch(view.PartitionLeaderEpoch, view.BaseOffset);
        LastSequenceNr = sequenceNr;
    }

    /// <summary>
    /// Starts a new active segment with this batch when the current one would pass <c>segment.bytes</c> or the batch is
    /// more than <c>segment.ms</c> newer than the segment's first batch (Kafka rolls on append, by record time, so every
    /// replica of the same batches rolls at the same offsets). Every segment starts with an index entry.
    /// </summary>
    private bool RollIfDue(RecordBatch view, int length, long sequenceNr)
    {
        if (_segments.Count > 0)
        {
            var active = _segments[^1];
            var bySize = active.Bytes > 0 && active.Bytes + length > (Config?.SegmentBytes ?? int.MaxValue);
            var byTime = active.Bytes > 0 && view.MaxTimestamp - active.FirstTimestamp > (Config?.SegmentMs ?? long.MaxValue);
            if (!bySize && !byTime) return false;
        }
        _segments.Add(new LogSegmentInfo(view.BaseOffset, sequenceNr, LogBytes, view.MaxTimestamp, view.MaxTimestamp, 0));
        return true;
    }

    /// <summary>
    /// A follower takes a batch its leader sent: it must continue this log exactly and pass its CRC. Offsets, epoch and
    /// producer sequence come with the batch; the actor journals it and reports back with <see cref="OnPersisted(byte[], long)"/>.
    /// </summary>
    /// <returns>Null when accepted, else why not (the follower then fetches again from its log end).</returns>
    public string? PrepareFollowerAppend(byte[] batch, long nowMs)
    {
        if (!Exists) return $"{TopicPartition} does not exist on this broker";
        if (RecordBatch.Validate(batch) is { } problem) return $"the leader sent a corrupt batch ({problem})";
        var view = RecordBatch.Wrap(batch);
        // A gap is what compaction left on the leader (whole batches cleaned away); an overlap is never right.
        if (view.BaseOffset < LogEndOffset)
            return $"the leader sent a batch at offset {view.BaseOffset}, but this replica's log ends at {LogEndOffset}";
        Producers.OnAppended(view, view.BaseOffset, view.TimestampType == TimestampType.LogAppendTime ? view.MaxTimestamp : -1, nowMs);
        LogEndOffset = view.NextOffset;
        return null;
    }

    /// <summary>Whether journal event <paramref name="sequenceNr"/> still belongs to the log (no truncation removed it).</summary>
    public bool IsLive(long sequenceNr)
    {
        foreach (var r in _deadRanges)
            if (sequenceNr >= r.From && sequenceNr < r.To) return false;
        return true;
    }

    /// <summary>The batches of a journal read that still belong to the log, in order.</summary>
    public IReadOnlyList<byte[]> LiveBatches(IReadOnlyList<(long SequenceNr, byte[] Batch)> events)
    {
        if (_deadRanges.Count == 0) return events.Select(e => e.Batch).ToArray();
        return events.Where(e => IsLive(e.SequenceNr)).Select(e => e.Batch).ToArray();
    }

    /// <summary>Where a truncation to <paramref name="offset"/> must look: null when the log does not reach past it.</summary>
    public (long FromSequenceNr, long ToSequenceNr)? PlanTruncation(long offset)
    {
        if (offset >= LogEndOffset || _index.Count == 0) return null;
        var start = FloorEntry(Math.Max(offset, 0));
        return (_index[start].SequenceNr, LastSequenceNr);
    }

    /// <summary>
    /// The event that cuts the log back to the boundary of the batch holding <paramref name="offset"/> (Kafka truncates
    /// whole batches), from the journal events <see cref="PlanTruncation"/> named; null when nothing lies past it.
    /// </summary>
    public LogTruncated? DecideTruncation(IReadOnlyList<(long SequenceNr, byte[] Batch)> events, long offset)
    {
        var start = FloorEntry(Math.Max(offset, 0));
        var position = _index[start].Position;
        foreach (var (seq, bytes) in events)
        {
            if (!IsLive(seq)) continue;
            var view = RecordBatch.Wrap(bytes);
            if (view.BaseOffset < _index[start].BaseOffset) continue;
            if (view.NextOffset > offset) return new LogTruncated(view.BaseOffset, position, seq);
            position += bytes.Length;
        }
        return null;
    }

    /// <summary>Applies a truncation, live or in recovery: the log, its index, producers and epochs end at its offset.</summary>
    public void ApplyTruncation(LogTruncated e, long sequenceNr)
    {
        LogEndOffset = DurableEnd = e.Offset;
        HighWatermark = Math.Min(HighWatermark, e.Offset);
        LogBytes = e.Position;
        _index.RemoveAll(x => x.BaseOffset >= e.Offset);
        _bytesSinceIndexEntry = _index.Count == 0 ? 0 : e.Position - _index[^1].Position;
        _epochs.RemoveAll(x => x.StartOffset >= e.Offset);
        _segments.RemoveAll(x => x.BaseOffset >= e.Offset);
        if (_segments.Count > 0) _segments[^1] = _segments[^1] with { Bytes = Math.Max(0, e.Position - _segments[^1].Position) };
        CleanedUpTo = Math.Min(CleanedUpTo, _segments.Count > 0 ? _segments[^1].BaseOffset : e.Offset);
        _deadRanges.Add(new SequenceRange(e.FirstDeadSequenceNr, sequenceNr));
        Producers.TruncateFrom(e.Offset);
        Cache.Clear();
        LastSequenceNr = sequenceNr;
    }

    /// <summary>What is wrong with a journaled batch found in recovery: <c>Applied</c> false when it was left out of the log.</summary>
    /// <param name="Offset">Where the log stops being trustworthy: the bad batch's base offset, or the log end it fails to continue.</param>
    public sealed record RecoveryProblem(string Message, bool Applied, long Offset);

    /// <summary>
    /// Replays a journaled batch during recovery. A batch that fails its check is kept out of the tail cache, so reads
    /// of it go to the journal and are answered CORRUPT_MESSAGE; a batch whose offsets do not continue the log (a base
    /// offset flipped on disk, which the CRC does not cover) is left out. Returns what is wrong, or null.
    /// </summary>
    public RecoveryProblem? Recover(byte[] batch, long sequenceNr, long nowMs)
    {
        var problem = RecordBatch.Validate(batch);
        // Batches the cleaner removed leave gaps; a batch never starts below the log end.
        var continues = batch.Length >= RecordBatch.HeaderSize && RecordBatch.Wrap(batch) is var next && next.BaseOffset >= LogEndOffset && next.LastOffsetDelta >= 0;
        if (!continues)
            return new RecoveryProblem($"journal event {sequenceNr} does not continue the log at offset {LogEndOffset}" + (problem == null ? "" : $" ({problem})"),
                Applied: false, LogEndOffset);
        var view = RecordBatch.Wrap(batch);
        // The journal's first events were deleted by retention and no snapshot holds the new start: the log starts here.
        if (_segments.Count == 0 && LogEndOffset == LogStartOffset) LogStartOffset = HighWatermark = view.BaseOffset;
        Producers.OnAppended(view, view.BaseOffset, view.TimestampType == TimestampType.LogAppendTime ? view.MaxTimestamp : -1, nowMs);
        LogEndOffset = view.NextOffset;
        OnPersisted(batch, sequenceNr, cache: problem == null);
        return problem == null ? null : new RecoveryProblem($"journal event {sequenceNr} holds a corrupt batch at offset {view.BaseOffset} ({problem})",
            Applied: true, view.BaseOffset);
    }

    /// <summary>How to serve a fetch.</summary>
    public abstract record FetchPlan
    {
        public sealed record Error(ErrorCode Code, string Message) : FetchPlan;
        /// <summary>Served from memory; <c>Records</c> may be empty when the offset is the high watermark.</summary>
        public sealed record FromCache(byte[] Records) : FetchPlan;
        /// <summary>Read events <c>FromSequenceNr</c>..<c>ToSequenceNr</c> from the journal, then <see cref="AssembleFetch"/>.</summary>
        public sealed record FromJournal(long FromSequenceNr, long ToSequenceNr) : FetchPlan;
    }

    /// <param name="forFollower">A follower reads up to <see cref="DurableEnd"/>; a consumer up to the <see cref="HighWatermark"/>.</param>
    public FetchPlan PlanFetch(long offset, int maxBytes, bool forFollower = false)
    {
        if (!Exists)
            return new FetchPlan.Error(ErrorCode.UnknownTopicOrPartition, $"{TopicPartition} does not exist on this broker");
        if (offset < LogStartOffset || offset > DurableEnd)
            return new FetchPlan.Error(ErrorCode.OffsetOutOfRange,
                $"offset {offset} is out of range for {TopicPartition}: the log holds offsets {LogStartOffset} to {DurableEnd - 1} " +
                $"(next offset {DurableEnd})");
        var end = forFollower ? DurableEnd : HighWatermark;
        if (offset >= end)
            return new FetchPlan.FromCache(Array.Empty<byte>());
        if (Cache.Covers(offset))
            return new FetchPlan.FromCache(CopyFromCache(offset, maxBytes, end));

        var start = FloorEntry(offset);
        var budget = Math.Min((long)maxBytes, Settings.MaxJournalReadBytes) + _indexIntervalBytes;
        var toSeq = LastSequenceNr;
        for (var i = start + 1; i < _index.Count; i++)
        {
            if (_index[i].Position - _index[start].Position > budget)
            {
                toSeq = _index[i].SequenceNr;
                break;
            }
        }
        return new FetchPlan.FromJournal(_index[start].SequenceNr, toSeq);
    }

    /// <summary>
    /// The journal events to read after <paramref name="afterSequenceNr"/> when a read found nothing there (compaction
    /// removed those batches; the index's byte positions predate it): about one read budget's worth of index entries.
    /// </summary>
    public (long From, long To) NextJournalRange(long afterSequenceNr, int maxBytes)
    {
        var first = _index.FindIndex(e => e.SequenceNr > afterSequenceNr);
        if (first < 0) return (afterSequenceNr + 1, LastSequenceNr);
        var budget = Math.Min((long)maxBytes, Settings.MaxJournalReadBytes) + _indexIntervalBytes;
        for (var i = first + 1; i < _index.Count; i++)
            if (_index[i].Position - _index[first].Position > budget)
                return (afterSequenceNr + 1, _index[i].SequenceNr);
        return (afterSequenceNr + 1, LastSequenceNr);
    }

    /// <summary>Where <paramref name="offset"/> starts in the log, in bytes, when the cache can tell; else null.</summary>
    public long? PositionOf(long offset)
    {
        if (offset == DurableEnd) return LogBytes;
        if (!Cache.Covers(offset)) return null;
        var i = Cache.IndexOf(offset);
        return i < Cache.EndIndex ? Cache[i].Position : LogBytes;
    }

    /// <summary>Joins journal-read batches into a fetch response body, as <see cref="CopyFromCache"/> does from memory.</summary>
    /// <returns>The records, or an error when a batch fails its CRC (it is never served as data) with the offset where that batch starts.</returns>
    /// <param name="end">Only batches that end at or below it are returned (the high watermark, or for a follower the durable end).</param>
    public (byte[] Records, string? Corruption, long CorruptOffset) AssembleFetch(IReadOnlyList<byte[]> batches, long offset, int maxBytes, long end)
    {
        var chosen = new List<byte[]>();
        var total = 0;
        foreach (var bytes in batches)
        {
            var view = RecordBatch.Wrap(bytes);
            if (view.NextOffset <= offset) continue;
            if (view.NextOffset > end) break;
            if (chosen.Count > 0 && total + bytes.Length > maxBytes) break;
            var problem = RecordBatch.Validate(bytes);
            if (problem != null)
                return (Array.Empty<byte>(), $"{TopicPartition}: the journaled batch at offset {view.BaseOffset} is corrupt ({problem})", view.BaseOffset);
            chosen.Add(bytes);
            total += bytes.Length;
            if (total >= maxBytes) break;
        }
        return (Concat(chosen), null, -1);
    }

    /// <summary>How to answer a list-offsets request for a timestamp.</summary>
    public abstract record TimestampPlan
    {
        public sealed record Found(long Offset, long Timestamp) : TimestampPlan;
        public sealed record NotFound : TimestampPlan;
        public sealed record FromJournal(long FromSequenceNr, long ToSequenceNr) : TimestampPlan;
    }

    public TimestampPlan PlanOffsetForTimestamp(long timestamp)
    {
        if (HighWatermark == LogStartOffset || MaxTimestamp < timestamp) return new TimestampPlan.NotFound();
        // The first index entry whose cumulative max timestamp reaches the target bounds the search from above; the
        // entry before it bounds it from below.
        var upper = _index.FindIndex(e => e.MaxTimestamp >= timestamp);
        var lower = upper < 0 ? _index.Count - 1 : Math.Max(0, upper - 1);
        if (Cache.Count > 0 && _index.Count > 0 && _index[lower].BaseOffset >= Cache.First!.Value.BaseOffset)
        {
            for (var i = Cache.IndexOf(_index[lower].BaseOffset); i < Cache.EndIndex; i++)
            {
                var found = FindInBatch(Cache[i].Bytes, timestamp);
                if (found != null) return found;
            }
            return new TimestampPlan.NotFound();
        }
        var toSeq = upper < 0 ? LastSequenceNr : _index[upper].SequenceNr;
        return new TimestampPlan.FromJournal(_index[lower].SequenceNr, toSeq);
    }

    /// <summary>Finishes a timestamp search over journal-read batches.</summary>
    public TimestampPlan FindOffsetForTimestamp(IReadOnlyList<byte[]> batches, long timestamp)
    {
        foreach (var bytes in batches)
        {
            var found = FindInBatch(bytes, timestamp);
            if (found != null) return found;
        }
        return new TimestampPlan.NotFound();
    }

    private TimestampPlan.Found? FindInBatch(byte[] bytes, long timestamp)
    {
        var view = RecordBatch.Wrap(bytes);
        if (view.MaxTimestamp < timestamp || view.NextOffset <= LogStartOffset || view.BaseOffset >= HighWatermark) return null;
        foreach (var record in view.ReadRecords())
            if (record.Offset >= LogStartOffset && record.Timestamp >= timestamp)
                return new TimestampPlan.Found(record.Offset, record.Timestamp);
        return null;
    }

    public PartitionSnapshot ToSnapshot(long nowMs, long producerExpirationMs)
    {
        Producers.ExpireIdle(nowMs, producerExpirationMs);
        return new PartitionSnapshot(ConfigMap ?? new Dictionary<string, string>(), LogStartOffset, DurableEnd, LogBytes, MaxTimestamp,
            _bytesSinceIndexEntry, _index.ToArray(), Producers.ToSnapshot(), Deleted, _epochs.ToArray(), _deadRanges.ToArray(), _segments.ToArray(), CleanedUpTo,
            HighWatermark);
    }

    public void Restore(PartitionSnapshot snapshot, long sequenceNr)
    {
        ConfigMap = snapshot.Config.Count == 0 ? null : snapshot.Config;
        Config = ConfigMap == null ? null : TopicConfig.FromMap(ConfigMap);
        Deleted = snapshot.Deleted;
        LogStartOffset = snapshot.LogStartOffset;
        LogEndOffset = DurableEnd = snapshot.LogEndOffset;
        // Snapshots written before the high watermark was kept hold 0: the log start then, and the leader learns it again.
        HighWatermark = Math.Clamp(snapshot.HighWatermark, LogStartOffset, DurableEnd);
        _epochs.Clear();
        _epochs.AddRange(snapshot.LeaderEpochs);
        _deadRanges.Clear();
        _deadRanges.AddRange(snapshot.DeadRanges);
        LogBytes = snapshot.LogBytes;
        MaxTimestamp = snapshot.MaxTimestamp;
        _bytesSinceIndexEntry = snapshot.BytesSinceIndexEntry;
        _index.Clear();
        _index.AddRange(snapshot.Index);
        _segments.Clear();
        _segments.AddRange(snapshot.Segments);
        // Snapshots from before segments: the whole log is one segment, which rolls on the next append past its limits.
        if (_segments.Count == 0 && _index.Count > 0)
            _segments.Add(new LogSegmentInfo(_index[0].BaseOffset, _index[0].SequenceNr, _index[0].Position, MaxTimestamp, MaxTimestamp, LogBytes - _index[0].Position));
        CleanedUpTo = snapshot.CleanedUpTo;
        Producers.Restore(snapshot.Producers);
        Cache.Clear();
        LastSequenceNr = sequenceNr;
    }

    // ---------------------------------------------------------------- retention and cleaning

    /// <summary>
    /// Kafka's retention for <c>cleanup.policy=delete</c>: the oldest segments whose records are all older than
    /// <c>retention.ms</c>, or that the log can lose and still hold <c>retention.bytes</c>, go; never the active
    /// segment, and never a segment that reaches past the high watermark. Null when nothing is due.
    /// </summary>
    public LogStartAdvanced? PlanRetention(long nowMs)
    {
        if (_segments.Count < 2) return null;
        var size = SizeBytes;
        var keep = 0;
        // Segments wholly below a log start that DeleteRecords moved go whatever the cleanup policy.
        while (keep < _segments.Count - 1 && _segments[keep + 1].BaseOffset <= LogStartOffset)
            size -= _segments[keep++].Bytes;
        for (var i = keep; Config is { Deletes: true } c && i < _segments.Count - 1; i++)
        {
            if (_segments[i + 1].BaseOffset > HighWatermark) break;
            var byTime = c.RetentionMs >= 0 && _segments[i].MaxTimestamp < nowMs - c.RetentionMs;
            var bySize = c.RetentionBytes >= 0 && size - _segments[i].Bytes >= c.RetentionBytes;
            if (!byTime && !bySize) break;
            size -= _segments[i].Bytes;
            keep = i + 1;
        }
        return keep == 0 ? null : new LogStartAdvanced(_segments[keep].BaseOffset, _segments[keep].FirstSequenceNr);
    }

    /// <summary>Retention removed the segments below <c>e.Offset</c>: the log starts there, or later if DeleteRecords moved it past.</summary>
    public void ApplyLogStart(LogStartAdvanced e, long sequenceNr)
    {
        LastSequenceNr = sequenceNr;
        _segments.RemoveAll(x => x.BaseOffset < e.Offset);
        _index.RemoveAll(x => x.BaseOffset < e.Offset);
        if (Cache.First is { } first && first.BaseOffset < e.Offset) Cache.Clear();
        CleanedUpTo = Math.Max(CleanedUpTo, e.Offset);
        MoveLogStart(e.Offset);
    }

    /// <summary>DeleteRecords moved the log start to <c>e.Offset</c>; the segments below stay until the next retention check removes them.</summary>
    public void ApplyRecordsDeleted(RecordsDeleted e, long sequenceNr)
    {
        LastSequenceNr = sequenceNr;
        MoveLogStart(Math.Min(e.Offset, DurableEnd));
    }

    private void MoveLogStart(long offset)
    {
        if (offset <= LogStartOffset) return;
        LogStartOffset = offset;
        HighWatermark = Math.Max(HighWatermark, Math.Min(offset, DurableEnd));
    }

    /// <summary>The log is emptied and starts again at <c>e.Offset</c>, where the leader's log now starts.</summary>
    public void ApplyReset(LogReset e, long sequenceNr)
    {
        if (_segments.Count > 0 || _index.Count > 0) _deadRanges.Add(new SequenceRange(FirstLiveSequenceNr, sequenceNr));
        LogStartOffset = LogEndOffset = DurableEnd = HighWatermark = CleanedUpTo = e.Offset;
        _segments.Clear();
        _index.Clear();
        _bytesSinceIndexEntry = 0;
        _epochs.Clear();
        Producers.Restore([]);
        Cache.Clear();
        LastSequenceNr = sequenceNr;
    }

    /// <summary>The first journal event still in the log: every event before it may be deleted once a snapshot is saved.</summary>
    public long FirstLiveSequenceNr => _segments.Count > 0 ? _segments[0].FirstSequenceNr : LastSequenceNr + 1;

    /// <summary>
    /// What the cleaner may compact now: the segments below <c>EndOffset</c>, journal events <c>From</c>..<c>To</c>, of
    /// which those from <c>DirtyFromSequenceNr</c> on were written since the last cleaning (only they can hold a newer
    /// record for a key: the cleaned part has one record per key already).
    /// </summary>
    /// <remarks><c>FenceSequenceNr</c> is the log's last journal event when the plan was made: a truncation, reset or
    /// deletion journaled after it means the plan no longer describes the log.</remarks>
    public sealed record CleaningPlan(long FromSequenceNr, long DirtyFromSequenceNr, long ToSequenceNr, long EndOffset, IReadOnlyList<LogSegmentInfo> Segments,
        IReadOnlyList<SequenceRange> DeadRanges, double DirtyRatio, long FenceSequenceNr);

    /// <summary>
    /// The cleanable part of the log: whole segments before the active one, below the high watermark (so nothing
    /// cleaned can still be truncated), whose records are all older than <c>min.compaction.lag.ms</c>. The dirty ratio
    /// is the share of its bytes written since the last cleaning.
    /// </summary>
    private (int Count, long Dirty, long Total, long OldestDirty) Cleanable(TopicConfig c, long nowMs, long maxSequenceNr = long.MaxValue)
    {
        int count = 0;
        long dirty = 0, total = 0, oldestDirty = long.MaxValue;
        for (var i = 0; i < _segments.Count - 1; i++)
        {
            var segment = _segments[i];
            if (_segments[i + 1].BaseOffset > HighWatermark || segment.MaxTimestamp > nowMs - c.MinCompactionLagMs
                || _segments[i + 1].FirstSequenceNr - 1 > maxSequenceNr) break;
            count = i + 1;
            total += segment.Bytes;
            if (_segments[i + 1].BaseOffset <= CleanedUpTo) continue;
            dirty += segment.Bytes;
            oldestDirty = Math.Min(oldestDirty, segment.FirstTimestamp);
        }
        return (count, dirty, total, oldestDirty);
    }

    /// <summary>The share of the cleanable bytes written since the last cleaning (0 for a log that does not compact).</summary>
    public double DirtyRatio(long nowMs)
    {
        if (Config is not { Compacts: true } c) return 0;
        var (_, dirty, total, _) = Cleanable(c, nowMs);
        return total == 0 ? 0 : (double)dirty / total;
    }

    /// <summary>
    /// Kafka's cleaning trigger for <c>cleanup.policy=compact</c>: the dirty ratio reached <c>min.cleanable.dirty.ratio</c>,
    /// or a record has waited longer than <c>max.compaction.lag.ms</c>. Null when not due.
    /// </summary>
    /// <param name="snapshotSequenceNr">
    /// The latest snapshot's journal event: cleaning stops before events after it, so recovery, which replays only
    /// events after the snapshot, never replays a batch the cleaner changed (producer state, leader epochs and segment
    /// boundaries are rebuilt exactly as they were).
    /// </param>
    public CleaningPlan? PlanCleaning(long nowMs, long snapshotSequenceNr = long.MaxValue)
    {
        if (Config is not { Compacts: true } c) return null;
        var (count, dirty, total, oldestDirty) = Cleanable(c, nowMs, snapshotSequenceNr);
        if (count == 0 || dirty == 0) return null;
        var ratio = (double)dirty / total;
        var overdue = c.MaxCompactionLagMs < long.MaxValue && oldestDirty < nowMs - c.MaxCompactionLagMs;
        if (ratio < c.MinCleanableDirtyRatio && !overdue) return null;
        // The segment holding CleanedUpTo is where dirty records start (it is a segment boundary unless segments rolled
        // differently since; then mapping from the segment's start is merely more work).
        var firstDirty = Math.Max(0, _segments.FindLastIndex(x => x.BaseOffset <= CleanedUpTo));
        return new CleaningPlan(_segments[0].FirstSequenceNr, _segments[firstDirty].FirstSequenceNr, _segments[count].FirstSequenceNr - 1,
            _segments[count].BaseOffset, _segments.Take(count).ToArray(), _deadRanges.ToArray(), ratio, LastSequenceNr);
    }

    /// <summary>The cleaner compacted the log below <c>e.CleanedUpTo</c>; cleaned segments take their new sizes.</summary>
    public void ApplyCleaned(LogCleaned e, long sequenceNr)
    {
        LastSequenceNr = sequenceNr;
        CleanedUpTo = Math.Max(CleanedUpTo, e.CleanedUpTo);
        foreach (var size in e.SegmentBytes)
        {
            var i = _segments.FindIndex(x => x.BaseOffset == size.BaseOffset);
            // The active segment is never cleaned; a segment retention removed meanwhile is gone.
            if (i >= 0 && i < _segments.Count - 1) _segments[i] = _segments[i] with { Bytes = size.Bytes };
        }
        // Cached batches below the cleaned end are the uncleaned originals.
        if (Cache.First is { } first && first.BaseOffset < e.CleanedUpTo) Cache.Clear();
    }

    private int FloorEntry(long offset)
    {
        int lo = 0, hi = _index.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >>> 1;
            if (_index[mid].BaseOffset <= offset) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private byte[] CopyFromCache(long offset, int maxBytes, long endOffset)
    {
        var first = Cache.IndexOf(offset);
        var total = 0;
        var end = first;
        while (end < Cache.EndIndex && Cache[end].NextOffset <= endOffset)
        {
            var size = Cache[end].Bytes.Length;
            if (end > first && total + size > maxBytes) break;
            total += size;
            end++;
            if (total >= maxBytes) break;
        }
        var result = ByteArrays.ForOverwrite(total);
        var pos = 0;
        for (var i = first; i < end; i++)
        {
            Cache[i].Bytes.CopyTo(result, pos);
            pos += Cache[i].Bytes.Length;
        }
        return result;
    }

    // The size is summed here, not passed in: the array is not zeroed, so it must be exactly what the parts fill.
    private static byte[] Concat(List<byte[]> parts)
    {
        var total = 0;
        foreach (var p in parts) total += p.Length;
        var result = ByteArrays.ForOverwrite(total);
        var pos = 0;
        foreach (var p in parts)
        {
            p.CopyTo(result, pos);
            pos += p.Length;
        }
        return result;
    }
}
