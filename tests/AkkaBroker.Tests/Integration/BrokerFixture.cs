using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using Xunit;

namespace AkkaBroker.Tests.Integration;

/// <summary>A real broker in this test process (its own ActorSystem, SQLite journal in a temp dir, a free port).</summary>
public sealed class BrokerFixture : IAsyncLifetime, IAsyncDisposable
{
    private readonly string _extraConfig;
    private readonly bool _rejoin;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _runnerLog = new();
    private BrokerNode? _node;

    public BrokerFixture() : this("", null, false) { }

    private BrokerFixture(string extraConfig, string? dataDir, bool rejoin)
    {
        _extraConfig = extraConfig;
        _rejoin = rejoin;
        DataDir = dataDir ?? Path.Combine(Path.GetTempPath(), "akkabroker-test-" + Guid.NewGuid().ToString("N"));
    }

    public string DataDir { get; }

    /// <summary>The running node; with <c>rejoin</c>, the runner's current one (a new instance after each downing).</summary>
    public BrokerNode Node => Runner?.Node ?? _node!;

    /// <summary>Runs the node as <c>serve</c> does (started again after a downing); null unless started with <c>rejoin</c>.</summary>
    public BrokerRunner? Runner { get; private set; }

    /// <summary>The runner's lines (downings, restart attempts and their reasons), for failure messages.</summary>
    public IReadOnlyCollection<string> RunnerLog => _runnerLog;

    public string Bootstrap => Node.BootstrapServer;

    /// <param name="rejoin">Run the node under a <see cref="BrokerRunner"/>, as <c>serve</c> does, instead of alone.</param>
    public static async Task<BrokerFixture> StartAsync(string extraConfig = "", string? dataDir = null, bool rejoin = false)
    {
        var f = new BrokerFixture(extraConfig, dataDir, rejoin);
        await f.InitializeAsync();
        return f;
    }

    public async Task InitializeAsync()
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = {{Environment.GetEnvironmentVariable("AKKABROKER_TEST_LOGLEVEL") ?? "WARNING"}}
            akka.remote.dot-netty.tcp.port = 0
            akkabroker.broker.client-endpoint.port = 0
            akkabroker.broker.data-dir = "{{DataDir.Replace("\\", "\\\\")}}"
            akkabroker.broker.metrics.prometheus.port = 0
            # one broker unless the extra config says otherwise (ThreeBrokerCluster does)
            akkabroker.broker.offsets.topic.replication.factor = 1
            # no Kafka-protocol listener unless the extra config asks for one (the Kafka protocol specs do)
            akkabroker.broker.listeners = ""
            {{_extraConfig}}
            """);
        if (_rejoin) Runner = await BrokerRunner.StartAsync(config, _runnerLog.Enqueue);
        else _node = await BrokerNode.StartAsync(config);
    }

    public async Task StopAsync()
    {
        if (Runner != null) await Runner.DisposeAsync();
        else await Node.DisposeAsync();
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A stray file handle of SQLite's; the OS cleans the temp dir.
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());
}
