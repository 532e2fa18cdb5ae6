using System.Net;
using Xunit;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// The commands a new user runs first, as README gives them: brokers started with no config file at all, one alone and
/// two on one machine, and the operator endpoint's metrics and health probes through a real HTTP client.
/// </summary>
public sealed class FirstHourTests : IDisposable
{
    private readonly List<string> _dirs = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private string DataDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"akkabroker-first-hour-{Guid.NewGuid():N}");
        _dirs.Add(dir);
        return dir;
    }

    public void Dispose()
    {
        foreach (var d in _dirs)
            if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
    }

    /// <summary>The endpoint the broker printed, e.g. <c>http://127.0.0.1:9404</c>.</summary>
    private static string OperatorUrl(BrokerProcess broker)
    {
        var line = broker.Output.Split('\n').Single(l => l.StartsWith("metrics: ", StringComparison.Ordinal));
        return line["metrics: ".Length..].Split(' ')[0].Replace("/metrics", "");
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(string url)
    {
        using var response = await Http.GetAsync(url);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task WaitReadyAsync(string url)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var last = (HttpStatusCode.NotFound, "");
        while (DateTime.UtcNow < deadline)
        {
            last = await GetAsync(url + "/health/ready");
            if (last.Item1 == HttpStatusCode.OK) return;
            await Task.Delay(200);
        }
        Assert.Fail($"{url}/health/ready never answered 200; last {last.Item1}: {last.Item2}");
    }

    [Fact]
    public async Task The_broker_logs_text_lines_by_default_and_json_lines_on_request()
    {
        using (var text = await BrokerProcess.StartBareAsync(DataDir(), "--port", "0", "--metrics-port", "0", "--listeners", ""))
        {
            // Akka's own events go through the same console logger: a UTC timestamp, the level, the class that logged.
            await text.WaitForOutputAsync(o => o.Split('\n').Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d{4}-\d\d-\d\dT[\d:.]+Z info: Akka\.Cluster\.")),
                TimeSpan.FromSeconds(30), "a text log line of Akka.Cluster");
            Assert.True(await text.TerminateAsync(TimeSpan.FromSeconds(30)));
        }

        using var json = await BrokerProcess.StartBareAsync(DataDir(), "--port", "0", "--metrics-port", "0", "--listeners", "", "--log-format", "json");
        Assert.True(await json.TerminateAsync(TimeSpan.FromSeconds(30)));
        var lines = json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var events = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(events, e => e.GetProperty("Category").GetString()!.StartsWith("Akka.Cluster.", StringComparison.Ordinal));
        Assert.Contains(events, e => e.GetProperty("Category").GetString() == "AkkaBroker.Host" && e.GetProperty("Message").GetString() == "ready");
        Assert.Equal("stopped", events[^1].GetProperty("Message").GetString());
    }

    [Fact]
    public async Task A_broker_started_without_a_config_file_serves_consumer_groups()
    {
        using var broker = await BrokerProcess.StartBareAsync(DataDir(), "--host", "127.0.0.1", "--port", "0");
        var bootstrap = broker.Bootstrap;
        var produced = await BrokerProcess.RunToolAsync("alice:1\nbob:2\nalice:3\n", "produce", "--bootstrap-server", bootstrap, "--topic", "orders",
            "--property", "parse.key=true", "--property", "key.separator=:");
        Assert.True(produced.ExitCode == 0, produced.Stderr);

        // Before, the offsets topic waited for three brokers that never come and every group got COORDINATOR_NOT_AVAILABLE.
        var consumed = await BrokerProcess.RunToolAsync(null, "consume", "--bootstrap-server", bootstrap, "--topic", "orders", "--group", "billing",
            "--from-beginning", "--max-messages", "3", "--timeout-ms", "60000");
        Assert.True(consumed.ExitCode == 0, consumed.Stderr);
        Assert.Equal(["1", "2", "3"], consumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var described = await BrokerProcess.RunToolAsync(null, "groups", "describe", "--bootstrap-server", bootstrap, "--group", "billing");
        Assert.True(described.ExitCode == 0, described.Stderr);
        Assert.Contains("orders", described.Stdout);
        await broker.WaitForOutputAsync(o => o.Contains("replication factor 1, not offsets.topic.replication.factor = 3"), TimeSpan.FromSeconds(10),
            "the log saying why the offsets topic has one replica");
    }

    [Fact]
    public async Task Two_brokers_without_config_files_on_one_machine_both_serve_metrics_and_health()
    {
        // The second finds the default metrics port (and Kafka's 9092) taken by the first, or both find them taken by
        // something else on this machine: either way neither stops, and each says where it serves.
        using var first = await BrokerProcess.StartBareAsync(DataDir(), "--host", "127.0.0.1", "--port", "0");
        using var second = await BrokerProcess.StartBareAsync(DataDir(), "--host", "127.0.0.1", "--port", "0");
        await first.WaitForOutputAsync(o => o.Contains("\nready"), TimeSpan.FromSeconds(30), "ready");
        await second.WaitForOutputAsync(o => o.Contains("\nready"), TimeSpan.FromSeconds(30), "ready");
        var urls = new[] { OperatorUrl(first), OperatorUrl(second) };
        Assert.NotEqual(urls[0], urls[1]);
        Assert.Contains("the metrics port 9404 is in use", second.Output);

        foreach (var url in urls)
        {
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(url + "/health/live")).Status);
            await WaitReadyAsync(url);
            var metrics = await GetAsync(url + "/metrics");
            Assert.Equal(HttpStatusCode.OK, metrics.Status);
            Assert.Contains("akkabroker_", metrics.Body);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(urls[0] + "/nothing-here")).Status);
    }

    [Fact]
    public async Task A_metrics_port_asked_for_and_taken_stops_the_broker_with_the_port_named()
    {
        using var first = await BrokerProcess.StartBareAsync(DataDir(), "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0");
        await first.WaitForOutputAsync(o => o.Contains("\nready"), TimeSpan.FromSeconds(30), "ready");
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var second = await BrokerProcess.RunToolAsync(null, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", DataDir(), "--metrics-port", port.ToString());
        Assert.Equal(2, second.ExitCode);
        Assert.Contains($"akkabroker.broker.metrics.prometheus.port = '{port}'", second.Stderr);
        Assert.DoesNotContain("metrics:", first.Output); // --metrics-port 0 turns the endpoint off
    }

    [Fact]
    public async Task A_kafka_server_properties_file_configures_the_broker_and_a_key_it_does_not_know_is_refused_by_name()
    {
        var dir = DataDir();
        Directory.CreateDirectory(dir);
        var properties = Path.Combine(dir, "server.properties");
        await File.WriteAllTextAsync(properties, $"""
            # Kafka's spellings
            node.id=7
            log.dirs={Path.Combine(dir, "logs")}
            listeners=PLAINTEXT://127.0.0.1:0
            log.retention.hours=168
            """);
        using (var broker = await BrokerProcess.StartBareAsync(null, "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0", "--config", properties))
        {
            await broker.WaitForOutputAsync(o => o.Contains("\nready"), TimeSpan.FromSeconds(30), "ready");
            Assert.Contains("AkkaBroker broker 7: cluster endpoint", broker.Output);
            Assert.Contains(Path.Combine(dir, "logs"), broker.Output); // the data: line names the database under log.dirs
        }

        await File.AppendAllTextAsync(properties, "\nnum.network.threads=3\n");
        var refused = await BrokerProcess.RunToolAsync(null, "serve", "--host", "127.0.0.1", "--port", "0", "--config", properties);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("akkabroker.broker.num.network.threads", refused.Stderr);

        var hocon = Path.Combine(dir, "broker.conf");
        await File.WriteAllTextAsync(hocon, "akkabroker.broker.log.retention.hour = 1\n");
        var misspelt = await BrokerProcess.RunToolAsync(null, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dir, "--config", hocon);
        Assert.Equal(2, misspelt.ExitCode);
        Assert.Contains("did you mean akkabroker.broker.log.retention.hours", misspelt.Stderr);
    }
}
