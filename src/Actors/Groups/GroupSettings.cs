using Akka.Configuration;
using AkkaBroker.Actors.Broker;

namespace AkkaBroker.Actors.Groups;

/// <summary>Group coordinator settings, read once at start from <c>akkabroker.broker</c> (Kafka's broker key names).</summary>
public sealed record GroupSettings(
    long InitialRebalanceDelayMs,
    int MinSessionTimeoutMs,
    int MaxSessionTimeoutMs,
    long OffsetsRetentionMs,
    long OffsetsRetentionCheckIntervalMs,
    int OffsetMetadataMaxBytes,
    long IdleCoordinatorMs = 60_000)
{
    public static GroupSettings Default { get; } = new(3000, 6000, 1800000, 7L * 24 * 3600 * 1000, 600000, 4096);

    /// <exception cref="BrokerConfigurationException">a value is out of range.</exception>
    public static GroupSettings Create(Config config)
    {
        const string section = BrokerSettings.Section;
        var b = config.GetConfig(section);

        long Long(string key, long min, long max)
        {
            var raw = b.GetString(key);
            if (!long.TryParse(raw, out var v) || v < min || v > max)
                throw new BrokerConfigurationException($"{section}.{key}", raw, $"a whole number from {min} to {max}");
            return v;
        }

        var min = (int)Long("group.min.session.timeout.ms", 1, int.MaxValue);
        var max = (int)Long("group.max.session.timeout.ms", 1, int.MaxValue);
        if (max < min)
            throw new BrokerConfigurationException($"{section}.group.max.session.timeout.ms", max.ToString(),
                $"at least group.min.session.timeout.ms ({min})");
        return new GroupSettings(
            InitialRebalanceDelayMs: Long("group.initial.rebalance.delay.ms", 0, int.MaxValue),
            MinSessionTimeoutMs: min,
            MaxSessionTimeoutMs: max,
            OffsetsRetentionMs: Long("offsets.retention.minutes", 1, int.MaxValue) * 60_000,
            OffsetsRetentionCheckIntervalMs: Long("offsets.retention.check.interval.ms", 1, int.MaxValue),
            OffsetMetadataMaxBytes: (int)Long("offset.metadata.max.bytes", 0, int.MaxValue),
            IdleCoordinatorMs: Long("group.idle.coordinator.ms", 1, int.MaxValue));
    }
}
