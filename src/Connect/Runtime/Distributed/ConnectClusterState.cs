using System.Text;
using System.Text.Json.Nodes;

namespace AkkaBroker.Connect.Runtime.Distributed;

/// <summary>
/// What a distributed worker group has agreed on, rebuilt by every worker from the config and status topics (Kafka
/// Connect's <c>ClusterConfigState</c> and status store). Config topic records, keyed as Kafka's:
/// <c>connector-{name}</c> <c>{"properties": {...}}</c> (null: deleted), <c>target-state-{name}</c>
/// <c>{"state": "STARTED|PAUSED|STOPPED"}</c>, <c>task-{name}-{i}</c> <c>{"properties": {...}}</c> and
/// <c>commit-{name}</c> <c>{"tasks": N}</c>, which makes the N task configs written before it current at once (a
/// connector's tasks never mix two generations). Status topic records: <c>status-connector-{name}</c> and
/// <c>status-task-{name}-{i}</c> <c>{"state", "trace", "worker_id"}</c>. Owned by the herder actor; not thread-safe.
/// </summary>
public sealed class ConnectClusterState
{
    private readonly Dictionary<string, Dictionary<string, string>> _connectors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TargetState> _targets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, string>>> _tasks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<int, Dictionary<string, string>>> _pendingTasks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConnectStatus> _connectorStatus = new(StringComparer.Ordinal);
    private readonly Dictionary<ConnectorTaskId, ConnectStatus> _taskStatus = new();

    /// <summary>The connectors' names, sorted.</summary>
    public IReadOnlyList<string> ConnectorNames => _connectors.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The config of <paramref name="name"/>, or null when it does not exist.</summary>
    public IReadOnlyDictionary<string, string>? Config(string name) => _connectors.GetValueOrDefault(name);

    /// <summary>The target state of <paramref name="name"/> (started unless paused or stopped).</summary>
    public TargetState Target(string name) => _targets.GetValueOrDefault(name, TargetState.Started);

    /// <summary>The committed task configs of <paramref name="name"/>.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Tasks(string name) => _tasks.GetValueOrDefault(name) ?? [];

    /// <summary>Every task of every connector that is not stopped, sorted.</summary>
    public IReadOnlyList<ConnectorTaskId> AllTasks() =>
        _connectors.Keys.Where(n => Target(n) != TargetState.Stopped).Order(StringComparer.Ordinal)
            .SelectMany(n => Enumerable.Range(0, Tasks(n).Count).Select(i => new ConnectorTaskId(n, i))).ToList();

    /// <summary>The reported status of connector <paramref name="name"/>.</summary>
    public ConnectStatus? ConnectorStatus(string name) => _connectorStatus.GetValueOrDefault(name);

    /// <summary>The reported status of task <paramref name="id"/>.</summary>
    public ConnectStatus? TaskStatus(ConnectorTaskId id) => _taskStatus.GetValueOrDefault(id);

    /// <summary>Applies a record of the config topic. Returns true when it changed what must run.</summary>
    public bool ApplyConfig(string key, byte[]? value)
    {
        var json = value == null ? null : JsonNode.Parse(value) as JsonObject;
        if (key.StartsWith("connector-", StringComparison.Ordinal))
        {
            var name = key["connector-".Length..];
            if (json == null)
            {
                _connectors.Remove(name);
                _targets.Remove(name);
                _tasks.Remove(name);
                _pendingTasks.Remove(name);
            }
            else _connectors[name] = Properties(json);
            return true;
        }
        if (key.StartsWith("target-state-", StringComparison.Ordinal))
        {
            var name = key["target-state-".Length..];
            if (json?["state"]?.GetValue<string>() is { } state && Enum.TryParse<TargetState>(state, ignoreCase: true, out var target)) _targets[name] = target;
            else _targets.Remove(name);
            return true;
        }
        if (key.StartsWith("task-", StringComparison.Ordinal) && SplitTaskKey(key["task-".Length..]) is var (connector, task) && json != null)
        {
            if (!_pendingTasks.TryGetValue(connector, out var pending)) _pendingTasks[connector] = pending = new();
            pending[task] = Properties(json);
            return false;
        }
        if (key.StartsWith("commit-", StringComparison.Ordinal))
        {
            var name = key["commit-".Length..];
            var count = json?["tasks"]?.GetValue<int>() ?? 0;
            var pending = _pendingTasks.GetValueOrDefault(name) ?? new();
            // A commit without all its task records (compacted away or written by a worker that died half-way) is ignored.
            if (Enumerable.Range(0, count).All(pending.ContainsKey))
            {
                _tasks[name] = Enumerable.Range(0, count).Select(i => (IReadOnlyDictionary<string, string>)pending[i]).ToList();
                _pendingTasks.Remove(name);
                return true;
            }
            return false;
        }
        return false;
    }

    /// <summary>Applies a record of the status topic.</summary>
    public void ApplyStatus(string key, byte[]? value)
    {
        var status = value == null ? null : ParseStatus(JsonNode.Parse(value) as JsonObject);
        if (key.StartsWith("status-connector-", StringComparison.Ordinal))
        {
            var name = key["status-connector-".Length..];
            if (status == null) _connectorStatus.Remove(name);
            else _connectorStatus[name] = status;
        }
        else if (key.StartsWith("status-task-", StringComparison.Ordinal) && SplitTaskKey(key["status-task-".Length..]) is var (connector, task))
        {
            var id = new ConnectorTaskId(connector, task);
            if (status == null) _taskStatus.Remove(id);
            else _taskStatus[id] = status;
        }
    }

    /// <summary>The config topic record that creates or replaces a connector.</summary>
    public static (string Key, byte[]? Value) ConnectorRecord(string name, IReadOnlyDictionary<string, string>? config) =>
        ($"connector-{name}", config == null ? null : Bytes(new JsonObject { ["properties"] = PropertiesJson(config) }));

    /// <summary>The config topic record of a connector's target state.</summary>
    public static (string Key, byte[]? Value) TargetRecord(string name, TargetState? target) =>
        ($"target-state-{name}", target == null ? null : Bytes(new JsonObject { ["state"] = target.Value.ToString().ToUpperInvariant() }));

    /// <summary>The config topic records of a connector's task configs: one per task, then the commit.</summary>
    public static IEnumerable<(string Key, byte[]? Value)> TaskRecords(string name, IReadOnlyList<IReadOnlyDictionary<string, string>> tasks)
    {
        for (var i = 0; i < tasks.Count; i++) yield return ($"task-{name}-{i}", Bytes(new JsonObject { ["properties"] = PropertiesJson(tasks[i]) }));
        yield return ($"commit-{name}", Bytes(new JsonObject { ["tasks"] = tasks.Count }));
    }

    /// <summary>The status topic record of a connector's or task's status.</summary>
    public static (string Key, byte[]? Value) StatusRecord(string key, ConnectStatus status) =>
        (key, Bytes(new JsonObject { ["state"] = status.StateName, ["trace"] = status.Trace, ["worker_id"] = status.WorkerId }));

    /// <summary>The status key of a connector.</summary>
    public static string ConnectorStatusKey(string name) => $"status-connector-{name}";

    /// <summary>The status key of a task.</summary>
    public static string TaskStatusKey(ConnectorTaskId id) => $"status-task-{id.Connector}-{id.Task}";

    private static (string Connector, int Task)? SplitTaskKey(string rest)
    {
        var dash = rest.LastIndexOf('-');
        return dash > 0 && int.TryParse(rest[(dash + 1)..], out var task) ? (rest[..dash], task) : null;
    }

    private static ConnectStatus? ParseStatus(JsonObject? json) =>
        json?["state"]?.GetValue<string>() is { } state && Enum.TryParse<ConnectState>(state, ignoreCase: true, out var s)
            ? new ConnectStatus(s, json["worker_id"]?.GetValue<string>() ?? "", json["trace"]?.GetValue<string>())
            : null;

    private static Dictionary<string, string> Properties(JsonObject json) =>
        (json["properties"] as JsonObject ?? new JsonObject()).ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "", StringComparer.Ordinal);

    private static JsonObject PropertiesJson(IReadOnlyDictionary<string, string> config) =>
        new(config.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value))));

    private static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}
