using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Host;

/// <summary>Kafka's kafka-reassign-partitions: generate a plan, execute it (throttled), verify, cancel and list reassignments.</summary>
internal static class ReassignPartitionsCommand
{
    public static Command Create()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var generate = new Option<bool>("--generate") { Description = "Propose a plan moving the topics of --topics-to-move-json-file onto --broker-list" };
        var execute = new Option<bool>("--execute") { Description = "Start the reassignments of --reassignment-json-file" };
        var verify = new Option<bool>("--verify") { Description = "Say which reassignments of --reassignment-json-file are complete" };
        var cancel = new Option<bool>("--cancel") { Description = "Cancel the reassignments of --reassignment-json-file still in progress" };
        var list = new Option<bool>("--list") { Description = "List the reassignments in progress" };
        var topicsFile = new Option<FileInfo?>("--topics-to-move-json-file") { Description = "Kafka's JSON: {\"topics\": [{\"topic\": \"t\"}], \"version\": 1}" };
        var brokerList = new Option<string?>("--broker-list") { Description = "Brokers to place the topics on, e.g. 1,2,3" };
        var planFile = new Option<FileInfo?>("--reassignment-json-file")
        {
            Description = "Kafka's JSON plan: {\"version\": 1, \"partitions\": [{\"topic\": \"t\", \"partition\": 0, \"replicas\": [1, 2]}]}",
        };
        var throttle = new Option<long>("--throttle") { Description = "With --execute: bytes per second each new replica may copy at (default: no limit)" };
        var command = new Command("reassign-partitions",
            "Move partitions to other brokers (Kafka's kafka-reassign-partitions): new replicas copy the log, join the ISR, then the old ones are removed.")
            { bootstrap, generate, execute, verify, cancel, list, topicsFile, brokerList, planFile, throttle };
        command.Options.Add(CliCommon.CommandConfig);
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var actions = new[] { parse.GetValue(generate), parse.GetValue(execute), parse.GetValue(verify), parse.GetValue(cancel), parse.GetValue(list) };
            if (actions.Count(x => x) != 1) throw new UsageException("give exactly one of --generate, --execute, --verify, --cancel and --list");
            if (parse.GetValue(throttle) < 0) throw new UsageException($"--throttle must be 0 or more bytes per second, got {parse.GetValue(throttle)}");
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            if (parse.GetValue(list)) return await ListAsync(admin);
            if (parse.GetValue(generate))
                return await GenerateAsync(admin, parse.GetValue(topicsFile) ?? throw new UsageException("--generate needs --topics-to-move-json-file"),
                    parse.GetValue(brokerList) ?? throw new UsageException("--generate needs --broker-list"));
            var plan = ReadPlan(parse.GetValue(planFile) ?? throw new UsageException("--execute, --verify and --cancel need --reassignment-json-file"));
            if (parse.GetValue(execute)) return await ExecuteAsync(admin, plan, parse.GetValue(throttle));
            if (parse.GetValue(verify)) return await VerifyAsync(admin, plan);
            return await CancelAsync(admin, plan);
        }));
        return command;
    }

    private sealed record PlannedPartition(
        [property: JsonPropertyName("topic")] string Topic,
        [property: JsonPropertyName("partition")] int Partition,
        [property: JsonPropertyName("replicas")] List<int> Replicas,
        [property: JsonPropertyName("log_dirs")] List<string>? LogDirs = null);

    private sealed record Plan([property: JsonPropertyName("version")] int Version, [property: JsonPropertyName("partitions")] List<PlannedPartition> Partitions);

    private sealed record TopicToMove([property: JsonPropertyName("topic")] string Topic);

    private sealed record TopicsToMove([property: JsonPropertyName("topics")] List<TopicToMove>? Topics);

    private static string Json(IEnumerable<PlannedPartition> partitions) =>
        JsonSerializer.Serialize(new Plan(1, partitions.Select(p => p with { LogDirs = p.Replicas.Select(_ => "any").ToList() }).ToList()));

    private static async Task<List<PlannedPartition>> CurrentAsync(IAdminClient admin, IEnumerable<string> topics) =>
        (await admin.GetMetadataAsync(topics.Distinct())).Topics
            .SelectMany(t => t.Partitions.Select(p => new PlannedPartition(t.Topic, p.PartitionId, p.Replicas.ToList())))
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition).ToList();

    private static async Task<int> GenerateAsync(IAdminClient admin, FileInfo topicsFile, string brokerList)
    {
        var topics = Read<TopicsToMove>(topicsFile, "{\"topics\": [{\"topic\": \"t\"}], \"version\": 1}").Topics?.Select(t => t.Topic).ToList();
        if (topics is not { Count: > 0 } || topics.Any(string.IsNullOrEmpty))
            throw new UsageException($"{topicsFile.Name} names no topics: expected {{\"topics\": [{{\"topic\": \"t\"}}], \"version\": 1}}");
        var brokers = new List<int>();
        foreach (var item in brokerList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            brokers.Add(int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw new UsageException($"--broker-list '{brokerList}' must be broker ids separated by commas"));
        if (brokers.Count == 0 || brokers.Distinct().Count() != brokers.Count) throw new UsageException($"--broker-list '{brokerList}' must name distinct brokers");
        var current = await CurrentAsync(admin, topics);
        var proposed = new List<PlannedPartition>();
        foreach (var topic in current.GroupBy(p => p.Topic))
        {
            var replicationFactor = topic.First().Replicas.Count;
            if (replicationFactor > brokers.Count)
                throw new UsageException($"topic '{topic.Key}' has {replicationFactor} replicas per partition but --broker-list names {brokers.Count} broker(s)");
            // The controller's own placement for new topics: replicas on distinct brokers, leaders spread evenly.
            proposed.AddRange(ControllerState.Assign(topic.Key, 0, topic.Count(), replicationFactor, brokers)
                .Select(a => new PlannedPartition(topic.Key, a.Partition, a.Replicas.ToList())));
        }
        Console.WriteLine("Current partition replica assignment");
        Console.WriteLine(Json(current));
        Console.WriteLine();
        Console.WriteLine("Proposed partition reassignment configuration");
        Console.WriteLine(Json(proposed));
        return 0;
    }

    private static async Task<int> ExecuteAsync(IAdminClient admin, List<PlannedPartition> plan, long throttle)
    {
        var current = await CurrentAsync(admin, plan.Select(p => p.Topic));
        Console.WriteLine("Current partition replica assignment");
        Console.WriteLine();
        Console.WriteLine(Json(current.Where(c => plan.Any(p => p.Topic == c.Topic && p.Partition == c.Partition))));
        Console.WriteLine();
        Console.WriteLine("Save this to use as the --reassignment-json-file option during rollback");
        await admin.AlterPartitionReassignmentsAsync(plan.ToDictionary(p => new TopicPartition(p.Topic, p.Partition), p => (IReadOnlyList<int>?)p.Replicas), throttle);
        if (throttle > 0)
            Console.WriteLine($"The inter-broker throttle limit was set to {throttle} B/s for each new replica; it is removed as each reassignment completes.");
        Console.WriteLine($"Successfully started partition reassignments for {string.Join(",", plan.Select(Name))}");
        return 0;
    }

    private static async Task<int> VerifyAsync(IAdminClient admin, List<PlannedPartition> plan)
    {
        var ongoing = (await admin.ListPartitionReassignmentsAsync()).Select(r => r.TopicPartition).ToHashSet();
        var current = (await CurrentAsync(admin, plan.Select(p => p.Topic))).ToDictionary(p => (p.Topic, p.Partition));
        Console.WriteLine("Status of partition reassignment:");
        var failed = false;
        foreach (var p in plan)
        {
            if (ongoing.Contains(new TopicPartition(p.Topic, p.Partition)))
                Console.WriteLine($"Reassignment of partition {Name(p)} is still in progress.");
            else if (current.TryGetValue((p.Topic, p.Partition), out var now) && now.Replicas.SequenceEqual(p.Replicas))
                Console.WriteLine($"Reassignment of partition {Name(p)} is complete.");
            else
            {
                failed = true;
                Console.WriteLine($"There is no active reassignment of partition {Name(p)}, but its replicas are {(now == null ? "unknown (no such partition)" : string.Join(",", now.Replicas))} rather than {string.Join(",", p.Replicas)}.");
            }
        }
        return failed ? 1 : 0;
    }

    private static async Task<int> CancelAsync(IAdminClient admin, List<PlannedPartition> plan)
    {
        var ongoing = (await admin.ListPartitionReassignmentsAsync()).Select(r => r.TopicPartition).ToHashSet();
        var cancelled = plan.Select(p => new TopicPartition(p.Topic, p.Partition)).Where(ongoing.Contains).ToList();
        if (cancelled.Count > 0)
        {
            try
            {
                await admin.AlterPartitionReassignmentsAsync(cancelled.ToDictionary(tp => tp, _ => (IReadOnlyList<int>?)null));
            }
            catch (AlterPartitionReassignmentsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.NoReassignmentInProgress))
            {
                // Those that finished between the list and the cancel have nothing left to cancel.
                var finished = e.Results.Where(r => r.Error.IsError).Select(r => r.TopicPartition).ToHashSet();
                Console.WriteLine($"Already complete: {string.Join(",", finished.Select(tp => $"{tp.Topic}-{tp.Partition.Value}"))}");
                cancelled.RemoveAll(finished.Contains);
            }
        }
        Console.WriteLine(cancelled.Count == 0
            ? "None of the plan's partitions is being reassigned: nothing to cancel."
            : $"Successfully cancelled partition reassignments for: {string.Join(",", cancelled.Select(tp => $"{tp.Topic}-{tp.Partition.Value}"))}");
        return 0;
    }

    private static async Task<int> ListAsync(IAdminClient admin)
    {
        var ongoing = await admin.ListPartitionReassignmentsAsync();
        if (ongoing.Count == 0)
        {
            Console.WriteLine("No partition reassignments found.");
            return 0;
        }
        Console.WriteLine("Current partition reassignments:");
        foreach (var r in ongoing)
            Console.WriteLine($"{r.TopicPartition.Topic}-{r.TopicPartition.Partition.Value}: replicas: {string.Join(",", r.Replicas)}. adding: {string.Join(",", r.AddingReplicas)}. " +
                              $"removing: {string.Join(",", r.RemovingReplicas)}.{(r.ThrottleBytesPerSecond > 0 ? $" throttle: {r.ThrottleBytesPerSecond} B/s." : "")}");
        return 0;
    }

    private static string Name(PlannedPartition p) => $"{p.Topic}-{p.Partition}";

    private static List<PlannedPartition> ReadPlan(FileInfo file)
    {
        var plan = Read<Plan>(file, "{\"version\": 1, \"partitions\": [{\"topic\": \"t\", \"partition\": 0, \"replicas\": [1, 2]}]}");
        if (plan.Partitions is not { Count: > 0 } partitions)
            throw new UsageException($"{file.Name} names no partitions: expected {{\"version\": 1, \"partitions\": [{{\"topic\": \"t\", \"partition\": 0, \"replicas\": [1, 2]}}]}}");
        if (partitions.FirstOrDefault(p => string.IsNullOrEmpty(p.Topic) || p.Partition < 0 || p.Replicas is not { Count: > 0 }) is { } bad)
            throw new UsageException($"{file.Name}: each partition needs a topic, a partition number and replicas; got {JsonSerializer.Serialize(bad)}");
        if (partitions.GroupBy(p => (p.Topic, p.Partition)).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UsageException($"{file.Name} names {twice.Key.Topic}-{twice.Key.Partition} more than once");
        return partitions;
    }

    private static T Read<T>(FileInfo file, string shape)
    {
        if (!file.Exists) throw new UsageException($"{file.FullName} does not exist");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(file.FullName))
                   ?? throw new UsageException($"{file.Name} is empty: expected {shape}");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{file.Name} is not valid JSON ({e.Message}); expected {shape}");
        }
    }
}
