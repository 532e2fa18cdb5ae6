using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Runtime;
using AkkaBroker.Mirror;
using AkkaBroker.Protocol.Logging;

namespace AkkaBroker.Host;

/// <summary>
/// <c>connect standalone</c>: Kafka's <c>connect-standalone.sh</c>. A Connect worker with the given worker properties
/// file, running the connectors of the given connector files (Java properties, or JSON as Kafka accepts:
/// <c>{"name": ..., "config": {...}}</c> or a flat object), with the REST API on <c>listeners</c>. Runs until Ctrl-C or
/// SIGTERM, then stops the tasks (storing their offsets) and exits 0; a refused configuration exits 2.
/// </summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var command = new Command("connect", "Run Kafka Connect workers: move data between the cluster and external systems by configuration.");
        command.Subcommands.Add(CreateStandalone());
        command.Subcommands.Add(CreateDistributed());
        return command;
    }

    private static Command CreateDistributed()
    {
        var workerFile = new Argument<string>("worker.properties") { Description = "The worker's properties file (bootstrap.servers, group.id, config.storage.topic, offset.storage.topic, status.storage.topic, listeners, ...)" };
        var logFormat = HostLogging.FormatOption();
        var command = new Command("distributed", "Run a member of a distributed Connect worker group: connectors are created through the REST API and spread over the group's workers.") { workerFile, logFormat };
        command.SetAction((parse, _) => RunWorkerAsync(parse.GetValue(logFormat), sink => ConnectWorker.StartDistributedAsync(ReadWorkerFile(parse.GetValue(workerFile)!), sink)));
        return command;
    }

    /// <summary>
    /// Starts a worker and runs it until Ctrl-C or SIGTERM, then stops it cleanly (tasks store offsets, the worker
    /// leaves its group). A worker that cannot start (a refused key, an unreadable file, a cluster that does not answer,
    /// a REST port in use) exits 2 with the reason.
    /// </summary>
    private static async Task<int> RunWorkerAsync(string? logFormat, Func<LogSinkSetup, Task<ConnectWorker>> start)
    {
        if (HostLogging.CreateFor(logFormat) is not { } log) return 2;
        using var _ = log;
        ConnectWorker worker;
        try
        {
            worker = await start(log.AkkaSink());
        }
        catch (Exception e) when (e is AkkaBroker.Connect.ConnectException or FileNotFoundException or FormatException or JsonException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
        catch (AkkaBroker.Client.KafkaException e)
        {
            await Console.Error.WriteLineAsync($"error: the worker could not set up its topics or group on the cluster: {e.Message}. Check bootstrap.servers and that the brokers run.");
            return 2;
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"error: the REST API cannot listen: {e.Message}. Set listeners=http://HOST:PORT in the worker file to a free port.");
            return 2;
        }
        log.Status($"Connect worker {worker.WorkerId} running; REST API on {string.Join(", ", worker.RestUrls)}");
        var stopping = Task.CompletedTask;
        void Stop() => stopping = worker.StopAsync();
        using var signals = CliCommon.OnStopSignal(Stop);
        await worker.WhenTerminated;
        await stopping;
        return 0;
    }

    private static Command CreateStandalone()
    {
        var workerFile = new Argument<string>("worker.properties") { Description = "The worker's properties file (bootstrap.servers, key.converter, value.converter, offset.storage.file.filename, listeners, plugin.path, ...)" };
        var connectorFiles = new Argument<string[]>("connector.properties") { Description = "Connector files to run (Java properties or JSON), each with name and connector.class", Arity = ArgumentArity.ZeroOrMore };
        var logFormat = HostLogging.FormatOption();
        var command = new Command("standalone", "Run a standalone Connect worker: offsets in a local file, connectors from the files given and the REST API.") { workerFile, connectorFiles, logFormat };
        command.SetAction((parse, _) => RunWorkerAsync(parse.GetValue(logFormat), sink => ConnectWorker.StartStandaloneAsync(
            ReadWorkerFile(parse.GetValue(workerFile)!), parse.GetValue(connectorFiles)!.Select(ReadConnectorFile).ToList(), sink)));
        return command;
    }

    private static Dictionary<string, string> ReadWorkerFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The worker properties file {path} does not exist.");
        return JavaProperties.Parse(File.ReadAllText(path));
    }

    /// <summary>A connector file: Java properties, or JSON (Kafka's REST create body, or a flat object of keys).</summary>
    internal static IReadOnlyDictionary<string, string> ReadConnectorFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The connector file {path} does not exist.");
        var text = File.ReadAllText(path);
        if (!text.TrimStart().StartsWith('{')) return JavaProperties.Parse(text);
        if (JsonNode.Parse(text) is not JsonObject root) throw new FormatException($"{path} is not a JSON object of connector keys.");
        var config = root["config"] as JsonObject ?? root;
        var result = new Dictionary<string, string>();
        foreach (var (key, value) in config)
        {
            if (value is null || value.GetValueKind() is JsonValueKind.Object or JsonValueKind.Array)
                throw new FormatException($"{path}: the value of \"{key}\" must be a string, number or boolean.");
            result[key] = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        }
        if (root["config"] is JsonObject && root["name"]?.GetValue<string>() is { } name) result.TryAdd(ConnectorConfig.Name, name);
        return result;
    }
}
