using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// The mirror's instruments (meter <see cref="MeterName"/>), process-wide like the broker's: per source partition the
/// records and bytes mirrored, replication latency (the source record's timestamp to the target's acknowledgement),
/// lag in records and records skipped; per stream the time spent waiting on each side, which says whether the source
/// (fetching) or the target (producing) holds the mirror back; and the clients' tuning metrics (Kafka's
/// <c>batch-size-avg</c>, <c>fetch-rate</c>, ...).
/// </summary>
public static class MirrorMetrics
{
    public const string MeterName = "AkkaBroker.Mirror";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<TopicPartition, long> Lags = new();
    private static readonly ConcurrentDictionary<string, Func<IReadOnlyDictionary<string, double>>> Clients = new();

    public static readonly Counter<long> Records = Meter.CreateCounter<long>("akkabroker.mirror.records", "{record}", "Records the target acknowledged, by source topic and partition");
    public static readonly Counter<long> Bytes = Meter.CreateCounter<long>("akkabroker.mirror.bytes", "By", "Key and value bytes the target acknowledged, by source topic and partition");
    public static readonly Histogram<double> ReplicationLatency = Meter.CreateHistogram<double>("akkabroker.mirror.replication_latency", "ms",
        "From a source record's timestamp to the target's acknowledgement, by source topic and partition");
    public static readonly Counter<long> RecordsSkipped = Meter.CreateCounter<long>("akkabroker.mirror.records_skipped", "{record}",
        "Source offsets deleted by retention before the mirror read them (at most this many records never reached the target), by source topic and partition");
    public static readonly Counter<long> PartitionsRestarted = Meter.CreateCounter<long>("akkabroker.mirror.partitions_restarted", "{partition}",
        "Source partitions mirrored again from their log start because the source log went back (the topic was deleted and created again, or an unclean election truncated it)");
    public static readonly Counter<long> RecordsDropped = Meter.CreateCounter<long>("akkabroker.mirror.records_dropped", "{record}",
        "Records the target refused and the mirror dropped (abort.on.send.failure=false)");
    public static readonly Counter<double> WaitingOnSource = Meter.CreateCounter<double>("akkabroker.mirror.waiting_on_source", "s",
        "Time a stream waited for records from the source, by stream: when it grows with the wall clock, the source (or the link to it) is the bottleneck");
    public static readonly Counter<double> WaitingOnTarget = Meter.CreateCounter<double>("akkabroker.mirror.waiting_on_target", "s",
        "Time a stream waited for the target's acknowledgements (records in flight at the bound), by stream: when it grows with the wall clock, the target is the bottleneck");

    // The clients' own metrics, as Kafka names them, published as gauges tagged by client.
    private static readonly string[] ClientMetricNames =
        ["batch-size-avg", "batch-size-max", "record-send-rate", "request-latency-avg", "fetch-size-avg", "fetch-size-max", "fetch-rate"];

    private static long _newestHeartbeatMs = -1;

    static MirrorMetrics()
    {
        Meter.CreateObservableGauge("akkabroker.mirror.heartbeat_age", () =>
                Interlocked.Read(ref _newestHeartbeatMs) is var newest and >= 0
                    ? [new Measurement<double>((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - newest) / 1000.0)]
                    : Array.Empty<Measurement<double>>(), "s",
            "Age of the newest heartbeat the target acknowledged: grows while any part of the path (source, mirror, target) is down or behind");
        Meter.CreateObservableGauge("akkabroker.mirror.lag", () => Lags.Select(kv => new Measurement<long>(kv.Value, Tags(kv.Key))), "{record}",
            "Records on the source not yet mirrored (the partition's high watermark minus the mirrored offset), by source topic and partition");
        foreach (var name in ClientMetricNames)
            Meter.CreateObservableGauge("akkabroker.mirror." + name.Replace('-', '_'),
                () => Clients.SelectMany(kv => kv.Value().TryGetValue(name, out var v) && !double.IsNaN(v)
                    ? [new Measurement<double>(v, new KeyValuePair<string, object?>("client", kv.Key))]
                    : Array.Empty<Measurement<double>>()),
                description: $"The mirror's clients' {name}, by client (producer, or stream-N for a stream's consumer)");
    }

    /// <summary>The tags naming a source partition.</summary>
    public static KeyValuePair<string, object?>[] Tags(TopicPartition tp) =>
        [new("topic", tp.Topic), new("partition", tp.Partition.Value)];

    /// <summary>The tag naming a stream.</summary>
    public static KeyValuePair<string, object?> StreamTag(int stream) => new("stream", stream);

    /// <summary>The target acknowledged a heartbeat written on the source at <paramref name="timestampMs"/>.</summary>
    public static void HeartbeatMirrored(long timestampMs)
    {
        long seen;
        do seen = Interlocked.Read(ref _newestHeartbeatMs);
        while (timestampMs > seen && Interlocked.CompareExchange(ref _newestHeartbeatMs, timestampMs, seen) != seen);
    }

    /// <summary>Sets a source partition's lag in records.</summary>
    public static void SetLag(TopicPartition tp, long lag) => Lags[tp] = lag;

    /// <summary>The partition is no longer mirrored by this process: its lag is no longer reported here.</summary>
    public static void ForgetLag(TopicPartition tp) => Lags.TryRemove(tp, out _);

    /// <summary>
    /// Publishes a client's metrics under <paramref name="name"/> until the returned handle is disposed (which removes
    /// this registration only, not a later one under the same name).
    /// </summary>
    public static IDisposable AddClient(string name, Func<IReadOnlyDictionary<string, double>> metrics)
    {
        Clients[name] = metrics;
        return new Registration(name, metrics);
    }

    private sealed class Registration(string name, Func<IReadOnlyDictionary<string, double>> metrics) : IDisposable
    {
        public void Dispose() => Clients.TryRemove(KeyValuePair.Create(name, metrics));
    }
}
