using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// One partition's replica on this broker: a sharded persistent actor whose journal is the partition's log, one
/// <see cref="BatchAppended"/> event per produced batch. Appends are pipelined with PersistAsync (a produce is
/// acknowledged once its own event is written, in order); fetches are served from the tail cache or, for older
/// offsets, from a <see cref="JournalRangeReader"/> child; fetches with nothing to return wait (long polling) until
/// <c>fetch.min.bytes</c> arrive or <c>fetch.max.wait.ms</c> passes.
/// <code>
///  (no config) --EnsurePartition--> serving --DeletePartition--> deleted (journal wiped; a later EnsurePartition
///                                      ^  |                       starts an empty log)
///                                      +--+ EnsurePartition (config change)
/// </code>
/// Requests to a partition that does not exist are answered with UNKNOWN_TOPIC_OR_PARTITION.
/// </summary>
public sealed class PartitionReplica : ReceivePersistentActor, IWithTimers
{
    public static Props Props(TopicPartition tp, BrokerSettings settings) =>
        Akka.Actor.Props.Create(() => new PartitionReplica(tp, settings));

    /// <summary>The persistence id of a partition's log; stable, journals are keyed by it.</summary>
    public static string PersistenceIdFor(TopicPartition tp) => $"partition-{tp.Topic}-{tp.Partition}";

    private sealed record FetchDeadline(long FetchId);

    private sealed record ParkedFetch(long Id, FetchRequest Request, IActorRef ReplyTo, long StartPosition, long StartedTicks);

    private sealed record PendingRead(IActorRef ReplyTo, object Request, long StartedTicks);

    private readonly TopicPartition _tp;
    private readonly BrokerSettings _settings;
    private readonly PartitionLog _log;
    private readonly ILoggingAdapter _logger = Context.GetLogger();
    private readonly Dictionary<long, ParkedFetch> _parked = new();
    private readonly Dictionary<long, PendingRead> _reads = new();
    // Replies owed for batches still being written, oldest first (PersistAsync confirms, fails or rejects in order),
    // so a failed write can be answered.
    private readonly Queue<(IActorRef ReplyTo, short Acks)> _pendingAppends = new();
    private long _nextId;
    private long _eventsSinceSnapshot;
    private long _snapshotInProgressSeqNr = -1;

    public PartitionReplica(TopicPartition tp, BrokerSettings settings)
    {
        _tp = tp;
        _settings = settings;
        _log = new PartitionLog(tp, settings);
        PersistenceId = PersistenceIdFor(tp);

        Recover<SnapshotOffer>(o => _log.Restore((PartitionSnapshot)o.Snapshot, o.Metadata.SequenceNr));
        Recover<BatchAppended>(e =>
        {
            if (_log.Recover(e.Batch, LastSequenceNr, NowMs()) is { } problem)
                _logger.Error("[{0}] journal event {1} holds a corrupt batch ({2}); fetches of it will be answered CORRUPT_MESSAGE", _tp, LastSequenceNr, problem);
            _eventsSinceSnapshot++;
        });
        Recover<PartitionConfigured>(e => _log.ApplyConfig(e.Config, LastSequenceNr));
        Recover<PartitionDeleted>(_ => _log.ApplyDeleted(LastSequenceNr));
        Recover<RecoveryCompleted>(_ =>
        {
            if (_log.Exists) BrokerMetrics.SetLogEndOffset(_tp, _log.HighWatermark);
            _logger.Info("[{0}] recovered: log {1}..{2}, {3} bytes, {4} index entries", _tp, _log.LogStartOffset, _log.HighWatermark,
                _log.LogBytes, _log.Index.Count);
        });

        Command<ProduceRequest>(HandleProduce);
        Command<FetchRequest>(r => HandleFetch(r, Sender, Stopwatch.GetTimestamp()));
        Command<ListOffsetsRequest>(HandleListOffsets);
        Command<JournalRangeReader.RangeRead>(HandleRangeRead);
        Command<FetchDeadline>(d =>
        {
            if (_parked.Remove(d.FetchId, out var parked)) AnswerFetchNow(parked.Request, parked.ReplyTo, parked.StartedTicks);
        });
        Command<EnsurePartition>(HandleEnsure);
        Command<DeletePartition>(HandleDelete);
        Command<SaveSnapshotSuccess>(s =>
        {
            _snapshotInProgressSeqNr = -1;
            // A snapshot that finished after the partition was deleted must not resurrect the old log.
            DeleteSnapshots(_log.Deleted ? SnapshotSelectionCriteria.Latest : new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f =>
        {
            _snapshotInProgressSeqNr = -1;
            _logger.Warning("[{0}] snapshot at event {1} failed: {2}", _tp, f.Metadata.SequenceNr, f.Cause.Message);
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _logger.Warning("[{0}] deleting old snapshots failed: {1}", _tp, f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _logger.Error(f.Cause, "[{0}] deleting the log of a deleted partition failed", _tp));
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private void HandleProduce(ProduceRequest request)
    {
        var started = Stopwatch.GetTimestamp();
        var replyTo = Sender;
        switch (_log.PrepareAppend(request.Batch, request.Acks, NowMs()))
        {
            case PartitionLog.AppendDecision.Rejected r:
                BrokerMetrics.FailedRequests.Add(1, new("api", "produce"), new("error", r.Error.KafkaName()));
                if (request.Acks != 0)
                    replyTo.Tell(new ProduceResponse(_tp, r.Error, r.Message, -1, -1, _log.LogStartOffset));
                break;
            case PartitionLog.AppendDecision.Duplicate d:
                var reply = new ProduceResponse(_tp, ErrorCode.None, null, d.BaseOffset, d.LogAppendTime, _log.LogStartOffset);
                // A retry of a batch still being written is answered only once that write is confirmed.
                if (d.BaseOffset < _log.HighWatermark) replyTo.Tell(reply);
                else DeferAsync(reply, m => replyTo.Tell(m));
                break;
            case PartitionLog.AppendDecision.Accepted a:
                _pendingAppends.Enqueue((replyTo, request.Acks));
                PersistAsync(new BatchAppended(a.Batch), e => OnAppendPersisted(e, a, request.Acks, replyTo, started));
                break;
        }
    }

    private void OnAppendPersisted(BatchAppended e, PartitionLog.AppendDecision.Accepted a, short acks, IActorRef replyTo, long started)
    {
        _pendingAppends.Dequeue();
        // In a persist handler LastSequenceNr is this event's sequence number.
        _log.OnPersisted(e.Batch, LastSequenceNr);
        BrokerMetrics.BytesIn.Add(e.Batch.Length);
        BrokerMetrics.RecordsIn.Add(a.RecordCount);
        BrokerMetrics.SetLogEndOffset(_tp, _log.HighWatermark);
        if (acks != 0)
            replyTo.Tell(new ProduceResponse(_tp, ErrorCode.None, null, a.BaseOffset, a.LogAppendTime, _log.LogStartOffset));
        BrokerMetrics.RequestLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("api", "produce"));
        _eventsSinceSnapshot++;
        WakeParkedFetches();
        MaybeSnapshot();
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // The journal could not write: nothing from this write on was acknowledged. Tell every waiting producer now
        // (KAFKA_STORAGE_ERROR is retriable) instead of letting them time out; the actor then stops and recovers from
        // the journal on its next message, so offsets assigned to unwritten batches are reused.
        foreach (var (replyTo, acks) in _pendingAppends)
            if (acks != 0)
                replyTo.Tell(new ProduceResponse(_tp, ErrorCode.KafkaStorageError,
                    $"{_tp}: the journal failed to write the batch ({cause.Message}); it was not appended, retry", -1, -1, _log.LogStartOffset));
        _pendingAppends.Clear();
        _logger.Error(cause, "[{0}] journal write of event {1} failed; restarting the replica from its journal", _tp, sequenceNr);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        if (@event is BatchAppended && _pendingAppends.TryDequeue(out var pending) && pending.Acks != 0)
            pending.ReplyTo.Tell(new ProduceResponse(_tp, ErrorCode.KafkaStorageError,
                $"{_tp}: the journal rejected the batch ({cause.Message}); it was not appended, retry", -1, -1, _log.LogStartOffset));
        base.OnPersistRejected(cause, @event, sequenceNr);
        // Offsets and producer sequences were already assigned to the rejected batch: the in-memory state no longer
        // matches the journal. Stop and recover from the journal on the next message (writes still in flight are
        // either in the journal then, or their producers retry).
        if (@event is BatchAppended) Context.Stop(Self);
    }

    private void MaybeSnapshot()
    {
        if (_eventsSinceSnapshot < _settings.Partition.SnapshotIntervalEvents || _snapshotInProgressSeqNr >= 0 || _log.HasPendingWrites)
            return;
        _snapshotInProgressSeqNr = LastSequenceNr;
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_log.ToSnapshot(NowMs(), _settings.ProducerIdExpirationMs));
    }

    private void HandleFetch(FetchRequest request, IActorRef replyTo, long started)
    {
        if (request.MaxBytes <= 0)
        {
            replyTo.Tell(new FetchResponse(_tp, ErrorCode.InvalidFetchSize, $"max bytes must be positive, got {request.MaxBytes}",
                _log.HighWatermark, _log.LogStartOffset, Array.Empty<byte>()));
            return;
        }
        switch (_log.PlanFetch(request.FetchOffset, request.MaxBytes))
        {
            case PartitionLog.FetchPlan.Error e:
                BrokerMetrics.FailedRequests.Add(1, new("api", "fetch"), new("error", e.Code.KafkaName()));
                replyTo.Tell(new FetchResponse(_tp, e.Code, e.Message, _log.HighWatermark, _log.LogStartOffset, Array.Empty<byte>()));
                break;
            case PartitionLog.FetchPlan.FromCache c:
                if (c.Records.Length >= Math.Max(1, request.MinBytes) || request.MaxWaitMs <= 0)
                    ReplyFetch(replyTo, c.Records, started);
                else
                    Park(request, replyTo, started);
                break;
            case PartitionLog.FetchPlan.FromJournal j:
                StartRead(j.FromSequenceNr, j.ToSequenceNr, request, replyTo, started);
                break;
        }
    }

    private void Park(FetchRequest request, IActorRef replyTo, long started)
    {
        var id = ++_nextId;
        var position = _log.PositionOf(request.FetchOffset) ?? _log.LogBytes;
        _parked[id] = new ParkedFetch(id, request, replyTo, position, started);
        Timers.StartSingleTimer(id, new FetchDeadline(id), TimeSpan.FromMilliseconds(request.MaxWaitMs));
    }

    private void WakeParkedFetches()
    {
        if (_parked.Count == 0) return;
        List<ParkedFetch>? ready = null;
        foreach (var p in _parked.Values)
            if (_log.LogBytes - p.StartPosition >= Math.Max(1, p.Request.MinBytes))
                (ready ??= new()).Add(p);
        if (ready == null) return;
        foreach (var p in ready)
        {
            _parked.Remove(p.Id);
            Timers.Cancel(p.Id);
            AnswerFetchNow(p.Request, p.ReplyTo, p.StartedTicks);
        }
    }

    /// <summary>Answers a fetch with whatever is there now, without waiting again.</summary>
    private void AnswerFetchNow(FetchRequest request, IActorRef replyTo, long started)
    {
        HandleFetch(request with { MaxWaitMs = 0 }, replyTo, started);
    }

    private void ReplyFetch(IActorRef replyTo, byte[] records, long started)
    {
        if (records.Length > 0)
        {
            BrokerMetrics.BytesOut.Add(records.Length);
            long count = 0;
            foreach (var b in RecordBatch.ReadAll(records)) count += b.RecordCount;
            BrokerMetrics.RecordsOut.Add(count);
        }
        replyTo.Tell(new FetchResponse(_tp, ErrorCode.None, null, _log.HighWatermark, _log.LogStartOffset, records));
        BrokerMetrics.RequestLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("api", "fetch"));
    }

    private void HandleListOffsets(ListOffsetsRequest request)
    {
        if (!_log.Exists)
        {
            Sender.Tell(new ListOffsetsResponse(_tp, ErrorCode.UnknownTopicOrPartition, $"{_tp} does not exist on this broker", -1, -1));
            return;
        }
        switch (request.Timestamp)
        {
            case ListOffsetsRequest.Earliest:
                Sender.Tell(new ListOffsetsResponse(_tp, ErrorCode.None, null, _log.LogStartOffset, -1));
                return;
            case ListOffsetsRequest.Latest:
                Sender.Tell(new ListOffsetsResponse(_tp, ErrorCode.None, null, _log.HighWatermark, -1));
                return;
            case < 0:
                Sender.Tell(new ListOffsetsResponse(_tp, ErrorCode.InvalidRequest,
                    $"timestamp {request.Timestamp} is not valid: use -1 (latest), -2 (earliest) or a Unix time in ms", -1, -1));
                return;
        }
        AnswerTimestamp(_log.PlanOffsetForTimestamp(request.Timestamp), request, Sender);
    }

    private void AnswerTimestamp(PartitionLog.TimestampPlan plan, ListOffsetsRequest request, IActorRef replyTo)
    {
        switch (plan)
        {
            case PartitionLog.TimestampPlan.Found f:
                replyTo.Tell(new ListOffsetsResponse(_tp, ErrorCode.None, null, f.Offset, f.Timestamp));
                break;
            case PartitionLog.TimestampPlan.NotFound:
                replyTo.Tell(new ListOffsetsResponse(_tp, ErrorCode.None, null, -1, -1));
                break;
            case PartitionLog.TimestampPlan.FromJournal j:
                StartRead(j.FromSequenceNr, j.ToSequenceNr, request, replyTo, Stopwatch.GetTimestamp());
                break;
        }
    }

    private void StartRead(long from, long to, object request, IActorRef replyTo, long started)
    {
        var id = ++_nextId;
        _reads[id] = new PendingRead(replyTo, request, started);
        Context.ActorOf(JournalRangeReader.Props(Journal, PersistenceId, from, to, id));
    }

    private void HandleRangeRead(JournalRangeReader.RangeRead read)
    {
        if (!_reads.Remove(read.CorrelationId, out var pending)) return;
        switch (pending.Request)
        {
            case FetchRequest when read.Error != null:
                pending.ReplyTo.Tell(new FetchResponse(_tp, ErrorCode.KafkaStorageError, $"{_tp}: {read.Error}", _log.HighWatermark,
                    _log.LogStartOffset, Array.Empty<byte>()));
                break;
            case FetchRequest f:
                var (records, corruption) = _log.AssembleFetch(read.Batches, f.FetchOffset, f.MaxBytes);
                if (corruption != null)
                {
                    _logger.Error("[{0}] {1}", _tp, corruption);
                    BrokerMetrics.FailedRequests.Add(1, new("api", "fetch"), new("error", ErrorCode.CorruptMessage.KafkaName()));
                    pending.ReplyTo.Tell(new FetchResponse(_tp, ErrorCode.CorruptMessage, corruption, _log.HighWatermark,
                        _log.LogStartOffset, Array.Empty<byte>()));
                }
                else
                {
                    // The planned range always covers the offset's batch; an empty answer means the index and the
                    // journal disagree. Say so, and let the consumer fetch again rather than loop on the same read.
                    if (records.Length == 0 && f.FetchOffset < _log.HighWatermark)
                        _logger.Warning("[{0}] journal events {1} returned no batch at offset {2}", _tp, read.Batches.Count, f.FetchOffset);
                    ReplyFetch(pending.ReplyTo, records, pending.StartedTicks);
                }
                break;
            case ListOffsetsRequest when read.Error != null:
                pending.ReplyTo.Tell(new ListOffsetsResponse(_tp, ErrorCode.KafkaStorageError, $"{_tp}: {read.Error}", -1, -1));
                break;
            case ListOffsetsRequest l:
                AnswerTimestamp(_log.FindOffsetForTimestamp(read.Batches, l.Timestamp), l, pending.ReplyTo);
                break;
        }
    }

    private void HandleEnsure(EnsurePartition command)
    {
        var replyTo = Sender;
        if (_log.Exists && _log.ConfigMap != null && SameConfig(_log.ConfigMap, command.Config))
        {
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            return;
        }
        Persist(new PartitionConfigured(command.Config), e =>
        {
            var created = !_log.Exists;
            _log.ApplyConfig(e.Config, LastSequenceNr);
            if (created) BrokerMetrics.SetLogEndOffset(_tp, _log.HighWatermark);
            _logger.Info("[{0}] {1}", _tp, created ? "created" : "config updated");
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
        });
    }

    private void HandleDelete(DeletePartition command)
    {
        var replyTo = Sender;
        if (!_log.Exists)
        {
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
            return;
        }
        Persist(new PartitionDeleted(), _ =>
        {
            _log.ApplyDeleted(LastSequenceNr);
            foreach (var p in _parked.Values)
                p.ReplyTo.Tell(new FetchResponse(_tp, ErrorCode.UnknownTopicOrPartition, $"{_tp} was deleted", -1, -1, Array.Empty<byte>()));
            _parked.Clear();
            BrokerMetrics.RemovePartition(_tp);
            // The log is gone for good: the journal keeps only the highest sequence number, so a topic created later
            // with the same name starts from an empty log.
            DeleteMessages(LastSequenceNr);
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
            _logger.Info("[{0}] deleted", _tp);
            replyTo.Tell(new PartitionStateAck(_tp, ErrorCode.None, null));
        });
    }

    private static bool SameConfig(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
