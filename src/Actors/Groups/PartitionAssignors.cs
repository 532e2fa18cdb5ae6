namespace AkkaBroker.Actors.Groups;

/// <summary>
/// The assignors the broker offers, looked up by the protocol name members put in JoinGroup,
/// so the coordinator can pick the first one every member supports.
/// </summary>
public static class PartitionAssignors
{
    private static readonly IPartitionAssignor[] All =
    [
        new RangeAssignor(),
        new RoundRobinAssignor(),
        new StickyAssignor(),
        new CooperativeStickyAssignor(),
    ];

    /// <summary>The known names, in the order range, roundrobin, sticky, cooperative-sticky.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(All.Select(a => a.Name).ToArray());

    /// <summary>The assignor called <paramref name="name"/> (case-insensitive), or null when unknown.</summary>
    public static IPartitionAssignor? ByName(string name)
    {
        foreach (var assignor in All)
        {
            if (string.Equals(assignor.Name, name, StringComparison.OrdinalIgnoreCase)) return assignor;
        }
        return null;
    }
}
