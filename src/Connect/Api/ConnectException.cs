namespace AkkaBroker.Connect;

/// <summary>
/// A connector, task, converter or transform cannot go on (Kafka Connect's <c>ConnectException</c>). Thrown from a
/// task it fails the task: its status becomes FAILED with this message as the trace, and the REST API's
/// <c>/restart</c> starts it again.
/// </summary>
public class ConnectException : Exception
{
    /// <summary>Creates the exception with a message that says what failed and what to do.</summary>
    public ConnectException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A failure that may pass if the same operation is tried again (Kafka Connect's <c>RetriableException</c>): the
/// worker retries a task's poll or put that throws it, with back-off, up to <c>errors.retry.timeout.ms</c>.
/// </summary>
public class RetriableException : ConnectException
{
    /// <summary>Creates the exception with a message naming what failed.</summary>
    public RetriableException(string message, Exception? inner = null) : base(message, inner) { }
}
