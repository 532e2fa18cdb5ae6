using AkkaBroker.Actors.Broker;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using static AkkaBroker.Actors.Kafka.KafkaAsk;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// Kafka's admin APIs for ACLs, SCRAM users and client quotas, translated to the messages <c>akkabroker acls</c>,
/// <c>users</c> and <c>configs --user/--client</c> send, so kafka-acls, kafka-configs and the admin clients of every
/// Kafka library manage them here as on Kafka. The controller decides; the ACLs of the connection's principal are
/// checked as for the Akka client (Alter or Describe on the cluster; AlterConfigs or DescribeConfigs for quotas).
/// </summary>
internal sealed class KafkaSecurityApis(GatewayClient gateway, BrokerSettings settings)
{
    private TimeSpan Timeout => settings.AdminTimeout;

    private static string? MessageOf(ErrorCode code, string? message) => code == ErrorCode.None ? null : message;

    public async Task<CreateAclsResponseData> CreateAclsAsync(CreateAclsRequestData request)
    {
        var creations = request.Creations.Select(c => new AclBinding((AclResourceType)(byte)c.ResourceType, c.ResourceName, (AclPatternType)(byte)c.ResourcePatternType,
            c.Principal, c.Host, (AclOperation)(byte)c.Operation, (AclPermission)(byte)c.PermissionType)).ToList();
        var answer = await Answered(gateway.Ask<CreateAclsResponse>(new CreateAclsRequest(creations), Timeout),
            () => new CreateAclsResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time; the ACLs may still be created.", []));
        var response = new CreateAclsResponseData();
        for (var i = 0; i < creations.Count; i++)
        {
            // A request refused as a whole answers each creation with its error (the protocol has no top-level one).
            var (code, message) = answer.Error != ErrorCode.None || i >= answer.Results.Count ? (answer.Error, answer.ErrorMessage) : (answer.Results[i].Error, answer.Results[i].ErrorMessage);
            response.Results.Add(new CreateAclsResponseData.AclCreationResult { ErrorCode = (short)code, ErrorMessage = MessageOf(code, message) });
        }
        return response;
    }

    public async Task<DescribeAclsResponseData> DescribeAclsAsync(DescribeAclsRequestData request)
    {
        var filter = new AclFilter((AclResourceType)(byte)request.ResourceTypeFilter, request.ResourceNameFilter, (AclPatternType)(byte)request.PatternTypeFilter,
            request.PrincipalFilter, request.HostFilter, (AclOperation)(byte)request.Operation, (AclPermission)(byte)request.PermissionType);
        if (FilterProblem(filter) is { } problem)
            return new DescribeAclsResponseData { ErrorCode = (short)ErrorCode.InvalidRequest, ErrorMessage = problem };
        var answer = await Answered(gateway.Ask<DescribeAclsResponse>(new DescribeAclsRequest(filter), Timeout),
            () => new DescribeAclsResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time.", []));
        var response = new DescribeAclsResponseData { ErrorCode = (short)answer.Error, ErrorMessage = MessageOf(answer.Error, answer.ErrorMessage) };
        // Kafka's shape: one entry per resource pattern, with its ACLs.
        foreach (var resource in answer.Bindings.GroupBy(b => (b.ResourceType, b.ResourceName, b.PatternType)))
            response.Resources.Add(new DescribeAclsResponseData.DescribeAclsResource
            {
                ResourceType = (sbyte)resource.Key.ResourceType, ResourceName = resource.Key.ResourceName, PatternType = (sbyte)resource.Key.PatternType,
                Acls = resource.Select(b => new DescribeAclsResponseData.AclDescription
                {
                    Principal = b.Principal, Host = b.Host, Operation = (sbyte)b.Operation, PermissionType = (sbyte)b.Permission,
                }).ToList(),
            });
        return response;
    }

    public async Task<DeleteAclsResponseData> DeleteAclsAsync(DeleteAclsRequestData request)
    {
        var filters = request.Filters.Select(f => new AclFilter((AclResourceType)(byte)f.ResourceTypeFilter, f.ResourceNameFilter, (AclPatternType)(byte)f.PatternTypeFilter,
            f.PrincipalFilter, f.HostFilter, (AclOperation)(byte)f.Operation, (AclPermission)(byte)f.PermissionType)).ToList();
        // A filter with codes Kafka does not know is answered INVALID_REQUEST on its own; the others go to the controller.
        var problems = filters.Select(FilterProblem).ToList();
        var valid = filters.Where((_, i) => problems[i] == null).ToList();
        var answer = valid.Count == 0 ? new DeleteAclsResponse(ErrorCode.None, null, [])
            : await Answered(gateway.Ask<DeleteAclsResponse>(new DeleteAclsRequest(valid), Timeout),
                () => new DeleteAclsResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time; the ACLs may still be deleted.", []));
        var response = new DeleteAclsResponseData();
        var next = 0;
        for (var i = 0; i < filters.Count; i++)
        {
            if (problems[i] is { } problem)
            {
                response.FilterResults.Add(new DeleteAclsResponseData.DeleteAclsFilterResult { ErrorCode = (short)ErrorCode.InvalidRequest, ErrorMessage = problem });
                continue;
            }
            var j = next++;
            var result = answer.Error != ErrorCode.None || j >= answer.Results.Count ? new DeleteAclsFilterResult(answer.Error, answer.ErrorMessage, []) : answer.Results[j];
            response.FilterResults.Add(new DeleteAclsResponseData.DeleteAclsFilterResult
            {
                ErrorCode = (short)result.Error, ErrorMessage = MessageOf(result.Error, result.ErrorMessage),
                MatchingAcls = result.Deleted.Select(b => new DeleteAclsResponseData.DeleteAclsMatchingAcl
                {
                    ErrorMessage = null, ResourceType = (sbyte)b.ResourceType, ResourceName = b.ResourceName, PatternType = (sbyte)b.PatternType,
                    Principal = b.Principal, Host = b.Host, Operation = (sbyte)b.Operation, PermissionType = (sbyte)b.Permission,
                }).ToList(),
            });
        }
        return response;
    }

    /// <summary>Why a filter's codes are none Kafka knows (its UNKNOWN, 0, included), or null.</summary>
    private static string? FilterProblem(AclFilter f) =>
        !Enum.IsDefined(f.ResourceType) ? $"Resource type {(byte)f.ResourceType} is not one of Kafka's (ANY 1, TOPIC 2, GROUP 3, CLUSTER 4, TRANSACTIONAL_ID 5)."
        : !Enum.IsDefined(f.PatternType) ? $"Pattern type {(byte)f.PatternType} is not one of Kafka's (ANY 1, MATCH 2, LITERAL 3, PREFIXED 4)."
        : !Enum.IsDefined(f.Operation) ? $"Operation {(byte)f.Operation} is not one of Kafka's (ANY 1 to IDEMPOTENT_WRITE 12)."
        : !Enum.IsDefined(f.Permission) ? $"Permission type {(byte)f.Permission} is not one of Kafka's (ANY 1, DENY 2, ALLOW 3)."
        : null;

    public async Task<DescribeUserScramCredentialsResponseData> DescribeUserScramCredentialsAsync(DescribeUserScramCredentialsRequestData request)
    {
        var users = request.Users is { Count: > 0 } named ? named.Select(u => u.Name).ToList() : null;
        var answer = await Answered(gateway.Ask<DescribeUserScramCredentialsResponse>(new DescribeUserScramCredentialsRequest(users), Timeout),
            () => new DescribeUserScramCredentialsResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time.", []));
        return new DescribeUserScramCredentialsResponseData
        {
            ErrorCode = (short)answer.Error, ErrorMessage = MessageOf(answer.Error, answer.ErrorMessage),
            Results = answer.Results.Select(u => new DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult
            {
                User = u.User, ErrorCode = (short)u.Error, ErrorMessage = MessageOf(u.Error, u.ErrorMessage),
                CredentialInfos = u.Credentials.Select(c => new DescribeUserScramCredentialsResponseData.CredentialInfo { Mechanism = (sbyte)c.Mechanism, Iterations = c.Iterations }).ToList(),
            }).ToList(),
        };
    }

    public async Task<AlterUserScramCredentialsResponseData> AlterUserScramCredentialsAsync(AlterUserScramCredentialsRequestData request)
    {
        // Kafka's clients salt and hash the password themselves: the request carries what the broker keeps keys of.
        var alteration = new AlterUserScramCredentialsRequest(
            request.Deletions.Select(d => new ScramCredentialDeletion(d.Name, (byte)d.Mechanism)).ToList(),
            request.Upsertions.Select(u => new ScramCredentialUpsertion(u.Name, (byte)u.Mechanism, u.Iterations, u.Salt, u.SaltedPassword)).ToList());
        var users = request.Deletions.Select(d => d.Name).Concat(request.Upsertions.Select(u => u.Name)).Distinct(StringComparer.Ordinal).ToList();
        var answer = await Answered(gateway.Ask<AlterUserScramCredentialsResponse>(alteration, Timeout),
            () => new AlterUserScramCredentialsResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time; the credentials may still change.", []));
        var outcomes = answer.Results.ToDictionary(o => o.User, StringComparer.Ordinal);
        return new AlterUserScramCredentialsResponseData
        {
            Results = users.Select(user =>
            {
                var (code, message) = outcomes.TryGetValue(user, out var o) && answer.Error == ErrorCode.None ? (o.Error, o.ErrorMessage) : (answer.Error, answer.ErrorMessage);
                return new AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult { User = user, ErrorCode = (short)code, ErrorMessage = MessageOf(code, message) };
            }).ToList(),
        };
    }

    public async Task<DescribeClientQuotasResponseData> DescribeClientQuotasAsync(DescribeClientQuotasRequestData request)
    {
        var components = new List<ClientQuotaFilterComponent>();
        foreach (var c in request.Components)
        {
            if (c.MatchType is < 0 or > 2)
                return new DescribeClientQuotasResponseData
                {
                    ErrorCode = (short)ErrorCode.InvalidRequest, ErrorMessage = $"Match type {c.MatchType} of {c.EntityType}: 0 (a name), 1 (the default) or 2 (any name).", Entries = null,
                };
            components.Add(new ClientQuotaFilterComponent(c.EntityType, (QuotaMatchType)c.MatchType, c.Match));
        }
        var answer = await Answered(gateway.Ask<DescribeClientQuotasResponse>(new DescribeClientQuotasRequest(components, request.Strict), Timeout),
            () => new DescribeClientQuotasResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time.", []));
        if (answer.Error != ErrorCode.None)
            return new DescribeClientQuotasResponseData { ErrorCode = (short)answer.Error, ErrorMessage = answer.ErrorMessage, Entries = null };
        return new DescribeClientQuotasResponseData
        {
            ErrorMessage = null,
            Entries = answer.Entries.Select(e => new DescribeClientQuotasResponseData.EntryData
            {
                Entity = EntityParts(e.Entity).Select(p => new DescribeClientQuotasResponseData.EntityData { EntityType = p.Type, EntityName = p.Name }).ToList(),
                Values = e.Values.Select(v => new DescribeClientQuotasResponseData.ValueData { Key = v.Key, Value = v.Value }).ToList(),
            }).ToList(),
        };
    }

    public async Task<AlterClientQuotasResponseData> AlterClientQuotasAsync(AlterClientQuotasRequestData request)
    {
        var entries = request.Entries.Select(e => (Parts: e.Entity.Select(p => (p.EntityType, p.EntityName)).ToList(), Entity: EntityOf(e.Entity.Select(p => (p.EntityType, p.EntityName))), e.Ops)).ToList();
        var valid = entries.Where(e => e.Entity.Entity != null).ToList();
        var answer = valid.Count == 0
            ? new AlterClientQuotasResponse(ErrorCode.None, null, [])
            : await Answered(gateway.Ask<AlterClientQuotasResponse>(new AlterClientQuotasRequest(
                    valid.Select(e => new ClientQuotaAlteration(e.Entity.Entity!, e.Ops.Select(o => new ClientQuotaOp(o.Key, o.Value, o.Remove)).ToList())).ToList(), request.ValidateOnly), Timeout),
                () => new AlterClientQuotasResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time; the quotas may still change.", []));
        var outcomes = answer.Results.GroupBy(o => o.Entity).ToDictionary(g => g.Key, g => g.First());
        return new AlterClientQuotasResponseData
        {
            Entries = entries.Select(e =>
            {
                var (code, message) = e.Entity.Entity == null ? (ErrorCode.InvalidRequest, e.Entity.Problem)
                    : answer.Error != ErrorCode.None || !outcomes.TryGetValue(e.Entity.Entity, out var o) ? (answer.Error, answer.ErrorMessage)
                    : (o.Error, o.ErrorMessage);
                return new AlterClientQuotasResponseData.EntryData
                {
                    ErrorCode = (short)code, ErrorMessage = MessageOf(code, message),
                    Entity = e.Parts.Select(p => new AlterClientQuotasResponseData.EntityData { EntityType = p.EntityType, EntityName = p.EntityName }).ToList(),
                };
            }).ToList(),
        };
    }

    /// <summary>Kafka's entity (a list of type and name, a null name the default) as the broker's, or why it is none it keeps quotas for.</summary>
    private static (ClientQuotaEntity? Entity, string? Problem) EntityOf(IEnumerable<(string Type, string? Name)> parts)
    {
        QuotaEntityName? user = null, client = null;
        foreach (var (type, name) in parts)
        {
            switch (type)
            {
                case ClientQuotaEntity.UserType when user == null:
                    user = new QuotaEntityName(name);
                    break;
                case ClientQuotaEntity.ClientIdType when client == null:
                    client = new QuotaEntityName(name);
                    break;
                case ClientQuotaEntity.UserType or ClientQuotaEntity.ClientIdType:
                    return (null, $"The entity names {type} twice.");
                default:
                    return (null, $"Quotas of entity type '{type}' are not served; they are set on {ClientQuotaEntity.UserType}, {ClientQuotaEntity.ClientIdType}, or both.");
            }
        }
        return user == null && client == null ? (null, "The entity names no user and no client id.") : (new ClientQuotaEntity(user, client), null);
    }

    private static IEnumerable<(string Type, string? Name)> EntityParts(ClientQuotaEntity entity)
    {
        if (entity.User != null) yield return (ClientQuotaEntity.UserType, entity.User.Name);
        if (entity.ClientId != null) yield return (ClientQuotaEntity.ClientIdType, entity.ClientId.Name);
    }
}
