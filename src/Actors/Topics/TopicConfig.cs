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
    bool UncleanLeaderElectionEnable,
    long SegmentMs,
    long DeleteRetentionMs,
    double MinCleanableDirtyRatio,
    long MinCompactionLagMs,
    long MaxCompactionLagMs)
{
    public const string CleanupPolicyKey = "cleanup.policy";
    public const string RetentionMsKey = "retention.ms";
    public const string RetentionBytesKey = "retention.bytes";
    public const string SegmentBytesKey = "segment.bytes";
    public const string MaxMessageBytesKey = "max.message.bytes";
    public const string MessageTimestampTypeKey = "message.timestamp.type";
    public const string MinInsyncReplicasKey = "min.insync.replicas";
    public const string UncleanLeaderElectionEnableKey = "unclean.leader.election.enable";
    public const string SegmentMsKey = "segment.ms";
    public const string DeleteRetentionMsKey = "delete.retention.ms";
    public const string MinCleanableDirtyRatioKey = "min.cleanable.dirty.ratio";
    public const string MinCompactionLagMsKey = "min.compaction.lag.ms";
    public const string MaxCompactionLagMsKey = "max.compaction.lag.ms";

    /// <summary>The log deletes old segments by time and size (<c>cleanup.policy</c> has <c>delete</c>).</summary>
    public bool Deletes => CleanupPolicy.Contains("delete");

    /// <summary>The log keeps the latest record per key (<c>cleanup.policy</c> has <c>compact</c>).</summary>
    public bool Compacts => CleanupPolicy.Contains("compact");

    public static TopicConfig FromMap(IReadOnlyDictionary<string, string> map) => new(
        map[CleanupPolicyKey].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        long.Parse(map[RetentionMsKey], CultureInfo.InvariantCulture),
        long.Parse(map[RetentionBytesKey], CultureInfo.InvariantCulture),
        int.Parse(map[SegmentBytesKey], CultureInfo.InvariantCulture),
        int.Parse(map[MaxMessageBytesKey], CultureInfo.InvariantCulture),
        Enum.Parse<TimestampType>(map[MessageTimestampTypeKey]),
        int.Parse(map[MinInsyncReplicasKey], CultureInfo.InvariantCulture),
        // Journals written before the key existed hold configs without it: Kafka's default then.
        map.TryGetValue(UncleanLeaderElectionEnableKey, out var unclean) && bool.Parse(unclean),
        // Likewise for the log cleaner's keys, added later: Kafka's defaults when absent.
        Long(map, SegmentMsKey, 604_800_000),
        Long(map, DeleteRetentionMsKey, 86_400_000),
        map.TryGetValue(MinCleanableDirtyRatioKey, out var ratio) ? double.Parse(ratio, CultureInfo.InvariantCulture) : 0.5,
        Long(map, MinCompactionLagMsKey, 0),
        Long(map, MaxCompactionLagMsKey, long.MaxValue));

    /// <summary>Kafka's topic config naming the throttled follower replicas, as <c>partition:broker</c> pairs.</summary>
    public const string FollowerThrottledReplicasKey = "follower.replication.throttled.replicas";

    /// <summary>
    /// The byte rate of the throttled followers. Kafka keeps it as a broker config; here the controller sets it on the
    /// partitions it reassigns with a throttle, next to <see cref="FollowerThrottledReplicasKey"/>, and removes both when done.
    /// </summary>
    public const string FollowerThrottledRateKey = "follower.replication.throttled.rate";

    /// <summary><paramref name="config"/> with <paramref name="brokers"/>' replicas of <paramref name="partition"/> throttled to <paramref name="bytesPerSecond"/>.</summary>
    public static IReadOnlyDictionary<string, string> WithFollowerThrottle(IReadOnlyDictionary<string, string> config, int partition, IEnumerable<int> brokers, long bytesPerSecond) =>
        new Dictionary<string, string>(config)
        {
            [FollowerThrottledReplicasKey] = string.Join(",", brokers.Select(b => FormattableString.Invariant($"{partition}:{b}"))),
            [FollowerThrottledRateKey] = bytesPerSecond.ToString(CultureInfo.InvariantCulture),
        };

    /// <summary>The byte rate <paramref name="broker"/>'s replica of <paramref name="partition"/> may copy at (0: unthrottled).</summary>
    public static long FollowerThrottle(IReadOnlyDictionary<string, string> config, int partition, int broker)
    {
        if (!config.TryGetValue(FollowerThrottledReplicasKey, out var replicas) || !config.TryGetValue(FollowerThrottledRateKey, out var rate)) return 0;
        var me = FormattableString.Invariant($"{partition}:{broker}");
        return replicas.Split(',', StringSplitOptions.TrimEntries).Any(r => r == me || r == "*") ? long.Parse(rate, CultureInfo.InvariantCulture) : 0;
    }

    private static long Long(IReadOnlyDictionary<string, string> map, string key, long absent) =>
        map.TryGetValue(key, out var raw) ? long.Parse(raw, CultureInfo.InvariantCulture) : absent;
}
