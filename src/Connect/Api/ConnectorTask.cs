using AkkaBroker.Client;

namespace AkkaBroker.Connect;

/// <summary>
/// What source and sink tasks share (Kafka Connect's <c>Task</c>). A task runs one of its connector's task
/// configurations; the worker calls it from one thread at a time. A task must have a public parameterless constructor.
/// </summary>
public abstract class ConnectorTask
{
    /// <summary>The task's version; defaults to its assembly's.</summary>
    public virtual string Version => GetType().Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Starts the task with one of the configurations its connector's <see cref="Connector.TaskConfigs"/> returned.</summary>
    /// <exception cref="ConnectException">the task cannot start; its status becomes FAILED.</exception>
    public abstract void Start(IReadOnlyDictionary<string, string> config);

    /// <summary>Stops the task. May be called while a poll or put is waiting on another thread's cancellation.</summary>
    public abstract void Stop();
}

/// <summary>
/// A task that reads records from an external system (Kafka Connect's <c>SourceTask</c>). The worker calls
/// <see cref="PollAsync"/> in a loop, converts and transforms what it returns, produces it, and stores each record's
/// source offset once the cluster acknowledged it and every record polled before it from the same source partition.
/// After a crash the task starts from the stored offsets: records past them are read again (at least once).
/// </summary>
public abstract class SourceTask : ConnectorTask
{
    /// <summary>The worker's services for this task; set before <see cref="ConnectorTask.Start"/>.</summary>
    protected ISourceTaskContext Context { get; private set; } = null!;

    /// <summary>Called once before <see cref="ConnectorTask.Start"/>.</summary>
    public virtual void Initialize(ISourceTaskContext context) => Context = context;

    /// <summary>
    /// The next records, or an empty list when none are ready. Wait a little when there is nothing (a second at most)
    /// rather than return at once, and stop waiting when <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <exception cref="RetriableException">a passing failure: the worker polls again after a back-off.</exception>
    /// <exception cref="ConnectException">the task cannot go on; its status becomes FAILED.</exception>
    public abstract Task<IReadOnlyList<SourceRecord>> PollAsync(CancellationToken cancellationToken);

    /// <summary>Called after the worker stored the source offsets of the records acknowledged so far.</summary>
    public virtual Task CommitAsync() => Task.CompletedTask;

    /// <summary>Called for each record once the cluster acknowledged it (<paramref name="metadata"/>) or a transform dropped it (null).</summary>
    public virtual void CommitRecord(SourceRecord record, TopicPartitionOffset? metadata) { }
}

/// <summary>
/// A task that writes records from topics into an external system (Kafka Connect's <c>SinkTask</c>). The worker
/// consumes the connector's topics in the group <c>connect-{connector name}</c>, gives the task batches through
/// <see cref="PutAsync"/>, and commits a partition's offset only after <see cref="PreCommitAsync"/> said the records
/// before it are written: after a crash records past the last commit are put again (at least once; an upserting sink
/// is exactly-once in effect).
/// </summary>
public abstract class SinkTask : ConnectorTask
{
    /// <summary>The worker's services for this task; set before <see cref="ConnectorTask.Start"/>.</summary>
    protected ISinkTaskContext Context { get; private set; } = null!;

    /// <summary>Called once before <see cref="ConnectorTask.Start"/>.</summary>
    public virtual void Initialize(ISinkTaskContext context) => Context = context;

    /// <summary>The task now consumes <paramref name="partitions"/> (after a rebalance).</summary>
    public virtual void Open(IReadOnlyCollection<TopicPartition> partitions) { }

    /// <summary>
    /// Writes (or buffers) <paramref name="records"/>. Records of one partition come in offset order. Nothing is
    /// committed until <see cref="PreCommitAsync"/> returns, so a task may buffer and write in <see cref="FlushAsync"/>.
    /// </summary>
    /// <exception cref="RetriableException">a passing failure: the worker puts the same batch again after a back-off.</exception>
    /// <exception cref="ConnectException">the task cannot go on; its status becomes FAILED.</exception>
    public abstract Task PutAsync(IReadOnlyList<SinkRecord> records, CancellationToken cancellationToken);

    /// <summary>Writes everything buffered; <paramref name="currentOffsets"/> are the next offsets after what was put.</summary>
    public virtual Task FlushAsync(IReadOnlyDictionary<TopicPartition, long> currentOffsets, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The offsets that are safe to commit, per partition the offset of the next record to read: by default
    /// <see cref="FlushAsync"/> then all of <paramref name="currentOffsets"/>. A task that writes asynchronously returns
    /// less, or an empty map to commit nothing now.
    /// </summary>
    public virtual async Task<IReadOnlyDictionary<TopicPartition, long>> PreCommitAsync(IReadOnlyDictionary<TopicPartition, long> currentOffsets, CancellationToken cancellationToken)
    {
        await FlushAsync(currentOffsets, cancellationToken).ConfigureAwait(false);
        return currentOffsets;
    }

    /// <summary>The task no longer consumes <paramref name="partitions"/> (a rebalance or stop); write or drop their buffers.</summary>
    public virtual void Close(IReadOnlyCollection<TopicPartition> partitions) { }
}

/// <summary>What the worker offers a running source task.</summary>
public interface ISourceTaskContext
{
    /// <summary>The task's configuration.</summary>
    IReadOnlyDictionary<string, string> Configs { get; }

    /// <summary>The stored source offsets, to resume where the connector's last run stopped.</summary>
    IOffsetStorageReader OffsetStorageReader { get; }

    /// <summary>The worker's log, for what an operator must hear of (safe from any thread); a context outside a worker logs nowhere.</summary>
    Akka.Event.ILoggingAdapter Log => Akka.Event.NoLogger.Instance;
}

/// <summary>Reads the source offsets the worker stored for this connector.</summary>
public interface IOffsetStorageReader
{
    /// <summary>The newest stored offset of <paramref name="partition"/>, or null when none is stored.</summary>
    IReadOnlyDictionary<string, object?>? Offset(IReadOnlyDictionary<string, object?> partition);
}

/// <summary>What the worker offers a running sink task.</summary>
public interface ISinkTaskContext
{
    /// <summary>The task's configuration.</summary>
    IReadOnlyDictionary<string, string> Configs { get; }

    /// <summary>The partitions the task consumes now.</summary>
    IReadOnlyCollection<TopicPartition> Assignment { get; }

    /// <summary>Rewinds or forwards consumption of <paramref name="partition"/> to <paramref name="offset"/> (the task keeps its own offsets).</summary>
    void Offset(TopicPartition partition, long offset);

    /// <summary>Stops fetching <paramref name="partitions"/> until <see cref="Resume"/> (the external system needs a pause).</summary>
    void Pause(params TopicPartition[] partitions);

    /// <summary>Fetches <paramref name="partitions"/> again.</summary>
    void Resume(params TopicPartition[] partitions);

    /// <summary>Asks for an offset commit soon rather than at the next <c>offset.flush.interval.ms</c>.</summary>
    void RequestCommit();

    /// <summary>
    /// Reports a record the task could not write, as Kafka's <c>ErrantRecordReporter</c>: with
    /// <c>errors.tolerance=all</c> it is logged and sent to the dead letter queue and the task goes on; with
    /// <c>none</c> the task fails. Null when the worker has no error reporting configured.
    /// </summary>
    Func<SinkRecord, Exception, Task>? ErrantRecordReporter { get; }
}
