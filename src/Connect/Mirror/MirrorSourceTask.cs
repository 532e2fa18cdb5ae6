using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Connect.Data;
using AkkaBroker.Mirror;

namespace AkkaBroker.Connect.Mirror;

/// <summary>
/// Mirrors the source partitions of its <c>task.assigned.partitions</c> (Kafka's <c>MirrorSourceTask</c>): each record
/// becomes a <see cref="SourceRecord"/> for the policy's target topic, in the same partition, with the same key, value,
/// headers and timestamp, as bytes (<see cref="Schema.OptionalBytes"/>; the connector runs with
/// <c>ByteArrayConverter</c>). Source partition <c>{cluster, topic, partition}</c>, source offset <c>{offset}</c>: the
/// worker stores the offset of what the target acknowledged, and a restarted task goes on after it.
/// <para>
/// Offset syncs: for each record the target acknowledged (<see cref="CommitRecord"/>, on the producer's thread) the run
/// of source offsets to target offsets grows (<see cref="PendingOffsetSyncs"/>); the runs are written to
/// <c>mm2-offset-syncs.{target alias}.internal</c> at most every <see cref="SyncWriteInterval"/> while polling, and on
/// stop after the records in flight were acknowledged. Records deleted by the source's retention before they were read
/// are logged and counted (<c>akkabroker.mirror.records_skipped</c>), and mirroring goes on from the log start.
/// </para>
/// <para>
/// Metrics are the <c>mirror-maker</c> command's (<see cref="MirrorMetrics"/>: records, bytes, replication latency, lag,
/// waiting on the source, heartbeat age), with its summary line every minute, the task being <c>stream {task.index}</c>.
/// </para>
/// </summary>
public sealed class MirrorSourceTask : SourceTask
{
    /// <summary>Source partition keys and the source offset key, Kafka's.</summary>
    public const string ClusterKey = "cluster", TopicKey = "topic", PartitionKey = "partition", OffsetKey = "offset";

    /// <summary>How often, at most, offset syncs are written while records flow.</summary>
    public static readonly TimeSpan SyncWriteInterval = TimeSpan.FromMilliseconds(200);

    private const int MaxBatch = 1000;
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    // PendingOffsetSyncs is not thread-safe: CommitRecord (the producer's thread) and the poll thread share it under this.
    private readonly object _gate = new();
    private MirrorConnectorConfig _config = null!;
    private IConsumer<byte[]?, byte[]?>? _consumer;
    private IProducer<byte[]?, byte[]?>? _syncProducer;
    private PendingOffsetSyncs? _syncs;
    private readonly Dictionary<string, string> _targetTopics = new(StringComparer.Ordinal);
    private IReadOnlyList<TopicPartition> _partitions = [];
    // Metrics and the summary line, as a mirror-maker stream reports them; under _gate (CommitRecord adds, polls publish).
    private StreamReport _report = null!;
    // Per source partition, the offset after the last record the target acknowledged: the lag is measured from it.
    private readonly Dictionary<TopicPartition, long> _acknowledged = new();
    private DateTime _nextReport;
    private DateTime _nextSyncWrite;
    // Records returned from polls whose CommitRecord has not come yet.
    private long _outstanding;
    private int _syncFailuresLogged;

    /// <summary>The source partition map of <paramref name="partition"/> on cluster <paramref name="sourceAlias"/>, as Kafka's MirrorSourceTask writes it.</summary>
    public static IReadOnlyDictionary<string, object?> SourcePartition(string sourceAlias, TopicPartition partition) =>
        new Dictionary<string, object?> { [ClusterKey] = sourceAlias, [TopicKey] = partition.Topic, [PartitionKey] = partition.Partition.Value };

    /// <summary>The source offset map of a record at <paramref name="offset"/>.</summary>
    public static IReadOnlyDictionary<string, object?> SourceOffset(long offset) => new Dictionary<string, object?> { [OffsetKey] = offset };

    /// <summary>Where a partition starts: after the stored offset, or at the beginning when none is stored.</summary>
    /// <exception cref="ConnectException">the stored offset is not a whole number.</exception>
    public static Offset StartOffset(IReadOnlyDictionary<string, object?>? stored, TopicPartition partition) =>
        stored?.GetValueOrDefault(OffsetKey) switch
        {
            null => Offset.Beginning,
            long offset => new Offset(offset + 1),
            int offset => new Offset(offset + 1L),
            var other => throw new ConnectException($"The stored offset of {partition} is not a whole number ({other}); reset the connector's offsets."),
        };

    /// <summary>Opens the consumer on the source at the stored positions and, with offset syncs on, the producer that writes them.</summary>
    /// <exception cref="ConnectException">a key is invalid or a client setting refused.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _config = MirrorConnectorConfig.Parse(MirrorConnectorConfig.SourceDefinition, config);
        var partitions = _partitions = MirrorSourceConnector.DecodePartitions(config.GetValueOrDefault(MirrorConnectorConfig.TaskAssignedPartitions) ?? "");
        _report = new StreamReport(int.TryParse(config.GetValueOrDefault(MirrorConnectorConfig.TaskIndex), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) ? index : 0);
        // No group and no automatic reset: the worker keeps the offsets, and a position out of range is handled here, never moved silently.
        _consumer = _config.Consumer(MirrorCluster.Source, $"mirror-source-{_config.SourceAlias}", props =>
        {
            props["enable.auto.commit"] = "false";
            props["auto.offset.reset"] = "none";
        });
        _consumer.Assign(partitions.Select(tp => new TopicPartitionOffset(tp, StartOffset(Context.OffsetStorageReader.Offset(SourcePartition(_config.SourceAlias, tp)), tp))));
        if (_config.Get<bool>(MirrorConnectorConfig.EmitOffsetSyncsEnabled))
        {
            _syncProducer = _config.Producer(_config.OffsetSyncsLocation, $"mirror-offset-syncs-{_config.SourceAlias}");
            _syncs = new PendingOffsetSyncs(_config.SourceAlias);
        }
        Context.Log.Info("[{0}] mirroring {1} partitions: {2}", _config.SourceAlias, partitions.Count, string.Join(", ", partitions));
    }

    /// <summary>The records fetched: waits up to half a second for the first, then takes what is already fetched, up to 1,000.</summary>
    /// <exception cref="RetriableException">the source answered with an error that may pass.</exception>
    public override Task<IReadOnlyList<SourceRecord>> PollAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        WriteSyncs(force: false);
        Report();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var records = new List<SourceRecord>();
        var timeout = TimeSpan.FromMilliseconds(500);
        while (records.Count < MaxBatch && !cancellationToken.IsCancellationRequested)
        {
            ConsumeResult<byte[]?, byte[]?>? result;
            try
            {
                result = _consumer!.Consume(timeout);
            }
            catch (ConsumeException e) when (e.Error.Code == AkkaBroker.Client.ErrorCode.OffsetOutOfRange && e.ConsumerRecord != null)
            {
                // The records before it are returned first; the next poll reads from the new position.
                try
                {
                    Recover(e.ConsumerRecord.TopicPartitionOffset);
                }
                catch (KafkaException lookup)
                {
                    // Fetching from the same position meets the error again, and the next poll looks again.
                    _consumer!.Seek(e.ConsumerRecord.TopicPartitionOffset);
                    var message = $"{e.ConsumerRecord.TopicPartition} is out of range and its log start cannot be read: {lookup.Error.Reason}";
                    if (records.Count == 0) throw new RetriableException(message, lookup);
                    Context.Log.Warning("[{0}] {1}; trying again", _config.SourceAlias, message);
                }
                break;
            }
            catch (ConsumeException e) when (e.Error.IsRetriable)
            {
                if (records.Count == 0) throw new RetriableException($"consuming from the source cluster failed: {e.Error.Reason}", e);
                // The records read are returned; the consumer retries the fetch on its own.
                Context.Log.Warning("[{0}] consuming from the source failed ({1}); the consumer tries again", _config.SourceAlias, e.Error.Reason);
                break;
            }
            if (result == null) break;
            timeout = TimeSpan.Zero;
            if (result.Message == null || result.IsPartitionEOF) continue;
            records.Add(ToSourceRecord(result));
        }
        _report.WaitedOnSource(System.Diagnostics.Stopwatch.GetTimestamp() - started);
        Interlocked.Add(ref _outstanding, records.Count);
        return Task.FromResult<IReadOnlyList<SourceRecord>>(records);
    }

    private SourceRecord ToSourceRecord(ConsumeResult<byte[]?, byte[]?> result)
    {
        if (!_targetTopics.TryGetValue(result.Topic, out var target)) _targetTopics[result.Topic] = target = _config.Policy.TargetTopic(result.Topic);
        var message = result.Message!;
        return new SourceRecord(SourcePartition(_config.SourceAlias, result.TopicPartition), SourceOffset(result.Offset.Value), target, result.Partition,
            Schema.OptionalBytes, message.Key, Schema.OptionalBytes, message.Value, message.Timestamp.UnixTimestampMs,
            message.Headers is { Count: > 0 } headers ? headers.ToArray() : null);
    }

    private void Recover(TopicPartitionOffset at)
    {
        if (OutOfRangePosition.Recover(_consumer!, at) is not { } reset) return;
        if (reset.Gap is { } gap)
        {
            Context.Log.Error("[{0}] {1}: the source's retention deleted offsets {2} to {3} before they were mirrored: up to {4} records are not on the target. " +
                              "Mirroring goes on from offset {5}. Keep records on the source longer (retention.ms, retention.bytes) than the mirror may fall behind.",
                _config.SourceAlias, reset.Partition, gap.From, gap.To - 1, gap.Count, reset.Resumed);
            MirrorMetrics.RecordsSkipped.Add(gap.Count, MirrorMetrics.Tags(reset.Partition));
        }
        else
        {
            Context.Log.Error("[{0}] {1}: the source log ends before the stored position {2}: the topic was deleted and created again, or an unclean leader " +
                              "election cut its log. Its records are mirrored again from offset {3}; the target keeps the records mirrored before.",
                _config.SourceAlias, reset.Partition, at.Offset.Value, reset.Resumed);
            MirrorMetrics.PartitionsRestarted.Add(1, MirrorMetrics.Tags(reset.Partition));
        }
    }

    /// <summary>The target acknowledged <paramref name="record"/> at <paramref name="metadata"/> (null: dropped by a transform): its offset sync grows.</summary>
    public override void CommitRecord(SourceRecord record, TopicPartitionOffset? metadata)
    {
        Interlocked.Decrement(ref _outstanding);
        if (metadata == null || record.SourcePartition == null || record.SourceOffset == null) return;
        var source = new TopicPartition((string)record.SourcePartition[TopicKey]!, (int)record.SourcePartition[PartitionKey]!);
        var offset = (long)record.SourceOffset[OffsetKey]!;
        long bytes = ((record.Key as byte[])?.Length ?? 0) + ((record.Value as byte[])?.Length ?? 0);
        lock (_gate)
        {
            _syncs?.Acknowledged(source, offset, metadata.Offset.Value);
            _acknowledged[source] = offset + 1;
            _report.Acknowledged(source, bytes, record.Timestamp ?? 0, heartbeat: source.Topic == _config.Policy.HeartbeatsTopic);
        }
    }

    /// <summary>Once a second: publishes the counts and lags, and logs the summary line every minute.</summary>
    private void Report()
    {
        if (DateTime.UtcNow < _nextReport) return;
        _nextReport = DateTime.UtcNow.AddSeconds(1);
        string? summary;
        lock (_gate)
            summary = _report.Tick(_partitions, tp => _consumer!.GetWatermarkOffsets(tp).High is { Value: >= 0 } high ? high.Value : null,
                tp => _acknowledged.TryGetValue(tp, out var next) ? next : null);
        if (summary != null) Context.Log.Info("[{0}] {1}", _config.SourceAlias, summary);
    }

    /// <summary>Writes the offset syncs that changed, when due or <paramref name="force"/>d; a failed one is written again next time.</summary>
    private void WriteSyncs(bool force)
    {
        if (_syncs == null || _syncProducer == null || (!force && DateTime.UtcNow < _nextSyncWrite)) return;
        _nextSyncWrite = DateTime.UtcNow + SyncWriteInterval;
        List<OffsetSync> syncs;
        lock (_gate) syncs = _syncs.Take();
        var topic = new TopicPartition(_config.OffsetSyncsTopic, 0);
        foreach (var sync in syncs)
            _syncProducer.Produce(topic, new Message<byte[]?, byte[]?> { Key = sync.Key(), Value = sync.Value() }, report =>
            {
                if (!report.Error.IsError) return;
                lock (_gate) _syncs.Failed(sync);
                // One line per burst of failures, not one per sync.
                if (Interlocked.Exchange(ref _syncFailuresLogged, 1) == 0)
                    Context.Log.Warning("[{0}] writing offset syncs to {1} failed ({2}); they are written again shortly", _config.SourceAlias, _config.OffsetSyncsTopic, report.Error.Reason);
            });
        if (syncs.Count > 0) Volatile.Write(ref _syncFailuresLogged, 0);
    }

    /// <summary>
    /// Waits (up to 5 s) for the target's answers to the records returned, so that their offset syncs are written too,
    /// writes them, and closes the clients.
    /// </summary>
    public override void Stop()
    {
        if (!SpinWait.SpinUntil(() => Interlocked.Read(ref _outstanding) <= 0, StopWait))
            Context.Log.Warning("[{0}] {1} records were not acknowledged within {2} s of stopping; their offset syncs are not written",
                _config.SourceAlias, Interlocked.Read(ref _outstanding), StopWait.TotalSeconds);
        WriteSyncs(force: true);
        lock (_gate)
        {
            _report?.Publish();
            foreach (var tp in _partitions) _report?.Forget(tp);
        }
        if (_syncProducer != null)
        {
            var left = _syncProducer.Flush(TimeSpan.FromSeconds(10));
            if (left > 0) Context.Log.Warning("[{0}] {1} offset syncs were not written on stop", _config.SourceAlias, left);
            _syncProducer.Dispose();
        }
        _consumer?.Close();
        _consumer?.Dispose();
    }
}
