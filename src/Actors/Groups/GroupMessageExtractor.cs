using Akka.Cluster.Sharding;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// Routes group requests to this broker's coordinator entity of their group (<c>groupId@broker</c>), in the broker's
/// own shard (<c>broker-N</c>), pinned to its node like the partition replicas: the group's journal is on that node.
/// The gateway sends a group's requests here only when this broker coordinates the group.
/// </summary>
public sealed class GroupMessageExtractor(int localBrokerId) : HashCodeMessageExtractor(1)
{
    // Every group request (commits included) asks for its shard: answer the local one without parsing or allocating.
    private readonly string _localSuffix = "@" + localBrokerId;
    private readonly string _localShard = BrokerRole.For(localBrokerId);

    public const string TypeName = "group";

    public static string EntityIdFor(string groupId, int brokerId) => $"{groupId}@{brokerId}";

    /// <summary>Group ids may contain '@'; broker ids never do, so the last '@' separates them.</summary>
    public static (string GroupId, int BrokerId) ParseEntityId(string entityId)
    {
        var at = entityId.LastIndexOf('@');
        if (at < 0 || !int.TryParse(entityId.AsSpan(at + 1), out var broker))
            throw new ArgumentException($"'{entityId}' is not a group coordinator entity id (groupId@broker)", nameof(entityId));
        return (entityId[..at], broker);
    }

    public override string? EntityId(object message) => message is IGroupRequest r ? EntityIdFor(r.GroupId, localBrokerId) : null;

    public override string ShardId(string entityId, object? messageHint = null) =>
        entityId.EndsWith(_localSuffix, StringComparison.Ordinal) ? _localShard : BrokerRole.For(ParseEntityId(entityId).BrokerId);
}
