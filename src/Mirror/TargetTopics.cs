using System.Collections.Concurrent;
using AkkaBroker.Client;
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
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _ready = new();

    /// <summary>The target topic of <paramref name="sourceTopic"/>, created or grown first when needed.</summary>
    public Task<string> EnsureAsync(string sourceTopic, CancellationToken cancellationToken = default) =>
        _ready.GetOrAdd(sourceTopic, t => new Lazy<Task<string>>(() => CreateAsync(t))).Value.WaitAsync(cancellationToken);

    private async Task<string> CreateAsync(string sourceTopic)
    {
        var name = policy.TargetTopic(sourceTopic);
        try
        {
            var partitions = PartitionCount(await source.GetMetadataAsync([sourceTopic]), sourceTopic)
                             ?? throw new KafkaException(new Error(ErrorCode.UnknownTopicOrPartition, $"source topic '{sourceTopic}' is gone"));
            var configs = (await source.DescribeConfigsAsync(sourceTopic)).Where(c => !c.IsDefault).ToDictionary(c => c.Name, c => c.Value);
            var existing = PartitionCount(await target.GetMetadataAsync(), name);
            if (existing == null)
                await target.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions, Configs = configs }]);
            else if (existing < partitions)
                await target.CreatePartitionsAsync(name, partitions);
            return name;
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.TopicAlreadyExists)
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
    /// Creates one of the mirror's own topics on the target (offset syncs, checkpoints) when it does not exist: one
    /// partition, compacted, so that the latest record of each key is kept for good.
    /// </summary>
    public async Task EnsureInternalAsync(string name)
    {
        if (PartitionCount(await target.GetMetadataAsync(), name) != null) return;
        try
        {
            await target.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 1, Configs = new() { ["cleanup.policy"] = "compact" } }]);
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.TopicAlreadyExists)
        {
            // another mirror created it meanwhile
        }
    }

    private static int? PartitionCount(ClusterMetadata metadata, string topic) =>
        metadata.Topics.FirstOrDefault(t => t.Topic == topic)?.Partitions.Count;
}
