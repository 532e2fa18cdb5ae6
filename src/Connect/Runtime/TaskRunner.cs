using Akka.Actor;
using Akka.Event;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// Runs one task on a thread of its own and reports its state to its parent (the herder); its one job is the task's
/// lifecycle. A failed task stays FAILED, with its exception as the trace, until the herder restarts it (Kafka does
/// not restart failed tasks by itself). Stopping the actor stops the task, waiting up to
/// <c>task.shutdown.graceful.timeout.ms</c>.
/// </summary>
public sealed class TaskRunner : ReceiveActor
{
    /// <summary>Pause or resume the task.</summary>
    public sealed record Transition(TargetState Target);

    /// <summary>Reported to the parent whenever the task's state changes.</summary>
    public sealed record TaskStateChanged(ConnectorTaskId Id, ConnectStatus Status);

    private sealed record StateReport(ConnectState State);
    private sealed record Exited(Exception? Error);

    private readonly ConnectorTaskId _id;
    private readonly ConnectorConfig _connector;
    private readonly IReadOnlyDictionary<string, string> _taskConfig;
    private readonly Worker _worker;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stop = new();
    private TargetState _target;
    private WorkerTask? _task;
    private Thread? _thread;

    public TaskRunner(ConnectorTaskId id, ConnectorConfig connector, IReadOnlyDictionary<string, string> taskConfig, TargetState target, Worker worker)
    {
        _id = id;
        _connector = connector;
        _taskConfig = taskConfig;
        _target = target;
        _worker = worker;
        Receive<StateReport>(r => Report(new ConnectStatus(r.State, _worker.WorkerId)));
        Receive<Exited>(e =>
        {
            if (e.Error != null)
            {
                _log.Error(e.Error, "[{0}] task failed; it stays FAILED until restarted (POST /connectors/{1}/tasks/{2}/restart)", _id, _id.Connector, _id.Task);
                Report(new ConnectStatus(ConnectState.Failed, _worker.WorkerId, e.Error.ToString()));
            }
            else if (!_stop.IsCancellationRequested)
                Report(new ConnectStatus(ConnectState.Unassigned, _worker.WorkerId));
        });
        Receive<Transition>(t =>
        {
            _target = t.Target;
            _task?.Transition(t.Target);
        });
    }

    /// <summary>The runner of <paramref name="id"/>, on the blocking dispatcher (its start builds clients).</summary>
    public static Props Props(ConnectorTaskId id, ConnectorConfig connector, IReadOnlyDictionary<string, string> taskConfig, TargetState target, Worker worker) =>
        Akka.Actor.Props.Create(() => new TaskRunner(id, connector, taskConfig, target, worker)).WithDispatcher("akka.actor.default-blocking-io-dispatcher");

    protected override void PreStart()
    {
        var self = Self;
        try
        {
            _task = _worker.BuildTask(_id, _connector, _taskConfig, _log, state => self.Tell(new StateReport(state)));
        }
        catch (Exception e)
        {
            // Anything that stops the task being built (an unknown plugin, a refused client setting, a dead letter
            // queue topic the cluster would not create) is the task's failure, shown as FAILED with its trace.
            self.Tell(new Exited(e));
            return;
        }
        _task.Transition(_target);
        var task = _task;
        var token = _stop.Token;
        var log = _log;
        var id = _id;
        _thread = new Thread(() =>
        {
            Exception? error = null;
            try
            {
                task.Run(token);
            }
            catch (Exception e)
            {
                error = e;
            }
            // Once stopping, the actor is gone: a failure while stopping is logged here instead.
            if (!token.IsCancellationRequested) self.Tell(new Exited(error));
            else if (error != null) log.Error(error, "[{0}] task failed while stopping", id);
        }) { IsBackground = true, Name = $"task-thread-{_id}" };
        _thread.Start();
    }

    protected override void PostStop()
    {
        _stop.Cancel();
        _task?.Transition(TargetState.Started); // a paused task wakes up to see the cancellation
        var grace = TimeSpan.FromMilliseconds(_worker.Config.Get<long>(WorkerConfig.TaskShutdownGracefulTimeoutMs));
        // The task's own flush is bounded by the same timeout; give it that and the consumer's close on top.
        if (_thread != null && !_thread.Join(grace + TimeSpan.FromSeconds(5)))
            _log.Warning("[{0}] task did not stop within task.shutdown.graceful.timeout.ms ({1} ms); its thread is abandoned", _id, (long)grace.TotalMilliseconds);
        _stop.Dispose();
    }

    private void Report(ConnectStatus status) => Context.Parent.Tell(new TaskStateChanged(_id, status));
}
