using System.CommandLine;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Host;

/// <summary><c>topics create|list|describe|delete|alter|delete-records</c>, shaped after kafka-topics.sh (and kafka-delete-records.sh).</summary>
internal static class TopicsCommand
{
    public static Command Create()
    {
        var command = new Command("topics", "Create, list, describe, delete and alter topics.");
        command.Options.Add(CliCommon.CommandConfig);
        command.Subcommands.Add(CreateTopic());
        command.Subcommands.Add(ListTopics());
        command.Subcommands.Add(DescribeTopics());
        command.Subcommands.Add(DeleteTopic());
        command.Subcommands.Add(AlterTopic());
        command.Subcommands.Add(DeleteRecords());
        return command;
    }

    private static Command CreateTopic()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var partitions = new Option<int>("--partitions") { Description = "Number of partitions (default: the broker's num.partitions)", DefaultValueFactory = _ => -1 };
        var rf = new Option<short>("--replication-factor") { Description = "Replication factor (default: the broker's default.replication.factor)", DefaultValueFactory = _ => -1 };
        var config = CliCommon.KeyValues("--config", "Topic config override, e.g. cleanup.policy=compact");
        var command = new Command("create", "Create a topic.") { bootstrap, topic, partitions, rf, config };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var configs = CliCommon.ParseKeyValues("--config", parse.GetValue(config));
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var name = parse.GetValue(topic)!;
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = name, NumPartitions = parse.GetValue(partitions), ReplicationFactor = parse.GetValue(rf), Configs = configs,
            }]);
            Console.WriteLine($"Created topic {name}.");
            return 0;
        }));
        return command;
    }

    private static Command ListTopics()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var command = new Command("list", "List topic names.") { bootstrap };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var metadata = await admin.GetMetadataAsync();
            foreach (var t in metadata.Topics) Console.WriteLine(t.Topic);
            return 0;
        }));
        return command;
    }

    private static Command DescribeTopics()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic(required: false);
        var command = new Command("describe",
            "Describe topics: partitions, leaders, replicas, in-sync replicas, config overrides, and each partition's log on its leader " +
            "(start and end offset, size, segments; dirty ratio for compacted topics).") { bootstrap, topic };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var name = parse.GetValue(topic);
            var metadata = await admin.GetMetadataAsync(name == null ? null : [name]);
            foreach (var t in metadata.Topics)
            {
                var configs = (await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = t.Topic }])).Single().Entries.Values;
                var overrides = string.Join(",", configs.Where(c => !c.IsDefault).Select(c => $"{c.Name}={c.Value}"));
                var rf = t.Partitions.Count == 0 ? 0 : t.Partitions[0].Replicas.Length;
                Console.WriteLine($"Topic: {t.Topic}\tPartitionCount: {t.Partitions.Count}\tReplicationFactor: {rf}\tConfigs: {overrides}");
                var compacted = configs.Any(c => c.Name == "cleanup.policy" && c.Value?.Contains("compact") == true);
                foreach (var p in t.Partitions)
                    Console.WriteLine($"\tTopic: {t.Topic}\tPartition: {p.PartitionId}\tLeader: {(p.Leader < 0 ? "none" : p.Leader)}\tReplicas: {string.Join(",", p.Replicas)}\tIsr: {string.Join(",", p.InSyncReplicas)}" +
                                      (p.Leader < 0 ? "\tOffline: no in-sync replica is live" : p.InSyncReplicas.Length < p.Replicas.Length ? "\tUnder-replicated" : "") +
                                      (p.Leader < 0 ? "" : await DescribeLog(admin, new TopicPartition(t.Topic, p.PartitionId), compacted)));
            }
            return 0;
        }));
        return command;
    }

    /// <summary>The partition's log columns, or why they are missing (the describe goes on for the other partitions).</summary>
    private static async Task<string> DescribeLog(IAdminClient admin, TopicPartition partition, bool compacted)
    {
        try
        {
            var log = await admin.DescribeLogAsync(partition);
            return $"\tLogStartOffset: {log.LogStartOffset}\tLogEndOffset: {log.LogEndOffset}\tSize: {log.SizeBytes}\tSegments: {log.SegmentCount}" +
                   (compacted ? FormattableString.Invariant($"\tCleanedUpTo: {log.CleanedUpTo}\tDirtyRatio: {log.DirtyRatio:0.00}") : "");
        }
        catch (KafkaException e)
        {
            return $"\tLog: unavailable ({e.Error.Reason})";
        }
    }

    private static Command DeleteTopic()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var command = new Command("delete", "Delete a topic and its log.") { bootstrap, topic };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            await admin.DeleteTopicsAsync([parse.GetValue(topic)!]);
            Console.WriteLine($"Deleted topic {parse.GetValue(topic)}.");
            return 0;
        }));
        return command;
    }

    private static Command DeleteRecords()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var partition = new Option<int[]>("--partition") { Description = "Partition to trim (repeatable; default: every partition of the topic)", Arity = ArgumentArity.ZeroOrMore };
        var offset = new Option<long>("--offset")
        {
            Description = "Delete the records before this offset; -1 deletes every record up to the high watermark", Required = true,
        };
        var command = new Command("delete-records",
            "Delete a topic's records before an offset (Kafka's kafka-delete-records): the log start moves there and readers start from it.")
            { bootstrap, topic, partition, offset };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var name = parse.GetValue(topic)!;
            var at = parse.GetValue(offset);
            if (at < -1) throw new UsageException($"--offset {at} is not an offset: give 0 or more, or -1 for the high watermark");
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var partitions = parse.GetValue(partition) is { Length: > 0 } chosen
                ? chosen
                : (await admin.GetMetadataAsync([name])).Topics.SingleOrDefault(t => t.Topic == name)?.Partitions.Select(p => p.PartitionId).ToArray() ?? [];
            if (partitions.Length == 0) throw new UsageException($"topic '{name}' does not exist: see 'topics list'");
            var deleted = await admin.DeleteRecordsAsync(partitions.Select(p => new TopicPartitionOffset(name, p, at == -1 ? Offset.End : new Offset(at))));
            foreach (var d in deleted) Console.WriteLine($"{d.TopicPartition}: the log now starts at offset {d.Offset.Value}");
            return 0;
        }));
        return command;
    }

    private static Command AlterTopic()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var partitions = new Option<int?>("--partitions") { Description = "New, larger partition count" };
        var config = CliCommon.KeyValues("--config", "Topic config to set");
        var deleteConfig = new Option<string[]>("--delete-config") { Description = "Topic config to return to its default (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("alter", "Add partitions to a topic or change its configs.") { bootstrap, topic, partitions, config, deleteConfig };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var name = parse.GetValue(topic)!;
            var set = CliCommon.ParseKeyValues("--config", parse.GetValue(config));
            var delete = parse.GetValue(deleteConfig) ?? [];
            var newCount = parse.GetValue(partitions);
            if (newCount == null && set.Count == 0 && delete.Length == 0)
                throw new UsageException("nothing to alter: give --partitions, --config or --delete-config");
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            if (newCount is { } n)
            {
                await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = name, IncreaseTo = n }]);
                Console.WriteLine($"Topic {name} now has {n} partitions.");
            }
            if (set.Count > 0 || delete.Length > 0)
            {
                await admin.IncrementalAlterConfigsAsync(new()
                {
                    [new ConfigResource { Type = ResourceType.Topic, Name = name }] =
                        set.Select(kv => new ConfigEntry { Name = kv.Key, Value = kv.Value, IncrementalOperation = AlterConfigOpType.Set })
                            .Concat(delete.Select(k => new ConfigEntry { Name = k, IncrementalOperation = AlterConfigOpType.Delete })).ToList(),
                });
                Console.WriteLine($"Updated configs of topic {name}.");
            }
            return 0;
        }));
        return command;
    }
}
