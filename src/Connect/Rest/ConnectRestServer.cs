using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using static AkkaBroker.Connect.Runtime.Herder;

namespace AkkaBroker.Connect.Rest;

/// <summary>
/// The worker's REST API on ASP.NET Core, with Kafka Connect's paths, JSON shapes and status codes, so that curl
/// recipes and tools written for Kafka Connect work unchanged. Each request is a message to the herder; errors come
/// back as Kafka's <c>{"error_code": N, "message": "..."}</c>.
/// </summary>
public sealed class ConnectRestServer : IAsyncDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(90);
    private readonly WebApplication _app;

    private ConnectRestServer(WebApplication app) => _app = app;

    /// <summary>The addresses the server listens on, with the ports chosen when a listener asked for port 0.</summary>
    public IReadOnlyList<string> Urls => _app.Urls.ToList();

    /// <summary>Starts the API on <paramref name="listeners"/>.</summary>
    /// <exception cref="IOException">a listener's port is taken; the message names it.</exception>
    public static async Task<ConnectRestServer> StartAsync(IReadOnlyList<Uri> listeners, IActorRef herder, PluginRegistry plugins, string kafkaClusterId, CancellationToken cancellationToken)
    {
        // The empty builder: no appsettings files (and no watcher on the working directory), no console logging of
        // requests; Kestrel and routing are all the API needs.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.UseRouting();
        app.Urls.Clear();
        foreach (var listener in listeners) app.Urls.Add($"http://{listener.Host}:{listener.Port}");
        Map(app, herder, plugins, kafkaClusterId);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new ConnectRestServer(app);
    }

    private static void Map(WebApplication app, IActorRef herder, PluginRegistry plugins, string kafkaClusterId)
    {
        app.MapGet("/", () => Json(new JsonObject
        {
            ["version"] = typeof(ConnectRestServer).Assembly.GetName().Version?.ToString(),
            ["commit"] = "",
            ["kafka_cluster_id"] = kafkaClusterId,
        }));

        app.MapGet("/connectors", async (HttpRequest request) =>
        {
            var names = (ConnectorNames)await herder.Ask<object>(new ListConnectors(), RequestTimeout);
            var expand = request.Query["expand"].Select(v => v?.ToLowerInvariant()).ToHashSet();
            if (expand.Count == 0) return Json(new JsonArray(names.Names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()));
            var result = new JsonObject();
            foreach (var name in names.Names)
            {
                var entry = new JsonObject();
                if (expand.Contains("status") && await herder.Ask<object>(new GetConnectorStatus(name), RequestTimeout) is ConnectorStateInfo status)
                    entry["status"] = StatusJson(status);
                if (expand.Contains("info") && await herder.Ask<object>(new GetConnectorInfo(name), RequestTimeout) is ConnectorInfo info)
                    entry["info"] = InfoJson(info);
                result[name] = entry;
            }
            return Json(result);
        });

        app.MapPost("/connectors", async (HttpRequest request) =>
        {
            var body = await ReadObjectAsync(request);
            if (body is IResult bad) return bad;
            var json = (JsonObject)body;
            var name = json["name"]?.GetValueKind() == JsonValueKind.String ? json["name"]!.GetValue<string>() : null;
            if (json["config"] is not JsonObject configJson) return Error(400, "The request needs \"config\": an object of the connector's keys and string values.");
            var config = StringMap(configJson, out var error);
            if (error != null) return Error(400, error);
            name ??= config!.GetValueOrDefault(ConnectorConfig.Name);
            if (string.IsNullOrWhiteSpace(name)) return Error(400, "The request needs \"name\", the connector's name.");
            if (config!.TryGetValue(ConnectorConfig.Name, out var inner) && inner != name)
                return Error(400, $"Connector name configuration ({inner}) doesn't match connector name in the URL ({name})");
            return Reply(await herder.Ask<object>(new PutConnector(name, config, AllowReplace: false), RequestTimeout),
                r => r is ConnectorPut put ? Results.Json(InfoJson(put.Info), statusCode: 201) : null);
        });

        app.MapGet("/connectors/{name}", async (string name) =>
            Reply(await herder.Ask<object>(new GetConnectorInfo(name), RequestTimeout), r => r is ConnectorInfo info ? Json(InfoJson(info)) : null));

        app.MapGet("/connectors/{name}/config", async (string name) =>
            Reply(await herder.Ask<object>(new GetConnectorInfo(name), RequestTimeout), r => r is ConnectorInfo info ? Json(ConfigJson(info.Config)) : null));

        app.MapPut("/connectors/{name}/config", async (string name, HttpRequest request) =>
        {
            var body = await ReadObjectAsync(request);
            if (body is IResult bad) return bad;
            var config = StringMap((JsonObject)body, out var error);
            if (error != null) return Error(400, error);
            if (config!.TryGetValue(ConnectorConfig.Name, out var inner) && inner != name)
                return Error(400, $"Connector name configuration ({inner}) doesn't match connector name in the URL ({name})");
            return Reply(await herder.Ask<object>(new PutConnector(name, config, AllowReplace: true), RequestTimeout),
                r => r is ConnectorPut put ? Results.Json(InfoJson(put.Info), statusCode: put.Created ? 201 : 200) : null);
        });

        app.MapMethods("/connectors/{name}/config", ["PATCH"], async (string name, HttpRequest request) =>
        {
            var body = await ReadObjectAsync(request);
            if (body is IResult bad) return bad;
            var changes = new Dictionary<string, string?>();
            foreach (var (key, value) in (JsonObject)body)
            {
                if (value == null) changes[key] = null;
                else if (value.GetValueKind() == JsonValueKind.String) changes[key] = value.GetValue<string>();
                else return Error(400, $"The value of \"{key}\" must be a string, or null to remove the key.");
            }
            return Reply(await herder.Ask<object>(new PatchConnector(name, changes), RequestTimeout), r => r is ConnectorInfo info ? Json(InfoJson(info)) : null);
        });

        app.MapGet("/connectors/{name}/status", async (string name) =>
            Reply(await herder.Ask<object>(new GetConnectorStatus(name), RequestTimeout), r => r is ConnectorStateInfo s ? Json(StatusJson(s)) : null));

        app.MapGet("/connectors/{name}/tasks", async (string name) =>
            Reply(await herder.Ask<object>(new GetTaskConfigs(name), RequestTimeout), r => r is TaskConfigs tasks
                ? Json(new JsonArray(tasks.Tasks.Select(t => (JsonNode?)new JsonObject { ["id"] = TaskIdJson(t.Id), ["config"] = ConfigJson(t.Config) }).ToArray()))
                : null));

        app.MapGet("/connectors/{name}/tasks/{task:int}/status", async (string name, int task) =>
            Reply(await herder.Ask<object>(new GetTaskStatus(name, task), RequestTimeout), r => r is TaskStateInfo s ? Json(TaskStatusJson(s.Id, s.Status)) : null));

        app.MapPost("/connectors/{name}/tasks/{task:int}/restart", async (string name, int task) =>
            Reply(await herder.Ask<object>(new RestartTask(name, task), RequestTimeout), r => r is Done ? Results.NoContent() : null));

        app.MapPut("/connectors/{name}/pause", async (string name) =>
            Reply(await herder.Ask<object>(new SetTargetState(name, TargetState.Paused), RequestTimeout), r => r is Done ? Results.Accepted() : null));
        app.MapPut("/connectors/{name}/resume", async (string name) =>
            Reply(await herder.Ask<object>(new SetTargetState(name, TargetState.Started), RequestTimeout), r => r is Done ? Results.Accepted() : null));
        app.MapPut("/connectors/{name}/stop", async (string name) =>
            Reply(await herder.Ask<object>(new SetTargetState(name, TargetState.Stopped), RequestTimeout), r => r is Done ? Results.NoContent() : null));

        app.MapPost("/connectors/{name}/restart", async (string name, HttpRequest request) =>
        {
            if (!Flag(request, "includeTasks", out var includeTasks) || !Flag(request, "onlyFailed", out var onlyFailed))
                return Error(400, "includeTasks and onlyFailed must be true or false.");
            var reply = await herder.Ask<object>(new RestartConnector(name, includeTasks, onlyFailed), RequestTimeout);
            // Kafka answers a plain restart with 204 and one with either flag with 202 and the state.
            var plain = !request.Query.ContainsKey("includeTasks") && !request.Query.ContainsKey("onlyFailed");
            return Reply(reply, r => r is ConnectorStateInfo s ? plain ? Results.NoContent() : Results.Json(StatusJson(s), statusCode: 202) : null);
        });

        app.MapDelete("/connectors/{name}", async (string name) =>
            Reply(await herder.Ask<object>(new DeleteConnector(name), RequestTimeout), r => r is Done ? Results.NoContent() : null));

        app.MapGet("/connectors/{name}/offsets", async (string name) =>
            Reply(await herder.Ask<object>(new GetOffsets(name), RequestTimeout), r => r is ConnectorOffsets o ? Json(OffsetsJson(o)) : null));

        app.MapMethods("/connectors/{name}/offsets", ["PATCH"], async (string name, HttpRequest request) =>
        {
            var body = await ReadObjectAsync(request);
            if (body is IResult bad) return bad;
            if (((JsonObject)body)["offsets"] is not JsonArray array || array.Count == 0)
                return Error(400, "The request body must be {\"offsets\": [{\"partition\": {...}, \"offset\": {...}}, ...]} with at least one entry.");
            var offsets = new List<(IReadOnlyDictionary<string, object?>, IReadOnlyDictionary<string, object?>?)>();
            foreach (var item in array)
            {
                if (item is not JsonObject entry || entry["partition"] is not JsonObject partition || entry["offset"] is not (JsonObject or null))
                    return Error(400, "Each entry of \"offsets\" needs \"partition\" (an object) and \"offset\" (an object, or null to remove it).");
                offsets.Add(((IReadOnlyDictionary<string, object?>)SourceOffsetJson.FromNode(partition)!,
                    entry["offset"] is JsonObject offset ? (IReadOnlyDictionary<string, object?>)SourceOffsetJson.FromNode(offset)! : null));
            }
            return Reply(await herder.Ask<object>(new AlterOffsets(name, offsets), RequestTimeout), r => r is OffsetsMessage m ? Json(new JsonObject { ["message"] = m.Message }) : null);
        });

        app.MapDelete("/connectors/{name}/offsets", async (string name) =>
            Reply(await herder.Ask<object>(new ResetOffsets(name), RequestTimeout), r => r is OffsetsMessage m ? Json(new JsonObject { ["message"] = m.Message }) : null));

        app.MapGet("/connector-plugins", (HttpRequest request) =>
        {
            var connectorsOnly = !request.Query.TryGetValue("connectorsOnly", out var value) || !string.Equals(value, "false", StringComparison.OrdinalIgnoreCase);
            var list = plugins.Plugins.Where(p => !connectorsOnly || p.Kind is PluginKind.Source or PluginKind.Sink)
                .Select(p => (JsonNode?)new JsonObject { ["class"] = p.ClassName, ["type"] = p.KindName, ["version"] = p.Version });
            return Json(new JsonArray(list.ToArray()));
        });

        app.MapPut("/connector-plugins/{type}/config/validate", async (string type, HttpRequest request) =>
        {
            var body = await ReadObjectAsync(request);
            if (body is IResult bad) return bad;
            var config = StringMap((JsonObject)body, out var error);
            if (error != null) return Error(400, error);
            if (!config!.TryGetValue(ConnectorConfig.ConnectorClass, out var className))
                return Error(400, $"Connector config {{{string.Join(", ", config.Select(p => $"{p.Key}={p.Value}"))}}} contains no connector type");
            PluginDescriptor plugin;
            try
            {
                plugin = plugins.Find(ConnectorConfig.ConnectorClass, className, PluginKind.Source, PluginKind.Sink);
            }
            catch (ConfigException e)
            {
                return Error(400, e.Message);
            }
            if (!plugin.Names.Contains(type) && plugin.Type.Name != type && !plugin.Names.Any(n => n.EndsWith("." + type, StringComparison.Ordinal)))
                return Error(400, $"The connector class in the config ({className}) does not match the plugin in the path ({type}).");
            return Json(ValidationJson(ConnectorValidator.Validate(config, plugins)));
        });
    }

    private static bool Flag(HttpRequest request, string name, out bool value)
    {
        value = false;
        return !request.Query.TryGetValue(name, out var text) || bool.TryParse(text, out value);
    }

    private static async Task<object> ReadObjectAsync(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body) is JsonObject o ? o : Error(400, "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            return Error(400, $"The request body is not valid JSON: {e.Message}");
        }
    }

    private static Dictionary<string, string>? StringMap(JsonObject json, out string? error)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in json)
        {
            switch (value?.GetValueKind())
            {
                case JsonValueKind.String: map[key] = value.GetValue<string>(); break;
                // Kafka's REST API takes numbers and booleans and keeps their text.
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False: map[key] = value.ToJsonString(); break;
                default:
                    error = $"The value of \"{key}\" must be a string (connector configs map keys to strings).";
                    return null;
            }
        }
        error = null;
        return map;
    }

    private static IResult Reply(object reply, Func<object, IResult?> success) =>
        reply is HerderError e ? Error(e.Status, e.Message) : success(reply) ?? Error(500, $"Unexpected reply from the herder: {reply.GetType().Name}");

    private static IResult Error(int status, string message) =>
        Results.Json(new JsonObject { ["error_code"] = status, ["message"] = message }, statusCode: status);

    private static IResult Json(JsonNode node) => Results.Json(node);

    private static JsonObject ConfigJson(IReadOnlyDictionary<string, string> config) =>
        new(config.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value))));

    private static JsonObject TaskIdJson(ConnectorTaskId id) => new() { ["connector"] = id.Connector, ["task"] = id.Task };

    private static JsonObject InfoJson(ConnectorInfo info) => new()
    {
        ["name"] = info.Name,
        ["config"] = ConfigJson(info.Config),
        ["tasks"] = new JsonArray(info.Tasks.Select(t => (JsonNode?)TaskIdJson(t)).ToArray()),
        ["type"] = info.Type,
    };

    private static JsonObject TaskStatusJson(int id, ConnectStatus status)
    {
        var json = new JsonObject { ["id"] = id, ["state"] = status.StateName, ["worker_id"] = status.WorkerId };
        if (status.Trace != null) json["trace"] = status.Trace;
        return json;
    }

    private static JsonObject StatusJson(ConnectorStateInfo info)
    {
        var connector = new JsonObject { ["state"] = info.Connector.StateName, ["worker_id"] = info.Connector.WorkerId };
        if (info.Connector.Trace != null) connector["trace"] = info.Connector.Trace;
        return new JsonObject
        {
            ["name"] = info.Name,
            ["connector"] = connector,
            ["tasks"] = new JsonArray(info.Tasks.Select(t => (JsonNode?)TaskStatusJson(t.Id, t.Status)).ToArray()),
            ["type"] = info.Type,
        };
    }

    private static JsonObject OffsetsJson(ConnectorOffsets offsets) => new()
    {
        ["offsets"] = new JsonArray(offsets.Offsets.Select(o => (JsonNode?)new JsonObject
        {
            ["partition"] = SourceOffsetJson.ToNode(o.Partition),
            ["offset"] = SourceOffsetJson.ToNode(o.Offset),
        }).ToArray()),
    };

    /// <summary>Kafka's validate response: name, error_count, groups, and per key its definition and value.</summary>
    public static JsonObject ValidationJson(ConfigInfos infos) => new()
    {
        ["name"] = infos.Name,
        ["error_count"] = infos.ErrorCount,
        ["groups"] = new JsonArray(infos.Groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
        ["configs"] = new JsonArray(infos.Configs.Select(c => (JsonNode?)new JsonObject
        {
            ["definition"] = c.Definition == null ? null : new JsonObject
            {
                ["name"] = c.Definition.Name,
                ["type"] = c.Definition.Type.ToString().ToUpperInvariant(),
                ["required"] = c.Definition.IsRequired,
                ["default_value"] = ConfigDef.FormatDefault(c.Definition),
                ["importance"] = c.Definition.Importance.ToString().ToUpperInvariant(),
                ["documentation"] = c.Definition.Documentation,
                ["group"] = c.Definition.Group,
                ["width"] = "NONE",
                ["display_name"] = c.Definition.DisplayName,
                ["dependents"] = new JsonArray(),
                ["order"] = c.Definition.OrderInGroup,
            },
            ["value"] = new JsonObject
            {
                ["name"] = c.Value.Name,
                ["value"] = c.Value.Value == null ? null : JsonValue.Create(c.Value.Value.ToString()),
                ["recommended_values"] = new JsonArray(c.Value.RecommendedValues.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                ["errors"] = new JsonArray(c.Value.ErrorMessages.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                ["visible"] = c.Value.Visible,
            },
        }).ToArray()),
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
