using Akka.Actor;
using Akka.Event;
using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// Translates the source consumer groups' committed offsets to the target, every <c>emit.checkpoints.interval.seconds</c>:
/// reads the offset syncs the streams wrote (all of them, from every mirror process sharing the group, up to the end
/// of the syncs topic at the start of the pass), translates each group's committed offsets exactly
/// (<see cref="OffsetTranslation"/>), writes the changed ones as <see cref="Checkpoint"/>s, and with
/// <c>sync.group.offsets.enabled</c> commits them as the target group's offsets where that group has no members on the
/// target and is behind (a group is never moved back, and never moved under its running consumers).
/// </summary>
public sealed class MirrorCheckpoints : ReceiveActor, IWithTimers
{
    public static Props Props(MirrorMakerSettings settings, IProducer<byte[]?, byte[]?> producer, IAdminClient sourceAdmin, IAdminClient targetAdmin) =>
        Akka.Actor.Props.Create(() => new MirrorCheckpoints(settings, producer, sourceAdmin, targetAdmin));

    private sealed record Tick;

    /// <summary>A pass ended: what it wrote and synced, or why it failed.</summary>
    private sealed record PassDone(int Checkpoints, IReadOnlyList<string> Synced, Exception? Failure);

    private readonly MirrorMakerSettings _settings;
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly IAdminClient _sourceAdmin;
    private readonly IAdminClient _targetAdmin;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // Touched only by the pass running (one at a time), never by the actor while one runs.
    private readonly OffsetTranslation _translation = new();
    private readonly Dictionary<(string Group, TopicPartition Source), long> _written = new();
    private IConsumer<byte[]?, byte[]?> _syncs = null!;
    private bool _running;

    public MirrorCheckpoints(MirrorMakerSettings settings, IProducer<byte[]?, byte[]?> producer, IAdminClient sourceAdmin, IAdminClient targetAdmin)
    {
        _settings = settings;
        _producer = producer;
        _sourceAdmin = sourceAdmin;
        _targetAdmin = targetAdmin;
        Receive<Tick>(_ =>
        {
            if (_running) return;
            _running = true;
            // Reading the syncs blocks (the client's Consume): off the actor's thread.
            Task.Run(PassAsync).PipeTo(Self);
        });
        Receive<PassDone>(d =>
        {
            _running = false;
            if (d.Failure != null)
                _log.Warning("translating group offsets failed ({0}); trying again in {1} s", d.Failure.Message, _settings.Checkpoints.Interval.TotalSeconds);
            foreach (var line in d.Synced) _log.Info("synced group offsets on the target: {0}", line);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var bootstrap = _settings.ProducerProperties["bootstrap.servers"];
        _syncs = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = bootstrap, ClientId = $"{_settings.GroupId}-checkpoints" }).Build();
        _syncs.Assign(new TopicPartitionOffset(new TopicPartition(OffsetSync.Topic, 0), Offset.Beginning));
        Timers.StartPeriodicTimer(nameof(Tick), new Tick(), _settings.Checkpoints.Interval);
    }

    protected override void PostStop() => _syncs.Close();

    private async Task<PassDone> PassAsync()
    {
        try
        {
            await ReadSyncsAsync().ConfigureAwait(false);
            var checkpoints = new List<Checkpoint>();
            foreach (var group in (await _sourceAdmin.ListConsumerGroupsAsync().ConfigureAwait(false))
                     .Where(g => g != _settings.GroupId && _settings.Checkpoints.Groups.IsIncluded(g)))
            {
                var committed = (await _sourceAdmin.DescribeConsumerGroupAsync(group).ConfigureAwait(false)).CommittedOffsets;
                foreach (var tpo in committed)
                {
                    if (!_settings.ShouldMirror(tpo.Topic) || tpo.Offset.Value < 0) continue;
                    if (_translation.Translate(tpo.TopicPartition, tpo.Offset.Value) is not { } downstream) continue;
                    checkpoints.Add(new Checkpoint(_settings.SourceClusterName, group, tpo.TopicPartition, _settings.Policy.TargetTopic(tpo.Topic), tpo.Offset.Value, downstream));
                }
            }
            var changed = checkpoints.Where(c => !_written.TryGetValue((c.Group, c.Source), out var d) || d != c.DownstreamOffset).ToList();
            await Task.WhenAll(changed.Select(c => _producer.ProduceAsync(new TopicPartition(Checkpoint.Topic, 0),
                new Message<byte[]?, byte[]?> { Key = c.Key(), Value = c.Value() }))).ConfigureAwait(false);
            foreach (var c in changed) _written[(c.Group, c.Source)] = c.DownstreamOffset;
            var synced = _settings.Checkpoints.SyncGroupOffsets ? await SyncGroupOffsetsAsync(checkpoints).ConfigureAwait(false) : [];
            return new PassDone(changed.Count, synced, null);
        }
        catch (Exception e)
        {
            return new PassDone(0, [], e);
        }
    }

    /// <summary>Reads the offset syncs up to the syncs topic's end as it is now: every sync written before this pass began.</summary>
    private async Task ReadSyncsAsync()
    {
        var partition = new TopicPartition(OffsetSync.Topic, 0);
        var end = _syncs.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(30)).High.Value;
        if (end <= 0) return;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_syncs.Position(partition) is var position && (position == Offset.Unset || position.Value < end))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"reading {OffsetSync.Topic} up to offset {end} took more than 30 s");
            var result = _syncs.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message == null) continue;
            if (OffsetSync.Parse(result.Message.Value) is { } sync && sync.SourceCluster == _settings.SourceClusterName) _translation.Add(sync);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>Commits the translated offsets of each group that has no members on the target, where they are ahead of what it has.</summary>
    private async Task<IReadOnlyList<string>> SyncGroupOffsetsAsync(IReadOnlyList<Checkpoint> checkpoints)
    {
        var synced = new List<string>();
        foreach (var group in checkpoints.GroupBy(c => c.Group))
        {
            ConsumerGroupDescription target;
            try
            {
                target = await _targetAdmin.DescribeConsumerGroupAsync(group.Key).ConfigureAwait(false);
            }
            catch (KafkaException e) when (e.Error.Code == AkkaBroker.Protocol.ErrorCode.GroupIdNotFound)
            {
                target = new ConsumerGroupDescription(group.Key, "Dead", "", 0, [], []);
            }
            var offsets = OffsetsToSync(group.ToList(), target);
            if (offsets.Count == 0) continue;
            await _targetAdmin.AlterConsumerGroupOffsetsAsync(group.Key, offsets).ConfigureAwait(false);
            synced.Add($"{group.Key}: {string.Join(", ", offsets)}");
        }
        return synced;
    }

    /// <summary>
    /// The target offsets to commit for a group: none while it has members on the target (its consumers own their
    /// positions there); otherwise each translated offset that is ahead of the group's committed offset on the target,
    /// or where it has none. A group is never moved back: its consumers may have read further on the target.
    /// </summary>
    public static List<TopicPartitionOffset> OffsetsToSync(IReadOnlyList<Checkpoint> checkpoints, ConsumerGroupDescription target)
    {
        if (target.Members.Count > 0) return [];
        var current = target.CommittedOffsets.ToDictionary(o => o.TopicPartition, o => o.Offset.Value);
        return checkpoints
            .Select(c => new TopicPartitionOffset(new TopicPartition(c.TargetTopic, c.Source.Partition), c.DownstreamOffset))
            .Where(o => !current.TryGetValue(o.TopicPartition, out var have) || have < o.Offset.Value)
            .OrderBy(o => o.Topic, StringComparer.Ordinal).ThenBy(o => o.Partition)
            .ToList();
    }
}
