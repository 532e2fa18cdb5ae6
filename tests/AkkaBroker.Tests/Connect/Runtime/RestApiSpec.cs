using System.Text.Json.Nodes;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// Every path of the worker's REST API with Kafka Connect's status codes and JSON shapes, including its errors.
/// </summary>
public class RestApiSpec
{
    private static Dictionary<string, string> Source(ConnectWorkerHarness h, string name = "src") => new()
    {
        ["connector.class"] = "FileStreamSource", ["file"] = h.PathOf($"{name}.txt"), ["topic"] = $"{name}-topic",
    };

    [Fact]
    public async Task The_connector_lifecycle_paths_answer_as_Kafka_Connect()
    {
        await using var h = await ConnectWorkerHarness.StartAsync();
        await File.WriteAllLinesAsync(h.PathOf("src.txt"), ["a", "b", "c"]);

        var root = await h.GetJsonAsync("/");
        Assert.NotNull(root["version"]);
        Assert.NotNull(root["kafka_cluster_id"]);
        Assert.Empty((await h.GetJsonAsync("/connectors")).AsArray());

        var (status, body) = await h.SendAsync(HttpMethod.Post, "/connectors", new { name = "src", config = Source(h) });
        Assert.Equal(201, status);
        Assert.Equal("src", body!["name"]!.GetValue<string>());
        Assert.Equal("source", body["type"]!.GetValue<string>());
        Assert.Equal("src", body["config"]!["name"]!.GetValue<string>());

        (status, body) = await h.SendAsync(HttpMethod.Post, "/connectors", new { name = "src", config = Source(h) });
        Assert.Equal(409, status);
        Assert.Equal(409, body!["error_code"]!.GetValue<int>());
        Assert.Contains("already exists", body["message"]!.GetValue<string>());

        await h.WaitForStateAsync("src", "RUNNING");
        var info = await h.GetJsonAsync("/connectors/src");
        Assert.Equal("src", info["tasks"]![0]!["connector"]!.GetValue<string>());
        Assert.Equal(0, info["tasks"]![0]!["task"]!.GetValue<int>());
        Assert.Equal("src-topic", (await h.GetJsonAsync("/connectors/src/config"))["topic"]!.GetValue<string>());
        var tasks = await h.GetJsonAsync("/connectors/src/tasks");
        Assert.Equal(0, tasks[0]!["id"]!["task"]!.GetValue<int>());
        Assert.Equal("src-topic", tasks[0]!["config"]!["topic"]!.GetValue<string>());
        var taskStatus = await h.GetJsonAsync("/connectors/src/tasks/0/status");
        Assert.Equal("RUNNING", taskStatus["state"]!.GetValue<string>());
        Assert.Equal(h.Worker.RestUrls[0].Replace("http://", ""), taskStatus["worker_id"]!.GetValue<string>());
        Assert.Equal(["src"], (await h.GetJsonAsync("/connectors")).AsArray().Select(n => n!.GetValue<string>()));
        var expanded = await h.GetJsonAsync("/connectors?expand=status&expand=info");
        Assert.Equal("RUNNING", expanded["src"]!["status"]!["connector"]!["state"]!.GetValue<string>());
        Assert.Equal("source", expanded["src"]!["info"]!["type"]!.GetValue<string>());

        // Replace and patch the config.
        var changed = Source(h);
        changed["topic"] = "other-topic";
        (status, body) = await h.SendAsync(HttpMethod.Put, "/connectors/src/config", changed);
        Assert.Equal(200, status);
        Assert.Equal("other-topic", body!["config"]!["topic"]!.GetValue<string>());
        (status, body) = await h.SendAsync(HttpMethod.Patch, "/connectors/src/config", new Dictionary<string, string?> { ["batch.size"] = "10" });
        Assert.Equal(200, status);
        Assert.Equal("10", body!["config"]!["batch.size"]!.GetValue<string>());
        Assert.Equal("other-topic", body["config"]!["topic"]!.GetValue<string>());
        (status, _) = await h.SendAsync(HttpMethod.Put, "/connectors/src2/config", Source(h, "src2"));
        Assert.Equal(201, status);

        // Pause, resume, restart.
        Assert.Equal(202, (await h.SendAsync(HttpMethod.Put, "/connectors/src/pause")).Status);
        await h.WaitForStateAsync("src", "PAUSED");
        Assert.Equal(202, (await h.SendAsync(HttpMethod.Put, "/connectors/src/resume")).Status);
        await h.WaitForStateAsync("src", "RUNNING");
        Assert.Equal(204, (await h.SendAsync(HttpMethod.Post, "/connectors/src/restart")).Status);
        (status, body) = await h.SendAsync(HttpMethod.Post, "/connectors/src/restart?includeTasks=true&onlyFailed=false");
        Assert.Equal(202, status);
        Assert.Equal("src", body!["name"]!.GetValue<string>());
        Assert.Equal(204, (await h.SendAsync(HttpMethod.Post, "/connectors/src/tasks/0/restart")).Status);
        await h.WaitForStateAsync("src", "RUNNING");

        // Errors: unknown connector and task, bad bodies.
        (status, body) = await h.SendAsync(HttpMethod.Get, "/connectors/nope/status");
        Assert.Equal(404, status);
        Assert.Equal("Connector nope not found", body!["message"]!.GetValue<string>());
        Assert.Equal(404, (await h.SendAsync(HttpMethod.Get, "/connectors/src/tasks/7/status")).Status);
        Assert.Equal(404, (await h.SendAsync(HttpMethod.Post, "/connectors/src/tasks/7/restart")).Status);
        Assert.Equal(404, (await h.SendAsync(HttpMethod.Put, "/connectors/nope/pause")).Status);
        Assert.Equal(400, (await h.SendAsync(HttpMethod.Post, "/connectors", "{not json")).Status);
        Assert.Equal(400, (await h.SendAsync(HttpMethod.Post, "/connectors", new { name = "x" })).Status);
        (status, body) = await h.SendAsync(HttpMethod.Post, "/connectors", new { name = "bad", config = new Dictionary<string, string> { ["connector.class"] = "FileStreamSource", ["topic"] = "t", ["batch.size"] = "many" } });
        Assert.Equal(400, status);
        var message = body!["message"]!.GetValue<string>();
        Assert.Contains("contains the following 2 error(s)", message);
        Assert.Contains("batch.size", message);
        Assert.Contains("\"file\"", message);
        (status, body) = await h.SendAsync(HttpMethod.Post, "/connectors", new { name = "bad", config = new Dictionary<string, string> { ["connector.class"] = "NoSuchConnector" } });
        Assert.Equal(400, status);
        Assert.Contains("NoSuchConnector could not be found", body!["message"]!.GetValue<string>());
        (status, _) = await h.SendAsync(HttpMethod.Put, "/connectors/src/config", new Dictionary<string, string>(Source(h)) { ["name"] = "renamed" });
        Assert.Equal(400, status);

        // Delete.
        Assert.Equal(204, (await h.SendAsync(HttpMethod.Delete, "/connectors/src2")).Status);
        Assert.Equal(404, (await h.SendAsync(HttpMethod.Get, "/connectors/src2")).Status);
        Assert.Equal(404, (await h.SendAsync(HttpMethod.Delete, "/connectors/src2")).Status);
    }

    [Fact]
    public async Task Offsets_can_be_read_and_changed_only_while_the_connector_is_stopped()
    {
        await using var h = await ConnectWorkerHarness.StartAsync();
        await File.WriteAllLinesAsync(h.PathOf("src.txt"), ["one", "two"]);
        Assert.Equal(201, (await h.SendAsync(HttpMethod.Post, "/connectors", new { name = "src", config = Source(h) })).Status);
        await Wait.UntilAsync(async () => (await h.GetJsonAsync("/connectors/src/offsets"))["offsets"]!.AsArray().Count == 1, "a stored source offset");
        var offsets = await h.GetJsonAsync("/connectors/src/offsets");
        Assert.Equal(h.PathOf("src.txt"), offsets["offsets"]![0]!["partition"]!["filename"]!.GetValue<string>());
        Assert.Equal(8L, offsets["offsets"]![0]!["offset"]!["position"]!.GetValue<long>());

        var alter = new JsonObject
        {
            ["offsets"] = new JsonArray(new JsonObject { ["partition"] = new JsonObject { ["filename"] = h.PathOf("src.txt") }, ["offset"] = new JsonObject { ["position"] = 4 } }),
        };
        var (status, body) = await h.SendAsync(HttpMethod.Patch, "/connectors/src/offsets", alter.ToJsonString());
        Assert.Equal(400, status);
        Assert.Contains("STOPPED", body!["message"]!.GetValue<string>());

        Assert.Equal(204, (await h.SendAsync(HttpMethod.Put, "/connectors/src/stop")).Status);
        await Wait.UntilAsync(async () => (await h.GetJsonAsync("/connectors/src/status"))["connector"]!["state"]!.GetValue<string>() == "STOPPED", "connector STOPPED");
        Assert.Empty((await h.GetJsonAsync("/connectors/src/tasks")).AsArray());
        (status, body) = await h.SendAsync(HttpMethod.Patch, "/connectors/src/offsets", alter.ToJsonString());
        Assert.Equal(200, status);
        Assert.Equal("The offsets for this connector have been altered successfully", body!["message"]!.GetValue<string>());
        Assert.Equal(4L, (await h.GetJsonAsync("/connectors/src/offsets"))["offsets"]![0]!["offset"]!["position"]!.GetValue<long>());
        (status, body) = await h.SendAsync(HttpMethod.Delete, "/connectors/src/offsets");
        Assert.Equal(200, status);
        Assert.Equal("The offsets for this connector have been reset successfully", body!["message"]!.GetValue<string>());
        Assert.Empty((await h.GetJsonAsync("/connectors/src/offsets"))["offsets"]!.AsArray());

        // Resumed with no offset it reads the file again from the start.
        Assert.Equal(202, (await h.SendAsync(HttpMethod.Put, "/connectors/src/resume")).Status);
        await h.WaitForStateAsync("src", "RUNNING");
        await Wait.UntilAsync(async () => (await h.GetJsonAsync("/connectors/src/offsets"))["offsets"]!.AsArray() is [{ } o] && o["offset"]!["position"]!.GetValue<long>() == 8,
            "the file read again to its end");
    }

    [Fact]
    public async Task Plugins_are_listed_and_a_config_is_validated_naming_each_bad_key()
    {
        await using var h = await ConnectWorkerHarness.StartAsync();
        var connectors = (await h.GetJsonAsync("/connector-plugins")).AsArray();
        Assert.Contains(connectors, p => p!["class"]!.GetValue<string>() == "org.apache.kafka.connect.file.FileStreamSourceConnector" && p["type"]!.GetValue<string>() == "source");
        Assert.Contains(connectors, p => p!["class"]!.GetValue<string>() == "org.apache.kafka.connect.file.FileStreamSinkConnector" && p["type"]!.GetValue<string>() == "sink");
        Assert.DoesNotContain(connectors, p => p!["type"]!.GetValue<string>() == "transformation");
        var all = (await h.GetJsonAsync("/connector-plugins?connectorsOnly=false")).AsArray();
        Assert.Contains(all, p => p!["class"]!.GetValue<string>() == "org.apache.kafka.connect.transforms.RegexRouter" && p["type"]!.GetValue<string>() == "transformation");
        Assert.Contains(all, p => p!["type"]!.GetValue<string>() == "converter");
        Assert.Contains(all, p => p!["type"]!.GetValue<string>() == "predicate");

        var (status, body) = await h.SendAsync(HttpMethod.Put, "/connector-plugins/FileStreamSinkConnector/config/validate", new Dictionary<string, string>
        {
            ["connector.class"] = "FileStreamSink", ["name"] = "s", ["tasks.max"] = "0", ["transforms"] = "r", ["transforms.r.type"] = "NoSuchTransform",
        });
        Assert.Equal(200, status);
        var errors = body!["configs"]!.AsArray().Where(c => c!["value"]!["errors"]!.AsArray().Count > 0)
            .ToDictionary(c => c!["value"]!["name"]!.GetValue<string>(), c => string.Join(" ", c!["value"]!["errors"]!.AsArray().Select(e => e!.GetValue<string>())));
        Assert.Equal(body["configs"]!.AsArray().Sum(c => c!["value"]!["errors"]!.AsArray().Count), body["error_count"]!.GetValue<int>());
        Assert.Contains("tasks.max", errors.Keys);
        Assert.Contains("file", errors.Keys);
        Assert.Contains("topics", errors.Keys);
        Assert.Contains("transforms.r.type", errors.Keys);
        Assert.Equal("FileStreamSinkConnector", body["name"]!.GetValue<string>());
        var definition = body["configs"]!.AsArray().First(c => c!["definition"]?["name"]?.GetValue<string>() == "tasks.max")!["definition"]!;
        Assert.Equal("INT", definition["type"]!.GetValue<string>());
        Assert.Equal("1", definition["default_value"]!.GetValue<string>());

        (status, _) = await h.SendAsync(HttpMethod.Put, "/connector-plugins/FileStreamSourceConnector/config/validate", new Dictionary<string, string> { ["connector.class"] = "FileStreamSink" });
        Assert.Equal(400, status);
        (status, _) = await h.SendAsync(HttpMethod.Put, "/connector-plugins/FileStreamSourceConnector/config/validate", new Dictionary<string, string> { ["topic"] = "x" });
        Assert.Equal(400, status);
    }
}
