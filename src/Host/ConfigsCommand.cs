using System.CommandLine;
using System.Globalization;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Host;

/// <summary>
/// Kafka's kafka-configs: describe and alter topic configs and brokers' dynamic configs (per broker, or the cluster-wide
/// default every broker falls back to), with Kafka's flags and output lines.
/// </summary>
internal static class ConfigsCommand
{
    public static Command Create()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var entityType = new Option<string>("--entity-type") { Description = "topics or brokers", Required = true };
        entityType.AcceptOnlyFromAmong("topics", "brokers");
        var entityName = new Option<string?>("--entity-name") { Description = "The topic's name, or the broker's id" };
        var entityDefault = new Option<bool>("--entity-default") { Description = "The cluster-wide default of every broker (with --entity-type brokers)" };
        var describe = new Option<bool>("--describe") { Description = "Show the configs set on the entity" };
        var all = new Option<bool>("--all") { Description = "With --describe, every config in force, defaults included" };
        var alter = new Option<bool>("--alter") { Description = "Change configs (with --add-config and/or --delete-config)" };
        var addConfig = new Option<string?>("--add-config") { Description = "Configs to set: k1=v1,k2=[v1,v2] (square brackets around a value with commas)" };
        var deleteConfig = new Option<string?>("--delete-config") { Description = "Configs to remove, returning them to their defaults: k1,k2" };
        var command = new Command("configs",
            "Describe and alter topic configs and brokers' dynamic configs (Kafka's kafka-configs); broker configs take effect on every broker without a restart.")
            { bootstrap, entityType, entityName, entityDefault, describe, all, alter, addConfig, deleteConfig };
        command.Options.Add(CliCommon.CommandConfig);
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var type = parse.GetValue(entityType)!;
            var resource = Resource(type, parse.GetValue(entityName), parse.GetValue(entityDefault));
            if (parse.GetValue(describe) == parse.GetValue(alter))
                throw new UsageException("give exactly one of --describe and --alter");
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            if (parse.GetValue(describe))
            {
                var entries = (await admin.DescribeConfigsAsync([resource])).Single().Entries.Values
                    .Where(e => parse.GetValue(all) || e.Source == OwnSource(resource))
                    .OrderBy(e => e.Name, StringComparer.Ordinal);
                // Kafka's headings: the cluster default's is its own.
                Console.WriteLine(resource is { Type: ResourceType.Broker, Name: "" } ? "Default configs for brokers in the cluster are:"
                    : $"{(parse.GetValue(all) ? "All" : "Dynamic")} configs for {EntityText(resource)} are:");
                foreach (var e in entries)
                    Console.WriteLine($"  {e.Name}={e.Value} sensitive={e.IsSensitive.ToString().ToLowerInvariant()} synonyms={{{string.Join(", ", e.Synonyms.Select(s => $"{SourceName(s.Source)}:{s.Name}={s.Value}"))}}}");
                return 0;
            }
            var set = ParseAddConfig(parse.GetValue(addConfig));
            var delete = (parse.GetValue(deleteConfig) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (set.Count == 0 && delete.Length == 0)
                throw new UsageException("--alter needs --add-config and/or --delete-config");
            if (set.Keys.Intersect(delete).FirstOrDefault() is { } both)
                throw new UsageException($"'{both}' is both added and deleted; give it in one of --add-config and --delete-config");
            var changes = set.Select(kv => new ConfigEntry { Name = kv.Key, Value = kv.Value, IncrementalOperation = AlterConfigOpType.Set })
                .Concat(delete.Select(k => new ConfigEntry { Name = k, IncrementalOperation = AlterConfigOpType.Delete })).ToList();
            await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>> { [resource] = changes });
            Console.WriteLine(resource is { Type: ResourceType.Broker, Name: "" }
                ? "Completed updating default config for brokers in the cluster."
                : $"Completed updating config for {EntityText(resource)}.");
            return 0;
        }));
        return command;
    }

    private static ConfigResource Resource(string type, string? name, bool isDefault)
    {
        if (type == "topics")
        {
            if (isDefault) throw new UsageException("--entity-default is for brokers; topics have no cluster-wide default entity (set log.* broker configs instead)");
            if (string.IsNullOrWhiteSpace(name)) throw new UsageException("--entity-type topics needs --entity-name TOPIC");
            return new ConfigResource { Type = ResourceType.Topic, Name = name };
        }
        if (isDefault == (name != null))
            throw new UsageException("--entity-type brokers needs one of --entity-name BROKER_ID and --entity-default");
        if (name != null && !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw new UsageException($"--entity-name of a broker is its id (a whole number), got '{name}'");
        return new ConfigResource { Type = ResourceType.Broker, Name = name ?? "" };
    }

    private static string EntityText(ConfigResource r) => r.Type == ResourceType.Topic ? $"topic {r.Name}" : $"broker {r.Name}";

    /// <summary>The source of the configs set on the entity itself: the only ones described without --all, as in Kafka.</summary>
    private static ConfigSource OwnSource(ConfigResource r) => r.Type == ResourceType.Topic ? ConfigSource.DynamicTopicConfig
        : r.Name == "" ? ConfigSource.DynamicDefaultBrokerConfig : ConfigSource.DynamicBrokerConfig;

    /// <summary>Kafka's names of config sources, as kafka-configs prints them.</summary>
    private static string SourceName(ConfigSource source) => source switch
    {
        ConfigSource.DynamicTopicConfig => "DYNAMIC_TOPIC_CONFIG",
        ConfigSource.DynamicBrokerConfig => "DYNAMIC_BROKER_CONFIG",
        ConfigSource.DynamicDefaultBrokerConfig => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        ConfigSource.StaticBrokerConfig => "STATIC_BROKER_CONFIG",
        ConfigSource.DefaultConfig => "DEFAULT_CONFIG",
        _ => "UNKNOWN",
    };

    /// <summary>
    /// Kafka's --add-config syntax: <c>k1=v1,k2=v2</c>, where a value holding commas is put in square brackets
    /// (<c>cleanup.policy=[compact,delete]</c>).
    /// </summary>
    /// <exception cref="UsageException">an entry is not key=value, or a bracket is not closed.</exception>
    public static Dictionary<string, string> ParseAddConfig(string? text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = (text ?? "").Trim();
        while (rest.Length > 0)
        {
            var eq = rest.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--add-config expects k1=v1,k2=[v1,v2], got '{rest}'");
            var key = rest[..eq].Trim();
            rest = rest[(eq + 1)..];
            string value;
            if (rest.StartsWith('['))
            {
                var close = rest.IndexOf(']');
                if (close < 0) throw new UsageException($"--add-config: the value of '{key}' opens '[' and never closes it");
                value = rest[1..close];
                rest = rest[(close + 1)..].TrimStart();
                if (rest.Length > 0 && rest[0] != ',') throw new UsageException($"--add-config: expected ',' after the value of '{key}', got '{rest}'");
            }
            else
            {
                var comma = rest.IndexOf(',');
                value = comma < 0 ? rest : rest[..comma];
                rest = comma < 0 ? "" : rest[comma..];
            }
            if (map.ContainsKey(key)) throw new UsageException($"--add-config names '{key}' twice; give it once");
            map[key] = value.Trim();
            rest = rest.TrimStart(',').Trim();
        }
        return map;
    }
}
