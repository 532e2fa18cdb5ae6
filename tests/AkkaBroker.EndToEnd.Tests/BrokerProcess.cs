using System.Diagnostics;
using System.Text;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>A real broker process (<c>akkabroker serve</c>) started from the Host project's build output.</summary>
public sealed class BrokerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BrokerProcess(Process process) => _process = process;

    public string Bootstrap { get; private set; } = "";

    /// <summary>The Kafka-protocol listener's address, once the broker printed it; null while it has not or when the listener is off.</summary>
    public string? KafkaBootstrap { get; private set; }

    /// <summary>The cluster endpoint (HOST:PORT), for other nodes' --seed-nodes.</summary>
    public string SeedNode { get; private set; } = "";
    public string DataDir { get; private set; } = "";
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    /// <summary>For signals such as SIGSTOP/SIGCONT.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The repository's root: the directory holding AkkaBroker.sln above this test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var testDir = AppContext.BaseDirectory; // .../tests/AkkaBroker.EndToEnd.Tests/bin/{Configuration}/net10.0/
            var root = testDir;
            while (!File.Exists(Path.Combine(root, "AkkaBroker.sln")))
                root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("AkkaBroker.sln not found above " + testDir);
            return root;
        }
    }

    /// <summary>The akkabroker.dll built next to this test assembly's configuration.</summary>
    public static string HostDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var dll = Path.Combine(RepositoryRoot, "src", "Host", "bin", configuration, "net10.0", "akkabroker.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"build src/Host ({configuration}) first", dll);
        }
    }

    /// <param name="extraConfig">HOCON appended to the test defaults.</param>
    /// <param name="extraArgs">More `serve` options, e.g. --broker-id and --seed-nodes; --port N replaces the default free port.</param>
    public static Task<BrokerProcess> StartAsync(string dataDir, TimeSpan? timeout = null, string extraConfig = "", params string[] extraArgs) =>
        StartAsync([], dataDir, timeout, extraConfig, extraArgs);

    /// <summary>As the other overload, with the command prefixed by <paramref name="launcher"/> (e.g. <c>ip netns exec NS</c>).</summary>
    public static async Task<BrokerProcess> StartAsync(string[] launcher, string dataDir, TimeSpan? timeout, string extraConfig, params string[] extraArgs)
    {
        var config = Path.Combine(Path.GetTempPath(), $"akkabroker-e2e-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(config, "akkabroker.broker.metrics.prometheus.port = 0\nakkabroker.broker.offsets.topic.replication.factor = 1\nakka.loglevel = WARNING\n" + extraConfig + "\n");
        string[] port = [.. extraArgs.Contains("--port") ? [] : new[] { "--port", "0" }, .. extraArgs.Contains("--cluster-port") ? [] : new[] { "--cluster-port", "0" }];
        var process = Start(launcher, HostDll, ["serve", .. port, "--data-dir", dataDir, "--config", config, .. extraArgs]);
        var broker = new BrokerProcess(process) { DataDir = dataDir };
        broker.Attach();
        var wait = timeout ?? TimeSpan.FromSeconds(60);
        var finished = await Task.WhenAny(broker._listening.Task, Task.Delay(wait));
        if (finished != broker._listening.Task)
        {
            broker.Dispose();
            throw new TimeoutException($"the broker did not report 'listening on' within {wait}; output:\n{broker.Output}");
        }
        broker.Bootstrap = await broker._listening.Task;
        return broker;
    }

    /// <summary>The broker's process id: the same for the whole life of a broker that rejoins after being downed.</summary>
    public int Pid => _process.Id;

    /// <summary>
    /// Starts <c>serve</c> with exactly <paramref name="serveArgs"/> (no <c>--port 0</c> is added, so a test can give the
    /// port a restart must keep) through <paramref name="launcher"/>, a command that execs the rest in its own process,
    /// e.g. <c>ip netns exec NS</c> to run the broker in a network namespace; empty runs <c>dotnet</c> itself.
    /// </summary>
    /// <param name="extraConfig">HOCON appended to the test defaults; null for no config file at all, as a new user starts it.</param>
    public static async Task<BrokerProcess> StartThroughAsync(IReadOnlyList<string> launcher, string? dataDir, string? extraConfig, IReadOnlyList<string> serveArgs, TimeSpan? timeout = null)
    {
        string[] configArgs = [];
        if (extraConfig != null)
        {
            var config = Path.Combine(Path.GetTempPath(), $"akkabroker-e2e-{Guid.NewGuid():N}.conf");
            await File.WriteAllTextAsync(config, "akkabroker.broker.metrics.prometheus.port = 0\nakkabroker.broker.offsets.topic.replication.factor = 1\nakka.loglevel = WARNING\n" + extraConfig + "\n");
            configArgs = ["--config", config];
        }
        var info = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in (launcher.Count > 0 ? launcher.Skip(1).Append("dotnet") : []).Append(HostDll).Append("serve").Concat(dataDir == null ? configArgs : ["--data-dir", dataDir, .. configArgs]).Concat(serveArgs))
            info.ArgumentList.Add(a);
        var broker = new BrokerProcess(Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start")) { DataDir = dataDir ?? "" };
        broker.Attach();
        var wait = timeout ?? TimeSpan.FromSeconds(60);
        if (await Task.WhenAny(broker._listening.Task, Task.Delay(wait)) != broker._listening.Task)
        {
            broker.Dispose();
            throw new TimeoutException($"the broker did not report 'listening on' within {wait}; output:\n{broker.Output}");
        }
        broker.Bootstrap = await broker._listening.Task;
        return broker;
    }

    /// <summary>
    /// Waits for brokers started together. When any did not start, the others are stopped and the exception carries
    /// every failure with its broker's output (one broker's output alone rarely says why a cluster did not form).
    /// </summary>
    public static async Task<BrokerProcess[]> StartAllAsync(params Task<BrokerProcess>[] starting)
    {
        await Task.WhenAll(starting.Select(t => t.ContinueWith(_ => { })));
        if (starting.All(t => t.IsCompletedSuccessfully)) return starting.Select(t => t.Result).ToArray();
        var report = new StringBuilder();
        for (var i = 0; i < starting.Length; i++)
        {
            if (starting[i].IsCompletedSuccessfully)
            {
                report.Append($"broker #{i + 1} of {starting.Length} started; its output:\n{starting[i].Result.Output}\n");
                starting[i].Result.Dispose();
            }
            else report.Append($"broker #{i + 1} of {starting.Length} did not start: {starting[i].Exception?.GetBaseException().Message ?? "its start was cancelled"}\n");
        }
        throw new InvalidOperationException(report.ToString());
    }

    /// <summary>
    /// <c>serve --data-dir DIR</c> with exactly <paramref name="serveArgs"/> and no config file of the tests: the broker a
    /// new user starts. A null <paramref name="dataDir"/> leaves <c>--data-dir</c> out (a config file names it).
    /// </summary>
    public static Task<BrokerProcess> StartBareAsync(string? dataDir, params string[] serveArgs) => StartThroughAsync([], dataDir, null, serveArgs);

    /// <summary>Waits until the broker's output (stdout and stderr) satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForOutputAsync(Func<string, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Output))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {what} within {timeout.TotalSeconds:0} s; broker output:\n{Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>Runs a console tool until its output satisfies <paramref name="done"/> (exit code 0), for at most 90 s.</summary>
    public static async Task<string> WaitForToolAsync(string[] args, Func<string, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var r = await RunToolAsync(null, args);
            if (r.ExitCode == 0 && done(r.Stdout)) return r.Stdout;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {what} within 90 s; last output: {r.Stdout} {r.Stderr}");
            await Task.Delay(250);
        }
    }

    /// <summary>Runs a console tool to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToolAsync(string? stdin, params string[] args)
    {
        using var process = Start([], HostDll, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin != null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // A tool that hangs must not outlive the test (a broker started this way would stay in its cluster).
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"akkabroker {string.Join(' ', args)} did not exit within 120 s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a console tool (e.g. verifiable-consumer) without waiting for it; its output lines are collected as they come.</summary>
    public static ToolProcess StartTool(params string[] args) => new(Start([], HostDll, args));

    private static Process Start(string[] launcher, string dll, params string[] args)
    {
        string[] command = [.. launcher, "dotnet"];
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in command[1..]) info.ArgumentList.Add(a);
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
    }

    private void Attach()
    {
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"the broker exited early:\n{Output}"));
        _process.EnableRaisingEvents = true;
    }

    private void OnLine(string? line)
    {
        if (line == null) return;
        lock (_output) _output.AppendLine(line);
        const string kafkaMarker = "(Kafka clients: bootstrap.servers=";
        if (ValueAfter(line, kafkaMarker) is { } kafka) KafkaBootstrap = kafka;
        if (ValueAfter(line, "(seed-node=") is { } seed) SeedNode = seed;
        // A broker prints its bootstrap.servers; a controller-only node (no client gateway) its address as a seed node.
        foreach (var marker in new[] { "(bootstrap.servers=", "(seed-node=" })
            if (ValueAfter(line, marker) is { } address) _listening.TrySetResult(address);
    }

    // Up to the closing parenthesis: the line is plain text, or a JSON log event (--log-format json) with more after it.
    private static string? ValueAfter(string line, string marker)
    {
        var at = line.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return null;
        var value = line[(at + marker.Length)..];
        var end = value.IndexOf(')');
        return end < 0 ? value : value[..end];
    }

    /// <summary>Waits for the process to exit and for its last output lines to be read (they arrive after the exit).</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>kill -9: no shutdown hook runs.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    /// <summary>SIGTERM, then waits for the process to exit.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
        await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillHard();
        _process.Dispose();
    }
}

/// <summary>A running console tool whose stdout lines are collected as they arrive (each line is one JSON event).</summary>
public sealed class ToolProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = new();
    private readonly System.Text.StringBuilder _stderr = new();

    internal ToolProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data != null) lock (_lines) _lines.Add(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null) lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.Close();
    }

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToArray(); }
    }

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>For signals such as SIGTERM (the tools stop cleanly on it and on SIGINT).</summary>
    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>SIGTERM (a clean stop), then waits for the process to exit; false if it did not within <paramref name="timeout"/>.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The exit code, once exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>kill -9.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }
}
