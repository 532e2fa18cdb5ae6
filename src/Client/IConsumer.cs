namespace AkkaBroker.Client;

/// <summary>
/// Reads records, either from partitions it is given (<see cref="Assign(IEnumerable{TopicPartitionOffset})"/>) or as a
/// member of a consumer group (<see cref="Subscribe(IEnumerable{string})"/>, needs <c>group.id</c>), which shares the
/// topics' partitions among its members and moves them when members come and go. Fetching runs in the background (one
/// long-polling fetch per partition); <see cref="Consume(CancellationToken)"/> hands out records in offset order per
/// partition and also drives the group: rebalance handlers, auto-commits and commit callbacks run inside it, on the
/// calling thread. Not thread-safe: use one consumer from one thread, as with Kafka's consumers.
/// <para>
/// Guarantee: at least once. A rebalance gives a partition's new owner the last committed offset, so records consumed
/// but not committed by the old owner are consumed again; committing in the partitions-revoked handler (or leaving
/// <c>enable.auto.commit</c> on, which commits there) removes those duplicates for orderly rebalances.
/// </para>
/// </summary>
public interface IConsumer<TKey, TValue> : IDisposable
{
    /// <summary>The client id.</summary>
    string Name { get; }

    /// <summary>The member id the group coordinator gave this consumer; empty while it is not a group member.</summary>
    string MemberId { get; }

    /// <summary>The partitions currently assigned (a copy).</summary>
    List<TopicPartition> Assignment { get; }

    /// <summary>Replaces the assignment; each partition starts at its offset (Beginning, End, a number, or Unset for auto.offset.reset).</summary>
    void Assign(IEnumerable<TopicPartitionOffset> partitions);

    /// <summary>Replaces the assignment; every partition starts per auto.offset.reset.</summary>
    void Assign(IEnumerable<TopicPartition> partitions);

    /// <summary>Assigns one partition at an offset.</summary>
    void Assign(TopicPartitionOffset partition);

    /// <summary>Assigns one partition, starting at the group's committed offset (with a group.id), else per auto.offset.reset.</summary>
    void Assign(TopicPartition partition);

    /// <summary>Adds partitions to the assignment, each at its offset; the partitions already assigned keep their positions.</summary>
    /// <exception cref="InvalidOperationException">one of them is assigned already, or the consumer is subscribed.</exception>
    void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions);

    /// <summary>Adds partitions to the assignment, each per the committed offset or auto.offset.reset.</summary>
    /// <exception cref="InvalidOperationException">one of them is assigned already, or the consumer is subscribed.</exception>
    void IncrementalAssign(IEnumerable<TopicPartition> partitions);

    /// <summary>Removes partitions from the assignment; records already fetched for them are dropped.</summary>
    /// <exception cref="InvalidOperationException">one of them is not assigned, or the consumer is subscribed.</exception>
    void IncrementalUnassign(IEnumerable<TopicPartition> partitions);

    /// <summary>Removes every partition.</summary>
    void Unassign();

    /// <summary>Moves an assigned partition's position; records fetched from the old position are dropped.</summary>
    /// <exception cref="InvalidOperationException">the partition is not assigned.</exception>
    void Seek(TopicPartitionOffset position);

    /// <summary>The next record, waiting until one arrives or the token is cancelled.</summary>
    /// <exception cref="ConsumeException">a record could not be deserialized, a partition has no valid offset with auto.offset.reset=none, or a partition does not exist.</exception>
    /// <exception cref="OperationCanceledException">cancelled.</exception>
    ConsumeResult<TKey, TValue> Consume(CancellationToken cancellationToken = default);

    /// <summary>The next record, or null when none arrives within <paramref name="timeout"/>.</summary>
    /// <exception cref="ConsumeException">as for <see cref="Consume(CancellationToken)"/>.</exception>
    ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout);

    /// <summary>The next record, or null when none arrives within <paramref name="millisecondsTimeout"/> ms.</summary>
    /// <exception cref="ConsumeException">as for <see cref="Consume(CancellationToken)"/>.</exception>
    ConsumeResult<TKey, TValue>? Consume(int millisecondsTimeout);

    /// <summary>The offset of the next record <see cref="Consume(CancellationToken)"/> will return for the partition (Unset while not known yet).</summary>
    Offset Position(TopicPartition partition);

    /// <summary>For each partition, the earliest offset whose timestamp is at or after the given one (End when there is none).</summary>
    /// <exception cref="KafkaException">a broker did not answer in time or a partition does not exist.</exception>
    List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout);

    /// <summary>The partition's log start and high watermark, asked of the broker.</summary>
    /// <exception cref="KafkaException">the broker did not answer in time or the partition does not exist.</exception>
    WatermarkOffsets QueryWatermarkOffsets(TopicPartition topicPartition, TimeSpan timeout);

    /// <summary>
    /// The partition's log start and high watermark as the last fetch response reported them, without asking the broker
    /// (Confluent.Kafka's cached watermarks). Each is <see cref="Offset.Unset"/> while the partition is not assigned or
    /// not fetched yet.
    /// </summary>
    WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition);

    /// <summary>
    /// Kafka's consumer metrics: <c>fetch-size-avg</c>, <c>fetch-size-max</c> (bytes per fetch), <c>fetch-rate</c>
    /// (fetches/s), <c>fetch-latency-avg</c> (ms), <c>records-lag-max</c>, <c>records-consumed-rate</c>,
    /// <c>commit-latency-avg</c> and <c>rebalance-latency-avg</c> (ms).
    /// </summary>
    IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>
    /// Commits consumed positions (when <c>enable.auto.commit</c> is on), calls the partitions-revoked handler, leaves
    /// the group (a static member with <c>group.instance.id</c> stays, so it gets its partitions back if it returns
    /// within session.timeout.ms), stops fetching and releases the connection.
    /// </summary>
    void Close();

    /// <summary>The topics subscribed to (a pattern is shown as it was given, starting with '^').</summary>
    List<string> Subscription { get; }

    /// <summary>
    /// Joins the consumer group (<c>group.id</c>) for these topics; partitions are assigned during later
    /// <see cref="Consume(CancellationToken)"/> calls. A single name starting with '^' is a regular expression, as
    /// in Confluent.Kafka.
    /// </summary>
    /// <exception cref="InvalidOperationException">no group.id is set, or partitions were assigned by hand.</exception>
    void Subscribe(IEnumerable<string> topics);

    /// <summary>Subscribes to one topic (or, starting with '^', a pattern).</summary>
    /// <exception cref="InvalidOperationException">as for <see cref="Subscribe(IEnumerable{string})"/>.</exception>
    void Subscribe(string topic);

    /// <summary>
    /// Subscribes to every topic whose name matches; topics created later are picked up when the consumer refreshes
    /// its metadata (every <c>metadata.max.age.ms</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">as for <see cref="Subscribe(IEnumerable{string})"/>.</exception>
    void Subscribe(System.Text.RegularExpressions.Regex pattern);

    /// <summary>Gives up every partition (committing first when auto-commit is on) and leaves the group.</summary>
    void Unsubscribe();

    /// <summary>
    /// Commits the position of every assigned partition (the offset after the last record consumed), synchronously.
    /// While the group's coordinator is moving or loading (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
    /// COORDINATOR_LOAD_IN_PROGRESS) the commit is sent again every retry.backoff.ms, within request.timeout.ms; so are
    /// the other synchronous commits. Asynchronous commits are not, so that an older one never lands after a newer one.
    /// </summary>
    /// <returns>The offsets committed.</returns>
    /// <exception cref="CommitFailedException">the group rebalanced and this consumer no longer owns the partitions.</exception>
    /// <exception cref="KafkaException">the broker refused or did not answer within request.timeout.ms.</exception>
    /// <exception cref="InvalidOperationException">no group.id is set.</exception>
    List<TopicPartitionOffset> Commit();

    /// <summary>Commits the given offsets (each the offset of the next record to read), synchronously.</summary>
    /// <exception cref="CommitFailedException">the group rebalanced and this consumer no longer owns the partitions.</exception>
    /// <exception cref="KafkaException">the broker refused or did not answer within request.timeout.ms.</exception>
    /// <exception cref="ArgumentException">an offset is negative or special.</exception>
    void Commit(IEnumerable<TopicPartitionOffset> offsets);

    /// <summary>Commits the offset after <paramref name="result"/>, synchronously.</summary>
    /// <exception cref="CommitFailedException">the group rebalanced and this consumer no longer owns the partition.</exception>
    /// <exception cref="KafkaException">the broker refused or did not answer.</exception>
    void Commit(ConsumeResult<TKey, TValue> result);

    /// <summary>Commits without blocking: the given offsets, or every partition's position when null.</summary>
    /// <returns>A task with the committed offsets; it fails with <see cref="CommitFailedException"/> or <see cref="KafkaException"/>.</returns>
    Task<List<TopicPartitionOffset>> CommitAsync(IEnumerable<TopicPartitionOffset>? offsets = null);

    /// <summary>
    /// Commits without blocking and calls <paramref name="callback"/> with the offsets and the failure (null on
    /// success) on the consumer's thread, during a later Consume, Commit or Close, as Kafka's commitAsync does.
    /// </summary>
    void CommitAsync(IEnumerable<TopicPartitionOffset>? offsets, Action<IReadOnlyList<TopicPartitionOffset>, KafkaException?> callback);

    /// <summary>With <c>enable.auto.offset.store=false</c>: marks the record as processed, so the next commit includes it.</summary>
    /// <exception cref="InvalidOperationException">enable.auto.offset.store is on (positions are stored automatically).</exception>
    void StoreOffset(ConsumeResult<TKey, TValue> result);

    /// <summary>With <c>enable.auto.offset.store=false</c>: sets the offset the next commit sends for the partition.</summary>
    /// <exception cref="InvalidOperationException">enable.auto.offset.store is on.</exception>
    /// <exception cref="KafkaException">the partition is not assigned.</exception>
    void StoreOffset(TopicPartitionOffset offset);

    /// <summary>The group's committed offsets for the partitions (Unset where there is none).</summary>
    /// <exception cref="KafkaException">the broker did not answer within <paramref name="timeout"/>.</exception>
    List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout);

    /// <summary>The group's committed offsets of the partitions currently assigned.</summary>
    /// <exception cref="KafkaException">the coordinator did not answer in time, or the consumer has no group.id.</exception>
    List<TopicPartitionOffset> Committed(TimeSpan timeout);

    /// <summary>Stops fetching the partitions; records already buffered for them are dropped and fetched again on resume. The group membership is unaffected.</summary>
    /// <exception cref="InvalidOperationException">a partition is not assigned.</exception>
    void Pause(IEnumerable<TopicPartition> partitions);

    /// <summary>Fetches paused partitions again from their positions.</summary>
    void Resume(IEnumerable<TopicPartition> partitions);

    /// <summary>The partitions paused now.</summary>
    List<TopicPartition> Paused();
}
