using System.Collections.Concurrent;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Security;

/// <summary>
/// Kafka's ACL authorization, against this broker's copy of the cluster's ACLs (kept current by
/// <see cref="SecurityMetadataWatcher"/>): a super user may do everything; otherwise a matching DENY refuses, a matching
/// ALLOW grants (Read, Write, Delete and Alter imply Describe; AlterConfigs implies DescribeConfigs), and a resource no
/// ACL names is allowed only with <c>allow.everyone.if.no.acl.found</c>. Decisions are cached until the ACLs change, so
/// the produce and fetch paths pay a dictionary lookup. Thread-safe.
/// </summary>
public sealed class Authorizer(AuthorizerSettings settings)
{
    /// <summary>Kafka's principal of a client that has not authenticated.</summary>
    public const string Anonymous = "User:ANONYMOUS";

    /// <summary>The one cluster resource's name, as in Kafka.</summary>
    public const string ClusterName = "kafka-cluster";

    private volatile IReadOnlyList<AclBinding> _acls = [];
    private readonly ConcurrentDictionary<(string, string?, AclOperation, AclResourceType, string), bool> _decisions = new();

    public AuthorizerSettings Settings => settings;

    /// <summary>Whether requests are checked at all (<c>authorizer.class.name</c> set).</summary>
    public bool Enabled => settings.Enabled;

    internal void Update(IReadOnlyList<AclBinding> acls)
    {
        if (ReferenceEquals(acls, _acls) || acls.SequenceEqual(_acls)) return;
        _acls = acls;
        _decisions.Clear();
    }

    /// <summary>
    /// Whether <paramref name="principal"/> connected from <paramref name="host"/> may perform <paramref name="operation"/>
    /// on the resource. <paramref name="host"/> is null where the client's address cannot be trusted (the client
    /// endpoint, where a client names its own): then only host <c>*</c> grants, and any host's DENY refuses.
    /// </summary>
    public bool Authorize(string principal, string? host, AclOperation operation, AclResourceType type, string name)
    {
        if (!settings.Enabled || settings.SuperUsers.Contains(principal)) return true;
        var key = (principal, host, operation, type, name);
        if (_decisions.TryGetValue(key, out var allowed)) return allowed;
        allowed = Decide(_acls, principal, host, operation, type, name);
        // Bounded: a client naming endless invented topics must not grow the cache without end.
        if (_decisions.Count > 100_000) _decisions.Clear();
        _decisions[key] = allowed;
        return allowed;
    }

    /// <summary>Whether the principal is allowed <paramref name="operation"/> on at least one resource of <paramref name="type"/> (Kafka's idempotent producer check).</summary>
    public bool AllowedOnAny(string principal, string? host, AclOperation operation, AclResourceType type)
    {
        if (!settings.Enabled || settings.SuperUsers.Contains(principal)) return true;
        return _acls.Any(a => a.ResourceType == type && a.Permission == AclPermission.Allow && Grants(a.Operation, operation)
                              && PrincipalMatches(a.Principal, principal) && HostMatches(a.Host, host, AclPermission.Allow));
    }

    internal bool Decide(IReadOnlyList<AclBinding> acls, string principal, string? host, AclOperation operation, AclResourceType type, string name)
    {
        var onResource = acls.Where(a => a.ResourceType == type && NameMatches(a, name)).ToList();
        var mine = onResource.Where(a => PrincipalMatches(a.Principal, principal)).ToList();
        if (mine.Any(a => a.Permission == AclPermission.Deny && (a.Operation == operation || a.Operation == AclOperation.All) && HostMatches(a.Host, host, AclPermission.Deny)))
            return false;
        if (mine.Any(a => a.Permission == AclPermission.Allow && Grants(a.Operation, operation) && HostMatches(a.Host, host, AclPermission.Allow)))
            return true;
        return onResource.Count == 0 && settings.AllowEveryoneIfNoAclFound;
    }

    private static bool NameMatches(AclBinding acl, string name) => acl.PatternType == AclPatternType.Prefixed
        ? name.StartsWith(acl.ResourceName, StringComparison.Ordinal)
        : acl.ResourceName == name || acl.ResourceName == "*";

    private static bool PrincipalMatches(string aclPrincipal, string principal) => aclPrincipal == principal || aclPrincipal == "User:*";

    private static bool HostMatches(string aclHost, string? host, AclPermission permission) =>
        aclHost == "*" || (host == null ? permission == AclPermission.Deny : aclHost == host);

    /// <summary>Kafka's implied operations: an ACL for <paramref name="granted"/> also allows <paramref name="wanted"/>.</summary>
    private static bool Grants(AclOperation granted, AclOperation wanted) =>
        granted == wanted || granted == AclOperation.All
        || (wanted == AclOperation.Describe && granted is AclOperation.Read or AclOperation.Write or AclOperation.Delete or AclOperation.Alter)
        || (wanted == AclOperation.DescribeConfigs && granted == AclOperation.AlterConfigs);
}
