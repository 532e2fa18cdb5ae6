using Akka.Actor;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Topics;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using static AkkaBroker.Actors.Kafka.KafkaAsk;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// Kafka's admin APIs (topics, configs, the cluster, consumer groups), translated to the messages the AkkaBroker admin
/// client sends the gateway, so what a Kafka admin tool does is what <c>akkabroker topics</c> and <c>groups</c> see.
/// Each topic or group of a request is asked about separately and answered with its own error, as Kafka does; the
/// controller (topics) and the group coordinators (groups) decide, this class only translates.
/// </summary>
internal sealed class KafkaAdminApis(GatewayClient gateway, BrokerSettings settings, Func<int, (string Host, int Port)?> kafkaEndpointOf)
{
    // Kafka's ConfigResource.Type codes.
    private const sbyte TopicResource = 2;
    private const sbyte BrokerResource = 4;

    // Kafka's AlterConfigOp.OpType codes.
    private const sbyte SetOp = 0;
    private const sbyte DeleteOp = 1;
    private const sbyte AppendOp = 2;
    private const sbyte SubtractOp = 3;

    // Kafka's ConfigSource codes (DescribeConfigs v1+).
    private const sbyte DynamicTopicConfig = 1;
    private const sbyte DynamicDefaultBrokerConfig = 3;
    private const sbyte StaticBrokerConfig = 4;
    private const sbyte DefaultConfig = 5;

    /// <summary>The group type ListGroups v5 reports: the classic protocol (JoinGroup/SyncGroup) is the one served.</summary>
    private const string ClassicGroupType = "classic";

    private const string ConsumerProtocolType = "consumer";

    // Every operation each resource type supports, as bits numbered by AclOperation; a connection is told the ones its
    // principal may perform (all of them with no authorizer) (READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9,
    // DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12).
    internal const int ClusterOperations = 1 << 5 | 1 << 7 | 1 << 8 | 1 << 9 | 1 << 10 | 1 << 11 | 1 << 12;
    internal const int TopicOperations = 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 7 | 1 << 8 | 1 << 10 | 1 << 11;
    private const int GroupOperations = 1 << 3 | 1 << 6 | 1 << 8;

    /// <summary>Kafka's ConfigType code of each topic config and dynamic broker config (DescribeConfigs v3+): BOOLEAN 1, STRING 2, INT 3, LONG 5, DOUBLE 6, LIST 7.</summary>
    private static readonly IReadOnlyDictionary<string, sbyte> ConfigTypes = WithBrokerKeys(new Dictionary<string, sbyte>
    {
        [TopicConfig.CleanupPolicyKey] = 7,
        [TopicConfig.RetentionMsKey] = 5,
        [TopicConfig.RetentionBytesKey] = 5,
        [TopicConfig.SegmentBytesKey] = 3,
        [TopicConfig.MaxMessageBytesKey] = 3,
        [TopicConfig.MessageTimestampTypeKey] = 2,
        [TopicConfig.MinInsyncReplicasKey] = 3,
        [TopicConfig.UncleanLeaderElectionEnableKey] = 1,
        [TopicConfig.SegmentMsKey] = 5,
        [TopicConfig.DeleteRetentionMsKey] = 5,
        [TopicConfig.MinCleanableDirtyRatioKey] = 6,
        [TopicConfig.MinCompactionLagMsKey] = 5,
        [TopicConfig.MaxCompactionLagMsKey] = 5,
    });

    /// <summary>The broker keys that are topic defaults have their topic key's type.</summary>
    private static Dictionary<string, sbyte> WithBrokerKeys(Dictionary<string, sbyte> topicTypes)
    {
        foreach (var (brokerKey, topicKey) in DynamicBrokerConfig.TopicDefaults) topicTypes[brokerKey] = topicTypes[topicKey];
        topicTypes[DynamicBrokerConfig.FollowerThrottledRateKey] = 5;
        return topicTypes;
    }

    private TimeSpan AdminTimeout => settings.AdminTimeout;

    /// <summary>
    /// How long a topic operation waits for the controller: the request's own timeout, or the broker's admin timeout
    /// when it gives none. A topic the controller confirms later is still created (or deleted), as in Kafka.
    /// </summary>
    private TimeSpan TopicTimeout(int timeoutMs) => timeoutMs > 0 ? TimeSpan.FromMilliseconds(timeoutMs) : AdminTimeout;

    private Task<TopicOperationResponse> AskTopicAsync(object request, string name, TimeSpan timeout) =>
        Answered(gateway.Ask<TopicOperationResponse>(request, timeout), () => new TopicOperationResponse(name, ErrorCode.RequestTimedOut,
            $"The controller did not confirm within {timeout.TotalMilliseconds:0} ms; the operation on topic '{name}' may still complete: check with describe."));

    private static TopicOperationResponse Refused(string name, ErrorCode code, string message) => new(name, code, message);

    /// <summary>Names given more than once in one request, which Kafka refuses with INVALID_REQUEST for each.</summary>
    private static HashSet<string> Duplicates(IEnumerable<string> names) => names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();

    private static TopicOperationResponse DuplicateTopic(string name) =>
        Refused(name, ErrorCode.InvalidRequest, $"Topic '{name}' appears more than once in the request; name each topic once.");

    // ---- Topics ----

    public async Task<CreateTopicsResponseData> CreateTopicsAsync(CreateTopicsRequestData request, short version)
    {
        var validateOnly = version >= 1 && request.validateOnly;
        var duplicates = Duplicates(request.Topics.Select(t => t.Name));
        var topics = request.Topics.DistinctBy(t => t.Name).ToList();
        var answers = await Task.WhenAll(topics.Select(t => duplicates.Contains(t.Name)
            ? Task.FromResult(DuplicateTopic(t.Name))
            : CreateTopicAsync(t, validateOnly, TopicTimeout(request.timeoutMs))));
        var response = new CreateTopicsResponseData();
        // v5+ reports each created topic's configs: the defaults in force are the controller's (its file and the dynamic ones).
        var defaults = version >= 5 && answers.Any(a => a.Error == ErrorCode.None) ? await DescribeBrokerConfigsAsync(DynamicBrokerConfig.ClusterDefault) : null;
        foreach (var (topic, answer) in topics.Zip(answers))
        {
            var result = new CreateTopicsResponseData.CreatableTopicResult
            {
                Name = topic.Name, ErrorCode = (short)answer.Error, ErrorMessage = answer.Error == ErrorCode.None ? null : answer.ErrorMessage,
            };
            if (defaults != null && answer.Error == ErrorCode.None) DescribeCreated(result, topic, defaults);
            response.Topics.Add(result);
        }
        return response;
    }

    private Task<TopicOperationResponse> CreateTopicAsync(CreateTopicsRequestData.CreatableTopic topic, bool validateOnly, TimeSpan timeout)
    {
        if (topic.Assignments.Count > 0)
            return Task.FromResult(Refused(topic.Name, ErrorCode.InvalidRequest,
                $"Topic '{topic.Name}': manual replica assignment is not supported; give num_partitions and replication_factor (-1 for the broker's defaults) and the controller places the replicas."));
        if (topic.Configs.FirstOrDefault(c => c.Value == null) is { } missing)
            return Task.FromResult(Refused(topic.Name, ErrorCode.InvalidConfig,
                $"Config '{missing.Name}' of topic '{topic.Name}' has no value: give one, or leave the key out for the broker's default."));
        if (Duplicates(topic.Configs.Select(c => c.Name)).FirstOrDefault() is { } twice)
            return Task.FromResult(Refused(topic.Name, ErrorCode.InvalidConfig, $"Config '{twice}' of topic '{topic.Name}' is given more than once; give it once."));
        var configs = topic.Configs.ToDictionary(c => c.Name, c => c.Value!);
        return AskTopicAsync(new CreateTopicRequest(topic.Name, topic.NumPartitions, topic.ReplicationFactor, configs, validateOnly), topic.Name, timeout);
    }

    /// <summary>
    /// What CreateTopics v5+ reports of a created (or validated) topic: its partition count, replication factor and
    /// effective configs, with -1 resolved to this broker's defaults (the cluster's brokers share them). Configs are left
    /// out when the controller did not say what its defaults are in time: the topic was created all the same.
    /// </summary>
    private void DescribeCreated(CreateTopicsResponseData.CreatableTopicResult result, CreateTopicsRequestData.CreatableTopic topic, DescribeBrokerConfigsResponse defaults)
    {
        result.NumPartitions = topic.NumPartitions == -1 ? settings.NumPartitions : topic.NumPartitions;
        result.ReplicationFactor = topic.ReplicationFactor == -1 ? settings.DefaultReplicationFactor : topic.ReplicationFactor;
        if (defaults.Error != ErrorCode.None) return;
        var overrides = topic.Configs.ToDictionary(c => c.Name, c => c.Value!);
        result.Configs = defaults.Entries.Where(e => BrokerTopicDefaults.TopicKeyOf(e.Name) != null)
            .Select(e => (Key: BrokerTopicDefaults.TopicKeyOf(e.Name)!, e.Value, Source: e.Source == BrokerConfigSource.DynamicDefault ? DynamicDefaultBrokerConfig : DefaultConfig))
            .Select(d => overrides.TryGetValue(d.Key, out var own) ? (d.Key, Value: own.Trim(), Source: DynamicTopicConfig) : d)
            .OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new CreateTopicsResponseData.CreatableTopicConfigs { Name = d.Key, Value = d.Value, ConfigSource = d.Source }).ToList();
    }

    public async Task<DeleteTopicsResponseData> DeleteTopicsAsync(DeleteTopicsRequestData request, short version)
    {
        var targets = version >= 6 ? request.Topics.Select(t => (t.Name, t.TopicId)).ToList() : request.TopicNames.Select(n => ((string?)n, Guid.Empty)).ToList();
        var duplicates = Duplicates(targets.Where(t => t.Item1 != null).Select(t => t.Item1!));
        var timeout = TopicTimeout(request.TimeoutMs);
        var answers = await Task.WhenAll(targets.Select(t => t switch
        {
            // Topics are known by name only: an id names nothing here.
            (null or "", var id) when id != Guid.Empty => Task.FromResult(Refused("", ErrorCode.UnknownTopicId,
                $"Topic id {id} is unknown: this broker does not keep topic ids; delete the topic by name.")),
            (null or "", _) => Task.FromResult(Refused("", ErrorCode.InvalidRequest, "Neither a topic name nor a topic id was given; name the topic to delete.")),
            ({ } name, _) when duplicates.Contains(name) => Task.FromResult(DuplicateTopic(name)),
            ({ } name, _) => AskTopicAsync(new DeleteTopicRequest(name), name, timeout),
        }));
        var response = new DeleteTopicsResponseData();
        foreach (var ((name, id), answer) in targets.Zip(answers))
            response.Responses.Add(new DeleteTopicsResponseData.DeletableTopicResult
            {
                Name = string.IsNullOrEmpty(name) && version >= 6 ? null : name ?? "", TopicId = version >= 6 ? id : Guid.Empty,
                ErrorCode = (short)answer.Error, ErrorMessage = answer.Error == ErrorCode.None ? null : answer.ErrorMessage,
            });
        return response;
    }

    public async Task<CreatePartitionsResponseData> CreatePartitionsAsync(CreatePartitionsRequestData request)
    {
        var duplicates = Duplicates(request.Topics.Select(t => t.Name));
        var timeout = TopicTimeout(request.TimeoutMs);
        var answers = await Task.WhenAll(request.Topics.Select(t =>
            duplicates.Contains(t.Name) ? Task.FromResult(DuplicateTopic(t.Name))
            : t.Assignments is { Count: > 0 } ? Task.FromResult(Refused(t.Name, ErrorCode.InvalidRequest,
                $"Topic '{t.Name}': manual replica assignment is not supported; give the new count only and the controller places the replicas."))
            : request.ValidateOnly ? ValidatePartitionsAsync(t.Name, t.Count)
            : AskTopicAsync(new CreatePartitionsRequest(t.Name, t.Count), t.Name, timeout)));
        var response = new CreatePartitionsResponseData();
        foreach (var (topic, answer) in request.Topics.Zip(answers))
            response.Results.Add(new CreatePartitionsResponseData.CreatePartitionsTopicResult
            {
                Name = topic.Name, ErrorCode = (short)answer.Error, ErrorMessage = answer.Error == ErrorCode.None ? null : answer.ErrorMessage,
            });
        return response;
    }

    /// <summary>
    /// CreatePartitions with validate_only: the checks the controller makes, against the topic's metadata, without
    /// asking it to add anything (the broker's own request has no validate-only form).
    /// </summary>
    private async Task<TopicOperationResponse> ValidatePartitionsAsync(string name, int count)
    {
        MetadataResponse metadata;
        try
        {
            metadata = await gateway.Ask<MetadataResponse>(new MetadataRequest([name], false), AdminTimeout);
        }
        catch (AskTimeoutException)
        {
            return Refused(name, ErrorCode.RequestTimedOut, $"The controller did not describe topic '{name}' in time; retry.");
        }
        var topic = metadata.Topics.FirstOrDefault(t => t.Name == name);
        if (topic == null || topic.Error != ErrorCode.None)
            return Refused(name, topic?.Error ?? ErrorCode.UnknownTopicOrPartition, topic?.ErrorMessage ?? $"Topic '{name}' does not exist.");
        var current = topic.Partitions.Count;
        if (count <= current)
            return Refused(name, ErrorCode.InvalidPartitions,
                $"Topic '{name}' has {current} partitions; the new count must be larger (partitions cannot be removed), got {count}.");
        var replicationFactor = topic.Partitions.Count == 0 ? 1 : topic.Partitions.Max(p => p.Replicas.Count);
        if (replicationFactor > metadata.Brokers.Count)
            return Refused(name, ErrorCode.InvalidReplicationFactor,
                $"Topic '{name}' has replication factor {replicationFactor} but only {metadata.Brokers.Count} brokers are available.");
        return new TopicOperationResponse(name, ErrorCode.None, null);
    }

    // ---- Configs ----

    private Task<DescribeConfigsResponse> DescribeTopicConfigsAsync(string name) =>
        Answered(gateway.Ask<DescribeConfigsResponse>(new DescribeConfigsRequest(name), AdminTimeout),
            () => new DescribeConfigsResponse(name, ErrorCode.RequestTimedOut, "The controller did not answer in time; retry.", []));

    public async Task<DescribeConfigsResponseData> DescribeConfigsAsync(DescribeConfigsRequestData request, short version)
    {
        var results = await Task.WhenAll(request.Resources.Select(r => DescribeResourceAsync(r, version >= 1 && request.IncludeSynonyms,
            version >= 3 && request.IncludeDocumentation, version)));
        var response = new DescribeConfigsResponseData();
        response.Results.AddRange(results);
        return response;
    }

    private async Task<DescribeConfigsResponseData.DescribeConfigsResult> DescribeResourceAsync(DescribeConfigsRequestData.DescribeConfigsResource resource,
        bool synonyms, bool documentation, short version)
    {
        var result = new DescribeConfigsResponseData.DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName, ErrorMessage = null };
        IEnumerable<(string Name, string Value, sbyte Source, bool ReadOnly)> entries;
        switch (resource.ResourceType)
        {
            case TopicResource:
                var answer = await DescribeTopicConfigsAsync(resource.ResourceName);
                if (answer.Error != ErrorCode.None) return Failed(result, answer.Error, answer.ErrorMessage);
                entries = answer.Entries.Select(e => (e.Name, e.Value, !e.IsDefault ? DynamicTopicConfig : e.IsDynamicDefault ? DynamicDefaultBrokerConfig : DefaultConfig, false));
                break;
            case BrokerResource:
                // The dynamic configs (any broker's, or the cluster default's) from the controller; this broker's
                // read-only settings when it is the one described.
                var dynamic = await DescribeBrokerConfigsAsync(resource.ResourceName);
                if (dynamic.Error != ErrorCode.None) return Failed(result, dynamic.Error, dynamic.ErrorMessage);
                entries = dynamic.Entries.Select(e => (e.Name, e.Value, (sbyte)e.Source, false));
                if (resource.ResourceName == settings.BrokerId.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    entries = entries.Concat(BrokerConfigs().Select(kv => (kv.Key, kv.Value, StaticBrokerConfig, true)));
                break;
            default:
                return Failed(result, ErrorCode.InvalidRequest, UnservedResource(resource.ResourceType, "topics (2) and brokers (4)"));
        }
        var wanted = resource.ConfigurationKeys?.ToHashSet();
        foreach (var (name, value, source, readOnly) in entries.Where(e => wanted == null || wanted.Contains(e.Name)))
        {
            var entry = new DescribeConfigsResponseData.DescribeConfigsResourceResult
            {
                Name = name, Value = value, ReadOnly = readOnly, IsDefault = version == 0 && source == DefaultConfig, ConfigSource = source,
                ConfigType = ConfigTypes.GetValueOrDefault(name, (sbyte)2),
                Documentation = documentation && resource.ResourceType == TopicResource && TopicConfigValidator.Requirement(name) is { } allowed
                    ? $"Allowed: {allowed}." : null,
            };
            // Each value has one source here: an override or a default, never a chain of them. A topic's default is set
            // under its broker key, which Kafka names in the synonym.
            var synonymName = resource.ResourceType == TopicResource && source != DynamicTopicConfig ? BrokerTopicDefaults.BrokerKeyOf(name) ?? name : name;
            if (synonyms) entry.Synonyms.Add(new DescribeConfigsResponseData.DescribeConfigsSynonym { Name = synonymName, Value = value, Source = source });
            result.Configs.Add(entry);
        }
        return result;
    }

    private Task<DescribeBrokerConfigsResponse> DescribeBrokerConfigsAsync(string broker) =>
        Answered(gateway.Ask<DescribeBrokerConfigsResponse>(new DescribeBrokerConfigsRequest(broker), AdminTimeout),
            () => new DescribeBrokerConfigsResponse(broker, ErrorCode.RequestTimedOut, "The controller did not answer in time; retry.", []));

    /// <summary>The broker settings served under Kafka's broker config names (read-only: they come from the broker's configuration at start).</summary>
    private IEnumerable<KeyValuePair<string, string>> BrokerConfigs()
    {
        string S(object v) => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!.ToLowerInvariant();
        yield return new("broker.id", S(settings.BrokerId));
        yield return new("auto.create.topics.enable", S(settings.AutoCreateTopicsEnable));
        yield return new("num.partitions", S(settings.NumPartitions));
        yield return new("default.replication.factor", S(settings.DefaultReplicationFactor));
        yield return new("offsets.topic.num.partitions", S(settings.OffsetsTopicNumPartitions));
        yield return new("offsets.topic.replication.factor", S(settings.OffsetsTopicReplicationFactor));
    }

    private static string UnservedResource(sbyte type, string served) =>
        $"Config resource type {type} is not served; {served} are.";

    private static DescribeConfigsResponseData.DescribeConfigsResult Failed(DescribeConfigsResponseData.DescribeConfigsResult result, ErrorCode code, string? message)
    {
        (result.ErrorCode, result.ErrorMessage) = ((short)code, message ?? code.Describe());
        return result;
    }

    /// <summary>Kafka's original AlterConfigs: the configs given replace the topic's overrides; every other key returns to its default.</summary>
    public async Task<AlterConfigsResponseData> AlterConfigsAsync(AlterConfigsRequestData request) => new()
    {
        Responses = await AlterEachAsync(request.Resources, r => (r.ResourceType, r.ResourceName, r.Configs.Select(c => c.Name)), async r =>
            {
                var set = r.Configs.Where(c => c.Value != null).ToDictionary(c => c.Name, c => c.Value!);
                if (r.ResourceType == TopicResource)
                    return await AlterTopicAsync(r.ResourceName, set, TopicConfigValidator.KnownKeys.Except(set.Keys).ToList(), request.ValidateOnly);
                // The configs given become the entity's whole set of dynamic configs: the controller removes the others.
                return await AlterBrokerAsync(r.ResourceName, set, [], request.ValidateOnly, replace: true);
            },
            (type, name, error, message) => new AlterConfigsResponseData.AlterConfigsResourceResponse
                { ResourceType = type, ResourceName = name, ErrorCode = error, ErrorMessage = message }),
    };

    /// <summary>
    /// Kafka's IncrementalAlterConfigs: SET and DELETE per key; APPEND and SUBTRACT add to or remove from a list config
    /// (<c>cleanup.policy</c>), read from the topic's current value.
    /// </summary>
    public async Task<IncrementalAlterConfigsResponseData> IncrementalAlterConfigsAsync(IncrementalAlterConfigsRequestData request) => new()
    {
        Responses = await AlterEachAsync(request.Resources, r => (r.ResourceType, r.ResourceName, r.Configs.Select(c => c.Name)),
            r => AlterIncrementallyAsync(r, request.ValidateOnly),
            (type, name, error, message) => new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse
                { ResourceType = type, ResourceName = name, ErrorCode = error, ErrorMessage = message }),
    };

    private async Task<TopicOperationResponse> AlterIncrementallyAsync(IncrementalAlterConfigsRequestData.AlterConfigsResource resource, bool validateOnly)
    {
        var name = resource.ResourceName;
        var set = new Dictionary<string, string>();
        var delete = new List<string>();
        IReadOnlyDictionary<string, string>? current = null;
        foreach (var config in resource.Configs)
        {
            switch (config.ConfigOperation)
            {
                case SetOp when config.Value == null:
                    return Refused(name, ErrorCode.InvalidRequest, $"SET of config '{config.Name}' has no value; give one, or DELETE the key to return it to its default.");
                case SetOp:
                    set[config.Name] = config.Value;
                    break;
                case DeleteOp:
                    delete.Add(config.Name);
                    break;
                case AppendOp or SubtractOp:
                    if (ConfigTypes.GetValueOrDefault(config.Name) != 7)
                        return Refused(name, ErrorCode.InvalidConfig,
                            $"Config '{config.Name}' is not a list: APPEND and SUBTRACT apply to list configs ({TopicConfig.CleanupPolicyKey}, log.{TopicConfig.CleanupPolicyKey}); use SET.");
                    if (current == null)
                    {
                        var (error, message, values) = resource.ResourceType == TopicResource
                            ? await DescribeTopicConfigsAsync(name) is var t ? (t.Error, t.ErrorMessage, t.Entries.Select(e => (e.Name, e.Value))) : default
                            : await DescribeBrokerConfigsAsync(name) is var b ? (b.Error, b.ErrorMessage, b.Entries.Select(e => (e.Name, e.Value))) : default;
                        if (error != ErrorCode.None) return Refused(name, error, message ?? error.Describe());
                        current = values.ToDictionary(e => e.Name, e => e.Value);
                    }
                    set[config.Name] = ListConfigValue.Apply(current.GetValueOrDefault(config.Name), config.Value, append: config.ConfigOperation == AppendOp);
                    break;
                default:
                    return Refused(name, ErrorCode.InvalidRequest,
                        $"Config operation {config.ConfigOperation} on '{config.Name}' is unknown; SET (0), DELETE (1), APPEND (2) and SUBTRACT (3) are.");
            }
        }
        return resource.ResourceType == TopicResource ? await AlterTopicAsync(name, set, delete, validateOnly) : await AlterBrokerAsync(name, set, delete, validateOnly);
    }

    /// <summary>Sets and removes a broker's dynamic configs (name "" for the cluster-wide default); the controller validates them.</summary>
    private async Task<TopicOperationResponse> AlterBrokerAsync(string broker, IReadOnlyDictionary<string, string> set, IReadOnlyList<string> delete, bool validateOnly,
        bool replace = false)
    {
        var answer = await Answered(gateway.Ask<AlterBrokerConfigsResponse>(new AlterBrokerConfigsRequest(broker, set, delete, validateOnly, replace), AdminTimeout),
            () => new AlterBrokerConfigsResponse(broker, ErrorCode.RequestTimedOut, "The controller did not answer in time; the change may still be made: describe the broker's configs and retry."));
        return new TopicOperationResponse(broker, answer.Error, answer.ErrorMessage);
    }

    /// <summary>Sets and deletes a topic's config overrides, or with <paramref name="validateOnly"/> makes the controller's checks without changing anything.</summary>
    private async Task<TopicOperationResponse> AlterTopicAsync(string name, IReadOnlyDictionary<string, string> set, IReadOnlyList<string> delete, bool validateOnly)
    {
        if (!validateOnly) return await AskTopicAsync(new AlterConfigsRequest(name, set, delete), name, AdminTimeout);
        var described = await DescribeTopicConfigsAsync(name);
        if (described.Error != ErrorCode.None) return Refused(name, described.Error, described.ErrorMessage ?? described.Error.Describe());
        var problem = TopicConfigValidator.Validate(set) ?? TopicConfigValidator.ValidateKeys(delete);
        return problem == null ? new TopicOperationResponse(name, ErrorCode.None, null) : Refused(name, ErrorCode.InvalidConfig, problem);
    }

    /// <summary>
    /// Alters each resource of an alter request with <paramref name="alter"/>, after the checks both alter APIs make
    /// (only topics and brokers are alterable, and a key may be named once per resource), and reports each outcome with <paramref name="report"/>.
    /// </summary>
    private static async Task<List<TResult>> AlterEachAsync<T, TResult>(IReadOnlyList<T> resources, Func<T, (sbyte Type, string Name, IEnumerable<string> Keys)> identify,
        Func<T, Task<TopicOperationResponse>> alter, Func<sbyte, string, short, string?, TResult> report)
    {
        var answers = await Task.WhenAll(resources.Select(r => identify(r) switch
        {
            var (type, name, _) when type is not (TopicResource or BrokerResource) => Task.FromResult(NotAlterable(type, name)),
            var (_, name, keys) when Duplicates(keys).FirstOrDefault() is { } twice => Task.FromResult(TwiceInOneResource(name, twice)),
            _ => alter(r),
        }));
        return resources.Zip(answers, (r, a) => report(identify(r).Type, identify(r).Name, (short)a.Error, a.Error == ErrorCode.None ? null : a.ErrorMessage)).ToList();
    }

    private static TopicOperationResponse NotAlterable(sbyte type, string name) =>
        Refused(name, ErrorCode.InvalidRequest, UnservedResource(type, "topic configs (2) and brokers' dynamic configs (4)"));

    private static TopicOperationResponse TwiceInOneResource(string name, string key) =>
        Refused(name, ErrorCode.InvalidRequest, $"Config '{key}' of '{name}' is given more than once; give each key once.");

    // ---- Cluster ----

    public async Task<DescribeClusterResponseData> DescribeClusterAsync(DescribeClusterRequestData request, short version)
    {
        var response = new DescribeClusterResponseData { ClusterId = KafkaApis.ClusterId, ErrorMessage = null, EndpointType = 1 };
        if (version >= 1 && request.EndpointType != 1)
        {
            (response.ErrorCode, response.ErrorMessage) = request.EndpointType == 2
                ? ((short)ErrorCode.MismatchedEndpointType, "This is a broker's listener; the controller has no Kafka listener of its own. Describe brokers (endpoint type 1).")
                : ((short)ErrorCode.UnsupportedEndpointType, $"Endpoint type {request.EndpointType} is unknown; brokers (1) are served.");
            return response;
        }
        var answer = await Answered(gateway.Ask<DescribeClusterResponse>(new DescribeClusterRequest(), AdminTimeout),
            () => new DescribeClusterResponse(ErrorCode.RequestTimedOut, "The controller did not answer in time; retry.", [], -1, -1));
        (response.ErrorCode, response.ErrorMessage, response.ControllerId) = ((short)answer.Error, answer.ErrorMessage, answer.ControllerId);
        // Brokers are named at their Kafka listeners; one without a listener cannot be reached by a Kafka client.
        foreach (var broker in answer.Brokers)
            if (kafkaEndpointOf(broker.BrokerId) is { } kafka)
                response.Brokers.Add(new DescribeClusterResponseData.DescribeClusterBroker { BrokerId = broker.BrokerId, Host = kafka.Host, Port = kafka.Port });
        if (request.IncludeClusterAuthorizedOperations)
            response.ClusterAuthorizedOperations = gateway.AuthorizedOperations(ClusterOperations, AclResourceType.Cluster, Security.Authorizer.ClusterName);
        return response;
    }

    // ---- Groups ----

    private Task<DescribeGroupResponse> DescribeGroupAsync(string groupId) =>
        Answered(gateway.Ask<DescribeGroupResponse>(new DescribeGroupRequest(groupId), AdminTimeout),
            () => new DescribeGroupResponse(ErrorCode.RequestTimedOut, "The group's coordinator did not answer in time; retry.", groupId, "Unknown", "", -1, [], []));

    public async Task<DescribeGroupsResponseData> DescribeGroupsAsync(DescribeGroupsRequestData request, short version)
    {
        var answers = await Task.WhenAll(request.Groups.Select(DescribeGroupAsync));
        var response = new DescribeGroupsResponseData();
        foreach (var answer in answers)
        {
            // Kafka describes a group that does not exist as Dead, with no error.
            var exists = answer.Error == ErrorCode.None && answer.State != "Dead";
            var group = new DescribeGroupsResponseData.DescribedGroup
            {
                ErrorCode = (short)answer.Error, GroupId = answer.GroupId, GroupState = answer.State,
                ProtocolType = exists ? ConsumerProtocolType : "", ProtocolData = answer.Protocol,
            };
            foreach (var m in answer.Members)
                group.Members.Add(new DescribeGroupsResponseData.DescribedGroupMember
                {
                    MemberId = m.MemberId, GroupInstanceId = m.GroupInstanceId, ClientId = m.ClientId,
                    MemberAssignment = ConsumerProtocol.WriteAssignment(m.Assignment.Select(tp => (tp.Topic, tp.Partition))),
                });
            if (version >= 3 && request.IncludeAuthorizedOperations) group.AuthorizedOperations = gateway.AuthorizedOperations(GroupOperations, AclResourceType.Group, answer.GroupId);
            response.Groups.Add(group);
        }
        return response;
    }

    public async Task<ListGroupsResponseData> ListGroupsAsync(ListGroupsRequestData request, short version)
    {
        var answer = await Answered(gateway.Ask<ListGroupsResponse>(new ListGroupsRequest(), AdminTimeout),
            () => new ListGroupsResponse(ErrorCode.RequestTimedOut, "This broker's group directory did not answer in time; retry.", []));
        var response = new ListGroupsResponseData { ErrorCode = (short)answer.Error };
        if (version >= 5 && request.TypesFilter.Count > 0 && !request.TypesFilter.Contains(ClassicGroupType, StringComparer.OrdinalIgnoreCase))
            return response;
        if (version < 4)
        {
            foreach (var id in answer.GroupIds)
                response.Groups.Add(new ListGroupsResponseData.ListedGroup { GroupId = id, ProtocolType = ConsumerProtocolType });
            return response;
        }
        // From v4 each group carries its state, which its coordinator knows: ask each.
        var described = await Task.WhenAll(answer.GroupIds.Select(DescribeGroupAsync));
        foreach (var group in described)
        {
            if (group.Error == ErrorCode.None && group.State == "Dead") continue; // deleted since it was listed
            if (request.StatesFilter.Count > 0 && !request.StatesFilter.Contains(group.State, StringComparer.OrdinalIgnoreCase)) continue;
            response.Groups.Add(new ListGroupsResponseData.ListedGroup
            {
                GroupId = group.GroupId, ProtocolType = ConsumerProtocolType, GroupState = group.State, GroupType = ClassicGroupType,
            });
        }
        return response;
    }

    public async Task<DeleteGroupsResponseData> DeleteGroupsAsync(DeleteGroupsRequestData request)
    {
        var answers = await Task.WhenAll(request.GroupsNames.Select(id =>
            Answered(gateway.Ask<DeleteGroupResponse>(new DeleteGroupRequest(id), AdminTimeout),
                () => new DeleteGroupResponse(ErrorCode.RequestTimedOut, "The group's coordinator did not answer in time; retry."))));
        var response = new DeleteGroupsResponseData();
        foreach (var (id, answer) in request.GroupsNames.Zip(answers))
            response.Results.Add(new DeleteGroupsResponseData.DeletableGroupResult { GroupId = id, ErrorCode = (short)answer.Error });
        return response;
    }
}
