using System.CommandLine;
using System.Globalization;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Host;

/// <summary><c>groups list|describe|delete|reset-offsets|delete-offsets</c>, shaped after kafka-consumer-groups.sh.</summary>
internal static class GroupsCommand
{
    public static Command Create()
    {
        var command = new Command("groups", "List, describe and delete consumer groups, and reset or delete their offsets.");
        command.Options.Add(CliCommon.CommandConfig);
        command.Subcommands.Add(ListGroups());
        command.Subcommands.Add(DescribeGroup());
        command.Subcommands.Add(DeleteGroup());
        command.Subcommands.Add(ResetOffsets());
        command.Subcommands.Add(DeleteOffsets());
        return command;
    }

    private static Option<string> Group(bool required = true) => new("--group") { Description = "Consumer group id", Required = required };

    private static Option<bool> AllGroups(string description) => new("--all-groups") { Description = description };

    private static Command ListGroups()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var command = new Command("list", "List consumer group ids.") { bootstrap };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var listed = await admin.ListConsumerGroupsAsync();
            foreach (var g in listed.Valid) Console.WriteLine(g.GroupId);
            foreach (var error in listed.Errors) await Console.Error.WriteLineAsync($"error: {error}");
            return listed.Errors.Count == 0 ? 0 : 1;
        }));
        return command;
    }

    private static Command DescribeGroup()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var group = Group(required: false);
        var allGroups = AllGroups("Describe every group");
        var command = new Command("describe", "Show a group's state and members, and per partition the committed offset, log end offset and lag.")
            { bootstrap, group, allGroups };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var ids = await GroupIdsAsync(admin, parse.GetValue(group), parse.GetValue(allGroups));
            var first = true;
            foreach (var id in ids)
            {
                if (!first) Console.WriteLine();
                first = false;
                var d = await admin.DescribeConsumerGroupAsync(id);
                if (d.State == ConsumerGroupState.Dead)
                {
                    await Console.Error.WriteLineAsync($"error: consumer group '{d.GroupId}' does not exist.");
                    if (!parse.GetValue(allGroups)) return 1;
                    continue; // deleted since it was listed
                }
                await PrintAsync(admin, d);
            }
            return 0;
        }));
        return command;
    }

    private static async Task PrintAsync(IAdminClient admin, ConsumerGroupDescription d)
    {
        Console.WriteLine($"GROUP {d.GroupId}  STATE {d.State}  GENERATION {d.GenerationId}  ASSIGNOR {(d.PartitionAssignor.Length > 0 ? d.PartitionAssignor : "-")}  MEMBERS {d.Members.Count}");
        Console.WriteLine();
        var owner = d.Members.SelectMany(m => m.Assignment.TopicPartitions.Select(tp => (tp, m))).ToDictionary(x => x.tp, x => x.m);
        var committed = d.CommittedOffsets.ToDictionary(o => o.TopicPartition, o => o.Offset.Value);
        var partitions = committed.Keys.Concat(owner.Keys).Distinct().OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition).ToList();
        var ends = await LogEndsAsync(admin, partitions);
        Console.WriteLine($"{"TOPIC",-24} {"PARTITION",9} {"CURRENT-OFFSET",15} {"LOG-END-OFFSET",15} {"LAG",8}  {"CONSUMER-ID",-44} CLIENT-ID");
        foreach (var tp in partitions)
        {
            var end = ends[tp];
            var current = committed.TryGetValue(tp, out var c) ? c : -1;
            var lag = current >= 0 && end >= 0 ? Math.Max(0, end - current).ToString(CultureInfo.InvariantCulture) : "-";
            var member = owner.GetValueOrDefault(tp);
            Console.WriteLine($"{tp.Topic,-24} {tp.Partition,9} {(current >= 0 ? current.ToString(CultureInfo.InvariantCulture) : "-"),15} {(end >= 0 ? end.ToString(CultureInfo.InvariantCulture) : "-"),15} {lag,8}  {member?.ConsumerId ?? "-",-44} {member?.ClientId ?? "-"}");
        }
        foreach (var m in d.Members.Where(m => m.Assignment.TopicPartitions.Count == 0))
            Console.WriteLine($"{"-",-24} {"-",9} {"-",15} {"-",15} {"-",8}  {m.ConsumerId,-44} {m.ClientId}");
    }

    private static async Task<Dictionary<TopicPartition, long>> LogEndsAsync(IAdminClient admin, IReadOnlyCollection<TopicPartition> partitions)
    {
        if (partitions.Count == 0) return new();
        List<ListOffsetsResultInfo> infos;
        try
        {
            infos = (await admin.ListOffsetsAsync(partitions.Select(tp => new TopicPartitionOffsetSpec { TopicPartition = tp, OffsetSpec = OffsetSpec.Latest() }))).ResultInfos;
        }
        catch (ListOffsetsException e)
        {
            // A partition whose topic was deleted still has its committed offset: its log end is unknown (shown "-"),
            // the rest are shown, and the user is told why.
            infos = e.Result.ResultInfos;
            foreach (var failed in infos.Where(i => i.TopicPartitionOffsetError.Error.IsError))
                CliCommon.Warn(failed.TopicPartitionOffsetError.Error with { Reason = $"{failed.TopicPartitionOffsetError.TopicPartition}: no log end offset ({failed.TopicPartitionOffsetError.Error})" });
        }
        return infos.ToDictionary(i => i.TopicPartitionOffsetError.TopicPartition,
            i => i.TopicPartitionOffsetError.Error.IsError ? -1 : i.TopicPartitionOffsetError.Offset.Value);
    }

    /// <summary>The group named, or with <c>--all-groups</c> every group; exactly one of the two.</summary>
    private static async Task<List<string>> GroupIdsAsync(IAdminClient admin, string? group, bool all)
    {
        if ((group != null) == all) throw new UsageException("give either --group or --all-groups");
        if (!all) return [group!];
        var listed = await admin.ListConsumerGroupsAsync();
        // A group whose coordinator did not answer is named, not silently left out.
        if (listed.Errors.Count > 0) throw new KafkaException(listed.Errors[0]);
        return listed.Valid.Select(g => g.GroupId).Order(StringComparer.Ordinal).ToList();
    }

    private static Command DeleteGroup()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var group = Group();
        var command = new Command("delete", "Delete a group and its committed offsets (refused while it has members).") { bootstrap, group };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var id = parse.GetValue(group)!;
            await admin.DeleteGroupsAsync([id]);
            Console.WriteLine($"Deleted consumer group '{id}'.");
            return 0;
        }));
        return command;
    }

    private static Command ResetOffsets()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var group = Group(required: false);
        var allGroups = AllGroups("Reset every group (each must have no active members)");
        var topic = CliCommon.Topic(required: false);
        var allTopics = new Option<bool>("--all-topics") { Description = "Every topic the group has committed offsets for" };
        var toEarliest = new Option<bool>("--to-earliest") { Description = "Reset to each partition's log start" };
        var toLatest = new Option<bool>("--to-latest") { Description = "Reset to each partition's log end" };
        var toCurrent = new Option<bool>("--to-current") { Description = "Keep each committed offset (with --export: save them to restore later)" };
        var toDatetime = new Option<string?>("--to-datetime") { Description = "Reset to the first record at or after this time (ISO 8601, e.g. 2026-11-25T10:00:00Z)" };
        var byDuration = new Option<string?>("--by-duration") { Description = "Reset to the first record at or after this long ago (ISO 8601 duration, e.g. PT30M or P1DT2H)" };
        var toOffset = new Option<long?>("--to-offset") { Description = "Reset every partition to this offset (clamped to the log)" };
        var shiftBy = new Option<long?>("--shift-by") { Description = "Move each committed offset by N (negative: back), clamped to the log" };
        var fromFile = new Option<FileInfo?>("--from-file") { Description = "Reset to the offsets of a CSV file as --export writes it (group,topic,partition,offset or topic,partition,offset)" };
        var export = new Option<bool>("--export") { Description = "Print the plan as CSV (group,topic,partition,offset), for --from-file" };
        var execute = new Option<bool>("--execute") { Description = "Apply the change (without it, only show the plan)" };
        var command = new Command("reset-offsets", "Plan or apply new committed offsets for groups' partitions; refused while a group has members.")
            { bootstrap, group, allGroups, topic, allTopics, toEarliest, toLatest, toCurrent, toDatetime, byDuration, toOffset, shiftBy, fromFile, export, execute };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var chosen = new[]
            {
                parse.GetValue(toEarliest), parse.GetValue(toLatest), parse.GetValue(toCurrent), parse.GetValue(toDatetime) != null,
                parse.GetValue(byDuration) != null, parse.GetValue(toOffset) != null, parse.GetValue(shiftBy) != null, parse.GetValue(fromFile) != null,
            }.Count(x => x);
            if (chosen != 1)
                throw new UsageException("give exactly one of --to-earliest, --to-latest, --to-current, --to-datetime, --by-duration, --to-offset, --shift-by, --from-file");
            var fromCsv = parse.GetValue(fromFile) is { } file ? ReadPlan(file) : null;
            if (fromCsv == null && (parse.GetValue(topic) != null) == parse.GetValue(allTopics))
                throw new UsageException("give either --topic or --all-topics");
            DateTimeOffset? at = null;
            if (parse.GetValue(toDatetime) is { } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    throw new UsageException($"--to-datetime must be an ISO 8601 time such as 2026-11-25T10:00:00Z, got '{text}'");
                at = parsed;
            }
            if (parse.GetValue(byDuration) is { } durationText)
            {
                TimeSpan duration;
                try
                {
                    duration = System.Xml.XmlConvert.ToTimeSpan(durationText);
                }
                catch (FormatException)
                {
                    throw new UsageException($"--by-duration must be an ISO 8601 duration such as PT30M or P1DT2H, got '{durationText}'");
                }
                if (duration < TimeSpan.Zero) throw new UsageException($"--by-duration must not be negative, got '{durationText}'");
                at = DateTimeOffset.UtcNow - duration;
            }
            if (parse.GetValue(toOffset) is < 0) throw new UsageException("--to-offset must be 0 or more");

            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var ids = fromCsv != null && parse.GetValue(group) == null && !parse.GetValue(allGroups)
                ? fromCsv.Select(p => p.Group ?? throw new UsageException("the file has no group column: give --group")).Distinct().ToList()
                : await GroupIdsAsync(admin, parse.GetValue(group), parse.GetValue(allGroups));
            var plans = new List<(string Group, List<TopicPartitionOffset> Offsets)>();
            foreach (var id in ids)
            {
                var description = await admin.DescribeConsumerGroupAsync(id);
                if (description.Members.Count > 0)
                {
                    await Console.Error.WriteLineAsync($"error: consumer group '{id}' has {description.Members.Count} active member(s) (state {description.State}); stop its consumers before resetting offsets.");
                    return 1;
                }
                var committed = description.CommittedOffsets.ToDictionary(o => o.TopicPartition, o => o.Offset.Value);
                List<TopicPartition> partitions;
                if (fromCsv != null)
                    partitions = fromCsv.Where(p => p.Group == null || p.Group == id).Select(p => p.TopicPartition).ToList();
                else if (parse.GetValue(topic) is { } name)
                    partitions = (await admin.GetMetadataAsync([name])).Topics.Single().Partitions.Select(p => new TopicPartition(name, p.PartitionId)).ToList();
                else
                    partitions = committed.Keys.OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition).ToList();
                var plan = new List<TopicPartitionOffset>();
                foreach (var tp in partitions)
                {
                    var start = (await admin.ListOffsetAsync(tp, OffsetSpec.Earliest())).Value;
                    var end = (await admin.ListOffsetAsync(tp, OffsetSpec.Latest())).Value;
                    var current = committed.TryGetValue(tp, out var c) && c >= 0 ? c : end;
                    long target;
                    if (fromCsv != null) target = fromCsv.First(p => (p.Group == null || p.Group == id) && p.TopicPartition == tp).Offset;
                    else if (parse.GetValue(toEarliest)) target = start;
                    else if (parse.GetValue(toLatest)) target = end;
                    else if (parse.GetValue(toCurrent)) target = current;
                    else if (at is { } time)
                    {
                        var found = await admin.ListOffsetAsync(tp, OffsetSpec.ForTimestamp(time.ToUnixTimeMilliseconds()));
                        target = found == Offset.End ? end : found.Value;
                    }
                    else if (parse.GetValue(toOffset) is { } o) target = o;
                    else target = current + parse.GetValue(shiftBy)!.Value;
                    plan.Add(new TopicPartitionOffset(tp, new Offset(Math.Clamp(target, start, end))));
                }
                plans.Add((id, plan));
            }

            if (parse.GetValue(export))
                foreach (var (id, plan) in plans)
                foreach (var o in plan)
                    Console.WriteLine(FormattableString.Invariant($"{id},{o.Topic},{o.Partition.Value},{o.Offset.Value}"));
            else
            {
                Console.WriteLine($"{"GROUP",-24} {"TOPIC",-24} {"PARTITION",9} {"NEW-OFFSET",12}");
                foreach (var (id, plan) in plans)
                foreach (var o in plan)
                    Console.WriteLine($"{id,-24} {o.Topic,-24} {o.Partition,9} {o.Offset.Value,12}");
            }
            if (!parse.GetValue(execute))
            {
                if (!parse.GetValue(export)) Console.WriteLine("Dry run: nothing changed. Add --execute to apply.");
                return 0;
            }
            foreach (var (id, plan) in plans.Where(p => p.Offsets.Count > 0))
            {
                await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(id, plan)]);
                if (!parse.GetValue(export)) Console.WriteLine($"Committed {plan.Count} offset(s) for group '{id}'.");
            }
            return 0;
        }));
        return command;
    }

    private sealed record PlannedOffset(string? Group, TopicPartition TopicPartition, long Offset);

    /// <summary>
    /// A reset plan as <c>--export</c> writes it (<c>group,topic,partition,offset</c>), or in Kafka's one-group form
    /// (<c>topic,partition,offset</c>).
    /// </summary>
    private static List<PlannedOffset> ReadPlan(FileInfo file)
    {
        if (!file.Exists) throw new UsageException($"--from-file {file.FullName} does not exist");
        var plan = new List<PlannedOffset>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(file.FullName))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            var (groupId, rest) = fields.Length == 4 ? (fields[0], fields[1..]) : (null, fields);
            if (rest.Length != 3 || !int.TryParse(rest[1], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                || !long.TryParse(rest[2], NumberStyles.None, CultureInfo.InvariantCulture, out var offset) || rest[0].Length == 0)
                throw new UsageException($"{file.Name} line {lineNumber}: expected group,topic,partition,offset or topic,partition,offset with numbers 0 or more, got '{line}'");
            plan.Add(new PlannedOffset(groupId, new TopicPartition(rest[0], partition), offset));
        }
        if (plan.Count == 0) throw new UsageException($"{file.Name} holds no offsets");
        return plan;
    }

    private static Command DeleteOffsets()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var group = Group();
        var topic = CliCommon.Topic();
        var partition = new Option<int[]>("--partition") { Description = "Partition of --topic (repeatable; default: all of them)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("delete-offsets",
            "Delete a group's committed offsets of a topic (Kafka's --delete-offsets); refused for a topic a member of the group subscribes to.")
            { bootstrap, group, topic, partition };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var id = parse.GetValue(group)!;
            var name = parse.GetValue(topic)!;
            var partitions = parse.GetValue(partition) is { Length: > 0 } chosen
                ? chosen
                : (await admin.GetMetadataAsync([name])).Topics.Single().Partitions.Select(p => p.PartitionId).ToArray();
            await admin.DeleteConsumerGroupOffsetsAsync(id, partitions.Select(p => new TopicPartition(name, p)));
            Console.WriteLine($"Deleted the committed offsets of group '{id}' for {name} partitions {string.Join(",", partitions)}.");
            return 0;
        }));
        return command;
    }
}
