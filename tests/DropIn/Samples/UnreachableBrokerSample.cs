#nullable disable
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// A producer pointed at a port nobody listens on: the error handler hears of the transport failure, the log handler
/// gets librdkafka-style log lines, and ProduceAsync fails with Local_MsgTimedOut once message.timeout.ms has passed.
/// (bootstrapServers is not used: the sample needs a broker that is not there.)
/// </summary>
public static class UnreachableBrokerSample
{
    public static async Task RunAsync(string bootstrapServers, string topic)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var errors = new ConcurrentQueue<Error>();
        var logs = new ConcurrentQueue<LogMessage>();
        var config = new ProducerConfig
        {
            BootstrapServers = $"127.0.0.1:{closedPort}",
            ClientId = "dropin-unreachable",
            MessageTimeoutMs = 3000,
        };
        using var producer = new ProducerBuilder<Null, string>(config)
            .SetErrorHandler((_, error) => errors.Enqueue(error))
            .SetLogHandler((_, message) => logs.Enqueue(message))
            .Build();
        var started = DateTime.UtcNow;
        try
        {
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = "never delivered" });
            throw new InvalidOperationException("Expected: ProduceException with no broker to take the record");
        }
        catch (ProduceException<Null, string> e)
        {
            Expect(e.Error.Code == ErrorCode.Local_MsgTimedOut && e.Error.IsLocalError, $"Local_MsgTimedOut, got {e.Error.Code}: {e.Error.Reason}");
            Expect(e.DeliveryResult.Status == PersistenceStatus.NotPersisted, $"NotPersisted, got {e.DeliveryResult.Status}");
            Expect(e.DeliveryResult.Message.Value == "never delivered", "the failed message in the result");
        }
        var waited = DateTime.UtcNow - started;
        Expect(waited > TimeSpan.FromSeconds(2) && waited < TimeSpan.FromSeconds(20), $"the failure after about message.timeout.ms, took {waited.TotalSeconds:0.0}s");

        Expect(errors.Any(e => e.IsLocalError && !e.IsFatal && (e.Code == ErrorCode.Local_Transport || e.Code == ErrorCode.Local_AllBrokersDown)),
            $"the error handler told of the unreachable broker, got [{string.Join("; ", errors.Select(e => $"{e.Code}: {e.Reason}"))}]");
        Expect(logs.Any(m => m.Level <= SyslogLevel.Warning && m.Name == producer.Name && !string.IsNullOrEmpty(m.Facility) && !string.IsNullOrEmpty(m.Message)),
            $"a warning or error log line from {producer.Name}, got {logs.Count} lines");
        Expect(producer.Flush(TimeSpan.FromSeconds(1)) == 0, "nothing left waiting after the failure");
    }
}
