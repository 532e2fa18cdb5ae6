using System.Diagnostics;

namespace AkkaBroker.Host;

/// <summary>
/// Keeps a loop at a target rate (records/s), as Kafka's ThroughputThrottler does; a negative rate means no limit.
/// It sleeps only once it is at least 2 ms ahead, so the tool does not spend its CPU on timers, and it sleeps the
/// thread, as Kafka's does: .NET's timers (Task.Delay) move with the kernel's tick (4 ms on a 250 Hz Linux kernel),
/// which sent records in bursts of 4-6 ms instead of 2.
/// </summary>
internal sealed class Throttler(double perSecond)
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public void Wait(long sentSoFar)
    {
        if (perSecond <= 0) return;
        var due = sentSoFar / perSecond;
        var elapsed = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        if (due - elapsed >= 0.002) Thread.Sleep(TimeSpan.FromSeconds(due - elapsed));
    }
}
