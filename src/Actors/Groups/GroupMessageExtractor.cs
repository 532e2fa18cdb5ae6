using Akka.Cluster.Sharding;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>Routes group requests to the coordinator entity of their group; the entity id is the group id itself.</summary>
public sealed class GroupMessageExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public const string TypeName = "group";

    public override string? EntityId(object message) => message is IGroupRequest r ? r.GroupId : null;
}
