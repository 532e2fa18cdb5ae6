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
        if (state.Open == null) return;
        var count = state.Open.Count;
        var idempotent = _settings.EnableIdempotence && _settings.Acks != 0;
        // Completed: every record reached a partition only after AppendAsync awaited ProducerIdAsync successfully, and a
        // successfully completed id task is never replaced.
        if (idempotent && state.ProducerId == RecordBatch.NoProducerId) (state.ProducerId, state.ProducerEpoch) = _producerId!.Result;
        var seq = idempotent ? state.NextSequence : RecordBatch.NoSequence;
        var bytes = idempotent ? state.Open.Build(state.ProducerId, state.ProducerEpoch, seq) : state.Open.Build();
        if (idempotent) state.NextSequence = (int)(((long)state.NextSequence + count) % int.MaxValue);
        state.Unsent.Add(new ProducerBatch { Bytes = bytes, BaseSequence = seq, Records = state.OpenRecords, CreatedTicks = state.OpenCreatedTicks });
        state.Open = null;
        state.OpenRecords = new List<PendingRecord>();
        OnBatchSealed(state.Tp);
    }

    /// <summary>Sends what may be sent now. Caller holds the partition's lock, so batches leave in order.</summary>
    private void Drain(PartitionState state)
    {
        if (state.Recovering)
        {
            if (state.InFlight.Count > 0) return;
            if (Stopwatch.GetTimestamp() < state.RetryNotBeforeTicks) return;
            if (state.NeedsNewProducerId)
            {
                if (!state.ObtainingProducerId)
                {
                    state.ObtainingProducerId = true;
                    _ = RenumberWithNewProducerIdAsync(state);
                }
                return;
            }
            state.Recovering = false;
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
        if (state.Open != null && (state.FlushRequested || LingerExpired(state)) && state.Unsent.Count == 0 && state.InFlight.Count < _settings.MaxInFlight)
            SealOpen(state);
        while (state.Unsent.Count > 0 && (state.InFlight.Count < _settings.MaxInFlight || _settings.Acks == 0))
        {
            var batch = state.Unsent[0];
            if (!Send(state, batch)) break;
            state.Unsent.RemoveAt(0);
            if (state.Unsent.Count == 0 && state.Open != null && (state.FlushRequested || LingerExpired(state)) && state.InFlight.Count < _settings.MaxInFlight)
                SealOpen(state);
        }
        if (state.Open == null && state.Unsent.Count == 0) state.FlushRequested = false;
    }

    private bool LingerExpired(PartitionState state) =>
        Stopwatch.GetElapsedTime(state.OpenCreatedTicks).TotalMilliseconds >= _settings.LingerMs;

    /// <summary>Sends the batch; false (and nothing sent) when the leader's address was forgotten meanwhile.</summary>
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
        batch.Attempts++;
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
        state.InFlight.Add(batch);
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
            state.ProducerId = fresh.Id;
            state.ProducerEpoch = fresh.Epoch;
            // A batch that may already be in the log under the old id must not be sent again under the new one (it
            // would be appended twice): its records are reported as possibly persisted instead.
            ambiguous = state.Unsent.Where(b => b.MaybeAppended).ToList();
            state.Unsent.RemoveAll(b => b.MaybeAppended);
            var seq = 0;
            foreach (var b in state.Unsent)
            {
                b.BaseSequence = seq;
                if (b.Attempts > 0) b.Bytes = (byte[])b.Bytes.Clone();
                RecordBatch.SetProducerState(b.Bytes, fresh.Id, fresh.Epoch, seq);
                seq += b.Records.Count;
            }
            state.NextSequence = seq;
            state.NeedsNewProducerId = false;
            state.ObtainingProducerId = false;
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

        var completed = new List<(ProducerBatch Batch, Error Error, long Offset, long AppendTime, PersistenceStatus Status)>();
        lock (state)
        {
            if (error.IsError && MayBeInLog(error)) batch.MaybeAppended = true;
            if (!error.IsError)
            {
                // Reports go out in the partition's order: this one waits for any earlier batch still in flight.
                batch.Acked = (response!.BaseOffset, response.LogAppendTime);
            }
            else
            {
                state.InFlight.Remove(batch);
                HandleFailure(state, batch, error, completed);
            }
            while (state.InFlight.Count > 0 && state.InFlight[0].Acked is { } acked)
            {
                completed.Add((state.InFlight[0], Error.NoError, acked.BaseOffset, acked.LogAppendTime, PersistenceStatus.Persisted));
                state.InFlight.RemoveAt(0);
            }
            Drain(state);
        }
        foreach (var c in completed) Complete(state.Tp, c.Batch, c.Offset, c.AppendTime, c.Error, c.Status);
    }

    /// <summary>Decides what a refused or unanswered batch means. Caller holds the partition's lock.</summary>
    private void HandleFailure(PartitionState state, ProducerBatch batch, Error error,
        List<(ProducerBatch Batch, Error Error, long Offset, long AppendTime, PersistenceStatus Status)> completed)
    {
        var idempotent = batch.BaseSequence >= 0;
        if (idempotent && error.ProtocolCode == ErrorCode.OutOfOrderSequenceNumber)
        {
            // Refused only because the broker expects another sequence: an earlier batch failed (its reply may not have
            // been handled yet) or the broker's view differs from ours. Never a reason to drop these records: wait for
            // earlier batches and resend, or take a new producer id when nothing earlier is pending.
            Requeue(state, batch);
            if (!state.InFlight.Any(b => b.BaseSequence < batch.BaseSequence) && !state.Recovering) StartRenumbering(state);
            state.Recovering = true;
            return;
        }
        if (idempotent && error.ProtocolCode == ErrorCode.UnknownProducerId)
        {
            // The broker no longer knows this producer (it expired while idle): the batch was not appended.
            Requeue(state, batch);
            StartRenumbering(state);
            return;
        }
        if (ShouldRetry(batch, error))
        {
            if (error.ProtocolCode is ErrorCode.NotLeaderOrFollower or ErrorCode.UnknownTopicOrPartition or ErrorCode.LeaderNotAvailable
                or ErrorCode.NetworkException or ErrorCode.RequestTimedOut or ErrorCode.FencedLeaderEpoch)
                _connection.Invalidate(state.Tp.Topic);
            Requeue(state, batch);
            state.Recovering = true;
            state.RetryNotBeforeTicks = Stopwatch.GetTimestamp() + (long)(_settings.Client.RetryBackoff.TotalSeconds * Stopwatch.Frequency);
            return;
        }
        if (batch.MaybeAppended)
        {
            // Some attempt may have been appended: its sequence numbers can never be reused. Report the records as
            // possibly persisted and continue under a new producer id.
            completed.Add((batch, error, -1, -1, PersistenceStatus.PossiblyPersisted));
            if (idempotent) StartRenumbering(state);
            return;
        }
        // Every attempt was refused: the batch is not in the log, so later batches take over its sequence numbers.
        completed.Add((batch, error, -1, -1, PersistenceStatus.NotPersisted));
        if (idempotent) Resequence(state, batch);
    }

    /// <summary>Errors after which the broker may or may not have appended the batch.</summary>
    private static bool MayBeInLog(Error error) =>
        error.ProtocolCode is ErrorCode.RequestTimedOut or ErrorCode.NetworkException or ErrorCode.LocalTransport or ErrorCode.LocalMessageTimedOut
            // A leader answers these also for a batch it had already appended (leadership moved or the ISR shrank
            // before the batch was replicated, or its journal failed while the batch waited for replication).
            or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.NotLeaderOrFollower or ErrorCode.KafkaStorageError;

    private void StartRenumbering(PartitionState state)
    {
        state.NeedsNewProducerId = true;
        state.Recovering = true;
    }

    private bool ShouldRetry(ProducerBatch batch, Error error) =>
        error.IsRetriable
        && batch.Attempts <= _settings.Retries
        && Stopwatch.GetElapsedTime(batch.CreatedTicks) < _settings.DeliveryTimeout;

    private static void Requeue(PartitionState state, ProducerBatch batch)
    {
        var i = 0;
        while (i < state.Unsent.Count && Compare(state.Unsent[i], batch) < 0) i++;
        state.Unsent.Insert(i, batch);
    }

    private static int Compare(ProducerBatch a, ProducerBatch b) =>
        a.BaseSequence >= 0 ? a.BaseSequence.CompareTo(b.BaseSequence) : a.CreatedTicks.CompareTo(b.CreatedTicks);

    /// <summary>
    /// A batch failed for good, so its sequence numbers were never used: later batches move down to close the gap
    /// (as Kafka's producer adjusts sequences), and those in flight will be refused and resent with the new numbers.
    /// </summary>
    private static void Resequence(PartitionState state, ProducerBatch failed)
    {
        var count = failed.Records.Count;
        foreach (var b in state.Unsent.Concat(state.InFlight))
        {
            if (b.BaseSequence <= failed.BaseSequence) continue;
            b.BaseSequence -= count;
            // A sent batch's bytes may still be read by remoting's writer thread: rewrite a copy.
            if (b.Attempts > 0) b.Bytes = (byte[])b.Bytes.Clone();
            RecordBatch.SetBaseSequence(b.Bytes, b.BaseSequence);
        }
        state.NextSequence -= count;
        if (state.InFlight.Count > 0) state.Recovering = true;
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
                // Unsent batches are in sequence order, which is the order they were created in: the expired ones are
                // at the front. Looking only there keeps a round cheap when a full buffer.memory holds thousands of
                // batches (checking each of them every round took a tenth of the producer's CPU).
                var count = 0;
                while (count < state.Unsent.Count && state.Unsent[count].CreatedTicks <= expiredAtOrBefore) count++;
                if (count > 0)
                {
                    expired = state.Unsent.GetRange(0, count);
                    state.Unsent.RemoveRange(0, count);
                }
                if (expired != null)
                {
                    // A batch that may be in the log keeps its sequence numbers for good: continue under a new
                    // producer id. Batches certainly not in the log give theirs to the batches after them.
                    if (expired.Any(b => b.BaseSequence >= 0 && b.MaybeAppended)) StartRenumbering(state);
                    else
                        foreach (var b in expired.Where(b => b.BaseSequence >= 0).OrderByDescending(b => b.BaseSequence))
                            Resequence(state, b);
                }
                // Records still in the open batch (no leader found, or waiting for a new producer id) expire too;
                // they were never numbered, so nothing else changes.
                if (state.Open != null && state.OpenCreatedTicks <= expiredAtOrBefore)
                {
                    (expired ??= new()).Add(new ProducerBatch { Bytes = [], BaseSequence = RecordBatch.NoSequence, Records = state.OpenRecords, CreatedTicks = state.OpenCreatedTicks });
                    state.Open = null;
                    state.OpenRecords = new List<PendingRecord>();
                }
                if (state.Open != null || state.Unsent.Count > 0 || state.Recovering) Drain(state);
            }
            if (expired != null)
                foreach (var b in expired)
                    Complete(state.Tp, b, -1, -1, new Error(ErrorCode.LocalMessageTimedOut,
                            $"the record was not acknowledged within delivery.timeout.ms ({_settings.DeliveryTimeout.TotalMilliseconds:0} ms)"),
                        b.MaybeAppended ? PersistenceStatus.PossiblyPersisted : PersistenceStatus.NotPersisted);
        }
    }
}
