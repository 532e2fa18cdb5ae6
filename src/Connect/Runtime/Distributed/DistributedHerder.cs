using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Connect.Config;
using static AkkaBroker.Connect.Runtime.Herder;

namespace AkkaBroker.Connect.Runtime.Distributed;

/// <summary>
/// A distributed worker's herder (Kafka Connect's <c>DistributedHerder</c>). Every worker of the group follows the config
/// and status topics into one <see cref="ConnectClusterState"/>, learns the live workers from the group's members, and
/// runs the connectors and tasks that <see cref="WorkerAssignor"/> gives it, so a worker that dies has its work taken
/// over by the others (after <c>scheduled.rebalance.max.delay.ms</c>) and a worker that joins takes a share.
/// REST writes go to the config topic, so any worker can take them; each worker reports its connectors' and tasks'
/// states to the status topic, so any worker can answer for all. Connectors running here write their task configs
/// to the config topic when they change.
/// </summary>
public sealed class DistributedHerder : ReceiveActor, IWithTimers
{
    /// <summary>A record of the config topic, from the log's reader thread.</summary>
    public sealed record ConfigRecord(string Key, byte[]? Value);

    /// <summary>A record of the status topic, from the log's reader thread.</summary>
    public sealed record StatusRecord(string Key, byte[]? Value);

    private sealed record Members(IReadOnlyList<string> WorkerIds);
    private sealed record MembersUnknown(Exception Error);
    private sealed record Tick;
    private sealed record Written;

    private sealed record LocalConnector(IActorRef Runner, IReadOnlyDictionary<string, string> Config);
    private sealed record LocalTask(IActorRef Runner, IReadOnlyDictionary<string, string> TaskConfig, IReadOnlyDictionary<string, string> ConnectorConfig);

    private readonly Worker _worker;
    private readonly KafkaBasedLog _configLog;
    private readonly KafkaBasedLog _statusLog;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ConnectClusterState _state = new();
    private readonly Dictionary<string, LocalConnector> _connectors = new(StringComparer.Ordinal);
    private readonly Dictionary<ConnectorTaskId, LocalTask> _tasks = new();
    private readonly Dictionary<string, DateTime> _lastSeen = new(StringComparer.Ordinal);
    private readonly DateTime _started = DateTime.UtcNow;
    private readonly TimeSpan _rebalanceDelay;
    private IReadOnlyList<string> _live = [];
    // One admin client for the herder's life: the group's members are read every second.
    private readonly IAdminClient _admin;
    private long _generation;

    public ITimerScheduler Timers { get; set; } = null!;

    public DistributedHerder(Worker worker, KafkaBasedLog configLog, KafkaBasedLog statusLog)
    {
        _worker = worker;
        _configLog = configLog;
        _statusLog = statusLog;
        _rebalanceDelay = TimeSpan.FromMilliseconds(worker.Config.Get<int>(WorkerConfig.ScheduledRebalanceMaxDelayMs));
        _admin = worker.CreateAdmin();

        Receive<ConfigRecord>(r =>
        {
            if (r.Key.StartsWith("restart-connector-", StringComparison.Ordinal)) ApplyRestart(r.Key["restart-connector-".Length..], r.Value);
            else if (_state.ApplyConfig(r.Key, r.Value)) Reconcile();
        });
        Receive<StatusRecord>(r =>
        {
            _state.ApplyStatus(r.Key, r.Value);
        });
        Receive<Members>(m =>
        {
            var now = DateTime.UtcNow;
            foreach (var id in m.WorkerIds) _lastSeen[id] = now;
            if (!m.WorkerIds.Order(StringComparer.Ordinal).SequenceEqual(_live))
            {
                _log.Info("Worker group members: {0}", string.Join(", ", m.WorkerIds.Order(StringComparer.Ordinal)));
                _live = m.WorkerIds.Order(StringComparer.Ordinal).ToList();
            }
            Reconcile();
        });
        Receive<Tick>(_ => PollMembers());
        Receive<MembersUnknown>(m => _log.Warning("Reading the worker group's members failed; the assignment waits for the next read: {0}", m.Error.Message));
        Receive<Written>(_ => { });
        Receive<Status.Failure>(f => _log.Error(f.Cause, "Writing to the worker group's topics failed; the change is not stored"));

        Receive<ListConnectors>(_ => Sender.Tell(new ConnectorNames(_state.ConnectorNames)));
        Receive<GetConnectorInfo>(m => Sender.Tell(Info(m.Name) ?? (object)NotFound(m.Name)));
        Receive<GetConnectorStatus>(m => Sender.Tell(StateInfo(m.Name) ?? (object)NotFound(m.Name)));
        Receive<GetTaskConfigs>(m => Sender.Tell(_state.Config(m.Name) == null ? NotFound(m.Name)
            : new TaskConfigs(_state.Tasks(m.Name).Select((c, i) => (new ConnectorTaskId(m.Name, i), c)).ToList())));
        Receive<GetTaskStatus>(m => Sender.Tell(_state.Config(m.Name) == null ? NotFound(m.Name)
            : _state.TaskStatus(new ConnectorTaskId(m.Name, m.Task)) is { } s && m.Task < _state.Tasks(m.Name).Count
                ? new TaskStateInfo(m.Task, s) : new HerderError(404, $"No status found for task {m.Name}-{m.Task}")));
        ReceiveAsync<PutConnector>(async m => Sender.Tell(await PutAsync(m.Name, m.Config, m.AllowReplace)));
        ReceiveAsync<PatchConnector>(async m =>
        {
            if (_state.Config(m.Name) is not { } existing)
            {
                Sender.Tell(NotFound(m.Name));
                return;
            }
            var config = new Dictionary<string, string>(existing);
            foreach (var (key, value) in m.Changes)
                if (value == null) config.Remove(key);
                else config[key] = value;
            if (config.GetValueOrDefault(ConnectorConfig.Name) != m.Name)
            {
                Sender.Tell(new HerderError(400, $"The connector name in the patch does not match '{m.Name}'; a connector cannot be renamed."));
                return;
            }
            var result = await PutAsync(m.Name, config, true);
            Sender.Tell(result is ConnectorPut put ? put.Info : result);
        });
        ReceiveAsync<SetTargetState>(async m =>
        {
            if (_state.Config(m.Name) == null)
            {
                Sender.Tell(NotFound(m.Name));
                return;
            }
            await WriteConfigAsync(ConnectClusterState.TargetRecord(m.Name, m.Target));
            // Kafka's STOPPED: the connector's tasks are dropped; they are computed again on resume.
            if (m.Target == TargetState.Stopped)
                foreach (var record in ConnectClusterState.TaskRecords(m.Name, [])) await WriteConfigAsync(record);
            Sender.Tell(new Done());
        });
        ReceiveAsync<RestartConnector>(async m =>
        {
            if (_state.Config(m.Name) == null)
            {
                Sender.Tell(NotFound(m.Name));
                return;
            }
            // As Kafka's KIP-745: a restart request in the config topic reaches whichever worker runs each piece.
            await WriteConfigAsync(($"restart-connector-{m.Name}", Encoding.UTF8.GetBytes(new JsonObject { ["include-tasks"] = m.IncludeTasks, ["only-failed"] = m.OnlyFailed, ["task"] = -1 }.ToJsonString())));
            Sender.Tell(StateInfo(m.Name)!);
        });
        ReceiveAsync<RestartTask>(async m =>
        {
            if (_state.Config(m.Name) == null) Sender.Tell(NotFound(m.Name));
            else if (m.Task < 0 || m.Task >= _state.Tasks(m.Name).Count) Sender.Tell(new HerderError(404, $"Task {m.Name}-{m.Task} not found"));
            else
            {
                await WriteConfigAsync(($"restart-connector-{m.Name}", Encoding.UTF8.GetBytes(new JsonObject { ["include-tasks"] = true, ["only-failed"] = false, ["task"] = m.Task }.ToJsonString())));
                Sender.Tell(new Done());
            }
        });
        ReceiveAsync<DeleteConnector>(async m =>
        {
            if (_state.Config(m.Name) == null)
            {
                Sender.Tell(NotFound(m.Name));
                return;
            }
            var tasks = _state.Tasks(m.Name).Count;
            await WriteConfigAsync(ConnectClusterState.ConnectorRecord(m.Name, null));
            await WriteConfigAsync(ConnectClusterState.TargetRecord(m.Name, null));
            await _statusLog.SendAsync(ConnectClusterState.ConnectorStatusKey(m.Name), null);
            for (var i = 0; i < tasks; i++) await _statusLog.SendAsync(ConnectClusterState.TaskStatusKey(new ConnectorTaskId(m.Name, i)), null);
            Sender.Tell(new Done());
        });
        ReceiveAsync<GetOffsets>(async m => Sender.Tell(Parsed(m.Name) is { } c ? await ConnectorOffsetsAdmin.ReadAsync(_worker, c) : NotFound(m.Name)));
        ReceiveAsync<AlterOffsets>(async m => Sender.Tell(await ChangeOffsetsAsync(m.Name, m.Offsets, reset: false)));
        ReceiveAsync<ResetOffsets>(async m => Sender.Tell(await ChangeOffsetsAsync(m.Name, null, reset: true)));

        Receive<ConnectorRunner.ConnectorStateChanged>(m =>
        {
            if (_connectors.TryGetValue(m.Connector, out var local) && ReferenceEquals(Sender, local.Runner))
                WriteStatus(ConnectClusterState.ConnectorStatusKey(m.Connector), m.Status);
        });
        Receive<TaskRunner.TaskStateChanged>(m =>
        {
            if (_tasks.TryGetValue(m.Id, out var local) && ReferenceEquals(Sender, local.Runner))
                WriteStatus(ConnectClusterState.TaskStatusKey(m.Id), m.Status);
        });
        ReceiveAsync<ConnectorRunner.TaskConfigsGenerated>(async m =>
        {
            if (!_connectors.TryGetValue(m.Connector, out var local) || !ReferenceEquals(Sender, local.Runner) || _state.Target(m.Connector) == TargetState.Stopped) return;
            var current = _state.Tasks(m.Connector);
            if (current.Count == m.TaskConfigs.Count && current.Zip(m.TaskConfigs).All(p => SameConfig(p.First, p.Second))) return;
            foreach (var record in ConnectClusterState.TaskRecords(m.Connector, m.TaskConfigs)) await WriteConfigAsync(record);
            _log.Info("[{0}] wrote {1} task configuration(s)", m.Connector, m.TaskConfigs.Count);
        });
    }

    /// <summary>The herder of a worker whose logs are started; it reads the group's members every second.</summary>
    public static Props Props(Worker worker, KafkaBasedLog configLog, KafkaBasedLog statusLog) =>
        Akka.Actor.Props.Create(() => new DistributedHerder(worker, configLog, statusLog));

    protected override void PreStart() => Timers.StartPeriodicTimer("members", new Tick(), TimeSpan.Zero, TimeSpan.FromSeconds(1));

    protected override void PostStop() => _admin.Dispose();

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void PollMembers()
    {
        var group = _worker.Config.Get<string>(WorkerConfig.GroupId);
        _admin.DescribeConsumerGroupAsync(group)
            .PipeTo(Self, success: d => new Members(d.Members.Select(m => m.ClientId).Distinct().ToList()), failure: e => new MembersUnknown(e));
    }

    /// <summary>Starts and stops local runners so that this worker runs exactly what the assignment gives it.</summary>
    private void Reconcile()
    {
        if (_live.Count == 0 || !_live.Contains(_worker.WorkerId)) return;
        var now = DateTime.UtcNow;
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in _state.ConnectorNames)
        {
            if (_state.ConnectorStatus(name)?.WorkerId is { Length: > 0 } owner && IsHeld(owner, now)) held.Add(owner);
            for (var i = 0; i < _state.Tasks(name).Count; i++)
                if (_state.TaskStatus(new ConnectorTaskId(name, i))?.WorkerId is { Length: > 0 } taskOwner && IsHeld(taskOwner, now)) held.Add(taskOwner);
        }
        // A stopped connector's runner still runs (it reports STOPPED and starts again on resume); stopped connectors have no tasks.
        var connectorWork = _state.ConnectorNames;
        var connectorOwners = connectorWork.Where(n => _state.ConnectorStatus(n) is not null).ToDictionary(n => n, n => _state.ConnectorStatus(n)!.WorkerId);
        var connectorAssignment = WorkerAssignor.Assign(_live, connectorWork, connectorOwners, held);
        var taskWork = _state.AllTasks();
        var taskOwners = taskWork.Where(t => _state.TaskStatus(t) is not null).ToDictionary(t => t, t => _state.TaskStatus(t)!.WorkerId);
        var taskAssignment = WorkerAssignor.Assign(_live, taskWork, taskOwners, held);

        var myConnectors = connectorAssignment.Where(p => p.Value == _worker.WorkerId).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, local) in _connectors.ToList())
        {
            if (myConnectors.Contains(name) && SameConfig(local.Config, _state.Config(name)!)) continue;
            Context.Stop(local.Runner);
            _connectors.Remove(name);
        }
        foreach (var name in myConnectors)
        {
            if (_connectors.TryGetValue(name, out var running))
            {
                running.Runner.Tell(new ConnectorRunner.Transition(_state.Target(name)));
                continue;
            }
            if (Parsed(name) is not { } config) continue;
            var runner = Context.ActorOf(ConnectorRunner.Props(config, _state.Target(name), _worker), $"connector-{Uri.EscapeDataString(name)}-{++_generation}");
            _connectors[name] = new LocalConnector(runner, _state.Config(name)!);
            _log.Info("[{0}] connector assigned to this worker", name);
        }

        var myTasks = taskAssignment.Where(p => p.Value == _worker.WorkerId).Select(p => p.Key).ToHashSet();
        foreach (var (id, local) in _tasks.ToList())
        {
            var current = myTasks.Contains(id) && id.Task < _state.Tasks(id.Connector).Count
                && SameConfig(local.TaskConfig, _state.Tasks(id.Connector)[id.Task]) && SameConfig(local.ConnectorConfig, _state.Config(id.Connector)!);
            if (current) continue;
            Context.Stop(local.Runner);
            _tasks.Remove(id);
        }
        foreach (var id in myTasks)
        {
            if (_tasks.TryGetValue(id, out var running))
            {
                running.Runner.Tell(new TaskRunner.Transition(_state.Target(id.Connector)));
                continue;
            }
            StartTask(id);
        }
    }

    private void StartTask(ConnectorTaskId id)
    {
        if (Parsed(id.Connector) is not { } config) return;
        var taskConfig = _state.Tasks(id.Connector)[id.Task];
        var runner = Context.ActorOf(TaskRunner.Props(id, config, taskConfig, _state.Target(id.Connector), _worker), $"task-{Uri.EscapeDataString(id.Connector)}-{id.Task}-{++_generation}");
        _tasks[id] = new LocalTask(runner, taskConfig, _state.Config(id.Connector)!);
        _log.Info("[{0}] task assigned to this worker", id);
    }

    private bool IsHeld(string worker, DateTime now) =>
        !_live.Contains(worker) && now - _lastSeen.GetValueOrDefault(worker, _started) < _rebalanceDelay;

    private void ApplyRestart(string name, byte[]? value)
    {
        if (value == null || JsonNode.Parse(value) is not JsonObject request) return;
        var includeTasks = request["include-tasks"]?.GetValue<bool>() ?? false;
        var onlyFailed = request["only-failed"]?.GetValue<bool>() ?? false;
        var task = request["task"]?.GetValue<int>() ?? -1;
        if (task < 0 && _connectors.TryGetValue(name, out var connector) && (!onlyFailed || _state.ConnectorStatus(name)?.State == ConnectState.Failed))
        {
            Context.Stop(connector.Runner);
            _connectors.Remove(name);
            WriteStatus(ConnectClusterState.ConnectorStatusKey(name), new ConnectStatus(ConnectState.Restarting, _worker.WorkerId));
        }
        if (!includeTasks) { Reconcile(); return; }
        foreach (var (id, local) in _tasks.Where(t => t.Key.Connector == name && (task < 0 || t.Key.Task == task)).ToList())
        {
            if (onlyFailed && _state.TaskStatus(id)?.State != ConnectState.Failed) continue;
            Context.Stop(local.Runner);
            _tasks.Remove(id);
            WriteStatus(ConnectClusterState.TaskStatusKey(id), new ConnectStatus(ConnectState.Restarting, _worker.WorkerId));
        }
        Reconcile();
    }

    private async Task<object> PutAsync(string name, IReadOnlyDictionary<string, string> given, bool allowReplace)
    {
        if (name.Length == 0) return new HerderError(400, "A connector needs a name: give \"name\" in the request.");
        var config = new Dictionary<string, string>(given) { [ConnectorConfig.Name] = name };
        var exists = _state.Config(name) != null;
        if (exists && !allowReplace) return new HerderError(409, $"Connector {name} already exists");
        var validation = ConnectorValidator.Validate(config, _worker.Plugins);
        if (validation.ErrorCount > 0) return new HerderError(400, validation.ErrorMessage());
        var parsed = ConnectorConfig.Parse(config, _worker.Plugins);
        // A sink's consumers would join the workers' own group and take part in its rebalances as if they were workers.
        if (parsed.Plugin.Kind == PluginKind.Sink && WorkerSinkTask.GroupId(name) == _worker.Config.Get<string>(WorkerConfig.GroupId))
            return new HerderError(400, $"Connector {name} is a sink, whose tasks consume in the group '{WorkerSinkTask.GroupId(name)}': that is this worker " +
                                        $"group's {WorkerConfig.GroupId}. Give the connector another name.");
        if (!exists) await WriteConfigAsync(ConnectClusterState.TargetRecord(name, TargetState.Started));
        await WriteConfigAsync(ConnectClusterState.ConnectorRecord(name, config));
        var type = parsed.Plugin.Kind == PluginKind.Sink ? "sink" : "source";
        return new ConnectorPut(new ConnectorInfo(name, config, Enumerable.Range(0, exists ? _state.Tasks(name).Count : 0).Select(i => new ConnectorTaskId(name, i)).ToList(), type), !exists);
    }

    /// <summary>Writes to the config topic and applies the record here at once, so this worker's next answer already reflects it.</summary>
    private async Task WriteConfigAsync((string Key, byte[]? Value) record)
    {
        await _configLog.SendAsync(record.Key, record.Value);
        if (!record.Key.StartsWith("restart-connector-", StringComparison.Ordinal) && _state.ApplyConfig(record.Key, record.Value)) Reconcile();
    }

    private void WriteStatus(string key, ConnectStatus status)
    {
        var record = ConnectClusterState.StatusRecord(key, status);
        _state.ApplyStatus(record.Key, record.Value);
        _statusLog.SendAsync(record.Key, record.Value).PipeTo(Self, success: () => new Written(), failure: e => new Status.Failure(e));
    }

    private async Task<object> ChangeOffsetsAsync(string name, IReadOnlyList<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)>? offsets, bool reset)
    {
        if (Parsed(name) is not { } config) return NotFound(name);
        if (_state.Target(name) != TargetState.Stopped || _state.Tasks(name).Count > 0) return ConnectorOffsetsAdmin.NotStopped(name);
        return await ConnectorOffsetsAdmin.ChangeAsync(_worker, config, offsets, reset);
    }

    private ConnectorConfig? Parsed(string name)
    {
        if (_state.Config(name) is not { } config) return null;
        try
        {
            return ConnectorConfig.Parse(config, _worker.Plugins);
        }
        catch (ConfigException e)
        {
            // Written by a worker with other plugins: this worker cannot run it.
            _log.Error("[{0}] this worker cannot run the connector: {1}", name, e.Message);
            return null;
        }
    }

    private ConnectorInfo? Info(string name) =>
        _state.Config(name) is not { } config ? null
            : new ConnectorInfo(name, config, Enumerable.Range(0, _state.Tasks(name).Count).Select(i => new ConnectorTaskId(name, i)).ToList(), TypeOf(name));

    private ConnectorStateInfo? StateInfo(string name) =>
        _state.Config(name) == null ? null
            : new ConnectorStateInfo(name, _state.ConnectorStatus(name) ?? new ConnectStatus(ConnectState.Unassigned, ""),
                Enumerable.Range(0, _state.Tasks(name).Count).Select(i => (i, _state.TaskStatus(new ConnectorTaskId(name, i)) ?? new ConnectStatus(ConnectState.Unassigned, ""))).ToList(),
                TypeOf(name));

    private string TypeOf(string name) => Parsed(name)?.Plugin.Kind == PluginKind.Sink ? "sink" : "source";

    private static HerderError NotFound(string name) => new(404, $"Connector {name} not found");

    private static bool SameConfig(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);
}
