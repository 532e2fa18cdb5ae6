using Akka.Event;
using AkkaBroker.Client;

namespace AkkaBroker.Connect.Runtime.Distributed;

/// <summary>
/// Keeps this worker a member of the worker group <c>group.id</c> while it runs: a consumer in that group, with the
/// worker's id as its <c>client.id</c>, polled on a thread of its own so that its heartbeats go on. The herder learns
/// the live workers from the group's members; a worker that dies drops out after <c>session.timeout.ms</c>, one that
/// stops leaves at once. The consumer reads the config topic but commits nothing: membership is all it is for.
/// </summary>
public sealed class GroupMembership : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the worker is in the group, or fails with the group's refusal (a session timeout outside the broker's range, an invalid group id).</summary>
    public Task Joined => _joined.Task;

    public GroupMembership(Worker worker, ILoggingAdapter log)
    {
        var config = worker.Config;
        var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new Dictionary<string, string>(config.ClientConnection())
        {
            ["group.id"] = config.Get<string>(WorkerConfig.GroupId),
            ["client.id"] = worker.WorkerId,
            ["enable.auto.commit"] = "false",
            ["session.timeout.ms"] = config.Get<int>(WorkerConfig.SessionTimeoutMs).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["heartbeat.interval.ms"] = config.Get<int>(WorkerConfig.HeartbeatIntervalMs).ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build();
        consumer.Subscribe(config.Get<string>(WorkerConfig.ConfigStorageTopic));
        var token = _stop.Token;
        _thread = new Thread(() =>
        {
            try
            {
                while (!token.IsCancellationRequested)
                {
                    try
                    {
                        consumer.Consume(TimeSpan.FromMilliseconds(500));
                        _joined.TrySetResult();
                    }
                    catch (KafkaException e)
                    {
                        // Refused before ever joining: the worker cannot be part of its group, and says so at start.
                        if (_joined.TrySetException(new ConnectException($"This worker cannot join the worker group: {e.Message}", e))) return;
                        log.Warning("Worker group membership: {0}", e.Message);
                        token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
                    }
                }
            }
            finally
            {
                consumer.Close();
                consumer.Dispose();
            }
        }) { IsBackground = true, Name = "worker-group-membership" };
        _thread.Start();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(10));
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
