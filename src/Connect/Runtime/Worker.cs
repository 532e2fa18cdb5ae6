using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// What a worker process offers the connectors and tasks it runs, whatever its mode (Kafka Connect's <c>Worker</c>):
/// the plugins, the offset store, and the clients each task gets (a producer per source task, a consumer in the
/// group <c>connect-{name}</c> per sink task), configured from the worker's <c>producer.</c>/<c>consumer.</c> keys and
/// the connector's <c>producer.override.</c>/<c>consumer.override.</c> keys. Shared read-only by the herder and the
/// runner actors.
/// </summary>
public sealed class Worker(WorkerConfig config, PluginRegistry plugins, IOffsetBackingStore offsets, string workerId)
{
    /// <summary>The worker's settings.</summary>
    public WorkerConfig Config { get; } = config;

    /// <summary>The plugins it can run.</summary>
    public PluginRegistry Plugins { get; } = plugins;

    /// <summary>Where source offsets are kept.</summary>
    public IOffsetBackingStore Offsets { get; } = offsets;

    /// <summary>The worker's id in statuses: its REST host:port.</summary>
    public string WorkerId { get; } = workerId;

    /// <summary>An admin client of the worker's cluster.</summary>
    public IAdminClient CreateAdmin() =>
        new AdminClientBuilder(WithBootstrap(Config.WithPrefix("admin."))).Build();

    /// <summary>
    /// The producer of a source task: Kafka Connect's safe defaults (acks=all, idempotence, so retries neither
    /// duplicate nor reorder), then the worker's <c>producer.*</c>, then the connector's <c>producer.override.*</c>.
    /// </summary>
    public IProducer<byte[]?, byte[]?> CreateProducer(ConnectorConfig connector, string clientId)
    {
        var props = new Dictionary<string, string>
        {
            ["acks"] = "all",
            ["enable.idempotence"] = "true",
            ["client.id"] = clientId,
        };
        foreach (var (k, v) in Config.WithPrefix("producer.")) props[k] = v;
        foreach (var (k, v) in connector.WithPrefix("producer.override.")) props[k] = v;
        return new ProducerBuilder<byte[]?, byte[]?>(WithBootstrap(props)).Build();
    }

    /// <summary>
    /// The consumer of a sink task in the group <c>connect-{connector}</c>: offsets committed by the worker only
    /// (auto-commit off), from the earliest record when the group has no offset, then the worker's <c>consumer.*</c>
    /// and the connector's <c>consumer.override.*</c>.
    /// </summary>
    public IConsumer<byte[]?, byte[]?> CreateConsumer(ConnectorConfig connector, string clientId, Action<List<TopicPartition>> assigned, Action<List<TopicPartitionOffset>> revoked)
    {
        var props = new Dictionary<string, string>
        {
            ["group.id"] = WorkerSinkTask.GroupId(connector.ConnectorName),
            ["enable.auto.commit"] = "false",
            ["auto.offset.reset"] = "earliest",
            ["client.id"] = clientId,
        };
        foreach (var (k, v) in Config.WithPrefix("consumer.")) props[k] = v;
        foreach (var (k, v) in connector.WithPrefix("consumer.override.")) props[k] = v;
        return new ConsumerBuilder<byte[]?, byte[]?>(WithBootstrap(props))
            .SetPartitionsAssignedHandler((_, partitions) => assigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => revoked(partitions))
            .SetPartitionsLostHandler((_, partitions) => revoked(partitions))
            .Build();
    }

    private Dictionary<string, string> WithBootstrap(Dictionary<string, string> props)
    {
        foreach (var (key, value) in Config.ClientConnection()) props.TryAdd(key, value);
        return props;
    }

    /// <summary>
    /// Builds the runnable form of one task: its plugin instance, converters, transforms, error handling and clients.
    /// </summary>
    /// <exception cref="ConfigException">the connector's config refers to an unknown plugin or an invalid key.</exception>
    /// <exception cref="ConnectException">the task class is not the kind its connector promised.</exception>
    public WorkerTask BuildTask(ConnectorTaskId id, ConnectorConfig connector, IReadOnlyDictionary<string, string> taskConfig, ILoggingAdapter log, Action<ConnectState> stateChanged)
    {
        var connectorInstance = PluginRegistry.Instantiate<Connector>(connector.Plugin);
        var taskType = connectorInstance.TaskType;
        var converters = ConverterPair.Create(Config, connector, Plugins);
        var transforms = TransformationChain.Create(connector, Plugins);
        var clientId = $"connector-{(connector.Plugin.Kind == PluginKind.Sink ? "consumer" : "producer")}-{id}";
        if (connector.Plugin.Kind == PluginKind.Source)
        {
            if (!typeof(SourceTask).IsAssignableFrom(taskType))
                throw new ConnectException($"{connector.Plugin.Type.FullName} is a source connector but its TaskType {taskType.FullName} is not a SourceTask.");
            var task = (SourceTask)Activator.CreateInstance(taskType)!;
            var errors = new RetryWithToleranceOperator(connector, id, log, []);
            return new WorkerSourceTask(id, task, taskConfig, converters, transforms, errors, CreateProducer(connector, clientId), Offsets, Config, log) { StateChanged = stateChanged };
        }
        if (!typeof(SinkTask).IsAssignableFrom(taskType))
            throw new ConnectException($"{connector.Plugin.Type.FullName} is a sink connector but its TaskType {taskType.FullName} is not a SinkTask.");
        var sinkTask = (SinkTask)Activator.CreateInstance(taskType)!;
        var reporters = new List<IErrorReporter>();
        if (connector.GetOrDefault<string>(ConnectorConfig.DlqTopicName) is { Length: > 0 } dlqTopic)
        {
            EnsureDeadLetterQueue(dlqTopic, connector.Get<short>(ConnectorConfig.DlqReplicationFactor), log);
            reporters.Add(new DeadLetterQueueReporter(CreateProducer(connector, $"connector-dlq-producer-{id}"), dlqTopic,
                connector.Get<bool>(ConnectorConfig.DlqContextHeadersEnable), id));
        }
        var sinkErrors = new RetryWithToleranceOperator(connector, id, log, reporters);
        return new WorkerSinkTask(id, sinkTask, taskConfig, converters, transforms, sinkErrors, connector,
            (assigned, revoked) => CreateConsumer(connector, clientId, assigned, revoked), Config, log) { StateChanged = stateChanged };
    }

    private void EnsureDeadLetterQueue(string topic, short replicationFactor, ILoggingAdapter log)
    {
        using var admin = CreateAdmin();
        try
        {
            admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = replicationFactor }]).GetAwaiter().GetResult();
            log.Info("Created dead letter queue topic {0} (replication factor {1})", topic, replicationFactor);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code == AkkaBroker.Client.ErrorCode.TopicAlreadyExists))
        {
        }
    }
}
