using System.Diagnostics;

namespace AkkaBroker.Host;

/// <summary>
/// Keeps a loop at a target rate (records/s), as Kafka's ThroughputThrottler does; a negative rate means no limit.
/// It sleeps only once it is at least 2 ms ahead, so the tool does not spend its CPU on timers.
/// </summary>
internal sealed class Throttler(double perSecond)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public async ValueTask WaitAsync(long sentSoFar)
    {
        if (perSecond <= 0) return;
        var due = sentSoFar / perSecond;
        var elapsed = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        if (due - elapsed >= 0.002) await Task.Delay(TimeSpan.FromSeconds(due - elapsed));
    }
}
