namespace AkkaBroker.Client;

// Cluster and group descriptions with Confluent.Kafka's names and shapes (lists and arrays where it has them), so
// code written against Confluent.Kafka reads them unchanged.

/// <summary>A broker: its id and the address clients reach it at.</summary>
public sealed class BrokerMetadata(int brokerId, string host, int port)
{
    /// <summary>The broker's id (<c>broker.id</c>).</summary>
    public int BrokerId { get; } = brokerId;
    /// <summary>The host clients connect to.</summary>
    public string Host { get; } = host;
    /// <summary>The port clients connect to.</summary>
    public int Port { get; } = port;
    /// <inheritdoc />
    public override string ToString() => $"{{ \"BrokerId\": {BrokerId}, \"Host\": \"{Host}\", \"Port\": {Port} }}";
}

/// <summary>A partition's leader (-1 while it has none), replicas and in-sync replicas.</summary>
public sealed class PartitionMetadata(int partitionId, int leader, int[] replicas, int[] inSyncReplicas, Error error)
{
    /// <summary>The partition number.</summary>
    public int PartitionId { get; } = partitionId;
    /// <summary>The broker that leads the partition; -1 while it is offline.</summary>
    public int Leader { get; } = leader;
    /// <summary>The brokers holding a replica, the preferred leader first.</summary>
    public int[] Replicas { get; } = replicas;
    /// <summary>The replicas caught up with the leader (Kafka's ISR).</summary>
    public int[] InSyncReplicas { get; } = inSyncReplicas;
    /// <summary>LEADER_NOT_AVAILABLE while the partition has no leader, else no error.</summary>
    public Error Error { get; } = error;
    /// <inheritdoc />
    public override string ToString() =>
        $"{{ \"PartitionId\": {PartitionId}, \"Leader\": {Leader}, \"Replicas\": [{string.Join(",", Replicas)}], \"InSyncReplicas\": [{string.Join(",", InSyncReplicas)}], \"Error\": \"{Error.Code}\" }}";
}

/// <summary>A topic's partitions, or the error that kept it from being described (UNKNOWN_TOPIC_OR_PART for one that does not exist).</summary>
public sealed class TopicMetadata(string topic, List<PartitionMetadata> partitions, Error error)
{
    /// <summary>The topic name.</summary>
    public string Topic { get; } = topic;
    /// <summary>Its partitions in order of their numbers; empty when <see cref="Error"/> is set.</summary>
    public List<PartitionMetadata> Partitions { get; } = partitions;
    /// <summary>Why the topic could not be described, or no error.</summary>
    public Error Error { get; } = error;
    /// <inheritdoc />
    public override string ToString() => $"{{ \"Topic\": \"{Topic}\", \"Partitions\": [{string.Join(", ", Partitions)}], \"Error\": \"{Error.Code}\" }}";
}

/// <summary>The cluster's brokers and topics as one broker answered them.</summary>
public sealed class Metadata(List<BrokerMetadata> brokers, List<TopicMetadata> topics, int originatingBrokerId, string originatingBrokerName)
{
    /// <summary>The live brokers.</summary>
    public List<BrokerMetadata> Brokers { get; } = brokers;
    /// <summary>The topics asked for (all topics when none were named).</summary>
    public List<TopicMetadata> Topics { get; } = topics;
    /// <summary>The broker that answered; -1 from this client (its answers come through any broker's gateway).</summary>
    public int OriginatingBrokerId { get; } = originatingBrokerId;
    /// <summary>The answering broker's name; "" from this client.</summary>
    public string OriginatingBrokerName { get; } = originatingBrokerName;
    /// <summary>The broker that runs the controller (-1 while there is none). Not in Confluent.Kafka's Metadata.</summary>
    public int ControllerId { get; init; } = -1;
    /// <inheritdoc />
    public override string ToString() =>
        $"{{ \"OriginatingBrokerId\": {OriginatingBrokerId}, \"Brokers\": [{string.Join(", ", Brokers)}], \"Topics\": [{string.Join(", ", Topics)}] }}";
}

/// <summary>A cluster node: a broker, or a controller-only node.</summary>
public sealed class Node
{
    /// <summary>The node's id.</summary>
    public int Id { get; init; }
    /// <summary>Its host ("" when the node serves no clients).</summary>
    public string Host { get; init; } = "";
    /// <summary>Its port (-1 when the node serves no clients).</summary>
    public int Port { get; init; } = -1;
    /// <summary>Its rack; this broker has no rack awareness, so always null.</summary>
    public string? Rack { get; init; }
    /// <inheritdoc />
    public override string ToString() => $"{{\"Id\": {Id}, \"Host\": \"{Host}\", \"Port\": {Port}, \"Rack\": {(Rack == null ? "null" : $"\"{Rack}\"")}}}";
}

/// <summary>A consumer group's state, with Kafka's names.</summary>
public enum ConsumerGroupState
{
    /// <summary>A state this client does not know.</summary>
    Unknown = 0,
    /// <summary>A rebalance started: members are rejoining.</summary>
    PreparingRebalance = 1,
    /// <summary>Members have joined and wait for their assignments.</summary>
    CompletingRebalance = 2,
    /// <summary>Every member holds its assignment.</summary>
    Stable = 3,
    /// <summary>The group does not exist (never created, or deleted).</summary>
    Dead = 4,
    /// <summary>No members, but committed offsets.</summary>
    Empty = 5,
}

/// <summary>A consumer group's rebalance protocol: every group here uses Kafka's classic protocol.</summary>
public enum ConsumerGroupType
{
    /// <summary>Not known.</summary>
    Unknown = 0,
    /// <summary>KIP-848's consumer protocol (not served by this broker).</summary>
    Consumer = 1,
    /// <summary>The classic JoinGroup/SyncGroup protocol.</summary>
    Classic = 2,
}

/// <summary>A group and some of its partitions.</summary>
public sealed class ConsumerGroupTopicPartitions(string group, List<TopicPartition>? topicPartitions)
{
    /// <summary>The group id.</summary>
    public string Group { get; } = group;
    /// <summary>The partitions; null for all the group has offsets for.</summary>
    public List<TopicPartition>? TopicPartitions { get; } = topicPartitions;
    /// <inheritdoc />
    public override string ToString() => $"{Group} [{string.Join(", ", TopicPartitions ?? [])}]";
}

/// <summary>A group and offsets for some of its partitions.</summary>
public sealed class ConsumerGroupTopicPartitionOffsets(string group, List<TopicPartitionOffset> topicPartitionOffsets)
{
    /// <summary>The group id.</summary>
    public string Group { get; } = group;
    /// <summary>The partitions and their offsets.</summary>
    public List<TopicPartitionOffset> TopicPartitionOffsets { get; } = topicPartitionOffsets;
    /// <inheritdoc />
    public override string ToString() => $"{Group} [{string.Join(", ", TopicPartitionOffsets)}]";
}

/// <summary>A partition's offset, or the error that kept it from being read or set.</summary>
public sealed record TopicPartitionOffsetError(TopicPartition TopicPartition, Offset Offset, Error Error, int? LeaderEpoch = null)
{
    /// <summary>A partition's offset and error.</summary>
    public TopicPartitionOffsetError(TopicPartitionOffset tpo, Error error) : this(tpo.TopicPartition, tpo.Offset, error) { }

    /// <summary>A partition's offset and error.</summary>
    public TopicPartitionOffsetError(string topic, Partition partition, Offset offset, Error error, int? leaderEpoch = null)
        : this(new TopicPartition(topic, partition), offset, error, leaderEpoch) { }

    /// <summary>The topic.</summary>
    public string Topic => TopicPartition.Topic;
    /// <summary>The partition.</summary>
    public Partition Partition => TopicPartition.Partition;
    /// <summary>The partition and offset.</summary>
    public TopicPartitionOffset TopicPartitionOffset => new(TopicPartition, Offset);
}

/// <summary>A partition and an error (or none).</summary>
public sealed record TopicPartitionError(TopicPartition TopicPartition, Error Error)
{
    /// <summary>A partition and an error.</summary>
    public TopicPartitionError(string topic, Partition partition, Error error) : this(new TopicPartition(topic, partition), error) { }

    /// <summary>The topic.</summary>
    public string Topic => TopicPartition.Topic;
    /// <summary>The partition.</summary>
    public Partition Partition => TopicPartition.Partition;
}

/// <summary>Which leader an election gives a partition.</summary>
public enum ElectionType
{
    /// <summary>Its preferred replica (the first), when that one is live and in sync: spreads leadership back out after brokers returned.</summary>
    Preferred = 0,
    /// <summary>
    /// For a partition with no live leader only: its first live in-sync replica, or with none its first live replica
    /// even if out of sync. Records acknowledged before may be lost; a last resort when the in-sync replicas are gone.
    /// </summary>
    Unclean = 1,
}
