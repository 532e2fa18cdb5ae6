using System.Diagnostics;
using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// What one stream reports: records and bytes the target acknowledged per source partition (counted here and published
/// once a second, as a metric call per record would cost more than copying it), replication latency, each partition's
/// lag, the time the consuming thread waited on each side, and a summary line every minute. The waits are added from
/// the consuming thread; everything else is called by the stream actor.
/// </summary>
public sealed class StreamReport(int stream)
{
    /// <summary>Ticks (one per second) between summary lines.</summary>
    public const int TicksPerSummary = 60;

    private sealed class PartitionCounts(KeyValuePair<string, object?>[] tags)
    {
        public readonly KeyValuePair<string, object?>[] Tags = tags;
        public long Records;
        public long Bytes;
    }

    private readonly Dictionary<TopicPartition, PartitionCounts> _counts = new();
    private readonly Dictionary<TopicPartition, long> _lags = new();
    private long _waitedOnSourceTicks;
    private long _waitedOnTargetTicks;
    private long _summaryWaitedOnSource;
    private long _summaryWaitedOnTarget;
    private long _mirroredSinceSummary;
    private long _lastSummaryTicks = Stopwatch.GetTimestamp();
    private int _ticks;

    /// <summary>The consuming thread waited this many Stopwatch ticks for records from the source.</summary>
    public void WaitedOnSource(long ticks) => Interlocked.Add(ref _waitedOnSourceTicks, ticks);

    /// <summary>The consuming thread waited this many Stopwatch ticks for room (the target's acknowledgements).</summary>
    public void WaitedOnTarget(long ticks) => Interlocked.Add(ref _waitedOnTargetTicks, ticks);

    /// <summary>The target acknowledged a record of <paramref name="source"/> written on the source at <paramref name="timestampMs"/>.</summary>
    public void Acknowledged(TopicPartition source, long bytes, long timestampMs, bool heartbeat)
    {
        if (!_counts.TryGetValue(source, out var counts)) _counts[source] = counts = new PartitionCounts(MirrorMetrics.Tags(source));
        counts.Records++;
        counts.Bytes += bytes;
        _mirroredSinceSummary++;
        MirrorMetrics.ReplicationLatency.Record(Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - timestampMs), counts.Tags);
        if (heartbeat) MirrorMetrics.HeartbeatMirrored(timestampMs);
    }

    /// <summary>The partition left this stream: its lag is no longer reported here.</summary>
    public void Forget(TopicPartition source)
    {
        _lags.Remove(source);
        MirrorMetrics.ForgetLag(source);
    }

    /// <summary>
    /// Once a second: publishes the counts, sets each partition's lag (<paramref name="highWatermark"/> minus the safely
    /// mirrored offset), and every <see cref="TicksPerSummary"/> ticks returns the summary line to log.
    /// </summary>
    public string? Tick(IReadOnlyCollection<TopicPartition> partitions, Func<TopicPartition, long?> highWatermark, Func<TopicPartition, long?> safeOffset)
    {
        Publish();
        foreach (var tp in partitions)
            if (highWatermark(tp) is { } high && safeOffset(tp) is { } safe)
                MirrorMetrics.SetLag(tp, _lags[tp] = Math.Max(0, high - safe));
        long onSource = Interlocked.Exchange(ref _waitedOnSourceTicks, 0), onTarget = Interlocked.Exchange(ref _waitedOnTargetTicks, 0);
        MirrorMetrics.WaitingOnSource.Add(onSource / (double)Stopwatch.Frequency, MirrorMetrics.StreamTag(stream));
        MirrorMetrics.WaitingOnTarget.Add(onTarget / (double)Stopwatch.Frequency, MirrorMetrics.StreamTag(stream));
        _summaryWaitedOnSource += onSource;
        _summaryWaitedOnTarget += onTarget;
        if (++_ticks % TicksPerSummary != 0) return null;
        var elapsed = Stopwatch.GetElapsedTime(_lastSummaryTicks);
        _lastSummaryTicks = Stopwatch.GetTimestamp();
        var summary = StreamSummary.Describe(stream, _mirroredSinceSummary, elapsed, Duration(_summaryWaitedOnSource), Duration(_summaryWaitedOnTarget),
            partitions.Count, partitions.Sum(tp => _lags.GetValueOrDefault(tp)));
        _mirroredSinceSummary = _summaryWaitedOnSource = _summaryWaitedOnTarget = 0;
        return summary;
    }

    /// <summary>Publishes the records and bytes counted since the last call.</summary>
    public void Publish()
    {
        foreach (var counts in _counts.Values)
        {
            if (counts.Records == 0) continue;
            MirrorMetrics.Records.Add(counts.Records, counts.Tags);
            MirrorMetrics.Bytes.Add(counts.Bytes, counts.Tags);
            counts.Records = counts.Bytes = 0;
        }
    }

    private static TimeSpan Duration(long stopwatchTicks) => TimeSpan.FromTicks(stopwatchTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
}
