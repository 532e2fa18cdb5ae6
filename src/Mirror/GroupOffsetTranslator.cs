using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Mirror;

/// <summary>
/// Turns the source consumer groups' committed offsets into <see cref="Checkpoint"/>s: reads one source cluster's
/// offset syncs from a syncs topic into an <see cref="OffsetTranslation"/>, translates each group's committed offsets
/// exactly, and remembers which checkpoints were written so that only changed ones are written again. Shared by the
/// <c>mirror-maker</c> command's <see cref="MirrorCheckpoints"/> and the MirrorCheckpointConnector's task. Not
/// thread-safe: its owner runs one pass at a time.
/// </summary>
public sealed class GroupOffsetTranslator
{
    private readonly string _sourceCluster;
    private readonly IConsumer<byte[]?, byte[]?> _syncs;
    private readonly TopicPartition _syncsPartition;
    private readonly OffsetTranslation _translation = new();
    private readonly Dictionary<(string Group, TopicPartition Source), long> _written = new();

    /// <param name="sourceCluster">The source cluster's alias: only its syncs are read (several mirrors may share the topic).</param>
    /// <param name="syncs">A consumer on the cluster holding the syncs topic; this assigns it to the topic's only partition, from the beginning.</param>
    /// <param name="syncsTopic">The offset syncs topic.</param>
    public GroupOffsetTranslator(string sourceCluster, IConsumer<byte[]?, byte[]?> syncs, string syncsTopic)
    {
        _sourceCluster = sourceCluster;
        _syncs = syncs;
        _syncsPartition = new TopicPartition(syncsTopic, 0);
        _syncs.Assign(new TopicPartitionOffset(_syncsPartition, Offset.Beginning));
    }

    /// <summary>The translation built from the syncs read so far.</summary>
    public OffsetTranslation Translation => _translation;

    /// <summary>
    /// Reads the offset syncs up to the syncs topic's end as it is now: every sync written before this call. Blocks
    /// (the client's <c>Consume</c>).
    /// </summary>
    /// <exception cref="TimeoutException">reading up to the end took longer than <paramref name="timeout"/>.</exception>
    /// <exception cref="KafkaException">the syncs topic cannot be read.</exception>
    public void ReadSyncs(TimeSpan timeout)
    {
        var end = _syncs.QueryWatermarkOffsets(_syncsPartition, timeout).High.Value;
        if (end <= 0) return;
        var deadline = DateTime.UtcNow + timeout;
        while (_syncs.Position(_syncsPartition) is var position && (position == Offset.Unset || position.Value < end))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"reading {_syncsPartition.Topic} up to offset {end} took more than {timeout.TotalSeconds} s");
            var result = _syncs.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message == null) continue;
            if (OffsetSync.Parse(result.Message.Value) is { } sync && sync.SourceCluster == _sourceCluster) _translation.Add(sync);
        }
    }

    /// <summary>
    /// The checkpoint of every committed offset of every source group <paramref name="includeGroup"/> accepts, on
    /// topics <paramref name="includeTopic"/> accepts, that the syncs read so far can translate.
    /// </summary>
    /// <param name="sourceAdmin">An admin client of the source cluster.</param>
    /// <param name="includeGroup">Whether a source group is translated.</param>
    /// <param name="includeTopic">Whether a source topic is mirrored (offsets on other topics are not translated).</param>
    /// <param name="targetTopic">The target topic a source topic is mirrored to (the replication policy's name).</param>
    public async Task<List<Checkpoint>> TranslateAsync(IAdminClient sourceAdmin, Func<string, bool> includeGroup, Func<string, bool> includeTopic,
        Func<string, string> targetTopic)
    {
        var checkpoints = new List<Checkpoint>();
        foreach (var group in (await sourceAdmin.ListConsumerGroupsAsync().ConfigureAwait(false)).Valid.Select(g => g.GroupId).Where(includeGroup))
        {
            var committed = (await sourceAdmin.DescribeConsumerGroupAsync(group).ConfigureAwait(false)).CommittedOffsets;
            foreach (var tpo in committed)
            {
                if (!includeTopic(tpo.Topic) || tpo.Offset.Value < 0) continue;
                if (_translation.Translate(tpo.TopicPartition, tpo.Offset.Value) is not { } downstream) continue;
                checkpoints.Add(new Checkpoint(_sourceCluster, group, tpo.TopicPartition, targetTopic(tpo.Topic), tpo.Offset.Value, downstream));
            }
        }
        return checkpoints;
    }

    /// <summary>The checkpoints whose translated offset differs from the one last marked <see cref="Written"/>.</summary>
    public List<Checkpoint> Unwritten(IEnumerable<Checkpoint> checkpoints) =>
        checkpoints.Where(c => !_written.TryGetValue((c.Group, c.Source), out var d) || d != c.DownstreamOffset).ToList();

    /// <summary>The target stored <paramref name="checkpoint"/>: it is not written again until it changes.</summary>
    public void Written(Checkpoint checkpoint) => _written[(checkpoint.Group, checkpoint.Source)] = checkpoint.DownstreamOffset;

    /// <summary>
    /// Commits the translated offsets of each group that has no members on the target, where they are ahead of what it
    /// has there (<see cref="MirrorCheckpoints.OffsetsToSync"/>). Returns a line per group it moved.
    /// </summary>
    /// <exception cref="KafkaException">the target refused a describe or a commit.</exception>
    public static async Task<IReadOnlyList<string>> SyncGroupOffsetsAsync(IAdminClient targetAdmin, IEnumerable<Checkpoint> checkpoints)
    {
        var synced = new List<string>();
        foreach (var group in checkpoints.GroupBy(c => c.Group))
        {
            ConsumerGroupDescription target;
            try
            {
                target = await targetAdmin.DescribeConsumerGroupAsync(group.Key).ConfigureAwait(false);
            }
            catch (KafkaException e) when (e.Error.Code == AkkaBroker.Client.ErrorCode.GroupIdNotFound)
            {
                // The group never ran on the target: nothing to protect there.
                target = new ConsumerGroupDescription { GroupId = group.Key, State = ConsumerGroupState.Dead };
            }
            var offsets = MirrorCheckpoints.OffsetsToSync(group.ToList(), target);
            if (offsets.Count == 0) continue;
            await targetAdmin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(group.Key, offsets)]).ConfigureAwait(false);
            synced.Add($"{group.Key}: {string.Join(", ", offsets)}");
        }
        return synced;
    }
}
