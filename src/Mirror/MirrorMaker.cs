using Akka.Actor;
using Akka.Event;
using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// The mirror: one producer to the target shared by <c>num.streams</c> <see cref="MirrorStream"/> children, each a
/// consumer in the mirror's group on the source. A stream that fails is restarted by this supervisor (with a short
/// backoff) while the others go on; a record the target refused with <c>abort.on.send.failure=true</c> stops the whole
/// mirror, committing nothing past that record, and the actor system is told to terminate.
/// </summary>
public sealed class MirrorMaker : ReceiveActor, IWithTimers
{
    /// <param name="settings">The mirror's settings.</param>
    /// <param name="streamsRegion">
    /// Null: the streams are this actor's children (the <c>mirror-maker</c> command). Otherwise the shard region of the
    /// stream entities (<see cref="ClusterMirror"/>): this actor, a cluster singleton, tells each entity its topics at
    /// every refresh, which also starts it again wherever the region places it.
    /// </param>
    public static Props Props(MirrorMakerSettings settings, IActorRef? streamsRegion = null) => Akka.Actor.Props.Create(() => new MirrorMaker(settings, streamsRegion));

    /// <summary>How often the source's topics are listed, so a new matching topic is mirrored within this time (and a few seconds of rebalance).</summary>
    public static readonly TimeSpan TopicRefreshInterval = TimeSpan.FromSeconds(2);

    /// <summary>Stop gracefully: every stream commits what the target acknowledged and leaves the group; then the actor system terminates.</summary>
    public sealed record Shutdown;

    private sealed record RefreshTopics;

    private sealed record TopicsListed(Metadata? Metadata, string? Failure);

    /// <summary>The mirror's own topics exist on the target (or creating them failed): the streams may start.</summary>
    private sealed record InternalTopicsEnsured(Exception? Failure);

    private sealed record EnsureInternalTopics;

    private sealed record SyncTopicConfigs;

    /// <summary>What a partition or config sync changed on the target, or why it failed.</summary>
    private sealed record TargetSynced(string What, IReadOnlyList<string> Changes, Exception? Failure);

    private readonly MirrorMakerSettings _settings;
    private IReadOnlyList<string> _topics = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IProducer<byte[]?, byte[]?> _producer = null!;
    private IAdminClient _sourceAdmin = null!;
    private IAdminClient _targetAdmin = null!;
    private TargetTopics _targetTopics = null!;
    private IDisposable? _producerMetrics;

    private readonly IActorRef? _streamsRegion;

    public MirrorMaker(MirrorMakerSettings settings, IActorRef? streamsRegion)
    {
        _settings = settings;
        _streamsRegion = streamsRegion;
        Receive<Terminated>(t => _log.Warning("mirror stream {0} stopped", t.ActorRef.Path.Name));
        Receive<Shutdown>(_ =>
        {
            _log.Info("mirror stopping: each stream commits what the target acknowledged");
            Timers.Cancel(nameof(RefreshTopics));
            Timers.Cancel(nameof(EnsureInternalTopics));
            Timers.Cancel(nameof(SyncTopicConfigs));
            foreach (var helper in new[] { "checkpoints", "heartbeats" })
                if (!Context.Child(helper).IsNobody()) Context.Stop(Context.Child(helper));
            var streams = Context.GetChildren().Where(c => c.Path.Name.StartsWith("stream-", StringComparison.Ordinal)).ToList();
            foreach (var stream in streams) stream.Tell(new MirrorStream.StopStream());
            Become(() =>
            {
                Receive<Terminated>(t =>
                {
                    streams.Remove(t.ActorRef);
                    if (streams.Count == 0) Context.System.Terminate();
                });
                ReceiveAny(_ => { });
            });
            if (streams.Count == 0) Context.System.Terminate();
        });
        Receive<SyncTopicConfigs>(_ => Report("topic configs", _targetTopics.SyncConfigsAsync(_topics)));
        Receive<TargetSynced>(s =>
        {
            if (s.Failure != null) _log.Warning("syncing {0} to the target failed ({1}); trying again at the next pass", s.What, s.Failure.Message);
            foreach (var change in s.Changes) _log.Info("synced {0} to the target: {1}", s.What, change);
        });
        Receive<MirrorStream.WantTopics>(_ => Sender.Tell(new MirrorStream.Subscribe(_topics)));
        Receive<EnsureInternalTopics>(_ => Task.WhenAll(_targetTopics.EnsureInternalAsync(OffsetSync.Topic), _targetTopics.EnsureInternalAsync(Checkpoint.Topic))
            .ContinueWith(t => new InternalTopicsEnsured(t.Exception?.GetBaseException())).PipeTo(Self));
        Receive<InternalTopicsEnsured>(e =>
        {
            if (e.Failure != null)
            {
                _log.Warning("creating the mirror's topics {0} and {1} on the target failed ({2}); trying again in 5 s", OffsetSync.Topic, Checkpoint.Topic, e.Failure.Message);
                Timers.StartSingleTimer(nameof(EnsureInternalTopics), new EnsureInternalTopics(), TimeSpan.FromSeconds(5));
                return;
            }
            StartStreams();
        });
        Receive<RefreshTopics>(_ => _sourceAdmin.GetMetadataAsync()
            .ContinueWith(t => t.IsCompletedSuccessfully ? new TopicsListed(t.Result, null) : new TopicsListed(null, t.Exception?.GetBaseException().Message))
            .PipeTo(Self));
        Receive<TopicsListed>(l =>
        {
            if (l.Metadata == null)
            {
                _log.Warning("listing the source's topics failed ({0}); the mirror goes on with the topics it has", l.Failure);
                return;
            }
            var topics = l.Metadata.Topics.Select(t => t.Topic).Where(_settings.ShouldConsume).OrderBy(t => t, StringComparer.Ordinal).ToArray();
            // Partitions added on the source are added on the target (the streams' producer waits for them meanwhile).
            Report("partitions", _targetTopics.SyncPartitionsAsync(l.Metadata, topics));
            if (_streamsRegion != null)
                for (var i = 0; i < _settings.NumStreams; i++) _streamsRegion.Tell(new ClusterMirror.StreamEnvelope(i, new MirrorStream.Subscribe(topics)));
            if (topics.SequenceEqual(_topics)) return;
            _log.Info("mirroring topics: {0}", topics.Length == 0 ? "none yet" : string.Join(", ", topics));
            _topics = topics;
            foreach (var stream in Context.GetChildren().Where(c => c.Path.Name.StartsWith("stream-", StringComparison.Ordinal)))
                stream.Tell(new MirrorStream.Subscribe(topics));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        foreach (var adjustment in _settings.Adjustments) _log.Info("mirror config: {0}", adjustment);
        _producer = new ProducerBuilder<byte[]?, byte[]?>(_settings.ProducerConfig()).Build();
        _sourceAdmin = new AdminClientBuilder(new AdminClientConfig(ClientConfig.ConnectionOf(_settings.ConsumerProperties))).Build();
        _targetAdmin = new AdminClientBuilder(new AdminClientConfig(ClientConfig.ConnectionOf(_settings.ProducerProperties))).Build();
        _targetTopics = new TargetTopics(_sourceAdmin, _targetAdmin, _settings.Policy);
        // In the cluster this producer writes only checkpoints and heartbeats; the streams' producers are each node's (ClusterMirror).
        _producerMetrics = MirrorMetrics.AddClient(_streamsRegion == null ? "producer" : "coordinator-producer", () => _producer.Metrics);
        Self.Tell(new EnsureInternalTopics());
    }

    private void Report(string what, Task<IReadOnlyList<string>> sync) =>
        sync.ContinueWith(t => new TargetSynced(what, t.IsCompletedSuccessfully ? t.Result : [], t.Exception?.GetBaseException())).PipeTo(Self);

    /// <summary>
    /// Starts the streams (and the checkpoints) once the offset syncs topic exists: a stream writes syncs before every
    /// commit, and a sync topic created by a first write would not be compacted.
    /// </summary>
    private void StartStreams()
    {
        if (_streamsRegion == null)
            for (var i = 0; i < _settings.NumStreams; i++)
                Context.Watch(Context.ActorOf(MirrorStream.Props(_settings, i, _producer, _targetTopics), $"stream-{i}"));
        if (_settings.Checkpoints.Enabled)
            Context.ActorOf(MirrorCheckpoints.Props(_settings, _producer, _sourceAdmin, _targetAdmin), "checkpoints");
        if (_settings.HeartbeatInterval is { } interval)
            Context.ActorOf(MirrorHeartbeats.Props(_settings, interval, _sourceAdmin), "heartbeats");
        Timers.StartPeriodicTimer(nameof(RefreshTopics), new RefreshTopics(), TopicRefreshInterval);
        if (_settings.TopicConfigSyncInterval is { } configSync) Timers.StartPeriodicTimer(nameof(SyncTopicConfigs), new SyncTopicConfigs(), configSync);
        Self.Tell(new RefreshTopics());
        _log.Info("mirroring {0} in group {1} with {2} streams; target topics named by {3}", _settings.Topics, _settings.GroupId, _settings.NumStreams, _settings.Policy);
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        if (e is MirrorStreamFailedException { Abort: true })
        {
            _log.Error("the mirror stops: {0}", e.Message);
            Context.System.Terminate();
            return Directive.Stop;
        }
        _log.Error(e, "a mirror stream failed; restarting it (its partitions resume from their last commit)");
        return Directive.Restart;
    });

    /// <summary>The streams have stopped (and committed) before this runs: the shared clients go last.</summary>
    protected override void PostStop()
    {
        _producerMetrics?.Dispose();
        // The streams flushed their records already; what is left is checkpoints and heartbeats, not worth a long wait
        // on a target that may be going away with this node.
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
        _sourceAdmin.Dispose();
        _targetAdmin.Dispose();
    }
}
