using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>
/// The controller: a cluster singleton and persistent actor that owns topic metadata and producer-id allocation.
/// It decides each admin request with <see cref="ControllerState"/>, persists the event, then tells every affected
/// partition replica (<see cref="EnsurePartition"/> / <see cref="DeletePartition"/>) and replies once they confirmed,
/// so a client that sees "created" can produce at once. After recovery it re-sends the partitions' state, which
/// repairs a crash between persisting an event and telling the replicas.
/// </summary>
public sealed class ControllerActor : ReceivePersistentActor
{
    public const string ControllerPersistenceId = "controller";
    private const int SnapshotEvery = 200;

    /// <param name="localBroker">This broker's id and the address clients reach it at (the bound one, not the configured port 0).</param>
    /// <param name="groupRegion">The group coordinators' shard region: after recovery every listed group's coordinator is started, so offset retention runs for groups nobody uses any more.</param>
    public static Props Props(BrokerSettings settings, BrokerInfo localBroker, IActorRef partitionRegion, IActorRef groupRegion) =>
        Akka.Actor.Props.Create(() => new ControllerActor(settings, localBroker, partitionRegion, groupRegion));

    private sealed record PartitionsConfirmed(object Reply, IActorRef ReplyTo, string? Failure);

    private readonly BrokerSettings _settings;
    private readonly BrokerInfo _localBroker;
    private readonly IActorRef _partitionRegion;
    private readonly IActorRef _groupRegion;
    private readonly ControllerState _state = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _eventsSinceSnapshot;

    public ControllerActor(BrokerSettings settings, BrokerInfo localBroker, IActorRef partitionRegion, IActorRef groupRegion)
    {
        _groupRegion = groupRegion;
        _settings = settings;
        _localBroker = localBroker;
        _partitionRegion = partitionRegion;

        Recover<SnapshotOffer>(o => _state.Restore((ControllerSnapshot)o.Snapshot));
        Recover<RecoveryCompleted>(_ =>
        {
            _state.OnRecoveryCompleted();
            _log.Info("Controller recovered {0} topics; re-sending partition state", _state.Topics.Count);
            foreach (var topic in _state.Topics.Values)
                ConfirmPartitions(Ensures(topic, topic.Partitions), new TopicOperationResponse(topic.Name, ErrorCode.None, null), ActorRefs.Nobody);
            foreach (var group in _state.Groups)
                _groupRegion.Tell(new Akka.Cluster.Sharding.ShardRegion.StartEntity(group));
        });
        Recover<object>(e => _state.Apply(e));

        Command<CreateTopicRequest>(r => Decide(_state.DecideCreate(r, _settings, LiveBrokers())));
        Command<DeleteTopicRequest>(r => Decide(_state.DecideDelete(r)));
        Command<CreatePartitionsRequest>(r => Decide(_state.DecideCreatePartitions(r, LiveBrokers())));
        Command<AlterConfigsRequest>(r => Decide(_state.DecideAlterConfigs(r)));
        Command<DescribeConfigsRequest>(r => Sender.Tell(_state.DescribeConfigs(r, _settings)));
        Command<MetadataRequest>(HandleMetadata);
        Command<InitProducerIdRequest>(_ => HandleInitProducerId(Sender));
        Command<RegisterGroup>(r => RecordGroup(r.GroupId, exists: true));
        Command<UnregisterGroup>(r => RecordGroup(r.GroupId, exists: false));
        Command<ListGroupsRequest>(_ => Sender.Tell(new ListGroupsResponse(ErrorCode.None, null, _state.Groups.ToArray())));
        Command<PartitionsConfirmed>(c =>
        {
            if (c.Failure != null) _log.Warning("Partition replicas did not all confirm: {0}", c.Failure);
            c.ReplyTo.Tell(c.Reply);
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("Controller snapshot failed: {0}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning("Deleting old controller snapshots failed: {0}", f.Cause.Message));
    }

    public override string PersistenceId => ControllerPersistenceId;

    /// <summary>The brokers that can host replicas. One broker per node; the multi-node issue adds registration.</summary>
    private IReadOnlyList<int> LiveBrokers() => [_settings.BrokerId];

    private IReadOnlyList<BrokerInfo> Brokers() => [_localBroker];

    private void Decide(ControllerState.Decision decision)
    {
        var replyTo = Sender;
        switch (decision)
        {
            case ControllerState.Decision.Reply r:
                replyTo.Tell(r.Response);
                break;
            case ControllerState.Decision.Persist p:
                Persist(p.Event, e =>
                {
                    var before = e is TopicDeleted d ? _state.Topics[d.Name] : null;
                    _state.Apply(e);
                    AfterEvent(e, before, replyTo);
                    MaybeSnapshot();
                });
                break;
        }
    }

    private void AfterEvent(object e, TopicState? deleted, IActorRef replyTo)
    {
        switch (e)
        {
            case TopicCreated c:
                _log.Info("Created topic {0} with {1} partitions", c.Topic.Name, c.Topic.Partitions.Count);
                ConfirmPartitions(CreationCommands(c.Topic), new TopicOperationResponse(c.Topic.Name, ErrorCode.None, null), replyTo);
                break;
            case PartitionsAdded a:
                ConfirmPartitions(Ensures(_state.Topics[a.Name], a.NewPartitions), new TopicOperationResponse(a.Name, ErrorCode.None, null), replyTo);
                break;
            case TopicConfigsChanged cc:
                var topic = _state.Topics[cc.Name];
                ConfirmPartitions(Ensures(topic, topic.Partitions), new TopicOperationResponse(cc.Name, ErrorCode.None, null), replyTo);
                break;
            case TopicDeleted d:
                _log.Info("Deleted topic {0}", d.Name);
                var deletes = deleted!.Partitions.Select(p => (object)new DeletePartition(new TopicPartition(d.Name, p.Partition))).ToArray();
                ConfirmPartitions(deletes, new TopicOperationResponse(d.Name, ErrorCode.None, null), replyTo);
                break;
        }
    }

    /// <summary>
    /// A new topic's partitions are wiped first: should an earlier topic of the same name not have finished deleting
    /// (the controller crashed meanwhile), its log must not reappear. A replica with no log just confirms.
    /// </summary>
    private object[] CreationCommands(TopicState topic) =>
        Ensures(topic, topic.Partitions)
            .SelectMany(e => new object[] { new DeletePartition(((EnsurePartition)e).TopicPartition), e })
            .ToArray();

    private object[] Ensures(TopicState topic, IEnumerable<PartitionAssignment> partitions)
    {
        var config = _settings.EffectiveTopicConfig(topic.ConfigOverrides);
        return partitions.Select(p => (object)new EnsurePartition(new TopicPartition(topic.Name, p.Partition), config)).ToArray();
    }

    /// <summary>Sends the commands to the replicas and replies once all confirmed, or with REQUEST_TIMED_OUT.</summary>
    private void ConfirmPartitions(object[] commands, TopicOperationResponse reply, IActorRef replyTo)
    {
        var timeout = _settings.AdminTimeout;
        var asks = commands.Select(c => _partitionRegion.Ask<PartitionStateAck>(c, timeout)).ToArray();
        Task.WhenAll(asks).ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully && t.Result.All(a => a.Error == ErrorCode.None))
                return new PartitionsConfirmed(reply, replyTo, null);
            var why = t.IsCompletedSuccessfully
                ? string.Join("; ", t.Result.Where(a => a.Error != ErrorCode.None).Select(a => $"{a.TopicPartition}: {a.ErrorMessage}"))
                : $"not every partition replica confirmed within {timeout.TotalSeconds:0.#} s ({t.Exception?.GetBaseException().Message})";
            return new PartitionsConfirmed(reply with { Error = ErrorCode.RequestTimedOut, ErrorMessage = $"The change was recorded, but {why}. Partition state is re-sent when the controller restarts; check with topics describe." },
                replyTo, why);
        }).PipeTo(Self);
    }

    private void HandleMetadata(MetadataRequest request)
    {
        var replyTo = Sender;
        var names = request.Topics ?? _state.Topics.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();
        var missing = request.Topics == null || !request.AllowAutoTopicCreation || !_settings.AutoCreateTopicsEnable
            ? []
            : names.Where(n => !_state.Topics.ContainsKey(n) && Topics.TopicNames.Validate(n) == null).Distinct().ToArray();
        if (missing.Length == 0)
        {
            replyTo.Tell(Metadata(names));
            return;
        }
        var events = new List<TopicCreated>();
        foreach (var name in missing)
        {
            var decision = _state.DecideCreate(new CreateTopicRequest(name, -1, -1, new Dictionary<string, string>(), false), _settings, LiveBrokers());
            if (decision is ControllerState.Decision.Persist { Event: TopicCreated created }) events.Add(created);
        }
        PersistAll(events, e =>
        {
            _state.Apply(e);
            _log.Info("Auto-created topic {0} with {1} partitions", e.Topic.Name, e.Topic.Partitions.Count);
            MaybeSnapshot();
        });
        DeferAsync(names, n =>
        {
            var commands = events.SelectMany(e => CreationCommands(e.Topic)).ToArray();
            // Reply after the replicas exist, so the client's first produce finds its partition.
            var timeout = _settings.AdminTimeout;
            var response = Metadata(n);
            Task.WhenAll(commands.Select(c => _partitionRegion.Ask<PartitionStateAck>(c, timeout)))
                .ContinueWith(t =>
                {
                    if (!t.IsCompletedSuccessfully)
                        _log.Warning("Auto-created partitions did not all confirm: {0}", t.Exception?.GetBaseException().Message);
                    return response;
                }).PipeTo(replyTo);
        });
    }

    private MetadataResponse Metadata(IEnumerable<string> names) =>
        new(Brokers(), _settings.BrokerId, names.Select(_state.Describe).ToArray());

    private void HandleInitProducerId(IActorRef replyTo)
    {
        var (id, allocate) = _state.NextProducerId();
        if (allocate == null)
        {
            replyTo.Tell(new InitProducerIdResponse(ErrorCode.None, null, id, 0));
            return;
        }
        Persist(allocate, e =>
        {
            _state.Apply(e);
            var (next, _) = _state.NextProducerId();
            replyTo.Tell(new InitProducerIdResponse(ErrorCode.None, null, next, 0));
        });
    }

    private void RecordGroup(string groupId, bool exists)
    {
        if (_state.DecideGroupDirectory(groupId, exists) is not { } e) return;
        Persist(e, ev =>
        {
            _state.Apply(ev);
            MaybeSnapshot();
        });
    }

    private void MaybeSnapshot()
    {
        if (++_eventsSinceSnapshot < SnapshotEvery) return;
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_state.ToSnapshot());
    }
}
