namespace AkkaBroker.Client;

/// <summary>
/// Reads records from assigned partitions. Fetching runs in the background (one long-polling fetch per partition);
/// <see cref="Consume(CancellationToken)"/> hands out records in offset order per partition. Not thread-safe: use
/// one consumer from one thread, as with Kafka's consumers.
/// </summary>
public interface IConsumer<TKey, TValue> : IDisposable
{
    /// <summary>The client id.</summary>
    string Name { get; }

    /// <summary>The partitions currently assigned.</summary>
    IReadOnlyList<TopicPartition> Assignment { get; }

    /// <summary>Replaces the assignment; each partition starts at its offset (Beginning, End, a number, or Unset for auto.offset.reset).</summary>
    void Assign(IEnumerable<TopicPartitionOffset> partitions);

    /// <summary>Replaces the assignment; every partition starts per auto.offset.reset.</summary>
    void Assign(IEnumerable<TopicPartition> partitions);

    /// <summary>Assigns one partition at an offset.</summary>
    void Assign(TopicPartitionOffset partition);

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

    /// <summary>The offset of the next record <see cref="Consume(CancellationToken)"/> will return for the partition (Unset while not known yet).</summary>
    Offset Position(TopicPartition partition);

    /// <summary>For each partition, the earliest offset whose timestamp is at or after the given one (End when there is none).</summary>
    /// <exception cref="KafkaException">a broker did not answer in time or a partition does not exist.</exception>
    List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout);

    /// <summary>The partition's log start and high watermark, asked of the broker.</summary>
    /// <exception cref="KafkaException">the broker did not answer in time or the partition does not exist.</exception>
    WatermarkOffsets QueryWatermarkOffsets(TopicPartition topicPartition, TimeSpan timeout);

    /// <summary>
    /// Kafka's consumer metrics: <c>fetch-size-avg</c>, <c>fetch-size-max</c> (bytes per fetch), <c>fetch-rate</c>
    /// (fetches/s), <c>fetch-latency-avg</c> (ms), <c>records-lag-max</c>, <c>records-consumed-rate</c>.
    /// </summary>
    IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>Stops fetching and releases the connection. (With consumer groups it will also commit and leave.)</summary>
    void Close();
}
