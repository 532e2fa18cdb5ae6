using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AkkaBroker.Connect.Runtime;
using AkkaBroker.Tests.Integration;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>A standalone worker on a broker of this process, with an HTTP client on its REST API and a scratch directory.</summary>
internal sealed class ConnectWorkerHarness : IAsyncDisposable
{
    public required BrokerFixture Broker { get; init; }
    public required string Directory { get; init; }
    public ConnectWorker Worker { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public string OffsetFile => Path.Combine(Directory, "offsets.json");

    public static async Task<ConnectWorkerHarness> StartAsync(Dictionary<string, string>? extraWorker = null, params IReadOnlyDictionary<string, string>[] connectors)
    {
        var broker = await BrokerFixture.StartAsync();
        var directory = Path.Combine(Path.GetTempPath(), "connect-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var harness = new ConnectWorkerHarness { Broker = broker, Directory = directory };
        await harness.StartWorkerAsync(extraWorker, connectors);
        return harness;
    }

    public Dictionary<string, string> WorkerProps(Dictionary<string, string>? extra) 
    {
        var props = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = Broker.Bootstrap,
            ["key.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            ["value.converter"] = "org.apache.kafka.connect.storage.StringConverter",
            ["offset.storage.file.filename"] = OffsetFile,
            ["offset.flush.interval.ms"] = "200",
            ["listeners"] = "http://127.0.0.1:0",
        };
        foreach (var (k, v) in extra ?? []) props[k] = v;
        return props;
    }

    public async Task StartWorkerAsync(Dictionary<string, string>? extraWorker = null, params IReadOnlyDictionary<string, string>[] connectors)
    {
        Worker = await ConnectWorker.StartStandaloneAsync(WorkerProps(extraWorker), connectors);
        Http = new HttpClient { BaseAddress = new Uri(Worker.RestUrls[0]) };
    }

    public async Task StopWorkerAsync()
    {
        Http.Dispose();
        await Worker.StopAsync();
    }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>The JSON at <paramref name="path"/>, or null while it is not there yet (404: a task not yet started).</summary>
    public async Task<JsonNode?> TryGetJsonAsync(string path)
    {
        var response = await Http.GetAsync(path);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task<(int Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body != null) request.Content = body is string s ? new StringContent(s, System.Text.Encoding.UTF8, "application/json") : JsonContent.Create(body);
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>Waits until the connector and all its tasks (at least one) are in <paramref name="state"/>.</summary>
    public Task WaitForStateAsync(string connector, string state, int tasks = 1) =>
        Wait.UntilAsync(async () =>
        {
            var response = await Http.GetAsync($"/connectors/{connector}/status");
            if (!response.IsSuccessStatusCode) return false;
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var taskStates = status["tasks"]!.AsArray().Select(t => t!["state"]!.GetValue<string>()).ToList();
            return status["connector"]!["state"]!.GetValue<string>() == state && taskStates.Count == tasks && taskStates.All(s => s == state);
        }, $"{connector} and its {tasks} task(s) {state}");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopWorkerAsync();
        }
        finally
        {
            await Broker.DisposeAsync();
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>Waiting for a condition with a deadline, never a fixed sleep.</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {seconds} s waiting for: {what}");
            await Task.Delay(50);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, int seconds = 30) => UntilAsync(() => Task.FromResult(condition()), what, seconds);
}
