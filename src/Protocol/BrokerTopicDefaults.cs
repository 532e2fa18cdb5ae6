namespace AkkaBroker.Protocol;

/// <summary>
/// The broker configs that are the defaults of topic configs, with the topic config each is the default of (Kafka's
/// <c>log.retention.ms</c> for <c>retention.ms</c> ...). Kafka names a topic value that is not overridden by its broker
/// key in DescribeConfigs synonyms, so the client needs the pairs as much as the broker does.
/// </summary>
public static class BrokerTopicDefaults
{
    public static IReadOnlyList<(string BrokerKey, string TopicKey)> Pairs { get; } =
    [
        ("log.cleanup.policy", "cleanup.policy"),
        ("log.retention.ms", "retention.ms"),
        ("log.retention.bytes", "retention.bytes"),
        ("log.segment.bytes", "segment.bytes"),
        ("message.max.bytes", "max.message.bytes"),
        ("log.message.timestamp.type", "message.timestamp.type"),
        ("min.insync.replicas", "min.insync.replicas"),
        ("unclean.leader.election.enable", "unclean.leader.election.enable"),
        ("log.roll.ms", "segment.ms"),
        ("log.cleaner.delete.retention.ms", "delete.retention.ms"),
        ("log.cleaner.min.cleanable.ratio", "min.cleanable.dirty.ratio"),
        ("log.cleaner.min.compaction.lag.ms", "min.compaction.lag.ms"),
        ("log.cleaner.max.compaction.lag.ms", "max.compaction.lag.ms"),
    ];

    /// <summary>The broker key whose value a topic takes for <paramref name="topicKey"/> when it does not override it, or null.</summary>
    public static string? BrokerKeyOf(string topicKey) => Pairs.FirstOrDefault(p => p.TopicKey == topicKey).BrokerKey;

    /// <summary>The topic config <paramref name="brokerKey"/> is the default of, or null.</summary>
    public static string? TopicKeyOf(string brokerKey) => Pairs.FirstOrDefault(p => p.BrokerKey == brokerKey).TopicKey;
}
