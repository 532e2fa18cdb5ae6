using AkkaBroker.Mirror;

namespace AkkaBroker.Connect.Mirror;

/// <summary>Writes one heartbeat record each interval (Kafka's <c>MirrorHeartbeatTask</c>).</summary>
public sealed class MirrorHeartbeatTask : SourceTask
{
    private MirrorConnectorConfig _config = null!;
    private TimeSpan _interval;
    private DateTime _next;

    /// <inheritdoc />
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _config = MirrorConnectorConfig.Parse(MirrorConnectorConfig.HeartbeatDefinition, config);
        _interval = _config.Interval(MirrorConnectorConfig.EmitHeartbeatsIntervalSeconds, MirrorConnectorConfig.EmitHeartbeatsEnabled)
                    ?? throw new ConnectException("Heartbeats are disabled (emit.heartbeats.enabled=false or a negative emit.heartbeats.interval.seconds); this task should not run.");
        _next = DateTime.UtcNow;
    }

    /// <summary>Waits for the next interval (a second at most per call) and returns its heartbeat.</summary>
    public override async Task<IReadOnlyList<SourceRecord>> PollAsync(CancellationToken cancellationToken)
    {
        var wait = _next - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            if (DateTime.UtcNow < _next) return [];
        }
        _next = DateTime.UtcNow + _interval;
        return [Record(_config.SourceAlias, _config.TargetAlias, _config.Policy.HeartbeatsTopic, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())];
    }

    /// <summary>
    /// A heartbeat record: source partition <c>{sourceClusterAlias, targetClusterAlias}</c> and offset <c>{offset: 0}</c>
    /// as Kafka's; key and value in <see cref="Heartbeat"/>'s format, to partition 0.
    /// </summary>
    public static SourceRecord Record(string sourceAlias, string targetAlias, string topic, long timestampMs)
    {
        var heartbeat = new Heartbeat(sourceAlias, targetAlias, timestampMs);
        return new SourceRecord(new Dictionary<string, object?> { ["sourceClusterAlias"] = sourceAlias, ["targetClusterAlias"] = targetAlias },
            new Dictionary<string, object?> { ["offset"] = 0L }, topic, 0, Data.Schema.OptionalBytes, heartbeat.Key(), Data.Schema.OptionalBytes, heartbeat.Value(), timestampMs);
    }

    /// <inheritdoc />
    public override void Stop() { }
}
