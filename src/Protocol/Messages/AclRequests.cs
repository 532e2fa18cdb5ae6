namespace AkkaBroker.Protocol.Messages;

// Kafka's ACL model, with Kafka's numbers for each enum (the wire protocol's and the admin clients').

/// <summary>What an ACL is about.</summary>
public enum AclResourceType : byte
{
    Any = 1,
    Topic = 2,
    Group = 3,
    Cluster = 4,
    TransactionalId = 5,
}

/// <summary>How an ACL's resource name is matched: the name itself, or every name starting with it.</summary>
public enum AclPatternType : byte
{
    /// <summary>In filters: any pattern type.</summary>
    Any = 1,
    /// <summary>In filters: every ACL that applies to the name (literal, the literal wildcard <c>*</c>, prefixes of it).</summary>
    Match = 2,
    Literal = 3,
    Prefixed = 4,
}

/// <summary>What an ACL allows or denies.</summary>
public enum AclOperation : byte
{
    /// <summary>In filters: any operation.</summary>
    Any = 1,
    All = 2,
    Read = 3,
    Write = 4,
    Create = 5,
    Delete = 6,
    Alter = 7,
    Describe = 8,
    ClusterAction = 9,
    DescribeConfigs = 10,
    AlterConfigs = 11,
    IdempotentWrite = 12,
}

/// <summary>Whether an ACL allows or denies.</summary>
public enum AclPermission : byte
{
    /// <summary>In filters: either.</summary>
    Any = 1,
    Deny = 2,
    Allow = 3,
}

/// <summary>
/// One ACL (Kafka's AclBinding): <c>Principal</c> (<c>User:alice</c>, or <c>User:*</c> for everyone) from <c>Host</c>
/// (an IP address, or <c>*</c>) is allowed or denied <c>Operation</c> on the resources the pattern names.
/// </summary>
public sealed record AclBinding(AclResourceType ResourceType, string ResourceName, AclPatternType PatternType, string Principal, string Host,
    AclOperation Operation, AclPermission Permission)
{
    public override string ToString() =>
        $"(principal={Principal}, host={Host}, operation={Operation}, permissionType={Permission}) on {ResourceType}:{PatternType}:{ResourceName}";
}

/// <summary>
/// Which ACLs a describe or delete is about (Kafka's AclBindingFilter): null names, principals and hosts and the
/// <c>Any</c> values match everything.
/// </summary>
public sealed record AclFilter(AclResourceType ResourceType, string? ResourceName, AclPatternType PatternType, string? Principal, string? Host,
    AclOperation Operation, AclPermission Permission)
{
    /// <summary>Every ACL.</summary>
    public static readonly AclFilter Everything = new(AclResourceType.Any, null, AclPatternType.Any, null, null, AclOperation.Any, AclPermission.Any);

    public bool Matches(AclBinding acl) =>
        (ResourceType == AclResourceType.Any || ResourceType == acl.ResourceType)
        && PatternMatches(acl)
        && (Principal == null || Principal == acl.Principal)
        && (Host == null || Host == acl.Host)
        && (Operation == AclOperation.Any || Operation == acl.Operation)
        && (Permission == AclPermission.Any || Permission == acl.Permission);

    private bool PatternMatches(AclBinding acl) => PatternType switch
    {
        AclPatternType.Any => ResourceName == null || ResourceName == acl.ResourceName,
        AclPatternType.Match => ResourceName == null || (acl.PatternType == AclPatternType.Literal
            ? acl.ResourceName == ResourceName || acl.ResourceName == "*"
            : ResourceName.StartsWith(acl.ResourceName, StringComparison.Ordinal)),
        _ => PatternType == acl.PatternType && (ResourceName == null || ResourceName == acl.ResourceName),
    };
}

/// <summary>Kafka's CreateAcls: each ACL is answered apart.</summary>
public sealed record CreateAclsRequest(IReadOnlyList<AclBinding> Creations);

public sealed record AclOutcome(ErrorCode Error, string? ErrorMessage);

public sealed record CreateAclsResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<AclOutcome> Results);

/// <summary>Kafka's DeleteAcls: every ACL each filter matches goes; each filter is answered with what it removed.</summary>
public sealed record DeleteAclsRequest(IReadOnlyList<AclFilter> Filters);

public sealed record DeleteAclsFilterResult(ErrorCode Error, string? ErrorMessage, IReadOnlyList<AclBinding> Deleted);

public sealed record DeleteAclsResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<DeleteAclsFilterResult> Results);

/// <summary>Kafka's DescribeAcls: the ACLs the filter matches.</summary>
public sealed record DescribeAclsRequest(AclFilter Filter);

public sealed record DescribeAclsResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<AclBinding> Bindings);

/// <summary>Controller state change: ACLs added and removed, as one change.</summary>
public sealed record AclsChanged(IReadOnlyList<AclBinding> Added, IReadOnlyList<AclBinding> Removed);
