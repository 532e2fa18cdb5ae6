using Akka.Actor;
using Akka.Cluster;
using Akka.Remote;
using Akka.Remote.Transport;
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

    /// <summary>Cluster timing for specs (faster gossip, Akka's default failure detector), for nodes a spec starts itself.</summary>
    public const string FastCluster = """
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
    /// <summary>With Akka.Remote's throttler adapter applied (network-partition specs), addresses read <c>akka.trttl.tcp</c>.</summary>
    private string _protocol = "akka.tcp";
    private string _extraConfig = "";
    private bool _rejoin;
    /// <summary>Node ids started with process.roles = controller (they serve no clients); empty for combined nodes.</summary>
    private readonly HashSet<int> _controllerOnly = new();

    /// <summary>Every running node by id, controller-only nodes included.</summary>
    public IReadOnlyDictionary<int, BrokerFixture> Brokers => _brokers;

    /// <summary>The first node id given to controller-only nodes (<c>StartAsync(controllerNodes: n)</c>): 101, 102, ...</summary>
    public const int FirstControllerNodeId = 101;

    /// <param name="brokers">Three by default; five lets a spec crash two brokers while a majority stays up.</param>
    /// <param name="throttled">Applies Akka.Remote's throttler transport adapter, so <see cref="IsolateAsync"/> can cut a broker off.</param>
    /// <param name="extraConfig">HOCON for every broker, over the cluster's defaults.</param>
    /// <param name="controllerNodes">
    /// Dedicated controller nodes (process.roles = controller, ids from <see cref="FirstControllerNodeId"/>), started
    /// first; the brokers then get process.roles = broker. None by default: every broker may run the controller.
    /// </param>
    /// <param name="rejoin">Run every node as <c>serve</c> does (<see cref="BrokerFixture.Runner"/>): a downed node starts again and rejoins.</param>
    public static async Task<ThreeBrokerCluster> StartAsync(int brokers = 3, bool throttled = false, string extraConfig = "", int controllerNodes = 0, bool rejoin = false)
    {
        var cluster = new ThreeBrokerCluster { _extraConfig = extraConfig, _rejoin = rejoin };
        if (throttled)
        {
            cluster._protocol = "akka.trttl.tcp";
            cluster._extraConfig += "\nakka.remote.dot-netty.tcp.applied-adapters = [trttl]";
        }
        var ids = Enumerable.Range(FirstControllerNodeId, controllerNodes).Concat(Enumerable.Range(1, brokers)).ToArray();
        foreach (var id in ids.Take(controllerNodes)) cluster._controllerOnly.Add(id);
        if (controllerNodes > 0) cluster._extraConfig += "\nakkabroker.broker.process.roles = broker";
        await cluster.StartBrokerAsync(ids[0]);
        cluster._seed = cluster.AddressOf(ids[0]);
        foreach (var id in ids.Skip(1)) await cluster.StartBrokerAsync(id);
        await cluster.WaitForMembersAsync(ids.Length);
        await cluster.WaitForControllerToSeeAsync(brokers);
        return cluster;
    }

    /// <summary>
    /// Starts node <paramref name="id"/> on its own data directory (the same one again after a stop); a controller-only
    /// node when <paramref name="id"/> is one of those <see cref="StartAsync"/> made, or when <paramref name="controllerOnly"/>.
    /// </summary>
    public async Task<BrokerFixture> StartBrokerAsync(int id, bool controllerOnly = false)
    {
        if (controllerOnly) _controllerOnly.Add(id);
        if (!_dataDirs.TryGetValue(id, out var dir))
            _dataDirs[id] = dir = Path.Combine(Path.GetTempPath(), $"akkabroker-cluster-{id}-" + Guid.NewGuid().ToString("N"));
        var seeds = _seed == "" ? "" : $"akka.cluster.seed-nodes = [\"{_seed}\"]";
        var roles = _controllerOnly.Contains(id) ? "akkabroker.broker.process.roles = controller" : "";
        var broker = await BrokerFixture.StartAsync($"""
            akkabroker.broker.broker.id = {id}
            {seeds}
            {FastCluster}
            {_extraConfig}
            {roles}
            """, dir, _rejoin);
        _brokers[id] = broker;
        return broker;
    }

    /// <summary>After every broker stopped: starts <paramref name="id"/> as the first node of the cluster again (others join through it).</summary>
    public async Task<BrokerFixture> StartClusterAgainAsync(int id)
    {
        _seed = "";
        var first = await StartBrokerAsync(id);
        _seed = AddressOf(id);
        return first;
    }

    private string AddressOf(int id) => $"{_protocol}://akkabroker@127.0.0.1:{_brokers[id].Node.BoundPort}";

    /// <summary>Brokers started from now on join through broker <paramref name="id"/> (when the first seed is gone).</summary>
    public void JoinThrough(int id) => _seed = AddressOf(id);

    /// <summary>
    /// A network partition: every message between broker <paramref name="id"/> and the others is dropped, both ways
    /// (the throttler's blackhole; needs <c>StartAsync(throttled: true)</c>). The brokers keep running.
    /// </summary>
    public async Task IsolateAsync(int id)
    {
        foreach (var other in _brokers.Keys.Where(o => o != id).ToArray())
        {
            await BlackholeAsync(id, other);
            await BlackholeAsync(other, id);
        }
    }

    /// <summary>Ends <see cref="IsolateAsync"/>: messages between broker <paramref name="id"/> and the others flow again.</summary>
    public async Task HealAsync(int id)
    {
        foreach (var other in _brokers.Keys.Where(o => o != id).ToArray())
        {
            await ThrottleAsync(id, other, Unthrottled.Instance);
            await ThrottleAsync(other, id, Unthrottled.Instance);
        }
    }

    private Task BlackholeAsync(int from, int to) => ThrottleAsync(from, to, Blackhole.Instance);

    private async Task ThrottleAsync(int from, int to, ThrottleMode mode)
    {
        var transport = ((RemoteActorRefProvider)((ExtendedActorSystem)_brokers[from].Node.System).Provider).Transport;
        var target = new Address(_protocol, "akkabroker", "127.0.0.1", _brokers[to].Node.BoundPort);
        if (!await transport.ManagementCommand(new SetThrottle(target, ThrottleTransportAdapter.Direction.Both, mode)))
            throw new InvalidOperationException($"the throttler did not apply {mode.GetType().Name} between broker {from} and broker {to}");
    }

    /// <summary>Waits until broker <paramref name="id"/> has shut itself down (a downed broker does), then forgets it.</summary>
    public async Task WaitForShutdownAsync(int id)
    {
        var system = _brokers[id].Node.System;
        if (await Task.WhenAny(system.WhenTerminated, Task.Delay(TimeSpan.FromSeconds(60))) != system.WhenTerminated)
            throw new TimeoutException($"expected broker {id} to shut down within 60 s");
        await _brokers[id].StopAsync(); // releases its journal's connections
        _brokers.Remove(id);
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
        var gateway = _brokers.First(kv => !_controllerOnly.Contains(kv.Key)).Value.Node.Gateway;
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

    /// <summary>The node's cluster endpoint (HOST:PORT): the only address a controller-only node has.</summary>
    public string SeedNode(int id) => _brokers[id].Node.SeedNode;

    /// <summary>Node <paramref name="id"/>'s data directory (kept across stops until the cluster is disposed).</summary>
    public string DataDirOf(int id) => _dataDirs[id];

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
        // Later brokers first and controller-only nodes last, so the controller (on the oldest node that may run it) is
        // not handed over needlessly.
        foreach (var b in _brokers.OrderBy(kv => _controllerOnly.Contains(kv.Key)).ThenByDescending(kv => kv.Key).Select(kv => kv.Value)) await b.StopAsync();
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
