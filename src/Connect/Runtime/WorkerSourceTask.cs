using System.Diagnostics;
using Akka.Event;
using AkkaBroker.Client;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// Runs a <see cref="SourceTask"/> (Kafka Connect's <c>WorkerSourceTask</c>): polls it, transforms and converts each
/// record, produces it, and every <c>offset.flush.interval.ms</c> stores the source offsets of what the cluster
/// acknowledged (<see cref="SubmittedSourceOffsets"/>). On stop it waits up to <c>task.shutdown.graceful.timeout.ms</c>
/// for records in flight and stores their offsets, so a clean stop re-reads nothing; a crash re-reads at most what was
/// produced since the last store (at least once, never a gap).
/// </summary>
public sealed class WorkerSourceTask : WorkerTask
{
    private readonly SourceTask _task;
    private readonly IReadOnlyDictionary<string, string> _taskConfig;
    private readonly ConverterPair _converters;
    private readonly TransformationChain _transforms;
    private readonly RetryWithToleranceOperator _errors;
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly IOffsetBackingStore _offsets;
    private readonly TimeSpan _flushInterval;
    private readonly TimeSpan _flushTimeout;
    private readonly TimeSpan _shutdownTimeout;
    private readonly SubmittedSourceOffsets _submitted = new();
    private volatile string? _producerFailure;
    private long _recordsPolled;
    private long _recordsWritten;

    public WorkerSourceTask(ConnectorTaskId id, SourceTask task, IReadOnlyDictionary<string, string> taskConfig, ConverterPair converters,
        TransformationChain transforms, RetryWithToleranceOperator errors, IProducer<byte[]?, byte[]?> producer, IOffsetBackingStore offsets,
        WorkerConfig worker, ILoggingAdapter log) : base(id, log)
    {
        _task = task;
        _taskConfig = taskConfig;
        _converters = converters;
        _transforms = transforms;
        _errors = errors;
        _producer = producer;
        _offsets = offsets;
        _flushInterval = TimeSpan.FromMilliseconds(worker.Get<long>(WorkerConfig.OffsetFlushIntervalMs));
        _flushTimeout = TimeSpan.FromMilliseconds(worker.Get<long>(WorkerConfig.OffsetFlushTimeoutMs));
        _shutdownTimeout = TimeSpan.FromMilliseconds(worker.Get<long>(WorkerConfig.TaskShutdownGracefulTimeoutMs));
    }

    /// <summary>Records the task returned from its polls.</summary>
    public long RecordsPolled => Interlocked.Read(ref _recordsPolled);

    /// <summary>Records the cluster acknowledged.</summary>
    public long RecordsWritten => Interlocked.Read(ref _recordsWritten);

    /// <inheritdoc />
    public override void Run(CancellationToken cancellationToken)
    {
        // The task may have run on another worker until a moment ago: start from the offsets it stored there.
        _offsets.ReadToEndAsync(cancellationToken).GetAwaiter().GetResult();
        _task.Initialize(new Context(_taskConfig, new Reader(_offsets, Id.Connector), Log));
        _task.Start(_taskConfig);
        StateChanged?.Invoke(ConnectState.Running);
        var sinceFlush = Stopwatch.StartNew();
        var backoff = TimeSpan.FromMilliseconds(100);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (IsPaused)
                {
                    StateChanged?.Invoke(ConnectState.Paused);
                    while (IsPaused && !cancellationToken.IsCancellationRequested)
                        if (!AwaitResume(cancellationToken, _flushInterval)) break;
                        else if (IsPaused) CommitOffsets();
                    if (cancellationToken.IsCancellationRequested) break;
                    StateChanged?.Invoke(ConnectState.Running);
                }
                if (_producerFailure is { } failure) throw new ConnectException(failure);
                IReadOnlyList<SourceRecord> records;
                try
                {
                    records = _task.PollAsync(cancellationToken).GetAwaiter().GetResult();
                    backoff = TimeSpan.FromMilliseconds(100);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (RetriableException e)
                {
                    Log.Warning("[{0}] poll failed and is tried again in {1} ms: {2}", Id, (long)backoff.TotalMilliseconds, e.Message);
                    Backoff(backoff, cancellationToken);
                    backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
                    continue;
                }
                Interlocked.Add(ref _recordsPolled, records.Count);
                foreach (var record in records) Send(record, cancellationToken);
                if (sinceFlush.Elapsed >= _flushInterval)
                {
                    CommitOffsets();
                    sinceFlush.Restart();
                }
            }
        }
        finally
        {
            Shutdown();
        }
        if (_producerFailure is { } last) throw new ConnectException(last);
    }

    private void Send(SourceRecord record, CancellationToken cancellationToken)
    {
        var submitted = _submitted.Submit(record.SourcePartition, record.SourceOffset);
        var context = new ErrorContext(Polled: record);
        var (ok, transformed) = _errors.Execute(ErrorStage.Transformation, typeof(TransformationChain), context, () => _transforms.Apply(record), cancellationToken);
        if (!ok || transformed == null)
        {
            Done(record, submitted, null);
            return;
        }
        var (keyOk, key) = _errors.Execute(ErrorStage.KeyConverter, _converters.Key.GetType(), context,
            () => _converters.Key.FromConnectData(transformed.Topic, transformed.KeySchema, transformed.Key), cancellationToken);
        var (valueOk, value) = keyOk
            ? _errors.Execute(ErrorStage.ValueConverter, _converters.Value.GetType(), context,
                () => _converters.Value.FromConnectData(transformed.Topic, transformed.ValueSchema, transformed.Value), cancellationToken)
            : (false, null);
        if (!keyOk || !valueOk)
        {
            Done(record, submitted, null);
            return;
        }
        var headers = new Headers();
        headers.AddRange(transformed.Headers);
        var message = new Message<byte[]?, byte[]?>
        {
            Key = key,
            Value = value,
            Timestamp = transformed.Timestamp is { } ms ? new Timestamp(ms, TimestampType.CreateTime) : Timestamp.Default,
            Headers = headers,
        };
        void OnDelivery(DeliveryReport<byte[]?, byte[]?> report)
        {
            if (report.Error.IsError)
            {
                if (_errors.ToleratesAll)
                {
                    Log.Error("[{0}] the cluster refused a record for {1} and errors.tolerance=all skips it: {2}", Id, transformed.Topic, report.Error.Reason);
                    Done(record, submitted, null);
                }
                else
                {
                    _producerFailure = $"The cluster refused a record for topic '{transformed.Topic}': {report.Error.Reason}. The task stops; its stored offsets stay before the record, so a restart sends it again. Set errors.tolerance=all to skip such records.";
                }
                return;
            }
            Interlocked.Increment(ref _recordsWritten);
            Done(record, submitted, report.TopicPartitionOffset);
        }
        if (transformed.KafkaPartition is { } partition)
            _producer.Produce(new TopicPartition(transformed.Topic, partition), message, OnDelivery);
        else
            _producer.Produce(transformed.Topic, message, OnDelivery);
    }

    private void Done(SourceRecord record, SubmittedSourceOffsets.Submitted? submitted, TopicPartitionOffset? metadata)
    {
        _submitted.Acknowledge(submitted);
        try
        {
            _task.CommitRecord(record, metadata);
        }
        catch (Exception e)
        {
            // Kafka logs and goes on: the record is written either way.
            Log.Error(e, "[{0}] CommitRecord threw; the record is written and the task goes on", Id);
        }
    }

    /// <summary>Stores the offsets of what the cluster acknowledged; a slow store is given up until the next flush.</summary>
    private void CommitOffsets()
    {
        var offsets = _submitted.TakeCommittable();
        if (offsets.Count == 0) return;
        using var timeout = new CancellationTokenSource(_flushTimeout);
        try
        {
            _offsets.SetAsync(Id.Connector, offsets, timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is OperationCanceledException or KafkaException or IOException)
        {
            _submitted.Return(offsets);
            Log.Warning("[{0}] storing {1} source offsets failed or took more than offset.flush.timeout.ms ({2} ms); they are stored with the next flush: {3}",
                Id, offsets.Count, (long)_flushTimeout.TotalMilliseconds, e.Message);
            return;
        }
        _task.CommitAsync().GetAwaiter().GetResult();
    }

    private void Shutdown()
    {
        try
        {
            _task.Stop();
        }
        catch (Exception e)
        {
            Log.Error(e, "[{0}] the task's Stop threw", Id);
        }
        try
        {
            using var timeout = new CancellationTokenSource(_shutdownTimeout);
            _producer.Flush(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Log.Warning("[{0}] {1} records were not acknowledged within task.shutdown.graceful.timeout.ms; they are sent again after a restart", Id, _submitted.InFlight);
        }
        CommitOffsets();
    }

    private sealed class Context(IReadOnlyDictionary<string, string> configs, IOffsetStorageReader reader, ILoggingAdapter log) : ISourceTaskContext
    {
        public ILoggingAdapter Log => log;
        public IReadOnlyDictionary<string, string> Configs => configs;
        public IOffsetStorageReader OffsetStorageReader => reader;
    }

    private sealed class Reader(IOffsetBackingStore store, string connector) : IOffsetStorageReader
    {
        public IReadOnlyDictionary<string, object?>? Offset(IReadOnlyDictionary<string, object?> partition) => store.Get(connector, partition);
    }
}
