namespace AkkaBroker.Protocol.Messages;

/// <summary>A partition of a topic, the unit of ordering and of sharding.</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}-{Partition}";
}
