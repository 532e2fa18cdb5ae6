using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Topics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>
/// The controller's topic metadata and the rules for changing it, with no actor and no I/O. Commands are decided into a
/// <see cref="ControllerResult"/> (the events to record and the answer) and never change the state themselves;
/// <see cref="Apply"/> is the only way state changes, live or in recovery.
/// </summary>
public sealed partial class ControllerState
{
    /// <summary>Producer ids are persisted in blocks so that handing one out does not cost a journal write.</summary>
    public const long ProducerIdBlockSize = 1000;

    private readonly Dictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _legacyGroups = new(StringComparer.Ordinal);
    private readonly SortedSet<int> _registeredNodes = new();
    private readonly Dictionary<TopicPartition, PartitionReassignment> _reassignments = new();

    /// <summary>The partition reassignments in progress.</summary>
    public IReadOnlyDictionary<TopicPartition, PartitionReassignment> Reassignments => _reassignments;

    /// <summary>Every node id (broker or controller-only node) that has been live; see <see cref="ControllerSnapshot.RegisteredNodes"/>.</summary>
    public IReadOnlyCollection<int> RegisteredNodes => _registeredNodes;

    /// <summary>A majority of the registered nodes: how many must be up before a controller reads, and the fewest nodes its reads and writes go to.</summary>
    public int Quorum => _registeredNodes.Count / 2 + 1;

    /// <summary>
    /// Kafka's internal topic of group state: created the first time a group asks for its coordinator, replicated like
    /// any topic; the leader of a group's partition coordinates the group.
    /// </summary>
    public const string OffsetsTopic = "__consumer_offsets";

    /// <summary>
    /// Kafka's settings for <c>__consumer_offsets</c>: compacted, in 100 MiB segments (<c>offsets.topic.segment.bytes</c>)
    /// so the cleaner reaches committed offsets long before a 1 GiB segment would fill.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> OffsetsTopicConfig = new Dictionary<string, string>
    {
        [TopicConfig.CleanupPolicyKey] = "compact",
        [TopicConfig.SegmentBytesKey] = "104857600",
    };

    public IReadOnlyDictionary<string, TopicState> Topics => _topics;

    /// <summary>Ids below this are allocated in the journal; ids are handed out from <see cref="NextFreeProducerId"/>.</summary>
    public long AllocatedProducerIdsEnd { get; private set; }

    public long NextFreeProducerId { get; private set; }

    /// <summary>Counts controller incarnations; see <see cref="ControllerSnapshot.ControllerEpoch"/>.</summary>
    public int ControllerEpoch { get; private set; }

    /// <summary>How many changes were ever written; see <see cref="ControllerSnapshot.Version"/>.</summary>
    public long Version { get; private set; }

    /// <summary>Marks this state as the next change to be written.</summary>
    public void NextVersion() => Version++;

    /// <summary>A new controller takes over: it acts under the next epoch.</summary>
    public void BeginEpoch() => ControllerEpoch++;

    /// <summary>An independent copy, for deciding the next state before it is known to be replicated.</summary>
    public ControllerState Clone()
    {
        var copy = new ControllerState();
        copy.Restore(ToSnapshot());
        copy.NextFreeProducerId = NextFreeProducerId;
        return copy;
    }

    /// <summary>The answer to a topic operation once its event is recorded (the actor first waits for the replicas).</summary>
    private static TopicOperationResponse Done(string topic) => new(topic, ErrorCode.None, null);

    private static ControllerResult Refuse(string topic, ErrorCode code, string message) =>
        ControllerResult.Reply(new TopicOperationResponse(topic, code, message));

    public ControllerResult DecideCreate(CreateTopicRequest r, BrokerSettings settings, IReadOnlyList<int> liveBrokers)
    {
        ControllerResult Fail(ErrorCode code, string message) => Refuse(r.Name, code, message);

        var nameProblem = TopicNames.Validate(r.Name);
        if (nameProblem != null) return Fail(ErrorCode.InvalidTopicException, nameProblem);
        if (r.Name == OffsetsTopic)
            return Fail(ErrorCode.InvalidRequest, $"'{OffsetsTopic}' is the internal topic of consumer groups; the brokers create it when a group first needs it.");
        if (_topics.ContainsKey(r.Name)) return Fail(ErrorCode.TopicAlreadyExists, $"Topic '{r.Name}' already exists.");
        var unified = TopicNames.UnifyCollisionChars(r.Name);
        var collision = _topics.Keys.FirstOrDefault(t => TopicNames.UnifyCollisionChars(t) == unified);
        if (collision != null)
            return Fail(ErrorCode.InvalidTopicException,
                $"Topic '{r.Name}' collides with existing topic '{collision}': names may not differ only by '.' and '_'.");
        var partitions = r.NumPartitions == -1 ? settings.NumPartitions : r.NumPartitions;
        if (partitions < 1) return Fail(ErrorCode.InvalidPartitions, $"Number of partitions must be at least 1, got {r.NumPartitions}.");
        var rf = r.ReplicationFactor == -1 ? settings.DefaultReplicationFactor : r.ReplicationFactor;
        if (rf < 1) return Fail(ErrorCode.InvalidReplicationFactor, $"Replication factor must be at least 1, got {r.ReplicationFactor}.");
        if (rf > liveBrokers.Count)
            return Fail(ErrorCode.InvalidReplicationFactor,
                $"Replication factor: {rf} larger than available brokers: {liveBrokers.Count}. Use a replication factor of at most {liveBrokers.Count}, or add brokers.");
        var configProblem = TopicConfigValidator.Validate(r.Configs);
        if (configProblem != null) return Fail(ErrorCode.InvalidConfig, configProblem);
        if (TooManyPartitions(partitions, rf, settings) is { } tooMany) return Fail(ErrorCode.PolicyViolation, tooMany);
        // Kafka answers validate-only with the outcome the real request would have, and creates nothing.
        if (r.ValidateOnly) return ControllerResult.Reply(Done(r.Name));

        var assignments = Assign(r.Name, 0, partitions, rf, liveBrokers);
        return ControllerResult.Record(new TopicCreated(new TopicState(r.Name, rf, Trim(r.Configs), assignments)), Done(r.Name));
    }

    public ControllerResult DecideDelete(DeleteTopicRequest r) =>
        r.Name == OffsetsTopic
            ? Refuse(r.Name, ErrorCode.InvalidRequest, $"'{OffsetsTopic}' holds every consumer group's offsets and cannot be deleted; delete groups instead (groups delete).")
            : _topics.ContainsKey(r.Name)
                ? ControllerResult.Record(new TopicDeleted(r.Name), Done(r.Name))
                : Refuse(r.Name, ErrorCode.UnknownTopicOrPartition, $"Topic '{r.Name}' does not exist.");

    public ControllerResult DecideCreatePartitions(CreatePartitionsRequest r, IReadOnlyList<int> liveBrokers, BrokerSettings settings)
    {
        if (!_topics.TryGetValue(r.Name, out var topic))
            return Refuse(r.Name, ErrorCode.UnknownTopicOrPartition, $"Topic '{r.Name}' does not exist.");
        if (r.Name == OffsetsTopic)
            return Refuse(r.Name, ErrorCode.InvalidRequest,
                $"'{OffsetsTopic}' keeps its partition count: a group's partition is its id's hash modulo that count, so changing it would lose every group's offsets.");
        var current = topic.Partitions.Count;
        if (r.TotalCount <= current)
            return Refuse(r.Name, ErrorCode.InvalidPartitions,
                $"Topic '{r.Name}' has {current} partitions; the new count must be larger (partitions cannot be removed), got {r.TotalCount}.");
        var replicationFactor = ReplicationFactorOf(topic);
        if (TooManyPartitions(r.TotalCount - current, replicationFactor, settings) is { } tooMany) return Refuse(r.Name, ErrorCode.PolicyViolation, tooMany);
        if (replicationFactor > liveBrokers.Count)
            return Refuse(r.Name, ErrorCode.InvalidReplicationFactor,
                $"Topic '{r.Name}' has replication factor {replicationFactor} but only {liveBrokers.Count} brokers are available.");
        return ControllerResult.Record(new PartitionsAdded(r.Name, Assign(r.Name, current, r.TotalCount - current, replicationFactor, liveBrokers)), Done(r.Name));
    }

    /// <summary>
    /// How many replicas a topic's new partitions get: as many as its first partition has (its reassignment's target,
    /// while one moves it), so a reassignment that changed the replica count carries over, as in Kafka.
    /// </summary>
    private int ReplicationFactorOf(TopicState topic) =>
        topic.Partitions.Count == 0 ? topic.ReplicationFactor
        : _reassignments.TryGetValue(new TopicPartition(topic.Name, 0), out var moving) ? moving.Target.Count
        : topic.Partitions[0].Replicas.Count;

    public ControllerResult DecideAlterConfigs(AlterConfigsRequest r)
    {
        if (!_topics.TryGetValue(r.Name, out var topic))
            return Refuse(r.Name, ErrorCode.UnknownTopicOrPartition, $"Topic '{r.Name}' does not exist.");
        var problem = TopicConfigValidator.Validate(r.Set) ?? TopicConfigValidator.ValidateKeys(r.Delete);
        if (problem != null) return Refuse(r.Name, ErrorCode.InvalidConfig, problem);
        var overrides = new Dictionary<string, string>(topic.ConfigOverrides);
        foreach (var k in r.Delete) overrides.Remove(k);
        foreach (var (k, v) in Trim(r.Set)) overrides[k] = v;
        return ControllerResult.Record(new TopicConfigsChanged(r.Name, overrides), Done(r.Name));
    }

    public DescribeConfigsResponse DescribeConfigs(DescribeConfigsRequest r, BrokerSettings settings)
    {
        if (!_topics.TryGetValue(r.Name, out var topic))
            return new DescribeConfigsResponse(r.Name, ErrorCode.UnknownTopicOrPartition, $"Topic '{r.Name}' does not exist.", []);
        var effective = EffectiveTopicConfig(topic, settings);
        return new DescribeConfigsResponse(r.Name, ErrorCode.None, null,
            effective.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new ConfigEntry(kv.Key, kv.Value, !topic.ConfigOverrides.ContainsKey(kv.Key),
                    !topic.ConfigOverrides.ContainsKey(kv.Key) && IsDynamicDefault(kv.Key))).ToArray());
    }

    /// <summary>
    /// Metadata for a topic. A partition whose leader is not live reports no leader (-1) until the controller has
    /// elected another (or, with no in-sync replica live, until one returns); clients retry meanwhile.
    /// </summary>
    public TopicMetadata Describe(string name, IReadOnlyCollection<int> liveBrokers)
    {
        if (!_topics.TryGetValue(name, out var topic))
        {
            var problem = TopicNames.Validate(name);
            return problem != null
                ? new TopicMetadata(name, ErrorCode.InvalidTopicException, problem, [])
                : new TopicMetadata(name, ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.", []);
        }
        return new TopicMetadata(name, ErrorCode.None, null,
            topic.Partitions.Select(p => new PartitionMetadata(p.Partition, liveBrokers.Contains(p.Leader) ? p.Leader : -1, p.Replicas, p.Isr, p.LeaderEpoch)).ToArray());
    }

    /// <summary>
    /// Hands out the next producer id (Kafka's InitProducerId). Ids are allocated in blocks whose end is recorded, so a
    /// new controller never hands out an id twice; ids within a block need no write. When the block is used up the
    /// result records the next one and carries no response: ask again once it is recorded.
    /// </summary>
    public ControllerResult DecideProducerId() =>
        NextFreeProducerId < AllocatedProducerIdsEnd
            ? ControllerResult.Reply(new InitProducerIdResponse(ErrorCode.None, null, NextFreeProducerId++, 0))
            : ControllerResult.Record(new ProducerIdsAllocated(AllocatedProducerIdsEnd + ProducerIdBlockSize));

    public void Apply(object @event)
    {
        switch (@event)
        {
            case TopicCreated e:
                _topics[e.Topic.Name] = e.Topic;
                break;
            case TopicDeleted e:
                _topics.Remove(e.Name);
                foreach (var tp in _reassignments.Keys.Where(tp => tp.Topic == e.Name).ToArray()) _reassignments.Remove(tp);
                break;
            case ReassignmentsChanged e:
                foreach (var tp in e.Ended) _reassignments.Remove(tp);
                foreach (var r in e.Started) _reassignments[r.TopicPartition] = r;
                break;
            case PartitionsAdded e:
                var t = _topics[e.Name];
                _topics[e.Name] = t with { Partitions = t.Partitions.Concat(e.NewPartitions).ToArray() };
                break;
            case TopicConfigsChanged e:
                _topics[e.Name] = _topics[e.Name] with { ConfigOverrides = e.ConfigOverrides };
                break;
            case GroupRegistered e:
                _legacyGroups.Add(e.GroupId);
                break;
            case GroupUnregistered e:
                _legacyGroups.Remove(e.GroupId);
                break;
            case NodeRegistered e:
                _registeredNodes.Add(e.NodeId);
                break;
            case NodeUnregistered e:
                _registeredNodes.Remove(e.NodeId);
                break;
            case UserScramCredentialsChanged e:
                ApplyUserScramCredentials(e);
                break;
            case AclsChanged e:
                ApplyAcls(e);
                break;
            case ClientQuotasChanged e:
                ApplyClientQuotas(e);
                break;
            case ScramBootstrapApplied e:
                _scramBootstrapped.UnionWith(e.Entries);
                break;
            case BrokerConfigsChanged e:
                if (e.Configs.Count == 0) _brokerConfigs.Remove(e.Broker);
                else _brokerConfigs[e.Broker] = e.Configs;
                break;
            case LeadershipChanged e:
                foreach (var group in e.Changes.GroupBy(c => c.Topic))
                {
                    var partitions = _topics[group.Key].Partitions.ToArray();
                    foreach (var (_, p) in group) partitions[p.Partition] = p;
                    _topics[group.Key] = _topics[group.Key] with { Partitions = partitions };
                }
                break;
            case OffsetsPartitionsAssigned e:
                // Older controllers placed coordinators without replicas; those placements become the offsets topic.
                AdoptLegacyOffsetsPartitions(e.Partitions);
                break;
            case ProducerIdsAllocated e:
                NextFreeProducerId = e.NextProducerId - ProducerIdBlockSize;
                AllocatedProducerIdsEnd = e.NextProducerId;
                break;
            default:
                throw new InvalidOperationException($"the controller has no rule for event {@event.GetType().Name}");
        }
    }

    /// <summary>
    /// Kafka's UnregisterBroker, for decommissioning: a node that is stopped for good and holds no replicas leaves the
    /// registered nodes, so the controller's majority no longer counts it. A node that runs is refused (it would register
    /// again at once), and so is one that still holds replicas (move them with a reassignment first). The same id may
    /// join again later, as a new node, and registers then.
    /// </summary>
    public ControllerResult DecideUnregisterNode(UnregisterNodeRequest r, IReadOnlyCollection<int> liveNodes)
    {
        ControllerResult Refuse(ErrorCode code, string message) => ControllerResult.Reply(new UnregisterNodeResponse(code, message));
        if (!_registeredNodes.Contains(r.NodeId))
            return Refuse(ErrorCode.BrokerIdNotRegistered, $"Node {r.NodeId} is not registered; the registered nodes are {string.Join(",", _registeredNodes)}.");
        if (liveNodes.Contains(r.NodeId))
            return Refuse(ErrorCode.InvalidRequest, $"Node {r.NodeId} is running: stop it first; only a node that is gone for good is unregistered.");
        var held = _topics.Values.SelectMany(t => t.Partitions.Where(p => p.Replicas.Contains(r.NodeId)).Select(p => $"{t.Name}-{p.Partition}")).ToList();
        if (held.Count > 0)
            return Refuse(ErrorCode.InvalidRequest,
                $"Node {r.NodeId} still holds replicas of {string.Join(", ", held.Take(5))}{(held.Count > 5 ? $" and {held.Count - 5} more partition(s)" : "")}: " +
                $"move them first (reassign-partitions --generate with a --broker-list without {r.NodeId}, then --execute), then unregister it.");
        if (_registeredNodes.Count == 1)
            return Refuse(ErrorCode.InvalidRequest, $"Node {r.NodeId} is the only registered node.");
        return ControllerResult.Record(new NodeUnregistered(r.NodeId), new UnregisterNodeResponse(ErrorCode.None, null));
    }

    /// <summary>
    /// The groups an older version listed here: it kept a directory of every group in this state, which therefore grew
    /// with the groups (brokers now keep the groups they coordinate, see <c>GroupDirectory</c>). Kept as they are, never
    /// added to, so that their coordinators start as before: a group whose state is still in an older version's journal
    /// moves it into <c>__consumer_offsets</c> as its coordinator loads, and only then do the brokers' directories find it.
    /// </summary>
    public IReadOnlyCollection<string> LegacyGroups => _legacyGroups;

    public ControllerSnapshot ToSnapshot() => new(_topics.Values.ToArray(), AllocatedProducerIdsEnd, _legacyGroups.ToArray(), ControllerEpoch, [], Version, _registeredNodes.ToArray(),
        _reassignments.Values.ToArray(), _brokerConfigs.Select(kv => new BrokerConfigsChanged(kv.Key, kv.Value)).ToArray(),
        _scramCredentials.Select(kv => new UserScramCredentialsChanged(kv.Key, kv.Value)).ToArray(), _acls.ToArray(),
        _scramBootstrapped.Order(StringComparer.Ordinal).ToArray(), _clientQuotas.Select(kv => new ClientQuotasChanged(kv.Key, kv.Value)).ToArray());

    /// <summary>Kafka's placement of a group: <c>Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions</c>, with Java's String.hashCode.</summary>
    public static int OffsetsPartitionFor(string groupId, int partitionCount)
    {
        var h = 0;
        unchecked
        {
            foreach (var c in groupId) h = 31 * h + c;
        }
        // Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE maps to 0.
        return (h == int.MinValue ? 0 : Math.Abs(h)) % partitionCount;
    }

    /// <summary>
    /// The offsets partition of <paramref name="groupId"/>: its leader coordinates the group (-1 while it has none).
    /// Null before the offsets topic exists.
    /// </summary>
    public static PartitionAssignment? OffsetsPartitionOf(string groupId, IReadOnlyDictionary<string, TopicState> topics) =>
        topics.TryGetValue(OffsetsTopic, out var t) && t.Partitions.Count > 0 ? t.Partitions[OffsetsPartitionFor(groupId, t.Partitions.Count)] : null;

    /// <summary>
    /// Records the offsets topic's creation; nothing when it exists. Like Kafka, it is created only once
    /// <paramref name="replicationFactor"/> brokers are live, so group state is never silently under-replicated: until
    /// then the group that asked is answered COORDINATOR_NOT_AVAILABLE, saying why. Once created, the group's coordinator
    /// is read from the recorded state (it depends on which brokers are live then), so the creation carries no response.
    /// </summary>
    public ControllerResult DecideOffsetsTopic(int partitionCount, short replicationFactor, IReadOnlyList<int> liveBrokers)
    {
        if (_topics.ContainsKey(OffsetsTopic)) return ControllerResult.Nothing;
        if (liveBrokers.Count < replicationFactor)
            return ControllerResult.Reply(new FindCoordinatorResponse(ErrorCode.CoordinatorNotAvailable,
                $"The offsets topic needs {replicationFactor} live brokers (offsets.topic.replication.factor) and {liveBrokers.Count} are live: " +
                "start more brokers, or lower offsets.topic.replication.factor on a smaller cluster.", -1, "", -1));
        return ControllerResult.Record(new TopicCreated(new TopicState(OffsetsTopic, replicationFactor, OffsetsTopicConfig,
            Assign(OffsetsTopic, 0, partitionCount, replicationFactor, liveBrokers))));
    }

    private void AdoptLegacyOffsetsPartitions(IReadOnlyList<PartitionAssignment> partitions)
    {
        if (partitions.Count == 0 || _topics.ContainsKey(OffsetsTopic)) return;
        _topics[OffsetsTopic] = new TopicState(OffsetsTopic, 1, OffsetsTopicConfig,
            partitions.Select(p => new PartitionAssignment(p.Partition, p.Replicas)).ToArray());
    }

    public void Restore(ControllerSnapshot snapshot)
    {
        _topics.Clear();
        foreach (var t in snapshot.Topics) _topics[t.Name] = t;
        _legacyGroups.Clear();
        foreach (var g in snapshot.Groups) _legacyGroups.Add(g);
        AllocatedProducerIdsEnd = snapshot.NextProducerId;
        NextFreeProducerId = AllocatedProducerIdsEnd;
        ControllerEpoch = snapshot.ControllerEpoch;
        AdoptLegacyOffsetsPartitions(snapshot.OffsetsPartitions);
        Version = snapshot.Version;
        _registeredNodes.Clear();
        foreach (var b in snapshot.RegisteredNodes) _registeredNodes.Add(b);
        _reassignments.Clear();
        foreach (var r in snapshot.Reassignments) _reassignments[r.TopicPartition] = r;
        _brokerConfigs.Clear();
        foreach (var c in snapshot.BrokerConfigs ?? []) _brokerConfigs[c.Broker] = c.Configs;
        _scramCredentials.Clear();
        foreach (var u in snapshot.ScramCredentials ?? []) _scramCredentials[u.User] = u.Credentials;
        _acls.Clear();
        _acls.AddRange(snapshot.Acls ?? []);
        _scramBootstrapped.Clear();
        _scramBootstrapped.UnionWith(snapshot.ScramBootstrapped ?? []);
        _clientQuotas.Clear();
        foreach (var q in snapshot.ClientQuotas ?? []) _clientQuotas[q.Entity] = q.Values;
    }

    /// <summary>After recovery, ids of the block in force before the restart may have been handed out: never reuse them.</summary>
    public void OnRecoveryCompleted() => NextFreeProducerId = AllocatedProducerIdsEnd;

    /// <summary>
    /// Kafka's rack-unaware assignment: replicas of a partition on distinct brokers, the first (preferred leader)
    /// rotating over the brokers so that leaders spread evenly.
    /// </summary>
    public static IReadOnlyList<PartitionAssignment> Assign(string topic, int firstPartition, int count, int replicationFactor,
        IReadOnlyList<int> brokers)
    {
        var sorted = brokers.OrderBy(b => b).ToArray();
        var start = (int)((uint)StableHash(topic) % (uint)sorted.Length);
        var result = new PartitionAssignment[count];
        for (var i = 0; i < count; i++)
        {
            var p = firstPartition + i;
            var replicas = new int[replicationFactor];
            for (var r = 0; r < replicationFactor; r++) replicas[r] = sorted[(start + p + r) % sorted.Length];
            result[i] = new PartitionAssignment(p, replicas);
        }
        return result;
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            var h = 17;
            foreach (var c in s) h = h * 31 + c;
            return h;
        }
    }

    private static Dictionary<string, string> Trim(IReadOnlyDictionary<string, string> configs) =>
        configs.ToDictionary(kv => kv.Key.Trim(), kv => kv.Value.Trim());
}
