using AkkaBroker.Client.Admin;
using P = AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Client.Internal;

/// <summary>The admin API's quota entities (a map of entity types, as Kafka's Java client) to the broker's messages and back.</summary>
internal static class QuotaConversions
{
    /// <exception cref="KafkaException">an entity names no type, or a type the broker does not keep quotas for.</exception>
    public static P.ClientQuotaEntity ToProtocol(ClientQuotaEntity entity)
    {
        if (entity.Entries.Keys.FirstOrDefault(k => k is not (ClientQuotaEntity.User or ClientQuotaEntity.ClientId)) is { } other)
            throw new KafkaException(new Error(ErrorCode.Local_InvalidArg,
                $"Quota entity type '{other}' is not served: quotas are set on '{ClientQuotaEntity.User}', '{ClientQuotaEntity.ClientId}', or both."));
        if (entity.Entries.Count == 0)
            throw new KafkaException(new Error(ErrorCode.Local_InvalidArg, $"A quota entity names a '{ClientQuotaEntity.User}', a '{ClientQuotaEntity.ClientId}', or both."));
        P.QuotaEntityName? Part(string type) => entity.Entries.TryGetValue(type, out var name) ? new P.QuotaEntityName(name) : null;
        return new P.ClientQuotaEntity(Part(ClientQuotaEntity.User), Part(ClientQuotaEntity.ClientId));
    }

    public static ClientQuotaEntity FromProtocol(P.ClientQuotaEntity entity)
    {
        var entries = new Dictionary<string, string?>();
        if (entity.User != null) entries[ClientQuotaEntity.User] = entity.User.Name;
        if (entity.ClientId != null) entries[ClientQuotaEntity.ClientId] = entity.ClientId.Name;
        return new ClientQuotaEntity(entries);
    }
}
