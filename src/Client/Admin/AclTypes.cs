namespace AkkaBroker.Client.Admin;

// Confluent.Kafka's ACL types, with Kafka's numbers in every enum.

/// <summary>How an ACL's resource name is matched.</summary>
public enum ResourcePatternType
{
    /// <summary>Not known.</summary>
    Unknown = 0,
    /// <summary>In filters: any pattern type.</summary>
    Any = 1,
    /// <summary>In filters: every ACL that applies to the name (literal, the wildcard <c>*</c>, and prefixes of it).</summary>
    Match = 2,
    /// <summary>The name itself (or <c>*</c> for every resource).</summary>
    Literal = 3,
    /// <summary>Every name that starts with it.</summary>
    Prefixed = 4,
}

/// <summary>What an ACL allows or denies.</summary>
public enum AclOperation
{
    /// <summary>Not known.</summary>
    Unknown = 0,
    /// <summary>In filters: any operation.</summary>
    Any = 1,
    /// <summary>Every operation.</summary>
    All = 2,
    /// <summary>Fetch from a topic; join, sync, heartbeat and commit in a group.</summary>
    Read = 3,
    /// <summary>Produce to a topic.</summary>
    Write = 4,
    /// <summary>Create a topic (on the topic or the cluster).</summary>
    Create = 5,
    /// <summary>Delete a topic, its records, a group or its offsets.</summary>
    Delete = 6,
    /// <summary>Add partitions to a topic; cluster operations (elections, reassignments, ACLs, users).</summary>
    Alter = 7,
    /// <summary>See a topic, group or the cluster's ACLs and users (implied by Read, Write, Delete and Alter).</summary>
    Describe = 8,
    /// <summary>Inter-broker operations (not used by clients).</summary>
    ClusterAction = 9,
    /// <summary>Read configs (implied by AlterConfigs).</summary>
    DescribeConfigs = 10,
    /// <summary>Change configs.</summary>
    AlterConfigs = 11,
    /// <summary>Be an idempotent producer (Write on any topic does too).</summary>
    IdempotentWrite = 12,
}

/// <summary>Whether an ACL allows or denies.</summary>
public enum AclPermissionType
{
    /// <summary>Not known.</summary>
    Unknown = 0,
    /// <summary>In filters: either.</summary>
    Any = 1,
    /// <summary>Refuses, whatever else allows.</summary>
    Deny = 2,
    /// <summary>Allows, unless something denies.</summary>
    Allow = 3,
}

/// <summary>The resources an ACL is about: <see cref="ResourceType.Broker"/> is the cluster (named <c>kafka-cluster</c>).</summary>
public sealed class ResourcePattern
{
    /// <summary>Topic, Group or Broker (the cluster).</summary>
    public ResourceType Type { get; set; }
    /// <summary>The name, prefix, or <c>*</c>.</summary>
    public string Name { get; set; } = "";
    /// <summary>Literal or Prefixed.</summary>
    public ResourcePatternType ResourcePatternType { get; set; } = ResourcePatternType.Literal;

    /// <inheritdoc />
    public override string ToString() => $"ResourcePattern(resourceType={Type}, name={Name}, patternType={ResourcePatternType})";
}

/// <summary>Who is allowed or denied what, from where.</summary>
public sealed class AccessControlEntry
{
    /// <summary>A principal as Kafka writes them: <c>User:alice</c>, or <c>User:*</c> for every user.</summary>
    public string Principal { get; set; } = "";
    /// <summary>An IP address, or <c>*</c> for every host.</summary>
    public string Host { get; set; } = "*";
    /// <summary>The operation.</summary>
    public AclOperation Operation { get; set; }
    /// <summary>Allow or Deny.</summary>
    public AclPermissionType PermissionType { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"(principal={Principal}, host={Host}, operation={Operation}, permissionType={PermissionType})";
}

/// <summary>One ACL.</summary>
public sealed class AclBinding
{
    /// <summary>The resources it is about.</summary>
    public ResourcePattern Pattern { get; set; } = new();
    /// <summary>Who, what and whether.</summary>
    public AccessControlEntry Entry { get; set; } = new();

    /// <inheritdoc />
    public override string ToString() => $"{Entry} on {Pattern}";
}

/// <summary>Which resources a filter matches: <see cref="ResourceType.Any"/>, a null name and <see cref="ResourcePatternType.Any"/> match all.</summary>
public sealed class ResourcePatternFilter
{
    /// <summary>The type, or Any.</summary>
    public ResourceType Type { get; set; } = ResourceType.Any;
    /// <summary>The name, or null for any.</summary>
    public string? Name { get; set; }
    /// <summary>The pattern type, Any, or Match (every ACL that applies to <see cref="Name"/>).</summary>
    public ResourcePatternType ResourcePatternType { get; set; } = ResourcePatternType.Any;
}

/// <summary>Which entries a filter matches: null principal and host and the Any values match all.</summary>
public sealed class AccessControlEntryFilter
{
    /// <summary>The principal, or null for any.</summary>
    public string? Principal { get; set; }
    /// <summary>The host, or null for any.</summary>
    public string? Host { get; set; }
    /// <summary>The operation, or Any.</summary>
    public AclOperation Operation { get; set; } = AclOperation.Any;
    /// <summary>The permission, or Any.</summary>
    public AclPermissionType PermissionType { get; set; } = AclPermissionType.Any;
}

/// <summary>Which ACLs a describe or delete is about.</summary>
public sealed class AclBindingFilter
{
    /// <summary>The resources.</summary>
    public ResourcePatternFilter PatternFilter { get; set; } = new();
    /// <summary>The entries.</summary>
    public AccessControlEntryFilter EntryFilter { get; set; } = new();
}

/// <summary>The answer of <see cref="IAdminClient.DescribeAclsAsync"/>.</summary>
public sealed class DescribeAclsResult
{
    /// <summary>The ACLs the filter matched.</summary>
    public List<AclBinding> AclBindings { get; set; } = [];
}

/// <summary>What one filter of <see cref="IAdminClient.DeleteAclsAsync"/> removed.</summary>
public sealed class DeleteAclsResult
{
    /// <summary>The ACLs removed.</summary>
    public List<AclBinding> AclBindings { get; set; } = [];
}

/// <summary>One ACL's outcome of <see cref="IAdminClient.CreateAclsAsync"/>.</summary>
public sealed class CreateAclReport
{
    /// <summary>NoError, or why the ACL was refused.</summary>
    public Error Error { get; set; } = Error.NoError;
}

/// <summary>Some ACLs were not created; <see cref="Results"/> has each one's outcome, in the order given.</summary>
public sealed class CreateAclsException(List<CreateAclReport> results)
    : KafkaException(AdminErrors.Partial("creating ACLs", results.Select((r, i) => ($"ACL {i}", r.Error))))
{
    /// <summary>Each ACL's outcome.</summary>
    public List<CreateAclReport> Results { get; } = results;
}

/// <summary>Options of <see cref="IAdminClient.CreateAclsAsync"/>.</summary>
public sealed class CreateAclsOptions
{
    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DescribeAclsAsync"/>.</summary>
public sealed class DescribeAclsOptions
{
    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DeleteAclsAsync"/>.</summary>
public sealed class DeleteAclsOptions
{
    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}
