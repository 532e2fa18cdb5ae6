using Akka.Event;

namespace AkkaBroker.Connect.Runtime;

/// <summary>The state a connector or task is asked to be in (Kafka's <c>TargetState</c>).</summary>
public enum TargetState { Started, Paused, Stopped }

/// <summary>The state of a connector or task as the REST API shows it (Kafka's <c>AbstractStatus.State</c>).</summary>
public enum ConnectState { Unassigned, Running, Paused, Failed, Restarting, Stopped }

/// <summary>A connector's or task's reported state, with the failure's trace when FAILED and the worker it runs on.</summary>
public sealed record ConnectStatus(ConnectState State, string WorkerId, string? Trace = null)
{
    /// <summary>Kafka's upper-case state name.</summary>
    public string StateName => State.ToString().ToUpperInvariant();
}

/// <summary>
/// What source and sink tasks share in the worker (Kafka Connect's <c>WorkerTask</c>): the task's identity, its target
/// state (started or paused, changed from any thread) and the loop that runs it. <see cref="Run"/> runs on a thread
/// of its own and returns when the token is cancelled; it throws when the task fails.
/// </summary>
public abstract class WorkerTask(ConnectorTaskId id, ILoggingAdapter log)
{
    private readonly ManualResetEventSlim _resumed = new(initialState: true);
    private volatile bool _paused;

    /// <summary>The task's identity.</summary>
    public ConnectorTaskId Id { get; } = id;

    /// <summary>The worker's log.</summary>
    protected ILoggingAdapter Log { get; } = log;

    /// <summary>Called on the task's thread when it starts running, pauses or resumes.</summary>
    public Action<ConnectState>? StateChanged { get; init; }

    /// <summary>True while paused.</summary>
    protected bool IsPaused => _paused;

    /// <summary>Pauses or resumes the task (from any thread); a paused task keeps its resources but reads nothing.</summary>
    public void Transition(TargetState target)
    {
        _paused = target == TargetState.Paused;
        if (_paused) _resumed.Reset();
        else _resumed.Set();
    }

    /// <summary>Waits until resumed or cancelled; returns false when cancelled.</summary>
    protected bool AwaitResume(CancellationToken cancellationToken, TimeSpan? atMost = null)
    {
        try
        {
            return _resumed.Wait(atMost ?? Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Runs the task until <paramref name="cancellationToken"/> fires, then stops it cleanly.</summary>
    /// <exception cref="Exception">the task failed; the message becomes its FAILED status's trace.</exception>
    public abstract void Run(CancellationToken cancellationToken);

    /// <summary>Waits, unless cancelled first.</summary>
    protected static void Backoff(TimeSpan delay, CancellationToken cancellationToken) => cancellationToken.WaitHandle.WaitOne(delay);
}
