using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using Xunit;

namespace AkkaBroker.Tests.Integration;

/// <summary>A real broker in this test process (its own ActorSystem, SQLite journal in a temp dir, a free port).</summary>
public sealed class BrokerFixture : IAsyncLifetime, IAsyncDisposable
{
    private readonly string _extraConfig;

    public BrokerFixture() : this("", null) { }

    private BrokerFixture(string extraConfig, string? dataDir)
    {
        _extraConfig = extraConfig;
        DataDir = dataDir ?? Path.Combine(Path.GetTempPath(), "akkabroker-test-" + Guid.NewGuid().ToString("N"));
    }

    public string DataDir { get; }
    public BrokerNode Node { get; private set; } = null!;
    public string Bootstrap => Node.BootstrapServer;

    public static async Task<BrokerFixture> StartAsync(string extraConfig = "", string? dataDir = null)
    {
        var f = new BrokerFixture(extraConfig, dataDir);
        await f.InitializeAsync();
        return f;
    }

    public async Task InitializeAsync()
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = {{Environment.GetEnvironmentVariable("AKKABROKER_TEST_LOGLEVEL") ?? "WARNING"}}
            akka.remote.dot-netty.tcp.port = 0
            akkabroker.broker.data-dir = "{{DataDir.Replace("\\", "\\\\")}}"
            akkabroker.broker.metrics.prometheus.port = 0
            # one broker unless the extra config says otherwise (ThreeBrokerCluster does)
            akkabroker.broker.offsets.topic.replication.factor = 1
            {{_extraConfig}}
            """);
        Node = await BrokerNode.StartAsync(config);
    }

    public async Task StopAsync() => await Node.DisposeAsync();

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
