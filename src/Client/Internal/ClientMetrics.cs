using System.Diagnostics;

namespace AkkaBroker.Client.Internal;

/// <summary>Running sum, count and maximum of one measurement, safe to update from many threads.</summary>
internal sealed class Stat
{
    private readonly object _lock = new();
    private double _sum;
    private long _count;
    private double _max = double.NaN;

    public void Record(double value)
    {
        lock (_lock)
        {
            _sum += value;
            _count++;
            if (double.IsNaN(_max) || value > _max) _max = value;
        }
    }

    public long Count { get { lock (_lock) return _count; } }
    public double Sum { get { lock (_lock) return _sum; } }
    public double Avg { get { lock (_lock) return _count == 0 ? double.NaN : _sum / _count; } }
    public double Max { get { lock (_lock) return _max; } }
}

/// <summary>A rate per second since the first event.</summary>
internal sealed class Rate
{
    private long _total;
    private long _firstTicks;

    public void Add(long n)
    {
        if (Interlocked.Read(ref _firstTicks) == 0) Interlocked.CompareExchange(ref _firstTicks, Stopwatch.GetTimestamp(), 0);
        Interlocked.Add(ref _total, n);
    }

    public long Total => Interlocked.Read(ref _total);

    public double PerSecond
    {
        get
        {
            var first = Interlocked.Read(ref _firstTicks);
            if (first == 0) return 0;
            var seconds = Stopwatch.GetElapsedTime(first).TotalSeconds;
            return seconds <= 0 ? 0 : Total / seconds;
        }
    }
}
