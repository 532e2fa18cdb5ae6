using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.DistributedData;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Security;

namespace AkkaBroker.Actors.Controller;

/// <summary>
/// The controller: a cluster singleton that owns topic metadata and producer-id allocation, and elects partition leaders.
/// Its state is replicated to the brokers with Akka.DistributedData (one <see cref="LWWRegister{T}"/>, written with
/// WriteMajority and kept on disk by each node's durable store), so a controller that takes over on another node
/// reads it back with ReadMajority and loses nothing that was acknowledged. Each request is decided with
/// <see cref="ControllerState"/> on a copy; the copy becomes the state once a majority has it, then the affected
/// replicas are told (<see cref="EnsurePartition"/> / <see cref="DeletePartition"/>) and the reply goes back when they
/// confirmed, so a client that sees "created" can produce at once. Changes are written one at a time: requests that
/// change state wait (stashed) while a write is in flight; reads are answered at once from the replicated state.
/// </summary>
public sealed partial class ControllerActor : ReceiveActor, IWithStash, IWithTimers
{
    public const string ControllerPersistenceId = "controller";

    /// <summary>The DistributedData key of the controller's state; listed in durable.keys in reference.conf.</summary>
    public static readonly LWWRegisterKey<ControllerSnapshot> StateKey = new("controller-state");

    /// <param name="localBroker">This broker's id and the address clients reach it at (the bound one, not the configured port 0); null on a controller-only node.</param>
    /// <param name="groupRegion">The group coordinators' shard region: after a takeover every listed group's coordinator is started, so offset retention runs for groups nobody uses any more.</param>
    public static Props Props(BrokerSettings settings, BrokerInfo? localBroker, IActorRef partitionRegion, IActorRef groupRegion) =>
        Akka.Actor.Props.Create(() => new ControllerActor(settings, localBroker, partitionRegion, groupRegion));

    private sealed record PartitionsConfirmed(object Reply, IActorRef ReplyTo, string? Failure);

    private sealed record RetryLoad;

    private sealed record RetryReadAll;

    /// <summary>A state change on its way to a majority: the next state and what to do once it is replicated.</summary>
    private sealed record PendingWrite(long Id, ControllerState Next, Action Then);

    private sealed record RetryWrite(long Id);

    private sealed record RetryIdentify(int BrokerId);

    /// <summary>Records a node (broker or controller-only) that is live for the first time (a state change, so handled when no write is in flight).</summary>
    private sealed record RegisterNode(int NodeId);

    /// <summary>Live brokers changed: elect leaders where needed (handled when no write is in flight).</summary>
    private sealed record ElectLeaders;

    /// <summary>Time to give partitions back to their preferred replicas (<c>auto.leader.rebalance.enable</c>).</summary>
    private sealed record ElectPreferredLeaders;

    /// <summary>Timer and nudge: complete the reassignments whose new replicas are all in sync.</summary>
    private sealed record ProgressReassignments;

    /// <summary>Orders replicated copies by the number of changes written, not by the wall clock of whoever wrote last.</summary>
    private static readonly Clock<ControllerSnapshot> VersionClock = (_, snapshot) => snapshot.Version;

    private readonly BrokerSettings _settings;
    /// <summary>The broker this controller runs on; null on a controller-only node (process.roles = controller).</summary>
    private readonly BrokerInfo? _localBroker;
    private readonly IActorRef _partitionRegion;
    private readonly IActorRef _groupRegion;
    private readonly IActorRef _replicator;
    private readonly Akka.Cluster.Cluster _cluster;
    private ControllerState _state = new();
    /// <summary>Brokers that are cluster members, Up and reachable: the ones that can host replicas and serve clients.</summary>
    private readonly SortedDictionary<int, BrokerInfo> _liveBrokers = new();
    private readonly LiveBrokers _members = new();
    /// <summary>Each member broker's client endpoint, from its cluster roles.</summary>
    private readonly Dictionary<int, (string Host, int Port)> _clientEndpoints = new();
    /// <summary>Members Up and reachable whose gateway has not answered yet.</summary>
    private readonly Dictionary<int, BrokerInfo> _joining = new();
    private readonly Dictionary<int, int> _identifyAttempts = new();
    private DateTime _offsetsTopicWarnedAt = DateTime.MinValue;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private PendingWrite? _pending;
    // Random start: replies to a previous incarnation's writes (a restart keeps the ActorRef) must never match.
    private long _writeIds = Random.Shared.NextInt64(1, long.MaxValue / 2);

    public IStash Stash { get; set; } = null!;

    public ControllerActor(BrokerSettings settings, BrokerInfo? localBroker, IActorRef partitionRegion, IActorRef groupRegion)
    {
        _groupRegion = groupRegion;
        _settings = settings;
        _localBroker = localBroker;
        _partitionRegion = partitionRegion;
        _cluster = Akka.Cluster.Cluster.Get(Context.System);
        _replicator = DistributedData.Get(Context.System).Replicator;
        // The singleton only runs on a member that is Up; cluster events about the others arrive shortly after start.
        if (localBroker != null) _liveBrokers[localBroker.BrokerId] = localBroker;
        if (localBroker != null && BrokerRole.ClientEndpointOf(_cluster.SelfMember) is { } own) _clientEndpoints[localBroker.BrokerId] = own;
        Become(Loading);
    }

    private TimeSpan QuorumTimeout => _settings.ControllerQuorumTimeout;

    /// <summary>
    /// Reads this node's copy of the state to learn the registered nodes, waits until a majority of them is up,
    /// then reads the state from a majority; until then every request waits. So a controller that starts among a
    /// minority (after a full shutdown, say) cannot act on a stale copy.
    /// </summary>
    private void Loading()
    {
        ClusterEvents();
        Receive<GetSuccess>(g => LocalRead.Equals(g.Request), g =>
        {
            _lastRead = g.Get(StateKey).Value;
            AwaitQuorum(_lastRead);
        });
        Receive<NotFound>(n => LocalRead.Equals(n.Request), _ => AwaitQuorum(null));
        Receive<GetSuccess>(g =>
        {
            var read = g.Get(StateKey).Value;
            // The copy a majority holds may know more nodes than this node's own copy did: check again.
            if (!QuorumUp(read.RegisteredNodes, out _, out _))
            {
                _lastRead = read;
                AwaitQuorum(read);
                return;
            }
            Loaded(read, "the replicated state");
        });
        Receive<NotFound>(n => AllRead.Equals(n.Request), _ =>
        {
            // No node has anything: a new cluster, or a broker upgraded from the single-node version (its state is in its journal).
            Context.ActorOf(LegacyControllerJournal.Props(), "legacy-journal");
        });
        Receive<NotFound>(_ =>
        {
            // The majority that answered may be nodes that hold nothing (new or wiped controller nodes, say, after a full
            // restart): starting empty would replace the cluster's metadata. Only when every member has nothing is it new.
            _log.Info("Controller found no cluster metadata on a majority of nodes; asking every node before it starts a new cluster");
            ReadFromAll();
        });
        Receive<LegacyControllerJournal.Recovered>(r => Loaded(r.Snapshot, r.Snapshot == null ? "nothing (a new cluster)" : "this broker's journal (first start after an upgrade)"));
        Receive<GetFailure>(f => AllRead.Equals(f.Request), _ =>
        {
            _log.Warning("Controller could not read the cluster metadata from every node within {0} (a majority had none); retrying until " +
                         "every member answers or the unreachable ones are removed", QuorumTimeout);
            Timers.StartSingleTimer("retry-read-all", new RetryReadAll(), TimeSpan.FromSeconds(1));
        });
        Receive<RetryReadAll>(_ => ReadFromAll());
        Receive<GetFailure>(_ =>
        {
            _log.Warning("Controller could not read its state from a majority of nodes within {0}; retrying", QuorumTimeout);
            Timers.StartSingleTimer("retry-load", new RetryLoad(), TimeSpan.FromSeconds(1));
        });
        Receive<RetryLoad>(_ => AwaitQuorum(_lastRead));
        ReceiveAny(_ => Stash.Stash());
    }

    private const string LocalRead = "local";

    /// <summary>Marks the read from every member that decides whether the cluster is new.</summary>
    private const string AllRead = "all";

    private void ReadFromAll() => _replicator.Tell(Dsl.Get(StateKey, new ReadAll(QuorumTimeout), AllRead));

    /// <summary>The newest copy read while loading, whose registered nodes a retry waits for.</summary>
    private ControllerSnapshot? _lastRead;

    /// <summary>The registered nodes a majority of which must be up before the majority read; null once it was sent.</summary>
    private IReadOnlyCollection<int>? _awaitedRegistered;
    private long _quorumWaitLoggedTicks;

    private void AwaitQuorum(ControllerSnapshot? copy)
    {
        _awaitedRegistered = copy?.RegisteredNodes ?? [];
        CheckQuorum();
    }

    /// <summary>Registered nodes that are up (a new cluster has none registered: this node alone suffices).</summary>
    private bool QuorumUp(IReadOnlyCollection<int> registered, out int up, out int needed)
    {
        needed = registered.Count / 2 + 1;
        var live = _members.CurrentNodeIds().Append(_settings.BrokerId).ToHashSet();
        up = registered.Count == 0 ? 1 : live.Count(registered.Contains);
        return up >= needed;
    }

    /// <summary>Controller-only nodes that are Up and reachable, this one included: they hold copies of the state too.</summary>
    private IEnumerable<int> LiveControllerNodeIds()
    {
        var ids = _members.CurrentNodeIds().Where(id => !_members.Current().ContainsKey(id)).ToHashSet();
        if (_localBroker == null) ids.Add(_settings.BrokerId);
        return ids;
    }

    private void CheckQuorum()
    {
        if (_awaitedRegistered is not { } registered) return;
        if (!QuorumUp(registered, out var up, out var needed))
        {
            // Logged again every 30 s: requests wait (stashed) meanwhile, and an operator must see why.
            if (Stopwatch.GetElapsedTime(_quorumWaitLoggedTicks) > TimeSpan.FromSeconds(30) || _quorumWaitLoggedTicks == 0)
            {
                _log.Warning("Controller waits until {0} of the registered nodes {1} (brokers and controller-only nodes) are up before it reads the cluster metadata; {2} are up",
                    needed, string.Join(",", registered), up);
                _quorumWaitLoggedTicks = Stopwatch.GetTimestamp();
            }
            return;
        }
        _awaitedRegistered = null;
        // At least a majority of the registered nodes, also when fewer members are up than were registered.
        _replicator.Tell(Dsl.Get(StateKey, new ReadMajority(QuorumTimeout, registered.Count / 2 + 1)));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        base.PreStart();
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        _replicator.Tell(Dsl.Get(StateKey, ReadLocal.Instance, LocalRead));
    }

    protected override void PostStop()
    {
        Metrics.BrokerMetrics.ClearControllerView(_settings.BrokerId);
        _cluster.Unsubscribe(Self);
        base.PostStop();
    }

    private void Loaded(ControllerSnapshot? snapshot, string source)
    {
        var loaded = new ControllerState();
        if (snapshot != null) loaded.Restore(snapshot);
        // Reads answered while the new epoch is being written must already see what was loaded.
        _state = loaded;
        var next = loaded.Clone();
        next.BeginEpoch();
        foreach (var id in _liveBrokers.Keys.Concat(LiveControllerNodeIds()).Where(b => !next.RegisteredNodes.Contains(b)).ToArray()) next.Apply(new NodeRegistered(id));
        foreach (var change in next.MissingCredentials(_settings.Sasl.AddScram))
        {
            next.Apply(change);
            if (change is UserScramCredentialsChanged created)
                _log.Info("Creating the SCRAM credentials of user '{0}' from {1}.add-scram", created.User, Security.SaslSettings.Section);
        }
        _log.Info("Controller loaded {0} topics from {1}; acting as controller epoch {2}", next.Topics.Count, source, next.ControllerEpoch);
        Become(Active);
        Write(next, () =>
        {
            foreach (var topic in _state.Topics.Values)
                ConfirmPartitions(Ensures(topic, topic.Partitions).Where(c => _liveBrokers.ContainsKey(c.BrokerId)).ToArray(),
                    new TopicOperationResponse(topic.Name, ErrorCode.None, null), ActorRefs.Nobody);
            TellGroupDirectories();
            StartLegacyGroupCoordinators();
            // Brokers may have gone while no controller was acting.
            Self.Tell(new ElectLeaders());
        });
        // Also nudged by every recorded ISR; the timer covers a controller that took over mid-reassignment.
        Timers.StartPeriodicTimer(nameof(ProgressReassignments), new ProgressReassignments(), TimeSpan.FromSeconds(1));
        if (_settings.Replication.AutoLeaderRebalanceEnable)
        {
            var interval = TimeSpan.FromSeconds(_settings.Replication.LeaderImbalanceCheckIntervalSeconds);
            Timers.StartPeriodicTimer(nameof(ElectPreferredLeaders), new ElectPreferredLeaders(), interval);
        }
        Stash.UnstashAll();
    }

    private void Active()
    {
        ClusterEvents();
        IgnoreStaleWriteReplies();
        Reads();
        Receive<CreateTopicRequest>(r => Perform(_state.DecideCreate(r, _settings, LiveBrokers()), TopicChanged));
        Receive<DeleteTopicRequest>(r => Perform(_state.DecideDelete(r), TopicChanged));
        Receive<CreatePartitionsRequest>(r => Perform(_state.DecideCreatePartitions(r, LiveBrokers(), _settings), TopicChanged));
        Receive<AlterConfigsRequest>(r => Perform(_state.DecideAlterConfigs(r), TopicChanged));
        Receive<AlterBrokerConfigsRequest>(r => Perform(_state.DecideAlterBrokerConfigs(r), BrokerConfigsRecorded));
        Receive<CreateAclsRequest>(r => Perform(_state.DecideCreateAcls(r), AclsRecorded));
        Receive<AlterClientQuotasRequest>(r => Perform(_state.DecideAlterClientQuotas(r), (result, _, replyTo) =>
        {
            foreach (var changed in result.Events.OfType<ClientQuotasChanged>())
                _log.Info("Quotas of {0} are now: {1}", changed.Entity, changed.Values.Count == 0 ? "(none)"
                    : string.Join(", ", changed.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}")));
            replyTo.Tell(result.Response!);
        }));
        Receive<DeleteAclsRequest>(r => Perform(_state.DecideDeleteAcls(r), AclsRecorded));
        Receive<AlterUserScramCredentialsRequest>(r => Perform(_state.DecideAlterUserScramCredentials(r), (result, _, replyTo) =>
        {
            foreach (var changed in result.Events.OfType<UserScramCredentialsChanged>())
                _log.Info("SCRAM credentials of user '{0}' are now: {1}", changed.User,
                    changed.Credentials.Count == 0 ? "(none)" : string.Join(", ", changed.Credentials.Select(c => $"{ScramMechanism.OfType(c.Mechanism)?.Name} ({c.Credential.Iterations} iterations)")));
            replyTo.Tell(result.Response!);
        }));
        Receive<MetadataRequest>(HandleMetadata);
        Receive<InitProducerIdRequest>(_ => HandleInitProducerId(Sender));
        Receive<FindCoordinatorRequest>(HandleFindCoordinator);
        Receive<ElectLeaders>(_ => Perform(_state.DecideElections(ElectionLiveSet(), UncleanAllowed), LeadershipRecorded("election")));
        Receive<ReplicaLogCorrupted>(r =>
        {
            _log.Error("Broker {0} reports the log of {1} corrupt from offset {2}", r.BrokerId, r.TopicPartition, r.Offset);
            Perform(_state.DecideCorruptReplica(r, ElectionLiveSet()), LeadershipRecorded("corrupt replica"));
        });
        Receive<ElectPreferredLeaders>(_ => Perform(_state.DecidePreferredLeaders(ElectionLiveSet()), LeadershipRecorded("preferred-leader election")));
        Receive<AlterPartitionRequest>(r => Perform(_state.DecideAlterPartition(r, ElectionLiveSet()), IsrRecorded));
        Receive<UnregisterNodeRequest>(r => Perform(_state.DecideUnregisterNode(r, _members.CurrentNodeIds().Append(_settings.BrokerId).ToHashSet()), (result, _, replyTo) =>
        {
            _log.Info("Unregistered node {0}; registered nodes (brokers and controller-only nodes): {1}", r.NodeId, string.Join(",", _state.RegisteredNodes));
            replyTo.Tell(result.Response!);
        }));
        Receive<ReassignPartitionsRequest>(r => Perform(_state.DecideReassign(r, LiveBrokers().ToHashSet()), ReplicasReassigned));
        Receive<ProgressReassignments>(_ => Perform(_state.DecideReassignmentProgress(ElectionLiveSet()), ReplicasReassigned));
        Receive<ElectLeadersRequest>(r => Perform(_state.DecideElectLeaders(r, ElectionLiveSet()), (result, before, replyTo) =>
        {
            LeadershipRecorded($"{r.Type.ToString().ToLowerInvariant()} leader election asked by an operator")(result, before, replyTo);
            replyTo.Tell(result.Response!);
        }));
        Receive<RegisterNode>(r =>
        {
            if (_state.RegisteredNodes.Contains(r.NodeId)) return;
            Record([new NodeRegistered(r.NodeId)], () => _log.Info("Registered node {0}; registered nodes (brokers and controller-only nodes): {1}", r.NodeId, string.Join(",", _state.RegisteredNodes)));
        });
    }

    /// <summary>
    /// Brokers that can lead: members Up and reachable (the gateway need not have answered yet, so a controller that has
    /// just taken over does not mistake the others for gone).
    /// </summary>
    private IReadOnlyCollection<int> ElectionLiveSet() => LiveMemberIds();

    /// <summary>Brokers Up and reachable, this controller's own broker included (its member events may not have arrived yet).</summary>
    private HashSet<int> LiveMemberIds()
    {
        var live = _members.Current().Keys.ToHashSet();
        if (_localBroker != null) live.Add(_localBroker.BrokerId);
        return live;
    }

    private bool UncleanAllowed(TopicState topic) =>
        Topics.TopicConfig.FromMap(_state.EffectiveTopicConfig(topic, _settings)).UncleanLeaderElectionEnable;

    /// <summary>Requests answered from the current state, also while a change is being written.</summary>
    private void Reads()
    {
        // The epoch this controller acts under, also while its first write (which records that epoch) is in flight.
        Receive<DescribeClusterRequest>(_ => Sender.Tell(new DescribeClusterResponse(ErrorCode.None, null, Brokers(), _settings.BrokerId, (_pending?.Next ?? _state).ControllerEpoch)));
        Receive<FindCoordinatorRequest>(_ => _state.Topics.ContainsKey(ControllerState.OffsetsTopic), r => Sender.Tell(FindCoordinator(r.GroupId)));
        Receive<MetadataRequest>(r => MissingTopics(r).Length == 0, r => Sender.Tell(Metadata(r.Topics ?? AllTopicNames())));
        Receive<DescribeConfigsRequest>(r => Sender.Tell(_state.DescribeConfigs(r, _settings)));
        Receive<DescribeBrokerConfigsRequest>(r => Sender.Tell(_state.DescribeBrokerConfigs(r, _settings)));
        Receive<DescribeUserScramCredentialsRequest>(r => Sender.Tell(_state.DescribeUserScramCredentials(r)));
        Receive<DescribeAclsRequest>(r => Sender.Tell(_state.DescribeAcls(r)));
        Receive<DescribeClientQuotasRequest>(r => Sender.Tell(_state.DescribeClientQuotas(r)));
        Receive<ListPartitionReassignmentsRequest>(_ => Sender.Tell(_state.ListReassignments()));
        Receive<PartitionLeadershipRequest>(r =>
        {
            // Answered with the command the replica missed; its acknowledgement comes back here and is dropped.
            if (_state.Topics.TryGetValue(r.TopicPartition.Topic, out var topic) && r.TopicPartition.Partition < topic.Partitions.Count)
                if (Ensures(topic, [topic.Partitions[r.TopicPartition.Partition]]).FirstOrDefault(c => c.BrokerId == r.BrokerId) is { } command)
                    Sender.Tell(command.Command);
                else
                {
                    // A replica reassigned away while its broker was down: its log goes now.
                    _log.Info("Broker {0} holds a replica of {1}, which is no longer one of its replicas: deleting it", r.BrokerId, r.TopicPartition);
                    Sender.Tell(new DeletePartition(r.TopicPartition));
                }
        });
        Receive<PartitionStateAck>(_ => { });
        Receive<ListGroupsRequest>(_ => ListGroups(Sender));
        Receive<PartitionsConfirmed>(c =>
        {
            if (c.Failure != null) _log.Warning("Partition replicas did not all confirm: {0}", c.Failure);
            c.ReplyTo.Tell(c.Reply);
        });
    }

    private void ClusterEvents()
    {
        Receive<ClusterEvent.IClusterDomainEvent>(e =>
        {
            if (!_members.Apply(e)) return;
            foreach (var id in LiveControllerNodeIds().Where(id => !_state.RegisteredNodes.Contains(id))) Self.Tell(new RegisterNode(id));
            MembershipChanged();
            CheckQuorum();
            Self.Tell(new ElectLeaders());
        });
        Receive<RetryIdentify>(r => IdentifyGateway(r.BrokerId));
        Receive<ActorIdentity>(a =>
        {
            if (a.MessageId is not string key || a.Subject == null) return;
            // The gateway that answered must be the one asked: on that broker's cluster address.
            var id = _joining.FirstOrDefault(kv => key == $"{kv.Key}@{kv.Value.Host}:{kv.Value.Port}"
                                                   && a.Subject.Path.Address.Host == kv.Value.Host && a.Subject.Path.Address.Port == kv.Value.Port).Value?.BrokerId;
            if (id is not { } brokerId || !_joining.Remove(brokerId, out var info)) return;
            _identifyAttempts.Remove(brokerId);
            Timers.Cancel($"identify-{brokerId}");
            BrokerLive(info);
            PublishMetrics();
        });
    }

    private void PublishMetrics()
    {
        int offline = 0, underReplicated = 0;
        var leaders = _liveBrokers.Keys.ToDictionary(b => b, _ => 0);
        foreach (var topic in _state.Topics.Values)
        foreach (var p in topic.Partitions)
        {
            if (!_liveBrokers.ContainsKey(p.Leader)) offline++;
            else
            {
                leaders[p.Leader]++;
                if (p.Isr.Count < p.Replicas.Count) underReplicated++;
            }
        }
        Metrics.BrokerMetrics.SetControllerView(new Metrics.BrokerMetrics.ControllerView(_settings.BrokerId, _state.ControllerEpoch, offline, underReplicated, leaders));
    }

    /// <summary>
    /// Members that are Up and reachable become live brokers once their gateway answers (a broker creates it last at
    /// start): only then can they be told about their replicas, so only then are they given partitions or groups.
    /// </summary>
    private void MembershipChanged()
    {
        var members = _members.Current();
        var current = members.ToDictionary(kv => kv.Key, kv => new BrokerInfo(kv.Key, kv.Value.Address.Host!, kv.Value.Address.Port!.Value));
        _clientEndpoints.Clear();
        foreach (var (id, member) in members)
            if (BrokerRole.ClientEndpointOf(member) is { } client) _clientEndpoints[id] = client;
        if (_localBroker != null && BrokerRole.ClientEndpointOf(_cluster.SelfMember) is { } own) _clientEndpoints[_localBroker.BrokerId] = own;
        if (_localBroker != null) current[_localBroker.BrokerId] = _localBroker;
        foreach (var (id, gone) in _liveBrokers.Where(kv => !current.TryGetValue(kv.Key, out var now) || now != kv.Value).ToArray())
        {
            _liveBrokers.Remove(id);
            _log.Info("Broker {0} at {1}:{2} is no longer live", id, gone.Host, gone.Port);
        }
        foreach (var id in _joining.Keys.Where(id => !current.TryGetValue(id, out var now) || now != _joining[id]).ToArray()) _joining.Remove(id);
        foreach (var (id, info) in current)
        {
            if (_liveBrokers.TryGetValue(id, out var known) && known == info) continue;
            if (id == _localBroker?.BrokerId) BrokerLive(info);
            else if (!_joining.ContainsKey(id))
            {
                _joining[id] = info;
                IdentifyGateway(id);
            }
        }
        PublishMetrics();
    }

    private void IdentifyGateway(int brokerId)
    {
        if (!_joining.TryGetValue(brokerId, out var info)) return;
        // The id names the address too, so a late answer from a broker's previous address cannot vouch for the new one.
        Context.ActorSelection(GatewayPath(info)).Tell(new Identify($"{brokerId}@{info.Host}:{info.Port}"));
        var attempts = _identifyAttempts[brokerId] = _identifyAttempts.GetValueOrDefault(brokerId) + 1;
        if (attempts % 60 == 0)
            _log.Warning("Broker {0} at {1}:{2} is a cluster member but its gateway has not answered for {3} s; it gets no partitions or groups until it does",
                brokerId, info.Host, info.Port, attempts / 2);
        Timers.StartSingleTimer($"identify-{brokerId}", new RetryIdentify(brokerId), TimeSpan.FromMilliseconds(500));
    }

    private void BrokerLive(BrokerInfo info)
    {
        _liveBrokers[info.BrokerId] = info;
        if (!_state.RegisteredNodes.Contains(info.BrokerId)) Self.Tell(new RegisterNode(info.BrokerId));
        _log.Info("Broker {0} is live at {1}:{2}", info.BrokerId, info.Host, info.Port);
        // A returning broker may have missed config changes made while it was away.
        var commands = _state.Topics.Values.SelectMany(t => Ensures(t, t.Partitions)).Where(c => c.BrokerId == info.BrokerId).ToArray();
        if (commands.Length > 0)
            ConfirmPartitions(commands, new TopicOperationResponse("", ErrorCode.None, null), ActorRefs.Nobody);
        TellGroupDirectories(info.BrokerId);
        StartLegacyGroupCoordinators(info.BrokerId);
    }

    /// <summary>The brokers that can host replicas: cluster members that are Up and reachable.</summary>
    private IReadOnlyList<int> LiveBrokers() => _liveBrokers.Keys.ToArray();

    /// <summary>
    /// The live brokers as clients reach them (metadata, describe cluster): at their client endpoints. Internally brokers
    /// are known by their cluster addresses; a member that advertises no client endpoint is given at its cluster address.
    /// </summary>
    private IReadOnlyList<BrokerInfo> Brokers() =>
        _liveBrokers.Values.Select(b => _clientEndpoints.TryGetValue(b.BrokerId, out var client) ? b with { Host = client.Host, Port = client.Port } : b).ToArray();

    /// <summary>
    /// Tells each live broker's group directory which partitions of the offsets topic it leads (only <paramref name="brokerId"/>'s,
    /// or only <paramref name="offsetsPartitions"/>, when given): the directory reads their groups and starts their
    /// coordinators, so offset retention runs for groups nobody uses any more (others load at their members' next request anyway).
    /// </summary>
    private void TellGroupDirectories(int? brokerId = null, IReadOnlySet<int>? offsetsPartitions = null)
    {
        foreach (var (broker, partitions) in OffsetsPartitionsByLeader())
            if ((brokerId == null || broker.BrokerId == brokerId) && partitions.Where(p => offsetsPartitions?.Contains(p) ?? true).ToArray() is { Length: > 0 } led)
                Context.ActorSelection(Groups.GroupDirectory.PathOf(Context.System, broker.Host, broker.Port)).Tell(new OffsetsPartitionsLed(led));
    }

    /// <summary>The partitions of the offsets topic each live broker leads, by the controller's state.</summary>
    private IEnumerable<(BrokerInfo Broker, int[] Partitions)> OffsetsPartitionsByLeader() =>
        !_state.Topics.TryGetValue(ControllerState.OffsetsTopic, out var offsets) ? []
        : offsets.Partitions.GroupBy(p => p.Leader)
            .Where(g => _liveBrokers.ContainsKey(g.Key))
            .Select(g => (_liveBrokers[g.Key], g.Select(p => p.Partition).ToArray()));

    /// <summary>
    /// Kafka keeps no list of every group, and neither does the controller: each broker's <see cref="Groups.GroupDirectory"/>
    /// knows the groups of the offsets partitions it leads. The answer merges what each leader lists for the partitions
    /// the controller's state says it leads; a partition without a live leader, or a leader that does not answer in
    /// time, is named in the error, next to the groups that were listed.
    /// </summary>
    private void ListGroups(IActorRef replyTo)
    {
        if (!_state.Topics.TryGetValue(ControllerState.OffsetsTopic, out var offsets))
        {
            replyTo.Tell(new ListGroupsResponse(ErrorCode.None, null, []));
            return;
        }
        var offline = offsets.Partitions.Where(p => !_liveBrokers.ContainsKey(p.Leader)).Select(p => p.Partition).ToArray();
        var asks = OffsetsPartitionsByLeader()
            .Select(l => (l.Broker.BrokerId, l.Partitions, Directory: Context.ActorSelection(Groups.GroupDirectory.PathOf(Context.System, l.Broker.Host, l.Broker.Port))))
            .ToArray();
        // Within admin.timeout, as other admin requests; a directory answers within half of it.
        AskDirectories(asks, offline, _settings.AdminTimeout * 0.75).PipeTo(replyTo);
    }

    private static async Task<ListGroupsResponse> AskDirectories((int BrokerId, int[] Partitions, ActorSelection Directory)[] asks, int[] offline, TimeSpan timeout)
    {
        var answers = await Task.WhenAll(asks.Select(async a =>
        {
            try { return (a.BrokerId, Answer: await a.Directory.Ask<ListGroupsResponse>(new ListCoordinatedGroupsRequest(a.Partitions), timeout).ConfigureAwait(false)); }
            catch (AskTimeoutException)
            {
                return (a.BrokerId, Answer: new ListGroupsResponse(ErrorCode.CoordinatorNotAvailable, $"it did not answer within {timeout.TotalSeconds:0} s", []));
            }
            catch (Exception e)
            {
                // One broker's failure must not lose the others' groups.
                return (a.BrokerId, Answer: new ListGroupsResponse(ErrorCode.CoordinatorNotAvailable, $"asking it failed: {e.Message}", []));
            }
        })).ConfigureAwait(false);
        var groups = answers.SelectMany(a => a.Answer.GroupIds).Distinct().Order(StringComparer.Ordinal).ToArray();
        var problems = answers.Where(a => a.Answer.Error != ErrorCode.None).Select(a => $"broker {a.BrokerId}: {a.Answer.ErrorMessage ?? a.Answer.Error.KafkaName()}").ToList();
        if (offline.Length > 0)
            problems.Add($"partition(s) {string.Join(",", offline)} of {ControllerState.OffsetsTopic} have no live leader");
        if (problems.Count == 0) return new ListGroupsResponse(ErrorCode.None, null, groups);
        var code = answers.Select(a => a.Answer.Error).FirstOrDefault(e => e != ErrorCode.None, ErrorCode.CoordinatorNotAvailable);
        return new ListGroupsResponse(code, $"The groups of some coordinators are not listed ({string.Join("; ", problems)}); retry.", groups);
    }

    /// <summary>
    /// Starts the coordinators of the groups an older version listed in the controller's state (<see cref="ControllerState.LegacyGroups"/>)
    /// that <paramref name="brokerId"/> (or any live broker) coordinates, as that version did at every start.
    /// </summary>
    private void StartLegacyGroupCoordinators(int? brokerId = null)
    {
        foreach (var group in _state.LegacyGroups)
        {
            if (ControllerState.OffsetsPartitionOf(group, _state.Topics) is not { } p || (brokerId != null && p.Leader != brokerId)
                || !_liveBrokers.TryGetValue(p.Leader, out var broker)) continue;
            var entity = new Akka.Cluster.Sharding.ShardRegion.StartEntity(Groups.GroupMessageExtractor.EntityIdFor(group, p.Leader));
            if (p.Leader == _localBroker?.BrokerId) _groupRegion.Tell(entity);
            else Context.ActorSelection($"{Broker.BrokerNode.ProtocolOf(Context.System)}://{Broker.BrokerNode.ActorSystemName}@{broker.Host}:{broker.Port}/system/sharding/{Groups.GroupMessageExtractor.TypeName}").Tell(entity);
        }
    }

    /// <summary>The coordinator of a group is the leader of its offsets partition, once that leader is live.</summary>
    private FindCoordinatorResponse FindCoordinator(string groupId)
    {
        var p = ControllerState.OffsetsPartitionOf(groupId, _state.Topics)!;
        return p.Leader >= 0 && _liveBrokers.TryGetValue(p.Leader, out var info)
            ? new FindCoordinatorResponse(ErrorCode.None, null, p.Leader, info.Host, info.Port)
            : new FindCoordinatorResponse(ErrorCode.CoordinatorNotAvailable,
                $"Partition {p.Partition} of {ControllerState.OffsetsTopic}, which holds group '{groupId}', has no live leader " +
                $"(leader {p.Leader}, in-sync replicas {string.Join(",", p.Isr)}); a new one is elected when an in-sync replica is live. Retry.", -1, "", -1);
    }

    /// <summary>
    /// Kafka's rule, that the offsets topic waits for <c>offsets.topic.replication.factor</c> live brokers, would leave a
    /// broker started on its own with no configuration (no seed nodes: nobody else is expected) without consumer groups
    /// for good. Such a node, alone in its cluster, gives the topic one replica; a node configured to join others, or
    /// given the factor explicitly, keeps the strict rule.
    /// </summary>
    private short OffsetsTopicReplicationFactor() =>
        _settings.OffsetsTopicReplicationFactorMayShrink && _liveBrokers.Count == 1 ? (short)1 : _settings.OffsetsTopicReplicationFactor;

    /// <summary>A group asks for its coordinator before the offsets topic exists (<see cref="Reads"/> answers once it does): create it first.</summary>
    private void HandleFindCoordinator(FindCoordinatorRequest r)
    {
        var replicationFactor = OffsetsTopicReplicationFactor();
        var result = _state.DecideOffsetsTopic(_settings.OffsetsTopicNumPartitions, replicationFactor, LiveBrokers());
        // Consumers retry every few hundred ms: say it in the broker's log now and then, not on every request.
        if (result.Response is FindCoordinatorResponse refused && DateTime.UtcNow - _offsetsTopicWarnedAt > TimeSpan.FromSeconds(30))
        {
            _offsetsTopicWarnedAt = DateTime.UtcNow;
            _log.Warning("Group '{0}' asked for its coordinator: {1}", r.GroupId, refused.ErrorMessage);
        }
        if (result.Events.Count == 0 && result.Response == null)
        {
            // The topic exists after all: the coordinator is read from the state as it is.
            Sender.Tell(FindCoordinator(r.GroupId));
            return;
        }
        // The response is only for a refusal (ControllerRefusal): once created, the coordinator is read from the state.
        Perform(result.Events.Count > 0 ? result with { Response = new FindCoordinatorResponse(ErrorCode.CoordinatorNotAvailable, null, -1, "", -1) } : result, (_, _, replyTo) =>
        {
            var topic = _state.Topics[ControllerState.OffsetsTopic];
            _log.Info("Created the internal topic {0}: {1} partitions, replication factor {2}", topic.Name, topic.Partitions.Count, topic.ReplicationFactor);
            if (replicationFactor < _settings.OffsetsTopicReplicationFactor)
                _log.Warning("{0} has replication factor {1}, not offsets.topic.replication.factor = {2}: this node was started without seed nodes " +
                    "(akka.cluster.seed-nodes, serve --seed-nodes) and is a cluster of one broker. Committed offsets live on this broker alone; " +
                    "start brokers that are to form a cluster with the same --seed-nodes list on each, and the strict rule applies.",
                    topic.Name, topic.ReplicationFactor, _settings.OffsetsTopicReplicationFactor);
            ConfirmPartitions(CreationCommands(topic), new TopicOperationResponse(topic.Name, ErrorCode.None, null), ActorRefs.Nobody);
            // Read from the recorded state, with the brokers live now: the coordinator is the leader of the group's partition.
            replyTo.Tell(FindCoordinator(r.GroupId));
        });
    }

    /// <summary>User topics: the internal offsets topic is described only when asked for by name (so patterns never subscribe to it).</summary>
    private IReadOnlyList<string> AllTopicNames() =>
        _state.Topics.Keys.Where(n => n != ControllerState.OffsetsTopic).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    /// <summary>Topics the request asks for that do not exist and are to be auto-created.</summary>
    private string[] MissingTopics(MetadataRequest request) =>
        request.Topics == null || !request.AllowAutoTopicCreation || !_settings.AutoCreateTopicsEnable
            ? []
            : request.Topics.Where(n => !_state.Topics.ContainsKey(n) && Topics.TopicNames.Validate(n) == null).Distinct().ToArray();

    /// <summary>A metadata request that auto-creates topics (one that creates none is answered in <see cref="Reads"/>).</summary>
    private void HandleMetadata(MetadataRequest request)
    {
        var names = request.Topics ?? AllTopicNames();
        // Each missing topic is decided as a CreateTopicRequest with the defaults, and all are recorded as one change.
        var events = MissingTopics(request)
            .SelectMany(name => _state.DecideCreate(new CreateTopicRequest(name, -1, -1, new Dictionary<string, string>(), false), _settings, LiveBrokers()).Events)
            .OfType<TopicCreated>().ToArray();
        if (events.Length == 0)
        {
            // Nothing could be created (e.g. a refused default): answer with what exists; the topic is reported unknown.
            Sender.Tell(Metadata(names));
            return;
        }
        // The metadata as it is now answers a refusal (the cluster metadata is full): the topics are reported unknown.
        Perform(new ControllerResult(events, Metadata(names)), (_, _, replyTo) =>
        {
            foreach (var e in events) _log.Info("Auto-created topic {0} with {1} partitions", e.Topic.Name, e.Topic.Partitions.Count);
            var commands = events.SelectMany(e => CreationCommands(e.Topic)).ToArray();
            // Reply after the replicas exist, so the client's first produce finds its partition. A client whose auto-created
            // topic did not reach a majority still gets the metadata: the topic exists on this controller and is retried as usual.
            var timeout = _settings.AdminTimeout;
            var response = Metadata(names);
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

    private void HandleInitProducerId(IActorRef replyTo) =>
        // A new block, once recorded, answers the same request from the state that holds it.
        Perform(_state.DecideProducerId(), (_, _, to) => HandleInitProducerId(to), replyTo);
}
