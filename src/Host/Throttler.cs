using System.Diagnostics;

namespace AkkaBroker.Host;

/// <summary>Keeps a loop at a target rate (records/s), as Kafka's ThroughputThrottler does; a negative rate means no limit.</summary>
internal sealed class Throttler(double perSecond)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public async ValueTask WaitAsync(long sentSoFar)
    {
        if (perSecond <= 0) return;
        var due = sentSoFar / perSecond;
        var elapsed = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        if (due > elapsed) await Task.Delay(TimeSpan.FromSeconds(due - elapsed));
    }
}
