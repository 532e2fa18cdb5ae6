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
/// The consumer: the <see cref="Fetcher"/> keeps one long-polling fetch per assigned partition in the background and
/// adds what it brings to the <see cref="FetchBuffer"/>; <see cref="Consume(CancellationToken)"/> takes records from it
/// in order. <see cref="SubscriptionState"/> holds the partitions and their positions; <c>_lock</c> guards it.
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
    private readonly Fetcher _fetcher;
    private readonly FetchBuffer _buffer = new();
    private readonly CancellationTokenSource _closing = new();
    private CompletedFetch? _current;
    private bool _closed;

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
        _fetcher = new Fetcher(settings, _connection, _subscriptions, _buffer, _lock, _membership, () => Subscribed, _closing.Token);
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
                ["fetch-size-avg"] = _fetcher.FetchSize.Avg,
                ["fetch-size-max"] = _fetcher.FetchSize.Max,
                ["fetch-rate"] = _fetcher.FetchRate.PerSecond,
                ["fetch-total"] = _fetcher.FetchRate.Total,
                ["fetch-latency-avg"] = _fetcher.FetchLatency.Avg,
                ["fetch-latency-max"] = _fetcher.FetchLatency.Max,
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
            _fetcher.StartAt(_subscriptions.Add(tpo.TopicPartition.ToProtocol()), tpo.Offset);
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
            _fetcher.StartAt(state, position.Offset);
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
                    _fetcher.Release(chunk);
                    // As Kafka's consumer: the position stays at the bad record, so valid batches fetched after it are
                    // fetched again, and the error repeats until the application seeks past it.
                    lock (_lock)
                        if (SubscriptionState.IsCurrent(chunk.State, chunk.Generation) && chunk.State.Position >= 0)
                            _fetcher.StartAt(chunk.State, new Offset(chunk.State.Position));
                    throw new ConsumeException(new Error(ErrorCode.CorruptMessage,
                        $"{chunk.State.Tp}: a fetched batch is corrupt and was not delivered: {e.Message}"), e);
                }
                if (record == null)
                {
                    _current = null;
                    _fetcher.Release(chunk);
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
                    _fetcher.Release(chunk);
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
                    _fetcher.Release(next);
                    continue;
                }
            }
            if (next.Error != null)
            {
                _fetcher.Release(next);
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
            _fetcher.Close();
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
