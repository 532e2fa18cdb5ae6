using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;
using PublicErrorCode = AkkaBroker.Client.ErrorCode;
using ConfigEntry = AkkaBroker.Client.Admin.ConfigEntry;
using ClientQuotaAlteration = AkkaBroker.Client.Admin.ClientQuotaAlteration;
using ClientQuotaEntity = AkkaBroker.Client.Admin.ClientQuotaEntity;

/// <summary>
/// Sends admin requests to any broker (which forwards them to the controller or a group's coordinator) or to a
/// partition's leader. A request about several things asks about each in parallel and reports each outcome.
/// </summary>
internal sealed class AdminClient : IAdminClient
{
    private readonly BrokerConnection _connection;

    public AdminClient(ClientSettings settings, Action<IAdminClient, LogMessage>? logHandler = null, Action<IAdminClient, Error>? errorHandler = null)
    {
        Name = settings.ClientId;
        _connection = new BrokerConnection(settings, logHandler == null ? null : m => logHandler(this, m),
            errorHandler == null ? null : e => errorHandler(this, e));
    }

    public string Name { get; }

    private async Task<T> AskAsync<T>(object request, TimeSpan? timeout = null)
    {
        var broker = await _connection.AnyBrokerAsync().ConfigureAwait(false);
        return await _connection.AskAsync<T>(broker, request, timeout).ConfigureAwait(false);
    }

    private static Error? ErrorOf(string name, ErrorCode code, string? message) =>
        code == ErrorCode.None ? null : new Error(code, message ?? $"{name}: {code.Describe()}");

    private static void ThrowIfError(string name, ErrorCode code, string? message)
    {
        if (ErrorOf(name, code, message) is { } error) throw new KafkaException(error);
    }

    /// <summary>Runs <paramref name="ask"/> for each item at once; a client-side failure (no broker, no answer) becomes that item's error.</summary>
    private static async Task<List<(T Item, Error Error)>> EachAsync<T>(IEnumerable<T> items, Func<T, Task<Error?>> ask)
    {
        var list = items.ToList();
        var outcomes = await Task.WhenAll(list.Select(async item =>
        {
            try { return await ask(item).ConfigureAwait(false) ?? Error.NoError; }
            catch (KafkaException e) { return e.Error; }
        })).ConfigureAwait(false);
        return list.Zip(outcomes, (item, error) => (item, error)).ToList();
    }

    private async Task<Error?> TopicOperationAsync(object request, string topic, TimeSpan? timeout)
    {
        var r = await AskAsync<TopicOperationResponse>(request, timeout).ConfigureAwait(false);
        return ErrorOf(topic, r.Error, r.ErrorMessage);
    }

    public async Task CreateTopicsAsync(IEnumerable<TopicSpecification> topics, CreateTopicsOptions? options = null)
    {
        var outcomes = await EachAsync(topics, t => TopicOperationAsync(
            new CreateTopicRequest(t.Name, t.NumPartitions, t.ReplicationFactor, t.Configs, options?.ValidateOnly ?? false), t.Name, options?.RequestTimeout)).ConfigureAwait(false);
        if (outcomes.Any(o => o.Error.IsError))
            throw new CreateTopicsException(outcomes.Select(o => new CreateTopicReport { Topic = o.Item.Name, Error = o.Error }).ToList());
    }

    public async Task DeleteTopicsAsync(IEnumerable<string> topics, DeleteTopicsOptions? options = null)
    {
        var outcomes = await EachAsync(topics, name => TopicOperationAsync(new DeleteTopicRequest(name), name, options?.RequestTimeout)).ConfigureAwait(false);
        if (outcomes.Any(o => o.Error.IsError))
            throw new DeleteTopicsException(outcomes.Select(o => new DeleteTopicReport { Topic = o.Item, Error = o.Error }).ToList());
    }

    public async Task CreatePartitionsAsync(IEnumerable<PartitionsSpecification> partitionsSpecifications, CreatePartitionsOptions? options = null)
    {
        var outcomes = await EachAsync(partitionsSpecifications, spec => spec.ReplicaAssignments != null
            ? Task.FromResult<Error?>(new Error(PublicErrorCode.InvalidReplicaAssignment,
                $"{spec.Topic}: the controller places new replicas itself; leave ReplicaAssignments null."))
            : TopicOperationAsync(new CreatePartitionsRequest(spec.Topic, spec.IncreaseTo), spec.Topic, options?.RequestTimeout)).ConfigureAwait(false);
        if (outcomes.Any(o => o.Error.IsError))
            throw new CreatePartitionsException(outcomes.Select(o => new CreatePartitionsReport { Topic = o.Item.Topic, Error = o.Error }).ToList());
    }

    public async Task<List<DescribeConfigsResult>> DescribeConfigsAsync(IEnumerable<ConfigResource> resources, DescribeConfigsOptions? options = null)
    {
        var described = new Dictionary<ConfigResource, Dictionary<string, ConfigEntryResult>>();
        var outcomes = await EachAsync(resources, async resource =>
        {
            if (NotServed(resource) is { } refused) return refused;
            var (entries, error) = resource.Type == ResourceType.Broker
                ? await DescribeBrokerAsync(resource.Name, options?.RequestTimeout).ConfigureAwait(false)
                : await DescribeTopicAsync(resource.Name, options?.RequestTimeout).ConfigureAwait(false);
            if (error != null) return error;
            lock (described) described[resource] = entries!;
            return null;
        }).ConfigureAwait(false);
        if (outcomes.Any(o => o.Error.IsError))
            throw new DescribeConfigsException(outcomes.Select(o => new DescribeConfigsReport
                { ConfigResource = o.Item, Error = o.Error, Entries = described.GetValueOrDefault(o.Item) ?? new() }).ToList());
        return outcomes.Select(o => new DescribeConfigsResult { ConfigResource = o.Item, Entries = described[o.Item] }).ToList();
    }

    // synonym: the key the value is set under where it comes from (a topic default's broker key).
    private static ConfigEntryResult Entry(string name, string value, bool isDefault, ConfigSource source, string? synonym = null) => new()
    {
        // Each value has one source here, so it is its only synonym.
        Name = name, Value = value, IsDefault = isDefault, Source = source,
        Synonyms = [new ConfigSynonym { Name = synonym ?? name, Value = value, Source = source }],
    };

    private async Task<(Dictionary<string, ConfigEntryResult>?, Error?)> DescribeTopicAsync(string topic, TimeSpan? timeout)
    {
        var r = await AskAsync<DescribeConfigsResponse>(new DescribeConfigsRequest(topic), timeout).ConfigureAwait(false);
        if (ErrorOf(topic, r.Error, r.ErrorMessage) is { } error) return (null, error);
        // A value not set on the topic is its default, whether the brokers' configuration or their dynamic default gives it.
        return (r.Entries.ToDictionary(e => e.Name, e => Entry(e.Name, e.Value, e.IsDefault,
            !e.IsDefault ? ConfigSource.DynamicTopicConfig : e.IsDynamicDefault ? ConfigSource.DynamicDefaultBrokerConfig : ConfigSource.DefaultConfig,
            e.IsDefault ? BrokerTopicDefaults.BrokerKeyOf(e.Name) : null)), null);
    }

    private async Task<(Dictionary<string, ConfigEntryResult>?, Error?)> DescribeBrokerAsync(string broker, TimeSpan? timeout)
    {
        var r = await AskAsync<DescribeBrokerConfigsResponse>(new DescribeBrokerConfigsRequest(broker), timeout).ConfigureAwait(false);
        if (ErrorOf(BrokerName(broker), r.Error, r.ErrorMessage) is { } error) return (null, error);
        return (r.Entries.ToDictionary(e => e.Name, e => Entry(e.Name, e.Value, e.Source == BrokerConfigSource.Default, (ConfigSource)(int)e.Source)), null);
    }

    private static string BrokerName(string broker) => broker == "" ? "the cluster-wide broker default" : $"broker {broker}";

    public async Task<List<IncrementalAlterConfigsResult>> IncrementalAlterConfigsAsync(Dictionary<ConfigResource, List<ConfigEntry>> configs,
        IncrementalAlterConfigsOptions? options = null)
    {
        var outcomes = await EachAsync(configs, async pair =>
        {
            var (resource, entries) = (pair.Key, pair.Value);
            var timeout = options?.RequestTimeout;
            if (NotServed(resource) is { } refused) return refused;
            if (entries.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
                return new Error(ErrorCode.InvalidRequest, $"Config '{twice.Key}' of '{resource.Name}' is given more than once; give each key once.");
            var set = new Dictionary<string, string>();
            Dictionary<string, ConfigEntryResult>? current = null;
            foreach (var entry in entries)
            {
                switch (entry.IncrementalOperation)
                {
                    case AlterConfigOpType.Set when entry.Value == null:
                        return new Error(ErrorCode.InvalidRequest, $"Set of config '{entry.Name}' has no value; give one, or use Delete to return it to its default.");
                    case AlterConfigOpType.Set:
                        set[entry.Name] = entry.Value;
                        break;
                    case AlterConfigOpType.Append or AlterConfigOpType.Subtract:
                        if (current == null)
                        {
                            var (described, error) = resource.Type == ResourceType.Broker
                                ? await DescribeBrokerAsync(resource.Name, timeout).ConfigureAwait(false)
                                : await DescribeTopicAsync(resource.Name, timeout).ConfigureAwait(false);
                            if (error != null) return error;
                            current = described!;
                        }
                        set[entry.Name] = ListConfigValue.Apply(current.GetValueOrDefault(entry.Name)?.Value, entry.Value, append: entry.IncrementalOperation == AlterConfigOpType.Append);
                        break;
                }
            }
            var delete = entries.Where(e => e.IncrementalOperation == AlterConfigOpType.Delete).Select(e => e.Name).ToArray();
            if (entries.FirstOrDefault(e => !Enum.IsDefined(e.IncrementalOperation)) is { } unknown)
                return new Error(ErrorCode.InvalidRequest, $"Config operation {(int)unknown.IncrementalOperation} on '{unknown.Name}' is unknown; Set, Delete, Append and Subtract are.");
            if (resource.Type == ResourceType.Topic)
                return await TopicOperationAsync(new AlterConfigsRequest(resource.Name, set, delete), resource.Name, timeout).ConfigureAwait(false);
            var r = await AskAsync<AlterBrokerConfigsResponse>(new AlterBrokerConfigsRequest(resource.Name, set, delete, ValidateOnly: false), timeout)
                .ConfigureAwait(false);
            return ErrorOf(BrokerName(resource.Name), r.Error, r.ErrorMessage);
        }).ConfigureAwait(false);
        if (outcomes.Any(o => o.Error.IsError))
            throw new IncrementalAlterConfigsException(outcomes.Select(o => new IncrementalAlterConfigsReport { ConfigResource = o.Item.Key, Error = o.Error }).ToList());
        return outcomes.Select(o => new IncrementalAlterConfigsResult { ConfigResource = o.Item.Key }).ToList();
    }

    // Topic configs, and brokers' dynamic configs (a broker's id, or "" for the cluster-wide default).
    private static Error? NotServed(ConfigResource resource) => resource.Type is ResourceType.Topic or ResourceType.Broker ? null
        : new Error(ErrorCode.InvalidRequest,
            $"{resource}: topic configs (ResourceType.Topic) and brokers' dynamic configs (ResourceType.Broker, named by broker id, or \"\" for the cluster-wide default) are served here.");

    public Metadata GetMetadata(TimeSpan timeout) => Wait(MetadataAsync(null, throwOnTopicError: false), timeout, "metadata");

    public Metadata GetMetadata(string topic, TimeSpan timeout) => Wait(MetadataAsync([topic], throwOnTopicError: false), timeout, $"metadata of '{topic}'");

    private static T Wait<T>(Task<T> task, TimeSpan timeout, string what)
    {
        try
        {
            return task.WaitAsync(timeout).GetAwaiter().GetResult();
        }
        catch (TimeoutException e)
        {
            throw new KafkaException(new Error(PublicErrorCode.Local_TimedOut, $"No broker answered the request for {what} within {timeout.TotalMilliseconds:0} ms."), e);
        }
    }

    public Task<Metadata> GetMetadataAsync(IEnumerable<string>? topics = null) => MetadataAsync(topics?.ToArray(), throwOnTopicError: true);

    // Confluent's GetMetadata reports a missing topic in its entry; GetMetadataAsync, this client's own, throws.
    private async Task<Metadata> MetadataAsync(string[]? names, bool throwOnTopicError)
    {
        var r = await _connection.RefreshMetadataAsync(names, allowAutoCreate: false).ConfigureAwait(false);
        if (throwOnTopicError)
            foreach (var t in r.Topics) ThrowIfError(t.Name, t.Error, t.ErrorMessage);
        return new Metadata(
            r.Brokers.Select(b => new BrokerMetadata(b.BrokerId, b.Host, b.Port)).ToList(),
            r.Topics.Select(t => new TopicMetadata(t.Name,
                t.Partitions.Select(p => new PartitionMetadata(p.Partition, p.Leader, p.Replicas.ToArray(), p.Isr.ToArray(),
                    p.Leader < 0 ? new Error(ErrorCode.LeaderNotAvailable, $"{t.Name} [{p.Partition}] has no leader") : Error.NoError)).ToList(),
                ErrorOf(t.Name, t.Error, t.ErrorMessage) ?? Error.NoError)).ToList(),
            -1, "")
        {
            ControllerId = r.ControllerId,
        };
    }

    public async Task AlterUserScramCredentialsAsync(IEnumerable<UserScramCredentialAlteration> alterations, AlterUserScramCredentialsOptions? options = null)
    {
        var deletions = new List<ScramCredentialDeletion>();
        var upsertions = new List<ScramCredentialUpsertion>();
        foreach (var alteration in alterations)
            switch (alteration)
            {
                case UserScramCredentialDeletion d:
                    deletions.Add(new ScramCredentialDeletion(d.User, (byte)d.Mechanism));
                    break;
                case UserScramCredentialUpsertion u:
                    var mechanism = Protocol.Security.ScramMechanism.OfType((int)u.ScramCredentialInfo.Mechanism)
                        ?? throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument, $"User '{u.User}': {u.ScramCredentialInfo.Mechanism} is not a SCRAM mechanism; use ScramSha256 or ScramSha512."));
                    var salt = u.Salt is { Length: > 0 } given ? given : System.Security.Cryptography.RandomNumberGenerator.GetBytes(mechanism.HashSize);
                    var iterations = u.ScramCredentialInfo.Iterations;
                    // Bounds are the broker's to enforce (it answers UNACCEPTABLE_CREDENTIAL); the salting is only skipped for a count PBKDF2 cannot take.
                    var salted = iterations > 0 ? mechanism.SaltedPassword(System.Text.Encoding.UTF8.GetString(u.Password), salt, iterations) : [];
                    upsertions.Add(new ScramCredentialUpsertion(u.User, mechanism.Type, iterations, salt, salted));
                    break;
                default:
                    throw new KafkaException(new Error(ErrorCode.LocalInvalidArgument, $"{alteration.GetType().Name} is neither an upsertion nor a deletion."));
            }
        var r = await AskAsync<AlterUserScramCredentialsResponse>(new AlterUserScramCredentialsRequest(deletions, upsertions), options?.RequestTimeout).ConfigureAwait(false);
        ThrowIfError("alter SCRAM credentials", r.Error, r.ErrorMessage);
        if (r.Results.Any(u => u.Error != ErrorCode.None))
            throw new AlterUserScramCredentialsException(r.Results.Select(u => new AlterUserScramCredentialsReport
            {
                User = u.User, Error = u.Error == ErrorCode.None ? Error.NoError : new Error(u.Error, u.ErrorMessage ?? u.Error.Describe()),
            }).ToList());
    }

    public async Task<DescribeUserScramCredentialsResult> DescribeUserScramCredentialsAsync(IEnumerable<string>? users, DescribeUserScramCredentialsOptions? options = null)
    {
        var list = users?.ToList();
        var r = await AskAsync<DescribeUserScramCredentialsResponse>(new DescribeUserScramCredentialsRequest(list is { Count: > 0 } ? list : null), options?.RequestTimeout)
            .ConfigureAwait(false);
        ThrowIfError("describe SCRAM credentials", r.Error, r.ErrorMessage);
        return new DescribeUserScramCredentialsResult
        {
            UserScramCredentialsDescriptions = r.Results.Select(u => new Admin.UserScramCredentialsDescription
            {
                User = u.User,
                Error = u.Error == ErrorCode.None ? Error.NoError : new Error(u.Error, u.ErrorMessage ?? u.Error.Describe()),
                ScramCredentialInfos = u.Credentials.Select(c => new Admin.ScramCredentialInfo { Mechanism = (ScramMechanism)c.Mechanism, Iterations = c.Iterations }).ToList(),
            }).ToList(),
        };
    }

    public async Task CreateAclsAsync(IEnumerable<Admin.AclBinding> aclBindings, CreateAclsOptions? options = null)
    {
        var r = await AskAsync<CreateAclsResponse>(new CreateAclsRequest(aclBindings.Select(AclConversions.ToProtocol).ToArray()), options?.RequestTimeout).ConfigureAwait(false);
        ThrowIfError("create ACLs", r.Error, r.ErrorMessage);
        if (r.Results.Any(o => o.Error != ErrorCode.None))
            throw new CreateAclsException(r.Results.Select(o => new CreateAclReport
            {
                Error = o.Error == ErrorCode.None ? Error.NoError : new Error(o.Error, o.ErrorMessage ?? o.Error.Describe()),
            }).ToList());
    }

    public async Task<DescribeAclsResult> DescribeAclsAsync(AclBindingFilter aclBindingFilter, DescribeAclsOptions? options = null)
    {
        var r = await AskAsync<DescribeAclsResponse>(new DescribeAclsRequest(AclConversions.ToProtocol(aclBindingFilter)), options?.RequestTimeout).ConfigureAwait(false);
        ThrowIfError("describe ACLs", r.Error, r.ErrorMessage);
        return new DescribeAclsResult { AclBindings = r.Bindings.Select(AclConversions.FromProtocol).ToList() };
    }

    public async Task<List<DeleteAclsResult>> DeleteAclsAsync(IEnumerable<AclBindingFilter> aclBindingFilters, DeleteAclsOptions? options = null)
    {
        var r = await AskAsync<DeleteAclsResponse>(new DeleteAclsRequest(aclBindingFilters.Select(AclConversions.ToProtocol).ToArray()), options?.RequestTimeout)
            .ConfigureAwait(false);
        ThrowIfError("delete ACLs", r.Error, r.ErrorMessage);
        foreach (var f in r.Results) ThrowIfError("delete ACLs", f.Error, f.ErrorMessage);
        return r.Results.Select(f => new DeleteAclsResult { AclBindings = f.Deleted.Select(AclConversions.FromProtocol).ToList() }).ToList();
    }

    public async Task AlterClientQuotasAsync(IEnumerable<ClientQuotaAlteration> entries, AlterClientQuotasOptions? options = null)
    {
        var list = entries.ToList();
        // An entity named twice is the broker's to refuse (INVALID_REQUEST), so it is mapped back once.
        var byProtocol = list.GroupBy(e => QuotaConversions.ToProtocol(e.Entity)).ToDictionary(g => g.Key, g => g.First().Entity);
        var request = new AlterClientQuotasRequest(list.Select(e => new Protocol.Messages.ClientQuotaAlteration(QuotaConversions.ToProtocol(e.Entity),
            e.Ops.Select(o => new ClientQuotaOp(o.Key, o.Value ?? 0, o.Value == null)).ToArray())).ToArray(), options?.ValidateOnly ?? false);
        var r = await AskAsync<AlterClientQuotasResponse>(request, options?.RequestTimeout).ConfigureAwait(false);
        ThrowIfError("alter client quotas", r.Error, r.ErrorMessage);
        if (r.Results.Any(o => o.Error != ErrorCode.None))
            throw new AlterClientQuotasException(r.Results.Select(o => new AlterClientQuotasReport
            {
                Entity = byProtocol.GetValueOrDefault(o.Entity) ?? QuotaConversions.FromProtocol(o.Entity),
                Error = o.Error == ErrorCode.None ? Error.NoError : new Error(o.Error, o.ErrorMessage ?? o.Error.Describe()),
            }).ToList());
    }

    public async Task<IReadOnlyDictionary<Admin.ClientQuotaEntity, IReadOnlyDictionary<string, double>>> DescribeClientQuotasAsync(ClientQuotaFilter filter,
        DescribeClientQuotasOptions? options = null)
    {
        var request = new DescribeClientQuotasRequest(filter.Components.Select(c => new Protocol.Messages.ClientQuotaFilterComponent(c.EntityType,
            c.IsDefault ? QuotaMatchType.Default : c.Name != null ? QuotaMatchType.Exact : QuotaMatchType.Specified, c.Name)).ToArray(), filter.Strict);
        var r = await AskAsync<DescribeClientQuotasResponse>(request, options?.RequestTimeout).ConfigureAwait(false);
        ThrowIfError("describe client quotas", r.Error, r.ErrorMessage);
        return r.Entries.ToDictionary(e => QuotaConversions.FromProtocol(e.Entity), e => e.Values);
    }

    public async Task<DescribeClusterResult> DescribeClusterAsync(DescribeClusterOptions? options = null)
    {
        var r = await AskAsync<DescribeClusterResponse>(new DescribeClusterRequest(), options?.RequestTimeout).ConfigureAwait(false);
        ThrowIfError("describe cluster", r.Error, r.ErrorMessage);
        var nodes = r.Brokers.Select(b => new Node { Id = b.BrokerId, Host = b.Host, Port = b.Port }).ToList();
        return new DescribeClusterResult
        {
            ClusterId = DescribeClusterResponse.ClusterId,
            Nodes = nodes,
            Controller = r.ControllerId < 0 ? null : nodes.FirstOrDefault(n => n.Id == r.ControllerId) ?? new Node { Id = r.ControllerId },
            ControllerEpoch = r.ControllerEpoch,
        };
    }

    public async Task<ListConsumerGroupsResult> ListConsumerGroupsAsync(ListConsumerGroupsOptions? options = null)
    {
        var r = await AskAsync<ListGroupsResponse>(new ListGroupsRequest(), options?.RequestTimeout).ConfigureAwait(false);
        var states = options?.MatchStates?.ToHashSet() ?? [];
        var types = options?.MatchTypes?.ToHashSet() ?? [];
        // Some coordinators may not have listed their groups (one is down, say): the others' groups are still valid.
        var errors = new List<Error>();
        if (ErrorOf("list groups", r.Error, r.ErrorMessage) is { } listError) errors.Add(listError);
        if (types.Count > 0 && !types.Contains(ConsumerGroupType.Classic)) return new ListConsumerGroupsResult { Errors = errors };
        // Each broker knows the groups it coordinates (the controller gathers them); each group's coordinator knows its state.
        var valid = new List<ConsumerGroupListing>();
        foreach (var (groupId, described) in r.GroupIds.Zip(await Task.WhenAll(r.GroupIds.Select(async id =>
                 {
                     try { return (Group: await DescribeAsync(id, options?.RequestTimeout).ConfigureAwait(false), Error: (Error?)null); }
                     catch (KafkaException e) { return (Group: (ConsumerGroupDescription?)null, Error: (Error?)e.Error); }
                 })).ConfigureAwait(false)))
        {
            if (described.Error is { } error) errors.Add(error with { Reason = $"{groupId}: {error.Reason}" });
            else if (described.Group is { State: not ConsumerGroupState.Dead } group && (states.Count == 0 || states.Contains(group.State)))
                valid.Add(new ConsumerGroupListing { GroupId = groupId, State = group.State, IsSimpleConsumerGroup = group.IsSimpleConsumerGroup });
        }
        return new ListConsumerGroupsResult { Valid = valid, Errors = errors };
    }

    public async Task<DescribeConsumerGroupsResult> DescribeConsumerGroupsAsync(IEnumerable<string> groups, DescribeConsumerGroupsOptions? options = null)
    {
        var described = (await Task.WhenAll(groups.Select(async g =>
        {
            try { return await DescribeAsync(g, options?.RequestTimeout).ConfigureAwait(false); }
            catch (KafkaException e) { return new ConsumerGroupDescription { GroupId = g, Error = e.Error, State = ConsumerGroupState.Unknown }; }
        })).ConfigureAwait(false)).ToList();
        if (described.Any(d => d.Error.IsError)) throw new DescribeConsumerGroupsException(new DescribeConsumerGroupsReport { ConsumerGroupDescriptions = described });
        return new DescribeConsumerGroupsResult { ConsumerGroupDescriptions = described };
    }

    public Task<ConsumerGroupDescription> DescribeConsumerGroupAsync(string groupId) => DescribeAsync(groupId, null);

    private async Task<ConsumerGroupDescription> DescribeAsync(string groupId, TimeSpan? timeout)
    {
        var r = await AskAsync<DescribeGroupResponse>(new DescribeGroupRequest(groupId), timeout).ConfigureAwait(false);
        ThrowIfError(groupId, r.Error, r.ErrorMessage);
        return new ConsumerGroupDescription
        {
            GroupId = r.GroupId,
            State = Enum.TryParse<ConsumerGroupState>(r.State, out var state) ? state : ConsumerGroupState.Unknown,
            PartitionAssignor = r.Protocol,
            GenerationId = r.GenerationId,
            // Simple groups only ever commit offsets: no member has joined, so no generation has begun.
            IsSimpleConsumerGroup = r.Members.Count == 0 && r.GenerationId == 0 && r.Offsets.Count > 0,
            Members = r.Members.Select(m => new MemberDescription
            {
                ConsumerId = m.MemberId, GroupInstanceId = m.GroupInstanceId, ClientId = m.ClientId,
                Assignment = new MemberAssignment { TopicPartitions = m.Assignment.Select(tp => new Client.TopicPartition(tp.Topic, tp.Partition)).ToList() },
            }).ToList(),
            CommittedOffsets = r.Offsets.Select(o => new TopicPartitionOffset(o.TopicPartition.Topic, o.TopicPartition.Partition, new Offset(o.Offset))).ToList(),
        };
    }

    public async Task DeleteGroupsAsync(IList<string> groups, DeleteGroupsOptions? options = null)
    {
        var outcomes = await EachAsync(groups, async id =>
        {
            var r = await AskAsync<DeleteGroupResponse>(new DeleteGroupRequest(id), options?.RequestTimeout).ConfigureAwait(false);
            return ErrorOf(id, r.Error, r.ErrorMessage);
        }).ConfigureAwait(false);
        if (outcomes.Any(o => o.Error.IsError))
            throw new DeleteGroupsException(outcomes.Select(o => new DeleteGroupReport { Group = o.Item, Error = o.Error }).ToList());
    }

    public async Task<DeleteConsumerGroupOffsetsResult> DeleteConsumerGroupOffsetsAsync(string group, IEnumerable<Client.TopicPartition> partitions,
        DeleteConsumerGroupOffsetsOptions? options = null)
    {
        var asked = partitions.ToList();
        var r = await AskAsync<OffsetDeleteResponse>(new OffsetDeleteRequest(group, asked.Select(tp => tp.ToProtocol()).ToArray()), options?.RequestTimeout).ConfigureAwait(false);
        var groupError = ErrorOf(group, r.Error, r.ErrorMessage);
        var outcomes = r.Partitions.Select(p =>
        {
            var tp = new Client.TopicPartition(p.TopicPartition.Topic, p.TopicPartition.Partition);
            return new TopicPartitionOffsetError(tp, Offset.Unset, ErrorOf(tp.ToString(), p.Error, null) ?? Error.NoError);
        }).ToList();
        if (groupError != null || outcomes.Any(o => o.Error.IsError))
            throw new DeleteConsumerGroupOffsetsException(new DeleteConsumerGroupOffsetsReport
            {
                Group = group, Partitions = outcomes,
                // As Confluent.Kafka: the group's own error only; partitions carry theirs.
                Error = groupError ?? Error.NoError,
            });
        return new DeleteConsumerGroupOffsetsResult { Group = group, Partitions = asked };
    }

    public async Task<List<ListConsumerGroupOffsetsResult>> ListConsumerGroupOffsetsAsync(IEnumerable<ConsumerGroupTopicPartitions> groupPartitions,
        ListConsumerGroupOffsetsOptions? options = null)
    {
        var read = new Dictionary<ConsumerGroupTopicPartitions, List<TopicPartitionOffsetError>>();
        var outcomes = await EachAsync(groupPartitions, async asked =>
        {
            var group = await DescribeAsync(asked.Group, options?.RequestTimeout).ConfigureAwait(false);
            var committed = group.CommittedOffsets.ToDictionary(o => o.TopicPartition, o => o.Offset);
            var partitions = asked.TopicPartitions?.Select(tp => new TopicPartitionOffsetError(tp, committed.GetValueOrDefault(tp, Offset.Unset), Error.NoError)).ToList()
                ?? group.CommittedOffsets.Select(o => new TopicPartitionOffsetError(o, Error.NoError)).ToList();
            lock (read) read[asked] = partitions;
            return null;
        }).ConfigureAwait(false);
        if (outcomes.Any(o => o.Error.IsError))
            throw new ListConsumerGroupOffsetsException(outcomes.Select(o => new ListConsumerGroupOffsetsReport
                { Group = o.Item.Group, Error = o.Error, Partitions = read.GetValueOrDefault(o.Item) ?? [] }).ToList());
        return outcomes.Select(o => new ListConsumerGroupOffsetsResult { Group = o.Item.Group, Partitions = read[o.Item] }).ToList();
    }

    public async Task<List<AlterConsumerGroupOffsetsResult>> AlterConsumerGroupOffsetsAsync(IEnumerable<ConsumerGroupTopicPartitionOffsets> groupPartitions,
        AlterConsumerGroupOffsetsOptions? options = null)
    {
        var asked = groupPartitions.ToList();
        if (asked.SelectMany(g => g.TopicPartitionOffsets).FirstOrDefault(o => o.Offset.IsSpecial || o.Offset.Value < 0) is { } bad)
            throw new ArgumentException($"Offset {bad.Offset} for {bad.TopicPartition} is not a position: give 0 or more.");
        var outcomes = await EachAsync(asked, async g =>
        {
            var r = await AskAsync<OffsetCommitResponse>(new OffsetCommitRequest(g.Group, -1, "", null,
                g.TopicPartitionOffsets.Select(o => new OffsetCommit(o.TopicPartition.ToProtocol(), o.Offset.Value, null)).ToArray()), options?.RequestTimeout).ConfigureAwait(false);
            return ErrorOf(g.Group, r.Error, r.ErrorMessage);
        }).ConfigureAwait(false);
        List<TopicPartitionOffsetError> Partitions(ConsumerGroupTopicPartitionOffsets g, Error error) =>
            g.TopicPartitionOffsets.Select(o => new TopicPartitionOffsetError(o, error)).ToList();
        if (outcomes.Any(o => o.Error.IsError))
            throw new AlterConsumerGroupOffsetsException(outcomes.Select(o => new AlterConsumerGroupOffsetsReport
                { Group = o.Item.Group, Error = o.Error, Partitions = Partitions(o.Item, o.Error) }).ToList());
        return outcomes.Select(o => new AlterConsumerGroupOffsetsResult { Group = o.Item.Group, Partitions = Partitions(o.Item, Error.NoError) }).ToList();
    }

    public async Task<ListOffsetsResult> ListOffsetsAsync(IEnumerable<TopicPartitionOffsetSpec> topicPartitionOffsets, ListOffsetsOptions? options = null)
    {
        var infos = await Task.WhenAll(topicPartitionOffsets.Select(async spec =>
        {
            try
            {
                var r = await ListOneAsync(spec.TopicPartition, spec.OffsetSpec, options?.RequestTimeout).ConfigureAwait(false);
                return new ListOffsetsResultInfo
                {
                    TopicPartitionOffsetError = new TopicPartitionOffsetError(spec.TopicPartition, r.Offset < 0 ? Offset.End : new Offset(r.Offset), Error.NoError),
                    Timestamp = r.Timestamp,
                };
            }
            catch (KafkaException e)
            {
                return new ListOffsetsResultInfo { TopicPartitionOffsetError = new TopicPartitionOffsetError(spec.TopicPartition, Offset.Unset, e.Error) };
            }
        })).ConfigureAwait(false);
        if (infos.FirstOrDefault(i => i.TopicPartitionOffsetError.Error.IsError) is { } failed)
            throw new ListOffsetsException(new ListOffsetsReport { ResultInfos = infos.ToList(), Error = failed.TopicPartitionOffsetError.Error });
        return new ListOffsetsResult { ResultInfos = infos.ToList() };
    }

    public async Task<Offset> ListOffsetAsync(Client.TopicPartition partition, OffsetSpec spec)
    {
        var r = await ListOneAsync(partition, spec, null).ConfigureAwait(false);
        return r.Offset < 0 ? Offset.End : new Offset(r.Offset);
    }

    private Task<ListOffsetsResponse> ListOneAsync(Client.TopicPartition partition, OffsetSpec spec, TimeSpan? timeout)
    {
        var tp = partition.ToProtocol();
        return _connection.AskLeaderAsync<ListOffsetsResponse>(tp, new ListOffsetsRequest(tp, spec.Query), BrokerConnection.ListOffsetsError,
            timeout ?? _connection.Settings.RequestTimeout);
    }

    public async Task<ElectLeadersResult> ElectLeadersAsync(ElectionType electionType, IEnumerable<Client.TopicPartition>? partitions = null,
        ElectLeadersOptions? options = null)
    {
        var r = await AskAsync<ElectLeadersResponse>(new ElectLeadersRequest((LeaderElectionType)(byte)electionType, partitions?.Select(tp => tp.ToProtocol()).ToArray()),
            options?.RequestTimeout).ConfigureAwait(false);
        ThrowIfError("elect leaders", r.Error, r.ErrorMessage);
        var results = r.Results.Select(x => new TopicPartitionError(new Client.TopicPartition(x.TopicPartition.Topic, x.TopicPartition.Partition),
            ErrorOf(x.TopicPartition.ToString(), x.Error, x.ErrorMessage) ?? Error.NoError)).ToList();
        if (results.Any(x => x.Error.IsError)) throw new ElectLeadersException(new ElectLeadersReport { TopicPartitions = results });
        return new ElectLeadersResult { TopicPartitions = results };
    }

    public async Task AlterPartitionReassignmentsAsync(IReadOnlyDictionary<Client.TopicPartition, IReadOnlyList<int>?> reassignments, long throttleBytesPerSecond = 0)
    {
        var asked = reassignments.ToList();
        var r = await AskAsync<ReassignPartitionsResponse>(new ReassignPartitionsRequest(
            asked.Select(kv => new PartitionReassignmentTarget(kv.Key.ToProtocol(), kv.Value?.ToArray())).ToArray(), throttleBytesPerSecond)).ConfigureAwait(false);
        ThrowIfError("reassign partitions", r.Error, r.ErrorMessage);
        var results = r.Results.Select(x => new TopicPartitionError(new Client.TopicPartition(x.TopicPartition.Topic, x.TopicPartition.Partition),
            ErrorOf(x.TopicPartition.ToString(), x.Error, x.ErrorMessage) ?? Error.NoError)).ToList();
        if (results.Any(x => x.Error.IsError)) throw new AlterPartitionReassignmentsException(results);
    }

    public async Task<List<ReplicaLogDescription>> DescribeReplicaLogsAsync(IEnumerable<int>? brokerIds = null, IEnumerable<string>? topics = null)
    {
        var wanted = brokerIds?.ToHashSet();
        var metadata = await _connection.RefreshMetadataAsync(topics?.ToArray(), allowAutoCreate: false).ConfigureAwait(false);
        foreach (var t in metadata.Topics) ThrowIfError(t.Name, t.Error, t.ErrorMessage);
        var brokers = metadata.Brokers.ToDictionary(b => b.BrokerId);
        var replicas = metadata.Topics.SelectMany(t => t.Partitions.SelectMany(p => p.Replicas.Where(b => wanted == null || wanted.Contains(b))
            .Select(b => (Broker: b, Tp: new Client.TopicPartition(t.Name, p.Partition), p.Leader)))).ToList();
        var answers = await Task.WhenAll(replicas.Select(async x =>
        {
            if (!brokers.TryGetValue(x.Broker, out var broker))
                return (Response: (DescribeLogResponse?)null, Error: new Error(PublicErrorCode.BrokerNotAvailable, $"broker {x.Broker} is not live"));
            try
            {
                var gateway = await _connection.GatewayAsync(broker.Host, broker.Port).ConfigureAwait(false);
                var r = await _connection.AskAsync<DescribeLogResponse>(gateway, new DescribeReplicaLogRequest(x.Tp.ToProtocol())).ConfigureAwait(false);
                return (Response: (DescribeLogResponse?)r, Error: ErrorOf(x.Tp.ToString(), r.Error, r.ErrorMessage) ?? Error.NoError);
            }
            catch (KafkaException e)
            {
                return (Response: (DescribeLogResponse?)null, Error: e.Error);
            }
        })).ConfigureAwait(false);
        // Kafka's offsetLag: how far a replica's log end is behind its leader's.
        var leaderEnds = replicas.Zip(answers).Where(x => x.First.Broker == x.First.Leader && x.Second.Response is { Error: ErrorCode.None })
            .ToDictionary(x => x.First.Tp, x => x.Second.Response!.LogEndOffset);
        return replicas.Zip(answers, (x, a) => a.Response is { Error: ErrorCode.None } r
                ? new ReplicaLogDescription(x.Broker, x.Tp, x.Broker == x.Leader, r.SizeBytes, r.LogEndOffset,
                    leaderEnds.TryGetValue(x.Tp, out var end) ? Math.Max(0, end - r.LogEndOffset) : 0, Error.NoError)
                : new ReplicaLogDescription(x.Broker, x.Tp, x.Broker == x.Leader, 0, -1, 0, a.Error))
            .OrderBy(d => d.BrokerId).ThenBy(d => d.TopicPartition.Topic, StringComparer.Ordinal).ThenBy(d => d.TopicPartition.Partition).ToList();
    }

    public async Task UnregisterBrokerAsync(int brokerId)
    {
        var r = await AskAsync<UnregisterNodeResponse>(new UnregisterNodeRequest(brokerId)).ConfigureAwait(false);
        ThrowIfError($"unregister node {brokerId}", r.Error, r.ErrorMessage);
    }

    public async Task<List<Admin.PartitionReassignment>> ListPartitionReassignmentsAsync()
    {
        var r = await AskAsync<ListPartitionReassignmentsResponse>(new ListPartitionReassignmentsRequest()).ConfigureAwait(false);
        ThrowIfError("list partition reassignments", r.Error, r.ErrorMessage);
        return r.Reassignments.Select(x => new Admin.PartitionReassignment(new Client.TopicPartition(x.TopicPartition.Topic, x.TopicPartition.Partition),
            x.Replicas, x.Adding, x.Removing, x.ThrottleBytesPerSecond)).ToList();
    }

    public async Task<PartitionLogDescription> DescribeLogAsync(Client.TopicPartition partition)
    {
        var tp = partition.ToProtocol();
        var r = await _connection.AskLeaderAsync<DescribeLogResponse>(tp, new DescribeLogRequest(tp),
            x => ErrorOf(partition.ToString(), x.Error, x.ErrorMessage),
            _connection.Settings.RequestTimeout).ConfigureAwait(false);
        return new PartitionLogDescription(partition, r.LogStartOffset, r.LogEndOffset, r.HighWatermark, r.SizeBytes, r.SegmentCount, r.ActiveSegmentBaseOffset, r.CleanedUpTo, r.DirtyRatio);
    }

    public async Task<List<DeleteRecordsResult>> DeleteRecordsAsync(IEnumerable<Client.TopicPartitionOffset> topicPartitionOffsets, DeleteRecordsOptions? options = null)
    {
        var lowWatermarks = new Dictionary<Client.TopicPartitionOffset, Offset>();
        var outcomes = await EachAsync(topicPartitionOffsets, async o =>
        {
            var tp = o.TopicPartition.ToProtocol();
            var offset = o.Offset == Offset.End ? DeleteRecordsRequest.HighWatermark : o.Offset.Value;
            var r = await _connection.AskLeaderAsync<DeleteRecordsResponse>(tp, new DeleteRecordsRequest(tp, offset),
                x => ErrorOf(o.TopicPartition.ToString(), x.Error, x.ErrorMessage),
                options?.RequestTimeout ?? _connection.Settings.RequestTimeout).ConfigureAwait(false);
            lock (lowWatermarks) lowWatermarks[o] = new Offset(r.LowWatermark);
            return null;
        }).ConfigureAwait(false);
        if (outcomes.Any(o => o.Error.IsError))
            throw new DeleteRecordsException(outcomes.Select(o => new DeleteRecordsReport
            {
                Topic = o.Item.Topic, Partition = o.Item.Partition, Error = o.Error,
                Offset = lowWatermarks.TryGetValue(o.Item, out var low) ? low : Offset.Unset,
            }).ToList());
        return outcomes.Select(o => new DeleteRecordsResult { Topic = o.Item.Topic, Partition = o.Item.Partition, Offset = lowWatermarks[o.Item] }).ToList();
    }

    public void Dispose() => _connection.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
}
