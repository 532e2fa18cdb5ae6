using System.Globalization;
using AkkaBroker.Actors.Topics;
using AkkaBroker.Protocol;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// The broker configs that change while the cluster runs (Kafka's dynamic broker configs, <c>kafka-configs
/// --entity-type brokers</c>). The controller keeps them in its replicated state, per broker and as a cluster-wide
/// default, and they take precedence over the configuration files. Two kinds are taken: the brokers' defaults of topic
/// configs (<c>log.retention.ms</c> ...), as a cluster-wide default only, because the controller gives every replica of a
/// partition one config; and <c>follower.replication.throttled.rate</c>, per broker or as the default.
/// </summary>
public static class DynamicBrokerConfig
{
    /// <summary>The entity name of the cluster-wide default (Kafka's <c>--entity-default</c>, an empty resource name).</summary>
    public const string ClusterDefault = "";

    /// <summary>The byte rate a broker's throttled follower replicas copy at (a reassignment's new replicas).</summary>
    public const string FollowerThrottledRateKey = TopicConfig.FollowerThrottledRateKey;

    /// <summary>The broker keys that are the defaults of topic configs, with the topic key each is the default of.</summary>
    public static IReadOnlyList<(string BrokerKey, string TopicKey)> TopicDefaults => BrokerTopicDefaults.Pairs;

    /// <summary>Every dynamic key, in the order they are described.</summary>
    public static IReadOnlyList<string> Keys { get; } = TopicDefaults.Select(d => d.BrokerKey).Append(FollowerThrottledRateKey).ToArray();

    /// <summary>The topic config <paramref name="brokerKey"/> is the default of, or null.</summary>
    public static string? TopicKeyOf(string brokerKey) => BrokerTopicDefaults.TopicKeyOf(brokerKey);

    /// <summary>
    /// The change in the broker's own spellings: Kafka's times in hours or minutes (<c>log.retention.hours</c>,
    /// <c>log.retention.minutes</c>, <c>log.roll.hours</c>) become the key in milliseconds, and booleans are lower case.
    /// </summary>
    /// <exception cref="ArgumentException">a time in hours or minutes is not a whole number (the message says so).</exception>
    public static (Dictionary<string, string> Set, List<string> Delete) Normalize(IReadOnlyDictionary<string, string> set, IEnumerable<string> delete)
    {
        var normalizedSet = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (rawKey, rawValue) in set)
        {
            var (key, value) = (rawKey.Trim(), rawValue.Trim());
            if (Array.Find(BrokerConfigKeys.TimeAliases, a => a.Kafka == key) is { Kafka: not null } alias)
            {
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount) || amount < -1 || amount > long.MaxValue / alias.Factor)
                    throw new ArgumentException($"Invalid value '{value}' for configuration {key}: it must be a whole number, or -1 for no limit (it sets {alias.Ours}).");
                (key, value) = (alias.Ours, (amount == -1 ? -1 : amount * alias.Factor).ToString(CultureInfo.InvariantCulture));
            }
            if (key == "unclean.leader.election.enable") value = value.ToLowerInvariant();
            normalizedSet[key] = value;
        }
        var normalizedDelete = delete.Select(k => k.Trim()).Select(k => Array.Find(BrokerConfigKeys.TimeAliases, a => a.Kafka == k) is { Kafka: not null } a ? a.Ours : k)
            .Distinct().ToList();
        return (normalizedSet, normalizedDelete);
    }

    /// <summary>
    /// Null when <paramref name="set"/> and <paramref name="delete"/> may be applied to <paramref name="broker"/> (a
    /// node id, or <see cref="ClusterDefault"/>), else what is wrong and what to do instead.
    /// </summary>
    public static string? Validate(string broker, IReadOnlyDictionary<string, string> set, IEnumerable<string> delete)
    {
        foreach (var key in set.Keys.Concat(delete))
        {
            if (key == FollowerThrottledRateKey) continue;
            if (TopicKeyOf(key) != null)
            {
                if (broker == ClusterDefault) continue;
                return $"'{key}' is a cluster-wide default: alter it for all brokers at once (--entity-default, resource name \"\"), not for broker {broker} alone, " +
                    "because every replica of a partition takes one config from the controller.";
            }
            if (key == "leader.replication.throttled.rate")
                return $"'{key}' is not taken: leaders are never throttled here, only the followers a reassignment adds; set {FollowerThrottledRateKey}.";
            if (BrokerConfigKeys.IsBrokerKey(key))
                return $"'{key}' is read at start only: set it in the broker's configuration ({BrokerSettings.Section}.{key}) and restart the broker. " +
                    $"Configs that change while brokers run: {string.Join(", ", Keys)}.";
            return $"Unknown dynamic broker config '{key}'; did you mean {NearestKey.Of(key, Keys)}? Configs that change while brokers run: {string.Join(", ", Keys)}.";
        }
        foreach (var (key, value) in set)
        {
            if (key == FollowerThrottledRateKey)
            {
                if (!long.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var rate) || rate < 1)
                    return $"Invalid value '{value}' for configuration {key}: it must be a whole number of bytes per second, at least 1.";
                continue;
            }
            var topicKey = TopicKeyOf(key)!;
            if (TopicConfigValidator.Validate(new Dictionary<string, string> { [topicKey] = value }) != null)
                return $"Invalid value '{value}' for configuration {key}: it must be {TopicConfigValidator.Requirement(topicKey)}.";
        }
        return null;
    }
}
