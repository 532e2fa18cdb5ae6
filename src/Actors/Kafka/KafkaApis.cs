using System.Diagnostics;
using System.IO.Pipelines;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Quotas;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// Serves Kafka-protocol requests by asking the broker's gateway the same messages the Akka client sends, and answers
/// in Kafka's shapes: the listener is a translation, so both kinds of client see one set of topics, offsets and errors.
/// Only the versions in <see cref="Supported"/> are advertised; clients negotiate down to them.
/// </summary>
public sealed class KafkaApis
{
    /// <summary>
    /// The authentication APIs, served and advertised on a <c>SASL_PLAINTEXT</c> listener only. SaslHandshake v0 is
    /// advertised because librdkafka looks for it before it uses v1, but answered UNSUPPORTED_VERSION: v0's bare tokens
    /// are not read, every client since Kafka 1.0 sends v1 (the exchange in SaslAuthenticate requests).
    /// </summary>
    public static readonly IReadOnlyDictionary<ApiKey, (short Min, short Max)> SaslSupported = new Dictionary<ApiKey, (short, short)>
    {
        [ApiKey.SaslHandshake] = (0, 1),
        [ApiKey.SaslAuthenticate] = (0, 2),
    };

    /// <summary>The APIs and version ranges served (the intersection of what the codecs read and what is translated).</summary>
    public static readonly IReadOnlyDictionary<ApiKey, (short Min, short Max)> Supported = new Dictionary<ApiKey, (short, short)>
    {
        [ApiKey.ApiVersions] = (0, 3),
        [ApiKey.Metadata] = (0, 12),
        [ApiKey.Produce] = (3, 9),
        [ApiKey.Fetch] = (4, 12),
        [ApiKey.ListOffsets] = (1, 6),
        [ApiKey.InitProducerId] = (0, 5),
        [ApiKey.FindCoordinator] = (0, 3),
        [ApiKey.JoinGroup] = (0, 9),
        [ApiKey.SyncGroup] = (0, 5),
        [ApiKey.Heartbeat] = (0, 4),
        [ApiKey.LeaveGroup] = (0, 5),
        [ApiKey.OffsetCommit] = (0, 9),
        [ApiKey.OffsetFetch] = (0, 9),
        [ApiKey.DescribeGroups] = (0, 5),
        [ApiKey.ListGroups] = (0, 5),
        [ApiKey.CreateTopics] = (0, 7),
        [ApiKey.DeleteTopics] = (0, 6),
        [ApiKey.DescribeConfigs] = (0, 4),
        [ApiKey.AlterConfigs] = (0, 2),
        [ApiKey.CreatePartitions] = (0, 3),
        [ApiKey.DeleteGroups] = (0, 2),
        [ApiKey.IncrementalAlterConfigs] = (0, 1),
        [ApiKey.DescribeCluster] = (0, 1),
        [ApiKey.OffsetForLeaderEpoch] = (0, 4),
        [ApiKey.DeleteRecords] = (0, 2),
        [ApiKey.ElectLeaders] = (0, 2),
        [ApiKey.AlterPartitionReassignments] = (0, 0),
        [ApiKey.ListPartitionReassignments] = (0, 0),
        [ApiKey.OffsetDelete] = (0, 0),
        [ApiKey.DescribeLogDirs] = (0, 3),
        [ApiKey.UnregisterBroker] = (0, 0),
        [ApiKey.DescribeAcls] = (0, 3),
        [ApiKey.CreateAcls] = (0, 3),
        [ApiKey.DeleteAcls] = (0, 3),
        [ApiKey.DescribeClientQuotas] = (0, 1),
        [ApiKey.AlterClientQuotas] = (0, 1),
        [ApiKey.DescribeUserScramCredentials] = (0, 0),
        [ApiKey.AlterUserScramCredentials] = (0, 0),
    };

    /// <summary>The cluster id Metadata and DescribeCluster report (the cluster keeps no id of its own).</summary>
    public const string ClusterId = DescribeClusterResponse.ClusterId;

    private readonly ActorSystem _system;
    private readonly GatewayClient _gateway;
    private readonly IActorRef _controller;
    private readonly Security.Authorizer _authorizer;
    private readonly BrokerSettings _settings;
    private readonly Cluster _cluster;
    private readonly KafkaGroupApis _groups;
    private readonly KafkaAdminApis _admin;
    private readonly KafkaOperationApis _operations;
    private readonly KafkaSecurityApis _security;

    private readonly Security.ScramCredentialStore _credentials;
    private readonly ClientQuotaManager _quotas;

    /// <summary>Time spent writing this connection's last response, counted against its request quota with the next request.</summary>
    private long _unchargedEncodeTicks;

    /// <param name="controller">The controller singleton's proxy, which says which broker coordinates a group.</param>
    /// <param name="groupDirectory">This broker's group directory, which lists the groups it coordinates.</param>
    /// <param name="credentials">The users' credentials, for a SASL_PLAINTEXT listener.</param>
    /// <param name="authorizer">The ACLs each connection's requests are checked against.</param>
    /// <param name="quotas">The client quotas each connection's requests are counted against.</param>
    public KafkaApis(ActorSystem system, IActorRef gateway, IActorRef controller, IActorRef groupDirectory, BrokerSettings settings,
        Security.ScramCredentialStore credentials, Security.Authorizer authorizer, ClientQuotaManager quotas)
        : this(system, new GatewayClient(gateway, groupDirectory, authorizer, Security.Authorizer.Anonymous, null), controller, settings, credentials, authorizer,
            gateway, groupDirectory, quotas)
    {
    }

    private readonly IActorRef _clusterGateway;
    private readonly IActorRef _groupDirectory;

    private KafkaApis(ActorSystem system, GatewayClient gateway, IActorRef controller, BrokerSettings settings, Security.ScramCredentialStore credentials,
        Security.Authorizer authorizer, IActorRef clusterGateway, IActorRef groupDirectory, ClientQuotaManager quotas)
    {
        _groupDirectory = groupDirectory;
        _credentials = credentials;
        _quotas = quotas;
        _authorizer = authorizer;
        _clusterGateway = clusterGateway;
        _controller = controller;
        _system = system;
        _gateway = gateway;
        _settings = settings;
        _cluster = Cluster.Get(system);
        Func<int, (string Host, int Port)?> kafkaEndpointOf = brokerId => KafkaEndpoints().TryGetValue(brokerId, out var kafka) ? kafka : null;
        _groups = new KafkaGroupApis(gateway, controller, kafkaEndpointOf, settings.AdminTimeout);
        _admin = new KafkaAdminApis(gateway, settings, kafkaEndpointOf);
        _operations = new KafkaOperationApis(gateway, settings);
        _security = new KafkaSecurityApis(gateway, settings);
        Log = Logging.GetLogger(system, typeof(KafkaApis));
    }

    /// <summary>The handlers for one connection's requests, as <paramref name="principal"/> connected from <paramref name="host"/> (its IP address).</summary>
    internal KafkaApis ForConnection(string principal, string? host) =>
        new(_system, new GatewayClient(_clusterGateway, _groupDirectory, _authorizer, principal, host), _controller, _settings, _credentials, _authorizer,
            _clusterGateway, _groupDirectory, _quotas);

    /// <summary>Who this connection's requests are from.</summary>
    internal string Principal => _gateway.Principal;

    internal ILoggingAdapter Log { get; }

    /// <summary>Longest a request waits for the broker beyond its own timeout before it is answered REQUEST_TIMED_OUT.</summary>
    private TimeSpan AdminTimeout => _settings.AdminTimeout;

    /// <summary>A connection's authentication state on a SASL listener.</summary>
    internal KafkaSaslSession NewSaslSession() => new(_settings.Sasl.EnabledMechanisms, _credentials);

    /// <summary>Serves one request frame and writes its response (none for a produce with acks=0, as in Kafka).</summary>
    /// <param name="sasl">The connection's authentication, on a SASL_PLAINTEXT listener; null on a PLAINTEXT one.</param>
    internal async Task HandleAsync(ReadOnlyMemory<byte> frame, PipeWriter output, string client, KafkaSaslSession? sasl, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        // Before authentication only the header is read for a request that may not be sent yet (Kafka's order).
        if (sasl is { Principal: null } && frame.Length >= 2 && !sasl.Allows((ApiKey)System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(frame.Span)))
            throw new KafkaConnectionClosedException(
                $"it sent {(ApiKey)System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(frame.Span)} before authenticating, and this listener requires SASL authentication " +
                "(SASL_PLAINTEXT): the client must set security.protocol=SASL_PLAINTEXT and sasl.mechanism");
        RequestHeaderData header;
        object body;
        try
        {
            (header, body) = KafkaRequestFrame.ReadRequest(frame);
        }
        catch (UnsupportedRequestException e) when (e.ApiKey == (short)ApiKey.ApiVersions)
        {
            // Kafka answers an ApiVersions request of a version it does not know in v0, with its versions, so the client can retry lower.
            await WriteAsync(output, ApiKey.ApiVersions, 0, e.CorrelationId, ApiVersions(ErrorCode.UnsupportedVersion, sasl != null));
            return;
        }
        catch (UnsupportedRequestException e)
        {
            throw new KafkaConnectionClosedException($"it sent {e.Message}, which this broker does not serve (it advertises what it serves in ApiVersions)");
        }
        catch (KafkaProtocolException e)
        {
            throw new KafkaConnectionClosedException($"its request does not parse: {e.Message}");
        }

        var decodeTicks = Stopwatch.GetTimestamp() - started;
        var key = (ApiKey)header.RequestApiKey;
        var version = header.RequestApiVersion;
        if (!(Supported.TryGetValue(key, out var range) || (sasl != null && SaslSupported.TryGetValue(key, out range))) || version < range.Min || version > range.Max)
            throw new KafkaConnectionClosedException($"it sent {key} v{version}, which this broker does not serve (ApiVersions lists what it serves)");
        if (sasl != null && !sasl.Allows(key))
            throw new KafkaConnectionClosedException(sasl.Principal == null
                ? $"it sent {key} before authenticating, and this listener requires SASL authentication (SASL_PLAINTEXT): the client must set security.protocol=SASL_PLAINTEXT and sasl.mechanism"
                : $"it sent {key} after authenticating as {sasl.Principal}; a connection authenticates once");
        if (body is SaslAuthenticateRequestData authenticate)
        {
            var (answer, failed) = sasl!.Authenticate(authenticate);
            // Kafka's connection.failed.authentication.delay.ms: a failure is answered late, which slows password guessing.
            if (failed) await Task.Delay(Gateway.ClientSession.FailureDelay, ct);
            await WriteAsync(output, key, version, header.CorrelationId, answer);
            if (failed) throw new KafkaAuthenticationFailedException($"its {sasl.Mechanism} authentication failed: {answer.ErrorMessage}");
            if (sasl.Principal != null) Log.Info("Kafka listener: {0} authenticated as {1} with {2}", client, sasl.Principal, sasl.Mechanism);
            return;
        }
        if (body is SaslHandshakeRequestData handshake)
        {
            var answer = sasl!.Handshake(handshake, version);
            await WriteAsync(output, key, version, header.CorrelationId, answer);
            // As Kafka: a handshake the broker cannot go on with closes the connection once answered.
            if (answer.ErrorCode != 0)
                throw new KafkaConnectionClosedException($"its SaslHandshake v{version} for '{handshake.Mechanism}' was answered {((ErrorCode)answer.ErrorCode).KafkaName()}");
            return;
        }
        object? response = body switch
        {
            ApiVersionsRequestData => ApiVersions(ErrorCode.None, sasl != null),
            MetadataRequestData r => await MetadataAsync(r, version),
            ProduceRequestData r => await ProduceAsync(r),
            FetchRequestData r => await FetchAsync(r, ct),
            ListOffsetsRequestData r => await ListOffsetsAsync(r),
            OffsetForLeaderEpochRequestData r => await OffsetForLeaderEpochAsync(r),
            DeleteRecordsRequestData r => await DeleteRecordsAsync(r),
            InitProducerIdRequestData r => await InitProducerIdAsync(r),
            FindCoordinatorRequestData r => await _groups.FindCoordinatorAsync(r, version),
            JoinGroupRequestData r => await _groups.JoinGroupAsync(r, header.ClientId ?? "", version),
            SyncGroupRequestData r => await _groups.SyncGroupAsync(r, version),
            HeartbeatRequestData r => await _groups.HeartbeatAsync(r, version),
            LeaveGroupRequestData r => await _groups.LeaveGroupAsync(r, version),
            OffsetCommitRequestData r => await _groups.OffsetCommitAsync(r, version),
            OffsetFetchRequestData r => await _groups.OffsetFetchAsync(r, version),
            DescribeGroupsRequestData r => await _admin.DescribeGroupsAsync(r, version),
            ListGroupsRequestData r => await _admin.ListGroupsAsync(r, version),
            DeleteGroupsRequestData r => await _admin.DeleteGroupsAsync(r),
            CreateTopicsRequestData r => await _admin.CreateTopicsAsync(r, version),
            DeleteTopicsRequestData r => await _admin.DeleteTopicsAsync(r, version),
            CreatePartitionsRequestData r => await _admin.CreatePartitionsAsync(r),
            DescribeConfigsRequestData r => await _admin.DescribeConfigsAsync(r, version),
            AlterConfigsRequestData r => await _admin.AlterConfigsAsync(r),
            IncrementalAlterConfigsRequestData r => await _admin.IncrementalAlterConfigsAsync(r),
            DescribeClusterRequestData r => await _admin.DescribeClusterAsync(r, version),
            ElectLeadersRequestData r => await _operations.ElectLeadersAsync(r, version),
            AlterPartitionReassignmentsRequestData r => await _operations.AlterPartitionReassignmentsAsync(r),
            ListPartitionReassignmentsRequestData r => await _operations.ListPartitionReassignmentsAsync(r),
            OffsetDeleteRequestData r => await _operations.OffsetDeleteAsync(r),
            DescribeLogDirsRequestData r => await _operations.DescribeLogDirsAsync(r),
            UnregisterBrokerRequestData r => await _operations.UnregisterBrokerAsync(r),
            CreateAclsRequestData r => await _security.CreateAclsAsync(r),
            DescribeAclsRequestData r => await _security.DescribeAclsAsync(r),
            DeleteAclsRequestData r => await _security.DeleteAclsAsync(r),
            DescribeUserScramCredentialsRequestData r => await _security.DescribeUserScramCredentialsAsync(r),
            AlterUserScramCredentialsRequestData r => await _security.AlterUserScramCredentialsAsync(r),
            DescribeClientQuotasRequestData r => await _security.DescribeClientQuotasAsync(r),
            AlterClientQuotasRequestData r => await _security.AlterClientQuotasAsync(r),
            _ => throw new KafkaConnectionClosedException($"it sent {key}, which this broker does not serve"),
        };
        var throttle = _quotas.Enabled ? Throttle(body, response, header.ClientId, decodeTicks) : TimeSpan.Zero;
        if (throttle > TimeSpan.Zero && response is IThrottledResponse throttled) throttled.ThrottleTimeMs = (int)Math.Ceiling(throttle.TotalMilliseconds);
        if (response != null)
        {
            var encoding = Stopwatch.GetTimestamp();
            KafkaRequestFrame.WriteResponse(output, key, version, header.CorrelationId, response);
            _unchargedEncodeTicks = Stopwatch.GetTimestamp() - encoding;
            await output.FlushAsync();
        }
        // Kafka's muting of a throttled client's connection (KIP-219): the answer goes at once with its throttle time,
        // and the connection's next request is read only once the time is over, also from clients that ignore it.
        if (throttle > TimeSpan.Zero) await Task.Delay(throttle, ct);
    }

    /// <summary>
    /// The throttle <paramref name="request"/> and its <paramref name="response"/> earn under the client's quotas: the
    /// longest of its produced or fetched bytes' and its handling time's (decoding this request, encoding the last answer).
    /// </summary>
    private TimeSpan Throttle(object request, object? response, string? clientId, long decodeTicks)
    {
        var principal = _gateway.Principal;
        var bytes = request switch
        {
            ProduceRequestData p => (QuotaType.Produce, (double)p.TopicData.Sum(t => t.PartitionData.Sum(d => (long)(d.Records?.Length ?? 0)))),
            _ when response is FetchResponseData f => (QuotaType.Fetch, (double)f.Responses.Sum(t => t.Partitions.Sum(d => (long)(d.Records?.Length ?? 0)))),
            _ => ((QuotaType?)null, 0.0),
        };
        var throttle = bytes.Item1 is { } type ? _quotas.Record(type, principal, clientId, bytes.Item2) : TimeSpan.Zero;
        // As Kafka: a produce with acks=0 is not held to the request quota (nothing answers it).
        if (request is ProduceRequestData { Acks: 0 }) return throttle;
        var handling = Stopwatch.GetElapsedTime(0, decodeTicks + _unchargedEncodeTicks);
        _unchargedEncodeTicks = 0;
        var requestThrottle = _quotas.Record(QuotaType.Request, principal, clientId, handling.TotalSeconds);
        return requestThrottle > throttle ? requestThrottle : throttle;
    }

    private static async Task WriteAsync(PipeWriter output, ApiKey key, short version, int correlationId, object response)
    {
        KafkaRequestFrame.WriteResponse(output, key, version, correlationId, response);
        await output.FlushAsync();
    }

    private static ApiVersionsResponseData ApiVersions(ErrorCode error, bool sasl)
    {
        var response = new ApiVersionsResponseData { ErrorCode = (short)error };
        foreach (var (key, range) in (sasl ? Supported.Concat(SaslSupported) : Supported).OrderBy(kv => kv.Key))
            response.ApiKeys.Add(new ApiVersionsResponseData.ApiVersion { ApiKey = (short)key, MinVersion = range.Min, MaxVersion = range.Max });
        return response;
    }

    private async Task<MetadataResponseData> MetadataAsync(MetadataRequestData request, short version)
    {
        // v0 has no null topic list: an empty one means all topics; from v1 null means all and empty means none.
        IReadOnlyList<string>? topics = request.Topics == null || (version == 0 && request.Topics.Count == 0)
            ? null
            : request.Topics.Select(t => t.Name ?? "").ToList();
        var answer = await _gateway.Ask<MetadataResponse>(new MetadataRequest(topics, version >= 4 ? request.AllowAutoTopicCreation : true), AdminTimeout);
        var endpoints = KafkaEndpoints();
        var response = new MetadataResponseData { ClusterId = ClusterId, ControllerId = answer.ControllerId };
        // What the ACLs allow this connection (everything without an authorizer); librdkafka's DescribeCluster asks through Metadata v8-10.
        if (version is >= 8 and <= 10 && request.IncludeClusterAuthorizedOperations)
            response.ClusterAuthorizedOperations = _gateway.AuthorizedOperations(KafkaAdminApis.ClusterOperations, AclResourceType.Cluster, Security.Authorizer.ClusterName);
        foreach (var broker in answer.Brokers)
            if (endpoints.TryGetValue(broker.BrokerId, out var kafka))
                response.Brokers.Add(new MetadataResponseData.MetadataResponseBroker { NodeId = broker.BrokerId, Host = kafka.Host, Port = kafka.Port });
        foreach (var topic in answer.Topics)
        {
            var t = new MetadataResponseData.MetadataResponseTopic
            {
                ErrorCode = (short)topic.Error, Name = topic.Name, IsInternal = topic.Name.StartsWith("__", StringComparison.Ordinal),
            };
            if (version >= 8 && request.IncludeTopicAuthorizedOperations)
                t.TopicAuthorizedOperations = _gateway.AuthorizedOperations(KafkaAdminApis.TopicOperations, AclResourceType.Topic, topic.Name);
            foreach (var p in topic.Partitions)
                t.Partitions.Add(new MetadataResponseData.MetadataResponsePartition
                {
                    PartitionIndex = p.Partition, LeaderId = p.Leader, LeaderEpoch = p.LeaderEpoch, ReplicaNodes = p.Replicas.ToList(), IsrNodes = p.Isr.ToList(),
                    ErrorCode = (short)(p.Leader < 0 ? ErrorCode.LeaderNotAvailable : ErrorCode.None),
                });
            response.Topics.Add(t);
        }
        return response;
    }

    /// <summary>Each broker member's Kafka listener, by broker id (the older member's while a restarted broker's previous instance is still listed).</summary>
    private Dictionary<int, (string Host, int Port)> KafkaEndpoints()
    {
        var endpoints = new Dictionary<int, (string, int)>();
        var owners = new Dictionary<int, Member>();
        foreach (var member in _cluster.State.Members)
            if (member.Status == MemberStatus.Up && !_cluster.State.Unreachable.Contains(member)
                && BrokerRole.KafkaListenerOf(member) is { } kafka && BrokerRole.IdOf(member) is { } id
                && (!owners.TryGetValue(id, out var other) || member.IsOlderThan(other)))
            {
                owners[id] = member;
                endpoints[id] = kafka;
            }
        return endpoints;
    }

    private async Task<ProduceResponseData?> ProduceAsync(ProduceRequestData request)
    {
        var asks = new List<(string Topic, int Partition, Task<ProduceResponse> Answer)>();
        foreach (var topic in request.TopicData)
        foreach (var partition in topic.PartitionData)
        {
            var tp = new ProtocolTopicPartition(topic.Name, partition.Index);
            // A produce request carries one batch per partition (Kafka refuses more from v3 on); it travels to the
            // replica as the bytes the client sent.
            var batch = partition.Records is { } records ? ByteArrays.CopyOf(records.Span) : [];
            var ask = request.Acks == 0
                ? Tell(new ProduceRequest(tp, request.Acks, request.TimeoutMs, batch))
                : _gateway.Ask<ProduceResponse>(new ProduceRequest(tp, request.Acks, request.TimeoutMs, batch), TimeSpan.FromMilliseconds(request.TimeoutMs) + AdminTimeout);
            asks.Add((topic.Name, partition.Index, ask));
        }
        if (request.Acks == 0) return null;
        var response = new ProduceResponseData();
        foreach (var group in asks.GroupBy(a => a.Topic))
        {
            var topic = new ProduceResponseData.TopicProduceResponse { Name = group.Key };
            foreach (var (_, partition, answer) in group)
            {
                var r = await KafkaAsk.Answered(answer, () => new ProduceResponse(new ProtocolTopicPartition(group.Key, partition), ErrorCode.RequestTimedOut, null, -1, -1, -1));
                topic.PartitionResponses.Add(new ProduceResponseData.PartitionProduceResponse
                {
                    Index = partition, ErrorCode = (short)r.Error, BaseOffset = r.BaseOffset, LogAppendTimeMs = r.LogAppendTime,
                    LogStartOffset = r.LogStartOffset, ErrorMessage = r.Error == ErrorCode.None ? null : r.ErrorMessage,
                });
            }
            response.Responses.Add(topic);
        }
        return response;
    }

    private Task<ProduceResponse> Tell(ProduceRequest request)
    {
        if (!_gateway.Tell(request))
            throw new KafkaConnectionClosedException($"it produced to {request.TopicPartition} with acks=0, which {_gateway.Principal} is not authorized to Write (Kafka closes such a connection, as no answer can say so)");
        return Task.FromResult(new ProduceResponse(request.TopicPartition, ErrorCode.None, null, -1, -1, -1));
    }

    /// <summary>
    /// A producer id for an idempotent producer: the controller hands out ids, and each partition's leader deduplicates
    /// and orders that producer's batches by their sequence numbers. A producer that asks to bump its epoch (v3+) gets a
    /// new id, which Kafka's clients accept as well (they start their sequences again). Transactions are not served.
    /// </summary>
    private async Task<InitProducerIdResponseData> InitProducerIdAsync(InitProducerIdRequestData request)
    {
        // The response has no message field: the error is the one a client reports as "invalid request" and gives up on.
        if (request.TransactionalId != null)
        {
            Log.Warning("Kafka listener: a producer with transactional.id '{0}' asked for a producer id; transactions are not served", request.TransactionalId);
            return new InitProducerIdResponseData { ErrorCode = (short)ErrorCode.InvalidRequest, ProducerId = -1, ProducerEpoch = -1 };
        }
        var answer = await KafkaAsk.Answered(_gateway.Ask<InitProducerIdResponse>(new InitProducerIdRequest(), AdminTimeout),
            () => new InitProducerIdResponse(ErrorCode.RequestTimedOut, null, -1, -1));
        return new InitProducerIdResponseData { ErrorCode = (short)answer.Error, ProducerId = answer.ProducerId, ProducerEpoch = answer.ProducerEpoch };
    }

    /// <summary>
    /// Kafka's fetch across partitions: answered at once when the partitions together have <c>min.bytes</c>, otherwise
    /// each waits (up to <c>max.wait.ms</c>) and the answer goes when any of them has data or the wait is over.
    /// </summary>
    private async Task<FetchResponseData> FetchAsync(FetchRequestData request, CancellationToken ct)
    {
        var partitions = request.Topics.SelectMany(t => t.Partitions.Select(p => (Topic: t.Topic, p.Partition, p.FetchOffset, p.PartitionMaxBytes, p.CurrentLeaderEpoch))).ToList();
        var results = await FetchOnceAsync(partitions, request.MaxBytes, 0, 0);
        var bytes = results.Sum(r => r.Records.Length);
        if (bytes < Math.Max(1, request.MinBytes) && request.MaxWaitMs > 0 && results.All(r => r.Error == ErrorCode.None))
        {
            // Each partition parks at its replica until data arrives; the first with data ends the wait for all.
            var waits = partitions.Select(p => FetchOnceAsync([p], request.MaxBytes, request.MinBytes, request.MaxWaitMs)).ToList();
            var pending = new List<Task<FetchResponse[]>>(waits);
            while (pending.Count > 0)
            {
                var finished = await Task.WhenAny(pending).WaitAsync(ct);
                pending.Remove(finished);
                if (finished.Result[0].Records.Length > 0 || finished.Result[0].Error != ErrorCode.None) break;
            }
            var done = waits.Where(w => w.IsCompletedSuccessfully).Select(w => w.Result[0]).ToDictionary(r => r.TopicPartition);
            results = results.Select(r => done.TryGetValue(r.TopicPartition, out var later) ? later : r).ToArray();
        }
        var response = new FetchResponseData();
        var budget = request.MaxBytes;
        foreach (var group in results.GroupBy(r => r.TopicPartition.Topic))
        {
            var topic = new FetchResponseData.FetchableTopicResponse { Topic = group.Key };
            foreach (var r in group)
            {
                // max.bytes bounds the whole response, but the first batch always goes, so a consumer never stalls.
                var records = r.Records.Length <= budget || budget == request.MaxBytes ? r.Records : [];
                budget -= records.Length;
                topic.Partitions.Add(new FetchResponseData.PartitionData
                {
                    PartitionIndex = r.TopicPartition.Partition, ErrorCode = (short)r.Error, HighWatermark = r.HighWatermark,
                    LastStableOffset = r.HighWatermark, LogStartOffset = r.LogStartOffset, Records = records,
                });
            }
            response.Responses.Add(topic);
        }
        return response;
    }

    private async Task<FetchResponse[]> FetchOnceAsync(IReadOnlyList<(string Topic, int Partition, long FetchOffset, int PartitionMaxBytes, int CurrentLeaderEpoch)> partitions,
        int maxBytes, int minBytes, int maxWaitMs)
    {
        var asks = partitions.Select(p =>
        {
            var tp = new ProtocolTopicPartition(p.Topic, p.Partition);
            var ask = _gateway.Ask<FetchResponse>(new FetchRequest(tp, p.FetchOffset, Math.Min(p.PartitionMaxBytes, maxBytes), minBytes, maxWaitMs, p.CurrentLeaderEpoch),
                TimeSpan.FromMilliseconds(maxWaitMs) + AdminTimeout);
            return KafkaAsk.Answered(ask, () => new FetchResponse(tp, ErrorCode.RequestTimedOut, null, -1, -1, []));
        });
        return await Task.WhenAll(asks);
    }

    private async Task<ListOffsetsResponseData> ListOffsetsAsync(ListOffsetsRequestData request)
    {
        var response = new ListOffsetsResponseData();
        foreach (var topic in request.Topics)
        {
            var asks = topic.Partitions.Select(p =>
            {
                var tp = new ProtocolTopicPartition(topic.Name, p.PartitionIndex);
                return KafkaAsk.Answered(_gateway.Ask<ListOffsetsResponse>(new ListOffsetsRequest(tp, p.Timestamp), AdminTimeout),
                    () => new ListOffsetsResponse(tp, ErrorCode.RequestTimedOut, null, -1, -1));
            }).ToList();
            var answers = await Task.WhenAll(asks);
            var t = new ListOffsetsResponseData.ListOffsetsTopicResponse { Name = topic.Name };
            foreach (var a in answers)
                t.Partitions.Add(new ListOffsetsResponseData.ListOffsetsPartitionResponse
                {
                    PartitionIndex = a.TopicPartition.Partition, ErrorCode = (short)a.Error, Offset = a.Offset, Timestamp = a.Timestamp,
                });
            response.Topics.Add(t);
        }
        return response;
    }

    /// <summary>
    /// Kafka's OffsetsForLeaderEpoch for a client (KIP-320): where the epoch of its position ends in the leader's log, so
    /// that after a leader change it can tell whether the log it read from was cut (an unclean election) and reset. Asked
    /// as a client (replica id -1) whatever the request says: followers speak to their leader inside the cluster.
    /// </summary>
    private async Task<OffsetForLeaderEpochResponseData> OffsetForLeaderEpochAsync(OffsetForLeaderEpochRequestData request)
    {
        var response = new OffsetForLeaderEpochResponseData();
        foreach (var topic in request.Topics)
        {
            var asks = topic.Partitions.Select(p =>
            {
                var tp = new ProtocolTopicPartition(topic.Topic, p.Partition);
                return KafkaAsk.Answered(_gateway.Ask<OffsetForLeaderEpochResponse>(new OffsetForLeaderEpochRequest(tp, -1, p.CurrentLeaderEpoch, p.LeaderEpoch, 0), AdminTimeout),
                    () => new OffsetForLeaderEpochResponse(tp, ErrorCode.RequestTimedOut, null, -1, -1, 0));
            }).ToList();
            var t = new OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult { Topic = topic.Topic };
            foreach (var a in await Task.WhenAll(asks))
                t.Partitions.Add(new OffsetForLeaderEpochResponseData.EpochEndOffset
                {
                    Partition = a.TopicPartition.Partition, ErrorCode = (short)a.Error, LeaderEpoch = a.LeaderEpoch, EndOffset = a.EndOffset,
                });
            response.Topics.Add(t);
        }
        return response;
    }

    /// <summary>Kafka's DeleteRecords: each partition's leader moves its log start; the request's timeout bounds the wait.</summary>
    private async Task<DeleteRecordsResponseData> DeleteRecordsAsync(DeleteRecordsRequestData request)
    {
        var timeout = TimeSpan.FromMilliseconds(Math.Max(0, request.TimeoutMs)) + AdminTimeout;
        var response = new DeleteRecordsResponseData();
        foreach (var topic in request.Topics)
        {
            var asks = topic.Partitions.Select(p =>
            {
                var tp = new ProtocolTopicPartition(topic.Name, p.PartitionIndex);
                return KafkaAsk.Answered(_gateway.Ask<DeleteRecordsResponse>(new DeleteRecordsRequest(tp, p.Offset), timeout),
                    () => new DeleteRecordsResponse(tp, ErrorCode.RequestTimedOut, null, -1));
            }).ToList();
            var t = new DeleteRecordsResponseData.DeleteRecordsTopicResult { Name = topic.Name };
            foreach (var a in await Task.WhenAll(asks))
                t.Partitions.Add(new DeleteRecordsResponseData.DeleteRecordsPartitionResult
                {
                    PartitionIndex = a.TopicPartition.Partition, ErrorCode = (short)a.Error, LowWatermark = a.LowWatermark,
                });
            response.Topics.Add(t);
        }
        return response;
    }
}
