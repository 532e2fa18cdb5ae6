using System.Diagnostics;
using Akka.Event;
using AkkaBroker.Protocol.Records;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>
/// The producer: an accumulator of one open batch per partition, and a sender that keeps up to
/// <c>max.in.flight.requests.per.connection</c> batches per partition in flight, in sequence order.
/// <para>
/// Ordering and duplicates: each partition's batches carry consecutive sequence numbers (idempotence), kept by the
/// partition's <see cref="PartitionSequencer{TBatch}"/>. When a batch fails with a retriable error, the partition
/// stops sending, waits for its in-flight batches to come back (later ones are refused as out of order by the broker,
/// which is expected), and resends from the failed one in order; the broker answers a batch it already has with its
/// original offset. So retries neither duplicate nor reorder.
/// </para>
/// Each partition's state is guarded by its own lock; sends happen under that lock so that batches leave in order.
/// </summary>
internal sealed partial class Producer<TKey, TValue> : IProducer<TKey, TValue>
{
    private sealed class PendingRecord(Message<TKey, TValue> message, long timestamp, int size,
        TaskCompletionSource<DeliveryResult<TKey, TValue>>? completion, Action<DeliveryReport<TKey, TValue>>? handler)
    {
        public readonly Message<TKey, TValue> Message = message;
        public readonly long Timestamp = timestamp;
        public readonly int Size = size;
        public readonly TaskCompletionSource<DeliveryResult<TKey, TValue>>? Completion = completion;
        public readonly Action<DeliveryReport<TKey, TValue>>? Handler = handler;
    }

    /// <summary>A sealed batch and the records it completes.</summary>
    private sealed class ProducerBatch : SequencedBatch
    {
        public required List<PendingRecord> Records;
    }

    /// <summary>One partition: its open batch, its sealed batches and its route.</summary>
    private sealed class PartitionState(ProtocolTopicPartition tp, PartitionAccumulator<PendingRecord> accumulator, SequencerSettings sequencerSettings)
    {
        public readonly ProtocolTopicPartition Tp = tp;
        public readonly PartitionAccumulator<PendingRecord> Open = accumulator;
        public readonly PartitionSequencer<ProducerBatch> Batches = new(sequencerSettings);
        public bool ResolvingLeader;
        /// <summary>The leader's gateway as last looked up (read and replaced without the lock: one reference).</summary>
        public BrokerConnection.CachedRoute? Route;
    }

    private readonly BrokerConnection _connection;
    private readonly ProducerSettings _settings;
    private readonly SequencerSettings _sequencerSettings;
    private readonly ISerializer<TKey> _keySerializer;
    private readonly ISerializer<TValue> _valueSerializer;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ProtocolTopicPartition, PartitionState> _partitions = new();
    private readonly Dictionary<string, int> _stickyPartition = new(StringComparer.Ordinal);
    // Guards the sticky-partition choices.
    private readonly object _partitionsLock = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Thread _sender;
    // Set when records become pending, to wake the sender thread from its idle sleep.
    private readonly ManualResetEventSlim _recordsArrived = new(false);
    private readonly object _pendingLock = new();
    private readonly ManualResetEventSlim _idle = new(true);
    private readonly SemaphoreSlim _bufferSpace = new(0);
    // Records of one topic are appended in the order produce was called, even when a call has to wait for metadata
    // or buffer space: every call passes its topic's FIFO gate (uncontended, it completes synchronously).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _enqueueGates = new(StringComparer.Ordinal);
    private long _pendingRecords;
    private long _bufferedBytes;
    private readonly ClientStatistics _statistics;
    // Records and bytes acknowledged per partition, for the statistics handler (librdkafka's txmsgs, txbytes).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ProtocolTopicPartition, PartitionCounters> _delivered = new();
    private long _deliveredBytes;
    private Task<(long Id, short Epoch)>? _producerId;
    private int _disposed;

    private readonly Stat _batchSize = new();
    private readonly Stat _recordsPerRequest = new();
    private readonly Stat _requestLatency = new();
    private readonly Rate _recordSendRate = new();
    private long _recordErrors;
    private long _recordRetries;

    public Producer(ProducerSettings settings, ISerializer<TKey> keySerializer, ISerializer<TValue> valueSerializer,
        Action<IProducer<TKey, TValue>, LogMessage>? logHandler = null, Action<IProducer<TKey, TValue>, Error>? errorHandler = null,
        Action<IProducer<TKey, TValue>, string>? statisticsHandler = null)
    {
        _settings = settings;
        _sequencerSettings = new SequencerSettings(settings.Retries, Ticks(settings.DeliveryTimeout), Ticks(settings.Client.RetryBackoff));
        _keySerializer = keySerializer;
        _valueSerializer = valueSerializer;
        _connection = new BrokerConnection(settings.Client, logHandler == null ? null : m => logHandler(this, m),
            errorHandler == null ? null : e => errorHandler(this, e));
        _sender = new Thread(LingerLoop) { IsBackground = true, Name = "akkabroker-producer-sender" };
        _sender.Start();
        ClientMeter.AddProducer(this, Name, () => Metrics);
        _statistics = new ClientStatistics(Name, settings.Client.ClientId, "producer", settings.Client.StatisticsInterval,
            statisticsHandler == null ? null : json => statisticsHandler(this, json), WriteStatistics,
            e => _connection.System.Log.Error(e, "the statistics handler threw"));
    }

    public string Name => _settings.Client.ClientId;

    public IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double>
    {
        ["batch-size-avg"] = _batchSize.Avg,
        ["batch-size-max"] = _batchSize.Max,
        ["record-send-rate"] = _recordSendRate.PerSecond,
        ["record-send-total"] = _recordSendRate.Total,
        ["records-per-request-avg"] = _recordsPerRequest.Avg,
        ["request-latency-avg"] = _requestLatency.Avg,
        ["request-latency-max"] = _requestLatency.Max,
        ["record-error-total"] = Interlocked.Read(ref _recordErrors),
        ["record-retry-total"] = Interlocked.Read(ref _recordRetries),
        ["buffer-available-bytes"] = _settings.BufferMemory - Interlocked.Read(ref _bufferedBytes),
    };

    public Task<DeliveryResult<TKey, TValue>> ProduceAsync(string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default) =>
        ProduceCoreAsync(topic, null, message, cancellationToken);

    public Task<DeliveryResult<TKey, TValue>> ProduceAsync(TopicPartition topicPartition, Message<TKey, TValue> message, CancellationToken cancellationToken = default) =>
        ProduceCoreAsync(topicPartition.Topic, Explicit(topicPartition.Partition), message, cancellationToken);

    private async Task<DeliveryResult<TKey, TValue>> ProduceCoreAsync(string topic, int? partition, Message<TKey, TValue> message, CancellationToken ct)
    {
        var tcs = new TaskCompletionSource<DeliveryResult<TKey, TValue>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await EnqueueAsync(topic, partition, message, tcs, null, ct).ConfigureAwait(false);
        return await tcs.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    public void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null) =>
        ProduceSync(topic, null, message, deliveryHandler);

    public void Produce(TopicPartition topicPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null) =>
        ProduceSync(topicPartition.Topic, Explicit(topicPartition.Partition), message, deliveryHandler);

    private void ProduceSync(string topic, int? partition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? handler)
    {
        var task = EnqueueAsync(topic, partition, message, null, handler ?? (_ => { }), CancellationToken.None);
        // The fast path (metadata cached, buffer not full) completes synchronously; otherwise this call blocks, as
        // Kafka's send() blocks up to max.block.ms for metadata or buffer space. GetResult rethrows the KafkaException itself;
        // every await inside uses ConfigureAwait(false), so blocking here cannot deadlock on a synchronization context.
        if (!task.IsCompletedSuccessfully) task.AsTask().GetAwaiter().GetResult();
    }

    private TimeSpan MetadataWait => _settings.MaxBlock < _settings.DeliveryTimeout ? _settings.MaxBlock : _settings.DeliveryTimeout;

    // Partition.Any in a TopicPartition leaves the choice to the partitioner, as in Confluent.Kafka.
    private static int? Explicit(Partition partition) => partition == Partition.Any ? null : partition.Value;

    private async ValueTask EnqueueAsync(string topic, int? explicitPartition, Message<TKey, TValue> message,
        TaskCompletionSource<DeliveryResult<TKey, TValue>>? tcs, Action<DeliveryReport<TKey, TValue>>? handler, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        byte[]? key, value;
        // Serializers may add headers (a schema id, say), also to a message that had none.
        var headerSet = message.Headers ?? new Headers();
        try
        {
            key = _keySerializer.Serialize(message.Key, new SerializationContext(MessageComponentType.Key, topic, headerSet));
        }
        catch (Exception e)
        {
            throw new ProduceException<TKey, TValue>(new Error(ErrorCode.LocalKeySerialization, $"the key serializer failed: {e.Message}"),
                Result(topic, explicitPartition ?? -1, -1, message, 0, PersistenceStatus.NotPersisted), e);
        }
        try
        {
            value = _valueSerializer.Serialize(message.Value, new SerializationContext(MessageComponentType.Value, topic, headerSet));
        }
        catch (Exception e)
        {
            throw new ProduceException<TKey, TValue>(new Error(ErrorCode.LocalValueSerialization, $"the value serializer failed: {e.Message}"),
                Result(topic, explicitPartition ?? -1, -1, message, 0, PersistenceStatus.NotPersisted), e);
        }
        var headers = headerSet.Count == 0 ? null : headerSet.Select(h => new RecordHeader(h.Key, h.Value)).ToArray();
        var size = RecordBatchBuilder.EstimateRecordSize(key, value, headers);
        if (size + RecordBatch.HeaderSize > _settings.MaxRequestSize)
            throw new ProduceException<TKey, TValue>(new Error(ErrorCode.MessageTooLarge,
                    $"The record is {size} bytes serialized, larger than max.request.size {_settings.MaxRequestSize}. Raise max.request.size (and the topic's max.message.bytes) or send a smaller record."),
                Result(topic, explicitPartition ?? -1, -1, message, 0, PersistenceStatus.NotPersisted));

        var gate = _enqueueGates.GetOrAdd(topic, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            await AppendAsync(topic, explicitPartition, message, tcs, handler, key, value, headers, size, ct).ConfigureAwait(false);
        }
        catch (KafkaException e) when (e is not ProduceException<TKey, TValue>)
        {
            // Every failure of a produce call is a ProduceException carrying the record, as in Confluent.Kafka. No broker
            // reachable in time: the record timed out, as in librdkafka. Any other error (an unknown topic, a full
            // buffer) says more about what to do, so it stays the error.
            var error = e.Error.ProtocolCode is ErrorCode.LocalTransport or ErrorCode.LocalAllBrokersDown or ErrorCode.RequestTimedOut
                ? new Error(ErrorCode.LocalMessageTimedOut, $"The record was not sent within {MetadataWait.TotalMilliseconds:0} ms " +
                                                            $"(delivery.timeout.ms / message.timeout.ms, max.block.ms): {e.Error.Reason}")
                : e.Error;
            throw new ProduceException<TKey, TValue>(error, Result(topic, explicitPartition ?? -1, -1, message, 0, PersistenceStatus.NotPersisted), e);
        }
        finally
        {
            gate.Release();
        }
    }

    private async ValueTask AppendAsync(string topic, int? explicitPartition, Message<TKey, TValue> message,
        TaskCompletionSource<DeliveryResult<TKey, TValue>>? tcs, Action<DeliveryReport<TKey, TValue>>? handler,
        byte[]? key, byte[]? value, RecordHeader[]? headers, int size, CancellationToken ct)
    {
        // Kafka's producer waits up to max.block.ms for metadata, librdkafka up to message.timeout.ms: the shorter.
        var metadata = _connection.CachedTopic(topic)
                       ?? await _connection.TopicAsync(topic, allowAutoCreate: true, MetadataWait, ct, waitForBrokers: true).ConfigureAwait(false);
        if (explicitPartition is { } wanted && wanted >= metadata.Partitions.Count)
        {
            // Partitions may have been added since the metadata was cached: as Kafka's producer does, look again until
            // the partition appears or max.block.ms passes.
            var deadline = DateTime.UtcNow + _settings.MaxBlock;
            while (wanted >= metadata.Partitions.Count && DateTime.UtcNow < deadline)
            {
                _connection.Invalidate(topic);
                metadata = await _connection.TopicAsync(topic, allowAutoCreate: false, deadline - DateTime.UtcNow, ct).ConfigureAwait(false);
                if (wanted >= metadata.Partitions.Count) await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
            }
        }
        var partitionCount = metadata.Partitions.Count;
        int partition;
        if (explicitPartition is { } p)
        {
            if (p < 0 || p >= partitionCount)
                throw new ProduceException<TKey, TValue>(new Error(ErrorCode.UnknownTopicOrPartition,
                        $"Partition {p} of topic '{topic}' does not exist: the topic has partitions 0 to {partitionCount - 1} (waited max.block.ms for it to be added)."),
                    Result(topic, p, -1, message, 0, PersistenceStatus.NotPersisted));
            partition = p;
        }
        else partition = PartitionFor(topic, key, partitionCount);

        var tp = new ProtocolTopicPartition(topic, partition);
        // The partition's state is made only once a record is about to join it (a call that fails before leaves none).
        var known = _partitions.TryGetValue(tp, out var existing) ? _connection.LeaderGateway(tp, ref existing.Route) : _connection.LeaderGateway(tp);
        if (known is not { IsCompletedSuccessfully: true })
        {
            try
            {
                await _connection.LeaderGatewayAsync(tp, ct).ConfigureAwait(false);
            }
            catch (KafkaException e) when (e.Error.IsRetriable || e.Error.ProtocolCode == ErrorCode.LocalTransport)
            {
                // The leader is moving or its broker is down: the record waits in its batch (bounded by
                // delivery.timeout.ms) while the sender looks for the new leader, as Kafka's producer does.
            }
        }
        if (_settings.EnableIdempotence && _settings.Acks != 0) await ProducerIdAsync(ct).ConfigureAwait(false);
        await ReserveBufferAsync(size, ct).ConfigureAwait(false);

        var timestamp = message.Timestamp.Type == TimestampType.NotAvailable
            ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()
            : message.Timestamp.UnixTimestampMs;
        var record = new PendingRecord(message, timestamp, size, tcs, handler);
        lock (_pendingLock)
        {
            if (_pendingRecords++ == 0)
            {
                _idle.Reset();
                _recordsArrived.Set();
            }
        }

        var state = State(tp);
        lock (state)
        {
            if (_disposed != 0)
            {
                // Dispose ran while this call waited: fail the record here rather than leave it in a dead producer.
                lock (_pendingLock)
                    if (--_pendingRecords == 0) _idle.Set();
                ReleaseBuffer(size);
                throw new ObjectDisposedException(nameof(Producer<TKey, TValue>), "the producer was disposed while this record waited to be queued");
            }
            if (state.Open.WouldOverflow(size)) SealOpen(state);
            if (!state.Open.HasOpen) state.Open.Start(Stopwatch.GetTimestamp());
            state.Open.Append(timestamp, key, value, headers, record);
            if (state.Open.IsFull) SealOpen(state);
            Drain(state);
        }
    }

    private PartitionState State(ProtocolTopicPartition tp)
    {
        if (_partitions.TryGetValue(tp, out var s)) return s;
        return _partitions.GetOrAdd(tp, t => new PartitionState(t,
            new PartitionAccumulator<PendingRecord>(_settings.Compression, _settings.BatchSize, (long)(_settings.LingerMs / 1000 * Stopwatch.Frequency)),
            _sequencerSettings));
    }

    private static long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Kafka's sticky partitioner for null keys: stay on one partition until its batch is sent.</summary>
    /// <summary>librdkafka's partitioners; "random" is sticky per batch, as librdkafka's and Java's are by default.</summary>
    private int PartitionFor(string topic, byte[]? key, int partitionCount) => _settings.Partitioner switch
    {
        Partitioner.Murmur2Random when key != null => Murmur2Partitioner.ForKey(key, partitionCount),
        Partitioner.Murmur2 => Murmur2Partitioner.ForKey(key ?? [], partitionCount),
        Partitioner.ConsistentRandom when key is { Length: > 0 } => (int)(System.IO.Hashing.Crc32.HashToUInt32(key) % (uint)partitionCount),
        Partitioner.Consistent => (int)(System.IO.Hashing.Crc32.HashToUInt32(key ?? []) % (uint)partitionCount),
        _ => StickyPartition(topic, partitionCount),
    };

    private int StickyPartition(string topic, int partitionCount)
    {
        lock (_partitionsLock)
        {
            if (_stickyPartition.TryGetValue(topic, out var p) && p < partitionCount) return p;
            p = Random.Shared.Next(partitionCount);
            _stickyPartition[topic] = p;
            return p;
        }
    }

    private void OnBatchSealed(ProtocolTopicPartition tp)
    {
        lock (_partitionsLock)
        {
            if (_stickyPartition.TryGetValue(tp.Topic, out var p) && p == tp.Partition) _stickyPartition.Remove(tp.Topic);
        }
    }

    private async ValueTask ReserveBufferAsync(int size, CancellationToken ct)
    {
        long deadline = 0;
        while (Interlocked.Add(ref _bufferedBytes, size) > _settings.BufferMemory && Interlocked.Read(ref _bufferedBytes) > size)
        {
            // Only a call that has to wait reads the clock: the others are most calls, and each read costs.
            if (deadline == 0) deadline = Stopwatch.GetTimestamp() + (long)(_settings.MaxBlock.TotalSeconds * Stopwatch.Frequency);
            Interlocked.Add(ref _bufferedBytes, -size);
            var left = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            if (left <= TimeSpan.Zero || !await _bufferSpace.WaitAsync(left, ct).ConfigureAwait(false))
                throw new KafkaException(new Error(ErrorCode.LocalQueueFull,
                    $"buffer.memory ({_settings.BufferMemory} bytes) stayed full for max.block.ms ({_settings.MaxBlock.TotalMilliseconds:0} ms): records are produced faster than the broker takes them."));
        }
    }

    private void ReleaseBuffer(long bytes)
    {
        Interlocked.Add(ref _bufferedBytes, -bytes);
        // Wake every waiter; each re-checks the budget.
        var waiting = _bufferSpace.CurrentCount == 0 ? 64 : 0;
        if (waiting > 0) _bufferSpace.Release(waiting);
    }

    public int Flush(TimeSpan timeout)
    {
        RequestFlush();
        _idle.Wait(timeout);
        lock (_pendingLock) return (int)_pendingRecords;
    }

    public void Flush(CancellationToken cancellationToken = default)
    {
        RequestFlush();
        _idle.Wait(cancellationToken);
    }

    private void RequestFlush()
    {
        var states = _partitions.Values.ToArray();
        foreach (var state in states)
            lock (state)
            {
                state.Open.FlushRequested = true;
                Drain(state);
            }
    }

    private void FailRemaining(Error error)
    {
        var states = _partitions.Values.ToArray();
        foreach (var state in states)
        {
            List<ProducerBatch> left;
            lock (state)
            {
                if (state.Open.HasOpen) SealOpen(state);
                left = state.Batches.TakeAll();
            }
            foreach (var b in left)
                Complete(state.Tp, b, -1, -1, error, b.Attempts > 0 ? PersistenceStatus.PossiblyPersisted : PersistenceStatus.NotPersisted);
        }
    }

    /// <summary>librdkafka's producer statistics that this producer keeps.</summary>
    private void WriteStatistics(System.Text.Json.Utf8JsonWriter w)
    {
        long pending;
        lock (_pendingLock) pending = _pendingRecords;
        w.WriteNumber("msg_cnt", pending);
        w.WriteNumber("msg_size", Interlocked.Read(ref _bufferedBytes));
        w.WriteNumber("msg_size_max", _settings.BufferMemory);
        w.WriteNumber("txmsgs", _recordSendRate.Total);
        w.WriteNumber("txmsg_bytes", Interlocked.Read(ref _deliveredBytes));
        w.WriteNumber("rxmsgs", 0);
        w.WriteNumber("rxmsg_bytes", 0);
        ClientStatistics.WriteTopics(w, _delivered.Select(kv => (kv.Key.Topic, kv.Key.Partition, kv.Value)), (pw, c) =>
        {
            pw.WriteNumber("txmsgs", Interlocked.Read(ref c.Messages));
            pw.WriteNumber("txbytes", Interlocked.Read(ref c.Bytes));
        });
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        ClientMeter.Remove(this);
        _statistics.Dispose();
        // Like Kafka's close(): give queued records the delivery timeout to complete, then fail what is left.
        Flush(_settings.DeliveryTimeout);
        _closing.Cancel();
        FailRemaining(new Error(ErrorCode.LocalDestroyed, "the producer was disposed before the record was acknowledged"));
        _sender.Join(TimeSpan.FromSeconds(5));
        _connection.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        _closing.Dispose();
        _recordsArrived.Dispose();
    }
}
