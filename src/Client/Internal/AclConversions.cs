using AkkaBroker.Client.Admin;
using P = AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Client.Internal;

/// <summary>Confluent's ACL types to the broker's messages and back: the enums share Kafka's numbers, Broker being the cluster.</summary>
internal static class AclConversions
{
    public static P.AclBinding ToProtocol(AclBinding b) => new((P.AclResourceType)(int)b.Pattern.Type, b.Pattern.Name, (P.AclPatternType)(int)b.Pattern.ResourcePatternType,
        b.Entry.Principal, b.Entry.Host, (P.AclOperation)(int)b.Entry.Operation, (P.AclPermission)(int)b.Entry.PermissionType);

    public static P.AclFilter ToProtocol(AclBindingFilter f) => new((P.AclResourceType)(int)f.PatternFilter.Type, f.PatternFilter.Name,
        (P.AclPatternType)(int)f.PatternFilter.ResourcePatternType, f.EntryFilter.Principal, f.EntryFilter.Host, (P.AclOperation)(int)f.EntryFilter.Operation,
        (P.AclPermission)(int)f.EntryFilter.PermissionType);

    public static AclBinding FromProtocol(P.AclBinding b) => new()
    {
        Pattern = new ResourcePattern { Type = (ResourceType)(int)b.ResourceType, Name = b.ResourceName, ResourcePatternType = (ResourcePatternType)(int)b.PatternType },
        Entry = new AccessControlEntry { Principal = b.Principal, Host = b.Host, Operation = (AclOperation)(int)b.Operation, PermissionType = (AclPermissionType)(int)b.Permission },
    };
}
