using System.Collections.Concurrent;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;

namespace AkkaBroker.Mirror;

/// <summary>
/// Creates each mirrored topic on the target before its first record is sent: named by the <see cref="ReplicationPolicy"/>,
/// with the source topic's partition count (so a record keeps its partition number) and its non-default configs.
/// A topic that already exists is used as it is; one with fewer partitions than the source gets more. Safe to call
/// from several streams at once: each topic is looked at once per run.
/// </summary>
public sealed class TargetTopics(IAdminClient source, IAdminClient target, ReplicationPolicy policy)
{
    /// <summary>
    /// Topic configs never copied (MirrorMaker 2's default config property filter): they are about the cluster a topic
    /// lives on (its replication and its brokers' clocks), not about the data.
    /// </summary>
    public static readonly IReadOnlySet<string> ClusterOwnConfigs = new HashSet<string>
    {
        "min.insync.replicas", "unclean.leader.election.enable", "message.timestamp.type", "message.timestamp.difference.max.ms",
        "follower.replication.throttled.replicas", "leader.replication.throttled.replicas",
    };

    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _ready = new();
    // Per source topic, the configs last copied to the target: a key dropped on the source is dropped on the target too.
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _copiedConfigs = new();

    /// <summary>The target topic of <paramref name="sourceTopic"/>, created or grown first when needed.</summary>
    public Task<string> EnsureAsync(string sourceTopic, CancellationToken cancellationToken = default) =>
        _ready.GetOrAdd(sourceTopic, t => new Lazy<Task<string>>(() => CreateAsync(t))).Value.WaitAsync(cancellationToken);

    private async Task<string> CreateAsync(string sourceTopic)
    {
        var name = policy.TargetTopic(sourceTopic);
        try
        {
            var partitions = PartitionCount(await source.GetMetadataAsync([sourceTopic]), sourceTopic)
                             ?? throw new KafkaException(new Error(AkkaBroker.Client.ErrorCode.UnknownTopicOrPart, $"source topic '{sourceTopic}' is gone"));
            var configs = await SourceConfigsAsync(sourceTopic);
            var existing = PartitionCount(await target.GetMetadataAsync(), name);
            if (existing == null)
            {
                await target.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions, Configs = configs }]);
                _copiedConfigs[sourceTopic] = configs;
            }
            else if (existing < partitions)
                await target.CreatePartitionsAsync([new PartitionsSpecification { Topic = name, IncreaseTo = partitions }]);
            return name;
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code == AkkaBroker.Client.ErrorCode.TopicAlreadyExists))
        {
            return name; // another mirror (or stream) created it meanwhile
        }
        catch
        {
            // Asked again by the next record, rather than failing every later one with this error.
            _ready.TryRemove(sourceTopic, out _);
            throw;
        }
    }

    /// <summary>
    /// Gives each mirrored topic's target as many partitions as its source has now (<paramref name="sourceMetadata"/>):
    /// partitions added on the source are added on the target before records for them arrive. Returns what it grew.
    /// </summary>
    public async Task<IReadOnlyList<string>> SyncPartitionsAsync(Metadata sourceMetadata, IEnumerable<string> sourceTopics)
    {
        var targetMetadata = await target.GetMetadataAsync();
        var grown = new List<string>();
        foreach (var topic in sourceTopics)
        {
            var name = policy.TargetTopic(topic);
            if (PartitionCount(sourceMetadata, topic) is not { } wanted || PartitionCount(targetMetadata, name) is not { } have || have >= wanted) continue;
            await target.CreatePartitionsAsync([new PartitionsSpecification { Topic = name, IncreaseTo = wanted }]);
            grown.Add($"{name}: {have} -> {wanted} partitions");
        }
        return grown;
    }

    /// <summary>
    /// Copies each mirrored topic's changed configs to its target: values set or changed on the source are set, and keys
    /// this mirror copied before and the source no longer overrides are reset on the target. Configs set only on the
    /// target are left alone, as are <see cref="ClusterOwnConfigs"/>. Returns what it changed.
    /// </summary>
    public async Task<IReadOnlyList<string>> SyncConfigsAsync(IEnumerable<string> sourceTopics)
    {
        var changed = new List<string>();
        foreach (var topic in sourceTopics)
        {
            if (!_ready.TryGetValue(topic, out var ready) || !ready.IsValueCreated || !ready.Value.IsCompletedSuccessfully) continue;
            var name = policy.TargetTopic(topic);
            var wanted = await SourceConfigsAsync(topic);
            var have = (await target.DescribeConfigsAsync([TopicResource(name)])).Single().Entries.ToDictionary(c => c.Key, c => c.Value.Value);
            var set = wanted.Where(kv => !have.TryGetValue(kv.Key, out var v) || v != kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value);
            var reset = _copiedConfigs.TryGetValue(topic, out var before) ? before.Keys.Where(k => !wanted.ContainsKey(k)).ToList() : [];
            if (set.Count > 0 || reset.Count > 0)
            {
                await target.IncrementalAlterConfigsAsync(new()
                {
                    [TopicResource(name)] = set.Select(kv => new ConfigEntry { Name = kv.Key, Value = kv.Value, IncrementalOperation = AlterConfigOpType.Set })
                        .Concat(reset.Select(k => new ConfigEntry { Name = k, IncrementalOperation = AlterConfigOpType.Delete })).ToList(),
                });
                changed.Add($"{name}: " + string.Join(", ", set.Select(kv => $"{kv.Key}={kv.Value}").Concat(reset.Select(k => $"{k} reset"))));
            }
            _copiedConfigs[topic] = wanted;
        }
        return changed;
    }

    private async Task<Dictionary<string, string>> SourceConfigsAsync(string sourceTopic) =>
        (await source.DescribeConfigsAsync([TopicResource(sourceTopic)])).Single().Entries.Values
            .Where(c => !c.IsDefault && !ClusterOwnConfigs.Contains(c.Name)).ToDictionary(c => c.Name, c => c.Value ?? "");

    private static ConfigResource TopicResource(string name) => new() { Type = ResourceType.Topic, Name = name };

    /// <summary>
    /// Creates one of the mirror's own topics on the target (offset syncs, checkpoints) when it does not exist: one
    /// partition, compacted, so that the latest record of each key is kept for good.
    /// </summary>
    public Task EnsureInternalAsync(string name) => EnsureCompactedAsync(target, name);

    /// <summary>
    /// Creates <paramref name="name"/> on the cluster of <paramref name="admin"/> when it does not exist: one partition,
    /// compacted. The MirrorMaker 2 connectors create their offset syncs, checkpoints and heartbeats topics this way, on
    /// whichever cluster each belongs to.
    /// </summary>
    public static async Task EnsureCompactedAsync(IAdminClient admin, string name)
    {
        if (PartitionCount(await admin.GetMetadataAsync(), name) != null) return;
        try
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 1, Configs = new() { ["cleanup.policy"] = "compact" } }]);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code == AkkaBroker.Client.ErrorCode.TopicAlreadyExists))
        {
            // another mirror created it meanwhile
        }
    }

    private static int? PartitionCount(Metadata metadata, string topic) =>
        metadata.Topics.FirstOrDefault(t => t.Topic == topic)?.Partitions.Count;
}
