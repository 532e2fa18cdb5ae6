using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Event;
using AkkaBroker.Client;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// Runs a <see cref="SinkTask"/> (Kafka Connect's <c>WorkerSinkTask</c>): consumes the connector's topics in the group
/// <c>connect-{connector}</c>, converts and transforms each record, hands batches to <see cref="SinkTask.PutAsync"/>
/// (retrying a batch that failed with a <see cref="RetriableException"/>), and every <c>offset.flush.interval.ms</c>,
/// before partitions are revoked and on stop commits what <see cref="SinkTask.PreCommitAsync"/> says is written.
/// Nothing is committed past a record the task has not been given, so a crash re-delivers (at least once).
/// </summary>
public sealed class WorkerSinkTask : WorkerTask
{
    /// <summary>Most records in one put (Kafka's consumer default <c>max.poll.records</c>).</summary>
    public const int MaxBatch = 500;

    private readonly SinkTask _task;
    private readonly IReadOnlyDictionary<string, string> _taskConfig;
    private readonly ConverterPair _converters;
    private readonly TransformationChain _transforms;
    private readonly RetryWithToleranceOperator _errors;
    private readonly Func<Action<List<TopicPartition>>, Action<List<TopicPartitionOffset>>, IConsumer<byte[]?, byte[]?>> _consumerFactory;
    private readonly ConnectorConfig _connector;
    private readonly TimeSpan _flushInterval;
    private readonly Dictionary<TopicPartition, long> _currentOffsets = new();
    private readonly Dictionary<TopicPartition, long> _lastCommitted = new();
    private readonly ConcurrentQueue<Action<IConsumer<byte[]?, byte[]?>>> _contextRequests = new();
    private readonly HashSet<TopicPartition> _assignment = [];
    private IConsumer<byte[]?, byte[]?>? _consumer;
    private volatile bool _commitRequested;
    private long _recordsPut;

    /// <param name="consumerFactory">Builds the consumer with the given assigned and revoked handlers.</param>
    public WorkerSinkTask(ConnectorTaskId id, SinkTask task, IReadOnlyDictionary<string, string> taskConfig, ConverterPair converters,
        TransformationChain transforms, RetryWithToleranceOperator errors, ConnectorConfig connector,
        Func<Action<List<TopicPartition>>, Action<List<TopicPartitionOffset>>, IConsumer<byte[]?, byte[]?>> consumerFactory,
        WorkerConfig worker, ILoggingAdapter log) : base(id, log)
    {
        _task = task;
        _taskConfig = taskConfig;
        _converters = converters;
        _transforms = transforms;
        _errors = errors;
        _connector = connector;
        _consumerFactory = consumerFactory;
        _flushInterval = TimeSpan.FromMilliseconds(worker.Get<long>(WorkerConfig.OffsetFlushIntervalMs));
    }

    /// <summary>Records given to the task's put.</summary>
    public long RecordsPut => Interlocked.Read(ref _recordsPut);

    /// <summary>The group a sink connector's tasks consume in (Kafka's name).</summary>
    public static string GroupId(string connector) => $"connect-{connector}";

    /// <inheritdoc />
    public override void Run(CancellationToken cancellationToken)
    {
        var consumer = _consumer = _consumerFactory(OnAssigned, OnRevoked);
        try
        {
            if (_connector.SinkTopicsRegex is { } regex) consumer.Subscribe(regex);
            else consumer.Subscribe(_connector.SinkTopics);
            _task.Initialize(new Context(this));
            _task.Start(_taskConfig);
            StateChanged?.Invoke(ConnectState.Running);
            Loop(consumer, cancellationToken);
        }
        finally
        {
            // Closing hands the partitions back through OnRevoked, which commits what the task wrote and closes them in
            // the task; so the consumer closes before the task stops.
            try
            {
                consumer.Close();
            }
            catch (Exception e)
            {
                Log.Error(e, "[{0}] closing the consumer failed; records after the last commit are delivered again", Id);
            }
            consumer.Dispose();
            try
            {
                _task.Stop();
            }
            catch (Exception e)
            {
                Log.Error(e, "[{0}] the task's Stop threw", Id);
            }
        }
    }

    private void Loop(IConsumer<byte[]?, byte[]?> consumer, CancellationToken cancellationToken)
    {
        var sinceCommit = Stopwatch.StartNew();
        var paused = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            while (_contextRequests.TryDequeue(out var request)) request(consumer);
            if (IsPaused != paused)
            {
                // Paused partitions fetch nothing while the consumer stays in the group.
                paused = IsPaused;
                if (paused) consumer.Pause(consumer.Assignment);
                else consumer.Resume(consumer.Assignment);
                StateChanged?.Invoke(paused ? ConnectState.Paused : ConnectState.Running);
            }
            var batch = new List<ConsumeResult<byte[]?, byte[]?>>();
            try
            {
                var first = consumer.Consume(TimeSpan.FromMilliseconds(paused ? 200 : 500));
                if (first is { IsPartitionEOF: false }) batch.Add(first);
                while (batch.Count > 0 && batch.Count < MaxBatch && consumer.Consume(TimeSpan.Zero) is { } next)
                    if (!next.IsPartitionEOF) batch.Add(next);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            if (batch.Count > 0) Deliver(batch, cancellationToken);
            if (_commitRequested || sinceCommit.Elapsed >= _flushInterval)
            {
                _commitRequested = false;
                try
                {
                    Commit(consumer, cancellationToken);
                }
                catch (KafkaException e) when (e is CommitFailedException || e.Error.IsRetriable)
                {
                    // As Kafka's worker: the group is rebalancing; the partitions' new owner re-delivers past the last commit.
                    Log.Warning("[{0}] offset commit failed and is tried again at the next flush: {1}", Id, e.Message);
                }
                sinceCommit.Restart();
            }
        }
    }

    private void Deliver(List<ConsumeResult<byte[]?, byte[]?>> batch, CancellationToken cancellationToken)
    {
        var records = new List<SinkRecord>(batch.Count);
        foreach (var consumed in batch)
            if (Convert(consumed, cancellationToken) is { } record) records.Add(record);
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                _task.PutAsync(records, cancellationToken).GetAwaiter().GetResult();
                break;
            }
            catch (RetriableException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Kafka redelivers the same batch after a back-off, for as long as it takes.
                Log.Warning("[{0}] put of {1} records failed and is tried again in {2} ms: {3}", Id, records.Count, (long)backoff.TotalMilliseconds, e.Message);
                Backoff(backoff, cancellationToken);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
            }
        }
        Interlocked.Add(ref _recordsPut, records.Count);
        // Skipped records count as done: their offsets move on with the rest.
        foreach (var consumed in batch)
            if (_assignment.Contains(consumed.TopicPartition))
                _currentOffsets[consumed.TopicPartition] = consumed.Offset.Value + 1;
    }

    private SinkRecord? Convert(ConsumeResult<byte[]?, byte[]?> consumed, CancellationToken cancellationToken)
    {
        var context = new ErrorContext(Consumed: consumed);
        var message = consumed.Message!;
        var (keyOk, key) = _errors.Execute(ErrorStage.KeyConverter, _converters.Key.GetType(), context,
            () => _converters.Key.ToConnectData(consumed.Topic, message.Key), cancellationToken);
        if (!keyOk) return null;
        var (valueOk, value) = _errors.Execute(ErrorStage.ValueConverter, _converters.Value.GetType(), context,
            () => _converters.Value.ToConnectData(consumed.Topic, message.Value), cancellationToken);
        if (!valueOk) return null;
        var record = new SinkRecord(consumed.Topic, consumed.Partition, key!.Schema, key.Value, value!.Schema, value.Value, consumed.Offset.Value,
            message.Timestamp.Type == TimestampType.NotAvailable ? null : message.Timestamp.UnixTimestampMs,
            message.Timestamp.Type, message.Headers is { Count: > 0 } h ? h.ToArray() : null);
        var (ok, transformed) = _errors.Execute(ErrorStage.Transformation, typeof(TransformationChain), context,
            () => _transforms.Apply(record), cancellationToken);
        return ok ? transformed as SinkRecord : null;
    }

    private void Commit(IConsumer<byte[]?, byte[]?> consumer, CancellationToken cancellationToken)
    {
        if (_currentOffsets.Count == 0) return;
        var snapshot = new Dictionary<TopicPartition, long>(_currentOffsets);
        var safe = _task.PreCommitAsync(snapshot, cancellationToken).GetAwaiter().GetResult();
        var toCommit = safe.Where(p => _assignment.Contains(p.Key) && (!_lastCommitted.TryGetValue(p.Key, out var last) || last != p.Value))
            .Select(p => new TopicPartitionOffset(p.Key, new Offset(p.Value))).ToList();
        if (toCommit.Count == 0) return;
        consumer.Commit(toCommit);
        foreach (var offset in toCommit) _lastCommitted[offset.TopicPartition] = offset.Offset.Value;
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        _assignment.UnionWith(partitions);
        _task.Open(partitions);
        // A task that keeps its own offsets rewinds in Open: the seek is made here, before this poll returns a record.
        if (_consumer != null)
            while (_contextRequests.TryDequeue(out var request)) request(_consumer);
        if (IsPaused) _consumer?.Pause(partitions);
    }

    private void OnRevoked(List<TopicPartitionOffset> revoked)
    {
        var partitions = revoked.Select(r => r.TopicPartition).ToList();
        try
        {
            // Commit what was put before another member takes the partitions over, so it does not put them again.
            if (_consumer != null) Commit(_consumer, CancellationToken.None);
        }
        catch (KafkaException e)
        {
            Log.Warning("[{0}] commit before revoking {1} partitions failed; the new owner re-delivers records after the last commit: {2}", Id, partitions.Count, e.Message);
        }
        _task.Close(partitions);
        foreach (var partition in partitions)
        {
            _assignment.Remove(partition);
            _currentOffsets.Remove(partition);
            _lastCommitted.Remove(partition);
        }
    }

    private sealed class Context(WorkerSinkTask owner) : ISinkTaskContext
    {
        public IReadOnlyDictionary<string, string> Configs => owner._taskConfig;
        public IReadOnlyCollection<TopicPartition> Assignment => owner._assignment.ToList();
        public void Offset(TopicPartition partition, long offset) =>
            owner._contextRequests.Enqueue(c =>
            {
                c.Seek(new TopicPartitionOffset(partition, new Offset(offset)));
                // A commit before the next batch must not go past the rewind.
                if (owner._assignment.Contains(partition)) owner._currentOffsets[partition] = offset;
            });
        public void Pause(params TopicPartition[] partitions) => owner._contextRequests.Enqueue(c => c.Pause(partitions));
        public void Resume(params TopicPartition[] partitions) => owner._contextRequests.Enqueue(c => c.Resume(partitions));
        public void RequestCommit() => owner._commitRequested = true;
        public Func<SinkRecord, Exception, Task>? ErrantRecordReporter => owner.ReportErrant;
    }

    private Task ReportErrant(SinkRecord record, Exception error) =>
        // The consumed bytes are gone by now; the DLQ gets what the record's topic, partition and offset name.
        _errors.FailedAsync(ErrorStage.TaskPut, _task.GetType(), new ErrorContext(Consumed: new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset(record.OriginalTopic, record.OriginalKafkaPartition, new Offset(record.OriginalKafkaOffset)),
            Message = new Message<byte[]?, byte[]?>
            {
                Key = _converters.Key.FromConnectData(record.Topic, record.KeySchema, record.Key),
                Value = _converters.Value.FromConnectData(record.Topic, record.ValueSchema, record.Value),
                Timestamp = record.Timestamp is { } ms ? new Timestamp(ms, record.TimestampType) : Timestamp.Default,
            },
        }), error, CancellationToken.None);
}
