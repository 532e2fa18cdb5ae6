using System.Diagnostics;
using Akka.Actor;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// How a replica answers reads, with no actor or I/O: consumers' fetches (below the high watermark), followers' fetches
/// (up to the durable log end, which also tells the <see cref="LeaderRole"/> what each follower has), list-offsets and
/// epoch lookups. Reads the tail cache cannot serve become journal reads; fetches with too little to return wait in
/// <see cref="FetchWaiters"/> until records arrive or their wait ends. A replica that does not lead answers
/// NOT_LEADER_OR_FOLLOWER (or why it does not serve), so clients refresh their metadata.
/// </summary>
public sealed class LeaderReads
{
    /// <summary>A journal read this part asked for: the request it serves, and where the read ends (a read that found only gaps goes on from there).</summary>
    public sealed record PendingRead(object Request, IActorRef ReplyTo, long StartedTicks, long ToSequenceNr);

    /// <summary>Timer: parked fetch <c>FetchId</c> has waited its <c>max.wait.ms</c>.</summary>
    public sealed record FetchDeadline(long FetchId);

    private readonly PartitionLog _log;
    private readonly int _maxJournalReadBytes;
    private readonly Func<(ErrorCode Code, string Message)?> _notServing;
    private readonly Func<LeaderRole?> _leader;
    private readonly FetchWaiters _waiters = new();
    private readonly ReadAhead _ahead = new();

    /// <summary>How long a range read ahead is kept for a consumer that does not come back for it.</summary>
    private static readonly TimeSpan ReadAheadKept = TimeSpan.FromSeconds(10);
    private const string ReadAheadTimer = "read-ahead";

    private readonly TimeSpan _maxFetchWait;
    private readonly int _maxParkedFetches;

    /// <param name="notServing">Why the replica serves no client now, or null when it leads.</param>
    /// <param name="leader">The leader role while the replica leads.</param>
    /// <param name="maxFetchWait">The longest a fetch waits, whatever it asks for (zero: 30 s).</param>
    /// <param name="maxParkedFetches">Most fetches waiting at once; one more answers the one that waited longest.</param>
    public LeaderReads(PartitionLog log, int maxJournalReadBytes, Func<(ErrorCode Code, string Message)?> notServing, Func<LeaderRole?> leader,
        TimeSpan maxFetchWait = default, int maxParkedFetches = 1000)
    {
        _log = log;
        _maxJournalReadBytes = maxJournalReadBytes;
        _notServing = notServing;
        _leader = leader;
        _maxFetchWait = maxFetchWait > TimeSpan.Zero ? maxFetchWait : TimeSpan.FromSeconds(30);
        _maxParkedFetches = maxParkedFetches;
    }

    private TopicPartition Tp => _log.TopicPartition;

    /// <summary>A replica that serves clients leads: anything else is a bug in the caller's serving rule.</summary>
    private LeaderRole Leader() => _leader() ?? throw new InvalidOperationException($"{Tp}: serving reads without leading");

    public int ParkedFetches => _waiters.Count;

    public void Fetch(FetchRequest request, IActorRef replyTo, long startedTicks, ReplicaEffects fx)
    {
        if (_notServing() is { } notServing)
        {
            BrokerMetrics.FailedRequests.Add(1, new("api", "fetch"), new("error", notServing.Code.KafkaName()));
            fx.Reply(replyTo, FetchError(request, notServing.Code, notServing.Message));
            return;
        }
        if (request.MaxBytes <= 0)
        {
            fx.Reply(replyTo, FetchError(request, ErrorCode.InvalidFetchSize, $"max bytes must be positive, got {request.MaxBytes}"));
            return;
        }
        if (EpochMismatch(request.CurrentLeaderEpoch, "a fetch") is { } mismatch)
        {
            fx.Reply(replyTo, FetchError(request, mismatch.Code, mismatch.Message));
            return;
        }
        var plan = _log.PlanFetch(request.FetchOffset, request.MaxBytes);
        if (plan is PartitionLog.FetchPlan.FromJournal && _ahead.Offset == request.FetchOffset)
        {
            var waiter = new ReadAhead.Waiter(request, replyTo, startedTicks);
            if (_ahead.TakeOrWait(waiter) is { } range) AnswerFromRange(range, waiter, fx);
            return;
        }
        Serve(request, request.FetchOffset, plan, request.MinBytes, request.MaxWaitMs, replyTo, startedTicks, fx);
    }

    /// <summary>The journal answered a read ahead: fetches waiting for it are answered, or it is kept for the next.</summary>
    public void ReadAheadArrived(ReadAhead.Read read, IReadOnlyList<(long SequenceNr, byte[] Batch)> events, string? error, ReplicaEffects fx)
    {
        var (range, waiting) = _ahead.Arrived(read, events, error);
        if (range == null) return;
        if (waiting.Count == 0) fx.Add(new ReplicaEffect.StartTimer(ReadAheadTimer, new ReadAhead.Unused(read.Id), ReadAheadKept));
        foreach (var w in waiting) AnswerFromRange(range, w, fx);
    }

    /// <summary>A range read ahead was not asked for in time: its memory goes.</summary>
    public void ReadAheadUnused(ReadAhead.Unused unused) => _ahead.Expire(unused.Id);

    /// <summary>
    /// Answers a fetch from the range read ahead at its offset, as from its own journal read. The log is asked again
    /// first, so that a fetch whose offset has since left the log, or a replica that stopped leading, is answered as
    /// any fetch would be; a range whose read failed is read again.
    /// </summary>
    private void AnswerFromRange(ReadAhead.Range range, ReadAhead.Waiter w, ReplicaEffects fx)
    {
        if (range.Error != null || _notServing() != null || _log.PlanFetch(w.Request.FetchOffset, w.Request.MaxBytes) is not PartitionLog.FetchPlan.FromJournal)
            Fetch(w.Request, w.ReplyTo, w.StartedTicks, fx);
        else
            JournalRead(new PendingRead(w.Request, w.ReplyTo, w.StartedTicks, range.Read.ToSequenceNr), range.Events, null, fx);
    }

    /// <summary>
    /// Starts reading the range after a consumer's fetch answered from the journal, where its next fetch will ask,
    /// unless that is the tail (served from the cache) or already being read.
    /// </summary>
    private void ReadOn(FetchRequest answered, byte[] records, ReplicaEffects fx)
    {
        if (_notServing() != null) return;
        var next = answered.FetchOffset;
        foreach (var batch in RecordBatch.ReadAll(records)) next = batch.NextOffset;
        if (next >= _log.HighWatermark || _log.Cache.Covers(next) || _ahead.Offset == next) return;
        if (_log.PlanFetch(next, answered.MaxBytes) is not PartitionLog.FetchPlan.FromJournal j) return;
        if (_ahead.Start(next, j.ToSequenceNr) is { } read) fx.Add(new ReplicaEffect.ReadJournal(j.FromSequenceNr, j.ToSequenceNr, read));
    }

    /// <summary>The log's extent and cleaning state, for the admin client's describe-log: only the leader answers.</summary>
    public void DescribeLog(IActorRef replyTo, long nowMs, ReplicaEffects fx) =>
        fx.Reply(replyTo, _notServing() is { } notServing ? NotDescribed(notServing.Code, notServing.Message) : Described(nowMs));

    /// <summary>This replica's log, leader or follower (for per-broker sizes); none when the broker holds no log of the partition.</summary>
    public void DescribeReplicaLog(IActorRef replyTo, long nowMs, ReplicaEffects fx) =>
        fx.Reply(replyTo, _log.Exists ? Described(nowMs) : NotDescribed(ErrorCode.UnknownTopicOrPartition, $"{Tp} has no replica on this broker"));

    private DescribeLogResponse NotDescribed(ErrorCode code, string message) => new(Tp, code, message, -1, -1, -1, -1, 0, -1, -1, 0);

    private DescribeLogResponse Described(long nowMs) =>
        new(Tp, ErrorCode.None, null, _log.LogStartOffset, _log.DurableEnd, _log.HighWatermark, _log.SizeBytes,
            _log.Segments.Count, _log.Segments.Count == 0 ? _log.DurableEnd : _log.Segments[^1].BaseOffset, _log.CleanedUpTo, _log.DirtyRatio(nowMs));

    public void ReplicaFetch(ReplicaFetchRequest request, IActorRef replyTo, long startedTicks, long nowMs, ReplicaEffects fx)
    {
        if (_notServing() is { } notServing)
        {
            fx.Reply(replyTo, FetchError(request, notServing.Code, notServing.Message));
            return;
        }
        var leader = Leader();
        if (request.LeaderEpoch != leader.LeaderEpoch)
        {
            fx.Reply(replyTo, FetchError(request, request.LeaderEpoch < leader.LeaderEpoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch,
                $"{Tp}: broker {request.ReplicaId} follows leader epoch {request.LeaderEpoch}, this leader is at epoch {leader.LeaderEpoch}"));
            return;
        }
        if (!leader.IsFollower(request.ReplicaId))
        {
            fx.Reply(replyTo, FetchError(request, ErrorCode.NotLeaderOrFollower, $"broker {request.ReplicaId} is not a replica of {Tp}"));
            return;
        }
        if (request.FetchOffset > _log.DurableEnd || request.FetchOffset < _log.LogStartOffset)
        {
            fx.Reply(replyTo, FetchError(request, ErrorCode.OffsetOutOfRange,
                $"{Tp}: follower {request.ReplicaId} fetched from {request.FetchOffset}, outside the leader's log {_log.LogStartOffset}..{_log.DurableEnd}; it must truncate"));
            return;
        }
        leader.FollowerFetched(request.ReplicaId, request.FetchOffset, nowMs, fx);
        Serve(request, request.FetchOffset, _log.PlanFetch(request.FetchOffset, request.MaxBytes, forFollower: true), 1, request.MaxWaitMs, replyTo, startedTicks, fx);
    }

    /// <summary>Kafka's OffsetsForLeaderEpoch: where the asked epoch ends in this leader's log.</summary>
    public void OffsetForLeaderEpoch(OffsetForLeaderEpochRequest request, IActorRef replyTo, ReplicaEffects fx)
    {
        if (_notServing() is { } notServing)
        {
            fx.Reply(replyTo, new OffsetForLeaderEpochResponse(Tp, notServing.Code, notServing.Message, -1, -1, request.CorrelationId));
            return;
        }
        if (EpochMismatch(request.CurrentLeaderEpoch, request.ReplicaId >= 0 ? $"broker {request.ReplicaId}" : "a client") is { } mismatch)
        {
            fx.Reply(replyTo, new OffsetForLeaderEpochResponse(Tp, mismatch.Code, mismatch.Message, -1, -1, request.CorrelationId));
            return;
        }
        var (epoch, end) = _log.EndOffsetForEpoch(request.LeaderEpoch);
        fx.Reply(replyTo, new OffsetForLeaderEpochResponse(Tp, ErrorCode.None, null, epoch, Math.Min(end, _log.DurableEnd), request.CorrelationId));
    }

    /// <summary>
    /// Kafka's KIP-320 check of the leader epoch a request names: an older one means the asker's metadata is stale
    /// (FENCED_LEADER_EPOCH: refresh it), a newer one that this replica has not heard of its election yet
    /// (UNKNOWN_LEADER_EPOCH: retry). A client that names none (-1) is not checked; a follower always names one.
    /// </summary>
    private (ErrorCode Code, string Message)? EpochMismatch(int currentLeaderEpoch, string asker)
    {
        var epoch = Leader().LeaderEpoch;
        if (currentLeaderEpoch < 0 || currentLeaderEpoch == epoch) return null;
        return (currentLeaderEpoch < epoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch,
            $"{Tp}: {asker} names leader epoch {currentLeaderEpoch}, this leader is at epoch {epoch}");
    }

    public void ListOffsets(ListOffsetsRequest request, IActorRef replyTo, ReplicaEffects fx)
    {
        if (_notServing() is { } notServing)
        {
            fx.Reply(replyTo, new ListOffsetsResponse(Tp, notServing.Code, notServing.Message, -1, -1));
            return;
        }
        if (request.Timestamp != ListOffsetsRequest.Earliest && _leader() is { HighWatermarkEstablished: false } leader)
        {
            // Kafka's KIP-207: until a new leader's high watermark reaches the start of its epoch, "latest" could be
            // below what the previous leader answered, and a consumer would read again what it had read.
            fx.Reply(replyTo, new ListOffsetsResponse(Tp, ErrorCode.OffsetNotAvailable,
                $"{Tp}: the new leader's high watermark {_log.HighWatermark} has not reached the start of its epoch {leader.EpochStartOffset} yet; retry", -1, -1));
            return;
        }
        switch (request.Timestamp)
        {
            case ListOffsetsRequest.Earliest:
                fx.Reply(replyTo, new ListOffsetsResponse(Tp, ErrorCode.None, null, _log.LogStartOffset, -1));
                return;
            case ListOffsetsRequest.Latest:
                fx.Reply(replyTo, new ListOffsetsResponse(Tp, ErrorCode.None, null, _log.HighWatermark, -1));
                return;
            case < 0:
                fx.Reply(replyTo, new ListOffsetsResponse(Tp, ErrorCode.InvalidRequest,
                    $"timestamp {request.Timestamp} is not valid: use -1 (latest), -2 (earliest) or a Unix time in ms", -1, -1));
                return;
        }
        AnswerTimestamp(_log.PlanOffsetForTimestamp(request.Timestamp), request, replyTo, Stopwatch.GetTimestamp(), fx);
    }

    /// <summary>The journal events a read asked for (<paramref name="error"/> when it failed).</summary>
    public void JournalRead(PendingRead pending, IReadOnlyList<(long SequenceNr, byte[] Batch)> events, string? error, ReplicaEffects fx)
    {
        switch (pending.Request)
        {
            case FetchRequest or ReplicaFetchRequest when error != null:
                fx.Reply(pending.ReplyTo, FetchError(pending.Request, ErrorCode.KafkaStorageError, $"{Tp}: {error}"));
                break;
            case FetchRequest or ReplicaFetchRequest:
                var (offset, maxBytes, end) = pending.Request is FetchRequest f
                    ? (f.FetchOffset, f.MaxBytes, _log.HighWatermark)
                    : (((ReplicaFetchRequest)pending.Request).FetchOffset, ((ReplicaFetchRequest)pending.Request).MaxBytes, _log.DurableEnd);
                var (records, corruption, corruptOffset) = _log.AssembleFetch(_log.LiveBatches(events), offset, maxBytes, end);
                if (corruption != null)
                {
                    fx.Add(new ReplicaEffect.Log(Akka.Event.LogLevel.ErrorLevel, corruption));
                    BrokerMetrics.FailedRequests.Add(1, new("api", "fetch"), new("error", ErrorCode.CorruptMessage.KafkaName()));
                    fx.Reply(pending.ReplyTo, FetchError(pending.Request, ErrorCode.CorruptMessage, corruption));
                    fx.Add(new ReplicaEffect.LogCorrupt(corruptOffset));
                }
                else if (records.Length == 0 && offset < end && pending.ToSequenceNr < _log.LastSequenceNr)
                {
                    // Compaction removed every batch of the planned range (the index's byte positions predate it): read on.
                    var (from, to) = _log.NextJournalRange(pending.ToSequenceNr, maxBytes);
                    fx.Add(new ReplicaEffect.ReadJournal(from, to, pending with { ToSequenceNr = to }));
                }
                else
                {
                    // The planned range always covers the offset's batch; an empty answer means the index and the
                    // journal disagree. Say so, and let the reader fetch again rather than loop on the same read.
                    if (records.Length == 0 && offset < end)
                        fx.Warning($"journal events {events.Count} returned no batch at offset {offset}");
                    Reply(pending.Request, pending.ReplyTo, records, pending.StartedTicks, fx);
                    if (pending.Request is FetchRequest answered && records.Length > 0) ReadOn(answered, records, fx);
                }
                break;
            case ListOffsetsRequest when error != null:
                fx.Reply(pending.ReplyTo, new ListOffsetsResponse(Tp, ErrorCode.KafkaStorageError, $"{Tp}: {error}", -1, -1));
                break;
            case ListOffsetsRequest l:
                var found = _log.FindOffsetForTimestamp(_log.LiveBatches(events), l.Timestamp);
                if (found is PartitionLog.TimestampPlan.NotFound && pending.ToSequenceNr < _log.LastSequenceNr)
                {
                    // The record may lie past batches compaction removed: search on.
                    var (from, to) = _log.NextJournalRange(pending.ToSequenceNr, _maxJournalReadBytes);
                    fx.Add(new ReplicaEffect.ReadJournal(from, to, pending with { ToSequenceNr = to }));
                }
                else AnswerTimestamp(found, l, pending.ReplyTo, pending.StartedTicks, fx);
                break;
            default:
                throw new ArgumentException($"{Tp}: not a read of this part: {pending.Request.GetType().Name}", nameof(pending));
        }
    }

    /// <summary>A parked fetch's wait is over: it is answered with whatever is there now.</summary>
    public void DeadlineElapsed(FetchDeadline deadline, ReplicaEffects fx)
    {
        if (_waiters.Expire(deadline.FetchId) is { } parked) AnswerNow(parked.Request, parked.ReplyTo, parked.StartedTicks, fx);
    }

    /// <summary>Answers waiting fetches that can now be served: followers' when the log grew, consumers' when the high watermark moved.</summary>
    public void WakeParked(ReplicaEffects fx)
    {
        if (_waiters.Count == 0) return;
        foreach (var p in _waiters.TakeReady(_log.PositionOf(_log.HighWatermark) ?? _log.LogBytes, _log.LogBytes))
        {
            fx.Add(new ReplicaEffect.CancelTimer(TimerKey(p.Id)));
            AnswerNow(p.Request, p.ReplyTo, p.StartedTicks, fx);
        }
    }

    /// <summary>Answers every parked fetch with an error (the replica stops leading, or the partition is gone).</summary>
    public void FailParked(ErrorCode code, string message, ReplicaEffects fx)
    {
        foreach (var p in _waiters.TakeAll())
        {
            fx.Add(new ReplicaEffect.CancelTimer(TimerKey(p.Id)));
            fx.Reply(p.ReplyTo, FetchError(p.Request, code, message));
        }
        foreach (var w in _ahead.TakeWaiting()) fx.Reply(w.ReplyTo, FetchError(w.Request, code, message));
    }

    private static string TimerKey(long fetchId) => $"fetch-{fetchId}";

    /// <summary>Answers a fetch at <paramref name="offset"/> as the log planned it: now, after a journal read, or when records arrive.</summary>
    private void Serve(object request, long offset, PartitionLog.FetchPlan plan, int minBytes, int maxWaitMs, IActorRef replyTo, long startedTicks, ReplicaEffects fx)
    {
        switch (plan)
        {
            case PartitionLog.FetchPlan.Error e:
                BrokerMetrics.FailedRequests.Add(1, new("api", "fetch"), new("error", e.Code.KafkaName()));
                fx.Reply(replyTo, FetchError(request, e.Code, e.Message));
                break;
            case PartitionLog.FetchPlan.FromCache c when c.Records.Length >= Math.Max(1, minBytes) || maxWaitMs <= 0:
                Reply(request, replyTo, c.Records, startedTicks, fx);
                break;
            case PartitionLog.FetchPlan.FromCache:
                // Bounded whatever clients ask: the longest-waiting fetch makes room, answered with what there is.
                if (_waiters.Count >= _maxParkedFetches && _waiters.TakeOldest() is { } oldest)
                {
                    fx.Add(new ReplicaEffect.CancelTimer(TimerKey(oldest.Id)));
                    AnswerNow(oldest.Request, oldest.ReplyTo, oldest.StartedTicks, fx);
                }
                var parked = _waiters.Park(request, replyTo, _log.PositionOf(offset) ?? _log.LogBytes, startedTicks);
                var wait = TimeSpan.FromMilliseconds(maxWaitMs);
                fx.Add(new ReplicaEffect.StartTimer(TimerKey(parked.Id), new FetchDeadline(parked.Id), wait < _maxFetchWait ? wait : _maxFetchWait));
                break;
            case PartitionLog.FetchPlan.FromJournal j:
                fx.Add(new ReplicaEffect.ReadJournal(j.FromSequenceNr, j.ToSequenceNr, new PendingRead(request, replyTo, startedTicks, j.ToSequenceNr)));
                break;
        }
    }

    /// <summary>Answers a fetch with whatever is there now, without waiting again.</summary>
    private void AnswerNow(object request, IActorRef replyTo, long startedTicks, ReplicaEffects fx)
    {
        switch (request)
        {
            case FetchRequest f:
                Fetch(f with { MaxWaitMs = 0 }, replyTo, startedTicks, fx);
                break;
            case ReplicaFetchRequest r when _notServing() is { } notServing:
                fx.Reply(replyTo, FetchError(r, notServing.Code, notServing.Message));
                break;
            case ReplicaFetchRequest r:
                Serve(r, r.FetchOffset, _log.PlanFetch(r.FetchOffset, r.MaxBytes, forFollower: true), 1, 0, replyTo, startedTicks, fx);
                break;
        }
    }

    private void AnswerTimestamp(PartitionLog.TimestampPlan plan, ListOffsetsRequest request, IActorRef replyTo, long startedTicks, ReplicaEffects fx)
    {
        switch (plan)
        {
            case PartitionLog.TimestampPlan.Found f:
                fx.Reply(replyTo, new ListOffsetsResponse(Tp, ErrorCode.None, null, f.Offset, f.Timestamp));
                break;
            case PartitionLog.TimestampPlan.NotFound:
                fx.Reply(replyTo, new ListOffsetsResponse(Tp, ErrorCode.None, null, -1, -1));
                break;
            case PartitionLog.TimestampPlan.FromJournal j:
                fx.Add(new ReplicaEffect.ReadJournal(j.FromSequenceNr, j.ToSequenceNr, new PendingRead(request, replyTo, startedTicks, j.ToSequenceNr)));
                break;
        }
    }

    private object FetchError(object request, ErrorCode code, string message) => request switch
    {
        ReplicaFetchRequest r => new ReplicaFetchResponse(Tp, code, message, _log.HighWatermark, _log.LogStartOffset, Array.Empty<byte>(), r.CorrelationId),
        _ => new FetchResponse(Tp, code, message, _log.HighWatermark, _log.LogStartOffset, Array.Empty<byte>()),
    };

    private void Reply(object request, IActorRef replyTo, byte[] records, long startedTicks, ReplicaEffects fx)
    {
        if (request is ReplicaFetchRequest r)
        {
            fx.Reply(replyTo, new ReplicaFetchResponse(Tp, ErrorCode.None, null, _log.HighWatermark, _log.LogStartOffset, records, r.CorrelationId));
            return;
        }
        if (records.Length > 0)
        {
            var topic = new KeyValuePair<string, object?>("topic", Tp.Topic);
            BrokerMetrics.BytesOut.Add(records.Length, topic);
            long count = 0;
            foreach (var b in RecordBatch.ReadAll(records)) count += b.RecordCount;
            BrokerMetrics.RecordsOut.Add(count, topic);
        }
        fx.Reply(replyTo, new FetchResponse(Tp, ErrorCode.None, null, _log.HighWatermark, _log.LogStartOffset, records));
        BrokerMetrics.RequestLatency.Record(Stopwatch.GetElapsedTime(startedTicks).TotalMilliseconds, new KeyValuePair<string, object?>("api", "fetch"));
    }
}
