using System.Diagnostics;

namespace AkkaBroker.EndToEnd.Tests.Nemesis;

/// <summary>
/// Where the nemesis's brokers listen. <see cref="Loopback"/>: all on 127.0.0.1, no link can be cut.
/// <see cref="Namespaces"/>: each broker in a Linux network namespace of its own, joined to the host through a veth pair
/// on one bridge; taking a broker's host-side veth down cuts every link it has (to the other brokers and the clients)
/// while its process runs on, which is what a network partition looks like to it.
/// </summary>
public sealed class BrokerNetwork : IDisposable
{
    private readonly string _prefix;
    private readonly int _subnet;
    private readonly List<string> _created = new();

    private BrokerNetwork(string prefix, int subnet)
    {
        _prefix = prefix;
        _subnet = subnet;
    }

    /// <summary>Whether links can be cut.</summary>
    public bool CanCutLinks => _subnet >= 0;

    public static BrokerNetwork Loopback() => new("", -1);

    /// <summary>
    /// A namespace per broker id. Needs root and the <c>ip</c> tool; names and the 10.213.x.0/24 subnet derive from the
    /// process id so that two runs on one machine do not meet.
    /// </summary>
    public static async Task<BrokerNetwork> NamespacesAsync(IEnumerable<int> brokerIds)
    {
        var pid = Environment.ProcessId % 100_000;
        var network = new BrokerNetwork($"akbnem{pid}", pid % 250 + 1);
        try
        {
            var bridge = network.Bridge;
            await IpAsync("link", "add", bridge, "type", "bridge");
            network._created.Add("link:" + bridge);
            await IpAsync("addr", "add", $"10.213.{network._subnet}.1/24", "dev", bridge);
            await IpAsync("link", "set", bridge, "up");
            foreach (var id in brokerIds)
            {
                var ns = network.Namespace(id);
                await IpAsync("netns", "add", ns);
                network._created.Add("netns:" + ns);
                await IpAsync("link", "add", network.HostLink(id), "type", "veth", "peer", "name", $"{network._prefix}n{id}");
                network._created.Add("link:" + network.HostLink(id));
                await IpAsync("link", "set", $"{network._prefix}n{id}", "netns", ns);
                await IpAsync("link", "set", network.HostLink(id), "master", bridge);
                await IpAsync("link", "set", network.HostLink(id), "up");
                await IpAsync("-n", ns, "addr", "add", $"{network.Host(id)}/24", "dev", $"{network._prefix}n{id}");
                await IpAsync("-n", ns, "link", "set", $"{network._prefix}n{id}", "up");
                await IpAsync("-n", ns, "link", "set", "lo", "up");
            }
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private string Bridge => $"{_prefix}br";

    private string Namespace(int id) => $"{_prefix}-{id}";

    private string HostLink(int id) => $"{_prefix}h{id}";

    /// <summary>The address broker <paramref name="id"/> listens on and advertises.</summary>
    public string Host(int id) => CanCutLinks ? $"10.213.{_subnet}.{10 + id}" : "127.0.0.1";

    /// <summary>What a broker's command line starts with: nothing, or <c>ip netns exec</c> its namespace.</summary>
    public string[] Launcher(int id) => CanCutLinks ? ["ip", "netns", "exec", Namespace(id)] : [];

    /// <summary>Cuts every link of broker <paramref name="id"/>.</summary>
    public Task CutAsync(int id) => IpAsync("link", "set", HostLink(id), "down");

    public Task RestoreAsync(int id) => IpAsync("link", "set", HostLink(id), "up");

    private static async Task IpAsync(params string[] args)
    {
        using var ip = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true, UseShellExecute = false })!;
        var stderr = await ip.StandardError.ReadToEndAsync();
        await ip.WaitForExitAsync();
        if (ip.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)} failed with exit code {ip.ExitCode}: {stderr.Trim()}");
    }

    public void Dispose()
    {
        // In reverse: the veths go with their namespaces, the bridge last. Deleting a namespace whose broker still runs
        // only unlinks its name, so the brokers are stopped first (NemesisCluster.Dispose).
        var failures = new List<string>();
        foreach (var item in Enumerable.Reverse(_created))
        {
            var (kind, name) = (item[..item.IndexOf(':')], item[(item.IndexOf(':') + 1)..]);
            string[] args = kind == "netns" ? ["netns", "del", name] : ["link", "del", name];
            using var ip = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true, UseShellExecute = false })!;
            var stderr = ip.StandardError.ReadToEnd();
            ip.WaitForExit();
            // A veth is gone once its peer's namespace is: that is no failure.
            if (ip.ExitCode != 0 && !stderr.Contains("Cannot find device")) failures.Add($"ip {string.Join(' ', args)}: {stderr.Trim()}");
        }
        if (failures.Count > 0) throw new InvalidOperationException("could not remove the nemesis's network: " + string.Join("; ", failures));
    }
}
