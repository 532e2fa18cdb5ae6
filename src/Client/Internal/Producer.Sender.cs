using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>
/// The producer's sender: sealed batches leave in sequence order, at most max.in.flight.requests.per.connection per
/// partition, and failed ones are retried in order with their sequence numbers (see the class's main file).
/// </summary>
internal sealed partial class Producer<TKey, TValue>
{
    private async Task<(long Id, short Epoch)> ProducerIdAsync(CancellationToken ct)
    {
        var task = _producerId;
        if (task is { IsCompletedSuccessfully: true }) return task.Result;
        if (task == null || task.IsFaulted || task.IsCanceled)
        {
            var fresh = InitProducerIdAsync();
            task = Interlocked.CompareExchange(ref _producerId, fresh, task) == task ? fresh : _producerId!;
        }
        return await task.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task<(long, short)> InitProducerIdAsync()
    {
        var broker = await _connection.AnyBrokerAsync().ConfigureAwait(false);
        var response = await _connection.AskAsync<InitProducerIdResponse>(broker, new InitProducerIdRequest()).ConfigureAwait(false);
        if (response.Error != ErrorCode.None)
            throw new KafkaException(new Error(response.Error, response.ErrorMessage ?? response.Error.Describe()));
        return (response.ProducerId, response.ProducerEpoch);
    }

    /// <summary>Closes the open batch: assigns its sequence numbers and queues it for sending. Caller holds the lock.</summary>
    private void SealOpen(PartitionState state)
    {
        if (!state.Open.HasOpen) return;
        var idempotent = _settings.EnableIdempotence && _settings.Acks != 0;
        var batches = state.Batches;
        if (idempotent && batches.ProducerId == RecordBatch.NoProducerId)
        {
            // Completed: every record reached a partition only after AppendAsync awaited ProducerIdAsync successfully,
            // and a successfully completed id task is never replaced.
            var (id, epoch) = _producerId!.Result;
            batches.UseProducerId(id, epoch);
        }
        // Built before anything is taken: a batch that fails to build stays open with its records and numbers.
        var bytes = idempotent
            ? state.Open.Build(batches.ProducerId, batches.ProducerEpoch, batches.NextSequence)
            : state.Open.Build(RecordBatch.NoProducerId, RecordBatch.NoProducerEpoch, RecordBatch.NoSequence);
        var open = state.Open.Take();
        var seq = idempotent ? batches.TakeSequences(open.Records.Count) : RecordBatch.NoSequence;
        batches.Sealed(new ProducerBatch { Bytes = bytes, BaseSequence = seq, RecordCount = open.Records.Count, Records = open.Records, CreatedTicks = open.CreatedTicks });
        OnBatchSealed(state.Tp);
    }

    /// <summary>Sends what may be sent now. Caller holds the partition's lock, so batches leave in order.</summary>
    private void Drain(PartitionState state)
    {
        var batches = state.Batches;
        if (batches.Recovering)
        {
            if (batches.InFlight.Count > 0) return;
            switch (batches.Resume(Stopwatch.GetTimestamp()))
            {
                case SendGate.Open:
                    break;
                case SendGate.NeedsProducerId:
                    if (!batches.ObtainingProducerId)
                    {
                        batches.ObtainingProducerId = true;
                        _ = RenumberWithNewProducerIdAsync(state);
                    }
                    return;
                default:
                    return;
            }
        }
        // Send only to a resolved leader, so batches leave in sequence order; resolve it once, then drain again.
        if (_settings.Acks != 0 && _connection.LeaderGateway(state.Tp, ref state.Route) is not { IsCompletedSuccessfully: true })
        {
            if (!state.ResolvingLeader)
            {
                state.ResolvingLeader = true;
                _ = ResolveLeaderAsync(state);
            }
            return;
        }
        // The clock last: a producer with batches waiting (a full buffer) appends without reading it per record.
        if (batches.Unsent.Count == 0 && batches.InFlight.Count < _settings.MaxInFlight && OpenBatchMayLeave(state))
            SealOpen(state);
        while (batches.Unsent.Count > 0 && (batches.InFlight.Count < _settings.MaxInFlight || _settings.Acks == 0))
        {
            if (!Send(state, batches.Unsent[0])) break;
            if (batches.Unsent.Count == 0 && batches.InFlight.Count < _settings.MaxInFlight && OpenBatchMayLeave(state))
                SealOpen(state);
        }
        if (!state.Open.HasOpen && batches.Unsent.Count == 0) state.Open.FlushRequested = false;
    }

    // The clock is read only when no flush already lets the batch go.
    private static bool OpenBatchMayLeave(PartitionState state) =>
        state.Open.HasOpen && (state.Open.FlushRequested || state.Open.LingerPassed(Stopwatch.GetTimestamp()));

    /// <summary>Sends the partition's first unsent batch; false (and nothing sent) when the leader's address was forgotten meanwhile.</summary>
    private bool Send(PartitionState state, ProducerBatch batch)
    {
        var gateway = _connection.LeaderGateway(state.Tp, ref state.Route);
        if (_settings.Acks != 0 && gateway is not { IsCompletedSuccessfully: true })
        {
            if (!state.ResolvingLeader)
            {
                state.ResolvingLeader = true;
                _ = ResolveLeaderAsync(state);
            }
            return false;
        }
        state.Batches.Sent(batch, awaitsAnswer: _settings.Acks != 0);
        if (batch.Attempts > 1) Interlocked.Add(ref _recordRetries, batch.Records.Count);
        var request = new ProduceRequest(state.Tp, _settings.Acks, (int)_settings.Client.RequestTimeout.TotalMilliseconds, batch.Bytes);
        _batchSize.Record(batch.Bytes.Length);
        _recordsPerRequest.Record(batch.Records.Count);
        if (_settings.Acks == 0)
        {
            if (gateway is { IsCompletedSuccessfully: true }) gateway.Result.Tell(request, NoReplySender);
            else _ = SendWhenResolvedAsync(state.Tp, request);
            _recordSendRate.Add(batch.Records.Count);
            // Delivery handlers run outside the partition lock (a handler may produce again).
            ThreadPool.QueueUserWorkItem(_ => Complete(state.Tp, batch, -1, -1, Error.NoError, PersistenceStatus.PossiblyPersisted));
            return true;
        }
        var started = Stopwatch.GetTimestamp();
        var reply = gateway!.Result.Ask<ProduceResponse>(request, _settings.Client.RequestTimeout, _connection.LinkToken(gateway.Result));
        reply.ContinueWith(t => OnReply(state, batch, t, started), CancellationToken.None,
            TaskContinuationOptions.RunContinuationsAsynchronously, TaskScheduler.Default);
        return true;
    }

    private async Task ResolveLeaderAsync(PartitionState state)
    {
        while (true)
        {
            try
            {
                await _connection.LeaderGatewayAsync(state.Tp, _closing.Token).ConfigureAwait(false);
                break;
            }
            catch (KafkaException)
            {
                // Leader unknown or unreachable: batches wait (bounded by delivery.timeout.ms) and resolution retries.
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await Task.Delay(_settings.Client.RetryBackoff, _closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        lock (state)
        {
            state.ResolvingLeader = false;
            Drain(state);
        }
    }

    private async Task RenumberWithNewProducerIdAsync(PartitionState state)
    {
        (long Id, short Epoch) fresh;
        while (true)
        {
            try
            {
                fresh = await InitProducerIdAsync().ConfigureAwait(false);
                break;
            }
            catch (KafkaException)
            {
                // No broker answered: try again after the backoff; batches stay bounded by delivery.timeout.ms.
            }
            try
            {
                await Task.Delay(_settings.Client.RetryBackoff, _closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        List<ProducerBatch> ambiguous;
        lock (state)
        {
            // A batch that may already be in the log under the old id must not be sent again under the new one (it
            // would be appended twice): its records are reported as possibly persisted instead.
            ambiguous = state.Batches.Renumber(fresh.Id, fresh.Epoch);
            Drain(state);
        }
        foreach (var b in ambiguous)
            Complete(state.Tp, b, -1, -1, new Error(ErrorCode.LocalMessageTimedOut,
                "the broker did not confirm this batch and it may already be in the log; it was not resent, to avoid a duplicate"),
                PersistenceStatus.PossiblyPersisted);
    }

    /// <summary>
    /// The sender of an acks=0 produce: none, unless the client authenticates (a session serves only its client's address,
    /// and brokers before sessions existed would keep a reply slot open for a sender that never gets an answer).
    /// </summary>
    private IActorRef NoReplySender => _connection.Settings.Authenticates ? _connection.NoReplySender : ActorRefs.NoSender!;

    private async Task SendWhenResolvedAsync(ProtocolTopicPartition tp, ProduceRequest request)
    {
        try
        {
            (await _connection.LeaderGatewayAsync(tp).ConfigureAwait(false)).Tell(request, NoReplySender);
        }
        catch (KafkaException)
        {
            // acks=0 promises nothing: a record whose leader cannot be found is dropped, as Kafka drops it.
        }
    }

    private void OnReply(PartitionState state, ProducerBatch batch, Task<ProduceResponse> reply, long started)
    {
        _requestLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        Error error;
        ProduceResponse? response = null;
        if (reply.IsCompletedSuccessfully)
        {
            response = reply.Result;
            error = response.Error == ErrorCode.None ? Error.NoError : new Error(response.Error, response.ErrorMessage ?? response.Error.Describe());
        }
        else
        {
            var e = reply.Exception?.GetBaseException();
            error = e switch
            {
                KafkaException k => k.Error,
                AskTimeoutException => new Error(ErrorCode.RequestTimedOut,
                    $"the broker did not acknowledge the batch within request.timeout.ms ({_settings.Client.RequestTimeout.TotalMilliseconds:0} ms)"),
                OperationCanceledException => new Error(ErrorCode.NetworkException, "the connection to the partition's leader dropped before it answered"),
                _ => new Error(ErrorCode.NetworkException, e?.Message ?? "the request failed"),
            };
        }

        var completed = new List<BatchOutcome<ProducerBatch>>();
        lock (state)
        {
            // Only a failure is judged by the time (retry backoff, delivery.timeout.ms).
            var leaderInDoubt = state.Batches.Answered(batch, error, response?.BaseOffset ?? -1, response?.LogAppendTime ?? -1,
                error.IsError ? Stopwatch.GetTimestamp() : 0, completed);
            if (leaderInDoubt) _connection.Invalidate(state.Tp.Topic);
            Drain(state);
        }
        foreach (var c in completed) Complete(state.Tp, c.Batch, c.BaseOffset, c.LogAppendTime, c.Error, c.Status);
    }

    private void Complete(ProtocolTopicPartition tp, ProducerBatch batch, long baseOffset, long logAppendTime, Error error, PersistenceStatus status)
    {
        if (!batch.TryMarkCompleted()) return;
        long bytes = 0;
        for (var i = 0; i < batch.Records.Count; i++)
        {
            var r = batch.Records[i];
            bytes += r.Size;
            var offset = baseOffset < 0 ? -1 : baseOffset + i;
            var timestamp = logAppendTime >= 0 ? new Timestamp(logAppendTime, TimestampType.LogAppendTime) : new Timestamp(r.Timestamp, TimestampType.CreateTime);
            if (r.Handler != null)
            {
                try
                {
                    r.Handler(new DeliveryReport<TKey, TValue>
                    {
                        TopicPartitionOffset = new TopicPartitionOffset(tp.Topic, tp.Partition, offset), Message = r.Message,
                        Timestamp = timestamp, Status = status, Error = error,
                    });
                }
                catch (Exception e)
                {
                    // A throwing handler must not stop other records from completing. It is the application's bug:
                    // told to its log handler, or on standard error when it set none.
                    if (_connection.HasLogHandler) _connection.System.Log.Error(e, "[{0}] delivery handler threw for {1}@{2}", Name, tp, offset);
                    else Console.Error.WriteLine($"[{Name}] delivery handler threw for {tp}@{offset}: {e}");
                }
            }
            else if (error.IsError)
                r.Completion!.TrySetException(new ProduceException<TKey, TValue>(error, Result(tp.Topic, tp.Partition, offset, r.Message, r.Timestamp, status)));
            else
                r.Completion!.TrySetResult(new DeliveryResult<TKey, TValue>
                {
                    TopicPartitionOffset = new TopicPartitionOffset(tp.Topic, tp.Partition, offset), Message = r.Message, Timestamp = timestamp, Status = status,
                });
        }
        if (error.IsError) Interlocked.Add(ref _recordErrors, batch.Records.Count);
        else if (_settings.Acks != 0)
        {
            _recordSendRate.Add(batch.Records.Count);
            var counters = _delivered.GetOrAdd(tp, _ => new PartitionCounters());
            Interlocked.Add(ref counters.Messages, batch.Records.Count);
            Interlocked.Add(ref counters.Bytes, bytes);
            Interlocked.Add(ref _deliveredBytes, bytes);
        }
        ReleaseBuffer(bytes);
        lock (_pendingLock)
        {
            _pendingRecords -= batch.Records.Count;
            if (_pendingRecords == 0) _idle.Set();
        }
    }

    private static DeliveryResult<TKey, TValue> Result(string topic, int partition, long offset, Message<TKey, TValue> message, long timestamp,
        PersistenceStatus status) =>
        new()
        {
            TopicPartitionOffset = new TopicPartitionOffset(topic, partition, offset), Message = message,
            Timestamp = new Timestamp(timestamp, TimestampType.CreateTime), Status = status,
        };

    /// <summary>
    /// The producer's sender thread: sends batches whose linger.ms has passed, resumes retries and expires batches past
    /// delivery.timeout.ms. It runs on a thread of its own, as Kafka's sender does, because a thread's timed wait is
    /// precise where .NET's timers (PeriodicTimer, Task.Delay) follow Environment.TickCount64, which on Linux moves with
    /// the kernel's tick (4 ms on a 250 Hz kernel) and so stretched linger.ms=1 to 4-5 ms.
    /// </summary>
    private void LingerLoop()
    {
        // With linger.ms = 0 batches leave from the produce call itself; the loop then only resumes retries and expires
        // old batches, and need not wake every millisecond.
        var tick = TimeSpan.FromMilliseconds(_settings.LingerMs == 0 ? 5 : Math.Clamp(_settings.LingerMs / 2, 1, 50));
        var closing = _closing.Token;
        while (!closing.IsCancellationRequested)
        {
            // Reset before looking, so a record that arrives after the look sets it again and is not slept through.
            _recordsArrived.Reset();
            bool pending;
            lock (_pendingLock) pending = _pendingRecords > 0;
            try
            {
                // With nothing to send there is nothing to time: sleep until a record arrives.
                if (pending) closing.WaitHandle.WaitOne(tick);
                else _recordsArrived.Wait(IdleWait, closing);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (closing.IsCancellationRequested) break;
            try
            {
                LingerTick();
            }
            catch (Exception e)
            {
                // A failed round must not end the thread: lingering batches and delivery timeouts depend on it.
                _connection.System.Log.Error(e, "[{0}] the producer's sender failed a round; it carries on", Name);
            }
        }
    }

    // A bound on the sleep of an idle sender, though a record's arrival always wakes it; it also lets a partition that
    // waits for a new producer id with no record left start asking for one.
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    /// <summary>Sends batches whose linger expired, resumes partitions after retry backoff and fails expired batches.</summary>
    private void LingerTick()
    {
        var states = _partitions.Values.ToArray();
        // A batch created at or before this has been waiting delivery.timeout.ms. The clock is read once per round.
        var expiredAtOrBefore = Stopwatch.GetTimestamp() - (long)(_settings.DeliveryTimeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var state in states)
        {
            List<ProducerBatch>? expired = null;
            lock (state)
            {
                if (state.Batches.Unsent.Count > 0 && state.Batches.Unsent[0].CreatedTicks <= expiredAtOrBefore)
                    state.Batches.ExpireUnsent(expiredAtOrBefore, expired = new());
                // Records still in the open batch (no leader found, or waiting for a new producer id) expire too;
                // they were never numbered, so nothing else changes.
                if (state.Open.OpenedBy(expiredAtOrBefore))
                {
                    var open = state.Open.Take();
                    (expired ??= new()).Add(new ProducerBatch
                    {
                        Bytes = [], BaseSequence = RecordBatch.NoSequence, RecordCount = open.Records.Count, Records = open.Records, CreatedTicks = open.CreatedTicks,
                    });
                }
                if (state.Open.HasOpen || state.Batches.Unsent.Count > 0 || state.Batches.Recovering) Drain(state);
            }
            if (expired != null)
                foreach (var b in expired)
                    Complete(state.Tp, b, -1, -1, new Error(ErrorCode.LocalMessageTimedOut,
                            $"the record was not acknowledged within delivery.timeout.ms ({_settings.DeliveryTimeout.TotalMilliseconds:0} ms)"),
                        b.MaybeAppended ? PersistenceStatus.PossiblyPersisted : PersistenceStatus.NotPersisted);
        }
    }
}
