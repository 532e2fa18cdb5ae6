using System.Globalization;
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
    private readonly SortedSet<string> _groups = new(StringComparer.Ordinal);
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
    /// Why <paramref name="next"/>, reached from <paramref name="current"/> by <paramref name="events"/>, may not be
    /// written, or null. The state is replicated whole in one message, so a state past the frame limit could never be
    /// replicated again: changes at an operator's or a client's request (topics, partitions, configs, groups,
    /// reassignments) that would take it past <paramref name="maxBytes"/> are refused, with the sizes. The size counted
    /// is the largest the state can grow to without such a request, every replica back in its partition's ISR, so that
    /// leadership and ISR changes, never refused, always fit. A change that does not make the state larger (a
    /// reassignment completing, configs removed) is never refused either, so a state over the limit can shrink.
    /// </summary>
    public static string? SizeProblem(ControllerState current, ControllerState next, IReadOnlyList<object> events, long maxBytes)
    {
        if (!events.Any(e => e is TopicCreated or PartitionsAdded or TopicConfigsChanged or BrokerConfigsChanged or GroupRegistered or ReassignmentsChanged))
            return null;
        var size = next.LargestSize();
        if (size <= maxBytes || size <= current.LargestSize()) return null;
        return $"the cluster metadata would be {Bytes(size)} bytes (counting every replica back in sync), past the {Bytes(maxBytes)} it may hold " +
            "(akka.remote.dot-netty.tcp.maximum-frame-size less 1 MiB, as it travels whole in one message): delete topics or consumer groups, " +
            "use fewer partitions, or raise the frame size on every node";
    }

    /// <summary>The encoded size of this state with every partition's ISR grown to all its replicas (4 bytes each).</summary>
    private long LargestSize() =>
        Protocol.Serialization.BrokerSerializer.Encode(ToSnapshot()).Length
        + 4L * _topics.Values.Sum(t => t.Partitions.Sum(p => (long)Math.Max(0, p.Replicas.Count - p.Isr.Count)));

    /// <summary>
    /// Why <paramref name="partitions"/> new partitions cannot be recorded, or null: each takes at least
    /// <c>24 + 8 x replication factor</c> bytes of the replicated cluster metadata, which must stay under
    /// <see cref="BrokerSettings.MaxControllerStateBytes"/>. Checked before the partitions are placed, so that a request
    /// for two billion partitions costs nothing (the exact size is checked when the change is written).
    /// </summary>
    private static string? TooManyPartitions(long partitions, int replicationFactor, BrokerSettings settings)
    {
        var bytes = partitions * (24 + 8L * replicationFactor);
        return bytes <= settings.MaxControllerStateBytes ? null
            : $"{Bytes(partitions)} partitions of replication factor {replicationFactor} need at least {Bytes(bytes)} bytes of cluster metadata, " +
              $"more than the {Bytes(settings.MaxControllerStateBytes)} it may hold; create fewer partitions";
    }

    /// <summary>A count with thousands separators, the same whatever the broker's culture.</summary>
    private static string Bytes(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

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
                _groups.Add(e.GroupId);
                break;
            case GroupUnregistered e:
                _groups.Remove(e.GroupId);
                break;
            case NodeRegistered e:
                _registeredNodes.Add(e.NodeId);
                break;
            case NodeUnregistered e:
                _registeredNodes.Remove(e.NodeId);
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
    /// Kafka's elections after a change of live brokers: a partition whose leader is gone gets the first replica in
    /// assignment order that is live and in sync; with none, the first live replica if <paramref name="uncleanAllowed"/>
    /// says so for its topic (an unclean election: the new leader may lack acknowledged records), else no leader
    /// (offline) until an in-sync replica returns. Replicas that are not live leave the ISR (the last one stays, so it
    /// can lead again when it returns). Records one <see cref="LeadershipChanged"/>, or nothing when nothing changes;
    /// nobody is answered.
    /// </summary>
    public ControllerResult DecideElections(IReadOnlyCollection<int> live, Func<TopicState, bool> uncleanAllowed)
    {
        var changes = new List<(string, PartitionAssignment)>();
        var unclean = new List<(string, int)>();
        foreach (var topic in _topics.Values)
        foreach (var p in topic.Partitions)
        {
            var liveIsr = p.Isr.Where(live.Contains).ToArray();
            var cleanCandidates = p.Replicas.Where(r => live.Contains(r) && p.Isr.Contains(r)).ToArray();
            PartitionAssignment? next = null;
            if (p.Leader >= 0 && live.Contains(p.Leader))
            {
                if (liveIsr.Length != p.Isr.Count) next = p with { Isr = liveIsr, PartitionEpoch = p.PartitionEpoch + 1 };
            }
            else if (cleanCandidates.Length > 0)
                next = p with { Leader = cleanCandidates[0], LeaderEpoch = p.LeaderEpoch + 1, Isr = liveIsr, PartitionEpoch = p.PartitionEpoch + 1 };
            else if (p.Replicas.Any(live.Contains) && uncleanAllowed(topic))
            {
                var leader = UncleanCandidates(new TopicPartition(topic.Name, p.Partition), p).First(live.Contains);
                next = p with { Leader = leader, LeaderEpoch = p.LeaderEpoch + 1, Isr = [leader], PartitionEpoch = p.PartitionEpoch + 1 };
                unclean.Add((topic.Name, p.Partition));
            }
            else if (p.Leader != -1)
                next = p with { Leader = -1, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 };
            if (next != null) changes.Add((topic.Name, next));
        }
        return changes.Count == 0 ? ControllerResult.Nothing : ControllerResult.Record(new LeadershipChanged(changes, unclean));
    }

    /// <summary>
    /// A replica reported its log corrupt: it leaves the ISR (Kafka marks such a replica offline), and if it led, the
    /// next live in-sync replica in assignment order leads at a new leader epoch. A replica that is the only one in
    /// sync keeps its place (moving would lose every record only it has); nothing is recorded then, nor when nothing
    /// changes. The report is a notice, not a request: nobody is answered.
    /// </summary>
    public ControllerResult DecideCorruptReplica(ReplicaLogCorrupted report, IReadOnlyCollection<int> live)
    {
        if (!_topics.TryGetValue(report.TopicPartition.Topic, out var topic) || report.TopicPartition.Partition < 0 || report.TopicPartition.Partition >= topic.Partitions.Count)
            return ControllerResult.Nothing;
        var p = topic.Partitions[report.TopicPartition.Partition];
        if (!p.Isr.Contains(report.BrokerId)) return ControllerResult.Nothing;
        var others = p.Replicas.Where(r => r != report.BrokerId && live.Contains(r) && p.Isr.Contains(r)).ToArray();
        if (others.Length == 0) return ControllerResult.Nothing;
        var isr = p.Isr.Where(r => r != report.BrokerId).ToArray();
        var next = p.Leader == report.BrokerId
            ? p with { Leader = others[0], LeaderEpoch = p.LeaderEpoch + 1, Isr = isr, PartitionEpoch = p.PartitionEpoch + 1 }
            : p with { Isr = isr, PartitionEpoch = p.PartitionEpoch + 1 };
        return ControllerResult.Record(new LeadershipChanged([(topic.Name, next)], []));
    }

    /// <summary>
    /// Preferred-leader election (<c>auto.leader.rebalance.enable</c>): every partition whose first replica is live, in
    /// sync and not leading is given back to it. Nothing is recorded when all are led by their preferred replica (or
    /// cannot be).
    /// </summary>
    public ControllerResult DecidePreferredLeaders(IReadOnlyCollection<int> live)
    {
        var changes = new List<(string, PartitionAssignment)>();
        foreach (var topic in _topics.Values)
        foreach (var p in topic.Partitions)
        {
            var preferred = p.Replicas[0];
            if (p.Leader != preferred && live.Contains(preferred) && p.Isr.Contains(preferred) && (p.Leader < 0 || live.Contains(p.Leader)))
                changes.Add((topic.Name, p with { Leader = preferred, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 }));
        }
        return changes.Count == 0 ? ControllerResult.Nothing : ControllerResult.Record(new LeadershipChanged(changes, []));
    }

    /// <summary>
    /// An operator's election (Kafka's ElectLeaders, <c>kafka-leader-election</c>). Preferred: each partition whose first
    /// replica is live and in sync but not leading is given to it (PREFERRED_LEADER_NOT_AVAILABLE when it is not live and
    /// in sync). Unclean: each partition with no live leader gets its first live in-sync replica, or with none its first
    /// live replica, whatever the topic's <c>unclean.leader.election.enable</c> says (the operator chose to risk losing
    /// acknowledged records; ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is live). A partition already led as the
    /// election would have it is ELECTION_NOT_NEEDED. With no partitions named, every partition is considered and only
    /// those elected or that could not be are answered. Records one <see cref="LeadershipChanged"/> for all elected.
    /// </summary>
    public ControllerResult DecideElectLeaders(ElectLeadersRequest r, IReadOnlyCollection<int> live)
    {
        var results = new List<PartitionOutcome>();
        var changes = new List<(string, PartitionAssignment)>();
        var unclean = new List<(string, int)>();
        var named = r.Partitions != null;
        var partitions = r.Partitions?.Distinct()
                         ?? _topics.Values.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Name, p.Partition)));
        foreach (var tp in partitions)
        {
            if (!_topics.TryGetValue(tp.Topic, out var topic) || tp.Partition < 0 || tp.Partition >= topic.Partitions.Count)
            {
                results.Add(new PartitionOutcome(tp, ErrorCode.UnknownTopicOrPartition, $"{tp} does not exist."));
                continue;
            }
            var p = topic.Partitions[tp.Partition];
            var leaderLive = p.Leader >= 0 && live.Contains(p.Leader);
            PartitionOutcome? refusal = null;
            PartitionAssignment? next = null;
            if (r.Type == LeaderElectionType.Preferred)
            {
                var preferred = p.Replicas[0];
                if (p.Leader == preferred && leaderLive)
                    refusal = new(tp, ErrorCode.ElectionNotNeeded, $"{tp} is led by its preferred replica, broker {preferred}.");
                else if (!live.Contains(preferred) || !p.Isr.Contains(preferred))
                    refusal = new(tp, ErrorCode.PreferredLeaderNotAvailable,
                        $"{tp}'s preferred replica, broker {preferred}, is {(live.Contains(preferred) ? "not in sync" : "not live")}; it leads again once it is live and in sync.");
                else
                    next = p with { Leader = preferred, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 };
            }
            else if (leaderLive)
                refusal = new(tp, ErrorCode.ElectionNotNeeded, $"{tp} is led by live broker {p.Leader}; an unclean election is only for partitions with no live leader.");
            else if (p.Replicas.FirstOrDefault(b => live.Contains(b) && p.Isr.Contains(b), -1) is var clean and >= 0)
                next = p with { Leader = clean, LeaderEpoch = p.LeaderEpoch + 1, Isr = p.Isr.Where(live.Contains).ToArray(), PartitionEpoch = p.PartitionEpoch + 1 };
            else if (UncleanCandidates(tp, p).FirstOrDefault(live.Contains, -1) is var any and >= 0)
            {
                next = p with { Leader = any, LeaderEpoch = p.LeaderEpoch + 1, Isr = [any], PartitionEpoch = p.PartitionEpoch + 1 };
                unclean.Add((topic.Name, p.Partition));
            }
            else
                refusal = new(tp, ErrorCode.EligibleLeadersNotAvailable, $"No replica of {tp} ({string.Join(",", p.Replicas)}) is live.");
            if (next != null)
            {
                changes.Add((topic.Name, next));
                results.Add(new PartitionOutcome(tp, ErrorCode.None, null));
            }
            else if (named || refusal!.Error != ErrorCode.ElectionNotNeeded)
                results.Add(refusal!);
        }
        var response = new ElectLeadersResponse(ErrorCode.None, null, results);
        return changes.Count == 0 ? ControllerResult.Reply(response) : ControllerResult.Record(new LeadershipChanged(changes, unclean), response);
    }

    /// <summary>
    /// An operator's partition reassignment (Kafka's AlterPartitionReassignments, KIP-455). To start one, a partition's
    /// replicas become the target followed by its current replicas not in it (the new ones copy the log and join the ISR
    /// as any follower does); <see cref="DecideReassignmentProgress"/> completes it. Null replicas cancel one in progress:
    /// the original replicas come back, the added ones go. Each change is a new leadership (leader epoch + 1) so every
    /// replica learns the replica set, as Kafka's controller sends LeaderAndIsr. The target must be distinct live brokers
    /// (INVALID_REPLICA_ASSIGNMENT); a partition already being reassigned must be cancelled first (REASSIGNMENT_IN_PROGRESS).
    /// </summary>
    public ControllerResult DecideReassign(ReassignPartitionsRequest r, IReadOnlyCollection<int> liveBrokers)
    {
        var results = new List<PartitionOutcome>();
        var changes = new List<(string, PartitionAssignment)>();
        var started = new List<PartitionReassignment>();
        var ended = new List<TopicPartition>();
        if (r.ThrottleBytesPerSecond < 0)
            return ControllerResult.Reply(new ReassignPartitionsResponse(ErrorCode.InvalidRequest, $"The throttle must be 0 (none) or more bytes per second, got {r.ThrottleBytesPerSecond}.", []));
        foreach (var target in r.Partitions)
        {
            var tp = target.TopicPartition;
            PartitionOutcome Refused(ErrorCode code, string message) => new(tp, code, message);
            if (results.Any(x => x.TopicPartition == tp))
            {
                results.Add(Refused(ErrorCode.InvalidRequest, $"{tp} is named more than once; name each partition once."));
                continue;
            }
            if (!_topics.TryGetValue(tp.Topic, out var topic) || tp.Partition < 0 || tp.Partition >= topic.Partitions.Count)
            {
                results.Add(Refused(ErrorCode.UnknownTopicOrPartition, $"{tp} does not exist."));
                continue;
            }
            var p = topic.Partitions[tp.Partition];
            if (target.Replicas == null)
            {
                if (!_reassignments.TryGetValue(tp, out var ongoing))
                {
                    results.Add(Refused(ErrorCode.NoReassignmentInProgress, $"{tp} is not being reassigned."));
                    continue;
                }
                var isr = ongoing.Original.Where(p.Isr.Contains).ToArray();
                var leader = ongoing.Original.Contains(p.Leader) && liveBrokers.Contains(p.Leader) ? p.Leader : isr.FirstOrDefault(liveBrokers.Contains, -1);
                if (leader < 0)
                {
                    // Going back would leave the partition with no leader and delete the live copies it has.
                    results.Add(Refused(ErrorCode.ReassignmentInProgress,
                        $"{tp} cannot go back to replicas {string.Join(",", ongoing.Original)}: none of them is live and in sync. Let the reassignment finish."));
                    continue;
                }
                changes.Add((tp.Topic, p with { Replicas = ongoing.Original, Isr = isr, Leader = leader, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 }));
                ended.Add(tp);
                results.Add(new PartitionOutcome(tp, ErrorCode.None, null));
                continue;
            }
            var replicas = target.Replicas;
            var notLive = replicas.FirstOrDefault(b => !liveBrokers.Contains(b), -1);
            if (replicas.Count == 0 || replicas.Distinct().Count() != replicas.Count || notLive >= 0)
            {
                results.Add(Refused(ErrorCode.InvalidReplicaAssignment,
                    replicas.Count == 0 ? $"{tp} needs at least one replica."
                    : replicas.Distinct().Count() != replicas.Count ? $"The replicas {string.Join(",", replicas)} of {tp} name a broker twice."
                    : $"Broker {notLive} is not a live broker; the live brokers are {string.Join(",", liveBrokers.Order())}."));
                continue;
            }
            if (_reassignments.ContainsKey(tp))
            {
                results.Add(Refused(ErrorCode.ReassignmentInProgress, $"{tp} is being reassigned already; wait for it to finish or cancel it first."));
                continue;
            }
            results.Add(new PartitionOutcome(tp, ErrorCode.None, null));
            if (replicas.SequenceEqual(p.Replicas)) continue;
            if (replicas.Order().SequenceEqual(p.Replicas.Order()))
            {
                // Only the order changes (the preferred leader): nothing to copy.
                changes.Add((tp.Topic, p with { Replicas = replicas.ToArray(), PartitionEpoch = p.PartitionEpoch + 1 }));
                continue;
            }
            changes.Add((tp.Topic, p with { Replicas = replicas.Concat(p.Replicas.Except(replicas)).ToArray(), LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 }));
            started.Add(new PartitionReassignment(tp, replicas.ToArray(), p.Replicas, r.ThrottleBytesPerSecond));
        }
        var response = new ReassignPartitionsResponse(ErrorCode.None, null, results);
        return changes.Count == 0 ? ControllerResult.Reply(response)
            : new ControllerResult([new LeadershipChanged(changes, []), new ReassignmentsChanged(started, ended)], response);
    }

    /// <summary>
    /// Completes each reassignment whose target replicas are all in sync: the replicas become the target, the ISR keeps
    /// only target replicas, and a leader that is not a target replica hands over to the first in-sync target replica
    /// (at a new leader epoch, as for every change of replicas). Nothing when none is complete.
    /// </summary>
    public ControllerResult DecideReassignmentProgress(IReadOnlyCollection<int> live)
    {
        var changes = new List<(string, PartitionAssignment)>();
        var ended = new List<TopicPartition>();
        foreach (var r in _reassignments.Values)
        {
            var p = _topics[r.TopicPartition.Topic].Partitions[r.TopicPartition.Partition];
            if (!r.Target.All(p.Isr.Contains)) continue;
            var isr = r.Target.Where(p.Isr.Contains).ToArray();
            var leader = r.Target.Contains(p.Leader) && live.Contains(p.Leader) ? p.Leader : isr.FirstOrDefault(live.Contains, -1);
            changes.Add((r.TopicPartition.Topic, p with { Replicas = r.Target, Isr = isr, Leader = leader, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 }));
            ended.Add(r.TopicPartition);
        }
        return changes.Count == 0 ? ControllerResult.Nothing : new ControllerResult([new LeadershipChanged(changes, []), new ReassignmentsChanged([], ended)], null);
    }

    /// <summary>
    /// Who may lead in an unclean election, in order: a partition being reassigned lists its new replicas first, but
    /// those have copied least of the log, so its original replicas come first here.
    /// </summary>
    private IEnumerable<int> UncleanCandidates(TopicPartition tp, PartitionAssignment p) =>
        _reassignments.TryGetValue(tp, out var r) ? r.Original.Concat(p.Replicas.Except(r.Original)) : p.Replicas;

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

    /// <summary>The reassignments in progress, as Kafka's ListPartitionReassignments answers.</summary>
    public ListPartitionReassignmentsResponse ListReassignments() =>
        new(ErrorCode.None, null, _reassignments.Values.OrderBy(r => r.TopicPartition.Topic, StringComparer.Ordinal).ThenBy(r => r.TopicPartition.Partition)
            .Select(r => new OngoingReassignment(r.TopicPartition, _topics[r.TopicPartition.Topic].Partitions[r.TopicPartition.Partition].Replicas,
                r.Adding, r.Removing, r.ThrottleBytesPerSecond)).ToArray());

    /// <summary>
    /// A leader's proposal of a new ISR (Kafka's AlterPartition): accepted only from the current leader at the current
    /// leader and partition epochs, naming replicas of the partition, the leader among them, and (for additions) live
    /// brokers. Records the new ISR and answers with the recorded assignment; a refusal, or an ISR that is already the
    /// recorded one, is only answered.
    /// </summary>
    public ControllerResult DecideAlterPartition(AlterPartitionRequest r, IReadOnlyCollection<int> live)
    {
        ControllerResult Refuse(ErrorCode code, string message, PartitionAssignment? current) =>
            ControllerResult.Reply(new AlterPartitionResponse(r.TopicPartition, code, message, current));
        if (!_topics.TryGetValue(r.TopicPartition.Topic, out var topic) || r.TopicPartition.Partition >= topic.Partitions.Count || r.TopicPartition.Partition < 0)
            return Refuse(ErrorCode.UnknownTopicOrPartition, $"{r.TopicPartition} does not exist", null);
        var p = topic.Partitions[r.TopicPartition.Partition];
        if (p.Leader != r.LeaderId || p.LeaderEpoch != r.LeaderEpoch)
            return Refuse(ErrorCode.FencedLeaderEpoch,
                $"{r.TopicPartition} is led by broker {p.Leader} at epoch {p.LeaderEpoch}, not by broker {r.LeaderId} at epoch {r.LeaderEpoch}", p);
        if (p.PartitionEpoch != r.PartitionEpoch)
            return Refuse(ErrorCode.InvalidUpdateVersion, $"{r.TopicPartition} is at partition epoch {p.PartitionEpoch}, the proposal was made at {r.PartitionEpoch}", p);
        if (!r.NewIsr.Contains(r.LeaderId) || r.NewIsr.Any(b => !p.Replicas.Contains(b)) || r.NewIsr.Distinct().Count() != r.NewIsr.Count)
            return Refuse(ErrorCode.InvalidRequest,
                $"the proposed ISR {string.Join(",", r.NewIsr)} of {r.TopicPartition} must hold the leader and only distinct replicas ({string.Join(",", p.Replicas)})", p);
        var added = r.NewIsr.Except(p.Isr).Where(b => !live.Contains(b)).ToArray();
        if (added.Length > 0)
            return Refuse(ErrorCode.InvalidRequest, $"broker(s) {string.Join(",", added)} are not live and cannot join the ISR of {r.TopicPartition}", p);
        var isr = p.Replicas.Where(r.NewIsr.Contains).ToArray();
        if (isr.SequenceEqual(p.Isr)) return ControllerResult.Reply(new AlterPartitionResponse(r.TopicPartition, ErrorCode.None, null, p));
        var next = p with { Isr = isr, PartitionEpoch = p.PartitionEpoch + 1 };
        return ControllerResult.Record(new LeadershipChanged([(topic.Name, next)], []), new AlterPartitionResponse(r.TopicPartition, ErrorCode.None, null, next));
    }

    /// <summary>The consumer groups that exist (have members or offsets), as their coordinators reported them.</summary>
    public IReadOnlyCollection<string> Groups => _groups;

    /// <summary>
    /// Records a group's coming into being or going away; nothing when the directory already agrees. A coordinator's
    /// report, not a request: nobody is answered.
    /// </summary>
    public ControllerResult DecideGroupDirectory(string groupId, bool exists) =>
        exists == _groups.Contains(groupId) ? ControllerResult.Nothing
        : ControllerResult.Record(exists ? new GroupRegistered(groupId) : new GroupUnregistered(groupId));

    public ControllerSnapshot ToSnapshot() => new(_topics.Values.ToArray(), AllocatedProducerIdsEnd, _groups.ToArray(), ControllerEpoch, [], Version, _registeredNodes.ToArray(),
        _reassignments.Values.ToArray(), _brokerConfigs.Select(kv => new BrokerConfigsChanged(kv.Key, kv.Value)).ToArray());

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
        _groups.Clear();
        foreach (var g in snapshot.Groups) _groups.Add(g);
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
