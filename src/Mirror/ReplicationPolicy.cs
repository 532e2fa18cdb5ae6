namespace AkkaBroker.Mirror;

/// <summary>
/// How a mirrored topic is named on the target cluster, which source topics are never mirrored, and how two clusters
/// that mirror each other avoid loops. Two policies, after MirrorMaker 2's:
/// <list type="bullet">
/// <item><see cref="Identity"/> (<c>IdentityReplicationPolicy</c>, the default, as MirrorMaker 1): the name stays. The
/// name cannot say where a topic came from, so a loop (A to B and B to A over the same topics) cannot be detected:
/// mirror one way only.</item>
/// <item><see cref="Prefixed"/> (<c>DefaultReplicationPolicy</c>): <c>{source.cluster.alias}{separator}{topic}</c>, e.g.
/// <c>us-west.orders</c>. A topic whose name says it came (in any number of hops) from the target cluster is not
/// mirrored back, so A and B can mirror each other.</item>
/// </list>
/// Never mirrored under either: internal topics (MirrorMaker 2's rule: names starting with <c>__</c>, such as
/// <c>__consumer_offsets</c> and <c>__transaction_state</c>, or with <c>.</c>, or ending with <c>.internal</c> or
/// <c>-internal</c>) and the mirror's heartbeats topic, whoever wrote it. Immutable; safe to share between streams.
/// </summary>
public abstract class ReplicationPolicy
{
    /// <summary>MirrorMaker 2's default <c>replication.policy.separator</c>.</summary>
    public const string DefaultSeparator = ".";

    /// <summary>MirrorMaker 2's default heartbeats topic (<c>default.replication.policy.heartbeats.topic.name</c>).</summary>
    public const string DefaultHeartbeatsTopic = "heartbeats";

    private protected ReplicationPolicy(string? sourceClusterAlias, string? targetClusterAlias, string separator, string heartbeatsTopic)
    {
        ArgumentException.ThrowIfNullOrEmpty(separator);
        ArgumentException.ThrowIfNullOrEmpty(heartbeatsTopic);
        SourceClusterAlias = sourceClusterAlias;
        TargetClusterAlias = targetClusterAlias;
        Separator = separator;
        HeartbeatsTopic = heartbeatsTopic;
    }

    /// <summary>Names stay as they are. Aliases are optional and change nothing but log lines.</summary>
    public static ReplicationPolicy Identity(string? sourceClusterAlias = null, string? targetClusterAlias = null,
        string heartbeatsTopic = DefaultHeartbeatsTopic) =>
        new IdentityPolicy(sourceClusterAlias, targetClusterAlias, heartbeatsTopic);

    /// <summary>Names get the source cluster's alias and the separator in front; topics that came from the target cluster are not mirrored back.</summary>
    /// <exception cref="ArgumentException">an alias is empty or contains the separator (its names could not be read back), or the two aliases are equal.</exception>
    public static ReplicationPolicy Prefixed(string sourceClusterAlias, string targetClusterAlias, string separator = DefaultSeparator,
        string heartbeatsTopic = DefaultHeartbeatsTopic)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceClusterAlias);
        ArgumentException.ThrowIfNullOrEmpty(targetClusterAlias);
        ArgumentException.ThrowIfNullOrEmpty(separator);
        if (sourceClusterAlias.Contains(separator, StringComparison.Ordinal) || targetClusterAlias.Contains(separator, StringComparison.Ordinal))
            throw new ArgumentException($"cluster aliases '{sourceClusterAlias}' and '{targetClusterAlias}' must not contain the separator '{separator}'");
        if (sourceClusterAlias == targetClusterAlias)
            throw new ArgumentException($"the source and target cluster aliases are both '{sourceClusterAlias}'");
        return new PrefixedPolicy(sourceClusterAlias, targetClusterAlias, separator, heartbeatsTopic);
    }

    /// <summary>Kafka's class name for this policy (<c>IdentityReplicationPolicy</c> or <c>DefaultReplicationPolicy</c>).</summary>
    public abstract string Name { get; }

    /// <summary><c>source.cluster.alias</c>: the name the source cluster goes by in remote topic names; null when not given (identity only).</summary>
    public string? SourceClusterAlias { get; }

    /// <summary><c>target.cluster.alias</c>: the target cluster's name, for loop prevention; null when not given (identity only).</summary>
    public string? TargetClusterAlias { get; }

    /// <summary><c>replication.policy.separator</c> (identity: the default, used only to recognise heartbeats mirrored by MirrorMaker 2).</summary>
    public string Separator { get; }

    /// <summary>The heartbeats topic's name: the mirror writes its heartbeats there on the source and mirrors them; other topics of that name are not mirrored.</summary>
    public string HeartbeatsTopic { get; }

    /// <summary>True when target topics have their source topics' names (identity), so the policy cannot tell a mirrored topic from an original one.</summary>
    public abstract bool KeepsTopicNames { get; }

    /// <summary>
    /// The name <paramref name="sourceTopic"/> gets on the target cluster. The heartbeats topic always becomes
    /// <c>{source alias}{separator}heartbeats</c> (as in MirrorMaker 2, identity policy included), so that the target
    /// tells apart the heartbeats of each cluster that mirrors into it.
    /// </summary>
    public string TargetTopic(string sourceTopic) => sourceTopic == HeartbeatsTopic ? HeartbeatsTargetTopic : RemoteTopic(sourceTopic);

    /// <summary>Where the source's heartbeats arrive on the target.</summary>
    public string HeartbeatsTargetTopic => (SourceClusterAlias ?? MirrorMakerSettings.DefaultSourceClusterName) + Separator + HeartbeatsTopic;

    /// <summary>The target name of an ordinary topic.</summary>
    protected abstract string RemoteTopic(string sourceTopic);

    /// <summary>
    /// The alias of the cluster <paramref name="topic"/>'s name says it was mirrored from (<c>us-west</c> for
    /// <c>us-west.orders</c>), or null when the name does not say. Identity names never say.
    /// </summary>
    public abstract string? TopicSource(string topic);

    /// <summary>The topic's name on the cluster it was mirrored from (<c>orders</c> for <c>us-west.orders</c>), or null when the name does not say.</summary>
    public abstract string? UpstreamTopic(string topic);

    /// <summary>
    /// Whether <paramref name="topic"/>'s name says it came from the cluster <paramref name="clusterAlias"/>, in one hop
    /// or several (<c>us-east.us-west.orders</c> came from us-west through us-east).
    /// </summary>
    public bool IsRemoteTopicOf(string topic, string clusterAlias)
    {
        for (var t = topic; TopicSource(t) is { } source; t = UpstreamTopic(t)!)
            if (source == clusterAlias) return true;
        return false;
    }

    /// <summary>MirrorMaker 2's internal topics: names starting with <c>__</c> or <c>.</c>, or ending with <c>.internal</c> or <c>-internal</c>.</summary>
    public static bool IsInternalTopic(string topic) =>
        topic.StartsWith("__", StringComparison.Ordinal) || topic.StartsWith('.')
        || topic.EndsWith(".internal", StringComparison.Ordinal) || topic.EndsWith("-internal", StringComparison.Ordinal);

    /// <summary>The heartbeats topic, or a copy of it mirrored from another cluster (<c>us-west.heartbeats</c>).</summary>
    public bool IsHeartbeatsTopic(string topic) =>
        topic == HeartbeatsTopic || topic.EndsWith(Separator + HeartbeatsTopic, StringComparison.Ordinal);

    /// <summary>
    /// Whether the policy lets <paramref name="topic"/> be mirrored: not internal, not heartbeats, and not a topic that
    /// came from the target cluster (which would mirror it back to where it came from, forever).
    /// </summary>
    public bool ShouldMirror(string topic) =>
        !IsInternalTopic(topic) && !IsHeartbeatsTopic(topic) && !(TargetClusterAlias is { } target && IsRemoteTopicOf(topic, target));

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}({SourceClusterAlias ?? "?"} -> {TargetClusterAlias ?? "?"}, separator '{Separator}', heartbeats '{HeartbeatsTopic}')";

    private sealed class IdentityPolicy(string? sourceClusterAlias, string? targetClusterAlias, string heartbeatsTopic)
        : ReplicationPolicy(sourceClusterAlias, targetClusterAlias, DefaultSeparator, heartbeatsTopic)
    {
        public override string Name => "IdentityReplicationPolicy";
        public override bool KeepsTopicNames => true;
        protected override string RemoteTopic(string sourceTopic) => sourceTopic;
        public override string? TopicSource(string topic) => null;
        public override string? UpstreamTopic(string topic) => null;
    }

    private sealed class PrefixedPolicy(string sourceClusterAlias, string targetClusterAlias, string separator, string heartbeatsTopic)
        : ReplicationPolicy(sourceClusterAlias, targetClusterAlias, separator, heartbeatsTopic)
    {
        public override string Name => "DefaultReplicationPolicy";
        public override bool KeepsTopicNames => false;

        protected override string RemoteTopic(string sourceTopic) => SourceClusterAlias + Separator + sourceTopic;

        // Unlike Java's String.split in Kafka's policy, an empty alias or an empty rest does not make a remote topic:
        // ".orders" and "us-west." name no cluster.
        public override string? TopicSource(string topic) => SplitAt(topic) is { } at ? topic[..at] : null;

        public override string? UpstreamTopic(string topic) => SplitAt(topic) is { } at ? topic[(at + Separator.Length)..] : null;

        private int? SplitAt(string topic)
        {
            var at = topic.IndexOf(Separator, StringComparison.Ordinal);
            return at > 0 && at + Separator.Length < topic.Length ? at : null;
        }
    }
}
