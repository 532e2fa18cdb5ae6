namespace AkkaBroker.Client;

/// <summary>
/// Sends records to topics, batching them per partition (<c>linger.ms</c>, <c>batch.size</c>). Thread-safe: share one
/// producer across the application. Records of one partition are delivered in the order they were produced.
/// </summary>
public interface IProducer<TKey, TValue> : IDisposable
{
    /// <summary>The client id.</summary>
    string Name { get; }

    /// <summary>Produces a record to <paramref name="topic"/>, partitioned by key (murmur2, as Kafka's Java client).</summary>
    /// <returns>Where the record was written, once the broker acknowledged it (at once with acks=0).</returns>
    /// <exception cref="ProduceException{TKey,TValue}">the record could not be written; its Error says why.</exception>
    /// <exception cref="KafkaException">no broker answered, or the topic does not exist and cannot be created.</exception>
    Task<DeliveryResult<TKey, TValue>> ProduceAsync(string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default);

    /// <summary>Produces a record to one partition.</summary>
    /// <exception cref="ProduceException{TKey,TValue}">the record could not be written; its Error says why.</exception>
    /// <exception cref="KafkaException">no broker answered, or the partition does not exist.</exception>
    Task<DeliveryResult<TKey, TValue>> ProduceAsync(TopicPartition topicPartition, Message<TKey, TValue> message, CancellationToken cancellationToken = default);

    /// <summary>Fire-and-forget produce; <paramref name="deliveryHandler"/> is called once with the outcome, on a pool thread.</summary>
    /// <exception cref="KafkaException">the record could not even be queued (bad topic, serializer failure, buffer full past max.block.ms).</exception>
    void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null);

    /// <summary>Fire-and-forget produce to one partition.</summary>
    /// <exception cref="KafkaException">the record could not even be queued.</exception>
    void Produce(TopicPartition topicPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null);

    /// <summary>Sends every queued record now and waits until all are delivered or failed, or the timeout passes.</summary>
    /// <returns>How many records are still waiting (0 when everything completed).</returns>
    int Flush(TimeSpan timeout);

    /// <summary>Sends every queued record now and waits until all are delivered or failed.</summary>
    /// <exception cref="OperationCanceledException">cancelled first.</exception>
    void Flush(CancellationToken cancellationToken = default);

    /// <summary>
    /// Kafka's producer metrics: <c>batch-size-avg</c>, <c>batch-size-max</c>, <c>record-send-rate</c>,
    /// <c>records-per-request-avg</c>, <c>request-latency-avg</c> (ms), <c>record-error-total</c>, <c>record-retry-total</c>.
    /// Averages and maxima since the producer started; rates per second since the first send.
    /// </summary>
    IReadOnlyDictionary<string, double> Metrics { get; }
}
