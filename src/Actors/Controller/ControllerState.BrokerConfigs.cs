using System.Globalization;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Topics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>Dynamic broker configs: per broker and the cluster-wide default, over the controller's configuration file.</summary>
public sealed partial class ControllerState
{
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _brokerConfigs = new(StringComparer.Ordinal);

    /// <summary>The dynamic configs of each broker (by id) and of the cluster-wide default (<see cref="DynamicBrokerConfig.ClusterDefault"/>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> BrokerConfigs => _brokerConfigs;

    /// <summary>
    /// A topic's effective config: the controller's configured defaults, then the cluster-wide dynamic defaults, then the
    /// topic's overrides (Kafka's order: a topic config over a dynamic default over a static one).
    /// </summary>
    public IReadOnlyDictionary<string, string> EffectiveTopicConfig(TopicState topic, BrokerSettings settings)
    {
        var map = new Dictionary<string, string>(settings.DefaultTopicConfig);
        if (_brokerConfigs.TryGetValue(DynamicBrokerConfig.ClusterDefault, out var defaults))
            foreach (var (key, value) in defaults)
                if (DynamicBrokerConfig.TopicKeyOf(key) is { } topicKey) map[topicKey] = value;
        foreach (var (key, value) in topic.ConfigOverrides) map[key] = value.Trim();
        return map;
    }

    /// <summary>True when the cluster-wide dynamic broker configs set the default of topic config <paramref name="topicKey"/>.</summary>
    private bool IsDynamicDefault(string topicKey) =>
        _brokerConfigs.TryGetValue(DynamicBrokerConfig.ClusterDefault, out var defaults) && defaults.Keys.Any(k => DynamicBrokerConfig.TopicKeyOf(k) == topicKey);

    /// <summary>
    /// The byte rate <paramref name="broker"/>'s throttled replicas copy at: its own dynamic rate, else the cluster-wide
    /// one, else the rate the reassignment was started with. A dynamic rate thus changes a running reassignment's.
    /// </summary>
    public long FollowerThrottleRate(int broker, long reassignmentRate)
    {
        var id = broker.ToString(CultureInfo.InvariantCulture);
        foreach (var entity in new[] { id, DynamicBrokerConfig.ClusterDefault })
            if (_brokerConfigs.TryGetValue(entity, out var configs) && configs.TryGetValue(DynamicBrokerConfig.FollowerThrottledRateKey, out var rate))
                return long.Parse(rate, CultureInfo.InvariantCulture);
        return reassignmentRate;
    }

    /// <summary>
    /// The config <paramref name="broker"/>'s replica of <paramref name="tp"/> gets: the topic's, and while a throttled
    /// reassignment runs, Kafka's throttle configs naming its new replicas with this broker's rate (<see cref="FollowerThrottleRate"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> ReplicaConfig(IReadOnlyDictionary<string, string> topicConfig, TopicPartition tp, int broker) =>
        _reassignments.TryGetValue(tp, out var r) && r.ThrottleBytesPerSecond > 0
            ? TopicConfig.WithFollowerThrottle(topicConfig, tp.Partition, r.Adding, FollowerThrottleRate(broker, r.ThrottleBytesPerSecond))
            : topicConfig;

    public ControllerResult DecideAlterBrokerConfigs(AlterBrokerConfigsRequest r)
    {
        ControllerResult Refuse(ErrorCode code, string message) => ControllerResult.Reply(new AlterBrokerConfigsResponse(r.Broker, code, message));
        var (entity, wrong) = Entity(r.Broker);
        if (wrong != null) return Refuse(ErrorCode.InvalidRequest, wrong);
        Dictionary<string, string> set;
        List<string> delete;
        try
        {
            (set, delete) = DynamicBrokerConfig.Normalize(r.Set, r.Delete);
        }
        catch (ArgumentException e)
        {
            return Refuse(ErrorCode.InvalidConfig, e.Message);
        }
        var current = _brokerConfigs.GetValueOrDefault(entity!);
        if (set.Count > 0 && IsFormerNode(entity!))
            return Refuse(ErrorCode.InvalidRequest, $"Broker {entity} is not a member of this cluster any more: its configs can be removed, not set.");
        // AlterConfigs replaces the whole set: what it does not name goes, decided here so no other change slips between.
        if (r.Replace && current != null) delete = delete.Union(current.Keys.Where(k => !set.ContainsKey(k))).ToList();
        if (DynamicBrokerConfig.Validate(entity!, set, delete) is { } problem) return Refuse(ErrorCode.InvalidConfig, problem);
        var ok = new AlterBrokerConfigsResponse(r.Broker, ErrorCode.None, null);
        if (r.ValidateOnly) return ControllerResult.Reply(ok);
        var configs = current != null ? new Dictionary<string, string>(current) : new Dictionary<string, string>();
        foreach (var key in delete) configs.Remove(key);
        foreach (var (key, value) in set) configs[key] = value;
        var unchanged = configs.Count == (current?.Count ?? 0) && configs.All(kv => current!.TryGetValue(kv.Key, out var v) && v == kv.Value);
        return unchanged ? ControllerResult.Reply(ok) : ControllerResult.Record(new BrokerConfigsChanged(entity!, configs), ok);
    }

    /// <summary>
    /// Every dynamic config with a value for <paramref name="r"/>'s broker, with where it comes from. Topic defaults not
    /// set dynamically are the controller's own configured values: those are what topics get.
    /// </summary>
    public DescribeBrokerConfigsResponse DescribeBrokerConfigs(DescribeBrokerConfigsRequest r, BrokerSettings settings)
    {
        // Any broker id may be described (a broker that has just started may not be registered yet): it has the defaults.
        var (entity, wrong) = Entity(r.Broker, anyId: true);
        if (wrong != null) return new DescribeBrokerConfigsResponse(r.Broker, ErrorCode.InvalidRequest, wrong, []);
        var own = entity == DynamicBrokerConfig.ClusterDefault ? null : _brokerConfigs.GetValueOrDefault(entity!);
        var defaults = _brokerConfigs.GetValueOrDefault(DynamicBrokerConfig.ClusterDefault);
        var entries = new List<BrokerConfigEntry>();
        foreach (var key in DynamicBrokerConfig.Keys)
        {
            if (own != null && own.TryGetValue(key, out var mine)) entries.Add(new BrokerConfigEntry(key, mine, BrokerConfigSource.DynamicBroker));
            else if (defaults != null && defaults.TryGetValue(key, out var shared)) entries.Add(new BrokerConfigEntry(key, shared, BrokerConfigSource.DynamicDefault));
            else if (DynamicBrokerConfig.TopicKeyOf(key) is { } topicKey) entries.Add(new BrokerConfigEntry(key, settings.DefaultTopicConfig[topicKey], BrokerConfigSource.Default));
        }
        return new DescribeBrokerConfigsResponse(r.Broker, ErrorCode.None, null, entries);
    }

    /// <summary>A node unregistered since whose configs are still kept.</summary>
    private bool IsFormerNode(string entity) =>
        entity != DynamicBrokerConfig.ClusterDefault && !_registeredNodes.Contains(int.Parse(entity, CultureInfo.InvariantCulture));

    /// <summary>
    /// The entity <paramref name="broker"/> names, written as configs are kept (a node id without leading zeros, or the
    /// cluster default); or why it names none: a node that never was a member, unless configs of it are still kept
    /// (a node unregistered since), which may be described and removed.
    /// </summary>
    private (string? Entity, string? Problem) Entity(string broker, bool anyId = false)
    {
        if (broker == DynamicBrokerConfig.ClusterDefault) return (broker, null);
        if (!int.TryParse(broker, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return (null, $"Broker '{broker}' is not a node id: name a broker by its broker.id, or give an empty name for the cluster-wide default.");
        var entity = id.ToString(CultureInfo.InvariantCulture);
        return anyId || _registeredNodes.Contains(id) || _brokerConfigs.ContainsKey(entity) ? (entity, null)
            : (null, _registeredNodes.Count == 0
                ? $"Broker {id} is not a member of this cluster: no node has registered yet; retry once the brokers have started."
                : $"Broker {id} is not a member of this cluster; its members are {string.Join(",", _registeredNodes)}.");
    }
}
