using System.Diagnostics;
using Xunit;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// kafkajs, a Kafka client written in JavaScript with its own protocol code (no librdkafka), against a broker process's
/// Kafka listener: tests/kafkajs/produce-consume.js produces, consumes in a group and reads the group's commits back.
/// </summary>
public class KafkajsTests
{
    [Fact]
    public async Task A_kafkajs_producer_and_consumer_group_work_against_the_kafka_listener()
    {
        var script = Path.Combine(BrokerProcess.RepositoryRoot, "tests", "kafkajs", "produce-consume.js");
        if (!Directory.Exists(Path.Combine(BrokerProcess.RepositoryRoot, "tests", "kafkajs", "node_modules", "kafkajs")))
            throw new InvalidOperationException("kafkajs is not installed: npm ci --prefix tests/kafkajs (.ci/run does)");
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-kafkajs-" + Guid.NewGuid().ToString("N"));
        using var broker = await BrokerProcess.StartAsync(dataDir, extraArgs: ["--listeners", "PLAINTEXT://127.0.0.1:0"]);
        var kafka = broker.KafkaBootstrap ?? throw new InvalidOperationException($"the broker printed no Kafka address:\n{broker.Output}");

        ProcessStartInfo info = new("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.Environment["KAFKA_BOOTSTRAP"] = kafka;
        using var node = Process.Start(info) ?? throw new InvalidOperationException("node did not start (apt-get install nodejs)");
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await node.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException($"the kafkajs script did not finish within 120 s; stderr: {await stderr}");
        }
        Assert.True(node.ExitCode == 0, $"kafkajs: {await stderr}\n{await stdout}\nbroker:\n{broker.Output}");
        Assert.Contains("consumed 300", await stdout);
        await broker.TerminateAsync(TimeSpan.FromSeconds(30));
    }
}
