using System.Collections.Concurrent;
using Akka.Event;
using System.Diagnostics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>
/// The consumer: per assigned partition one long-polling fetch at a time runs in the background and adds what it
/// brings to the <see cref="FetchBuffer"/>; <see cref="Consume(CancellationToken)"/> takes records from it in order.
/// <see cref="SubscriptionState"/> decides what to fetch and what an answer changes; it is guarded by <c>_lock</c>.
/// </summary>
internal sealed partial class Consumer<TKey, TValue> : IConsumer<TKey, TValue>
{
    private const int GroupDutyIntervalMs = 200;
    private readonly ConsumerSettings _settings;
    private readonly IDeserializer<TKey> _keyDeserializer;
    private readonly IDeserializer<TValue> _valueDeserializer;
    private readonly BrokerConnection _connection;
    private readonly object _lock = new();
    private readonly SubscriptionState _subscriptions;
    private readonly FetchBuffer _buffer = new();
    private readonly CancellationTokenSource _closing = new();
    private CompletedFetch? _current;
    private bool _closed;

    private readonly Stat _fetchSize = new();
    private readonly Stat _fetchLatency = new();
    private readonly Rate _fetchRate = new();
    private readonly Rate _recordsConsumed = new();

    public Consumer(ConsumerSettings settings, IDeserializer<TKey> keyDeserializer, IDeserializer<TValue> valueDeserializer,
        ConsumerHandlers<TKey, TValue> handlers)
    {
        _settings = settings;
        _keyDeserializer = keyDeserializer;
        _valueDeserializer = valueDeserializer;
        _handlers = handlers;
        _subscriptions = new SubscriptionState(settings);
        _connection = new BrokerConnection(settings.Client, handlers.Log == null ? null : m => handlers.Log(this, m),
            handlers.Error == null ? null : e => handlers.Error(this, e));
        if (settings.GroupId != null) _membership = new GroupMembership(settings, _connection);
        _nextAutoCommitTicks = Stopwatch.GetTimestamp() + Ticks(settings.AutoCommitInterval);
        ClientMeter.AddConsumer(this, Name, () => Metrics);
        _statistics = new ClientStatistics(Name, settings.Client.ClientId, "consumer", settings.Client.StatisticsInterval,
            handlers.Statistics == null ? null : json => handlers.Statistics(this, json), WriteStatistics,
            e => _connection.System.Log.Error(e, "the statistics handler threw"));
    }

    private readonly ClientStatistics _statistics;

    /// <summary>librdkafka's consumer statistics that this consumer keeps, per assigned partition.</summary>
    private void WriteStatistics(System.Text.Json.Utf8JsonWriter w)
    {
        List<(string Topic, int Partition, (long Consumed, long Bytes, long High, long Low, long Position) Value)> partitions;
        lock (_lock)
            partitions = _subscriptions.Partitions.Select(st => (st.Tp.Topic, st.Tp.Partition,
                (Interlocked.Read(ref st.Consumed), Interlocked.Read(ref st.ConsumedBytes), st.HighWatermark, st.LogStartOffset, st.Position))).ToList();
        w.WriteNumber("txmsgs", 0);
        w.WriteNumber("txmsg_bytes", 0);
        w.WriteNumber("rxmsgs", _recordsConsumed.Total);
        w.WriteNumber("rxmsg_bytes", partitions.Sum(p => p.Value.Bytes));
        ClientStatistics.WriteTopics(w, partitions, (pw, v) =>
        {
            pw.WriteNumber("rxmsgs", v.Consumed);
            pw.WriteNumber("rxbytes", v.Bytes);
            pw.WriteNumber("hi_offset", v.High);
            pw.WriteNumber("lo_offset", v.Low);
            pw.WriteNumber("app_offset", v.Position);
            pw.WriteNumber("consumer_lag", v.High >= 0 && v.Position >= 0 ? Math.Max(0, v.High - v.Position) : -1);
        });
        if (_settings.GroupId != null)
        {
            w.WriteStartObject("cgrp");
            w.WriteString("state", MemberId.Length > 0 ? "up" : "init");
            w.WriteNumber("assignment_size", partitions.Count);
            w.WriteEndObject();
        }
    }

    public string Name => _settings.Client.ClientId;

    public List<TopicPartition> Assignment
    {
        get { lock (_lock) return _subscriptions.Partitions.Select(s => s.ClientTp).ToList(); }
    }

    public string MemberId => _membership?.Current.MemberId ?? "";

    public IReadOnlyDictionary<string, double> Metrics
    {
        get
        {
            double lagMax;
            lock (_lock) lagMax = _subscriptions.LagMax;
            return new Dictionary<string, double>
            {
                ["fetch-size-avg"] = _fetchSize.Avg,
                ["fetch-size-max"] = _fetchSize.Max,
                ["fetch-rate"] = _fetchRate.PerSecond,
                ["fetch-total"] = _fetchRate.Total,
                ["fetch-latency-avg"] = _fetchLatency.Avg,
                ["fetch-latency-max"] = _fetchLatency.Max,
                ["records-lag-max"] = lagMax,
                ["records-consumed-rate"] = _recordsConsumed.PerSecond,
                ["records-consumed-total"] = _recordsConsumed.Total,
                ["commit-latency-avg"] = _commitLatency.Avg,
                ["commit-latency-max"] = _commitLatency.Max,
                ["rebalance-latency-avg"] = _rebalanceLatency.Avg,
                ["rebalance-latency-max"] = _rebalanceLatency.Max,
            };
        }
    }

    public void Assign(IEnumerable<TopicPartitionOffset> partitions)
    {
        var list = partitions.ToList();
        if (Subscribed)
            throw new InvalidOperationException("This consumer is subscribed to topics of group '" + _settings.GroupId + "'; call Unsubscribe before Assign.");
        lock (_lock)
        {
            ThrowIfClosed();
            _subscriptions.Clear();
            AddAssigned(list);
        }
    }

    /// <summary>Starts fetching each partition from its offset. Caller holds the lock.</summary>
    private void AddAssigned(IEnumerable<TopicPartitionOffset> partitions)
    {
        foreach (var tpo in partitions)
            StartAt(_subscriptions.Add(tpo.TopicPartition.ToProtocol()), tpo.Offset);
    }

    public void Assign(IEnumerable<TopicPartition> partitions) => Assign(partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset)));

    public void Assign(TopicPartitionOffset partition) => Assign([partition]);

    public void Assign(TopicPartition partition) => Assign([new TopicPartitionOffset(partition, Offset.Unset)]);

    public void IncrementalAssign(IEnumerable<TopicPartition> partitions) => IncrementalAssign(partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset)));

    public void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions)
    {
        var list = partitions.ToList();
        if (Subscribed)
            throw new InvalidOperationException("This consumer is subscribed to topics of group '" + _settings.GroupId + "': the group assigns its partitions. Call Unsubscribe first.");
        lock (_lock)
        {
            ThrowIfClosed();
            if (list.FirstOrDefault(tpo => _subscriptions.Contains(tpo.TopicPartition.ToProtocol())) is { } twice)
                throw new InvalidOperationException($"Cannot add {twice.TopicPartition}: it is assigned already. Use Seek to move it.");
            AddAssigned(list);
        }
    }

    public void IncrementalUnassign(IEnumerable<TopicPartition> partitions)
    {
        var list = partitions.Select(tp => tp.ToProtocol()).ToList();
        if (Subscribed)
            throw new InvalidOperationException("This consumer is subscribed to topics of group '" + _settings.GroupId + "': the group assigns its partitions. Call Unsubscribe first.");
        lock (_lock)
        {
            ThrowIfClosed();
            foreach (var missing in list.Where(tp => !_subscriptions.Contains(tp)).Take(1))
                throw new InvalidOperationException($"Cannot remove {missing.Topic} [[{missing.Partition}]]: it is not assigned to this consumer.");
            foreach (var tp in list) _subscriptions.Remove(tp);
        }
    }

    public void Unassign() => Assign(Array.Empty<TopicPartitionOffset>());

    public void Seek(TopicPartitionOffset position)
    {
        lock (_lock)
        {
            ThrowIfClosed();
            if (!_subscriptions.TryGet(position.TopicPartition.ToProtocol(), out var state))
                throw new InvalidOperationException($"Cannot seek {position.TopicPartition}: it is not assigned to this consumer. Assign it first.");
            StartAt(state, position.Offset);
        }
    }

    /// <summary>Sets a partition's position (resolving Beginning/End/Unset with the broker) and starts fetching. Caller holds the lock.</summary>
    private void StartAt(PartitionFetchState state, Offset offset)
    {
        _subscriptions.Seek(state, offset.IsSpecial ? -1 : offset.Value);
        if (!offset.IsSpecial)
        {
            StartFetch(state);
            return;
        }
        if (state.Paused) return;
        if (offset == Offset.Unset && _membership != null && !Subscribed)
        {
            // As Kafka's consumer: a partition assigned by hand in a consumer with a group.id starts at the group's committed offset.
            _ = ResolveCommittedAsync(state, state.Generation);
            return;
        }
        long? query = offset == Offset.Beginning ? ListOffsetsRequest.Earliest
            : offset == Offset.End ? ListOffsetsRequest.Latest
            : _settings.AutoOffsetReset switch
            {
                AutoOffsetReset.Earliest => ListOffsetsRequest.Earliest,
                AutoOffsetReset.Latest => ListOffsetsRequest.Latest,
                _ => null,
            };
        if (query == null)
        {
            _buffer.Add(CompletedFetch.Failed(state, state.Generation, new Error(ErrorCode.LocalAutoOffsetReset,
                $"No offset to start {state.Tp.Topic} [[{state.Tp.Partition}]] from and auto.offset.reset is 'none'. Assign an explicit offset, or set auto.offset.reset to earliest or latest.")));
            return;
        }
        _ = ResolveAsync(state, state.Generation, query.Value);
    }

    private async Task ResolveCommittedAsync(PartitionFetchState state, int generation)
    {
        long committed = -1;
        try
        {
            var offsets = await _membership!.FetchCommittedAsync([state.Tp], _settings.Client.RequestTimeout, _closing.Token).ConfigureAwait(false);
            committed = offsets.FirstOrDefault()?.Offset ?? -1;
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        catch (KafkaException e)
        {
            ReportOnce(state, generation, e.Error);
        }
        lock (_lock)
        {
            if (committed >= 0)
            {
                if (SubscriptionState.Resolved(state, generation, committed)) StartFetch(state);
                return;
            }
            // No committed offset: auto.offset.reset decides, as for a consumer without a group.
            if (!SubscriptionState.IsCurrent(state, generation)) return;
            var query = _settings.AutoOffsetReset switch
            {
                AutoOffsetReset.Earliest => ListOffsetsRequest.Earliest,
                AutoOffsetReset.Latest => ListOffsetsRequest.Latest,
                _ => (long?)null,
            };
            if (query == null)
            {
                _buffer.Add(CompletedFetch.Failed(state, generation, new Error(ErrorCode.LocalAutoOffsetReset,
                    $"No committed offset for {state.Tp.Topic} [[{state.Tp.Partition}]] in group '{_settings.GroupId}' and auto.offset.reset is 'none'. Seek to an offset, commit one for the group, or set auto.offset.reset to earliest or latest.")));
                return;
            }
            _ = ResolveAsync(state, generation, query.Value);
        }
    }

    private async Task ResolveAsync(PartitionFetchState state, int generation, long query)
    {
        var backoff = _settings.Client.RetryBackoff;
        while (!_closing.IsCancellationRequested)
        {
            lock (_lock)
                if (!SubscriptionState.IsCurrent(state, generation)) return;
            try
            {
                var gateway = await _connection.LeaderGatewayAsync(state.Tp, _closing.Token).ConfigureAwait(false);
                var response = await _connection.AskAsync<ListOffsetsResponse>(gateway, new ListOffsetsRequest(state.Tp, query), ct: _closing.Token).ConfigureAwait(false);
                if (response.Error == ErrorCode.None)
                {
                    lock (_lock)
                        if (SubscriptionState.Resolved(state, generation, response.Offset))
                            StartFetch(state);
                    return;
                }
                if (!response.Error.IsRetriable()) throw new KafkaException(new Error(response.Error, response.ErrorMessage ?? response.Error.Describe()));
                _connection.Invalidate(state.Tp.Topic);
            }
            catch (KafkaException e) when (!e.Error.IsRetriable || e.Error.ProtocolCode == ErrorCode.UnknownTopicOrPartition)
            {
                ReportOnce(state, generation, e.Error);
                if (e.Error.ProtocolCode != ErrorCode.UnknownTopicOrPartition) return;
                backoff = TimeSpan.FromSeconds(1);
            }
            catch (KafkaException)
            {
                // Retriable (timeout, broker unreachable): try again after the backoff.
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Not a broker error code: report it rather than let a fire-and-forget task die silently.
                ReportOnce(state, generation, new Error(ErrorCode.UnknownServerError, $"finding the start offset of {state.Tp} failed: {e.Message}"));
                backoff = TimeSpan.FromSeconds(1);
            }
            try
            {
                await Task.Delay(backoff, _closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Hands an error to the application once per partition, generation and code, so a retry loop does not flood it.</summary>
    private void ReportOnce(PartitionFetchState state, int generation, Error error)
    {
        lock (_lock)
            if (_subscriptions.ShouldReport(state, generation, error.ProtocolCode))
                _buffer.Add(CompletedFetch.Failed(state, generation, error));
    }

    /// <summary>Issues the partition's next fetch if it may fetch now (see <see cref="SubscriptionState.NextFetch"/>). Caller holds the lock.</summary>
    private void StartFetch(PartitionFetchState state)
    {
        if (_closed || _subscriptions.NextFetch(state, _buffer.BufferedBytes) is not { } request) return;
        _ = FetchAsync(state, state.Generation, request);
    }

    private async Task FetchAsync(PartitionFetchState state, int generation, FetchRequest request)
    {
        var started = Stopwatch.GetTimestamp();
        FetchResponse? response = null;
        Error? failure = null;
        try
        {
            var gateway = await _connection.LeaderGatewayAsync(state.Tp, _closing.Token).ConfigureAwait(false);
            response = await _connection.AskAsync<FetchResponse>(gateway, request,
                _settings.Client.RequestTimeout + TimeSpan.FromMilliseconds(request.MaxWaitMs), _closing.Token).ConfigureAwait(false);
        }
        catch (KafkaException e)
        {
            failure = e.Error;
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            failure = new Error(ErrorCode.UnknownServerError, $"fetching {state.Tp} failed: {e.Message}");
        }
        _fetchLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _fetchRate.Add(1);

        if (response is { Error: ErrorCode.None }) _fetchSize.Record(response.Records.Length);

        FetchOutcome outcome;
        lock (_lock)
        {
            if (_closed) return;
            outcome = _subscriptions.Fetched(state, generation, request, response, failure);
            foreach (var fetch in outcome.Deliver) _buffer.Add(fetch);
            switch (outcome.FollowUp)
            {
                case FetchFollowUp.FetchAgain:
                    StartFetch(state);
                    return;
                case FetchFollowUp.ResetPosition:
                    StartAt(state, Offset.Unset);
                    return;
                case FetchFollowUp.None:
                    return;
            }
            if (outcome.RefreshMetadata) _connection.Invalidate(state.Tp.Topic);
        }
        try
        {
            await Task.Delay(outcome.RetryAfter, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_lock)
        {
            SubscriptionState.RetryDue(state, generation);
            StartFetch(state);
        }
    }

    public ConsumeResult<TKey, TValue> Consume(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = TryConsume(Timeout.InfiniteTimeSpan, cancellationToken);
            if (result != null) return result;
        }
    }

    public ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout) => TryConsume(timeout, CancellationToken.None);

    public ConsumeResult<TKey, TValue>? Consume(int millisecondsTimeout) => Consume(TimeSpan.FromMilliseconds(millisecondsTimeout));

    private ConsumeResult<TKey, TValue>? TryConsume(TimeSpan timeout, CancellationToken ct)
    {
        ThrowIfClosed();
        var now = Stopwatch.GetTimestamp();
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : now + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            // Group work comes first on every turn, as in Kafka's poll: a rebalance must not wait until the buffered
            // records of the current fetch are used up.
            PollGroup(now);
            if (_current != null)
            {
                var chunk = _current;
                Record? record;
                try
                {
                    record = chunk.Next();
                }
                catch (Exception e) when (e is InvalidDataException or FormatException or ArgumentException)
                {
                    _current = null;
                    FinishChunk(chunk);
                    // As Kafka's consumer: the position stays at the bad record, so valid batches fetched after it are
                    // fetched again, and the error repeats until the application seeks past it.
                    lock (_lock)
                        if (SubscriptionState.IsCurrent(chunk.State, chunk.Generation) && chunk.State.Position >= 0)
                            StartAt(chunk.State, new Offset(chunk.State.Position));
                    throw new ConsumeException(new Error(ErrorCode.CorruptMessage,
                        $"{chunk.State.Tp}: a fetched batch is corrupt and was not delivered: {e.Message}"), e);
                }
                if (record == null)
                {
                    _current = null;
                    FinishChunk(chunk);
                    continue;
                }
                bool stale;
                lock (_lock)
                {
                    stale = !SubscriptionState.IsCurrent(chunk.State, chunk.Generation);
                    if (!stale) chunk.State.Position = record.Offset + 1;
                }
                if (stale)
                {
                    // Fetched before a seek or reassignment: drop the rest of it and give its bytes back.
                    _current = null;
                    FinishChunk(chunk);
                    continue;
                }
                _recordsConsumed.Add(1);
                Interlocked.Increment(ref chunk.State.Consumed);
                Interlocked.Add(ref chunk.State.ConsumedBytes, (record.Key?.Length ?? 0) + (record.Value?.Length ?? 0));
                return ToResult(chunk.State, record);
            }
            var wait = deadline == long.MaxValue ? Timeout.Infinite
                : (int)Math.Max(0, (deadline - now) * 1000 / Stopwatch.Frequency);
            // A group member looks at its group duties (auto-commit, metadata refresh, a rejoin after a backoff) at
            // least every GroupDutyIntervalMs even while no record arrives.
            var slice = _membership != null && (wait == Timeout.Infinite || wait > GroupDutyIntervalMs) ? GroupDutyIntervalMs : wait;
            if (!_buffer.TryTake(out var next, slice, ct))
            {
                ThrowIfClosed();
                now = Stopwatch.GetTimestamp();
                if (slice != wait) continue;
                return null;
            }
            now = Stopwatch.GetTimestamp();
            lock (_lock)
            {
                if (!SubscriptionState.IsCurrent(next.State, next.Generation) || next.State.Paused)
                {
                    FinishChunk(next);
                    continue;
                }
            }
            if (next.Error != null)
            {
                FinishChunk(next);
                throw next.Error;
            }
            if (next.Eof)
            {
                long position;
                lock (_lock) position = next.State.Position;
                return new ConsumeResult<TKey, TValue>
                {
                    TopicPartitionOffset = new TopicPartitionOffset(next.State.Tp.Topic, next.State.Tp.Partition, position), IsPartitionEOF = true,
                };
            }
            _current = next;
        }
    }

    /// <summary>The chunk's bytes leave the buffer, so partitions held back by fetch.max.bytes may fetch again.</summary>
    private void FinishChunk(CompletedFetch chunk)
    {
        if (!_buffer.Release(chunk)) return;
        lock (_lock)
        {
            SubscriptionState.ChunkUsedUp(chunk.State);
            foreach (var s in _subscriptions.Partitions)
                StartFetch(s);
        }
    }

    private ConsumeResult<TKey, TValue> ToResult(PartitionFetchState state, Record record)
    {
        var tp = state.Tp;
        // Never null, as with Confluent.Kafka: code may read Headers.Count of any record.
        var headers = new Headers();
        foreach (var h in record.Headers) headers.Add(h.Key, h.Value);
        var timestamp = Timestamp.From(record.Timestamp, record.TimestampType);
        var position = new TopicPartitionOffset(state.ClientTp, record.Offset);
        var key = Deserialize(_keyDeserializer, record.Key, MessageComponentType.Key, ErrorCode.LocalKeyDeserialization, position, headers, record, timestamp);
        var value = Deserialize(_valueDeserializer, record.Value, MessageComponentType.Value, ErrorCode.LocalValueDeserialization, position, headers, record, timestamp);
        return new ConsumeResult<TKey, TValue>
        {
            TopicPartitionOffset = position,
            Message = new Message<TKey, TValue> { Key = key, Value = value, Timestamp = timestamp, Headers = headers },
        };
    }

    /// <exception cref="ConsumeException">the deserializer threw; the error names the record and the component, and ConsumerRecord holds the record's bytes.</exception>
    private static T Deserialize<T>(IDeserializer<T> deserializer, byte[]? data, MessageComponentType component, ErrorCode code,
        TopicPartitionOffset position, Headers headers, Record record, Timestamp timestamp)
    {
        try
        {
            return deserializer is IArrayDeserializer<T> owner
                ? owner.FromArray(data)
                : deserializer.Deserialize(data, data == null, new SerializationContext(component, position.Topic, headers));
        }
        catch (Exception e)
        {
            throw new ConsumeException(new Error(code, $"{position.TopicPartition}@{position.Offset}: the {component.ToString().ToLowerInvariant()} deserializer failed: {e.Message}"), e)
            {
                // The record as it came, for a dead-letter queue or a log.
                ConsumerRecord = new ConsumeResult<byte[], byte[]>
                {
                    TopicPartitionOffset = position,
                    Message = new Message<byte[], byte[]> { Key = record.Key!, Value = record.Value!, Timestamp = timestamp, Headers = headers },
                },
            };
        }
    }

    public Offset Position(TopicPartition partition)
    {
        lock (_lock)
            return _subscriptions.TryGet(partition.ToProtocol(), out var s) && s.Position >= 0 ? new Offset(s.Position) : Offset.Unset;
    }

    public List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout)
    {
        var tasks = timestampsToSearch.Select(async t =>
        {
            var response = await ListOffsetsAsync(t.TopicPartition.ToProtocol(), t.Timestamp.UnixTimestampMs, timeout).ConfigureAwait(false);
            return new TopicPartitionOffset(t.TopicPartition, response.Offset < 0 ? Offset.End : new Offset(response.Offset));
        }).ToArray();
        return WaitAll(tasks, timeout).ToList();
    }

    public WatermarkOffsets QueryWatermarkOffsets(TopicPartition topicPartition, TimeSpan timeout)
    {
        var tp = topicPartition.ToProtocol();
        var results = WaitAll([ListOffsetsAsync(tp, ListOffsetsRequest.Earliest, timeout), ListOffsetsAsync(tp, ListOffsetsRequest.Latest, timeout)], timeout);
        return new WatermarkOffsets(results[0].Offset, results[1].Offset);
    }

    public WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition)
    {
        lock (_lock)
        {
            return _subscriptions.TryGet(topicPartition.ToProtocol(), out var state)
                ? new WatermarkOffsets(state.LogStartOffset < 0 ? Offset.Unset : state.LogStartOffset, state.HighWatermark < 0 ? Offset.Unset : state.HighWatermark)
                : new WatermarkOffsets(Offset.Unset, Offset.Unset);
        }
    }

    private async Task<ListOffsetsResponse> ListOffsetsAsync(ProtocolTopicPartition tp, long timestamp, TimeSpan timeout)
    {
        return await _connection.AskLeaderAsync<ListOffsetsResponse>(tp, new ListOffsetsRequest(tp, timestamp), BrokerConnection.ListOffsetsError, timeout).ConfigureAwait(false);
    }

    /// <summary>
    /// Blocks for the public synchronous API, unwrapping the KafkaException a task failed with. The tasks end by the
    /// same timeout with their own error (say, NOT_LEADER_OR_FOLLOWER after retrying); a short grace lets that error,
    /// rather than a bare timeout, reach the caller.
    /// </summary>
    private static T[] WaitAll<T>(Task<T>[] tasks, TimeSpan timeout)
    {
        try
        {
            if (!Task.WaitAll(tasks, timeout + TimeSpan.FromSeconds(1)))
                throw new KafkaException(new Error(ErrorCode.RequestTimedOut, $"the broker did not answer within {timeout.TotalMilliseconds:0} ms"));
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is KafkaException) is KafkaException k)
        {
            throw new KafkaException(k.Error, k);
        }
        return tasks.Select(t => t.Result).ToArray();
    }

    private void ThrowIfClosed()
    {
        if (_closed) throw new ObjectDisposedException(nameof(IConsumer<TKey, TValue>), "the consumer is closed");
    }

    public void Close()
    {
        ClientMeter.Remove(this);
        _statistics.Dispose();
        if (_closed) return;
        try
        {
            CloseGroup();
        }
        catch (KafkaException e)
        {
            // Closing goes on: the group's session timeout removes the member if leaving failed.
            _connection.System.Log.Warning("consumer {0}: committing or leaving on close failed: {1}", Name, e.Error);
        }
        lock (_lock)
        {
            if (_closed) return;
            _closed = true;
            foreach (var s in _subscriptions.Partitions) s.Removed = true;
        }
        _closing.Cancel();
        _buffer.Complete();
        _connection.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        Close();
        _closing.Dispose();
    }
}
