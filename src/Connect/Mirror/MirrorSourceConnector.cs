using System.Globalization;
using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Connect.Config;
using AkkaBroker.Mirror;

namespace AkkaBroker.Connect.Mirror;

/// <summary>
/// Mirrors topics of a source cluster into the worker's cluster (Kafka's MirrorMaker 2 <c>MirrorSourceConnector</c>,
/// same keys): lists the source topics that <c>topics</c> / <c>topics.exclude</c> and the replication policy let
/// through, creates their target topics (named by the policy, with the source's partition count and configs), and
/// spreads the partitions round-robin over at most <c>tasks.max</c> <see cref="MirrorSourceTask"/>s. Every
/// <c>refresh.topics.interval.seconds</c> it lists the topics again, creates or grows target topics, and asks for new
/// task configurations when the partitions changed; every <c>sync.topic.configs.interval.seconds</c> it copies changed
/// topic configs. The worker's <c>bootstrap.servers</c> must be the target cluster, and its converters
/// <c>ByteArrayConverter</c>: records are passed as bytes.
/// </summary>
[PluginAlias("org.apache.kafka.connect.mirror.MirrorSourceConnector")]
public sealed class MirrorSourceConnector : SourceConnector
{
    private readonly object _gate = new();
    private MirrorConnectorConfig _config = null!;
    private IAdminClient? _sourceAdmin;
    private IAdminClient? _targetAdmin;
    private TargetTopics _targetTopics = null!;
    private IReadOnlyList<TopicPartition> _partitions = [];
    private Timer? _refresh;
    private Timer? _syncConfigs;
    private int _busy;

    /// <inheritdoc />
    public override ConfigDef Config => MirrorConnectorConfig.SourceDefinition;

    /// <inheritdoc />
    public override Type TaskType => typeof(MirrorSourceTask);

    /// <summary>Lists the source topics, creates their target topics and the offset syncs topic, and starts the refresh timers.</summary>
    /// <exception cref="ConfigException">a key is invalid.</exception>
    /// <exception cref="ConnectException">a cluster cannot be reached or refuses a topic.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _config = MirrorConnectorConfig.Parse(Config, config);
        _sourceAdmin = _config.Admin(MirrorCluster.Source);
        _targetAdmin = _config.Admin(MirrorCluster.Target);
        _targetTopics = new TargetTopics(_sourceAdmin, _targetAdmin, _config.Policy);
        try
        {
            if (_config.Get<bool>(MirrorConnectorConfig.EmitOffsetSyncsEnabled))
                TargetTopics.EnsureCompactedAsync(_config.OffsetSyncsLocation == MirrorCluster.Source ? _sourceAdmin : _targetAdmin, _config.OffsetSyncsTopic).GetAwaiter().GetResult();
            _partitions = FindPartitionsAsync().GetAwaiter().GetResult();
        }
        catch (KafkaException e)
        {
            throw new ConnectException($"Cannot list the topics of the source cluster ({_config.Get<string>(MirrorConnectorConfig.SourceBootstrapServers)}) " +
                                       $"or create them on the target ({_config.Get<string>(MirrorConnectorConfig.TargetBootstrapServers)}): {e.Error.Reason}", e);
        }
        if (_config.Interval(MirrorConnectorConfig.RefreshTopicsIntervalSeconds, MirrorConnectorConfig.RefreshTopicsEnabled) is { } refresh)
            _refresh = new Timer(_ => Guarded("listing the source topics", RefreshAsync), null, refresh, refresh);
        if (_config.Interval(MirrorConnectorConfig.SyncTopicConfigsIntervalSeconds, MirrorConnectorConfig.SyncTopicConfigsEnabled) is { } sync)
            _syncConfigs = new Timer(_ => Guarded("copying topic configs", SyncConfigsAsync), null, sync, sync);
    }

    /// <summary>The mirrored source partitions, in topic and partition order, after creating (or growing) their target topics.</summary>
    private async Task<IReadOnlyList<TopicPartition>> FindPartitionsAsync()
    {
        var metadata = await _sourceAdmin!.GetMetadataAsync().ConfigureAwait(false);
        var topics = metadata.Topics.Where(t => _config.ShouldReplicate(t.Topic)).OrderBy(t => t.Topic, StringComparer.Ordinal).ToList();
        foreach (var topic in topics) await _targetTopics.EnsureAsync(topic.Topic).ConfigureAwait(false);
        foreach (var grown in await _targetTopics.SyncPartitionsAsync(metadata, topics.Select(t => t.Topic)).ConfigureAwait(false))
            Context.Log.Info("[{0}] target topic grown with its source: {1}", _config.SourceAlias, grown);
        return topics.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId)).OrderBy(tp => tp.Partition)).ToList();
    }

    private async Task RefreshAsync()
    {
        var partitions = await FindPartitionsAsync().ConfigureAwait(false);
        lock (_gate)
        {
            if (partitions.SequenceEqual(_partitions)) return;
            _partitions = partitions;
        }
        Context.Log.Info("[{0}] the mirrored source partitions changed (now {1}); reconfiguring the tasks", _config.SourceAlias, partitions.Count);
        Context.RequestTaskReconfiguration();
    }

    private async Task SyncConfigsAsync()
    {
        IReadOnlyList<TopicPartition> partitions;
        lock (_gate) partitions = _partitions;
        foreach (var change in await _targetTopics.SyncConfigsAsync(partitions.Select(p => p.Topic).Distinct()).ConfigureAwait(false))
            Context.Log.Info("[{0}] copied topic configs: {1}", _config.SourceAlias, change);
    }

    /// <summary>Runs a timer's work one at a time; a failure is logged and the work is tried again at the next interval.</summary>
    private void Guarded(string what, Func<Task> work)
    {
        if (Interlocked.Exchange(ref _busy, 1) == 1) return;
        try
        {
            work().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is KafkaException or TimeoutException)
        {
            Context.Log.Warning("[{0}] {1} failed ({2}); trying again at the next interval", _config.SourceAlias, what, e.Message);
        }
        catch (Exception e)
        {
            // Thrown out of a timer callback it would end the worker's process: it fails this connector instead.
            Context.RaiseError(new ConnectException($"{what} failed: {e.Message}", e));
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// The mirrored partitions dealt round-robin to at most <paramref name="maxTasks"/> tasks, as Kafka does, each
    /// configuration being the connector's plus <c>task.assigned.partitions</c> and <c>task.index</c>; none while no topic matches.
    /// </summary>
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks)
    {
        IReadOnlyList<TopicPartition> partitions;
        lock (_gate) partitions = _partitions;
        return SplitPartitions(partitions, maxTasks)
            .Select((assigned, index) => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(_config.Originals)
            {
                [MirrorConnectorConfig.TaskAssignedPartitions] = EncodePartitions(assigned),
                [MirrorConnectorConfig.TaskIndex] = index.ToString(CultureInfo.InvariantCulture),
            })
            .ToList();
    }

    /// <summary><paramref name="partitions"/> dealt round-robin into at most <paramref name="maxTasks"/> non-empty lists.</summary>
    public static IReadOnlyList<IReadOnlyList<TopicPartition>> SplitPartitions(IReadOnlyList<TopicPartition> partitions, int maxTasks)
    {
        var tasks = Math.Min(partitions.Count, Math.Max(maxTasks, 1));
        var split = Enumerable.Range(0, tasks).Select(_ => new List<TopicPartition>()).ToList();
        for (var i = 0; i < partitions.Count; i++) split[i % tasks].Add(partitions[i]);
        return split;
    }

    /// <summary>Kafka's encoding of a partition list: <c>topic-partition</c>, comma-separated.</summary>
    public static string EncodePartitions(IEnumerable<TopicPartition> partitions) =>
        string.Join(",", partitions.Select(p => $"{p.Topic}-{p.Partition.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>Reads <see cref="EncodePartitions"/>'s text; a topic name may itself contain '-', so the number follows the last one.</summary>
    /// <exception cref="ConfigException">an entry is not <c>topic-partition</c>.</exception>
    public static IReadOnlyList<TopicPartition> DecodePartitions(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(entry =>
        {
            var dash = entry.LastIndexOf('-');
            return dash > 0 && int.TryParse(entry[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                ? new TopicPartition(entry[..dash], partition)
                : throw new ConfigException(MirrorConnectorConfig.TaskAssignedPartitions, text, $"'{entry}' is not topic-partition");
        }).ToList();

    /// <inheritdoc />
    public override void Stop()
    {
        // Waits for a running refresh, which uses the admin clients disposed next.
        _refresh?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _syncConfigs?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sourceAdmin?.Dispose();
        _targetAdmin?.Dispose();
    }

    /// <summary>Each key on its own, then the keys together (aliases and replication policy).</summary>
    public override IReadOnlyList<ConfigValue> Validate(IReadOnlyDictionary<string, string> connectorConfig) =>
        MirrorConnectorConfig.Validate(Config, connectorConfig);
}
