using AkkaBroker.Connect.Runtime.Distributed;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime.Distributed;

/// <summary>
/// How a worker group's connectors and tasks are spread: the same answer on every worker from the same inputs, work
/// stays where it runs, a new worker gets a share, a departed worker's work waits while it is held and then moves.
/// </summary>
public sealed class WorkerAssignorTests
{
    private static readonly IReadOnlySet<string> NoneHeld = new HashSet<string>();
    private static readonly Dictionary<string, string> NoOwners = new();

    private static Dictionary<string, int> Load(Dictionary<string, string> assignment) =>
        assignment.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void Work_is_spread_evenly_and_the_same_whatever_order_the_workers_are_listed_in()
    {
        var work = Enumerable.Range(0, 7).Select(i => $"t{i}").ToList();
        var a = WorkerAssignor.Assign(["w1", "w2", "w3"], work, NoOwners, NoneHeld);
        var b = WorkerAssignor.Assign(["w3", "w1", "w2"], work, NoOwners, NoneHeld);
        Assert.Equal(a, b);
        Assert.Equal(7, a.Count);
        Assert.All(Load(a).Values, count => Assert.InRange(count, 2, 3));
    }

    [Fact]
    public void Work_stays_with_its_live_worker_and_a_new_worker_takes_only_the_excess()
    {
        var work = Enumerable.Range(0, 6).Select(i => $"t{i}").ToList();
        var owners = work.ToDictionary(w => w, _ => "w1");
        var assignment = WorkerAssignor.Assign(["w1", "w2"], work, owners, NoneHeld);
        Assert.Equal(3, Load(assignment)["w1"]);
        Assert.Equal(3, Load(assignment)["w2"]);
        // The first three (in order) stay where they run.
        Assert.All(work.Take(3), w => Assert.Equal("w1", assignment[w]));
    }

    [Fact]
    public void A_held_workers_work_waits_for_it_and_moves_once_it_is_no_longer_held()
    {
        var work = new List<string> { "a", "b", "c", "d" };
        var owners = new Dictionary<string, string> { ["a"] = "w1", ["b"] = "w1", ["c"] = "w2", ["d"] = "w2" };
        var held = WorkerAssignor.Assign(["w1"], work, owners, new HashSet<string> { "w2" });
        Assert.Equal(new Dictionary<string, string> { ["a"] = "w1", ["b"] = "w1" }, held);

        var moved = WorkerAssignor.Assign(["w1"], work, owners, NoneHeld);
        Assert.Equal(4, moved.Count);
        Assert.All(moved.Values, w => Assert.Equal("w1", w));
    }

    [Fact]
    public void A_held_worker_that_comes_back_gets_its_work_again()
    {
        var work = new List<string> { "a", "b" };
        var owners = new Dictionary<string, string> { ["a"] = "w1", ["b"] = "w2" };
        // w2 is live again: listed as held (its departure was recent) it still keeps its own work.
        var assignment = WorkerAssignor.Assign(["w1", "w2"], work, owners, new HashSet<string> { "w2" });
        Assert.Equal("w2", assignment["b"]);
        Assert.Equal("w1", assignment["a"]);
    }

    [Fact]
    public void No_live_worker_assigns_nothing()
    {
        Assert.Empty(WorkerAssignor.Assign([], ["a"], NoOwners, NoneHeld));
    }
}
