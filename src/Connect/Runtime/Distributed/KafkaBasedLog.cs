using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;

namespace AkkaBroker.Connect.Runtime.Distributed;

/// <summary>
/// A compacted topic read whole and followed by every worker, and written by any (Kafka Connect's
/// <c>KafkaBasedLog</c>): the store of connector configs, statuses and source offsets of a distributed worker group.
/// A thread of its own reads every partition from the start (assigned, not in a group, so every worker sees every
/// record) and hands each record to the owner's callback in order. <see cref="ReadToEndAsync"/> completes once
/// everything written before it was called has been handed over, which is how a worker knows it has the newest
/// state before acting on it.
/// </summary>
public sealed class KafkaBasedLog : IAsyncDisposable
{
    private readonly string _topic;
    private readonly Worker _worker;
    private readonly Action<string?, byte[]?> _onRecord;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<int, long> _positions = new();
    private readonly Lock _lock = new();
    private readonly List<(Dictionary<int, long> Ends, TaskCompletionSource Done)> _waiters = [];
    private IProducer<string?, byte[]?>? _producer;
    private Thread? _reader;
    private int _partitions;

    /// <param name="onRecord">Called on the reader's thread with each record's key and value (null: a tombstone).</param>
    public KafkaBasedLog(string topic, Worker worker, Action<string?, byte[]?> onRecord, ILoggingAdapter log)
    {
        _topic = topic;
        _worker = worker;
        _onRecord = onRecord;
        _log = log;
    }

    /// <summary>The topic.</summary>
    public string Topic => _topic;

    /// <summary>
    /// Creates the topic if it is missing (compacted, with <paramref name="partitions"/> and
    /// <paramref name="replicationFactor"/>), checks that it is compacted, and starts reading it from the start.
    /// </summary>
    /// <exception cref="ConnectException">the topic exists with another cleanup policy than compact.</exception>
    public async Task StartAsync(int partitions, short replicationFactor, CancellationToken cancellationToken)
    {
        using (var admin = _worker.CreateAdmin())
        {
            try
            {
                await admin.CreateTopicsAsync([new TopicSpecification
                {
                    Name = _topic, NumPartitions = partitions, ReplicationFactor = replicationFactor,
                    Configs = new Dictionary<string, string> { ["cleanup.policy"] = "compact" },
                }]).ConfigureAwait(false);
                _log.Info("Created internal topic {0} ({1} partitions, compacted)", _topic, partitions);
            }
            catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code == AkkaBroker.Client.ErrorCode.TopicAlreadyExists))
            {
            }
            var configs = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = _topic }]).ConfigureAwait(false);
            var policy = configs.Single().Entries.GetValueOrDefault("cleanup.policy")?.Value ?? "delete";
            if (!policy.Contains("compact", StringComparison.Ordinal))
                throw new ConnectException($"Topic '{_topic}' holds a worker group's state and must be compacted (cleanup.policy=compact), but its cleanup.policy is '{policy}'. Alter it with `topics alter --topic {_topic} --config cleanup.policy=compact`, or choose another topic.");
            var metadata = await admin.GetMetadataAsync([_topic]).ConfigureAwait(false);
            _partitions = metadata.Topics.Single(t => t.Topic == _topic).Partitions.Count;
        }
        var producerConfig = _worker.Config.ClientConnection();
        producerConfig["acks"] = "all";
        producerConfig["enable.idempotence"] = "true";
        producerConfig["linger.ms"] = "0";
        _producer = new ProducerBuilder<string?, byte[]?>(producerConfig).Build();
        var consumerConfig = _worker.Config.ClientConnection();
        consumerConfig["enable.auto.commit"] = "false";
        consumerConfig["client.id"] = $"{_topic}-reader";
        var consumer = new ConsumerBuilder<string?, byte[]?>(consumerConfig).Build();
        consumer.Assign(Enumerable.Range(0, _partitions).Select(p => new TopicPartitionOffset(_topic, p, Offset.Beginning)));
        var token = _stop.Token;
        _reader = new Thread(() => Read(consumer, token)) { IsBackground = true, Name = $"log-reader-{_topic}" };
        _reader.Start();
        await ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Read(IConsumer<string?, byte[]?> consumer, CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested)
            {
                ConsumeResult<string?, byte[]?>? result;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                }
                catch (ConsumeException e)
                {
                    _log.Warning("[{0}] reading the worker group's log failed and goes on: {1}", _topic, e.Message);
                    continue;
                }
                if (result is { IsPartitionEOF: false, Message: { } message })
                {
                    try
                    {
                        _onRecord(message.Key, message.Value);
                    }
                    catch (Exception e)
                    {
                        // A record this worker cannot read (written by a newer version?) must not stop it reading the rest.
                        _log.Error(e, "[{0}] record at {1} could not be applied and is skipped", _topic, result.TopicPartitionOffset);
                    }
                    lock (_lock) _positions[result.Partition] = result.Offset.Value + 1;
                }
                Release();
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            consumer.Close();
            consumer.Dispose();
        }
    }

    private void Release()
    {
        lock (_lock)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var (ends, done) = _waiters[i];
                if (ends.All(e => e.Value == 0 || _positions.GetValueOrDefault(e.Key) >= e.Value))
                {
                    done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Completes once every record written before the call has been handed to the callback.</summary>
    public async Task ReadToEndAsync(CancellationToken cancellationToken)
    {
        var ends = new Dictionary<int, long>();
        using (var admin = _worker.CreateAdmin())
            for (var p = 0; p < _partitions; p++)
                ends[p] = (await admin.ListOffsetAsync(new TopicPartition(_topic, p), OffsetSpec.Latest()).ConfigureAwait(false)).Value;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock) _waiters.Add((ends, done));
        Release();
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a record (a null value removes the key) and waits until the cluster has it.</summary>
    public Task SendAsync(string key, byte[]? value, CancellationToken cancellationToken = default) =>
        _producer!.ProduceAsync(_topic, new Message<string?, byte[]?> { Key = key, Value = value }, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _reader?.Join(TimeSpan.FromSeconds(10));
        _producer?.Dispose();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
