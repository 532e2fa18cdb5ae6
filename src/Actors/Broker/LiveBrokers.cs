using Akka.Cluster;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// The brokers that can serve, as cluster events describe them: members that are Up and reachable, by broker id. When
/// two members carry the same id (a second broker started with an id already in use, which then stops itself), the
/// older member keeps it, so the newcomer never takes over the id's partitions or groups; once the older one is gone
/// (a broker restarted on another port), the younger one takes its place. Fed by the owning actor; not thread-safe.
/// </summary>
public sealed class LiveBrokers
{
    private readonly Dictionary<UniqueAddress, Member> _up = new();
    private readonly HashSet<UniqueAddress> _unreachable = new();

    /// <summary>Applies a cluster event; true when the live brokers may have changed.</summary>
    public bool Apply(ClusterEvent.IClusterDomainEvent e)
    {
        switch (e)
        {
            case ClusterEvent.MemberUp up:
                _up[up.Member.UniqueAddress] = up.Member;
                return true;
            case ClusterEvent.ReachableMember r:
                return _unreachable.Remove(r.Member.UniqueAddress);
            case ClusterEvent.UnreachableMember u:
                return _unreachable.Add(u.Member.UniqueAddress);
            case ClusterEvent.MemberExited or ClusterEvent.MemberDowned or ClusterEvent.MemberRemoved:
                var m = ((ClusterEvent.IMemberEvent)e).Member;
                _unreachable.Remove(m.UniqueAddress);
                return _up.Remove(m.UniqueAddress);
            default:
                return false;
        }
    }

    /// <summary>The ids of the members that are Up and reachable and carry a node id: brokers and controller-only nodes.</summary>
    public IReadOnlySet<int> CurrentNodeIds() =>
        _up.Values.Where(m => !_unreachable.Contains(m.UniqueAddress)).Select(BrokerRole.NodeIdOf).OfType<int>().ToHashSet();

    /// <summary>For each broker id, the member that serves it.</summary>
    public IReadOnlyDictionary<int, Member> Current()
    {
        var result = new Dictionary<int, Member>();
        foreach (var member in _up.Values)
        {
            if (_unreachable.Contains(member.UniqueAddress) || BrokerRole.IdOf(member) is not { } id) continue;
            if (!result.TryGetValue(id, out var other) || member.IsOlderThan(other)) result[id] = member;
        }
        return result;
    }
}
