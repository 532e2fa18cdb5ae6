using System.Text;
using Akka.Event;
using AkkaBroker.Client;

namespace AkkaBroker.Connect.Runtime;

/// <summary>The steps of a record's way through a task where an error can be met, with Kafka's names.</summary>
public static class ErrorStage
{
    public const string KeyConverter = "KEY_CONVERTER";
    public const string ValueConverter = "VALUE_CONVERTER";
    public const string Transformation = "TRANSFORMATION";
    public const string TaskPut = "TASK_PUT";
    public const string TaskPoll = "TASK_POLL";
    public const string KafkaProduce = "KAFKA_PRODUCE";
}

/// <summary>The record an operation worked on when it failed: the consumed one (sink) or the polled one (source).</summary>
public sealed record ErrorContext(ConsumeResult<byte[]?, byte[]?>? Consumed = null, SourceRecord? Polled = null);

/// <summary>Sends a failed record somewhere (the dead letter queue).</summary>
public interface IErrorReporter
{
    /// <summary>Reports the failure of <paramref name="stage"/> on the record of <paramref name="context"/>.</summary>
    Task ReportAsync(string stage, Type executingClass, ErrorContext context, Exception error, CancellationToken cancellationToken);
}

/// <summary>
/// Runs one step of a record's way (conversion, transform) under the connector's error handling, as Kafka Connect's
/// <c>RetryWithToleranceOperator</c>: a <see cref="RetriableException"/> is retried with doubling back-off (from
/// 300 ms, at most <c>errors.retry.delay.max.ms</c>) until <c>errors.retry.timeout.ms</c> has passed; a failure that
/// remains is logged with <c>errors.log.enable</c>, sent to the dead letter queue if one is configured, and then
/// fails the task (<c>errors.tolerance=none</c>) or skips the record (<c>all</c>). Used from the task's thread only.
/// </summary>
public sealed class RetryWithToleranceOperator(ConnectorConfig config, ConnectorTaskId taskId, ILoggingAdapter log, IReadOnlyList<IErrorReporter> reporters, TimeProvider? clock = null)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(300);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly long _retryTimeoutMs = config.Get<long>(ConnectorConfig.ErrorsRetryTimeoutMs);
    private readonly long _retryDelayMaxMs = config.Get<long>(ConnectorConfig.ErrorsRetryDelayMaxMs);
    private readonly bool _logErrors = config.Get<bool>(ConnectorConfig.ErrorsLogEnable);
    private readonly bool _logMessages = config.Get<bool>(ConnectorConfig.ErrorsLogIncludeMessages);

    /// <summary>Records skipped because of errors (errors.tolerance=all).</summary>
    public long RecordsSkipped { get; private set; }

    /// <summary>Failures met, tolerated or not.</summary>
    public long TotalErrors { get; private set; }

    /// <summary>True with errors.tolerance=all.</summary>
    public bool ToleratesAll => config.ToleratesAll;

    /// <summary>
    /// The result of <paramref name="operation"/>, or <c>(false, default)</c> when it failed and the failure is tolerated.
    /// </summary>
    /// <exception cref="ConnectException">it failed and errors.tolerance=none ("Tolerance exceeded in error handler").</exception>
    public async Task<(bool Ok, T? Value)> ExecuteAsync<T>(string stage, Type executingClass, ErrorContext context, Func<T> operation, CancellationToken cancellationToken)
    {
        var started = _clock.GetTimestamp();
        var backoff = FirstBackoff;
        while (true)
        {
            try
            {
                return (true, operation());
            }
            catch (RetriableException e) when (_retryTimeoutMs != 0 && (_retryTimeoutMs < 0 || _clock.GetElapsedTime(started).TotalMilliseconds < _retryTimeoutMs))
            {
                // As Kafka: retried while the timeout has not passed, the last wait cut short to end at the timeout, so a
                // timeout shorter than the first back-off still gets its retry.
                var delay = _retryTimeoutMs < 0
                    ? backoff
                    : TimeSpan.FromMilliseconds(Math.Clamp(_retryTimeoutMs - _clock.GetElapsedTime(started).TotalMilliseconds, 0, backoff.TotalMilliseconds));
                log.Debug("[{0}] {1} failed and is retried in {2} ms: {3}", taskId, stage, (long)delay.TotalMilliseconds, e.Message);
                await Task.Delay(delay, _clock, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, _retryDelayMaxMs));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await FailedAsync(stage, executingClass, context, e, cancellationToken).ConfigureAwait(false);
                return (false, default);
            }
        }
    }

    /// <summary>
    /// <see cref="ExecuteAsync{T}"/> for a task's own thread: the operation runs directly, and only a failure goes
    /// through the retry and tolerance path (which runs the operation again). Conversions and transforms run once per
    /// record, so the common case allocates no task.
    /// </summary>
    /// <exception cref="ConnectException">it failed and errors.tolerance=none.</exception>
    public (bool Ok, T? Value) Execute<T>(string stage, Type executingClass, ErrorContext context, Func<T> operation, CancellationToken cancellationToken)
    {
        try
        {
            return (true, operation());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ExecuteAsync(stage, executingClass, context, operation, cancellationToken).GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Handles a failure met outside <see cref="ExecuteAsync{T}"/> (a record a sink task reported as errant, a
    /// record the producer refused): counts, logs, reports, and with errors.tolerance=none throws.
    /// </summary>
    /// <exception cref="ConnectException">errors.tolerance=none.</exception>
    public async Task FailedAsync(string stage, Type executingClass, ErrorContext context, Exception error, CancellationToken cancellationToken)
    {
        TotalErrors++;
        if (_logErrors || !config.ToleratesAll)
            log.Error(error, "[{0}] Error encountered in task {0}. Executing stage '{1}' with class '{2}'{3}.", taskId, stage, executingClass.FullName ?? executingClass.Name, Describe(context));
        foreach (var reporter in reporters)
            await reporter.ReportAsync(stage, executingClass, context, error, cancellationToken).ConfigureAwait(false);
        if (!config.ToleratesAll)
            throw new ConnectException($"Tolerance exceeded in error handler: stage {stage} with class {executingClass.FullName} failed: {error.Message}", error);
        RecordsSkipped++;
    }

    private string Describe(ErrorContext context)
    {
        var text = new StringBuilder();
        if (context.Consumed is { Message: not null } c)
        {
            text.Append($", where consumed record is {{topic='{c.Topic}', partition={c.Partition}, offset={c.Offset.Value}, timestamp={c.Message!.Timestamp.UnixTimestampMs}, timestampType={c.Message.Timestamp.Type}}}");
            if (_logMessages)
                text.Append($" with key {Printable(c.Message.Key)} and value {Printable(c.Message.Value)}");
        }
        else if (context.Polled is { } p)
        {
            text.Append($", where source record is {{topic='{p.Topic}', partition={p.SourcePartition?.Count ?? 0} keys}}");
            if (_logMessages) text.Append($" with key {p.Key} and value {p.Value}");
        }
        return text.ToString();
    }

    private static string Printable(byte[]? bytes) => bytes == null ? "null" : bytes.Length <= 256 ? Encoding.UTF8.GetString(bytes) : $"{bytes.Length} bytes";
}

/// <summary>A task's identity: its connector and its number (Kafka's <c>ConnectorTaskId</c>), written <c>name-0</c>.</summary>
public sealed record ConnectorTaskId(string Connector, int Task)
{
    /// <inheritdoc />
    public override string ToString() => $"{Connector}-{Task}";
}
