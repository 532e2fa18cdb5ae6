using System.Collections.Concurrent;
using System.Net;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Security;

/// <summary>
/// Kafka's ACL authorization, against this broker's copy of the cluster's ACLs (kept current by
/// <see cref="SecurityMetadataWatcher"/>): a super user may do everything; otherwise a matching DENY refuses, a matching
/// ALLOW grants (Read, Write, Delete and Alter imply Describe; AlterConfigs implies DescribeConfigs), and a resource no
/// ACL names is allowed only with <c>allow.everyone.if.no.acl.found</c>. Decisions are cached with the ACLs they were made
/// from, so the produce and fetch paths pay a dictionary lookup and a change of ACLs is in force at once. Thread-safe.
/// </summary>
public sealed class Authorizer(AuthorizerSettings settings)
{
    /// <summary>Kafka's principal of a client that has not authenticated.</summary>
    public const string Anonymous = "User:ANONYMOUS";

    /// <summary>The one cluster resource's name, as in Kafka.</summary>
    public const string ClusterName = "kafka-cluster";

    /// <summary>Most decisions kept per set of ACLs: a client naming endless invented topics must not grow the cache without end.</summary>
    private const int MaxCachedDecisions = 100_000;

    /// <summary>The ACLs, indexed, with the decisions made from them: swapped whole, so no decision outlives its ACLs.</summary>
    private sealed class State(IReadOnlyList<AclBinding> acls)
    {
        public readonly IReadOnlyList<AclBinding> Acls = acls;
        public readonly Dictionary<(AclResourceType, string), AclBinding[]> Literal = acls.Where(a => a.PatternType == AclPatternType.Literal)
            .GroupBy(a => (a.ResourceType, a.ResourceName)).ToDictionary(g => g.Key, g => g.ToArray());
        public readonly Dictionary<AclResourceType, AclBinding[]> Prefixed = acls.Where(a => a.PatternType == AclPatternType.Prefixed)
            .GroupBy(a => a.ResourceType).ToDictionary(g => g.Key, g => g.ToArray());
        public readonly ConcurrentDictionary<(string, string?, AclOperation, AclResourceType, string), bool> Decisions = new();
        public int Cached;
    }

    private volatile State _state = new([]);
    private volatile bool _loaded;

    public AuthorizerSettings Settings => settings;

    /// <summary>Whether requests are checked at all (<c>authorizer.class.name</c> set).</summary>
    public bool Enabled => settings.Enabled;

    /// <summary>Whether the cluster's ACLs have been read (the broker serves clients only then).</summary>
    public bool Loaded => _loaded;

    internal void Update(IReadOnlyList<AclBinding> acls)
    {
        _loaded = true;
        if (ReferenceEquals(acls, _state.Acls) || acls.SequenceEqual(_state.Acls)) return;
        _state = new State(acls);
    }

    /// <summary>
    /// Whether <paramref name="principal"/> connected from <paramref name="host"/> may perform <paramref name="operation"/>
    /// on the resource. <paramref name="host"/> is null where the client's address cannot be trusted (the client
    /// endpoint, where a client names its own): then only host <c>*</c> grants, and any host's DENY refuses.
    /// </summary>
    public bool Authorize(string principal, string? host, AclOperation operation, AclResourceType type, string name)
    {
        if (!settings.Enabled || settings.SuperUsers.Contains(principal)) return true;
        var state = _state;
        var key = (principal, host, operation, type, name);
        if (state.Decisions.TryGetValue(key, out var allowed)) return allowed;
        allowed = Decide(state, principal, host, operation, type, name);
        if (Interlocked.Increment(ref state.Cached) <= MaxCachedDecisions) state.Decisions.TryAdd(key, allowed);
        return allowed;
    }

    /// <summary>
    /// Whether the principal may <paramref name="operation"/> some resource of <paramref name="type"/> (Kafka's
    /// idempotent-producer check): an ALLOW it has that no DENY of the same pattern cancels, or no ACL of the type at all
    /// with <c>allow.everyone.if.no.acl.found</c>.
    /// </summary>
    public bool AllowedOnAny(string principal, string? host, AclOperation operation, AclResourceType type)
    {
        if (!settings.Enabled || settings.SuperUsers.Contains(principal)) return true;
        var ofType = _state.Acls.Where(a => a.ResourceType == type).ToList();
        if (ofType.Count == 0) return settings.AllowEveryoneIfNoAclFound;
        var mine = ofType.Where(a => PrincipalMatches(a.Principal, principal)).ToList();
        bool Denied(AclBinding allow) => mine.Any(d => d.Permission == AclPermission.Deny && (d.Operation == operation || d.Operation == AclOperation.All)
                                                       && HostMatches(d.Host, host, AclPermission.Deny)
                                                       && (d.ResourceName == "*" && d.PatternType == AclPatternType.Literal
                                                           || allow.ResourceName.StartsWith(d.ResourceName, StringComparison.Ordinal) && d.PatternType == AclPatternType.Prefixed
                                                           || d.ResourceName == allow.ResourceName && d.PatternType == allow.PatternType));
        return mine.Any(a => a.Permission == AclPermission.Allow && Grants(a.Operation, operation) && HostMatches(a.Host, host, AclPermission.Allow) && !Denied(a));
    }

    internal bool Decide(IReadOnlyList<AclBinding> acls, string principal, string? host, AclOperation operation, AclResourceType type, string name) =>
        Decide(new State(acls), principal, host, operation, type, name);

    private bool Decide(State state, string principal, string? host, AclOperation operation, AclResourceType type, string name)
    {
        var onResource = new List<AclBinding>();
        if (state.Literal.TryGetValue((type, name), out var exact)) onResource.AddRange(exact);
        if (name != "*" && state.Literal.TryGetValue((type, "*"), out var wildcard)) onResource.AddRange(wildcard);
        if (state.Prefixed.TryGetValue(type, out var prefixed)) onResource.AddRange(prefixed.Where(a => name.StartsWith(a.ResourceName, StringComparison.Ordinal)));
        var deny = false;
        var allow = false;
        foreach (var a in onResource)
        {
            if (!PrincipalMatches(a.Principal, principal)) continue;
            if (a.Permission == AclPermission.Deny && (a.Operation == operation || a.Operation == AclOperation.All) && HostMatches(a.Host, host, AclPermission.Deny)) deny = true;
            else if (a.Permission == AclPermission.Allow && Grants(a.Operation, operation) && HostMatches(a.Host, host, AclPermission.Allow)) allow = true;
        }
        if (deny) return false;
        if (allow) return true;
        return onResource.Count == 0 && settings.AllowEveryoneIfNoAclFound;
    }

    private static bool PrincipalMatches(string aclPrincipal, string principal) => aclPrincipal == principal || aclPrincipal == "User:*";

    private static bool HostMatches(string aclHost, string? host, AclPermission permission) =>
        aclHost == "*" || (host == null ? permission == AclPermission.Deny : aclHost == host || SameAddress(aclHost, host));

    /// <summary>One address written two ways (IPv6 in full or compressed, as Kafka's users and .NET write it).</summary>
    private static bool SameAddress(string a, string b) => IPAddress.TryParse(a, out var x) && IPAddress.TryParse(b, out var y) && x.Equals(y);

    /// <summary>Kafka's implied operations: an ACL for <paramref name="granted"/> also allows <paramref name="wanted"/>.</summary>
    private static bool Grants(AclOperation granted, AclOperation wanted) =>
        granted == wanted || granted == AclOperation.All
        || (wanted == AclOperation.Describe && granted is AclOperation.Read or AclOperation.Write or AclOperation.Delete or AclOperation.Alter)
        || (wanted == AclOperation.DescribeConfigs && granted == AclOperation.AlterConfigs);
}
