using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>
/// The access control lists (Kafka's CreateAcls, DeleteAcls, DescribeAcls): kept in the replicated state, so every
/// broker authorises requests against its own copy.
/// </summary>
public sealed partial class ControllerState
{
    /// <summary>The most ACLs the cluster keeps: each costs about 60 bytes of the replicated state.</summary>
    public const int MaxAcls = 20_000;

    private readonly List<AclBinding> _acls = [];

    public IReadOnlyList<AclBinding> Acls => _acls;

    /// <summary>The most ACLs one request may create or filters it may name.</summary>
    public const int MaxAclsPerRequest = 1_000;

    public ControllerResult DecideCreateAcls(CreateAclsRequest r)
    {
        var outcomes = new AclOutcome[r.Creations.Count];
        if (r.Creations.Count > MaxAclsPerRequest)
            return ControllerResult.Reply(new CreateAclsResponse(ErrorCode.InvalidRequest, $"{r.Creations.Count} ACLs in one request; at most {MaxAclsPerRequest} are taken.",
                r.Creations.Select(_ => new AclOutcome(ErrorCode.InvalidRequest, $"at most {MaxAclsPerRequest} ACLs per request")).ToArray()));
        var existing = _acls.ToHashSet();
        var added = new List<AclBinding>();
        var addedSet = new HashSet<AclBinding>();
        for (var i = 0; i < r.Creations.Count; i++)
        {
            var acl = r.Creations[i];
            if (AclProblem(acl) is { } problem)
                outcomes[i] = new AclOutcome(ErrorCode.InvalidRequest, problem);
            else if (existing.Contains(acl) || addedSet.Contains(acl))
                // Creating an ACL that exists already succeeds and changes nothing, as in Kafka.
                outcomes[i] = new AclOutcome(ErrorCode.None, null);
            else if (_acls.Count + added.Count >= MaxAcls)
                outcomes[i] = new AclOutcome(ErrorCode.InvalidRequest, $"The cluster keeps at most {MaxAcls} ACLs and has {_acls.Count}; remove ACLs that are no longer needed, or use prefixed patterns.");
            else
            {
                added.Add(acl);
                addedSet.Add(acl);
                outcomes[i] = new AclOutcome(ErrorCode.None, null);
            }
        }
        var response = new CreateAclsResponse(ErrorCode.None, null, outcomes);
        return added.Count == 0 ? ControllerResult.Reply(response) : ControllerResult.Record(new AclsChanged(added, []), response);
    }

    /// <summary>Why <paramref name="acl"/> cannot be an ACL, in Kafka's words, or null.</summary>
    private static string? AclProblem(AclBinding acl)
    {
        if (acl.ResourceType is AclResourceType.Any || !Enum.IsDefined(acl.ResourceType))
            return $"Resource type {acl.ResourceType} cannot be in an ACL: use Topic, Group, Cluster or TransactionalId.";
        if (acl.PatternType is not (AclPatternType.Literal or AclPatternType.Prefixed))
            return $"Pattern type {acl.PatternType} cannot be in an ACL: use Literal or Prefixed.";
        if (acl.Operation is AclOperation.Any || !Enum.IsDefined(acl.Operation))
            return $"Operation {acl.Operation} cannot be in an ACL: name one, or All.";
        if (acl.Permission is AclPermission.Any || !Enum.IsDefined(acl.Permission))
            return "An ACL either allows or denies.";
        if (acl.ResourceName.Length is 0 or > 512)
            return "An ACL's resource name must be 1 to 512 characters long.";
        if (acl.ResourceType == AclResourceType.Cluster && (acl.ResourceName != "kafka-cluster" || acl.PatternType != AclPatternType.Literal))
            return "The cluster resource is named kafka-cluster, literally (as in Kafka).";
        if (acl.PatternType == AclPatternType.Prefixed && acl.ResourceName == "*")
            return "A prefixed pattern cannot be '*': use a literal '*' for every resource.";
        var colon = acl.Principal.IndexOf(':');
        if (colon <= 0 || colon == acl.Principal.Length - 1 || acl.Principal.Length > 300)
            return $"Principal '{acl.Principal}' is not one: write it as Kafka does, User:NAME (User:* for every user).";
        if (acl.Host.Length is 0 or > 64)
            return $"Host '{acl.Host}' is not one: an IP address, or * for every host.";
        return null;
    }

    public ControllerResult DecideDeleteAcls(DeleteAclsRequest r)
    {
        if (r.Filters.Count > MaxAclsPerRequest)
            return ControllerResult.Reply(new DeleteAclsResponse(ErrorCode.InvalidRequest, $"{r.Filters.Count} filters in one request; at most {MaxAclsPerRequest} are taken.",
                r.Filters.Select(_ => new DeleteAclsFilterResult(ErrorCode.InvalidRequest, $"at most {MaxAclsPerRequest} filters per request", [])).ToArray()));
        var removed = new List<AclBinding>();
        var removedSet = new HashSet<AclBinding>();
        var results = r.Filters.Select(filter =>
        {
            var matched = _acls.Where(filter.Matches).ToArray();
            foreach (var acl in matched)
                if (removedSet.Add(acl)) removed.Add(acl);
            return new DeleteAclsFilterResult(ErrorCode.None, null, matched);
        }).ToArray();
        var response = new DeleteAclsResponse(ErrorCode.None, null, results);
        return removed.Count == 0 ? ControllerResult.Reply(response) : ControllerResult.Record(new AclsChanged([], removed), response);
    }

    public DescribeAclsResponse DescribeAcls(DescribeAclsRequest r) => new(ErrorCode.None, null, _acls.Where(r.Filter.Matches).ToArray());

    private void ApplyAcls(AclsChanged e)
    {
        if (e.Removed.Count > 0)
        {
            var removed = e.Removed.ToHashSet();
            _acls.RemoveAll(removed.Contains);
        }
        var present = _acls.ToHashSet();
        foreach (var acl in e.Added)
            if (present.Add(acl)) _acls.Add(acl);
    }
}
