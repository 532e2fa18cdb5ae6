using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Connect.Data;
using AkkaBroker.Mirror;

namespace AkkaBroker.Connect.Mirror;

/// <summary>
/// Every <c>emit.checkpoints.interval.seconds</c> (the first pass at start): reads the offset syncs written by the
/// MirrorSourceConnector, translates the committed offsets of the source groups <c>groups</c> / <c>groups.exclude</c>
/// select on the mirrored topics exactly (<see cref="GroupOffsetTranslator"/>), and returns each changed one as a
/// <see cref="Checkpoint"/> record for <c>{source alias}.checkpoints.internal</c> (Kafka's <c>MirrorCheckpointTask</c>).
/// With <c>sync.group.offsets.enabled</c>, every <c>sync.group.offsets.interval.seconds</c> it also commits the translated
/// offsets as the groups' own offsets on the target, for groups with no members there and only forward.
/// </summary>
public sealed class MirrorCheckpointTask : SourceTask
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);

    // The translator's written-checkpoint memory is touched by the poll thread and by CommitRecord (the producer's thread).
    private readonly object _gate = new();
    private MirrorConnectorConfig _config = null!;
    private IAdminClient? _sourceAdmin;
    private IAdminClient? _targetAdmin;
    private IConsumer<byte[]?, byte[]?>? _syncsConsumer;
    private GroupOffsetTranslator _translator = null!;
    private TimeSpan _checkpointInterval;
    private TimeSpan? _syncInterval;
    private DateTime _nextCheckpoint;
    private DateTime _nextSync;
    private IReadOnlyList<Checkpoint> _latest = [];

    /// <summary>The source partition of a checkpoint record (<c>{group, topic, partition}</c>, Kafka's).</summary>
    public static IReadOnlyDictionary<string, object?> SourcePartition(Checkpoint checkpoint) => new Dictionary<string, object?>
    {
        ["group"] = checkpoint.Group, ["topic"] = checkpoint.Source.Topic, ["partition"] = checkpoint.Source.Partition.Value,
    };

    /// <inheritdoc />
    /// <exception cref="ConnectException">checkpoints are disabled, a key is invalid or a client setting refused.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _config = MirrorConnectorConfig.Parse(MirrorConnectorConfig.CheckpointDefinition, config);
        _checkpointInterval = _config.Interval(MirrorConnectorConfig.EmitCheckpointsIntervalSeconds, MirrorConnectorConfig.EmitCheckpointsEnabled)
                              ?? throw new ConnectException("Checkpoints are disabled (emit.checkpoints.enabled=false or a negative emit.checkpoints.interval.seconds); this task should not run.");
        _syncInterval = _config.Interval(MirrorConnectorConfig.SyncGroupOffsetsIntervalSeconds, MirrorConnectorConfig.SyncGroupOffsetsEnabled);
        _sourceAdmin = _config.Admin(MirrorCluster.Source);
        _targetAdmin = _config.Admin(MirrorCluster.Target);
        _syncsConsumer = _config.Consumer(_config.OffsetSyncsLocation, $"mirror-checkpoints-{_config.SourceAlias}", props => props["enable.auto.commit"] = "false");
        _translator = new GroupOffsetTranslator(_config.SourceAlias, _syncsConsumer, _config.OffsetSyncsTopic);
        _nextCheckpoint = DateTime.UtcNow;
        _nextSync = DateTime.UtcNow + (_syncInterval ?? TimeSpan.Zero);
    }

    /// <summary>The changed checkpoints when a pass is due; otherwise waits (a second at most) and returns none.</summary>
    /// <exception cref="RetriableException">a cluster could not be read or written; the worker polls again after a back-off.</exception>
    public override async Task<IReadOnlyList<SourceRecord>> PollAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var due = _syncInterval == null || _nextSync > _nextCheckpoint ? _nextCheckpoint : _nextSync;
        if (due > now)
        {
            await Task.Delay(due - now < TimeSpan.FromSeconds(1) ? due - now : TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            return [];
        }
        try
        {
            IReadOnlyList<SourceRecord> records = [];
            if (_nextCheckpoint <= now)
            {
                records = await CheckpointsAsync().ConfigureAwait(false);
                _nextCheckpoint = now + _checkpointInterval;
            }
            if (_syncInterval is { } syncInterval && _nextSync <= now)
            {
                foreach (var line in await GroupOffsetTranslator.SyncGroupOffsetsAsync(_targetAdmin!, _latest).ConfigureAwait(false))
                    Context.Log.Info("[{0}] synced group offsets on the target: {1}", _config.SourceAlias, line);
                _nextSync = now + syncInterval;
            }
            return records;
        }
        catch (Exception e) when (e is KafkaException or TimeoutException)
        {
            throw new RetriableException($"translating the group offsets of {_config.SourceAlias} failed: {e.Message}", e);
        }
    }

    private async Task<IReadOnlyList<SourceRecord>> CheckpointsAsync()
    {
        // Reading the syncs blocks; the worker polls on a thread of the task's own.
        _translator.ReadSyncs(ReadTimeout);
        var topics = _config.TopicFilter!;
        var checkpoints = await _translator.TranslateAsync(_sourceAdmin!, _config.GroupFilter!.IsIncluded,
            t => topics.IsIncluded(t) && _config.Policy.ShouldMirror(t), _config.Policy.TargetTopic).ConfigureAwait(false);
        _latest = checkpoints;
        List<Checkpoint> changed;
        lock (_gate) changed = _translator.Unwritten(checkpoints);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // Kafka's checkpoint records carry offset {offset: 0}: the checkpoint itself is the state, on the checkpoints topic.
        return changed.Select(c => new SourceRecord(SourcePartition(c), new Dictionary<string, object?> { ["offset"] = 0L }, _config.CheckpointsTopic, 0,
            Schema.OptionalBytes, c.Key(), Schema.OptionalBytes, c.Value(), now)).ToList();
    }

    /// <summary>The target stored a checkpoint: it is written again only when it changes.</summary>
    public override void CommitRecord(SourceRecord record, TopicPartitionOffset? metadata)
    {
        if (metadata == null || Checkpoint.Parse(record.Value as byte[]) is not { } checkpoint) return;
        lock (_gate) _translator.Written(checkpoint);
    }

    /// <inheritdoc />
    public override void Stop()
    {
        _syncsConsumer?.Close();
        _sourceAdmin?.Dispose();
        _targetAdmin?.Dispose();
    }
}
