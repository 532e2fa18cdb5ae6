using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Microsoft.Extensions.Logging;

namespace AkkaBroker.Actors.Broker;

/// <summary>How a <see cref="BrokerRunner"/> ended.</summary>
public enum BrokerRunEnd
{
    /// <summary>Stopped on purpose (<see cref="BrokerRunner.StopAsync"/>, Ctrl-C, SIGTERM).</summary>
    Stopped,

    /// <summary>The cluster downed or removed the node and <c>cluster.rejoin.enable</c> is off.</summary>
    RemovedFromCluster,
}

/// <summary>
/// Runs a broker node until it is stopped on purpose. When the cluster downs or removes the node (the split brain
/// resolver on a network blip, a crashed cluster daemon), its ActorSystem shuts down: the runner then starts a fresh
/// <see cref="BrokerNode"/> in the same process with the same configuration (broker id, data directory, port) after an
/// exponential backoff, and it rejoins through the seed nodes and the members it last knew, recovers its replicas from
/// its journal, catches up and re-enters the ISR, as a restarted Kafka broker does. Only one node runs at a time: the
/// previous one has terminated (journal, ports, durable store released) before the next starts.
/// </summary>
public sealed class BrokerRunner : IAsyncDisposable
{
    private readonly Config _overrides;
    private readonly RejoinSettings _rejoin;
    private readonly Action<string> _log;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile BrokerNode _node;
    private int _incarnation = 1;

    private BrokerRunner(Config overrides, BrokerNode first, Action<string> log, ILoggerFactory? loggerFactory)
    {
        _loggerFactory = loggerFactory;
        _overrides = overrides;
        _rejoin = first.Settings.Rejoin;
        _node = first;
        _log = log;
        Completion = RunAsync();
    }

    /// <summary>The node running now (a new instance after each rejoin; between them, the last one, terminated).</summary>
    public BrokerNode Node => _node;

    /// <summary>1 for the node started first, then one more for each node started after a downing.</summary>
    public int Incarnation => Volatile.Read(ref _incarnation);

    /// <summary>Called with each node started after a downing, once it serves requests.</summary>
    public event Action<BrokerNode>? Rejoined;

    /// <summary>Ends when the runner stopped on purpose or the node was removed with rejoining off; faults on a fatal error.</summary>
    /// <remarks>A <see cref="BrokerConfigurationException"/> whose <see cref="BrokerConfigurationException.MayPassByItself"/> is false is fatal.</remarks>
    public Task<BrokerRunEnd> Completion { get; }

    /// <summary>Starts the first node; its errors (bad configuration, seed nodes unreachable, port in use) are the caller's.</summary>
    /// <param name="log">Receives one line per downing and restart attempt, with the reason.</param>
    /// <param name="loggerFactory">Where each node's Akka log goes; null keeps Akka's own console logger.</param>
    /// <exception cref="BrokerConfigurationException">a setting is not allowed, or the cluster could not be joined.</exception>
    public static async Task<BrokerRunner> StartAsync(Config overrides, Action<string> log, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var first = await BrokerNode.StartAsync(overrides, loggerFactory, cancellationToken);
        return new BrokerRunner(overrides, first, log, loggerFactory);
    }

    /// <summary>Stops the running node (leaving the cluster) or the pending restart, and waits until the runner ended.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Completion;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _stop.Dispose();
        }
    }

    private async Task<BrokerRunEnd> RunAsync()
    {
        // Consecutive restarts without a node that stayed up for max-backoff: they set the backoff.
        var attempt = 0;
        while (true)
        {
            var node = _node;
            var upSince = DateTime.UtcNow;
            // Also when the stop came while this node was being started (the callback then runs at once).
            await using (_stop.Token.Register(() => _ = node.StopAsync()))
                await node.System.WhenTerminated.ConfigureAwait(false);
            var reason = CoordinatedShutdown.Get(node.System).ShutdownReason;
            if (_stop.IsCancellationRequested || !IsRemoval(reason)) return BrokerRunEnd.Stopped;
            var cause = Describe(reason);
            if (!_rejoin.Enable)
            {
                _log($"broker {node.Settings.BrokerId}: {cause}; not rejoining ({BrokerSettings.Section}.cluster.rejoin.enable = off)");
                return BrokerRunEnd.RemovedFromCluster;
            }
            if (DateTime.UtcNow - upSince >= _rejoin.MaxBackoff) attempt = 0;
            var rejoinThrough = KnownMembers(node);
            var next = await RestartAsync(node, rejoinThrough, cause, attempt).ConfigureAwait(false);
            if (next == null) return BrokerRunEnd.Stopped;
            (_node, attempt) = next.Value;
            Interlocked.Increment(ref _incarnation);
            Rejoined?.Invoke(_node);
        }
    }

    private async Task<(BrokerNode Node, int Attempt)?> RestartAsync(BrokerNode previous, IReadOnlyList<Address> rejoinThrough, string cause, int attempt)
    {
        var id = previous.Settings.BrokerId;
        var joinFailures = 0;
        while (true)
        {
            attempt++;
            var delay = _rejoin.BackoffFor(attempt, Random.Shared.NextDouble());
            _log($"broker {id}: {cause}; starting a new instance in {delay.TotalSeconds:0.0} s (restart attempt {attempt})");
            try
            {
                await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                var (config, seeds) = RejoinConfig(previous, rejoinThrough, joinFailures);
                _log($"broker {id}: restart attempt {attempt}: joining through {(seeds.Count == 0 ? "itself (it knew no other node)" : string.Join(", ", seeds))}");
                var node = await BrokerNode.StartAsync(config, _loggerFactory, _stop.Token).ConfigureAwait(false);
                if (!_stop.IsCancellationRequested)
                {
                    _log($"broker {id}: rejoined the cluster as {Cluster.Get(node.System).SelfUniqueAddress} (restart attempt {attempt})");
                    return (node, attempt);
                }
                await node.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return null;
            }
            catch (BrokerConfigurationException e) when (e.MayPassByItself)
            {
                joinFailures++;
                cause = $"restart attempt {attempt} could not join: {e.Key} must be {e.Requirement}";
            }
            catch (BrokerConfigurationException)
            {
                throw;
            }
            catch (Exception e)
            {
                // The port may still be held by the previous instance's closing connections, the journal may be briefly
                // locked: the next attempt, after a longer wait, tries again.
                cause = $"restart attempt {attempt} failed: {e.GetType().Name}: {e.Message}";
            }
        }
    }

    /// <summary>
    /// The configuration of a restart: the user's, with seed nodes that let the node rejoin the cluster that downed it
    /// rather than start a new one. Its own address is left out of the seed nodes (as the first seed node it would join
    /// itself when the others do not answer within seed-node-timeout, e.g. while the network is still cut, and split the
    /// cluster in two); the members it last saw are added. Only after a whole join-timeout without an answer may the first
    /// seed node start a cluster again, as on a first start, for when every node was downed; min-nr-of-members keeps it
    /// from serving alone.
    /// </summary>
    private (Config Config, IReadOnlyList<string> Seeds) RejoinConfig(BrokerNode previous, IReadOnlyList<Address> rejoinThrough, int joinFailures)
    {
        var configured = (BrokerNode.Compose(_overrides).GetStringList("akka.cluster.seed-nodes") ?? []).ToList();
        var seeds = SeedNodesForRejoin(configured, Cluster.Get(previous.System).SelfAddress, rejoinThrough, joinFailures > 0);
        var lines = new List<string>();
        if (seeds.Count > 0) lines.Add($"akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(s => $"\"{s}\""))}]");
        // A default port that was busy at the first start moved the cluster endpoint: other nodes know it by the port it got.
        if (previous.Settings.Port != 0 && previous.BoundPort != previous.Settings.Port) lines.Add($"akka.remote.dot-netty.tcp.port = {previous.BoundPort}");
        if (previous.Settings.Port != 0 && OperatingSystem.IsLinux() && NobodyListensOn(previous.Settings.Host, previous.BoundPort))
        {
            // The previous instance's accepted connections linger in TIME_WAIT on this port for a minute, and without
            // SO_REUSEADDR Linux refuses the bind meanwhile. Nobody listens on it (checked just now), so allowing reuse for
            // this bind cannot put two brokers on one port, which is why it is off otherwise (reference.conf).
            lines.Add("akka.remote.dot-netty.tcp.tcp-reuse-addr = on");
        }
        // The same for the client endpoint, whose clients' connections the previous instance closed.
        if (previous.ClientEndpoint?.Settings is { Port: not 0 } client && OperatingSystem.IsLinux() && NobodyListensOn(client.Hostname, client.Port))
            lines.Add($"{Gateway.ClientEndpointSettings.Section}.tcp-reuse-addr = on");
        return (ConfigurationFactory.ParseString(string.Join("\n", lines)).WithFallback(_overrides), seeds);
    }

    /// <summary>
    /// The seed nodes of a restart (see <see cref="RejoinConfig"/>): the configured ones without this node's previous
    /// address, then the members it last saw; the configured list as it is once a join failed and this node is its
    /// first entry (the one node that may start a cluster). Empty when the node knew no other node: a single broker
    /// forms its cluster again.
    /// </summary>
    internal static IReadOnlyList<string> SeedNodesForRejoin(IReadOnlyList<string> configured, Address previousSelf, IReadOnlyList<Address> lastSeen, bool joinFailedBefore)
    {
        if (joinFailedBefore && configured.Count > 0 && SameEndpoint(Address.Parse(configured[0]), previousSelf)) return configured;
        return configured.Where(s => !SameEndpoint(Address.Parse(s), previousSelf))
            .Concat(lastSeen.Where(a => !SameEndpoint(a, previousSelf)).Select(a => a.ToString()))
            .DistinctBy(s => { var a = Address.Parse(s); return (a.Host?.ToLowerInvariant(), a.Port); })
            .ToList();
    }

    /// <summary>The other members the terminated node last saw, for its successor to rejoin through.</summary>
    private static IReadOnlyList<Address> KnownMembers(BrokerNode node)
    {
        var cluster = Cluster.Get(node.System);
        return cluster.State.Members.Where(m => m.UniqueAddress != cluster.SelfUniqueAddress && !SameEndpoint(m.Address, cluster.SelfAddress))
            .Select(m => m.Address).Distinct().ToList();
    }

    private static bool SameEndpoint(Address a, Address b) =>
        a.Port == b.Port && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase);

    /// <summary>Downed, removed after another node made it leave, or gave up joining: the cluster goes on without this node.</summary>
    internal static bool IsRemoval(CoordinatedShutdown.Reason? reason) =>
        reason is CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterLeavingReason or CoordinatedShutdown.ClusterJoinUnsuccessfulReason;

    private static string Describe(CoordinatedShutdown.Reason? reason) => reason switch
    {
        CoordinatedShutdown.ClusterDowningReason => "the cluster downed this node (split brain resolver or a failed cluster daemon)",
        CoordinatedShutdown.ClusterLeavingReason => "the cluster removed this node",
        _ => "this node could not join the cluster (shutdown-after-unsuccessful-join-seed-nodes)",
    };

    /// <summary>Whether binding the port with SO_REUSEADDR alone succeeds: it fails only while a socket listens there.</summary>
    internal static bool NobodyListensOn(string host, int port)
    {
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).FirstOrDefault();
        if (address == null) return false;
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // SOL_SOCKET = 1 and SO_REUSEADDR = 2 on Linux; .NET's ReuseAddress would set SO_REUSEPORT too, which admits a second listener.
        probe.SetRawSocketOption(1, 2, BitConverter.GetBytes(1));
        try
        {
            probe.Bind(new IPEndPoint(address, port));
            probe.Listen();
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AddressNotAvailable)
        {
            return false;
        }
    }
}
