namespace AkkaBroker.EndToEnd.Tests.Nemesis;

public enum FaultKind
{
    /// <summary>kill -9, stay down for the duration, restart with the same broker id, data dir and port.</summary>
    Kill,

    /// <summary>SIGSTOP for the duration, then SIGCONT: a process that stops answering without dying (a GC pause, a frozen VM).</summary>
    Pause,

    /// <summary>Every link of the broker cut for the duration (its network namespace's veth down), then restored.</summary>
    CutLinks,
}

/// <summary>One fault on one broker, held for <paramref name="Duration"/>, followed by <paramref name="Quiet"/> without faults.</summary>
public sealed record Fault(FaultKind Kind, int Broker, TimeSpan Duration, TimeSpan Quiet)
{
    public override string ToString() =>
        $"{Kind switch { FaultKind.Kill => "kill -9", FaultKind.Pause => "pause (SIGSTOP)", _ => "cut the links of" }} broker {Broker} " +
        $"for {Duration.TotalSeconds:0.0} s, then {Quiet.TotalSeconds:0.0} s quiet";
}

/// <summary>The nemesis's faults, drawn from a seeded <see cref="Random"/> so that a run's schedule can be repeated.</summary>
public static class NemesisSchedule
{
    /// <summary>
    /// Faults one at a time on a random broker until their durations and quiet gaps fill <paramref name="total"/>.
    /// Pauses range from 1 s, which the failure detector forgives, to 10 s, after which the split brain resolver downs
    /// the broker (unreachable after ~2.5 s, downed 5 s later): both sides of that line are exercised. Link cuts last
    /// 2-12 s for the same reason.
    /// </summary>
    /// <param name="linkCuts">Whether <see cref="FaultKind.CutLinks"/> is among the faults (it needs network namespaces).</param>
    public static IReadOnlyList<Fault> Generate(int seed, TimeSpan total, bool linkCuts, int brokers = 3)
    {
        var random = new Random(seed);
        var faults = new List<Fault>();
        var planned = TimeSpan.Zero;
        while (planned < total)
        {
            var kind = (FaultKind)random.Next(linkCuts ? 3 : 2);
            var duration = kind switch
            {
                FaultKind.Kill => Seconds(random, 0.5, 5),
                FaultKind.Pause => Seconds(random, 1, 10),
                _ => Seconds(random, 2, 12),
            };
            var fault = new Fault(kind, random.Next(1, brokers + 1), duration, Seconds(random, 2, 6));
            faults.Add(fault);
            planned += fault.Duration + fault.Quiet;
        }
        return faults;
    }

    private static TimeSpan Seconds(Random random, double min, double max) =>
        TimeSpan.FromMilliseconds(Math.Round((min + random.NextDouble() * (max - min)) * 10) * 100);
}
