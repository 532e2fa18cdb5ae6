using Akka.Actor;
using Akka.Cluster;
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
    /// <summary>Brokers that are cluster members, Up and reachable: the ones that can host replicas and serve clients.</summary>
    private readonly SortedDictionary<int, BrokerInfo> _liveBrokers = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _eventsSinceSnapshot;

    public ControllerActor(BrokerSettings settings, BrokerInfo localBroker, IActorRef partitionRegion, IActorRef groupRegion)
    {
        _groupRegion = groupRegion;
        _settings = settings;
        _localBroker = localBroker;
        _partitionRegion = partitionRegion;
        // The singleton only runs on a member that is Up; cluster events about the others arrive shortly after start.
        _liveBrokers[localBroker.BrokerId] = localBroker;

        Recover<SnapshotOffer>(o => _state.Restore((ControllerSnapshot)o.Snapshot));
        Recover<RecoveryCompleted>(_ =>
        {
            _state.OnRecoveryCompleted();
            _log.Info("Controller recovered {0} topics; re-sending partition state", _state.Topics.Count);
            foreach (var topic in _state.Topics.Values)
                ConfirmPartitions(Ensures(topic, topic.Partitions).Where(c => _liveBrokers.ContainsKey(c.BrokerId)).ToArray(),
                    new TopicOperationResponse(topic.Name, ErrorCode.None, null), ActorRefs.Nobody);
            foreach (var group in _state.Groups)
                _groupRegion.Tell(new Akka.Cluster.Sharding.ShardRegion.StartEntity(group));
        });
        Recover<object>(e => _state.Apply(e));

        Command<ClusterEvent.MemberUp>(e => BrokerUp(e.Member));
        Command<ClusterEvent.ReachableMember>(e =>
        {
            if (e.Member.Status == MemberStatus.Up) BrokerUp(e.Member);
        });
        Command<ClusterEvent.UnreachableMember>(e => BrokerGone(e.Member, "unreachable"));
        Command<ClusterEvent.MemberExited>(e => BrokerGone(e.Member, "leaving"));
        Command<ClusterEvent.MemberDowned>(e => BrokerGone(e.Member, "downed"));
        Command<ClusterEvent.MemberRemoved>(e => BrokerGone(e.Member, "removed"));
        Command<ClusterEvent.IMemberEvent>(_ => { });
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

    protected override void PreStart()
    {
        base.PreStart();
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop()
    {
        Cluster.Get(Context.System).Unsubscribe(Self);
        base.PostStop();
    }

    private void BrokerUp(Member member)
    {
        if (BrokerRole.IdOf(member) is not { } id) return;
        var info = new BrokerInfo(id, member.Address.Host!, member.Address.Port!.Value);
        if (_liveBrokers.TryGetValue(id, out var known) && known == info) return;
        _liveBrokers[id] = info;
        _log.Info("Broker {0} is live at {1}:{2}", id, info.Host, info.Port);
        // A returning broker may have missed config changes made while it was away.
        var commands = _state.Topics.Values.SelectMany(t => Ensures(t, t.Partitions)).Where(c => c.BrokerId == id).ToArray();
        if (commands.Length > 0)
            ConfirmPartitions(commands, new TopicOperationResponse("", ErrorCode.None, null), ActorRefs.Nobody);
    }

    private void BrokerGone(Member member, string why)
    {
        if (BrokerRole.IdOf(member) is not { } id || id == _localBroker.BrokerId) return;
        // Another node with the same id (a restarted broker) may already be Up: only forget the address that went away.
        if (!_liveBrokers.TryGetValue(id, out var known) || known.Host != member.Address.Host || known.Port != member.Address.Port) return;
        _liveBrokers.Remove(id);
        _log.Info("Broker {0} at {1} is no longer live ({2})", id, member.Address, why);
    }

    /// <summary>The brokers that can host replicas: cluster members that are Up and reachable.</summary>
    private IReadOnlyList<int> LiveBrokers() => _liveBrokers.Keys.ToArray();

    private IReadOnlyList<BrokerInfo> Brokers() => _liveBrokers.Values.ToArray();

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
                ConfirmPartitions(Deletes(deleted!), new TopicOperationResponse(d.Name, ErrorCode.None, null), replyTo);
                break;
        }
    }

    /// <summary>A command for the replica of a partition on one broker.</summary>
    private sealed record ReplicaCommand(int BrokerId, object Command);

    /// <summary>
    /// A new topic's partitions are wiped first: should an earlier topic of the same name not have finished deleting
    /// (the controller crashed meanwhile), its log must not reappear. A replica with no log just confirms.
    /// </summary>
    private ReplicaCommand[] CreationCommands(TopicState topic) =>
        Ensures(topic, topic.Partitions)
            .SelectMany(c => new[] { c with { Command = new DeletePartition(((EnsurePartition)c.Command).TopicPartition) }, c })
            .ToArray();

    private ReplicaCommand[] Ensures(TopicState topic, IEnumerable<PartitionAssignment> partitions)
    {
        var config = _settings.EffectiveTopicConfig(topic.ConfigOverrides);
        return partitions.SelectMany(p => p.Replicas.Select(b => new ReplicaCommand(b, new EnsurePartition(new TopicPartition(topic.Name, p.Partition), config))))
            .ToArray();
    }

    private static ReplicaCommand[] Deletes(TopicState topic) =>
        topic.Partitions.SelectMany(p => p.Replicas.Select(b => new ReplicaCommand(b, new DeletePartition(new TopicPartition(topic.Name, p.Partition))))).ToArray();

    /// <summary>
    /// Sends a command to a replica through its own broker's gateway: a broker's replica shard is only ever asked for
    /// by its own node, so sharding can never place it anywhere else, even before the pinned location has spread.
    /// </summary>
    private Task<PartitionStateAck> AskReplica(ReplicaCommand c, TimeSpan timeout)
    {
        if (!_liveBrokers.TryGetValue(c.BrokerId, out var broker))
            return Task.FromException<PartitionStateAck>(new InvalidOperationException($"broker {c.BrokerId} is not live"));
        return c.BrokerId == _localBroker.BrokerId
            ? _partitionRegion.Ask<PartitionStateAck>(c.Command, timeout)
            : Context.ActorSelection(GatewayPath(broker)).Ask<PartitionStateAck>(c.Command, timeout);
    }

    private static string GatewayPath(BrokerInfo b) => $"akka.tcp://{Broker.BrokerNode.ActorSystemName}@{b.Host}:{b.Port}/user/{Gateway.BrokerGateway.Name}";

    /// <summary>Sends the commands to the replicas and replies once all confirmed, or with REQUEST_TIMED_OUT.</summary>
    private void ConfirmPartitions(ReplicaCommand[] commands, TopicOperationResponse reply, IActorRef replyTo)
    {
        var timeout = _settings.AdminTimeout;
        var asks = commands.Select(c => AskReplica(c, timeout)).ToArray();
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
            Task.WhenAll(commands.Select(c => AskReplica(c, timeout)))
                .ContinueWith(t =>
                {
                    if (!t.IsCompletedSuccessfully)
                        _log.Warning("Auto-created partitions did not all confirm: {0}", t.Exception?.GetBaseException().Message);
                    return response;
                }).PipeTo(replyTo);
        });
    }

    private MetadataResponse Metadata(IEnumerable<string> names) =>
        new(Brokers(), _settings.BrokerId, names.Select(n => _state.Describe(n, _liveBrokers.Keys)).ToArray());

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
