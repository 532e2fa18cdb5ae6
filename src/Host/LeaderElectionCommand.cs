using System.CommandLine;
using System.Text.Json;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Host;

/// <summary>Kafka's kafka-leader-election: preferred or unclean elections asked of the controller.</summary>
internal static class LeaderElectionCommand
{
    public static Command Create()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var type = new Option<string>("--election-type")
        {
            Description = "preferred: give partitions back to their first replica when it is live and in sync; " +
                          "unclean: give partitions with no live leader any live replica (acknowledged records may be lost)",
            Required = true,
        };
        type.AcceptOnlyFromAmong("preferred", "unclean", "PREFERRED", "UNCLEAN");
        var topic = CliCommon.Topic(required: false);
        var partition = new Option<int?>("--partition") { Description = "The partition of --topic (default: all of its partitions)" };
        var all = new Option<bool>("--all-topic-partitions") { Description = "Every partition of every topic" };
        var jsonFile = new Option<FileInfo?>("--path-to-json-file")
        {
            Description = "Partitions as Kafka's JSON: {\"partitions\": [{\"topic\": \"t\", \"partition\": 0}, ...]}",
        };
        var command = new Command("leader-election", "Elect partition leaders (Kafka's kafka-leader-election): preferred or unclean.")
            { bootstrap, type, topic, partition, all, jsonFile };
        command.Options.Add(CliCommon.CommandConfig);
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var electionType = parse.GetValue(type)!.ToLowerInvariant() == "preferred" ? ElectionType.Preferred : ElectionType.Unclean;
            var chosen = new[] { parse.GetValue(topic) != null, parse.GetValue(all), parse.GetValue(jsonFile) != null }.Count(x => x);
            if (chosen != 1) throw new UsageException("give exactly one of --topic, --all-topic-partitions and --path-to-json-file");
            if (parse.GetValue(partition) != null && parse.GetValue(topic) == null) throw new UsageException("--partition needs --topic");

            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            List<TopicPartition>? partitions = null;
            if (parse.GetValue(topic) is { } name)
                partitions = parse.GetValue(partition) is { } p
                    ? [new TopicPartition(name, p)]
                    : (await admin.GetMetadataAsync([name])).Topics.Single().Partitions.Select(x => new TopicPartition(name, x.PartitionId)).ToList();
            else if (parse.GetValue(jsonFile) is { } file)
                partitions = ReadPartitions(file);

            var label = electionType.ToString().ToUpperInvariant();
            List<TopicPartitionError> outcomes;
            try
            {
                outcomes = (await admin.ElectLeadersAsync(electionType, partitions)).TopicPartitions;
            }
            catch (ElectLeadersException e)
            {
                outcomes = e.Results.TopicPartitions;
            }
            var elected = outcomes.Where(o => !o.Error.IsError).Select(o => o.TopicPartition.ToString()).ToList();
            var notNeeded = outcomes.Where(o => o.Error.Code == ErrorCode.ElectionNotNeeded).Select(o => o.TopicPartition.ToString()).ToList();
            var failed = outcomes.Where(o => o.Error.IsError && o.Error.Code != ErrorCode.ElectionNotNeeded).ToList();
            if (elected.Count > 0) Console.WriteLine($"Successfully completed leader election ({label}) for partitions {string.Join(", ", elected)}");
            if (notNeeded.Count > 0) Console.WriteLine($"Valid replica already elected for partitions {string.Join(", ", notNeeded)}");
            if (outcomes.Count == 0) Console.WriteLine($"No partition needed a {label} leader election.");
            foreach (var f in failed) await Console.Error.WriteLineAsync($"Error completing leader election ({label}) for partition {f.TopicPartition}: {f.Error}");
            return failed.Count == 0 ? 0 : 1;
        }));
        return command;
    }

    private sealed record PartitionEntry(string Topic, int Partition);

    private sealed record PartitionsFile(List<PartitionEntry>? Partitions);

    /// <summary>Kafka's election JSON file: <c>{"partitions": [{"topic": "t", "partition": 0}]}</c>.</summary>
    private static List<TopicPartition> ReadPartitions(FileInfo file)
    {
        if (!file.Exists) throw new UsageException($"--path-to-json-file {file.FullName} does not exist");
        PartitionsFile? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<PartitionsFile>(File.ReadAllText(file.FullName), new JsonSerializerOptions { PropertyNameCaseInsensitive = true });
        }
        catch (JsonException e)
        {
            throw new UsageException($"{file.Name} is not valid JSON ({e.Message}); expected {{\"partitions\": [{{\"topic\": \"t\", \"partition\": 0}}]}}");
        }
        if (parsed?.Partitions is not { Count: > 0 } entries || entries.Any(e => string.IsNullOrEmpty(e.Topic) || e.Partition < 0))
            throw new UsageException($"{file.Name} names no partitions: expected {{\"partitions\": [{{\"topic\": \"t\", \"partition\": 0}}]}}");
        return entries.Select(e => new TopicPartition(e.Topic, e.Partition)).ToList();
    }
}
