using System.Globalization;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Topics;

/// <summary>
/// A topic's effective configuration, typed. Built from the broker defaults plus the topic's overrides, which
/// <see cref="TopicConfigValidator"/> has accepted; parsing here cannot fail for validated input.
/// </summary>
public sealed record TopicConfig(
    IReadOnlyList<string> CleanupPolicy,
    long RetentionMs,
    long RetentionBytes,
    int SegmentBytes,
    int MaxMessageBytes,
    TimestampType MessageTimestampType,
    int MinInsyncReplicas,
    bool UncleanLeaderElectionEnable)
{
    public const string CleanupPolicyKey = "cleanup.policy";
    public const string RetentionMsKey = "retention.ms";
    public const string RetentionBytesKey = "retention.bytes";
    public const string SegmentBytesKey = "segment.bytes";
    public const string MaxMessageBytesKey = "max.message.bytes";
    public const string MessageTimestampTypeKey = "message.timestamp.type";
    public const string MinInsyncReplicasKey = "min.insync.replicas";
    public const string UncleanLeaderElectionEnableKey = "unclean.leader.election.enable";

    public static TopicConfig FromMap(IReadOnlyDictionary<string, string> map) => new(
        map[CleanupPolicyKey].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        long.Parse(map[RetentionMsKey], CultureInfo.InvariantCulture),
        long.Parse(map[RetentionBytesKey], CultureInfo.InvariantCulture),
        int.Parse(map[SegmentBytesKey], CultureInfo.InvariantCulture),
        int.Parse(map[MaxMessageBytesKey], CultureInfo.InvariantCulture),
        Enum.Parse<TimestampType>(map[MessageTimestampTypeKey]),
        int.Parse(map[MinInsyncReplicasKey], CultureInfo.InvariantCulture),
        // Journals written before the key existed hold configs without it: Kafka's default then.
        map.TryGetValue(UncleanLeaderElectionEnableKey, out var unclean) && bool.Parse(unclean));
}
