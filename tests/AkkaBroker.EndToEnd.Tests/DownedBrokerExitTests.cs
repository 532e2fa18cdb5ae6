using System.Diagnostics;
using AkkaBroker.Client;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// How a downed broker's process ends, for a supervisor: with rejoining turned off it exits with code 3; with it on, it
/// keeps trying to rejoin and only a deliberate stop (SIGTERM) ends it, with code 0, also while it is still cut off.
/// </summary>
public class DownedBrokerExitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_broker_downed_with_rejoin_off_exits_with_code_3()
    {
        var dirs = Enumerable.Range(1, 3).Select(i => Path.Combine(Path.GetTempPath(), $"akkabroker-e2e-exit{i}-" + Guid.NewGuid().ToString("N"))).ToArray();
        using var b1 = await BrokerProcess.StartAsync(dirs[0], extraArgs: ["--broker-id", "1"]);
        using var b2 = await BrokerProcess.StartAsync(dirs[1], extraArgs: ["--broker-id", "2", "--seed-nodes", b1.SeedNode]);
        using var b3 = await BrokerProcess.StartAsync(dirs[2], extraConfig: "akkabroker.broker.cluster.rejoin.enable = off",
            extraArgs: ["--broker-id", "3", "--seed-nodes", b1.SeedNode]);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = b1.Bootstrap, RequestTimeoutMs = 2000 }).Build())
            await RejoinTests.WaitForBrokersAsync(admin, ids => ids.Count == 3, "three live brokers");

        // SIGSTOP: the process stays, silent, until the others have downed it (their split brain resolver logs the decision
        // at WARNING); on SIGCONT it learns that it was downed.
        var clock = Stopwatch.StartNew();
        await SignalAsync(b3.Pid, "STOP");
        try
        {
            var downing = $"is downing [akka.tcp://akkabroker@{b3.SeedNode}";
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
            while (!b1.Output.Contains(downing) && !b2.Output.Contains(downing))
            {
                Assert.True(DateTime.UtcNow < deadline, $"expected broker 1 or 2 to down broker 3 within 40 s; broker 1's output:\n{b1.Output}");
                await Task.Delay(200);
            }
        }
        finally
        {
            await SignalAsync(b3.Pid, "CONT");
        }
        var downedAfter = clock.Elapsed;

        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(40)))
            await WaitForExitAsync(b3, cts.Token);
        output.WriteLine($"downed {downedAfter.TotalSeconds:0.0} s after SIGSTOP; exited with {b3.ExitCode} {clock.Elapsed.TotalSeconds:0.0} s after it");
        Assert.Equal(3, b3.ExitCode);
        Assert.Contains("not rejoining (akkabroker.broker.cluster.rejoin.enable = off)", b3.Output);
        Assert.Contains("stopped: removed from the cluster", b3.Output);
        DeleteAll(dirs);
    }

    [Fact]
    public async Task A_broker_still_cut_off_and_waiting_to_rejoin_stops_with_code_0_on_sigterm()
    {
        using var ns = await NetworkNamespace.CreateAsync();
        var dirs = Enumerable.Range(1, 3).Select(i => Path.Combine(Path.GetTempPath(), $"akkabroker-e2e-exit-ns{i}-" + Guid.NewGuid().ToString("N"))).ToArray();
        int port1 = ns.FreeHostPort(), port2 = ns.FreeHostPort();
        const int port3 = 19203;
        int cluster1 = ns.FreeHostPort(), cluster2 = ns.FreeHostPort();
        const int cluster3 = 19213;
        var seeds = $"{ns.HostAddress}:{cluster1},{ns.HostAddress}:{cluster2},{ns.InsideAddress}:{cluster3}";
        string[] Args(int id, string host, int port, int clusterPort) => ["--broker-id", $"{id}", "--host", host, "--port", $"{port}", "--cluster-port", $"{clusterPort}", "--seed-nodes", seeds];
        var started = await BrokerProcess.StartAllAsync(
            BrokerProcess.StartThroughAsync([], dirs[0], "", Args(1, ns.HostAddress, port1, cluster1)),
            BrokerProcess.StartThroughAsync([], dirs[1], "", Args(2, ns.HostAddress, port2, cluster2)),
            BrokerProcess.StartThroughAsync(ns.Launcher, dirs[2], "", Args(3, ns.InsideAddress, port3, cluster3)));
        using var b1 = started[0];
        using var b2 = started[1];
        using var b3 = started[2];
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = b1.Bootstrap, RequestTimeoutMs = 2000 }).Build())
            await RejoinTests.WaitForBrokersAsync(admin, ids => ids.Count == 3, "three live brokers");

        await ns.CutAsync();
        await b3.WaitForOutputAsync(o => o.Contains("restart attempt 1: joining through"), TimeSpan.FromSeconds(40), "broker 3 to find itself downed and try to rejoin");
        // The link stays down: a new node is waiting to join when the stop comes.
        var clock = Stopwatch.StartNew();
        Assert.True(await b3.TerminateAsync(TimeSpan.FromSeconds(40)), $"broker 3 should exit within 40 s of SIGTERM; output:\n{b3.Output}");
        output.WriteLine($"exited with {b3.ExitCode} {clock.Elapsed.TotalSeconds:0.0} s after SIGTERM");
        Assert.Equal(0, b3.ExitCode);
        Assert.EndsWith("stopped", b3.Output.TrimEnd());
        DeleteAll(dirs);
    }

    private static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString()]);
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {pid} failed");
    }

    private static async Task WaitForExitAsync(BrokerProcess broker, CancellationToken ct)
    {
        try
        {
            // Also waits for the output read after the exit: the last lines (why it stopped) arrive then.
            await broker.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"expected the downed broker to exit; output:\n{broker.Output}");
        }
    }

    private static void DeleteAll(IEnumerable<string> dirs)
    {
        foreach (var dir in dirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // The other brokers still run until the end of the test; the OS cleans the temp dir.
            }
        }
    }
}
