using System.CommandLine;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Host;

/// <summary>
/// <c>acls add|remove|list</c>: the cluster's ACLs, with kafka-acls' options (<c>--allow-principal</c>,
/// <c>--operation</c>, <c>--topic</c>, <c>--group</c>, <c>--cluster</c>, <c>--resource-pattern-type</c>,
/// <c>--producer</c>, <c>--consumer</c>). They are checked once the brokers set <c>authorizer.class.name</c>.
/// </summary>
internal static class AclsCommand
{
    public static Command Create()
    {
        var command = new Command("acls", "Add, remove and list ACLs (Kafka's kafka-acls); brokers check them when authorizer.class.name is set.");
        command.Options.Add(CliCommon.CommandConfig);
        command.Subcommands.Add(Change("add", "Add ACLs: each principal, host and operation on each resource given.", add: true));
        command.Subcommands.Add(Change("remove", "Remove the ACLs that match: each principal, host and operation on each resource given.", add: false));
        command.Subcommands.Add(List());
        return command;
    }

    private sealed record Options(
        Option<string> Bootstrap, Option<string[]> AllowPrincipals, Option<string[]> DenyPrincipals, Option<string[]> AllowHosts, Option<string[]> DenyHosts,
        Option<string[]> Operations, Option<string[]> Topics, Option<string[]> Groups, Option<bool> Cluster, Option<string> PatternType,
        Option<bool> Producer, Option<bool> Consumer, Option<bool> Idempotent)
    {
        public static Options Make() => new(
            CliCommon.BootstrapServer(),
            new Option<string[]>("--allow-principal") { Description = "Principal allowed, as Kafka writes it: User:alice, or User:* for every user (repeatable)" },
            new Option<string[]>("--deny-principal") { Description = "Principal denied (repeatable)" },
            new Option<string[]>("--allow-host") { Description = "Host the allowed principals may connect from: an IP address, or * (default *; repeatable)" },
            new Option<string[]>("--deny-host") { Description = "Host the denied principals are denied from (default *; repeatable)" },
            new Option<string[]>("--operation") { Description = "Read, Write, Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs, IdempotentWrite, ClusterAction or All (repeatable)" },
            new Option<string[]>("--topic") { Description = "Topic the ACLs are about (repeatable; * for every topic)" },
            new Option<string[]>("--group") { Description = "Consumer group the ACLs are about (repeatable; * for every group)" },
            new Option<bool>("--cluster") { Description = "The ACLs are about the cluster (kafka-cluster)" },
            new Option<string>("--resource-pattern-type") { Description = "literal (default) or prefixed; for list and remove also any or match", DefaultValueFactory = _ => "literal" },
            new Option<bool>("--producer") { Description = "Convenience: Write, Describe and Create on the topics (with --idempotent, IdempotentWrite on the cluster)" },
            new Option<bool>("--consumer") { Description = "Convenience: Read and Describe on the topics, Read on the groups" },
            new Option<bool>("--idempotent") { Description = "With --producer: IdempotentWrite on the cluster too" });

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Bootstrap, AllowPrincipals, DenyPrincipals, AllowHosts, DenyHosts, Operations, Topics, Groups, Cluster, PatternType, Producer, Consumer, Idempotent })
                c.Options.Add(o);
        }
    }

    private static Command Change(string name, string description, bool add)
    {
        var o = Options.Make();
        var command = new Command(name, description);
        o.AddTo(command);
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var bindings = Bindings(parse, o, add);
            using var admin = CliCommon.Admin(parse, parse.GetValue(o.Bootstrap)!);
            if (add)
            {
                await admin.CreateAclsAsync(bindings);
                Console.WriteLine($"Adding ACLs:\n{string.Join("\n", bindings.Select(b => $" \t{b}"))}");
                return 0;
            }
            var removed = await admin.DeleteAclsAsync(bindings.Select(b => new AclBindingFilter
            {
                PatternFilter = new ResourcePatternFilter { Type = b.Pattern.Type, Name = b.Pattern.Name, ResourcePatternType = b.Pattern.ResourcePatternType },
                EntryFilter = new AccessControlEntryFilter { Principal = b.Entry.Principal, Host = b.Entry.Host, Operation = b.Entry.Operation, PermissionType = b.Entry.PermissionType },
            }));
            var gone = removed.SelectMany(r => r.AclBindings).ToList();
            Console.WriteLine(gone.Count == 0 ? "No ACL matched; nothing was removed." : $"Removed ACLs:\n{string.Join("\n", gone.Select(b => $" \t{b}"))}");
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = new Option<string?>("--topic") { Description = "Only the ACLs about this topic" };
        var group = new Option<string?>("--group") { Description = "Only the ACLs about this group" };
        var cluster = new Option<bool>("--cluster") { Description = "Only the ACLs about the cluster" };
        var principal = new Option<string?>("--principal") { Description = "Only the ACLs of this principal (User:alice)" };
        var patternType = new Option<string>("--resource-pattern-type")
        {
            Description = "any (default: the ACLs named exactly so), match (every ACL that applies to the resource: literal, * and prefixes), literal or prefixed",
            DefaultValueFactory = _ => "any",
        };
        var command = new Command("list", "List ACLs, grouped by resource as kafka-acls prints them.") { bootstrap, topic, group, cluster, principal, patternType };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var (type, name) = parse.GetValue(topic) is { } t ? (ResourceType.Topic, t)
                : parse.GetValue(group) is { } g ? (ResourceType.Group, g)
                : parse.GetValue(cluster) ? (ResourceType.Broker, "kafka-cluster")
                : (ResourceType.Any, (string?)null);
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var result = await admin.DescribeAclsAsync(new AclBindingFilter
            {
                PatternFilter = new ResourcePatternFilter { Type = type, Name = name, ResourcePatternType = Pattern(parse.GetValue(patternType)!, forFilter: true) },
                EntryFilter = new AccessControlEntryFilter { Principal = parse.GetValue(principal) },
            });
            foreach (var resource in result.AclBindings.GroupBy(b => (b.Pattern.Type, b.Pattern.Name, b.Pattern.ResourcePatternType)).OrderBy(r => r.Key))
            {
                Console.WriteLine($"Current ACLs for resource `{resource.First().Pattern}`: ");
                foreach (var b in resource) Console.WriteLine($" \t{b.Entry}");
                Console.WriteLine();
            }
            return 0;
        }));
        return command;
    }

    private static List<AclBinding> Bindings(ParseResult parse, Options o, bool add)
    {
        // Removing takes the filters' pattern types too (any, match), as kafka-acls --remove does.
        var pattern = Pattern(parse.GetValue(o.PatternType)!, forFilter: !add);
        var topics = parse.GetValue(o.Topics) ?? [];
        var groups = parse.GetValue(o.Groups) ?? [];
        var cluster = parse.GetValue(o.Cluster);
        var resources = topics.Select(t => (ResourceType.Topic, t)).Concat(groups.Select(g => (ResourceType.Group, g)))
            .Concat(cluster ? [(ResourceType.Broker, "kafka-cluster")] : Array.Empty<(ResourceType, string)>()).ToList();
        var operations = (parse.GetValue(o.Operations) ?? []).Select(Operation).ToList();
        var wanted = new List<(ResourceType Type, string Name, AclOperation Op)>();
        foreach (var (type, name) in resources)
            foreach (var op in operations) wanted.Add((type, name, op));
        if (parse.GetValue(o.Producer))
        {
            if (topics.Length == 0) throw new UsageException("--producer needs --topic");
            foreach (var t in topics)
                foreach (var op in new[] { AclOperation.Write, AclOperation.Describe, AclOperation.Create }) wanted.Add((ResourceType.Topic, t, op));
            if (parse.GetValue(o.Idempotent)) wanted.Add((ResourceType.Broker, "kafka-cluster", AclOperation.IdempotentWrite));
        }
        if (parse.GetValue(o.Consumer))
        {
            if (topics.Length == 0 || groups.Length == 0) throw new UsageException("--consumer needs --topic and --group");
            foreach (var t in topics)
                foreach (var op in new[] { AclOperation.Read, AclOperation.Describe }) wanted.Add((ResourceType.Topic, t, op));
            foreach (var g in groups) wanted.Add((ResourceType.Group, g, AclOperation.Read));
        }
        if (wanted.Count == 0)
            throw new UsageException($"name what to {(add ? "add" : "remove")}: --operation with --topic, --group or --cluster, or --producer / --consumer");
        var entries = new List<(string Principal, string Host, AclPermissionType Permission)>();
        var allowHosts = parse.GetValue(o.AllowHosts) is { Length: > 0 } ah ? ah : ["*"];
        var denyHosts = parse.GetValue(o.DenyHosts) is { Length: > 0 } dh ? dh : ["*"];
        foreach (var p in parse.GetValue(o.AllowPrincipals) ?? [])
            foreach (var h in allowHosts) entries.Add((Principal(p), h, AclPermissionType.Allow));
        foreach (var p in parse.GetValue(o.DenyPrincipals) ?? [])
            foreach (var h in denyHosts) entries.Add((Principal(p), h, AclPermissionType.Deny));
        if (entries.Count == 0) throw new UsageException("name who: --allow-principal User:NAME or --deny-principal User:NAME");
        return wanted.Distinct().SelectMany(w => entries.Select(e => new AclBinding
        {
            Pattern = new ResourcePattern { Type = w.Type, Name = w.Name, ResourcePatternType = w.Type == ResourceType.Broker ? ResourcePatternType.Literal : pattern },
            Entry = new AccessControlEntry { Principal = e.Principal, Host = e.Host, Operation = w.Op, PermissionType = e.Permission },
        })).ToList();
    }

    private static string Principal(string p) => p.Contains(':') ? p : throw new UsageException($"principal '{p}' must be written as Kafka does: User:NAME (User:* for every user)");

    private static AclOperation Operation(string text) =>
        Enum.TryParse<AclOperation>(text.Replace("-", "").Replace("_", ""), ignoreCase: true, out var op) && op is not (AclOperation.Unknown or AclOperation.Any)
            ? op
            : throw new UsageException($"--operation {text}: use one of Read, Write, Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs, IdempotentWrite, ClusterAction, All");

    private static ResourcePatternType Pattern(string text, bool forFilter) => text.ToLowerInvariant() switch
    {
        "literal" => ResourcePatternType.Literal,
        "prefixed" => ResourcePatternType.Prefixed,
        "any" when forFilter => ResourcePatternType.Any,
        "match" when forFilter => ResourcePatternType.Match,
        _ => throw new UsageException($"--resource-pattern-type {text}: use literal or prefixed{(forFilter ? ", any or match" : "")}"),
    };
}
