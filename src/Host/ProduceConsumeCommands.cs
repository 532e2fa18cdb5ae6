using System.CommandLine;
using AkkaBroker.Client;

namespace AkkaBroker.Host;

/// <summary><c>produce</c> and <c>consume</c>: console producer and consumer, shaped after Kafka's.</summary>
internal static class ProduceConsumeCommands
{
    public static Command Produce()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var property = CliCommon.KeyValues("--property", "Reader property: parse.key=true, key.separator=:");
        var producerProperty = CliCommon.KeyValues("--producer-property", "Producer config, e.g. acks=1 or linger.ms=0");
        var producerConfig = new Option<FileInfo?>("--producer.config") { Description = "Properties file of producer config (Kafka client keys); --producer-property overrides it" };
        var command = new Command("produce", "Produce one record per line of standard input; exits non-zero if any record was not acknowledged.")
            { bootstrap, topic, property, producerProperty, producerConfig };
        command.SetAction(parse => CliCommon.RunAsync(() =>
        {
            var props = CliCommon.ParseKeyValues("--property", parse.GetValue(property));
            var parseKey = props.TryGetValue("parse.key", out var pk) && bool.Parse(pk);
            var separator = props.GetValueOrDefault("key.separator", "\t");
            var unknown = props.Keys.Except(["parse.key", "key.separator"]).ToArray();
            if (unknown.Length > 0) throw new UsageException($"unknown --property {string.Join(", ", unknown)}: use parse.key or key.separator");
            var properties = CliCommon.ClientProperties(parse.GetValue(producerConfig), "--producer.config");
            foreach (var (k, v) in CliCommon.ParseKeyValues("--producer-property", parse.GetValue(producerProperty))) properties[k] = v;
            var config = new ProducerConfig(properties)
            {
                BootstrapServers = parse.GetValue(bootstrap),
            };
            var name = parse.GetValue(topic)!;
            long sent = 0, failed = 0;
            using (var producer = new ProducerBuilder<string?, string>(config).SetErrorHandler((_, e) => CliCommon.Warn(e)).Build())
            {
                string? line;
                while ((line = Console.ReadLine()) != null)
                {
                    string? key = null;
                    var value = line;
                    if (parseKey)
                    {
                        var at = line.IndexOf(separator, StringComparison.Ordinal);
                        if (at < 0)
                        {
                            Console.Error.WriteLine($"error: no key separator '{separator}' in line {sent + failed + 1}: {line}");
                            failed++;
                            continue;
                        }
                        key = line[..at];
                        value = line[(at + separator.Length)..];
                    }
                    producer.Produce(name, new Message<string?, string> { Key = key, Value = value }, report =>
                    {
                        if (report.Error.IsError)
                        {
                            Interlocked.Increment(ref failed);
                            Console.Error.WriteLine($"error: record not acknowledged: {report.Error}");
                        }
                    });
                    sent++;
                }
                producer.Flush(CancellationToken.None);
            }
            return Task.FromResult(failed == 0 ? 0 : 1);
        }));
        return command;
    }

    public static Command Consume()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "Start at the log start instead of the log end" };
        var partition = new Option<int?>("--partition") { Description = "Consume only this partition" };
        var offset = new Option<string?>("--offset") { Description = "Start offset: a number, earliest or latest (needs --partition)" };
        var maxMessages = new Option<long?>("--max-messages") { Description = "Exit after this many records" };
        var timeoutMs = new Option<int?>("--timeout-ms") { Description = "Exit when no record arrives for this long" };
        var property = CliCommon.KeyValues("--property", "Formatter property: print.key=true, print.offset=true, print.partition=true, print.timestamp=true, key.separator=\\t");
        var consumerProperty = CliCommon.KeyValues("--consumer-property", "Consumer config, e.g. fetch.min.bytes=1024");
        var group = new Option<string?>("--group") { Description = "Consumer group: share the topic's partitions with its other consumers and commit offsets" };
        var consumerConfig = new Option<FileInfo?>("--consumer.config") { Description = "Properties file of consumer config (Kafka client keys); --consumer-property overrides it" };
        var command = new Command("consume", "Print records of a topic to standard output, one per line.")
            { bootstrap, topic, fromBeginning, partition, offset, maxMessages, timeoutMs, property, consumerProperty, group, consumerConfig };
        command.SetAction((parse, ct) => CliCommon.RunAsync(async () =>
        {
            var groupId = parse.GetValue(group);
            if (groupId != null && (parse.GetValue(partition) != null || parse.GetValue(offset) != null))
                throw new UsageException("--group shares the topic's partitions among the group's consumers; it cannot be combined with --partition or --offset");
            var props = CliCommon.ParseKeyValues("--property", parse.GetValue(property));
            bool Flag(string k) => props.TryGetValue(k, out var v) && bool.Parse(v);
            var separator = props.GetValueOrDefault("key.separator", "\t");
            var name = parse.GetValue(topic)!;
            var properties = CliCommon.ClientProperties(parse.GetValue(consumerConfig), "--consumer.config");
            foreach (var (k, v) in CliCommon.ParseKeyValues("--consumer-property", parse.GetValue(consumerProperty))) properties[k] = v;
            var config = new ConsumerConfig(properties)
            {
                BootstrapServers = parse.GetValue(bootstrap),
            };
            Offset start = parse.GetValue(fromBeginning) ? Offset.Beginning : Offset.End;
            if (parse.GetValue(offset) is { } o)
            {
                if (parse.GetValue(partition) == null) throw new UsageException("--offset needs --partition");
                start = o switch
                {
                    "earliest" => Offset.Beginning,
                    "latest" => Offset.End,
                    _ when long.TryParse(o, out var n) && n >= 0 => n,
                    _ => throw new UsageException($"--offset must be a non-negative number, earliest or latest, got '{o}'"),
                };
            }
            List<TopicPartitionOffset> assignment = [];
            if (groupId != null)
            {
                config.GroupId = groupId;
                // As Kafka's console consumer: --from-beginning applies where the group has no committed offset.
                if (parse.GetValue(fromBeginning) && config.Get("auto.offset.reset") == null) config.AutoOffsetReset = AutoOffsetReset.Earliest;
            }
            else if (parse.GetValue(partition) is { } p) assignment = [new TopicPartitionOffset(name, p, start)];
            else
            {
                using var admin = CliCommon.Admin(config);
                var metadata = await admin.GetMetadataAsync([name]);
                assignment = metadata.Topics[0].Partitions.Select(x => new TopicPartitionOffset(name, x.PartitionId, start)).ToList();
            }

            using var consumer = new ConsumerBuilder<string?, string?>(config).SetErrorHandler((_, e) => CliCommon.Warn(e)).Build();
            if (groupId != null) consumer.Subscribe(name);
            else consumer.Assign(assignment);
            var max = parse.GetValue(maxMessages) ?? long.MaxValue;
            var idle = parse.GetValue(timeoutMs) is { } t ? TimeSpan.FromMilliseconds(t) : Timeout.InfiniteTimeSpan;
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var signals = CliCommon.OnStopSignal(cancel.Cancel);
            long count = 0;
            var output = Console.Out;
            try
            {
                while (count < max && !cancel.IsCancellationRequested)
                {
                    var result = idle == Timeout.InfiniteTimeSpan ? consumer.Consume(cancel.Token) : consumer.Consume(idle);
                    if (result == null) break;
                    if (result.IsPartitionEOF) continue;
                    var line = new System.Text.StringBuilder();
                    if (Flag("print.timestamp")) line.Append(result.Message!.Timestamp.Type).Append(':').Append(result.Message.Timestamp.UnixTimestampMs).Append(separator);
                    if (Flag("print.partition")) line.Append("Partition:").Append(result.Partition).Append(separator);
                    if (Flag("print.offset")) line.Append("Offset:").Append(result.Offset.Value).Append(separator);
                    if (Flag("print.key")) line.Append(result.Message!.Key ?? "null").Append(separator);
                    line.Append(result.Message!.Value ?? "null");
                    await output.WriteLineAsync(line.ToString());
                    count++;
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // Ctrl-C: stop and report like Kafka's console consumer.
            }
            await output.FlushAsync(CancellationToken.None);
            await Console.Error.WriteLineAsync($"Processed a total of {count} messages");
            consumer.Close();
            return 0;
        }));
        return command;
    }
}
