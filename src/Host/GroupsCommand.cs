using System.CommandLine;
using System.Globalization;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Host;

/// <summary><c>groups list|describe|delete|reset-offsets</c>, shaped after kafka-consumer-groups.sh.</summary>
internal static class GroupsCommand
{
    public static Command Create()
    {
        var command = new Command("groups", "List, describe and delete consumer groups, and reset their offsets.");
        command.Options.Add(CliCommon.CommandConfig);
        command.Subcommands.Add(ListGroups());
        command.Subcommands.Add(DescribeGroup());
        command.Subcommands.Add(DeleteGroup());
        command.Subcommands.Add(ResetOffsets());
        return command;
    }

    private static Option<string> Group() => new("--group") { Description = "Consumer group id", Required = true };

    private static Command ListGroups()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var command = new Command("list", "List consumer group ids.") { bootstrap };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            foreach (var g in (await admin.ListConsumerGroupsAsync()).Valid) Console.WriteLine(g.GroupId);
            return 0;
        }));
        return command;
    }

    private static Command DescribeGroup()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var group = Group();
        var command = new Command("describe", "Show a group's state and members, and per partition the committed offset, log end offset and lag.") { bootstrap, group };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var d = await admin.DescribeConsumerGroupAsync(parse.GetValue(group)!);
            if (d.State == ConsumerGroupState.Dead)
            {
                await Console.Error.WriteLineAsync($"error: consumer group '{d.GroupId}' does not exist.");
                return 1;
            }
            Console.WriteLine($"GROUP {d.GroupId}  STATE {d.State}  GENERATION {d.GenerationId}  ASSIGNOR {(d.PartitionAssignor.Length > 0 ? d.PartitionAssignor : "-")}  MEMBERS {d.Members.Count}");
            Console.WriteLine();
            var owner = d.Members.SelectMany(m => m.Assignment.TopicPartitions.Select(tp => (tp, m))).ToDictionary(x => x.tp, x => x.m);
            var committed = d.CommittedOffsets.ToDictionary(o => o.TopicPartition, o => o.Offset.Value);
            var partitions = committed.Keys.Concat(owner.Keys).Distinct().OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition).ToList();
            Console.WriteLine($"{"TOPIC",-24} {"PARTITION",9} {"CURRENT-OFFSET",15} {"LOG-END-OFFSET",15} {"LAG",8}  {"CONSUMER-ID",-44} CLIENT-ID");
            foreach (var tp in partitions)
            {
                var end = (await admin.ListOffsetAsync(tp, OffsetSpec.Latest())).Value;
                var current = committed.TryGetValue(tp, out var c) ? c : -1;
                var lag = current >= 0 ? Math.Max(0, end - current).ToString(CultureInfo.InvariantCulture) : "-";
                var member = owner.GetValueOrDefault(tp);
                Console.WriteLine($"{tp.Topic,-24} {tp.Partition,9} {(current >= 0 ? current.ToString(CultureInfo.InvariantCulture) : "-"),15} {end,15} {lag,8}  {member?.ConsumerId ?? "-",-44} {member?.ClientId ?? "-"}");
            }
            foreach (var m in d.Members.Where(m => m.Assignment.TopicPartitions.Count == 0))
                Console.WriteLine($"{"-",-24} {"-",9} {"-",15} {"-",15} {"-",8}  {m.ConsumerId,-44} {m.ClientId}");
            return 0;
        }));
        return command;
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
        var group = Group();
        var topic = CliCommon.Topic();
        var toEarliest = new Option<bool>("--to-earliest") { Description = "Reset to each partition's log start" };
        var toLatest = new Option<bool>("--to-latest") { Description = "Reset to each partition's log end" };
        var toDatetime = new Option<string?>("--to-datetime") { Description = "Reset to the first record at or after this time (ISO 8601, e.g. 2026-11-25T10:00:00Z)" };
        var toOffset = new Option<long?>("--to-offset") { Description = "Reset every partition to this offset (clamped to the log)" };
        var shiftBy = new Option<long?>("--shift-by") { Description = "Move each committed offset by N (negative: back), clamped to the log" };
        var execute = new Option<bool>("--execute") { Description = "Apply the change (without it, only show the plan)" };
        var command = new Command("reset-offsets", "Plan or apply new committed offsets for a group's partitions of a topic; refused while the group has members.")
            { bootstrap, group, topic, toEarliest, toLatest, toDatetime, toOffset, shiftBy, execute };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var chosen = new[] { parse.GetValue(toEarliest), parse.GetValue(toLatest), parse.GetValue(toDatetime) != null, parse.GetValue(toOffset) != null, parse.GetValue(shiftBy) != null }.Count(x => x);
            if (chosen != 1) throw new UsageException("give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by");
            DateTimeOffset? at = null;
            if (parse.GetValue(toDatetime) is { } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    throw new UsageException($"--to-datetime must be an ISO 8601 time such as 2026-11-25T10:00:00Z, got '{text}'");
                at = parsed;
            }
            if (parse.GetValue(toOffset) is < 0) throw new UsageException("--to-offset must be 0 or more");

            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var id = parse.GetValue(group)!;
            var name = parse.GetValue(topic)!;
            var description = await admin.DescribeConsumerGroupAsync(id);
            if (description.Members.Count > 0)
            {
                await Console.Error.WriteLineAsync($"error: consumer group '{id}' has {description.Members.Count} active member(s) (state {description.State}); stop its consumers before resetting offsets.");
                return 1;
            }
            var described = (await admin.GetMetadataAsync([name])).Topics.Single();
            var committed = description.CommittedOffsets.ToDictionary(o => o.TopicPartition, o => o.Offset.Value);
            var plan = new List<TopicPartitionOffset>();
            foreach (var p in described.Partitions)
            {
                var tp = new TopicPartition(name, p.PartitionId);
                var start = (await admin.ListOffsetAsync(tp, OffsetSpec.Earliest())).Value;
                var end = (await admin.ListOffsetAsync(tp, OffsetSpec.Latest())).Value;
                long target;
                if (parse.GetValue(toEarliest)) target = start;
                else if (parse.GetValue(toLatest)) target = end;
                else if (at is { } time)
                {
                    var found = await admin.ListOffsetAsync(tp, OffsetSpec.ForTimestamp(time.ToUnixTimeMilliseconds()));
                    target = found == Offset.End ? end : found.Value;
                }
                else if (parse.GetValue(toOffset) is { } o) target = o;
                else target = (committed.TryGetValue(tp, out var c) && c >= 0 ? c : end) + parse.GetValue(shiftBy)!.Value;
                plan.Add(new TopicPartitionOffset(tp, new Offset(Math.Clamp(target, start, end))));
            }
            Console.WriteLine($"{"GROUP",-24} {"TOPIC",-24} {"PARTITION",9} {"NEW-OFFSET",12}");
            foreach (var o in plan) Console.WriteLine($"{id,-24} {o.Topic,-24} {o.Partition,9} {o.Offset.Value,12}");
            if (!parse.GetValue(execute))
            {
                Console.WriteLine("Dry run: nothing changed. Add --execute to apply.");
                return 0;
            }
            await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(id, plan)]);
            Console.WriteLine($"Committed {plan.Count} offset(s) for group '{id}'.");
            return 0;
        }));
        return command;
    }
}
