using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using AkkaBroker.Client;

namespace AkkaBroker.Host;

/// <summary>
/// <c>verifiable-producer</c>: produces sequential values and prints one JSON line per event, as Kafka's
/// VerifiableProducer does, so a test can check exactly which records were acknowledged.
/// </summary>
internal static class VerifiableProducerCommand
{
    public static Command Create()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var maxMessages = new Option<long>("--max-messages") { Description = "Records to produce (-1: until stopped)", DefaultValueFactory = _ => -1 };
        var acks = new Option<string>("--acks") { Description = "acks: 0, 1 or all", DefaultValueFactory = _ => "all" };
        var throughput = new Option<double>("--throughput") { Description = "Records per second (-1: as fast as possible)", DefaultValueFactory = _ => -1 };
        var valuePrefix = new Option<string?>("--value-prefix") { Description = "Prefix every value with this and a dot" };
        var repeatingKeys = new Option<int?>("--repeating-keys") { Description = "Key records with 0..N-1, cycling (default: no key)" };
        var producerProperty = CliCommon.KeyValues("--producer-property", "Producer config");
        var command = new Command("verifiable-producer", "Produce sequential values, printing one JSON line per acknowledged or failed record.")
            { bootstrap, topic, maxMessages, acks, throughput, valuePrefix, repeatingKeys, producerProperty };
        command.SetAction((parse, ct) => CliCommon.RunAsync(async () =>
        {
            var config = new ProducerConfig(CliCommon.ParseKeyValues("--producer-property", parse.GetValue(producerProperty)))
            {
                BootstrapServers = parse.GetValue(bootstrap),
            };
            var ackValue = parse.GetValue(acks)!;
            config.Set("acks", ackValue);
            if (ackValue != "all" && ackValue != "-1" && config.Get("enable.idempotence") == null) config.EnableIdempotence = false;
            var name = parse.GetValue(topic)!;
            var max = parse.GetValue(maxMessages);
            var prefix = parse.GetValue(valuePrefix);
            var keys = parse.GetValue(repeatingKeys);
            var throttler = new Throttler(parse.GetValue(throughput));
            var output = new object();
            long acked = 0, failed = 0, sent = 0;
            void Emit(object e)
            {
                var json = JsonSerializer.Serialize(e);
                lock (output) Console.WriteLine(json);
            }

            var started = Stopwatch.GetTimestamp();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // Ctrl-C or SIGTERM stops producing and waits for every answer, as Kafka's tool does in its shutdown hook.
            using var signals = CliCommon.OnStopSignal(stop.Cancel);
            using (var producer = new ProducerBuilder<string?, string>(config).Build())
            {
                Emit(new { timestamp = Now(), name = "startup_complete" });
                for (long i = 0; (max < 0 || i < max) && !stop.IsCancellationRequested; i++)
                {
                    throttler.Wait(i);
                    var key = keys is { } k ? (i % k).ToString() : null;
                    var value = prefix == null ? i.ToString() : $"{prefix}.{i}";
                    try
                    {
                        producer.Produce(name, new Message<string?, string> { Key = key, Value = value }, r =>
                        {
                            if (r.Error.IsError)
                            {
                                Interlocked.Increment(ref failed);
                                Emit(new { timestamp = Now(), name = "producer_send_error", exception = r.Error.Code.ToString(), message = r.Error.Reason, topic = name, key, value });
                            }
                            else
                            {
                                Interlocked.Increment(ref acked);
                                Emit(new { timestamp = Now(), name = "producer_send_success", key, value, topic = r.Topic, partition = r.Partition, offset = r.Offset.Value });
                            }
                        });
                    }
                    catch (KafkaException e)
                    {
                        // As Kafka's tool does: a send that fails at once (no buffer space within max.block.ms, no
                        // metadata) is reported and counted, and producing goes on.
                        Interlocked.Increment(ref failed);
                        Emit(new { timestamp = Now(), name = "producer_send_error", exception = e.Error.Code.ToString(), message = e.Error.Reason, topic = name, key, value });
                    }
                    sent++;
                }
                Console.Error.WriteLine($"stopping: {sent} sent, {Interlocked.Read(ref acked)} acknowledged, {Interlocked.Read(ref failed)} failed; waiting for the rest");
                producer.Flush(CancellationToken.None);
                Console.Error.WriteLine("every record acknowledged or failed; closing the producer");
            }
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Emit(new { timestamp = Now(), name = "shutdown_complete" });
            Emit(new
            {
                timestamp = Now(), name = "tool_data", sent, acked, failed, target_throughput = parse.GetValue(throughput),
                avg_throughput = seconds > 0 ? acked / seconds : 0,
            });
            return failed == 0 ? 0 : 1;
        }));
        return command;
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
