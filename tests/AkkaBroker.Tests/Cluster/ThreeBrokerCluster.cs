using Akka.Actor;
using Akka.Cluster;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Tests.Integration;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// Three (or more) brokers in this test process, each its own ActorSystem, SQLite journal and free port on 127.0.0.1,
/// joined into one Akka cluster through broker 1. Gossip runs faster than the defaults so the cluster forms in about a second.
/// </summary>
internal sealed class ThreeBrokerCluster : IAsyncDisposable
{
    /// <summary>
    /// Specs that start a cluster run one after another: broker metrics are process-wide (tagged by broker id, which
    /// every cluster reuses), and three clusters at once on two cores would slow each other's failure detection.
    /// </summary>
    public const string Collection = "three-broker clusters";

    private const string FastCluster = """
        akka.cluster.gossip-interval = 200ms
        akka.cluster.leader-actions-interval = 200ms
        akka.cluster.periodic-tasks-initial-delay = 100ms
        akka.cluster.sharding.rebalance-interval = 2s
        # Akka's default heartbeat pause (3 s), not the broker's 2 s: shorter ones mark brokers unreachable while the
        # whole suite (up to five brokers in this one process) loads both cores.
        akka.cluster.failure-detector.heartbeat-interval = 1s
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 3s
        akka.cluster.split-brain-resolver.stable-after = 2s
        # A crash (CrashBrokerAsync) terminates the ActorSystem without leaving the cluster, as kill -9 would.
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        # Group state replicated on three brokers, as Kafka's default.
        akkabroker.broker.offsets.topic.replication.factor = 3
        """;

    private readonly Dictionary<int, BrokerFixture> _brokers = new();
    private readonly Dictionary<int, string> _dataDirs = new();
    private string _seed = "";

    public IReadOnlyDictionary<int, BrokerFixture> Brokers => _brokers;

    /// <param name="brokers">Three by default; five lets a spec crash two brokers while a majority stays up.</param>
    public static async Task<ThreeBrokerCluster> StartAsync(int brokers = 3)
    {
        var cluster = new ThreeBrokerCluster();
        var first = await cluster.StartBrokerAsync(1);
        cluster._seed = $"akka.tcp://akkabroker@127.0.0.1:{first.Node.BoundPort}";
        for (var id = 2; id <= brokers; id++) await cluster.StartBrokerAsync(id);
        await cluster.WaitForMembersAsync(brokers);
        await cluster.WaitForControllerToSeeAsync(brokers);
        return cluster;
    }

    /// <summary>Starts broker <paramref name="id"/> on its own data directory (the same one again after a stop).</summary>
    public async Task<BrokerFixture> StartBrokerAsync(int id)
    {
        if (!_dataDirs.TryGetValue(id, out var dir))
            _dataDirs[id] = dir = Path.Combine(Path.GetTempPath(), $"akkabroker-cluster-{id}-" + Guid.NewGuid().ToString("N"));
        var seeds = _seed == "" ? "" : $"akka.cluster.seed-nodes = [\"{_seed}\"]";
        var broker = await BrokerFixture.StartAsync($"""
            akkabroker.broker.broker.id = {id}
            {seeds}
            {FastCluster}
            """, dir);
        _brokers[id] = broker;
        return broker;
    }

    /// <summary>After every broker stopped: starts <paramref name="id"/> as the first node of the cluster again (others join through it).</summary>
    public async Task<BrokerFixture> StartClusterAgainAsync(int id)
    {
        _seed = "";
        var first = await StartBrokerAsync(id);
        _seed = $"akka.tcp://akkabroker@127.0.0.1:{first.Node.BoundPort}";
        return first;
    }

    public async Task StopBrokerAsync(int id)
    {
        await _brokers[id].StopAsync();
        _brokers.Remove(id);
    }

    /// <summary>Stops broker <paramref name="id"/> as a crash would: no leave, the others find it unreachable and down it.</summary>
    public async Task CrashBrokerAsync(int id)
    {
        var broker = _brokers[id];
        _brokers.Remove(id);
        await broker.Node.System.Terminate();
    }

    /// <summary>Waits until every running broker sees <paramref name="count"/> members Up.</summary>
    public async Task WaitForMembersAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_brokers.Values.Any(b => Akka.Cluster.Cluster.Get(b.Node.System).State.Members.Count(m => m.Status == MemberStatus.Up) != count))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"expected every broker to see {count} members Up within 30 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the controller counts <paramref name="count"/> live brokers (their gateways answered it).</summary>
    public async Task WaitForControllerToSeeAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var gateway = _brokers.Values.First().Node.Gateway;
        while (true)
        {
            try
            {
                var r = await gateway.Ask<DescribeClusterResponse>(new DescribeClusterRequest(), TimeSpan.FromSeconds(2));
                if (r.Brokers.Count == count) return;
            }
            catch (AskTimeoutException)
            {
                // the controller is starting or moving
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected the controller to see {count} live brokers within 30 s");
            await Task.Delay(50);
        }
    }

    public string Bootstrap(int id) => _brokers[id].Bootstrap;

    /// <summary>Polls <paramref name="probe"/> until it returns a value, for at most 60 s.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what) where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (await probe() is { } result) return result;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {what} within 60 s");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Later brokers first, so the controller (on the oldest, broker 1) is not handed over needlessly.
        foreach (var b in _brokers.OrderByDescending(kv => kv.Key).Select(kv => kv.Value)) await b.StopAsync();
        foreach (var dir in _dataDirs.Values)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A stray SQLite handle; the OS cleans the temp dir.
            }
        }
    }
}
