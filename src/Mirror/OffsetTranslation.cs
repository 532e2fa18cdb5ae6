using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// Where each mirrored source record sits on the target, per source partition, kept densely: a list of runs, each a
/// range of source offsets written to consecutive target offsets (target = source + delta). Built from offset syncs
/// (<see cref="OffsetSync"/>), which the streams write as the target acknowledges records, and used to translate a
/// source consumer group's committed offsets into target offsets exactly (MirrorMaker 2 keeps only a sync every
/// <c>offset.lag.max</c> records, so its translated groups resume behind and re-read).
/// <para>
/// A record mirrored twice (a crash re-mirrors the uncommitted window) has two copies on the target; the later copy,
/// the one with the larger delta, is the one a moved group must resume at: the records after it on the target are
/// the ones after it on the source, so nothing is read twice and nothing is skipped. Syncs may therefore arrive in
/// any order and more than once: the larger delta always wins where runs overlap.
/// </para>
/// </summary>
public sealed class OffsetTranslation
{
    /// <summary>Source offsets <c>[Start, End)</c> were written at target offsets <c>[Start + Delta, End + Delta)</c>.</summary>
    public readonly record struct Run(long Start, long End, long Delta);

    private readonly Dictionary<TopicPartition, List<Run>> _runs = new();

    /// <summary>The runs of a source partition, by source offset (for tests and status).</summary>
    public IReadOnlyList<Run> RunsOf(TopicPartition source) => _runs.TryGetValue(source, out var runs) ? runs : [];

    /// <summary>The source partitions known.</summary>
    public IReadOnlyCollection<TopicPartition> Partitions => _runs.Keys;

    /// <summary>Records <c>[sync.SourceOffset, + Count)</c> of the source partition were written from <c>sync.TargetOffset</c> on.</summary>
    public void Add(OffsetSync sync)
    {
        if (sync.Count <= 0) return;
        if (!_runs.TryGetValue(sync.Source, out var runs)) _runs[sync.Source] = runs = [];
        var added = new Run(sync.SourceOffset, sync.SourceOffset + sync.Count, sync.TargetOffset - sync.SourceOffset);
        var result = new List<Run>(runs.Count + 2);
        // The parts of the new run no existing run with a larger (or equal) delta covers.
        var pieces = new List<Run> { added };
        foreach (var run in runs)
        {
            if (run.End <= added.Start || run.Start >= added.End)
            {
                result.Add(run);
                continue;
            }
            if (run.Delta >= added.Delta)
            {
                result.Add(run);
                pieces = pieces.SelectMany(p => Subtract(p, run.Start, run.End)).ToList();
            }
            else result.AddRange(Subtract(run, added.Start, added.End));
        }
        result.AddRange(pieces);
        result.Sort((a, b) => a.Start.CompareTo(b.Start));
        runs.Clear();
        foreach (var run in result)
        {
            // Contiguous runs with one delta are one run: a stream's syncs extend its run as records are acknowledged.
            if (runs.Count > 0 && runs[^1] is var last && last.End == run.Start && last.Delta == run.Delta) runs[^1] = last with { End = run.End };
            else runs.Add(run);
        }
    }

    /// <summary>
    /// The target offset a consumer group that committed <paramref name="sourceOffset"/> on the source resumes at: the
    /// copy of that record; in a gap between synced runs, the offset after the earlier run's last copy (what follows it
    /// on the target: the next mirrored record, or a record whose sync a crash lost, never one after a skipped record);
    /// below the first run, the first mirrored record; or the offset after the last mirrored record when the group is
    /// exactly there. Null when the group is past what has been mirrored (nothing to translate to yet) or nothing is known.
    /// </summary>
    public long? Translate(TopicPartition source, long sourceOffset)
    {
        if (!_runs.TryGetValue(source, out var runs) || runs.Count == 0) return null;
        // The first run ending after the offset.
        int lo = 0, hi = runs.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (runs[mid].End <= sourceOffset) lo = mid + 1;
            else hi = mid;
        }
        if (lo == runs.Count) return sourceOffset == runs[^1].End ? sourceOffset + runs[^1].Delta : null;
        var next = runs[lo];
        if (next.Start <= sourceOffset) return sourceOffset + next.Delta;
        // In a gap between two runs: the records were compacted or deleted before they were mirrored (then the offset
        // after the earlier run's last copy holds the next mirrored record), or mirrored with their syncs lost in a
        // crash (then it holds the copy of the gap's first record). Either way nothing the group has not read is skipped.
        return lo > 0 ? runs[lo - 1].End + runs[lo - 1].Delta : next.Start + next.Delta;
    }

    private static IEnumerable<Run> Subtract(Run run, long start, long end)
    {
        if (run.Start < start) yield return run with { End = Math.Min(run.End, start) };
        if (run.End > end) yield return run with { Start = Math.Max(run.Start, end) };
    }
}
