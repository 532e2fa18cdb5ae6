namespace AkkaBroker.Connect.Runtime.Distributed;

/// <summary>
/// Spreads a worker group's connectors and tasks over its live workers, the same way on every worker: it depends only
/// on the live workers, the work, and who runs each piece now (from the status topic). Like Kafka's incremental
/// cooperative assignor it moves as little as it can: a piece stays where it runs while that worker is alive and not
/// above its fair share; pieces of a worker that left less than <c>scheduled.rebalance.max.delay.ms</c> ago are held
/// for it (a restarting worker gets its work back without a reshuffle); the rest go to the least loaded workers.
/// </summary>
public static class WorkerAssignor
{
    /// <summary>The worker each piece goes to; pieces held for a departed worker are absent.</summary>
    /// <param name="live">Workers in the group now.</param>
    /// <param name="work">Every connector or task that must run, as a sortable key.</param>
    /// <param name="owners">Who runs each piece now, as reported.</param>
    /// <param name="held">Workers that left recently: their pieces wait for them.</param>
    public static Dictionary<T, string> Assign<T>(IReadOnlyCollection<string> live, IReadOnlyList<T> work, IReadOnlyDictionary<T, string> owners, IReadOnlySet<string> held)
        where T : notnull
    {
        var result = new Dictionary<T, string>();
        if (live.Count == 0) return result;
        var workers = live.Order(StringComparer.Ordinal).ToList();
        var load = workers.ToDictionary(w => w, _ => 0, StringComparer.Ordinal);
        var pieces = work.Where(w => !(owners.TryGetValue(w, out var owner) && held.Contains(owner) && !load.ContainsKey(owner))).ToList();
        var fairShare = (pieces.Count + workers.Count - 1) / workers.Count;
        var unassigned = new List<T>();
        foreach (var piece in pieces)
        {
            if (owners.TryGetValue(piece, out var owner) && load.TryGetValue(owner, out var count) && count < fairShare)
            {
                result[piece] = owner;
                load[owner] = count + 1;
            }
            else unassigned.Add(piece);
        }
        foreach (var piece in unassigned)
        {
            var target = workers.MinBy(w => (load[w], w), Comparer<(int, string)>.Create((a, b) =>
                a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : string.CompareOrdinal(a.Item2, b.Item2)))!;
            result[piece] = target;
            load[target]++;
        }
        return result;
    }
}
