using Akka.Configuration;
using AkkaBroker.Actors.Broker;

namespace AkkaBroker.Actors.Security;

/// <summary>
/// Kafka's authorizer settings under <c>akkabroker.broker</c>: <c>authorizer.class.name</c> (empty: every request is
/// allowed; Kafka's StandardAuthorizer or AclAuthorizer class name: requests are checked against the ACLs),
/// <c>super.users</c> (<c>User:admin;User:ops</c>, allowed everything) and <c>allow.everyone.if.no.acl.found</c>.
/// </summary>
public sealed record AuthorizerSettings(bool Enabled, IReadOnlySet<string> SuperUsers, bool AllowEveryoneIfNoAclFound)
{
    /// <summary>The names <c>authorizer.class.name</c> takes to turn ACLs on: Kafka's own authorizers.</summary>
    public static readonly IReadOnlyList<string> AuthorizerNames =
        ["StandardAuthorizer", "org.apache.kafka.metadata.authorizer.StandardAuthorizer", "kafka.security.authorizer.AclAuthorizer"];

    public static readonly AuthorizerSettings Off = new(false, new HashSet<string>(), true);

    /// <exception cref="BrokerConfigurationException">a value Kafka would not take.</exception>
    public static AuthorizerSettings Create(Config config)
    {
        var key = $"{BrokerSettings.Section}.authorizer.class.name";
        var name = config.GetString(key, "")?.Trim() ?? "";
        if (name.Length > 0 && !AuthorizerNames.Contains(name))
            throw new BrokerConfigurationException(key, name, $"empty (no authorization) or one of {string.Join(", ", AuthorizerNames)} (ACLs checked on every request)");
        var superKey = $"{BrokerSettings.Section}.super.users";
        var superUsers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in (config.GetString(superKey, "") ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.IndexOf(':') is <= 0 || entry.EndsWith(':'))
                throw new BrokerConfigurationException(superKey, entry, "principals as Kafka writes them, separated by semicolons: User:admin;User:ops");
            superUsers.Add(entry);
        }
        var allowKey = $"{BrokerSettings.Section}.allow.everyone.if.no.acl.found";
        var allow = config.GetString(allowKey, "false")?.Trim().ToLowerInvariant() switch
        {
            "true" or "on" or "yes" => true,
            "false" or "off" or "no" => false,
            var other => throw new BrokerConfigurationException(allowKey, other, "true or false"),
        };
        return new AuthorizerSettings(name.Length > 0, superUsers, allow);
    }
}
