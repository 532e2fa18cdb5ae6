using System.CommandLine;
using System.Text.Json;
using AkkaBroker.Client;

namespace AkkaBroker.Host;

/// <summary>
/// <c>verifiable-consumer</c>: a consumer-group member that prints one JSON line per event, as Kafka's
/// VerifiableConsumer does (partitions assigned/revoked, records consumed per batch with offset ranges, offsets
/// committed), so a test can check every record was consumed and which ones were consumed twice.
/// </summary>
internal static class VerifiableConsumerCommand
{
    public static Command Create()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var groupId = new Option<string>("--group-id") { Description = "Consumer group", Required = true };
        var maxMessages = new Option<long>("--max-messages") { Description = "Stop after consuming this many records (-1: until stopped)", DefaultValueFactory = _ => -1 };
        var autoCommit = new Option<bool>("--enable-autocommit") { Description = "Let the consumer auto-commit; otherwise commit synchronously after each batch" };
        var strategy = new Option<string?>("--assignment-strategy") { Description = "partition.assignment.strategy (range, roundrobin, sticky, cooperative-sticky)" };
        var instanceId = new Option<string?>("--group-instance-id") { Description = "group.instance.id: a static member" };
        var sessionTimeout = new Option<int?>("--session-timeout") { Description = "session.timeout.ms" };
        var resetPolicy = new Option<string>("--reset-policy") { Description = "auto.offset.reset: earliest, latest or none", DefaultValueFactory = _ => "earliest" };
        var consumerProperty = CliCommon.KeyValues("--consumer-property", "Consumer config");
        var command = new Command("verifiable-consumer", "Consume as a group member, printing one JSON line per rebalance, consumed batch and commit.")
            { bootstrap, topic, groupId, maxMessages, autoCommit, strategy, instanceId, sessionTimeout, resetPolicy, consumerProperty };
        command.SetAction((parse, ct) => CliCommon.RunAsync(() =>
        {
            var config = new ConsumerConfig(CliCommon.ParseKeyValues("--consumer-property", parse.GetValue(consumerProperty)))
            {
                BootstrapServers = parse.GetValue(bootstrap),
                GroupId = parse.GetValue(groupId),
                EnableAutoCommit = parse.GetValue(autoCommit),
                EnableAutoOffsetStore = false,
            };
            config.Set("auto.offset.reset", parse.GetValue(resetPolicy)!);
            if (parse.GetValue(strategy) is { } s) config.Set("partition.assignment.strategy", s);
            if (parse.GetValue(instanceId) is { } id) config.GroupInstanceId = id;
            if (parse.GetValue(sessionTimeout) is { } st) config.SessionTimeoutMs = st;
            var max = parse.GetValue(maxMessages);
            var autoCommitOn = parse.GetValue(autoCommit);

            static object Partitions(IEnumerable<TopicPartition> tps) => tps.Select(tp => new { topic = tp.Topic, partition = tp.Partition }).ToArray();

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var signals = CliCommon.OnStopSignal(stop.Cancel);
            // A batch is what one Kafka poll would return: records already fetched, up to max.poll.records. It is reported
            // and committed before the next batch, and also before partitions are revoked (a rebalance can start while it
            // is being drained), so the only records ever consumed twice are those of a member that died.
            var batch = new List<ConsumeResult<string?, string?>>();
            long total = 0;
            void Flush(IConsumer<string?, string?> c, bool commit)
            {
                if (batch.Count == 0) return;
                total += batch.Count;
                Emit(new
                {
                    name = "records_consumed",
                    count = batch.Count,
                    partitions = batch.GroupBy(r => r.TopicPartition).Select(g => new
                    {
                        topic = g.Key.Topic, partition = g.Key.Partition, count = g.Count(),
                        minOffset = g.Min(r => r.Offset.Value), maxOffset = g.Max(r => r.Offset.Value),
                    }).ToArray(),
                });
                var offsets = batch.GroupBy(r => r.TopicPartition)
                    .Select(g => new TopicPartitionOffset(g.Key, new Offset(g.Max(r => r.Offset.Value) + 1))).ToList();
                batch.Clear();
                // Auto-commit only ever commits what was printed: offsets are stored after the records are reported.
                if (autoCommitOn) foreach (var o in offsets) c.StoreOffset(o);
                if (!commit) return;
                try
                {
                    c.Commit(offsets);
                    Emit(new { name = "offsets_committed", success = true, error = (string?)null, offsets = CommittedJson(offsets) });
                }
                catch (KafkaException e)
                {
                    Emit(new { name = "offsets_committed", success = false, error = e.Error.ToString(), offsets = CommittedJson(offsets) });
                }
            }

            using var consumer = new ConsumerBuilder<string?, string?>(config)
                .SetPartitionsAssignedHandler((_, tps) => Emit(new { name = "partitions_assigned", partitions = Partitions(tps) }))
                .SetPartitionsRevokedHandler((c, tps) =>
                {
                    Flush(c, commit: !autoCommitOn);
                    // Auto-commit ran before this handler; what the flush just stored is committed here, before the
                    // partitions move, so a rebalance re-delivers nothing a live member consumed.
                    if (autoCommitOn)
                    {
                        try
                        {
                            c.Commit();
                        }
                        catch (KafkaException e) when (e.Error.Code == AkkaBroker.Client.ErrorCode.Local_NoOffset)
                        {
                            // Nothing consumed yet: nothing to commit.
                        }
                        catch (KafkaException e)
                        {
                            Emit(new { name = "offsets_committed", success = false, error = e.Error.ToString(), offsets = Array.Empty<object>() });
                        }
                    }
                    Emit(new { name = "partitions_revoked", partitions = Partitions(tps.Select(t => t.TopicPartition)) });
                })
                .SetPartitionsLostHandler((c, tps) =>
                {
                    // Lost partitions belong to someone else already: report what was consumed, commit nothing.
                    Flush(c, commit: false);
                    Emit(new { name = "partitions_lost", partitions = Partitions(tps.Select(t => t.TopicPartition)) });
                })
                .Build();
            consumer.Subscribe(parse.GetValue(topic)!);
            Emit(new { name = "startup_complete" });
            try
            {
                while ((max < 0 || total < max) && !stop.IsCancellationRequested)
                {
                    var first = consumer.Consume(TimeSpan.FromMilliseconds(200));
                    if (first == null) continue;
                    batch.Add(first);
                    while (batch.Count < 500 && (max < 0 || total + batch.Count < max) && consumer.Consume(TimeSpan.Zero) is { } next) batch.Add(next);
                    Flush(consumer, commit: !autoCommitOn);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Ctrl-C or SIGTERM: close cleanly below.
            }
            consumer.Close();
            Emit(new { name = "shutdown_complete" });
            return Task.FromResult(0);
        }));
        return command;
    }

    private static object CommittedJson(IEnumerable<TopicPartitionOffset> offsets) =>
        offsets.Select(o => new { topic = o.Topic, partition = o.Partition, offset = o.Offset.Value }).ToArray();

    private static readonly object Output = new();

    private static void Emit(object e)
    {
        // One whole line per event, flushed at once: a test reading a process killed with -9 must see complete events.
        var json = JsonSerializer.Serialize(e);
        var withTimestamp = "{\"timestamp\":" + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + "," + json[1..];
        lock (Output)
        {
            Console.Out.WriteLine(withTimestamp);
            Console.Out.Flush();
        }
    }
}
