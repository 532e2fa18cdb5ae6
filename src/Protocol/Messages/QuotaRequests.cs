namespace AkkaBroker.Protocol.Messages;

// Kafka's client quotas (KIP-257, KIP-546): byte rates and request-time shares set per user, per client id, or per
// user and client id, each with a default entity that stands for every name without quotas of its own.

/// <summary>One component of a quota entity: a name, or the default (a null <c>Name</c>), which applies to every name.</summary>
public sealed record QuotaEntityName(string? Name)
{
    public static readonly QuotaEntityName Default = new((string?)null);

    public bool IsDefault => Name == null;

    public override string ToString() => Name == null ? "<default>" : $"'{Name}'";
}

/// <summary>
/// What a quota is set on, as Kafka's <c>ClientQuotaEntity</c>: a user (the principal's name, <c>alice</c> for
/// <c>User:alice</c>), a client id, or both. At least one is named.
/// </summary>
public sealed record ClientQuotaEntity(QuotaEntityName? User, QuotaEntityName? ClientId)
{
    /// <summary>Kafka's entity type names.</summary>
    public const string UserType = "user";
    public const string ClientIdType = "client-id";
    public const string IpType = "ip";

    public override string ToString() => (User, ClientId) switch
    {
        ({ } u, { } c) => $"user {u}, client-id {c}",
        ({ } u, null) => $"user {u}",
        (null, { } c) => $"client-id {c}",
        _ => "no entity",
    };
}

/// <summary>Kafka's quota config keys, with the values they take.</summary>
public static class ClientQuotaKeys
{
    /// <summary>Bytes per second a producer may send (record batches appended).</summary>
    public const string ProducerByteRate = "producer_byte_rate";

    /// <summary>Bytes per second a consumer may receive (record batches fetched).</summary>
    public const string ConsumerByteRate = "consumer_byte_rate";

    /// <summary>Percentage of one request-handling thread's time (may exceed 100 for several threads' worth).</summary>
    public const string RequestPercentage = "request_percentage";

    public static readonly IReadOnlyList<string> All = [ProducerByteRate, ConsumerByteRate, RequestPercentage];
}

/// <summary>Sets (<c>Remove</c> false) or removes a quota of an entity.</summary>
public sealed record ClientQuotaOp(string Key, double Value, bool Remove);

/// <summary>The changes to one entity's quotas.</summary>
public sealed record ClientQuotaAlteration(ClientQuotaEntity Entity, IReadOnlyList<ClientQuotaOp> Ops);

/// <summary>Kafka's AlterClientQuotas: each entity's outcome is answered apart.</summary>
public sealed record AlterClientQuotasRequest(IReadOnlyList<ClientQuotaAlteration> Entries, bool ValidateOnly);

public sealed record ClientQuotaOutcome(ClientQuotaEntity Entity, ErrorCode Error, string? ErrorMessage);

public sealed record AlterClientQuotasResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<ClientQuotaOutcome> Results);

/// <summary>How a filter component matches an entity's name of its type (Kafka's numbers).</summary>
public enum QuotaMatchType : byte
{
    /// <summary>The name given.</summary>
    Exact = 0,
    /// <summary>The default entity.</summary>
    Default = 1,
    /// <summary>Any name, not the default.</summary>
    Specified = 2,
}

/// <summary>One component of a filter: entities with a name of <c>EntityType</c> that matches.</summary>
public sealed record ClientQuotaFilterComponent(string EntityType, QuotaMatchType Match, string? Name);

/// <summary>
/// Kafka's DescribeClientQuotas: the entities that match every component; <c>Strict</c> leaves out entities with
/// components the filter does not name.
/// </summary>
public sealed record DescribeClientQuotasRequest(IReadOnlyList<ClientQuotaFilterComponent> Components, bool Strict);

/// <summary>An entity and the quotas set on it.</summary>
public sealed record ClientQuotaEntry(ClientQuotaEntity Entity, IReadOnlyDictionary<string, double> Values);

public sealed record DescribeClientQuotasResponse(ErrorCode Error, string? ErrorMessage, IReadOnlyList<ClientQuotaEntry> Entries);

/// <summary>Controller state change: an entity's complete new set of quotas; an empty set removes the entity.</summary>
public sealed record ClientQuotasChanged(ClientQuotaEntity Entity, IReadOnlyDictionary<string, double> Values);
