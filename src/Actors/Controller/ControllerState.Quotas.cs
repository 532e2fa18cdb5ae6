using System.Globalization;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>
/// Client quotas (Kafka's AlterClientQuotas and DescribeClientQuotas): kept in the replicated state, so every broker
/// throttles its clients by its own copy. Each broker measures its own clients' rates, as Kafka's brokers do: a quota
/// is per broker.
/// </summary>
public sealed partial class ControllerState
{
    /// <summary>The most entities the cluster keeps quotas for (each costs under 1 KiB of the replicated state).</summary>
    public const int MaxQuotaEntities = 10_000;

    /// <summary>The longest user name or client id a quota is set on.</summary>
    public const int MaxQuotaNameLength = 256;

    /// <summary>The most entities one request may change.</summary>
    public const int MaxQuotaEntriesPerRequest = 1_000;

    private readonly Dictionary<ClientQuotaEntity, IReadOnlyDictionary<string, double>> _clientQuotas = new();

    /// <summary>The quotas set, by entity.</summary>
    public IReadOnlyDictionary<ClientQuotaEntity, IReadOnlyDictionary<string, double>> ClientQuotas => _clientQuotas;

    public ControllerResult DecideAlterClientQuotas(AlterClientQuotasRequest r)
    {
        if (r.Entries.Count > MaxQuotaEntriesPerRequest)
            return ControllerResult.Reply(new AlterClientQuotasResponse(ErrorCode.InvalidRequest,
                $"The request changes {r.Entries.Count} entities' quotas; at most {MaxQuotaEntriesPerRequest} are taken in one request.", []));
        var outcomes = new Dictionary<ClientQuotaEntity, ClientQuotaOutcome>();
        foreach (var twice in r.Entries.GroupBy(e => e.Entity).Where(g => g.Count() > 1))
            outcomes[twice.Key] = new ClientQuotaOutcome(twice.Key, ErrorCode.InvalidRequest,
                $"The {twice.Key} is named more than once in this request; give each entity's changes once.");
        var changed = new Dictionary<ClientQuotaEntity, Dictionary<string, double>>();
        foreach (var entry in r.Entries.Where(e => !outcomes.ContainsKey(e.Entity)))
        {
            if ((QuotaEntityProblem(entry.Entity) ?? QuotaOpsProblem(entry)) is { } problem)
            {
                outcomes[entry.Entity] = new ClientQuotaOutcome(entry.Entity, ErrorCode.InvalidRequest, problem);
                continue;
            }
            var values = _clientQuotas.TryGetValue(entry.Entity, out var current) ? new Dictionary<string, double>(current) : [];
            foreach (var op in entry.Ops)
                if (op.Remove) values.Remove(op.Key);
                else values[op.Key] = op.Value;
            changed[entry.Entity] = values;
        }
        var added = changed.Count(kv => kv.Value.Count > 0 && !_clientQuotas.ContainsKey(kv.Key));
        var removed = changed.Count(kv => kv.Value.Count == 0 && _clientQuotas.ContainsKey(kv.Key));
        if (added > 0 && _clientQuotas.Count + added - removed > MaxQuotaEntities)
            foreach (var entity in changed.Keys.Where(e => !_clientQuotas.ContainsKey(e) && changed[e].Count > 0).ToList())
            {
                outcomes[entity] = new ClientQuotaOutcome(entity, ErrorCode.PolicyViolation,
                    $"The cluster keeps quotas for at most {MaxQuotaEntities} entities and has {_clientQuotas.Count}; remove quotas no longer needed, or set a default quota instead.");
                changed.Remove(entity);
            }
        var response = new AlterClientQuotasResponse(ErrorCode.None, null,
            r.Entries.Select(e => e.Entity).Distinct().Select(e => outcomes.GetValueOrDefault(e) ?? new ClientQuotaOutcome(e, ErrorCode.None, null)).ToArray());
        if (r.ValidateOnly) return ControllerResult.Reply(response);
        var events = changed
            .Where(kv => !SameQuotas(_clientQuotas.GetValueOrDefault(kv.Key), kv.Value))
            .Select(kv => (object)new ClientQuotasChanged(kv.Key, kv.Value)).ToArray();
        return new ControllerResult(events, response);
    }

    private static bool SameQuotas(IReadOnlyDictionary<string, double>? current, Dictionary<string, double> next) =>
        current == null ? next.Count == 0 : current.Count == next.Count && next.All(kv => current.TryGetValue(kv.Key, out var v) && v.Equals(kv.Value));

    private static string? QuotaEntityProblem(ClientQuotaEntity entity)
    {
        if (entity.User == null && entity.ClientId == null)
            return "A quota entity names a user, a client id, or both (the ip entity's connection_creation_rate is not served by this broker).";
        foreach (var (type, name) in new[] { (ClientQuotaEntity.UserType, entity.User), (ClientQuotaEntity.ClientIdType, entity.ClientId) })
        {
            if (name?.Name is not { } text) continue;
            if (text.Length > MaxQuotaNameLength)
                return $"The {type} name '{text[..32]}...' is {text.Length} characters long; at most {MaxQuotaNameLength} are taken.";
            if (text.Any(char.IsControl)) return $"The {type} name must not contain control characters.";
        }
        return null;
    }

    private static string? QuotaOpsProblem(ClientQuotaAlteration entry)
    {
        if (entry.Ops.GroupBy(o => o.Key).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return $"Quota '{twice.Key}' of the {entry.Entity} is changed more than once in this request.";
        foreach (var op in entry.Ops)
        {
            if (!ClientQuotaKeys.All.Contains(op.Key))
                return op.Key == "controller_mutation_rate"
                    ? "Quota 'controller_mutation_rate' is not enforced by this broker; the quotas served are " + string.Join(", ", ClientQuotaKeys.All) + "."
                    : $"'{op.Key}' is not a client quota; the quotas are {string.Join(", ", ClientQuotaKeys.All)}.";
            if (op.Remove) continue;
            if (op.Key == ClientQuotaKeys.RequestPercentage)
            {
                if (!(op.Value > 0) || double.IsInfinity(op.Value))
                    return $"Quota '{op.Key}' of the {entry.Entity} must be a positive number of percent of one thread, not {Text(op.Value)}.";
            }
            else if (!(op.Value >= 1) || op.Value != Math.Floor(op.Value) || op.Value >= long.MaxValue)
                return $"Quota '{op.Key}' of the {entry.Entity} must be a whole number of bytes per second, at least 1, not {Text(op.Value)}.";
        }
        return null;
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The entities matching the request's filter, with their quotas.</summary>
    public DescribeClientQuotasResponse DescribeClientQuotas(DescribeClientQuotasRequest r)
    {
        foreach (var c in r.Components)
        {
            if (c.EntityType is not (ClientQuotaEntity.UserType or ClientQuotaEntity.ClientIdType or ClientQuotaEntity.IpType))
                return new DescribeClientQuotasResponse(ErrorCode.InvalidRequest,
                    $"'{c.EntityType}' is not a quota entity type; the types are {ClientQuotaEntity.UserType}, {ClientQuotaEntity.ClientIdType} and {ClientQuotaEntity.IpType}.", []);
            if (c.Match == QuotaMatchType.Exact && c.Name == null)
                return new DescribeClientQuotasResponse(ErrorCode.InvalidRequest, $"An exact match of {c.EntityType} names the entity to match.", []);
        }
        if (r.Components.GroupBy(c => c.EntityType).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return new DescribeClientQuotasResponse(ErrorCode.InvalidRequest, $"The filter names entity type {twice.Key} more than once.", []);
        var entries = _clientQuotas
            .Where(kv => Matches(kv.Key, r))
            .OrderBy(kv => kv.Key.User?.Name ?? "", StringComparer.Ordinal).ThenBy(kv => kv.Key.ClientId?.Name ?? "", StringComparer.Ordinal)
            .Select(kv => new ClientQuotaEntry(kv.Key, kv.Value)).ToArray();
        return new DescribeClientQuotasResponse(ErrorCode.None, null, entries);
    }

    private static bool Matches(ClientQuotaEntity entity, DescribeClientQuotasRequest r)
    {
        static bool Component(QuotaEntityName? name, ClientQuotaFilterComponent c) => name != null && c.Match switch
        {
            QuotaMatchType.Exact => name.Name == c.Name,
            QuotaMatchType.Default => name.IsDefault,
            _ => !name.IsDefault,
        };
        foreach (var c in r.Components)
        {
            var name = c.EntityType switch { ClientQuotaEntity.UserType => entity.User, ClientQuotaEntity.ClientIdType => entity.ClientId, _ => null };
            if (!Component(name, c)) return false;
        }
        if (!r.Strict) return true;
        // Strict: the entity has no component the filter leaves unnamed.
        return (entity.User == null || r.Components.Any(c => c.EntityType == ClientQuotaEntity.UserType))
            && (entity.ClientId == null || r.Components.Any(c => c.EntityType == ClientQuotaEntity.ClientIdType));
    }

    private void ApplyClientQuotas(ClientQuotasChanged e)
    {
        if (e.Values.Count == 0) _clientQuotas.Remove(e.Entity);
        else _clientQuotas[e.Entity] = e.Values;
    }
}
