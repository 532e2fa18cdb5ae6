using Akka.Actor;
using Akka.Event;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// Runs one connector instance and reports its state and task configurations to its parent (the herder): started, it
/// calls <see cref="Connector.TaskConfigs"/> with <c>tasks.max</c>; when the connector asks for reconfiguration it
/// computes them again. A connector whose Start throws, or that raises an error, is FAILED until restarted. Runs on
/// the blocking dispatcher because connectors talk to external systems in their callbacks.
/// </summary>
public sealed class ConnectorRunner : ReceiveActor
{
    /// <summary>Pause, resume or stop the connector.</summary>
    public sealed record Transition(TargetState Target);

    /// <summary>Reported to the parent whenever the connector's state changes.</summary>
    public sealed record ConnectorStateChanged(string Connector, ConnectStatus Status);

    /// <summary>Reported to the parent with the connector's task configurations.</summary>
    public sealed record TaskConfigsGenerated(string Connector, IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs);

    private sealed record Reconfigure;
    private sealed record RaisedError(Exception Error);

    private readonly ConnectorConfig _config;
    private readonly Worker _worker;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Connector? _connector;
    private bool _started;
    private TargetState _target;

    public ConnectorRunner(ConnectorConfig config, TargetState target, Worker worker)
    {
        _config = config;
        _target = target;
        _worker = worker;
        Receive<Transition>(t =>
        {
            var previous = _target;
            _target = t.Target;
            if (t.Target == TargetState.Stopped) StopConnector();
            else if (previous == TargetState.Stopped) StartConnector();
            else Report(t.Target == TargetState.Paused ? ConnectState.Paused : ConnectState.Running);
        });
        Receive<Reconfigure>(_ =>
        {
            if (_started && _target != TargetState.Stopped) GenerateTaskConfigs();
        });
        Receive<RaisedError>(e => Fail(e.Error));
    }

    /// <summary>The runner of <paramref name="config"/>'s connector.</summary>
    public static Props Props(ConnectorConfig config, TargetState target, Worker worker) =>
        Akka.Actor.Props.Create(() => new ConnectorRunner(config, target, worker)).WithDispatcher("akka.actor.default-blocking-io-dispatcher");

    protected override void PreStart()
    {
        if (_target == TargetState.Stopped) Report(ConnectState.Stopped);
        else StartConnector();
    }

    protected override void PostStop() => StopConnector(report: false);

    private void StartConnector()
    {
        try
        {
            _connector = PluginRegistry.Instantiate<Connector>(_config.Plugin);
            _connector.Initialize(new RunnerContext(Self, _log));
            _connector.Start(_config.Originals);
            _started = true;
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }
        Report(_target == TargetState.Paused ? ConnectState.Paused : ConnectState.Running);
        GenerateTaskConfigs();
    }

    private void GenerateTaskConfigs()
    {
        try
        {
            var configs = _connector!.TaskConfigs(_config.MaxTasks);
            if (configs.Count > _config.MaxTasks)
                throw new ConnectException($"{_config.Plugin.Type.FullName} returned {configs.Count} task configurations, more than tasks.max ({_config.MaxTasks}).");
            Context.Parent.Tell(new TaskConfigsGenerated(_config.ConnectorName, configs));
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void StopConnector(bool report = true)
    {
        if (_started)
        {
            _started = false;
            try
            {
                _connector!.Stop();
            }
            catch (Exception e)
            {
                _log.Error(e, "[{0}] the connector's Stop threw", _config.ConnectorName);
            }
        }
        if (report) Report(ConnectState.Stopped);
    }

    private void Fail(Exception e)
    {
        _log.Error(e, "[{0}] connector failed; it stays FAILED until restarted (POST /connectors/{0}/restart)", _config.ConnectorName);
        StopConnector(report: false);
        Context.Parent.Tell(new ConnectorStateChanged(_config.ConnectorName, new ConnectStatus(ConnectState.Failed, _worker.WorkerId, e.ToString())));
    }

    private void Report(ConnectState state) =>
        Context.Parent.Tell(new ConnectorStateChanged(_config.ConnectorName, new ConnectStatus(state, _worker.WorkerId)));

    private sealed class RunnerContext(IActorRef runner, ILoggingAdapter log) : IConnectorContext
    {
        public ILoggingAdapter Log => log;
        public void RequestTaskReconfiguration() => runner.Tell(new Reconfigure());
        public void RaiseError(Exception error) => runner.Tell(new RaisedError(error));
    }
}
