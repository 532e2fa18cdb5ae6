using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Topics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>
/// The controller's topic metadata and the rules for changing it, with no actor and no I/O. Commands are decided into
/// either an event to persist or an error reply; <see cref="Apply"/> is the only way state changes, live or in recovery.
/// </summary>
public sealed class ControllerState
{
    /// <summary>Producer ids are persisted in blocks so that handing one out does not cost a journal write.</summary>
    public const long ProducerIdBlockSize = 1000;

    /// <summary>Until followers copy their leader's log, a second replica would be a promise the broker does not keep.</summary>
    public const int MaxReplicationFactor = 1;

    private readonly Dictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _groups = new(StringComparer.Ordinal);
    private IReadOnlyList<PartitionAssignment> _offsetsPartitions = [];
    private readonly SortedSet<int> _registeredBrokers = new();

    /// <summary>Every broker id that has been live; see <see cref="ControllerSnapshot.RegisteredBrokers"/>.</summary>
    public IReadOnlyCollection<int> RegisteredBrokers => _registeredBrokers;

    /// <summary>How many brokers must be up before a controller may trust a majority read: a majority of those registered.</summary>
    public int Quorum => _registeredBrokers.Count / 2 + 1;

    /// <summary>Where group coordinators live: offsets partition i is led by <c>OffsetsPartitions[i].Replicas[0]</c>. Empty until a group first asks.</summary>
    public IReadOnlyList<PartitionAssignment> OffsetsPartitions => _offsetsPartitions;

    /// <summary>The name Kafka gives the partitions that place group coordinators; used to spread them as a topic would be.</summary>
    public const string OffsetsTopic = "__consumer_offsets";

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

    public abstract record Decision
    {
        public sealed record Persist(object Event) : Decision;
        public sealed record Reply(TopicOperationResponse Response) : Decision;
    }

    public Decision DecideCreate(CreateTopicRequest r, BrokerSettings settings, IReadOnlyList<int> liveBrokers)
    {
        Decision Fail(ErrorCode code, string message) => new Decision.Reply(new TopicOperationResponse(r.Name, code, message));

        var nameProblem = TopicNames.Validate(r.Name);
        if (nameProblem != null) return Fail(ErrorCode.InvalidTopicException, nameProblem);
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
        if (rf > MaxReplicationFactor)
            return Fail(ErrorCode.InvalidReplicationFactor,
                $"Replication factor {rf} is not supported yet: replicas are not copied between brokers in this version, so each partition lives on one broker. Use replication factor 1.");
        var configProblem = TopicConfigValidator.Validate(r.Configs);
        if (configProblem != null) return Fail(ErrorCode.InvalidConfig, configProblem);
        if (r.ValidateOnly) return Fail(ErrorCode.None, null!);

        var assignments = Assign(r.Name, 0, partitions, rf, liveBrokers);
        return new Decision.Persist(new TopicCreated(new TopicState(r.Name, rf, Trim(r.Configs), assignments)));
    }

    public Decision DecideDelete(DeleteTopicRequest r) =>
        _topics.ContainsKey(r.Name)
            ? new Decision.Persist(new TopicDeleted(r.Name))
            : new Decision.Reply(new TopicOperationResponse(r.Name, ErrorCode.UnknownTopicOrPartition, $"Topic '{r.Name}' does not exist."));

    public Decision DecideCreatePartitions(CreatePartitionsRequest r, IReadOnlyList<int> liveBrokers)
    {
        if (!_topics.TryGetValue(r.Name, out var topic))
            return new Decision.Reply(new TopicOperationResponse(r.Name, ErrorCode.UnknownTopicOrPartition, $"Topic '{r.Name}' does not exist."));
        var current = topic.Partitions.Count;
        if (r.TotalCount <= current)
            return new Decision.Reply(new TopicOperationResponse(r.Name, ErrorCode.InvalidPartitions,
                $"Topic '{r.Name}' has {current} partitions; the new count must be larger (partitions cannot be removed), got {r.TotalCount}."));
        if (topic.ReplicationFactor > liveBrokers.Count)
            return new Decision.Reply(new TopicOperationResponse(r.Name, ErrorCode.InvalidReplicationFactor,
                $"Topic '{r.Name}' has replication factor {topic.ReplicationFactor} but only {liveBrokers.Count} brokers are available."));
        return new Decision.Persist(new PartitionsAdded(r.Name, Assign(r.Name, current, r.TotalCount - current, topic.ReplicationFactor, liveBrokers)));
    }

    public Decision DecideAlterConfigs(AlterConfigsRequest r)
    {
        if (!_topics.TryGetValue(r.Name, out var topic))
            return new Decision.Reply(new TopicOperationResponse(r.Name, ErrorCode.UnknownTopicOrPartition, $"Topic '{r.Name}' does not exist."));
        var problem = TopicConfigValidator.Validate(r.Set) ?? TopicConfigValidator.ValidateKeys(r.Delete);
        if (problem != null) return new Decision.Reply(new TopicOperationResponse(r.Name, ErrorCode.InvalidConfig, problem));
        var overrides = new Dictionary<string, string>(topic.ConfigOverrides);
        foreach (var k in r.Delete) overrides.Remove(k);
        foreach (var (k, v) in Trim(r.Set)) overrides[k] = v;
        return new Decision.Persist(new TopicConfigsChanged(r.Name, overrides));
    }

    public DescribeConfigsResponse DescribeConfigs(DescribeConfigsRequest r, BrokerSettings settings)
    {
        if (!_topics.TryGetValue(r.Name, out var topic))
            return new DescribeConfigsResponse(r.Name, ErrorCode.UnknownTopicOrPartition, $"Topic '{r.Name}' does not exist.", []);
        var effective = settings.EffectiveTopicConfig(topic.ConfigOverrides);
        return new DescribeConfigsResponse(r.Name, ErrorCode.None, null,
            effective.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new ConfigEntry(kv.Key, kv.Value, !topic.ConfigOverrides.ContainsKey(kv.Key))).ToArray());
    }

    /// <summary>
    /// Metadata for a topic. A partition whose broker is not live has no leader (-1) and an empty in-sync set: it is
    /// offline until that broker returns, and clients retry (LEADER_NOT_AVAILABLE) meanwhile.
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
            topic.Partitions.Select(p =>
            {
                var isr = p.Replicas.Where(liveBrokers.Contains).ToArray();
                return new PartitionMetadata(p.Partition, liveBrokers.Contains(p.Replicas[0]) ? p.Replicas[0] : -1, p.Replicas, isr);
            }).ToArray());
    }

    /// <summary>Hands out the next producer id; returns an event to persist first when the allocated block is used up.</summary>
    public (long ProducerId, ProducerIdsAllocated? Allocate) NextProducerId()
    {
        if (NextFreeProducerId < AllocatedProducerIdsEnd) return (NextFreeProducerId++, null);
        return (-1, new ProducerIdsAllocated(AllocatedProducerIdsEnd + ProducerIdBlockSize));
    }

    public void Apply(object @event)
    {
        switch (@event)
        {
            case TopicCreated e:
                _topics[e.Topic.Name] = e.Topic;
                break;
            case TopicDeleted e:
                _topics.Remove(e.Name);
                break;
            case PartitionsAdded e:
                var t = _topics[e.Name];
                _topics[e.Name] = t with { Partitions = t.Partitions.Concat(e.NewPartitions).ToArray() };
                break;
            case TopicConfigsChanged e:
                _topics[e.Name] = _topics[e.Name] with { ConfigOverrides = e.ConfigOverrides };
                break;
            case GroupRegistered e:
                _groups.Add(e.GroupId);
                break;
            case GroupUnregistered e:
                _groups.Remove(e.GroupId);
                break;
            case BrokerRegistered e:
                _registeredBrokers.Add(e.BrokerId);
                break;
            case OffsetsPartitionsAssigned e:
                _offsetsPartitions = e.Partitions;
                break;
            case ProducerIdsAllocated e:
                NextFreeProducerId = e.NextProducerId - ProducerIdBlockSize;
                AllocatedProducerIdsEnd = e.NextProducerId;
                break;
            default:
                throw new InvalidOperationException($"the controller has no rule for event {@event.GetType().Name}");
        }
    }

    /// <summary>The consumer groups that exist (have members or offsets), as their coordinators reported them.</summary>
    public IReadOnlyCollection<string> Groups => _groups;

    /// <summary>The event that records a group's coming into being or going away, or null when the directory already agrees.</summary>
    public object? DecideGroupDirectory(string groupId, bool exists) =>
        exists == _groups.Contains(groupId) ? null : exists ? new GroupRegistered(groupId) : new GroupUnregistered(groupId);

    public ControllerSnapshot ToSnapshot() => new(_topics.Values.ToArray(), AllocatedProducerIdsEnd, _groups.ToArray(), ControllerEpoch, _offsetsPartitions, Version, _registeredBrokers.ToArray());

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

    /// <summary>The broker that coordinates <paramref name="groupId"/>, or null before the offsets partitions are placed.</summary>
    public static int? CoordinatorOf(string groupId, IReadOnlyList<PartitionAssignment> offsetsPartitions) =>
        offsetsPartitions.Count == 0 ? null : offsetsPartitions[OffsetsPartitionFor(groupId, offsetsPartitions.Count)].Replicas[0];

    /// <summary>The event that places the group coordinators over the live brokers, or null when they are placed already.</summary>
    public OffsetsPartitionsAssigned? DecideOffsetsPartitions(int partitionCount, IReadOnlyList<int> liveBrokers) =>
        _offsetsPartitions.Count > 0 ? null : new OffsetsPartitionsAssigned(Assign(OffsetsTopic, 0, partitionCount, 1, liveBrokers));

    public void Restore(ControllerSnapshot snapshot)
    {
        _topics.Clear();
        foreach (var t in snapshot.Topics) _topics[t.Name] = t;
        _groups.Clear();
        foreach (var g in snapshot.Groups) _groups.Add(g);
        AllocatedProducerIdsEnd = snapshot.NextProducerId;
        NextFreeProducerId = AllocatedProducerIdsEnd;
        ControllerEpoch = snapshot.ControllerEpoch;
        _offsetsPartitions = snapshot.OffsetsPartitions;
        Version = snapshot.Version;
        _registeredBrokers.Clear();
        foreach (var b in snapshot.RegisteredBrokers) _registeredBrokers.Add(b);
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
