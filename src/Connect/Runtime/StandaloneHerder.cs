using Akka.Actor;
using Akka.Event;
using AkkaBroker.Client;
using AkkaBroker.Connect.Config;
using static AkkaBroker.Connect.Runtime.Herder;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// A standalone worker's herder (Kafka Connect's <c>StandaloneHerder</c>): keeps the connectors' configs, target states,
/// task configs and statuses in memory, runs every connector and task in this process as child runners, and answers
/// the REST API. Connectors given on the command line are created at start; offsets survive restarts in the offset
/// file, configs are those of the files given again.
/// <para>
/// Per connector: created (validated, runner started) → its runner reports task configs → task runners started.
/// Pause/resume change the target state of the connector and its tasks; stop stops both and drops the tasks (their
/// configs are computed again on resume); restart replaces runners; delete stops everything and forgets the connector.
/// Offsets may be changed only while the connector is STOPPED, as in Kafka.
/// </para>
/// </summary>
public sealed class StandaloneHerder : ReceiveActor
{
    private sealed class Entry(ConnectorConfig config, TargetState target)
    {
        public ConnectorConfig Config = config;
        public TargetState Target = target;
        public IActorRef? Runner;
        public ConnectStatus Status = new(ConnectState.Unassigned, "");
        public IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs = [];
        public readonly Dictionary<int, IActorRef> Tasks = new();
        public readonly Dictionary<int, ConnectStatus> TaskStatus = new();
        public string Type => Config.Plugin.Kind == PluginKind.Sink ? "sink" : "source";
    }

    private readonly Worker _worker;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, Entry> _connectors = new(StringComparer.Ordinal);
    // Runner names carry a number never used before: a stopped runner keeps its name until it has terminated.
    private long _generation;

    public StandaloneHerder(Worker worker, IReadOnlyList<IReadOnlyDictionary<string, string>> initialConnectors)
    {
        _worker = worker;
        foreach (var config in initialConnectors)
        {
            var name = config.GetValueOrDefault(ConnectorConfig.Name) ?? "";
            if (Put(name, config, allowReplace: false) is HerderError error)
                throw new ConfigException($"Connector '{name}' cannot be created: {error.Message}");
        }

        Receive<ListConnectors>(_ => Sender.Tell(new ConnectorNames(_connectors.Keys.Order().ToList())));
        Receive<PutConnector>(m => Sender.Tell(Put(m.Name, m.Config, m.AllowReplace)));
        Receive<PatchConnector>(m => Sender.Tell(With(m.Name, e =>
        {
            var config = new Dictionary<string, string>(e.Config.Originals);
            foreach (var (key, value) in m.Changes)
                if (value == null) config.Remove(key);
                else config[key] = value;
            if (config.GetValueOrDefault(ConnectorConfig.Name) != m.Name)
                return new HerderError(400, $"The connector name in the patch does not match '{m.Name}'; a connector cannot be renamed.");
            var result = Put(m.Name, config, allowReplace: true);
            return result is ConnectorPut put ? put.Info : result;
        })));
        Receive<GetConnectorInfo>(m => Sender.Tell(With(m.Name, Info)));
        Receive<GetConnectorStatus>(m => Sender.Tell(With(m.Name, e => StateInfo(m.Name, e))));
        Receive<GetTaskConfigs>(m => Sender.Tell(With(m.Name, e =>
            new TaskConfigs(e.TaskConfigs.Select((c, i) => (new ConnectorTaskId(m.Name, i), c)).ToList()))));
        Receive<GetTaskStatus>(m => Sender.Tell(With(m.Name, e =>
            e.TaskStatus.TryGetValue(m.Task, out var s) ? new TaskStateInfo(m.Task, s) : new HerderError(404, $"No status found for task {m.Name}-{m.Task}"))));
        Receive<SetTargetState>(m => Sender.Tell(With(m.Name, e =>
        {
            SetTarget(m.Name, e, m.Target);
            return new Done();
        })));
        Receive<RestartConnector>(m => Sender.Tell(With(m.Name, e =>
        {
            if (!m.OnlyFailed || e.Status.State == ConnectState.Failed) RestartConnectorRunner(m.Name, e);
            if (m.IncludeTasks)
                foreach (var task in e.Tasks.Keys.ToList())
                    if (!m.OnlyFailed || e.TaskStatus.GetValueOrDefault(task)?.State == ConnectState.Failed)
                        StartTask(m.Name, e, task);
            return StateInfo(m.Name, e);
        })));
        Receive<RestartTask>(m => Sender.Tell(With(m.Name, e =>
        {
            if (m.Task < 0 || m.Task >= e.TaskConfigs.Count) return new HerderError(404, $"Task {m.Name}-{m.Task} not found");
            StartTask(m.Name, e, m.Task);
            return new Done();
        })));
        Receive<DeleteConnector>(m => Sender.Tell(With(m.Name, e =>
        {
            StopAll(e);
            _connectors.Remove(m.Name);
            _log.Info("[{0}] connector deleted", m.Name);
            return new Done();
        })));
        ReceiveAsync<GetOffsets>(async m =>
        {
            if (!_connectors.TryGetValue(m.Name, out var e)) Sender.Tell(NotFound(m.Name));
            else Sender.Tell(await ReadOffsetsAsync(e));
        });
        ReceiveAsync<AlterOffsets>(async m => Sender.Tell(await ChangeOffsetsAsync(m.Name, m.Offsets, reset: false)));
        ReceiveAsync<ResetOffsets>(async m => Sender.Tell(await ChangeOffsetsAsync(m.Name, null, reset: true)));

        Receive<ConnectorRunner.ConnectorStateChanged>(m =>
        {
            if (_connectors.TryGetValue(m.Connector, out var e) && ReferenceEquals(Sender, e.Runner)) e.Status = m.Status;
        });
        Receive<ConnectorRunner.TaskConfigsGenerated>(m =>
        {
            if (!_connectors.TryGetValue(m.Connector, out var e) || !ReferenceEquals(Sender, e.Runner) || e.Target == TargetState.Stopped) return;
            if (e.Tasks.Count == m.TaskConfigs.Count && e.TaskConfigs.SequenceEqual(m.TaskConfigs, TaskConfigComparer.Instance)) return;
            StopTasks(e);
            e.TaskConfigs = m.TaskConfigs;
            for (var i = 0; i < m.TaskConfigs.Count; i++) StartTask(m.Connector, e, i);
            _log.Info("[{0}] started {1} task(s)", m.Connector, m.TaskConfigs.Count);
        });
        Receive<TaskRunner.TaskStateChanged>(m =>
        {
            if (_connectors.TryGetValue(m.Id.Connector, out var e) && e.Tasks.TryGetValue(m.Id.Task, out var runner) && ReferenceEquals(Sender, runner))
                e.TaskStatus[m.Id.Task] = m.Status;
        });
    }

    /// <summary>The herder of <paramref name="worker"/>, creating <paramref name="initialConnectors"/> at start.</summary>
    /// <remarks>A connector file that is invalid fails the actor's construction with a <see cref="ConfigException"/>.</remarks>
    public static Props Props(Worker worker, IReadOnlyList<IReadOnlyDictionary<string, string>> initialConnectors) =>
        Akka.Actor.Props.Create(() => new StandaloneHerder(worker, initialConnectors));

    /// <summary>Stopping the worker stops every connector; tasks store their offsets as they stop.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private object Put(string name, IReadOnlyDictionary<string, string> given, bool allowReplace)
    {
        var config = new Dictionary<string, string>(given) { [ConnectorConfig.Name] = name };
        if (name.Length == 0) return new HerderError(400, "A connector needs a name: give \"name\" in the request, or the name key in the connector's file.");
        var exists = _connectors.TryGetValue(name, out var existing);
        if (exists && !allowReplace) return new HerderError(409, $"Connector {name} already exists");
        var validation = ConnectorValidator.Validate(config, _worker.Plugins);
        if (validation.ErrorCount > 0) return new HerderError(400, validation.ErrorMessage());
        ConnectorConfig parsed;
        try
        {
            parsed = ConnectorConfig.Parse(config, _worker.Plugins);
        }
        catch (ConfigException e)
        {
            return new HerderError(400, e.Message);
        }
        var target = existing?.Target ?? TargetState.Started;
        if (existing != null) StopAll(existing);
        var entry = new Entry(parsed, target);
        _connectors[name] = entry;
        StartConnectorRunner(name, entry);
        _log.Info("[{0}] connector {1} ({2})", name, exists ? "reconfigured" : "created", parsed.Plugin.Type.FullName);
        return new ConnectorPut(Info(name, entry), !exists);
    }

    private object With(string name, Func<Entry, object> action) =>
        _connectors.TryGetValue(name, out var entry) ? action(entry) : NotFound(name);

    private static HerderError NotFound(string name) => new(404, $"Connector {name} not found");

    private ConnectorInfo Info(Entry e) => Info(e.Config.ConnectorName, e);

    private static ConnectorInfo Info(string name, Entry e) =>
        new(name, e.Config.Originals, Enumerable.Range(0, e.TaskConfigs.Count).Select(i => new ConnectorTaskId(name, i)).ToList(), e.Type);

    private static ConnectorStateInfo StateInfo(string name, Entry e) =>
        new(name, e.Status, e.Tasks.Keys.Order().Select(i => (i, e.TaskStatus.GetValueOrDefault(i) ?? new ConnectStatus(ConnectState.Unassigned, ""))).ToList(), e.Type);

    private void StartConnectorRunner(string name, Entry e)
    {
        e.Status = new ConnectStatus(ConnectState.Unassigned, _worker.WorkerId);
        e.Runner = Context.ActorOf(ConnectorRunner.Props(e.Config, e.Target, _worker), $"connector-{Uri.EscapeDataString(name)}-{++_generation}");
    }

    private void RestartConnectorRunner(string name, Entry e)
    {
        if (e.Runner != null) Context.Stop(e.Runner);
        e.Status = new ConnectStatus(ConnectState.Restarting, _worker.WorkerId);
        StartConnectorRunner(name, e);
    }

    private void StartTask(string name, Entry e, int task)
    {
        if (e.Tasks.Remove(task, out var old)) Context.Stop(old);
        e.TaskStatus[task] = new ConnectStatus(ConnectState.Unassigned, _worker.WorkerId);
        e.Tasks[task] = Context.ActorOf(TaskRunner.Props(new ConnectorTaskId(name, task), e.Config, e.TaskConfigs[task], e.Target, _worker),
            $"task-{Uri.EscapeDataString(name)}-{task}-{++_generation}");
    }

    private void SetTarget(string name, Entry e, TargetState target)
    {
        if (e.Target == target) return;
        var previous = e.Target;
        e.Target = target;
        e.Runner?.Tell(new ConnectorRunner.Transition(target));
        if (target == TargetState.Stopped)
        {
            // Kafka's STOPPED: no tasks, and their configs are computed again when the connector resumes.
            StopTasks(e);
            e.TaskConfigs = [];
        }
        else if (previous != TargetState.Stopped)
            foreach (var runner in e.Tasks.Values) runner.Tell(new TaskRunner.Transition(target));
        _log.Info("[{0}] connector target state {1}", name, target);
    }

    private void StopTasks(Entry e)
    {
        foreach (var runner in e.Tasks.Values) Context.Stop(runner);
        e.Tasks.Clear();
        e.TaskStatus.Clear();
    }

    private void StopAll(Entry e)
    {
        StopTasks(e);
        if (e.Runner != null) Context.Stop(e.Runner);
        e.Runner = null;
    }

    private Task<object> ReadOffsetsAsync(Entry e) => ConnectorOffsetsAdmin.ReadAsync(_worker, e.Config);

    private async Task<object> ChangeOffsetsAsync(string name, IReadOnlyList<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)>? offsets, bool reset)
    {
        if (!_connectors.TryGetValue(name, out var e)) return NotFound(name);
        if (e.Target != TargetState.Stopped || e.Tasks.Count > 0) return ConnectorOffsetsAdmin.NotStopped(name);
        return await ConnectorOffsetsAdmin.ChangeAsync(_worker, e.Config, offsets, reset);
    }

    private sealed class TaskConfigComparer : IEqualityComparer<IReadOnlyDictionary<string, string>>
    {
        public static readonly TaskConfigComparer Instance = new();
        public bool Equals(IReadOnlyDictionary<string, string>? x, IReadOnlyDictionary<string, string>? y) =>
            x != null && y != null && x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && v == p.Value);
        public int GetHashCode(IReadOnlyDictionary<string, string> obj) => obj.Count;
    }
}
