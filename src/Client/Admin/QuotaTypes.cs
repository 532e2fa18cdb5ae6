namespace AkkaBroker.Client.Admin;

// Kafka's client quota admin types (the Java Admin client's ClientQuotaEntity, ClientQuotaAlteration and
// ClientQuotaFilter; Confluent.Kafka has none).

/// <summary>
/// What a quota is set on: a user, a client id, or a user and a client id, each by name or as the default (a null
/// name), which applies to every user or client id without a quota of its own. Keys are <see cref="User"/> and
/// <see cref="ClientId"/>.
/// </summary>
public sealed class ClientQuotaEntity : IEquatable<ClientQuotaEntity>
{
    /// <summary>The entity type of a user: the principal's name, <c>alice</c> for <c>User:alice</c> (<c>ANONYMOUS</c> for unauthenticated clients).</summary>
    public const string User = "user";

    /// <summary>The entity type of a client id: the producer's or consumer's <c>client.id</c>.</summary>
    public const string ClientId = "client-id";

    /// <param name="entries">Entity type (<see cref="User"/>, <see cref="ClientId"/>) to name; a null name is the default entity.</param>
    public ClientQuotaEntity(IDictionary<string, string?> entries) => Entries = new Dictionary<string, string?>(entries);

    /// <summary>Entity type to name; a null name is the default entity of that type.</summary>
    public IReadOnlyDictionary<string, string?> Entries { get; }

    public bool Equals(ClientQuotaEntity? other) =>
        other != null && other.Entries.Count == Entries.Count && Entries.All(kv => other.Entries.TryGetValue(kv.Key, out var v) && v == kv.Value);

    public override bool Equals(object? obj) => Equals(obj as ClientQuotaEntity);

    public override int GetHashCode() => Entries.OrderBy(kv => kv.Key, StringComparer.Ordinal).Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value));

    public override string ToString() =>
        string.Join(", ", Entries.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value == null ? $"{kv.Key}=<default>" : $"{kv.Key}={kv.Value}"));
}

/// <summary>Sets a quota (<see cref="Value"/>) or removes it (a null value).</summary>
/// <param name="Key"><c>producer_byte_rate</c>, <c>consumer_byte_rate</c> (bytes per second) or <c>request_percentage</c> (percent of one request thread).</param>
/// <param name="Value">The quota; null removes it, so the next most specific entity's applies.</param>
public sealed record ClientQuotaAlterationOp(string Key, double? Value);

/// <summary>The changes to one entity's quotas.</summary>
public sealed class ClientQuotaAlteration
{
    public required ClientQuotaEntity Entity { get; init; }

    public required IReadOnlyList<ClientQuotaAlterationOp> Ops { get; init; }
}

/// <summary>One condition of a <see cref="ClientQuotaFilter"/>: which names of an entity type match.</summary>
public sealed class ClientQuotaFilterComponent
{
    private ClientQuotaFilterComponent(string entityType, string? name, bool isDefault)
    {
        EntityType = entityType;
        Name = name;
        IsDefault = isDefault;
    }

    public string EntityType { get; }

    /// <summary>The name matched; null with <see cref="IsDefault"/> (the default entity) or for any name.</summary>
    public string? Name { get; }

    /// <summary>True when it matches the default entity.</summary>
    public bool IsDefault { get; }

    /// <summary>Matches entities whose <paramref name="entityType"/> is <paramref name="name"/>.</summary>
    public static ClientQuotaFilterComponent OfEntity(string entityType, string name) => new(entityType, name, false);

    /// <summary>Matches entities whose <paramref name="entityType"/> is the default.</summary>
    public static ClientQuotaFilterComponent OfDefaultEntity(string entityType) => new(entityType, null, true);

    /// <summary>Matches entities with any name (not the default) of <paramref name="entityType"/>.</summary>
    public static ClientQuotaFilterComponent OfEntityType(string entityType) => new(entityType, null, false);
}

/// <summary>Which entities <see cref="IAdminClient.DescribeClientQuotasAsync"/> describes.</summary>
public sealed class ClientQuotaFilter
{
    private ClientQuotaFilter(IReadOnlyList<ClientQuotaFilterComponent> components, bool strict) => (Components, Strict) = (components, strict);

    public IReadOnlyList<ClientQuotaFilterComponent> Components { get; }

    /// <summary>True: only entities with no entity type the components leave out.</summary>
    public bool Strict { get; }

    /// <summary>Entities matching every component, whatever other entity types they have.</summary>
    public static ClientQuotaFilter Contains(IEnumerable<ClientQuotaFilterComponent> components) => new(components.ToList(), false);

    /// <summary>Entities matching every component and with no other entity type.</summary>
    public static ClientQuotaFilter ContainsOnly(IEnumerable<ClientQuotaFilterComponent> components) => new(components.ToList(), true);

    /// <summary>Every entity with quotas.</summary>
    public static ClientQuotaFilter All() => new([], false);
}

/// <summary>One entity's outcome of <see cref="IAdminClient.AlterClientQuotasAsync"/>.</summary>
public sealed class AlterClientQuotasReport
{
    public required ClientQuotaEntity Entity { get; init; }

    public Error Error { get; init; } = Error.NoError;
}

/// <summary>Some entities' quotas were not changed; <see cref="Results"/> has each entity's outcome.</summary>
public sealed class AlterClientQuotasException(List<AlterClientQuotasReport> results)
    : KafkaException(AdminErrors.Partial("altering client quotas", results.Select(r => (r.Entity.ToString(), r.Error))))
{
    /// <summary>Each entity's outcome.</summary>
    public List<AlterClientQuotasReport> Results { get; } = results;
}

/// <summary>Options of <see cref="IAdminClient.AlterClientQuotasAsync"/>.</summary>
public sealed class AlterClientQuotasOptions
{
    /// <summary>Check the changes without making them.</summary>
    public bool ValidateOnly { get; set; }

    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}

/// <summary>Options of <see cref="IAdminClient.DescribeClientQuotasAsync"/>.</summary>
public sealed class DescribeClientQuotasOptions
{
    /// <summary>How long to wait for the answer; null for <c>request.timeout.ms</c>.</summary>
    public TimeSpan? RequestTimeout { get; set; }
}
