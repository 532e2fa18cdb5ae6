using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using AkkaBroker.Client;

namespace AkkaBroker.EndToEnd.Tests.Nemesis;

/// <summary>
/// Three broker processes on fixed addresses, each listing all three as seed nodes, so that any of them can be killed
/// and restarted as the same broker (id, data dir, address) and find the others; on a <see cref="BrokerNetwork"/> whose
/// links can be cut. Acts as an operator's supervisor too: a
/// broker that exits on its own (downed by the split brain resolver) is restarted, and counted in
/// <see cref="UnexpectedExits"/>.
/// </summary>
public sealed class NemesisCluster : IDisposable
{
    public static readonly int[] BrokerIds = [1, 2, 3];

    private readonly BrokerNetwork _network;
    private readonly Dictionary<int, int> _ports;
    private readonly Dictionary<int, int> _clusterPorts;
    private readonly Dictionary<int, string> _dirs;
    private readonly Dictionary<int, BrokerProcess> _running = new();
    private readonly List<(int Broker, BrokerProcess Process)> _past = new();
    private readonly HashSet<int> _paused = new();
    private readonly HashSet<int> _cut = new();
    private readonly Action<string> _log;
    private readonly string _extraConfig;

    private NemesisCluster(BrokerNetwork network, Dictionary<int, int> ports, Dictionary<int, int> clusterPorts, Dictionary<int, string> dirs, string extraConfig, Action<string> log)
    {
        _network = network;
        _ports = ports;
        _clusterPorts = clusterPorts;
        _dirs = dirs;
        _extraConfig = extraConfig;
        _log = log;
    }

    /// <summary>Brokers that exited without being killed, with their exit code, in order; each was restarted.</summary>
    public List<(int Broker, int ExitCode, DateTime At)> UnexpectedExits { get; } = new();

    public string Bootstrap(int id) => $"{_network.Host(id)}:{_ports[id]}";

    public string AllBootstraps => string.Join(",", BrokerIds.Select(Bootstrap));

    /// <summary>Every broker's cluster endpoint, as each lists them in --seed-nodes.</summary>
    private string AllSeedNodes => string.Join(",", BrokerIds.Select(id => $"{_network.Host(id)}:{_clusterPorts[id]}"));

    public IEnumerable<int> Running => _running.Keys.Order();

    public static async Task<NemesisCluster> StartAsync(BrokerNetwork network, string extraConfig, Action<string> log)
    {
        // In namespaces of their own every broker has its address to itself; on loopback they share it.
        var ports = BrokerIds.ToDictionary(id => id, _ => network.CanCutLinks ? 9192 : FreePort());
        var clusterPorts = BrokerIds.ToDictionary(id => id, _ => network.CanCutLinks ? 9193 : FreePort());
        var dirs = BrokerIds.ToDictionary(id => id, id => Path.Combine(Path.GetTempPath(), $"akkabroker-nemesis{id}-{Guid.NewGuid():N}"));
        var cluster = new NemesisCluster(network, ports, clusterPorts, dirs, extraConfig, log);
        try
        {
            // Together: each waits for a majority of the seed nodes before the cluster comes up.
            var started = await Task.WhenAll(BrokerIds.Select(id => cluster.StartProcessAsync(id)));
            foreach (var (id, process) in BrokerIds.Zip(started)) cluster._running[id] = process;
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private Task<BrokerProcess> StartProcessAsync(int id) =>
        BrokerProcess.StartAsync(_network.Launcher(id), _dirs[id], TimeSpan.FromSeconds(60), _extraConfig,
            "--broker-id", $"{id}", "--host", _network.Host(id), "--port", $"{_ports[id]}", "--cluster-port", $"{_clusterPorts[id]}", "--seed-nodes", AllSeedNodes);

    /// <summary>kill -9.</summary>
    public void Kill(int id)
    {
        var process = _running[id];
        _running.Remove(id);
        _paused.Remove(id);
        process.KillHard();
        _past.Add((id, process));
        _log($"kill -9 broker {id}");
    }

    /// <summary>SIGTERM: a clean shutdown, leaving the cluster.</summary>
    public async Task StopAsync(int id)
    {
        var process = _running[id];
        _running.Remove(id);
        if (!await process.TerminateAsync(TimeSpan.FromSeconds(30)))
        {
            _log($"broker {id} did not exit within 30 s of SIGTERM; kill -9");
            process.KillHard();
        }
        _past.Add((id, process));
        _log($"stopped broker {id} (SIGTERM)");
    }

    /// <summary>
    /// Starts broker <paramref name="id"/> again as itself. An attempt that fails (its port still held by the killed
    /// process's connections, or no 'listening on' within 60 s on a machine loaded by other work) is logged and
    /// repeated, for at most 180 s in all.
    /// </summary>
    public async Task RestartAsync(int id)
    {
        if (_running.ContainsKey(id)) throw new InvalidOperationException($"broker {id} is running");
        var clock = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _running[id] = await StartProcessAsync(id);
                _log($"restarted broker {id} ({clock.ElapsedMilliseconds} ms{(attempt > 1 ? $", attempt {attempt}" : "")})");
                return;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException && clock.Elapsed < TimeSpan.FromSeconds(120))
            {
                FailedStarts++;
                _log($"broker {id} did not start (attempt {attempt}): {Tail(e.Message, 6)}");
                await Task.Delay(500);
            }
        }
    }

    /// <summary>Attempts to start a broker that failed and were repeated.</summary>
    public int FailedStarts { get; private set; }

    public async Task PauseAsync(int id)
    {
        await SignalAsync(id, "STOP");
        _paused.Add(id);
        _log($"SIGSTOP broker {id}");
    }

    public async Task ResumeAsync(int id)
    {
        _paused.Remove(id);
        await SignalAsync(id, "CONT");
        _log($"SIGCONT broker {id}");
    }

    /// <summary>Cuts every link of the broker: it runs on, unable to reach or be reached by anyone.</summary>
    public async Task CutAsync(int id)
    {
        await _network.CutAsync(id);
        _cut.Add(id);
        _log($"cut the links of broker {id}");
    }

    public async Task RestoreAsync(int id)
    {
        _cut.Remove(id);
        await _network.RestoreAsync(id);
        _log($"restored the links of broker {id}");
    }

    private async Task SignalAsync(int id, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _running[id].ProcessId.ToString()]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} of broker {id} (pid {_running[id].ProcessId}) failed with exit code {kill.ExitCode}");
    }

    /// <summary>What a supervisor does: a broker that exited on its own is restarted, and the exit recorded.</summary>
    public async Task SuperviseAsync()
    {
        foreach (var (id, process) in _running.Where(kv => kv.Value.HasExited).ToList())
        {
            UnexpectedExits.Add((id, process.ExitCode, DateTime.UtcNow));
            _log($"broker {id} exited on its own with code {process.ExitCode}; what it last said about membership:\n{WhyItLeft(process.Output)}");
            _running.Remove(id);
            _paused.Remove(id);
            _past.Add((id, process));
            await RestartAsync(id);
        }
    }

    /// <summary>Undoes every fault in force: links come back, paused brokers continue, stopped ones start again.</summary>
    public async Task HealAsync()
    {
        foreach (var id in _cut.ToList()) await RestoreAsync(id);
        foreach (var id in _paused.ToList()) await ResumeAsync(id);
        foreach (var id in BrokerIds.Where(id => !_running.ContainsKey(id))) await RestartAsync(id);
    }

    /// <summary>
    /// Waits until each broker, asked itself, describes a cluster of all three brokers, restarting any that exits
    /// meanwhile. Throws when that does not happen within <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitUntilAllMembersAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = new Dictionary<int, string>();
        while (true)
        {
            await SuperviseAsync();
            var answers = await Task.WhenAll(BrokerIds.Select(async id => (Id: id, Members: await MembersAsync(id))));
            foreach (var (id, members) in answers) last[id] = members;
            if (answers.All(a => a.Members == string.Join(",", BrokerIds)))
            {
                _log($"all brokers are members ({clock.ElapsedMilliseconds} ms)");
                return;
            }
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"expected every broker to describe a cluster of brokers {string.Join(",", BrokerIds)} within {timeout.TotalSeconds} s; " +
                                           $"last answers: {string.Join("; ", last.Select(kv => $"broker {kv.Key}: {kv.Value}"))}");
            await Task.Delay(250);
        }
    }

    /// <summary>The brokers the cluster has according to broker <paramref name="id"/> (1,2,3), or why it did not say.</summary>
    private async Task<string> MembersAsync(int id)
    {
        using var admin = Admin(Bootstrap(id));
        try
        {
            var cluster = await admin.DescribeClusterAsync();
            return string.Join(",", cluster.Nodes.Select(b => b.Id).Order());
        }
        catch (KafkaException e)
        {
            return e.Error.Code + ": " + e.Error.Reason;
        }
    }

    /// <summary>An admin client that gives up quickly, so that a dead broker costs one short timeout per question.</summary>
    public static IAdminClient Admin(string bootstrap) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap, RequestTimeoutMs = 3000 }).Build();

    /// <summary>The lines of every incarnation of every broker that tell what happened to leadership, replication and membership.</summary>
    public string Excerpts(int linesPerProcess = 60)
    {
        var result = new System.Text.StringBuilder();
        foreach (var (id, process) in _past.Concat(_running.Select(kv => (kv.Key, kv.Value))).OrderBy(p => p.Item1))
        {
            result.AppendLine($"---- broker {id} (pid {process.ProcessId}{(process.HasExited ? $", exit code {process.ExitCode}" : ", running")})");
            foreach (var line in process.Output.Split('\n')
                         .Where(l => Regex.IsMatch(l, "election|leads at|follows broker|truncat|in-sync|Isr|downed|Leader|WARNING|ERROR|exit|stopped"))
                         .Where(l => !Regex.IsMatch(l, "AssociationError|heartbeat was delayed|heartbeat interval is growing|Tried to associate|gated for|quarantined"))
                         .TakeLast(linesPerProcess))
                result.AppendLine(line.Length > 300 ? line[..300] : line.TrimEnd());
        }
        return result.ToString();
    }

    /// <summary>Every decision the split brain resolvers took, in every incarnation of every broker: who downed whom, and when.</summary>
    public string DowningDecisions() => string.Join("\n", _past.Concat(_running.Select(kv => (kv.Key, kv.Value)))
        .SelectMany(p => p.Item2.Output.Split('\n').Where(l => l.Contains("SBR took decision")).Select(l => $"broker {p.Item1}: {(l.Length > 400 ? l[..400] : l.TrimEnd())}")));

    /// <summary>The split brain resolver's and the cluster's last words in a broker's output: who was unreachable, who downed whom.</summary>
    private static string WhyItLeft(string output) => string.Join("\n", output.Split('\n')
        .Where(l => Regex.IsMatch(l, "SBR|nreachable|[Dd]own|Removed|Shutting down myself|TERMINATED|Leaving|Exiting"))
        .Where(l => !Regex.IsMatch(l, "AssociationError|Tried to associate|gated for|Shutting down remote daemon|remote daemon shut down"))
        .Select(l => l.Length > 300 ? l[..300] : l.TrimEnd())
        .TakeLast(8));

    private static string Tail(string output, int lines) => string.Join("\n", output.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).TakeLast(lines));

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        foreach (var process in _running.Values.Concat(_past.Select(p => p.Process))) process.Dispose();
        foreach (var dir in _dirs.Values.Where(Directory.Exists))
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // a process still closing its journal; the OS cleans the temp dir
            }
        }
    }
}
