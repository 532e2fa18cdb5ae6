using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace AkkaBroker.Client.Internal;

/// <summary>What a client counts of one partition for its statistics.</summary>
internal sealed class PartitionCounters
{
    public long Messages;
    public long Bytes;
}

/// <summary>
/// Calls a statistics handler every <c>statistics.interval.ms</c> with a JSON document shaped as librdkafka's (the one
/// Confluent.Kafka hands its handler): the client's name, type and times, message counters, and per topic and partition
/// what this client keeps. Fields librdkafka has and this client does not measure are left out rather than made up.
/// Runs on a timer thread; a handler that throws is logged and keeps being called.
/// </summary>
internal sealed class ClientStatistics : IDisposable
{
    private static readonly long StartTicks = Stopwatch.GetTimestamp();
    private readonly object _lock = new();
    private readonly Timer? _timer;
    private readonly TimeSpan _interval;
    private readonly long _createdTicks = Stopwatch.GetTimestamp();
    private bool _disposed;

    /// <param name="name">The client's Name.</param>
    /// <param name="clientId">Its client.id.</param>
    /// <param name="type">producer or consumer.</param>
    /// <param name="interval">statistics.interval.ms; zero: no statistics.</param>
    /// <param name="handler">The application's handler; null: no statistics.</param>
    /// <param name="write">Writes the client's own fields into the open root object.</param>
    /// <param name="onHandlerError">Told when the handler (or building the document) throws.</param>
    public ClientStatistics(string name, string clientId, string type, TimeSpan interval, Action<string>? handler, Action<Utf8JsonWriter> write,
        Action<Exception> onHandlerError)
    {
        _interval = interval;
        if (handler == null || interval <= TimeSpan.Zero) return;
        // One call at a time, as librdkafka makes them: the timer is armed again only after the handler returned.
        _timer = new Timer(_ =>
        {
            lock (_lock)
            {
                if (_disposed) return;
                try
                {
                    handler(Document(name, clientId, type, write));
                }
                catch (Exception e)
                {
                    onHandlerError(e);
                }
                _timer!.Change(_interval, Timeout.InfiniteTimeSpan);
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(interval, Timeout.InfiniteTimeSpan);
    }

    private string Document(string name, string clientId, string type, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("client_id", clientId);
            w.WriteString("type", type);
            // librdkafka's clocks: ts a monotonic clock in microseconds, time wall-clock seconds, age microseconds since creation.
            w.WriteNumber("ts", (long)Stopwatch.GetElapsedTime(StartTicks).TotalMicroseconds);
            w.WriteNumber("time", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            w.WriteNumber("age", (long)Stopwatch.GetElapsedTime(_createdTicks).TotalMicroseconds);
            write(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary><c>"topics": { topic: { "topic", "partitions": { "N": { "partition", ...fields } } } }</c>.</summary>
    public static void WriteTopics<T>(Utf8JsonWriter w, IEnumerable<(string Topic, int Partition, T Value)> partitions, Action<Utf8JsonWriter, T> fields)
    {
        w.WriteStartObject("topics");
        foreach (var topic in partitions.GroupBy(p => p.Topic).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(topic.Key);
            w.WriteString("topic", topic.Key);
            w.WriteStartObject("partitions");
            foreach (var p in topic.OrderBy(p => p.Partition))
            {
                w.WriteStartObject(p.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteNumber("partition", p.Partition);
                fields(w, p.Value);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>Stops the statistics; a call in progress finishes first, and none starts after this returns.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }
}
