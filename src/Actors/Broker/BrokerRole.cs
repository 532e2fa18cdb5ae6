using Akka.Cluster;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// Every broker node joins the cluster with the role <c>broker-&lt;broker.id&gt;</c>, so any node learns each broker's id
/// and address from cluster membership alone, with no registration protocol of its own.
/// </summary>
public static class BrokerRole
{
    public const string Prefix = "broker-";

    public static string For(int brokerId) => Prefix + brokerId;

    /// <summary>The broker id a member carries, or null for a member that is not a broker.</summary>
    public static int? IdOf(Member member)
    {
        foreach (var role in member.Roles)
            if (role.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(role.AsSpan(Prefix.Length), out var id))
                return id;
        return null;
    }
}
