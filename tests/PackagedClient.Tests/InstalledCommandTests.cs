using System.Diagnostics;
using System.Text;
using Xunit;

namespace AkkaBroker.PackagedClient.Tests;

/// <summary>
/// The akkabroker command as a user installs it, run from an empty directory with no config file: the dotnet tool from
/// the package in artifacts/packages, and the self-contained single file that .ci/run publishes to artifacts/linux-x64.
/// Each serves a broker and takes a record in and out through its own produce and consume commands.
/// </summary>
public sealed class InstalledCommandTests : IDisposable
{
    private static readonly string Repository = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"akkabroker-installed-{Guid.NewGuid():N}");

    public InstalledCommandTests() => Directory.CreateDirectory(_scratch);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a process that is exiting; the OS cleans the temp dir.
        }
    }

    [Fact]
    public async Task The_dotnet_tool_installs_from_the_package_and_serves_from_an_empty_directory()
    {
        var tools = Path.Combine(_scratch, "tools");
        // Only the local feed (no package of another author on nuget.org can stand in for it), and a package folder of
        // its own (a tool packed again under the same version is never taken from an older cache).
        var config = Path.Combine(_scratch, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <configuration>
              <packageSources>
                <clear />
                <add key="artifacts" value="{Path.Combine(Repository, "artifacts", "packages")}" />
              </packageSources>
            </configuration>
            """);
        var install = await RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "akkabroker", "--version", "0.1.0", "--configfile", config],
            _scratch, ("NUGET_PACKAGES", Path.Combine(_scratch, "nuget")));
        Assert.True(install.ExitCode == 0, install.Output);
        await ServeProduceConsumeAsync(Path.Combine(tools, "akkabroker"));
    }

    [Fact]
    public async Task The_self_contained_single_file_serves_from_an_empty_directory()
    {
        var binary = Path.Combine(Repository, "artifacts", "linux-x64", "akkabroker");
        Assert.True(File.Exists(binary), $"{binary} is missing: .ci/run publishes it (dotnet publish src/Host -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o artifacts/linux-x64)");
        // One file: every assembly and SQLite's native library inside it (only symbols and XML docs beside it).
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(binary)!, "*.dll"));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(binary)!, "*.so"));
        await ServeProduceConsumeAsync(binary);
    }

    private async Task ServeProduceConsumeAsync(string command)
    {
        var workingDirectory = Path.Combine(_scratch, "cwd");
        Directory.CreateDirectory(workingDirectory);
        var help = await RunAsync(command, ["--help"], workingDirectory);
        Assert.True(help.ExitCode == 0 && help.Output.Contains("serve"), help.Output);

        using var broker = Start(command, ["serve", "--port", "0", "--listeners", "", "--metrics-port", "0"], workingDirectory);
        var output = new StringBuilder();
        var bootstrap = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line == null) return;
            lock (output) output.AppendLine(line);
            const string marker = "(bootstrap.servers=";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) bootstrap.TrySetResult(line[(at + marker.Length)..].TrimEnd(')'));
        }
        broker.OutputDataReceived += (_, e) => OnLine(e.Data);
        broker.ErrorDataReceived += (_, e) => OnLine(e.Data);
        broker.BeginOutputReadLine();
        broker.BeginErrorReadLine();
        try
        {
            var address = await bootstrap.Task.WaitAsync(TimeSpan.FromSeconds(90));
            // No config and no --data-dir: the data is where the user stands, as README says.
            Assert.True(Directory.Exists(Path.Combine(workingDirectory, "data")), $"no ./data in {workingDirectory}");

            var produced = await RunAsync(command, ["produce", "--bootstrap-server", address, "--topic", "installed"], workingDirectory, stdin: "hello from the installed command\n");
            Assert.True(produced.ExitCode == 0, produced.Output);
            var consumed = await RunAsync(command, ["consume", "--bootstrap-server", address, "--topic", "installed", "--from-beginning",
                "--max-messages", "1", "--timeout-ms", "60000"], workingDirectory);
            Assert.True(consumed.ExitCode == 0, consumed.Output);
            Assert.Contains("hello from the installed command", consumed.Output);
        }
        catch (Exception e) when (e is TimeoutException or Xunit.Sdk.XunitException or InvalidOperationException)
        {
            string log;
            lock (output) log = output.ToString();
            throw new Xunit.Sdk.XunitException($"{e.Message}\nbroker output:\n{log}");
        }
        finally
        {
            broker.Kill(entireProcessTree: true);
            await broker.WaitForExitAsync();
        }
    }

    private static Process Start(string command, IEnumerable<string> args, string workingDirectory, params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo(command)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return Process.Start(info) ?? throw new InvalidOperationException($"{command} did not start");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, IEnumerable<string> args, string workingDirectory,
        (string Name, string Value)? environment = null, string? stdin = null)
    {
        using var process = Start(command, args, workingDirectory, environment is { } e ? [e] : []);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin != null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new Xunit.Sdk.XunitException($"{command} {string.Join(' ', args)} did not finish within 3 minutes:\n{await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string command, IEnumerable<string> args, string workingDirectory, string stdin) =>
        RunAsync(command, args, workingDirectory, null, stdin);
}
