using System.Diagnostics;
using Akka.Actor;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// How a leader takes producers' batches, with no actor or I/O: refuse what it cannot take (not leading, too few
/// in-sync replicas for acks=all, a bad batch), answer a retried batch as its original was answered, and journal the
/// rest in order, answering each once written (acks=1) or once replicated (acks=all, through <see cref="LeaderRole"/>).
/// Batches whose write is in flight are kept in order, so a failed or rejected write can be answered at once
/// (KAFKA_STORAGE_ERROR, retriable) instead of timing out.
/// </summary>
public sealed class LeaderWrites
{
    /// <summary>A producer's batch being journaled: who waits for it and how the answer is to be made.</summary>
    public sealed record PendingAppend(IActorRef ReplyTo, short Acks, int TimeoutMs, PartitionLog.AppendDecision.Accepted Accepted, long StartedTicks);

    private readonly PartitionLog _log;
    private readonly ReplicaJournal _journal;
    private readonly LogMaintenance _maintenance;
    private readonly int _brokerId;
    private readonly Func<(ErrorCode Code, string Message)?> _notServing;
    private readonly Func<LeaderRole?> _leader;
    // Oldest first: the journal confirms, fails or rejects writes in the order they were asked for.
    private readonly Queue<PendingAppend> _inFlight = new();

    /// <param name="notServing">Why the replica serves no client now, or null when it leads.</param>
    /// <param name="leader">The leader role while the replica leads.</param>
    public LeaderWrites(PartitionLog log, ReplicaJournal journal, LogMaintenance maintenance, int brokerId,
        Func<(ErrorCode Code, string Message)?> notServing, Func<LeaderRole?> leader)
    {
        _log = log;
        _journal = journal;
        _maintenance = maintenance;
        _brokerId = brokerId;
        _notServing = notServing;
        _leader = leader;
    }

    private TopicPartition Tp => _log.TopicPartition;

    public int WritesInFlight => _inFlight.Count;

    /// <summary>
    /// Kafka's DeleteRecords on the leader: the log start moves to the offset asked (at most the high watermark, so no
    /// record a follower may still lack is cut), answered once journaled. Followers move theirs when their next fetch
    /// tells them the leader's log start.
    /// </summary>
    public void DeleteRecords(DeleteRecordsRequest request, IActorRef replyTo, ReplicaEffects fx)
    {
        if (_notServing() is { } notServing)
        {
            fx.Reply(replyTo, new DeleteRecordsResponse(Tp, notServing.Code, notServing.Message, -1));
            return;
        }
        if (_log.Config is { Deletes: false })
        {
            fx.Reply(replyTo, new DeleteRecordsResponse(Tp, ErrorCode.PolicyViolation,
                $"{Tp}: records of a topic with cleanup.policy=compact cannot be deleted by offset; add 'delete' to its cleanup.policy, or write tombstones for their keys", -1));
            return;
        }
        var offset = request.Offset == DeleteRecordsRequest.HighWatermark ? _log.HighWatermark : request.Offset;
        if (offset < 0 || offset > _log.HighWatermark)
        {
            fx.Reply(replyTo, new DeleteRecordsResponse(Tp, ErrorCode.OffsetOutOfRange,
                $"{Tp}: records can be deleted up to the high watermark {_log.HighWatermark} (-1 for it); {request.Offset} is out of range", -1));
            return;
        }
        if (offset <= _log.LogStartOffset)
        {
            fx.Reply(replyTo, new DeleteRecordsResponse(Tp, ErrorCode.None, null, _log.LogStartOffset));
            return;
        }
        fx.Add(new ReplicaEffect.Persist([new RecordsDeleted(offset)]));
        fx.Add(new ReplicaEffect.ReplyAfterWrites(replyTo, new DeleteRecordsResponse(Tp, ErrorCode.None, null, offset)));
    }

    public void Produce(ProduceRequest request, IActorRef replyTo, long startedTicks, long nowMs, ReplicaEffects fx)
    {
        void Refuse(ErrorCode code, string message)
        {
            BrokerMetrics.FailedRequests.Add(1, new("api", "produce"), new("error", code.KafkaName()));
            if (request.Acks != 0) fx.Reply(replyTo, new ProduceResponse(Tp, code, message, -1, -1, _log.LogStartOffset));
        }

        if (_notServing() is { } notServing)
        {
            Refuse(notServing.Code, notServing.Message);
            return;
        }
        var leader = _leader() ?? throw new InvalidOperationException($"{Tp}: serving produce without leading");
        if (request.Acks == -1 && _log.Config is { } config && leader.CheckBeforeAppend(config.MinInsyncReplicas) is not ErrorCode.None and var tooFew)
        {
            Refuse(tooFew, $"{Tp} has {leader.Isr.Count} in-sync replicas ({string.Join(",", leader.Isr)}), " +
                           $"fewer than min.insync.replicas {config.MinInsyncReplicas}: the acks=all write was refused; retry once followers catch up");
            return;
        }
        switch (_log.PrepareAppend(request.Batch, request.Acks, nowMs, leader.LeaderEpoch))
        {
            case PartitionLog.AppendDecision.Rejected r:
                Refuse(r.Error, r.Message);
                break;
            case PartitionLog.AppendDecision.Duplicate d:
                var reply = new ProduceResponse(Tp, ErrorCode.None, null, d.BaseOffset, d.LogAppendTime, _log.LogStartOffset);
                // A retry is answered as its original would be: once written (acks=1), once replicated (acks=all).
                if (request.Acks == -1) leader.AwaitReplication(d.EndOffset, replyTo, reply, nowMs + Math.Max(1, request.TimeoutMs), fx);
                else if (d.EndOffset <= _log.DurableEnd) fx.Reply(replyTo, reply);
                else fx.Add(new ReplicaEffect.ReplyAfterWrites(replyTo, reply));
                break;
            case PartitionLog.AppendDecision.Accepted a:
                var pending = new PendingAppend(replyTo, request.Acks, request.TimeoutMs, a, startedTicks);
                _inFlight.Enqueue(pending);
                fx.Add(new ReplicaEffect.PersistBatch(new BatchAppended(a.Batch), pending));
                break;
        }
    }

    /// <summary>The journal wrote <paramref name="pending"/>'s batch as event <paramref name="sequenceNr"/>.</summary>
    public void Written(PendingAppend pending, BatchAppended written, long sequenceNr, long nowMs, ReplicaEffects fx)
    {
        _inFlight.Dequeue();
        _journal.Apply(written, sequenceNr, nowMs, replaying: false, fx);
        var a = pending.Accepted;
        var topic = new KeyValuePair<string, object?>("topic", Tp.Topic);
        BrokerMetrics.BytesIn.Add(written.Batch.Length, topic);
        BrokerMetrics.RecordsIn.Add(a.RecordCount, topic);
        BrokerMetrics.SetLogEndOffset(Tp, _log.DurableEnd);
        var reply = new ProduceResponse(Tp, ErrorCode.None, null, a.BaseOffset, a.LogAppendTime, _log.LogStartOffset);
        var leader = _leader();
        if (pending.Acks == 1) fx.Reply(pending.ReplyTo, reply);
        else if (pending.Acks == -1)
        {
            if (leader != null) leader.AwaitReplication(RecordBatch.Wrap(written.Batch).NextOffset, pending.ReplyTo, reply, nowMs + Math.Max(1, pending.TimeoutMs), fx);
            // Leadership moved while the batch was being written: it may be truncated, so it is not acknowledged.
            else fx.Reply(pending.ReplyTo, reply with
            {
                Error = ErrorCode.NotLeaderOrFollower, BaseOffset = -1,
                ErrorMessage = $"broker {_brokerId} stopped leading {Tp} before the write was replicated; retry",
            });
        }
        BrokerMetrics.RequestLatency.Record(Stopwatch.GetElapsedTime(pending.StartedTicks).TotalMilliseconds, new KeyValuePair<string, object?>("api", "produce"));
        leader?.Appended(fx);
        _maintenance.MaybeSnapshot(sequenceNr, fx);
        // Followers' long polls wait for the log end, not only for the high watermark.
        fx.Add(new ReplicaEffect.WakeParkedFetches());
    }

    /// <summary>
    /// The journal failed: nothing from the failed write on was acknowledged. Every waiting producer hears it now, and
    /// the leadership is given up; the replica then restarts from its journal, so offsets assigned to unwritten batches
    /// are reused.
    /// </summary>
    public void JournalFailed(string cause, ReplicaEffects fx)
    {
        while (_inFlight.TryDequeue(out var pending))
            if (pending.Acks != 0)
                fx.Reply(pending.ReplyTo, new ProduceResponse(Tp, ErrorCode.KafkaStorageError,
                    $"{Tp}: the journal failed to write the batch ({cause}); it was not appended, retry", -1, -1, _log.LogStartOffset));
        _leader()?.Resign(ErrorCode.KafkaStorageError, $"{Tp}: the journal failed ({cause}); the replica restarts, retry", fx);
    }

    /// <summary>
    /// The journal rejected the oldest write in flight. Its offsets and producer sequences were already assigned, so the
    /// state no longer matches the journal: the leadership is given up and the replica restarts from its journal.
    /// </summary>
    public void JournalRejected(string cause, ReplicaEffects fx)
    {
        if (_inFlight.TryDequeue(out var pending) && pending.Acks != 0)
            fx.Reply(pending.ReplyTo, new ProduceResponse(Tp, ErrorCode.KafkaStorageError,
                $"{Tp}: the journal rejected the batch ({cause}); it was not appended, retry", -1, -1, _log.LogStartOffset));
        _leader()?.Resign(ErrorCode.KafkaStorageError, $"{Tp}: the journal rejected a batch; the replica restarts, retry", fx);
    }
}
