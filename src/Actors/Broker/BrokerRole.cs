using Akka.Cluster;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// The cluster roles a node joins with, from its <c>process.roles</c> and id: a broker carries <c>broker-&lt;id&gt;</c>,
/// so any node learns each broker's id and address from cluster membership alone, with no registration protocol of
/// its own; a node that may run the controller carries <c>controller</c> (the controller singleton's role); a
/// controller-only node carries <c>controller-&lt;id&gt;</c> as well, so its id too is known to be taken.
/// </summary>
public static class BrokerRole
{
    public const string Prefix = "broker-";

    /// <summary>The role of the nodes the controller singleton may run on.</summary>
    public const string Controller = "controller";

    private const string ControllerOnlyPrefix = "controller-";

    public static string For(int brokerId) => Prefix + brokerId;

    /// <summary>The role carrying the address a broker's Kafka-protocol listener advertises (<c>kafka-listener=HOST:PORT</c>).</summary>
    public const string KafkaListenerPrefix = "kafka-listener=";

    /// <summary>The role carrying the address a broker's client endpoint advertises (<c>client-endpoint=HOST:PORT</c>).</summary>
    public const string ClientEndpointPrefix = "client-endpoint=";

    /// <summary>
    /// The cluster roles of a node with these settings (and, for a broker, its client endpoint's and Kafka listener's
    /// advertised addresses).
    /// </summary>
    public static IReadOnlyList<string> RolesOf(BrokerSettings settings, (string Host, int Port)? kafkaListener = null, (string Host, int Port)? clientEndpoint = null)
    {
        var roles = new List<string>();
        if (settings.IsBroker) roles.Add(For(settings.BrokerId));
        if (settings.IsBroker && clientEndpoint is { } client) roles.Add($"{ClientEndpointPrefix}{client.Host}:{client.Port}");
        if (settings.IsBroker && kafkaListener is { } kafka) roles.Add($"{KafkaListenerPrefix}{kafka.Host}:{kafka.Port}");
        if (settings.IsController) roles.Add(Controller);
        if (!settings.IsBroker) roles.Add(ControllerOnlyPrefix + settings.BrokerId);
        return roles;
    }

    /// <summary>The broker id a member carries, or null for a member that is not a broker.</summary>
    public static int? IdOf(Member member) => IdWithPrefix(member, Prefix);

    /// <summary>The node id of a broker or of a controller-only node.</summary>
    public static int? NodeIdOf(Member member) => IdOf(member) ?? IdWithPrefix(member, ControllerOnlyPrefix);

    /// <summary>The Kafka-protocol address a broker member advertises, or null when its listener is off.</summary>
    public static (string Host, int Port)? KafkaListenerOf(Member member) => AddressWithPrefix(member, KafkaListenerPrefix);

    /// <summary>The address a broker member's client endpoint advertises, or null for a node that serves no clients.</summary>
    public static (string Host, int Port)? ClientEndpointOf(Member member) => AddressWithPrefix(member, ClientEndpointPrefix);

    private static (string Host, int Port)? AddressWithPrefix(Member member, string prefix)
    {
        foreach (var role in member.Roles)
        {
            if (!role.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var address = role.AsSpan(prefix.Length);
            var colon = address.LastIndexOf(':');
            if (colon > 0 && int.TryParse(address[(colon + 1)..], out var port)) return (address[..colon].ToString(), port);
        }
        return null;
    }

    private static int? IdWithPrefix(Member member, string prefix)
    {
        foreach (var role in member.Roles)
            if (role.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(role.AsSpan(prefix.Length), out var id))
                return id;
        return null;
    }
}
