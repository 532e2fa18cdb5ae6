using System.Diagnostics;
using Xunit;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// kcat (librdkafka's command-line client, Debian package <c>kcat</c>) against a broker process's Kafka listener:
/// metadata, producing a file with keys, consuming it back, and consuming in a group.
/// </summary>
public class KcatTests
{
    private static async Task<(int ExitCode, string Stdout, string Stderr)> KcatAsync(string stdin, params string[] args)
    {
        ProcessStartInfo info = new("kcat") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("kcat is not installed: apt-get install kcat (.ci/run installs it)", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kcat {string.Join(' ', args)} did not exit within 60 s; stderr: {await stderr}");
            }
            return (process.ExitCode, await stdout, await stderr);
        }
    }

    [Fact]
    public async Task Kcat_lists_metadata_produces_a_file_and_reads_it_back_alone_and_in_a_group()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-kcat-" + Guid.NewGuid().ToString("N"));
        using var broker = await BrokerProcess.StartAsync(dataDir, extraArgs: ["--listeners", "PLAINTEXT://127.0.0.1:0"]);
        var kafka = broker.KafkaBootstrap ?? throw new InvalidOperationException($"the broker printed no Kafka address:\n{broker.Output}");

        var lines = Enumerable.Range(0, 500).Select(i => $"key{i % 7}:line {i}").ToList();
        var produce = await KcatAsync(string.Join('\n', lines) + "\n", "-b", kafka, "-P", "-t", "lines", "-K:", "-z", "snappy");
        Assert.True(produce.ExitCode == 0, produce.Stderr);

        var metadata = await KcatAsync("", "-b", kafka, "-L", "-t", "lines");
        Assert.True(metadata.ExitCode == 0, metadata.Stderr);
        Assert.Contains($"broker 0 at {kafka}", metadata.Stdout);
        Assert.Contains("topic \"lines\" with 1 partitions", metadata.Stdout);

        var consume = await KcatAsync("", "-b", kafka, "-C", "-t", "lines", "-e", "-f", "%k:%s\n");
        Assert.True(consume.ExitCode == 0, consume.Stderr);
        Assert.Equal(lines, consume.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // In a group: the coordinator assigns the partition, and -e ends at the end of it.
        var group = await KcatAsync("", "-b", kafka, "-G", "kcat-group", "-e", "-f", "%s\n", "-X", "auto.offset.reset=earliest", "lines");
        Assert.True(group.ExitCode == 0, group.Stderr);
        Assert.Equal(lines.Select(l => l[(l.IndexOf(':') + 1)..]), group.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await broker.TerminateAsync(TimeSpan.FromSeconds(30));
    }
}
