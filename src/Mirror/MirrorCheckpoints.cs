using Akka.Actor;
using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

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
    private GroupOffsetTranslator _translator = null!;
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
        _syncs = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig(ClientConfig.ConnectionOf(_settings.ProducerProperties)) { ClientId = $"{_settings.GroupId}-checkpoints" }).Build();
        _translator = new GroupOffsetTranslator(_settings.SourceClusterName, _syncs, OffsetSync.Topic);
        Timers.StartPeriodicTimer(nameof(Tick), new Tick(), _settings.Checkpoints.Interval);
    }

    protected override void PostStop() => _syncs.Close();

    private async Task<PassDone> PassAsync()
    {
        try
        {
            // Reading the syncs blocks; this runs off the actor's thread.
            _translator.ReadSyncs(TimeSpan.FromSeconds(30));
            var checkpoints = await _translator.TranslateAsync(_sourceAdmin, g => g != _settings.GroupId && _settings.Checkpoints.Groups.IsIncluded(g),
                _settings.ShouldMirror, _settings.Policy.TargetTopic).ConfigureAwait(false);
            var changed = _translator.Unwritten(checkpoints);
            await Task.WhenAll(changed.Select(c => _producer.ProduceAsync(new TopicPartition(Checkpoint.Topic, 0),
                new Message<byte[]?, byte[]?> { Key = c.Key(), Value = c.Value() }))).ConfigureAwait(false);
            foreach (var c in changed) _translator.Written(c);
            var synced = _settings.Checkpoints.SyncGroupOffsets ? await GroupOffsetTranslator.SyncGroupOffsetsAsync(_targetAdmin, checkpoints).ConfigureAwait(false) : [];
            return new PassDone(changed.Count, synced, null);
        }
        catch (Exception e)
        {
            return new PassDone(0, [], e);
        }
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
