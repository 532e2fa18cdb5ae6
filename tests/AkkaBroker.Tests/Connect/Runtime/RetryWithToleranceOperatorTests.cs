using Akka.Event;
using AkkaBroker.Connect;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Runtime;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// A step of a record's way under the connector's error handling, on a fake clock: a passing failure is retried with
/// doubling back-off until errors.retry.timeout.ms, then tolerated (errors.tolerance=all) or thrown (none); any other
/// failure is not retried; every failure that remains reaches the reporters with its stage.
/// </summary>
public sealed class RetryWithToleranceOperatorTests
{
    private static readonly PluginRegistry Plugins = PluginRegistry.Create();
    private readonly TimerCountingClock _clock = new();

    /// <summary>
    /// A fake clock that counts the timers armed on it: a back-off is a timer, and the clock may only be moved on once
    /// the timer is registered with it. Counted after the base call returns, as a timer counted before would let the
    /// test move the clock past a wait that starts only afterwards.
    /// </summary>
    private sealed class TimerCountingClock : FakeTimeProvider
    {
        private int _timers;

        public int Timers => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new CountingTimer(base.CreateTimer(callback, state, dueTime, period), this);
            if (dueTime != Timeout.InfiniteTimeSpan) Interlocked.Increment(ref _timers);
            return timer;
        }

        /// <summary>Counts a timer armed after its creation too, whichever way the runtime's delay arms it.</summary>
        private sealed class CountingTimer(ITimer inner, TimerCountingClock clock) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                var changed = inner.Change(dueTime, period);
                if (dueTime != Timeout.InfiniteTimeSpan) Interlocked.Increment(ref clock._timers);
                return changed;
            }

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
    private readonly RecordingReporter _reporter = new();

    private RetryWithToleranceOperator Operator(string tolerance, long retryTimeoutMs, long retryDelayMaxMs = 60_000)
    {
        var config = ConnectorConfig.Parse(new Dictionary<string, string>
        {
            ["name"] = "c", ["connector.class"] = "FileStreamSource",
            [ConnectorConfig.ErrorsTolerance] = tolerance,
            [ConnectorConfig.ErrorsRetryTimeoutMs] = retryTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ConnectorConfig.ErrorsRetryDelayMaxMs] = retryDelayMaxMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, Plugins);
        return new RetryWithToleranceOperator(config, new ConnectorTaskId("c", 0), NoLogger.Instance, [_reporter], _clock);
    }

    private static readonly ErrorContext Context = new(Polled: new SourceRecord(null, null, "t", null, "v"));

    private sealed class RecordingReporter : IErrorReporter
    {
        public List<(string Stage, Type ExecutingClass, Exception Error)> Reports { get; } = [];

        public Task ReportAsync(string stage, Type executingClass, ErrorContext context, Exception error, CancellationToken cancellationToken)
        {
            Reports.Add((stage, executingClass, error));
            return Task.CompletedTask;
        }
    }

    /// <summary>An operation that fails with <paramref name="error"/> until attempt <paramref name="succeedsAt"/> (never by default), counting attempts.</summary>
    private sealed class Flaky(Func<Exception> error, int succeedsAt = int.MaxValue)
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public string Run() => Interlocked.Increment(ref _attempts) >= succeedsAt ? "done" : throw error();
    }

    /// <summary>Moves the fake clock on by <paramref name="ms"/> and waits for the attempt it lets happen.</summary>
    private async Task AdvanceAndExpectAttemptAsync(Flaky operation, int ms, int attempt)
    {
        // The failed attempt is counted before its back-off starts: moving the clock before then would move it past nothing.
        await Wait.UntilAsync(() => _clock.Timers >= attempt - 1, $"the back-off after attempt {attempt - 1}", seconds: 10);
        _clock.Advance(TimeSpan.FromMilliseconds(ms - 1));
        Assert.True(operation.Attempts == attempt - 1, $"attempt {attempt} happened {ms - 1} ms into a {ms} ms back-off");
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await Wait.UntilAsync(() => operation.Attempts == attempt, $"attempt {attempt} after a {ms} ms back-off", seconds: 10);
    }

    [Fact]
    public async Task A_success_returns_the_value_and_reports_nothing()
    {
        var result = await Operator("none", 0).ExecuteAsync(ErrorStage.Transformation, typeof(string), Context, () => 42, CancellationToken.None);

        Assert.Equal((true, 42), result);
        Assert.Empty(_reporter.Reports);
    }

    [Fact]
    public async Task A_retriable_failure_is_retried_with_doubling_back_off_until_the_retry_timeout_and_then_tolerated_with_all()
    {
        var errors = Operator("all", retryTimeoutMs: 1000);
        var operation = new Flaky(() => new RetriableException("busy"));

        var execution = errors.ExecuteAsync(ErrorStage.TaskPoll, typeof(Flaky), Context, operation.Run, CancellationToken.None);
        Assert.Equal(1, operation.Attempts);
        // Back-offs of 300 and 600 ms fit in the 1000 ms; the next, 1200 ms, is cut to the 100 ms left, and attempt 4, at
        // the timeout, is the last (as Kafka).
        await AdvanceAndExpectAttemptAsync(operation, 300, 2);
        await AdvanceAndExpectAttemptAsync(operation, 600, 3);
        await AdvanceAndExpectAttemptAsync(operation, 100, 4);
        var (ok, value) = await execution.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(ok);
        Assert.Null(value);
        Assert.Equal(4, operation.Attempts);
        Assert.Equal(1, errors.RecordsSkipped);
        Assert.Equal(1, errors.TotalErrors);
        var report = Assert.Single(_reporter.Reports);
        Assert.Equal(ErrorStage.TaskPoll, report.Stage);
        Assert.Equal(typeof(Flaky), report.ExecutingClass);
        Assert.IsType<RetriableException>(report.Error);
    }

    [Fact]
    public async Task A_retriable_failure_that_outlasts_the_retry_timeout_fails_with_none_saying_tolerance_exceeded()
    {
        var errors = Operator("none", retryTimeoutMs: 1000);
        var operation = new Flaky(() => new RetriableException("busy"));

        var execution = errors.ExecuteAsync(ErrorStage.ValueConverter, typeof(Flaky), Context, operation.Run, CancellationToken.None);
        await AdvanceAndExpectAttemptAsync(operation, 300, 2);
        await AdvanceAndExpectAttemptAsync(operation, 600, 3);
        await AdvanceAndExpectAttemptAsync(operation, 100, 4);
        var error = await Assert.ThrowsAsync<ConnectException>(() => execution.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Contains("Tolerance exceeded in error handler", error.Message);
        Assert.Contains(ErrorStage.ValueConverter, error.Message);
        Assert.Contains("busy", error.Message);
        Assert.IsType<RetriableException>(error.InnerException);
        Assert.Equal(ErrorStage.ValueConverter, Assert.Single(_reporter.Reports).Stage);
        Assert.Equal(0, errors.RecordsSkipped);
    }

    [Fact]
    public async Task The_back_off_doubles_up_to_errors_retry_delay_max_ms_and_a_retry_that_succeeds_returns_its_value()
    {
        var errors = Operator("none", retryTimeoutMs: -1, retryDelayMaxMs: 500);
        var operation = new Flaky(() => new RetriableException("busy"), succeedsAt: 5);

        var execution = errors.ExecuteAsync(ErrorStage.TaskPut, typeof(Flaky), Context, operation.Run, CancellationToken.None);
        await AdvanceAndExpectAttemptAsync(operation, 300, 2);
        await AdvanceAndExpectAttemptAsync(operation, 500, 3);
        await AdvanceAndExpectAttemptAsync(operation, 500, 4);
        await AdvanceAndExpectAttemptAsync(operation, 500, 5);

        Assert.Equal((true, "done"), await execution.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(_reporter.Reports);
        Assert.Equal(0, errors.TotalErrors);
    }

    [Fact]
    public async Task A_retry_timeout_shorter_than_the_first_back_off_still_retries_once_at_the_timeout()
    {
        var errors = Operator("all", retryTimeoutMs: 250);
        var operation = new Flaky(() => new RetriableException("busy"));

        var execution = errors.ExecuteAsync(ErrorStage.TaskPoll, typeof(Flaky), Context, operation.Run, CancellationToken.None);
        await AdvanceAndExpectAttemptAsync(operation, 250, 2);

        Assert.False((await execution.WaitAsync(TimeSpan.FromSeconds(10))).Ok);
        Assert.Equal(2, operation.Attempts);
        Assert.Single(_reporter.Reports);
    }

    [Fact]
    public async Task A_retriable_failure_is_not_retried_when_errors_retry_timeout_ms_is_zero()
    {
        var operation = new Flaky(() => new RetriableException("busy"));

        var execution = Operator("all", retryTimeoutMs: 0).ExecuteAsync(ErrorStage.TaskPoll, typeof(Flaky), Context, operation.Run, CancellationToken.None);

        Assert.True(execution.IsCompleted, "the operation waited to be retried");
        Assert.False((await execution).Ok);
        Assert.Equal(1, operation.Attempts);
    }

    [Fact]
    public async Task A_failure_that_is_not_retriable_is_not_retried_and_is_reported_with_its_stage()
    {
        var errors = Operator("all", retryTimeoutMs: -1);
        var operation = new Flaky(() => new DataException("not JSON"));

        var execution = errors.ExecuteAsync(ErrorStage.KeyConverter, typeof(Flaky), Context, operation.Run, CancellationToken.None);

        Assert.True(execution.IsCompleted, "the operation waited to be retried");
        Assert.False((await execution).Ok);
        Assert.Equal(1, operation.Attempts);
        var report = Assert.Single(_reporter.Reports);
        Assert.Equal(ErrorStage.KeyConverter, report.Stage);
        Assert.IsType<DataException>(report.Error);
    }

    [Fact]
    public async Task A_failure_that_is_not_retriable_fails_with_none_after_reaching_the_reporters()
    {
        var errors = Operator("none", retryTimeoutMs: -1);

        var error = await Assert.ThrowsAsync<ConnectException>(() =>
            errors.ExecuteAsync<string>(ErrorStage.Transformation, typeof(Flaky), Context, () => throw new InvalidOperationException("broken"), CancellationToken.None));

        Assert.StartsWith("Tolerance exceeded in error handler", error.Message);
        Assert.Contains(typeof(Flaky).FullName!, error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(ErrorStage.Transformation, Assert.Single(_reporter.Reports).Stage);
    }

    [Fact]
    public async Task Cancelling_while_waiting_to_retry_ends_the_operation_without_reporting_it()
    {
        var errors = Operator("all", retryTimeoutMs: -1);
        var operation = new Flaky(() => new RetriableException("busy"));
        using var cancellation = new CancellationTokenSource();

        var execution = errors.ExecuteAsync(ErrorStage.TaskPoll, typeof(Flaky), Context, operation.Run, cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => execution.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, operation.Attempts);
        Assert.Empty(_reporter.Reports);
        Assert.Equal(0, errors.TotalErrors);
    }

    [Fact]
    public async Task A_failure_met_outside_the_operator_is_counted_reported_and_tolerated_with_all()
    {
        var errors = Operator("all", retryTimeoutMs: 0);

        await errors.FailedAsync(ErrorStage.KafkaProduce, typeof(Flaky), Context, new ConnectException("refused"), CancellationToken.None);
        await errors.FailedAsync(ErrorStage.KafkaProduce, typeof(Flaky), Context, new ConnectException("refused"), CancellationToken.None);

        Assert.Equal(2, errors.RecordsSkipped);
        Assert.Equal(2, errors.TotalErrors);
        Assert.All(_reporter.Reports, r => Assert.Equal(ErrorStage.KafkaProduce, r.Stage));
    }
}
