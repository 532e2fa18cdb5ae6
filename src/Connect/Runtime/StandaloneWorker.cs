using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Rest;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// A standalone Connect worker in this process: the offset file, the plugins, an actor system with the
/// <see cref="StandaloneHerder"/>, and the REST API. What <c>akkabroker connect standalone</c> runs; tests start it
/// in-process the same way.
/// </summary>
public sealed class StandaloneWorker : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly ConnectRestServer _rest;
    private readonly IOffsetBackingStore _offsets;
    private int _stopped;

    private StandaloneWorker(ActorSystem system, IActorRef herder, ConnectRestServer rest, IOffsetBackingStore offsets, PluginRegistry plugins)
    {
        _system = system;
        Herder = herder;
        _rest = rest;
        _offsets = offsets;
        Plugins = plugins;
    }

    /// <summary>The herder actor (the REST API's operations as messages).</summary>
    public IActorRef Herder { get; }

    /// <summary>The plugins found.</summary>
    public PluginRegistry Plugins { get; }

    /// <summary>The REST API's addresses.</summary>
    public IReadOnlyList<string> RestUrls => _rest.Urls;

    /// <summary>Completes when the worker has stopped.</summary>
    public Task WhenTerminated => _system.WhenTerminated;

    /// <summary>Starts a worker with <paramref name="workerProps"/> (Kafka's worker keys) running <paramref name="connectors"/>.</summary>
    /// <exception cref="ConfigException">a worker or connector key is refused; the message names it.</exception>
    /// <exception cref="IOException">the REST port is taken.</exception>
    public static async Task<StandaloneWorker> StartAsync(IReadOnlyDictionary<string, string> workerProps, IReadOnlyList<IReadOnlyDictionary<string, string>> connectors, CancellationToken cancellationToken = default)
    {
        var config = WorkerConfig.Parse(WorkerMode.Standalone, workerProps);
        var plugins = PluginRegistry.Create(config.Get<List<string>>(WorkerConfig.PluginPath));
        var listeners = config.ListenerUris();
        var offsets = new FileOffsetBackingStore(config.Get<string>(WorkerConfig.OffsetStorageFileName));
        await offsets.StartAsync(cancellationToken).ConfigureAwait(false);
        var system = ActorSystem.Create("connect", ConfigurationFactory.ParseString("akka.loglevel = INFO\nakka.stdout-loglevel = INFO"));
        foreach (var warning in plugins.Warnings) system.Log.Warning(warning);
        try
        {
            // The worker id is known once the REST API is bound (a port of 0 is chosen then), so the herder starts after it.
            var forwarder = system.ActorOf(Props.Create<HerderForwarder>(), "rest");
            var rest = await ConnectRestServer.StartAsync(listeners, forwarder, plugins, "", cancellationToken).ConfigureAwait(false);
            var workerId = WorkerId(config, rest.Urls);
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
            return new StandaloneWorker(system, herder, rest, offsets, plugins);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

    private static string WorkerId(WorkerConfig config, IReadOnlyList<string> urls)
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
        await _offsets.DisposeAsync().ConfigureAwait(false);
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
