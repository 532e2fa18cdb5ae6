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
/// The consumer: per assigned partition one long-polling fetch at a time runs in the background and queues decoded
/// records; <see cref="Consume(CancellationToken)"/> takes them in order. Buffered bytes are bounded by
/// <c>fetch.max.bytes</c>. A seek bumps the partition's generation, so records fetched before it are dropped.
/// All partition state is guarded by <c>_lock</c>; the application thread only takes from the queue.
/// </summary>
internal sealed partial class Consumer<TKey, TValue> : IConsumer<TKey, TValue>
{
    private sealed class PartitionFetchState(ProtocolTopicPartition tp)
    {
        public readonly ProtocolTopicPartition Tp = tp;
        /// <summary>The public form, made once rather than per record.</summary>
        public readonly TopicPartition ClientTp = new(tp.Topic, tp.Partition);
        /// <summary>Next offset handed to the application; -1 while being resolved.</summary>
        public long Position = -1;
        /// <summary>Next offset to fetch.</summary>
        public long FetchPosition = -1;
        public int Generation;
        public int InFlightGeneration = -1;
        public long HighWatermark = -1;
        public long LogStartOffset = -1;
        public bool EofReported;
        public bool Removed;
        /// <summary>Fetched chunks of this partition not yet consumed to the end.</summary>
        public int BufferedChunks;
        /// <summary>Paused by the application: no fetching, nothing returned.</summary>
        public bool Paused;
        /// <summary>Records and key-plus-value bytes handed to the application, for the statistics handler.</summary>
        public long Consumed;
        public long ConsumedBytes;
        /// <summary>The offset StoreOffset set (used instead of the position when enable.auto.offset.store is off).</summary>
        public long StoredOffset = -1;
        /// <summary>The last offset committed for this partition by this consumer, so auto-commit sends only changes.</summary>
        public long LastCommitted = -1;
    }

    /// <summary>
    /// The batches of one fetch, or an error for the application. Records are decoded lazily on the application's
    /// thread, as Kafka's consumer decodes in poll(), so the fetch loop only reads batch headers and fetches on.
    /// </summary>
    private sealed class Chunk(PartitionFetchState state, int generation, byte[] raw, long fromOffset, ConsumeException? error = null, bool eof = false)
    {
        public PartitionFetchState State { get; } = state;
        public int Generation { get; } = generation;
        public long Bytes => raw.Length;
        public ConsumeException? Error { get; } = error;
        public bool Eof { get; } = eof;
        private IEnumerator<Record>? _records;

        /// <exception cref="InvalidDataException">a batch fails its CRC check or does not decode.</exception>
        public Record? Next()
        {
            _records ??= Decode(raw, fromOffset).GetEnumerator();
            return _records.MoveNext() ? _records.Current : null;
        }

        private static IEnumerable<Record> Decode(byte[] records, long fromOffset)
        {
            foreach (var batch in RecordBatch.ReadAll(records))
            {
                if (batch.NextOffset <= fromOffset) continue;
                if (!batch.IsCrcValid) throw new InvalidDataException($"the batch at offset {batch.BaseOffset} failed its CRC check");
                foreach (var r in batch.ReadRecords())
                    if (r.Offset >= fromOffset) yield return r;
            }
        }
    }

    /// <summary>Wakes a waiting Consume so that it looks at the group (rebalance finished, member lost, commit callback due).</summary>
    private static readonly Chunk WakeChunk = new(new PartitionFetchState(new ProtocolTopicPartition("", -1)) { Removed = true }, 0, [], 0);

    /// <summary>An error for the application about one partition: the exception names the partition and its fetch position.</summary>
    private static Chunk ErrorChunk(PartitionFetchState state, int generation, Error error) =>
        new(state, generation, [], 0, new ConsumeException(error)
        {
            ConsumerRecord = new ConsumeResult<byte[], byte[]> { TopicPartitionOffset = new TopicPartitionOffset(state.Tp.Topic, state.Tp.Partition, state.FetchPosition) },
        });

    private const int MaxBufferedChunksPerPartition = 2;
    private const int GroupDutyIntervalMs = 200;
    private readonly ConsumerSettings _settings;
    private readonly IDeserializer<TKey> _keyDeserializer;
    private readonly IDeserializer<TValue> _valueDeserializer;
    private readonly BrokerConnection _connection;
    private readonly object _lock = new();
    private readonly Dictionary<ProtocolTopicPartition, PartitionFetchState> _assigned = new();
    private readonly BlockingCollection<Chunk> _ready = new(new ConcurrentQueue<Chunk>());
    private readonly CancellationTokenSource _closing = new();
    private Chunk? _current;
    private long _bufferedBytes;
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
            partitions = _assigned.Values.Select(st => (st.Tp.Topic, st.Tp.Partition,
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
        get { lock (_lock) return _assigned.Keys.Select(k => new TopicPartition(k.Topic, k.Partition)).ToList(); }
    }

    public string MemberId => _membership?.Current.MemberId ?? "";

    public IReadOnlyDictionary<string, double> Metrics
    {
        get
        {
            double lagMax;
            lock (_lock)
                lagMax = _assigned.Values.Where(s => s.HighWatermark >= 0 && s.Position >= 0)
                    .Select(s => (double)(s.HighWatermark - s.Position)).DefaultIfEmpty(double.NaN).Max();
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
            foreach (var s in _assigned.Values) s.Removed = true;
            _assigned.Clear();
            _reported.Clear();
            AddAssigned(list);
        }
    }

    /// <summary>Starts fetching each partition from its offset. Caller holds the lock.</summary>
    private void AddAssigned(IEnumerable<TopicPartitionOffset> partitions)
    {
        foreach (var tpo in partitions)
        {
            var state = new PartitionFetchState(tpo.TopicPartition.ToProtocol());
            _assigned[state.Tp] = state;
            StartAt(state, tpo.Offset);
        }
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
            if (list.FirstOrDefault(tpo => _assigned.ContainsKey(tpo.TopicPartition.ToProtocol())) is { } twice)
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
            foreach (var missing in list.Where(tp => !_assigned.ContainsKey(tp)).Take(1))
                throw new InvalidOperationException($"Cannot remove {missing.Topic} [[{missing.Partition}]]: it is not assigned to this consumer.");
            foreach (var tp in list)
            {
                _assigned[tp].Removed = true;
                _assigned.Remove(tp);
                _reported.RemoveWhere(r => r.Item1 == tp);
            }
        }
    }

    public void Unassign() => Assign(Array.Empty<TopicPartitionOffset>());

    public void Seek(TopicPartitionOffset position)
    {
        lock (_lock)
        {
            ThrowIfClosed();
            if (!_assigned.TryGetValue(position.TopicPartition.ToProtocol(), out var state))
                throw new InvalidOperationException($"Cannot seek {position.TopicPartition}: it is not assigned to this consumer. Assign it first.");
            StartAt(state, position.Offset);
        }
    }

    /// <summary>Sets a partition's position (resolving Beginning/End/Unset with the broker) and starts fetching. Caller holds the lock.</summary>
    private void StartAt(PartitionFetchState state, Offset offset)
    {
        _reported.RemoveWhere(r => r.Item1 == state.Tp);
        state.Generation++;
        state.EofReported = false;
        if (!offset.IsSpecial)
        {
            state.Position = state.FetchPosition = offset.Value;
            StartFetch(state);
            return;
        }
        state.Position = state.FetchPosition = -1;
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
            Enqueue(ErrorChunk(state, state.Generation, new Error(ErrorCode.LocalAutoOffsetReset,
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
            if (state.Removed || state.Generation != generation) return;
            if (committed >= 0)
            {
                state.Position = state.FetchPosition = committed;
                StartFetch(state);
                return;
            }
        }
        // No committed offset: auto.offset.reset decides, as for a consumer without a group.
        lock (_lock)
        {
            if (state.Removed || state.Generation != generation) return;
            var query = _settings.AutoOffsetReset switch
            {
                AutoOffsetReset.Earliest => ListOffsetsRequest.Earliest,
                AutoOffsetReset.Latest => ListOffsetsRequest.Latest,
                _ => (long?)null,
            };
            if (query == null)
            {
                Enqueue(ErrorChunk(state, generation, new Error(ErrorCode.LocalAutoOffsetReset,
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
                if (state.Removed || state.Generation != generation) return;
            try
            {
                var gateway = await _connection.LeaderGatewayAsync(state.Tp, _closing.Token).ConfigureAwait(false);
                var response = await _connection.AskAsync<ListOffsetsResponse>(gateway, new ListOffsetsRequest(state.Tp, query), ct: _closing.Token).ConfigureAwait(false);
                if (response.Error == ErrorCode.None)
                {
                    lock (_lock)
                    {
                        if (state.Removed || state.Generation != generation) return;
                        state.Position = state.FetchPosition = response.Offset;
                        StartFetch(state);
                    }
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

    private readonly HashSet<(ProtocolTopicPartition, int, ErrorCode)> _reported = new();

    /// <summary>Queues an error for the application once per partition, generation and code, so a retry loop does not flood it.</summary>
    private void ReportOnce(PartitionFetchState state, int generation, Error error)
    {
        lock (_lock)
        {
            if (state.Removed || state.Generation != generation || !_reported.Add((state.Tp, generation, error.ProtocolCode))) return;
            Enqueue(ErrorChunk(state, generation, error));
        }
    }

    /// <summary>Issues the partition's next fetch if none is in flight and the buffer has room. Caller holds the lock.</summary>
    private void StartFetch(PartitionFetchState state)
    {
        if (_closed || state.Removed || state.Paused || state.FetchPosition < 0 || state.InFlightGeneration == state.Generation) return;
        if (Interlocked.Read(ref _bufferedBytes) >= _settings.FetchMaxBytes) return;
        // Like Kafka's consumer, stay at most one fetch ahead of the application per partition: buffering more only
        // ages the data into older GC generations (measured: frequent gen2 collections) without reading faster.
        if (state.BufferedChunks >= MaxBufferedChunksPerPartition) return;
        state.InFlightGeneration = state.Generation;
        var generation = state.Generation;
        var request = new FetchRequest(state.Tp, state.FetchPosition, Math.Min(_settings.MaxPartitionFetchBytes, _settings.FetchMaxBytes),
            _settings.FetchMinBytes, _settings.FetchMaxWaitMs);
        _ = FetchAsync(state, generation, request);
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

        var retryAfter = TimeSpan.Zero;
        lock (_lock)
        {
            if (state.InFlightGeneration == generation) state.InFlightGeneration = -1;
            if (state.Removed || _closed) return;
            if (state.Generation != generation)
            {
                StartFetch(state);
                return;
            }
            if (failure == null && response!.Error == ErrorCode.None)
            {
                state.HighWatermark = response.HighWatermark;
                state.LogStartOffset = response.LogStartOffset;
                if (response.Records.Length > 0)
                {
                    // Only batch headers are read here; the next fetch starts after the last whole batch.
                    var next = RecordBatch.ReadAll(response.Records).Select(b => b.NextOffset).DefaultIfEmpty(state.FetchPosition).Max();
                    if (next > state.FetchPosition)
                    {
                        state.BufferedChunks++;
                        Enqueue(new Chunk(state, generation, response.Records, request.FetchOffset));
                        state.FetchPosition = next;
                    }
                }
                if (_settings.EnablePartitionEof && !state.EofReported && state.FetchPosition >= response.HighWatermark)
                {
                    state.EofReported = true;
                    Enqueue(new Chunk(state, generation, [], state.FetchPosition, eof: true));
                }
                else if (state.FetchPosition < response.HighWatermark) state.EofReported = false;
                StartFetch(state);
                return;
            }
            var error = failure ?? new Error(response!.Error, response.ErrorMessage ?? response.Error.Describe());
            if (error.ProtocolCode == ErrorCode.OffsetOutOfRange)
            {
                if (_settings.AutoOffsetReset == AutoOffsetReset.Error)
                {
                    Enqueue(ErrorChunk(state, generation, error with
                    {
                        Reason = $"{error.Reason}. auto.offset.reset is 'none': seek to a valid offset, or set auto.offset.reset to earliest or latest.",
                    }));
                    return;
                }
                StartAt(state, Offset.Unset);
                return;
            }
            if (error.ProtocolCode is ErrorCode.UnknownTopicOrPartition or ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable
                or ErrorCode.NetworkException or ErrorCode.RequestTimedOut or ErrorCode.FencedLeaderEpoch)
                _connection.Invalidate(state.Tp.Topic);
            // Errors the application must hear about (Kafka's consumer throws them from poll); the fetch is retried
            // after a backoff in case the condition clears (topic created, replica repaired).
            var report = !error.IsRetriable || error.ProtocolCode is ErrorCode.UnknownTopicOrPartition or ErrorCode.CorruptMessage;
            if (report) ReportOnceLocked(state, generation, error);
            retryAfter = report ? TimeSpan.FromSeconds(1) : _settings.Client.RetryBackoff;
            state.InFlightGeneration = generation;
        }
        try
        {
            await Task.Delay(retryAfter, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_lock)
        {
            if (state.InFlightGeneration == generation) state.InFlightGeneration = -1;
            StartFetch(state);
        }
    }

    private void ReportOnceLocked(PartitionFetchState state, int generation, Error error)
    {
        if (!_reported.Add((state.Tp, generation, error.ProtocolCode))) return;
        Enqueue(ErrorChunk(state, generation, error));
    }

    private void Enqueue(Chunk chunk)
    {
        if (_ready.IsAddingCompleted) return;
        Interlocked.Add(ref _bufferedBytes, chunk.Bytes);
        try
        {
            _ready.Add(chunk);
        }
        catch (InvalidOperationException) when (_ready.IsAddingCompleted)
        {
            // Close completed the queue between the check and the add (a background fetch or heartbeat finishing
            // late): nobody will consume any more, so there is nothing to deliver.
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
                        if (!chunk.State.Removed && chunk.State.Generation == chunk.Generation && chunk.State.Position >= 0)
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
                    stale = chunk.State.Removed || chunk.State.Generation != chunk.Generation;
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
            if (!_ready.TryTake(out var next, slice, ct))
            {
                ThrowIfClosed();
                now = Stopwatch.GetTimestamp();
                if (slice != wait) continue;
                return null;
            }
            now = Stopwatch.GetTimestamp();
            lock (_lock)
            {
                if (next.State.Removed || next.State.Generation != next.Generation || next.State.Paused)
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
    private void FinishChunk(Chunk chunk)
    {
        if (chunk.Bytes == 0) return;
        Interlocked.Add(ref _bufferedBytes, -chunk.Bytes);
        lock (_lock)
        {
            chunk.State.BufferedChunks--;
            foreach (var s in _assigned.Values)
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
            return _assigned.TryGetValue(partition.ToProtocol(), out var s) && s.Position >= 0 ? new Offset(s.Position) : Offset.Unset;
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
            return _assigned.TryGetValue(topicPartition.ToProtocol(), out var state)
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
            foreach (var s in _assigned.Values) s.Removed = true;
        }
        _closing.Cancel();
        _ready.CompleteAdding();
        _connection.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        Close();
        _closing.Dispose();
    }
}
