namespace AkkaBroker.Protocol.Messages;

// Events the controller persists and the snapshot of its state. Kept in the protocol assembly only because the one
// serializer (Serialization/BrokerSerializer) must see every type it writes; only the controller actor uses them.

/// <summary>
/// One partition's replicas and leadership (Kafka's PartitionRegistration). <c>Replicas</c> are in preference order (the
/// first is the preferred leader). <c>Leader</c> is -1 while the partition is offline. <c>LeaderEpoch</c> grows with
/// every change of leader; <c>PartitionEpoch</c> with every change at all (leader or ISR), so stale requests are told
/// apart. <c>Isr</c>: the in-sync replicas, the leader among them.
/// </summary>
public sealed record PartitionAssignment(int Partition, IReadOnlyList<int> Replicas, int Leader, int LeaderEpoch, IReadOnlyList<int> Isr, int PartitionEpoch)
{
    /// <summary>A new partition: led by its preferred replica, every replica in sync, epochs 0.</summary>
    public PartitionAssignment(int partition, IReadOnlyList<int> replicas) : this(partition, replicas, replicas[0], 0, replicas, 0)
    {
    }
}

/// <summary>A topic's metadata as the controller keeps it: only the config overrides, defaults are the broker's.</summary>
public sealed record TopicState(string Name, short ReplicationFactor, IReadOnlyDictionary<string, string> ConfigOverrides,
    IReadOnlyList<PartitionAssignment> Partitions);

public sealed record TopicCreated(TopicState Topic);

public sealed record TopicDeleted(string Name);

public sealed record PartitionsAdded(string Name, IReadOnlyList<PartitionAssignment> NewPartitions);

/// <summary>The topic's complete new set of config overrides.</summary>
public sealed record TopicConfigsChanged(string Name, IReadOnlyDictionary<string, string> ConfigOverrides);

/// <summary>Producer ids below <c>NextProducerId</c> have been handed out; survives restarts so ids never repeat.</summary>
public sealed record ProducerIdsAllocated(long NextProducerId);

/// <summary>
/// The controller's state, replicated to the brokers through Akka.DistributedData. <c>Groups</c> is the consumer-group
/// directory older versions kept here (brokers now keep the groups they coordinate); read back once, written empty. <c>ControllerEpoch</c> counts controller incarnations: each new controller
/// takes the next one, so decisions of an older controller can be told apart. <c>OffsetsPartitions</c> places the
/// group coordinators as Kafka's <c>__consumer_offsets</c> partitions do (empty until the first group asks).
/// </summary>
/// <c>Version</c> counts the changes ever written; it orders replicated copies (newest wins), never the wall clock.
/// <c>RegisteredNodes</c> are the ids of the nodes that have ever been live, brokers and controller-only nodes: each
/// keeps a copy of this state, so a majority of them must be up before a controller trusts what it reads, and reads
/// and writes go to at least that many nodes (all members, when fewer are up).
/// <c>Reassignments</c> are the partition reassignments in progress (older snapshots have none). <c>BrokerConfigs</c> are
/// the dynamic broker configs, per broker and the cluster-wide default (older snapshots have none). <c>ScramCredentials</c>
/// are the users' SASL/SCRAM credentials (salted keys, never passwords; older snapshots have none), <c>Acls</c> the
/// access control lists (older snapshots have none), <c>ScramBootstrapped</c> the <c>sasl.add-scram</c> entries applied,
/// <c>ClientQuotas</c> the client quotas set per user and client id (older snapshots have none).
public sealed record ControllerSnapshot(IReadOnlyList<TopicState> Topics, long NextProducerId, IReadOnlyList<string> Groups, int ControllerEpoch,
    IReadOnlyList<PartitionAssignment> OffsetsPartitions, long Version, IReadOnlyList<int> RegisteredNodes, IReadOnlyList<PartitionReassignment> Reassignments,
    IReadOnlyList<BrokerConfigsChanged>? BrokerConfigs = null, IReadOnlyList<UserScramCredentialsChanged>? ScramCredentials = null,
    IReadOnlyList<AclBinding>? Acls = null, IReadOnlyList<string>? ScramBootstrapped = null, IReadOnlyList<ClientQuotasChanged>? ClientQuotas = null);

/// <summary>
/// A reassignment in progress (Kafka's KIP-455): the partition's replicas are <c>Target</c> followed by those of
/// <c>Original</c> not in it, until every target replica is in sync; then they become <c>Target</c>.
/// </summary>
public sealed record PartitionReassignment(TopicPartition TopicPartition, IReadOnlyList<int> Target, IReadOnlyList<int> Original, long ThrottleBytesPerSecond)
{
    /// <summary>The replicas that copy the log from scratch.</summary>
    public IReadOnlyList<int> Adding => Target.Except(Original).ToArray();

    /// <summary>The replicas removed once the new ones are in sync.</summary>
    public IReadOnlyList<int> Removing => Original.Except(Target).ToArray();
}

/// <summary>Controller state change: reassignments started (or replaced) and ended (completed or cancelled).</summary>
public sealed record ReassignmentsChanged(IReadOnlyList<PartitionReassignment> Started, IReadOnlyList<TopicPartition> Ended);

/// <summary>A node (broker or controller-only) was live for the first time; it counts towards the controller's majority from now on.</summary>
public sealed record NodeRegistered(int NodeId);

/// <summary>An operator unregistered a node that is gone for good: it no longer counts towards the controller's majority.</summary>
public sealed record NodeUnregistered(int NodeId);

/// <summary>The group coordinators' placement was decided: offsets partition i is led by the first broker of entry i.</summary>
public sealed record OffsetsPartitionsAssigned(IReadOnlyList<PartitionAssignment> Partitions);

/// <summary>
/// The complete new set of dynamic configs of a broker (<c>Broker</c> its node id) or of the cluster-wide default
/// (<c>Broker</c> empty); an empty set removes the entity.
/// </summary>
public sealed record BrokerConfigsChanged(string Broker, IReadOnlyDictionary<string, string> Configs);
