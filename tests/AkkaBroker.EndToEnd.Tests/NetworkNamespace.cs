using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// A Linux network namespace joined to this host by a veth pair, for a real network partition of one broker process:
/// the broker listens on <see cref="InsideAddress"/> inside the namespace, the others on <see cref="HostAddress"/>, the
/// host end of the pair. <see cref="CutAsync"/> takes the host end down (no packet passes either way; the processes
/// run on), <see cref="HealAsync"/> brings it up again. Needs root and iproute2 (<c>ip netns add</c>).
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private readonly string _hostDevice;
    private readonly string _subnet;

    private NetworkNamespace(string name, string hostDevice, int block)
    {
        Name = name;
        _hostDevice = hostDevice;
        _subnet = $"10.231.{block}.0/30";
        HostAddress = $"10.231.{block}.1";
        InsideAddress = $"10.231.{block}.2";
    }

    public string Name { get; }

    /// <summary>This host's end of the pair: brokers outside the namespace listen here so that the one inside reaches them.</summary>
    public string HostAddress { get; }

    /// <summary>The namespace's end of the pair, where the broker inside listens.</summary>
    public string InsideAddress { get; }

    /// <summary>Runs a command inside the namespace (it execs the rest, so the process keeps the id it was started with).</summary>
    public IReadOnlyList<string> Launcher => ["ip", "netns", "exec", Name];

    /// <exception cref="InvalidOperationException">the namespace could not be made (not root, no iproute2).</exception>
    public static async Task<NetworkNamespace> CreateAsync()
    {
        // Names and a /30 of 10.231.0.0/16 of this test process's own, so runs side by side do not meet.
        var tag = Environment.ProcessId % 100_000;
        var ns = new NetworkNamespace($"akb-{tag}", $"akbh{tag}", Environment.ProcessId % 250);
        var inside = $"akbn{tag}";
        try
        {
            await IpAsync("netns", "add", ns.Name);
            await IpAsync("link", "add", ns._hostDevice, "type", "veth", "peer", "name", inside);
            await IpAsync("link", "set", inside, "netns", ns.Name);
            await IpAsync("addr", "add", $"{ns.HostAddress}/30", "dev", ns._hostDevice);
            await IpAsync("link", "set", ns._hostDevice, "up");
            await IpAsync("netns", "exec", ns.Name, "ip", "addr", "add", $"{ns.InsideAddress}/30", "dev", inside);
            await IpAsync("netns", "exec", ns.Name, "ip", "link", "set", inside, "up");
            await IpAsync("netns", "exec", ns.Name, "ip", "link", "set", "lo", "up");
            // While the link is down its route is gone: drop packets for the namespace here rather than send them out
            // through the default route.
            await IpAsync("route", "add", "blackhole", ns._subnet, "metric", "1000");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Takes the host end of the link down: the broker inside and the brokers outside can no longer exchange a packet.</summary>
    public Task CutAsync() => IpAsync("link", "set", _hostDevice, "down");

    /// <summary>Brings the link up again.</summary>
    public Task HealAsync() => IpAsync("link", "set", _hostDevice, "up");

    private readonly HashSet<int> _handedOut = new();

    /// <summary>
    /// A port free on <see cref="HostAddress"/> now (brokers there need fixed ports, so a restart keeps its address), and
    /// not one handed out before: each probe is closed before the next, so the system may offer the same port again.
    /// </summary>
    public int FreeHostPort()
    {
        while (true)
        {
            using var probe = new TcpListener(IPAddress.Parse(HostAddress), 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            if (_handedOut.Add(port)) return port;
        }
    }

    public void Dispose()
    {
        // Each step on its own: a failed one must not leave the others undone.
        foreach (var args in new[] { new[] { "route", "del", "blackhole", _subnet }, ["link", "del", _hostDevice], ["netns", "del", Name] })
        {
            using var p = Process.Start(new ProcessStartInfo("ip") { UseShellExecute = false }.WithArguments(args));
            p?.WaitForExit(10_000);
        }
    }

    private static async Task IpAsync(params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo("ip") { RedirectStandardError = true, UseShellExecute = false }.WithArguments(args))
                      ?? throw new InvalidOperationException("ip did not start");
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Trim()}. This test needs root and iproute2 (ip netns).");
    }
}

internal static class ProcessStartInfoExtensions
{
    public static ProcessStartInfo WithArguments(this ProcessStartInfo info, IEnumerable<string> args)
    {
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }
}
