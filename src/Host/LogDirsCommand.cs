using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AkkaBroker.Client;

namespace AkkaBroker.Host;

/// <summary>Kafka's kafka-log-dirs --describe: each broker's replicas and their sizes, as Kafka's JSON.</summary>
internal static class LogDirsCommand
{
    // A broker keeps every replica in its one journal; Kafka's JSON needs a directory name per group of replicas.
    private const string LogDir = "journal";

    public static Command Create()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var describe = new Option<bool>("--describe") { Description = "Describe the brokers' replicas (the only action, as in Kafka's tool)", Required = true };
        var brokerList = new Option<string?>("--broker-list") { Description = "Brokers to describe, e.g. 1,2 (default: all live brokers)" };
        var topicList = new Option<string?>("--topic-list") { Description = "Topics to describe, e.g. orders,payments (default: all)" };
        var command = new Command("log-dirs", "Each broker's partition replicas, their sizes and how far they are behind their leaders (Kafka's kafka-log-dirs).")
            { bootstrap, describe, brokerList, topicList };
        command.Options.Add(CliCommon.CommandConfig);
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var brokers = parse.GetValue(brokerList)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw new UsageException($"--broker-list must be broker ids separated by commas, got '{b}'"))
                .ToList();
            var topics = parse.GetValue(topicList)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            Console.WriteLine("Querying brokers for log directories information");
            var replicas = await admin.DescribeReplicaLogsAsync(brokers, topics);
            var byBroker = replicas.GroupBy(r => r.BrokerId).OrderBy(g => g.Key).ToList();
            Console.WriteLine($"Received log directory information from brokers {string.Join(",", byBroker.Select(g => g.Key))}");
            var json = new
            {
                version = 1,
                brokers = byBroker.Select(g => new
                {
                    broker = g.Key,
                    logDirs = new[]
                    {
                        new
                        {
                            logDir = LogDir,
                            error = g.All(r => r.Error.IsError) ? g.First().Error.ToString() : null,
                            partitions = g.Where(r => !r.Error.IsError).Select(r => new
                            {
                                partition = $"{r.TopicPartition.Topic}-{r.TopicPartition.Partition.Value}", size = r.SizeBytes, offsetLag = r.OffsetLag, isFuture = false,
                            }),
                        },
                    },
                }),
            };
            Console.WriteLine(JsonSerializer.Serialize(json));
            foreach (var failed in replicas.Where(r => r.Error.IsError))
                await Console.Error.WriteLineAsync($"warning: broker {failed.BrokerId}'s replica of {failed.TopicPartition}: {failed.Error}");
            return 0;
        }));
        return command;
    }
}
