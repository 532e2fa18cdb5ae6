using Akka.Actor;
using Akka.Configuration;
using AkkaBroker.Protocol.Logging;
using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Connect.Runtime.Distributed;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Rest;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// A Connect worker in this process: its offset store, plugins, an actor system with its herder, and the REST API.
/// Standalone (<see cref="StartStandaloneAsync"/>): offsets in a file, connectors from files, nothing shared.
/// Distributed (<see cref="StartDistributedAsync"/>): a member of the worker group <c>group.id</c>, with configs,
/// offsets and statuses in the group's compacted topics. What <c>akkabroker connect standalone|distributed</c> runs;
/// tests start it in-process the same way.
/// </summary>
public sealed class ConnectWorker : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly ConnectRestServer _rest;
    private readonly List<IAsyncDisposable> _resources;
    private int _stopped;

    private ConnectWorker(ActorSystem system, IActorRef herder, ConnectRestServer rest, List<IAsyncDisposable> resources, PluginRegistry plugins, string workerId)
    {
        _system = system;
        Herder = herder;
        _rest = rest;
        _resources = resources;
        Plugins = plugins;
        WorkerId = workerId;
    }

    /// <summary>The worker's id: its REST API's advertised host:port.</summary>
    public string WorkerId { get; }

    /// <summary>The herder actor (the REST API's operations as messages).</summary>
    public IActorRef Herder { get; }

    /// <summary>The plugins found.</summary>
    public PluginRegistry Plugins { get; }

    /// <summary>The REST API's addresses.</summary>
    public IReadOnlyList<string> RestUrls => _rest.Urls;

    /// <summary>Completes when the worker has stopped.</summary>
    public Task WhenTerminated => _system.WhenTerminated;

    private static ActorSystem CreateSystem(LogSinkSetup? logSink)
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = INFO\nakka.stdout-loglevel = INFO");
        return logSink == null ? ActorSystem.Create("connect", config) : ActorSystem.Create("connect", logSink.SystemSetup(config));
    }

    /// <summary>Starts a worker with <paramref name="workerProps"/> (Kafka's worker keys) running <paramref name="connectors"/>.</summary>
    /// <exception cref="ConfigException">a worker or connector key is refused; the message names it.</exception>
    /// <exception cref="IOException">the REST port is taken.</exception>
    /// <param name="logSink">Where the worker's log goes; null: Akka's console logger.</param>
    public static async Task<ConnectWorker> StartStandaloneAsync(IReadOnlyDictionary<string, string> workerProps, IReadOnlyList<IReadOnlyDictionary<string, string>> connectors,
        LogSinkSetup? logSink = null, CancellationToken cancellationToken = default)
    {
        var config = WorkerConfig.Parse(WorkerMode.Standalone, workerProps);
        var plugins = PluginRegistry.Create(config.Get<List<string>>(WorkerConfig.PluginPath));
        var listeners = config.ListenerUris();
        var offsets = new FileOffsetBackingStore(config.Get<string>(WorkerConfig.OffsetStorageFileName));
        await offsets.StartAsync(cancellationToken).ConfigureAwait(false);
        var system = CreateSystem(logSink);
        foreach (var warning in plugins.Warnings) system.Log.Warning(warning);
        try
        {
            // The worker id is known once the REST API is bound (a port of 0 is chosen then), so the herder starts after it.
            var forwarder = system.ActorOf(Props.Create<HerderForwarder>(), "rest");
            var rest = await ConnectRestServer.StartAsync(listeners, forwarder, plugins, "", cancellationToken).ConfigureAwait(false);
            var workerId = AdvertisedWorkerId(config, rest.Urls);
            var worker = new Worker(config, plugins, offsets, workerId);
            foreach (var connector in connectors)
            {
                var validation = ConnectorValidator.Validate(connector, plugins);
                if (validation.ErrorCount > 0)
                    throw new ConfigException($"Connector '{connector.GetValueOrDefault(ConnectorConfig.Name)}': {validation.ErrorMessage()}");
            }
            var herder = system.ActorOf(StandaloneHerder.Props(worker, connectors), "herder");
            forwarder.Tell(herder);
            system.Log.Info("Connect worker {0} started in standalone mode; REST API on {1}", workerId, string.Join(", ", rest.Urls));
            return new ConnectWorker(system, herder, rest, [offsets], plugins, workerId);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts a member of the worker group of <paramref name="workerProps"/> (Kafka's distributed worker keys).</summary>
    /// <exception cref="ConfigException">a worker key is refused; the message names it.</exception>
    /// <exception cref="ConnectException">an internal topic exists and is not compacted.</exception>
    /// <exception cref="IOException">the REST port is taken.</exception>
    /// <param name="logSink">Where the worker's log goes; null: Akka's console logger.</param>
    public static async Task<ConnectWorker> StartDistributedAsync(IReadOnlyDictionary<string, string> workerProps, LogSinkSetup? logSink = null, CancellationToken cancellationToken = default)
    {
        var config = WorkerConfig.Parse(WorkerMode.Distributed, workerProps);
        var plugins = PluginRegistry.Create(config.Get<List<string>>(WorkerConfig.PluginPath));
        var listeners = config.ListenerUris();
        var system = CreateSystem(logSink);
        foreach (var warning in plugins.Warnings) system.Log.Warning(warning);
        var resources = new List<IAsyncDisposable>();
        try
        {
            var forwarder = system.ActorOf(Props.Create<HerderForwarder>(), "rest");
            var rest = await ConnectRestServer.StartAsync(listeners, forwarder, plugins, "", cancellationToken).ConfigureAwait(false);
            var workerId = AdvertisedWorkerId(config, rest.Urls);
            // The offset store needs the worker for its clients, and the worker the store: the store takes the worker's settings only.
            var bootstrapWorker = new Worker(config, plugins, NoOffsets.Instance, workerId);
            var offsets = new KafkaOffsetBackingStore(bootstrapWorker, system.Log);
            var worker = new Worker(config, plugins, offsets, workerId);
            var herderRef = new HerderRef();
            var configLog = new KafkaBasedLog(config.Get<string>(WorkerConfig.ConfigStorageTopic), worker,
                (key, value) => { if (key != null) herderRef.Tell(new DistributedHerder.ConfigRecord(key, value)); }, system.Log);
            var statusLog = new KafkaBasedLog(config.Get<string>(WorkerConfig.StatusStorageTopic), worker,
                (key, value) => { if (key != null) herderRef.Tell(new DistributedHerder.StatusRecord(key, value)); }, system.Log);
            var herder = system.ActorOf(DistributedHerder.Props(worker, configLog, statusLog), "herder");
            herderRef.Set(herder);
            await offsets.StartAsync(cancellationToken).ConfigureAwait(false);
            resources.Add(offsets);
            await configLog.StartAsync(1, config.Get<short>(WorkerConfig.ConfigStorageReplicationFactor), cancellationToken).ConfigureAwait(false);
            resources.Add(configLog);
            await statusLog.StartAsync(config.Get<int>(WorkerConfig.StatusStoragePartitions), config.Get<short>(WorkerConfig.StatusStorageReplicationFactor), cancellationToken).ConfigureAwait(false);
            resources.Add(statusLog);
            var membership = new GroupMembership(worker, system.Log);
            resources.Insert(0, membership);
            await membership.Joined.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            forwarder.Tell(herder);
            system.Log.Info("Connect worker {0} started in distributed mode, group {1}; REST API on {2}", workerId, config.Get<string>(WorkerConfig.GroupId), string.Join(", ", rest.Urls));
            return new ConnectWorker(system, herder, rest, resources, plugins, workerId);
        }
        catch
        {
            foreach (var resource in resources) await resource.DisposeAsync().ConfigureAwait(false);
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    private static string AdvertisedWorkerId(WorkerConfig config, IReadOnlyList<string> urls)
    {
        var bound = new Uri(urls[0]);
        var host = config.GetOrNull<string>(WorkerConfig.RestAdvertisedHostName)
            ?? (bound.Host is "0.0.0.0" or "[::]" ? System.Net.Dns.GetHostName() : bound.Host);
        var port = config.Originals.ContainsKey(WorkerConfig.RestAdvertisedPort) ? config.Get<int>(WorkerConfig.RestAdvertisedPort) : bound.Port;
        return $"{host}:{port}";
    }

    /// <summary>Stops every connector and task (tasks store their offsets as they stop), then the REST API.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            await _system.WhenTerminated.ConfigureAwait(false);
            return;
        }
        await _rest.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Herder.GracefulStop(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }
        catch (TaskCanceledException)
        {
            _system.Log.Warning("Connectors did not all stop within 60 s");
        }
        await _system.Terminate().ConfigureAwait(false);
        // Leave the group first (others take the work over at once), then close the logs.
        foreach (var resource in _resources) await resource.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>Holds REST requests that arrive before the herder exists, then forwards everything to it.</summary>
    private sealed class HerderForwarder : ReceiveActor, IWithStash
    {
        public IStash Stash { get; set; } = null!;

        public HerderForwarder()
        {
            Receive<IActorRef>(herder =>
            {
                Become(() => ReceiveAny(m => herder.Forward(m)));
                Stash.UnstashAll();
            });
            ReceiveAny(_ => Stash.Stash());
        }
    }
}

/// <summary>An actor reference set once the actor exists; messages before that are dropped (the log re-reads from the start).</summary>
internal sealed class HerderRef
{
    private volatile IActorRef? _ref;
    private readonly List<object> _early = [];
    private readonly Lock _lock = new();

    public void Set(IActorRef actor)
    {
        lock (_lock)
        {
            _ref = actor;
            foreach (var message in _early) actor.Tell(message);
            _early.Clear();
        }
    }

    public void Tell(object message)
    {
        if (_ref is { } actor)
        {
            actor.Tell(message);
            return;
        }
        lock (_lock)
            if (_ref is { } late) late.Tell(message);
            else _early.Add(message);
    }
}

/// <summary>An offset store that stores nothing: the worker the offset topic's own clients are made from.</summary>
internal sealed class NoOffsets : IOffsetBackingStore
{
    public static readonly NoOffsets Instance = new();
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public IReadOnlyDictionary<string, object?>? Get(string connector, IReadOnlyDictionary<string, object?> partition) => null;
    public IReadOnlyList<StoredSourceOffset> List(string connector) => [];
    public Task ReadToEndAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task SetAsync(string connector, IReadOnlyList<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)> offsets, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("this worker stores no offsets");
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
