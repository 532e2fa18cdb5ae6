using System.Globalization;

namespace AkkaBroker.Mirror;

/// <summary>
/// A stream's periodic log line: what it mirrored, and which side held it back, so an operator can tell without a
/// profiler whether to tune the consumer, the producer, or add streams. A stream that waits most of the time for the
/// target's acknowledgements is held back by the target; one that has records to fetch (lag) and waits for them is
/// held back by fetching from the source; one that waits on neither is busy itself (CPU).
/// </summary>
public static class StreamSummary
{
    /// <summary>Waiting more than this share of the time on one side names that side the bottleneck.</summary>
    public const double BottleneckShare = 0.5;

    public static string Describe(int stream, long records, TimeSpan elapsed, TimeSpan waitedOnSource, TimeSpan waitedOnTarget, int partitions, long lag)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        double onSource = waitedOnSource.TotalSeconds / seconds, onTarget = waitedOnTarget.TotalSeconds / seconds;
        var verdict = onTarget >= BottleneckShare
            ? "the target is the bottleneck: its acknowledgements come slower than the source's records (producer batch.size, linger.ms, compression.type; the target's brokers)"
            : lag == 0
                ? "keeping up with the source"
                : onSource >= BottleneckShare
                    ? "fetching from the source is the bottleneck (consumer fetch.min.bytes, fetch.max.bytes, max.partition.fetch.bytes; the link to the source)"
                    : "the mirror's own work is the bottleneck: add --num.streams or mirror processes";
        return string.Create(CultureInfo.InvariantCulture,
            $"stream {stream}: mirrored {records:N0} records in {seconds:F0} s ({records / seconds:N0}/s) from {partitions} partitions, lag {lag:N0}; " +
            $"waited on the source {onSource:P0} and on the target {onTarget:P0} of the time: {verdict}");
    }
}
