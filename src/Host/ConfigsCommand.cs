using System.CommandLine;
using System.Globalization;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Host;

/// <summary>
/// Kafka's kafka-configs: describe and alter topic configs, brokers' dynamic configs (per broker, or the cluster-wide
/// default every broker falls back to) and client quotas (per user, client id, or both, and their defaults), with
/// Kafka's flags and output lines.
/// </summary>
internal static class ConfigsCommand
{
    public static Command Create()
    {
        var bootstrap = CliCommon.BootstrapServer();
        // Repeatable, as kafka-configs': --entity-type users --entity-name alice --entity-type clients --entity-name app.
        var entityType = new Option<string[]>("--entity-type")
        {
            Description = "topics, brokers, users (quotas of a user) or clients (quotas of a client id); users and clients may be given both, each with its --entity-name",
        };
        entityType.AcceptOnlyFromAmong("topics", "brokers", "users", "clients");
        var entityName = new Option<string[]>("--entity-name") { Description = "The topic's name, the broker's id, the user's name or the client id (one per --entity-type)" };
        var entityDefault = new Option<bool>("--entity-default") { Description = "The cluster-wide default: of every broker, or the default user's or client id's quotas" };
        var user = new Option<string?>("--user") { Description = "Quotas of this user (with --client: of this user's client id)" };
        var userDefaults = new Option<bool>("--user-defaults") { Description = "Quotas of the default user: each user without quotas of its own" };
        var client = new Option<string?>("--client") { Description = "Quotas of this client id (with --user: of that user's client id)" };
        var clientDefaults = new Option<bool>("--client-defaults") { Description = "Quotas of the default client id: each client id without quotas of its own" };
        var describe = new Option<bool>("--describe") { Description = "Show the configs set on the entity" };
        var all = new Option<bool>("--all") { Description = "With --describe, every config in force, defaults included" };
        var alter = new Option<bool>("--alter") { Description = "Change configs (with --add-config and/or --delete-config)" };
        var addConfig = new Option<string?>("--add-config") { Description = "Configs to set: k1=v1,k2=[v1,v2] (square brackets around a value with commas)" };
        var deleteConfig = new Option<string?>("--delete-config") { Description = "Configs to remove, returning them to their defaults: k1,k2" };
        var command = new Command("configs",
            "Describe and alter topic configs, brokers' dynamic configs and client quotas (Kafka's kafka-configs); broker configs and quotas take effect on every broker without a restart.")
            { bootstrap, entityType, entityName, entityDefault, user, userDefaults, client, clientDefaults, describe, all, alter, addConfig, deleteConfig };
        command.Options.Add(CliCommon.CommandConfig);
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            if (parse.GetValue(describe) == parse.GetValue(alter))
                throw new UsageException("give exactly one of --describe and --alter");
            var types = parse.GetValue(entityType) ?? [];
            var names = parse.GetValue(entityName) ?? [];
            var quota = QuotaEntity(types, names, parse.GetValue(entityDefault),
                parse.GetValue(user), parse.GetValue(userDefaults), parse.GetValue(client), parse.GetValue(clientDefaults));
            if (quota != null)
            {
                using var quotaAdmin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
                return parse.GetValue(describe)
                    ? await DescribeQuotasAsync(quotaAdmin, quota)
                    : await AlterQuotasAsync(quotaAdmin, quota, parse.GetValue(addConfig), parse.GetValue(deleteConfig));
            }
            if (types.Length != 1) throw new UsageException("give one --entity-type (topics, brokers, users or clients), or --user/--client");
            if (names.Length > 1) throw new UsageException("give one --entity-name for a topic or a broker");
            var resource = Resource(types[0], names.SingleOrDefault(), parse.GetValue(entityDefault));
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

    /// <summary>
    /// The quota entity the options name: user and client parts, each a name or the default (null), or absent; a part
    /// given by type alone (<c>--entity-type users</c> without a name) matches every name, for --describe. Null when the
    /// options are about topics or brokers.
    /// </summary>
    private static QuotaTarget? QuotaEntity(string[] types, string[] names, bool isDefault, string? user, bool userDefaults, string? client, bool clientDefaults)
    {
        var shorthand = user != null || userDefaults || client != null || clientDefaults;
        if (!types.Any(t => t is "users" or "clients") && !shorthand) return null;
        if (types.Length > 0 && shorthand)
            throw new UsageException("give either --entity-type with --entity-name/--entity-default, or --user/--user-defaults and --client/--client-defaults, not both");
        if (user != null && userDefaults) throw new UsageException("give one of --user and --user-defaults");
        if (client != null && clientDefaults) throw new UsageException("give one of --client and --client-defaults");
        if (types.Length == 2)
        {
            // kafka-configs' pairing: each --entity-name goes with the --entity-type before it.
            if (!types.Order().SequenceEqual(["clients", "users"]) || names.Length != 2 || isDefault)
                throw new UsageException("two --entity-type are users and clients, each with its --entity-name in the same order " +
                                         "(for a default, use --user NAME --client-defaults, --user-defaults --client ID, ...)");
            return new QuotaTarget(new Part(names[Array.IndexOf(types, "users")], false), new Part(names[Array.IndexOf(types, "clients")], false));
        }
        if (types.Length > 2 || names.Length > 1) throw new UsageException("give one --entity-type with one --entity-name, or users and clients each with theirs");
        var (type, name) = (types.SingleOrDefault(), names.SingleOrDefault());
        if (name != null && isDefault) throw new UsageException("give one of --entity-name and --entity-default");
        if (type == "users") return new QuotaTarget(new Part(name, isDefault), null);
        if (type == "clients") return new QuotaTarget(null, new Part(name, isDefault));
        return new QuotaTarget(user != null || userDefaults ? new Part(user, userDefaults) : null, client != null || clientDefaults ? new Part(client, clientDefaults) : null);
    }

    /// <summary>One part of a quota entity: a name, the default, or (neither) any name.</summary>
    private sealed record Part(string? Name, bool IsDefault)
    {
        public bool IsAny => Name == null && !IsDefault;

        public bool Matches(IReadOnlyDictionary<string, string?> entries, string type) =>
            entries.TryGetValue(type, out var name) && (IsAny || (IsDefault ? name == null : name == Name));
    }

    private sealed record QuotaTarget(Part? User, Part? Client)
    {
        public bool IsExact => User is not { IsAny: true } && Client is not { IsAny: true };

        public ClientQuotaEntity Entity()
        {
            var entries = new Dictionary<string, string?>();
            if (User != null) entries[ClientQuotaEntity.User] = User.Name;
            if (Client != null) entries[ClientQuotaEntity.ClientId] = Client.Name;
            return new ClientQuotaEntity(entries);
        }

        /// <summary>The entity itself when exact; with a part of any name, every entity of those parts.</summary>
        public bool Matches(ClientQuotaEntity e) =>
            (User == null ? !e.Entries.ContainsKey(ClientQuotaEntity.User) : User.Matches(e.Entries, ClientQuotaEntity.User))
            && (Client == null ? !e.Entries.ContainsKey(ClientQuotaEntity.ClientId) : Client.Matches(e.Entries, ClientQuotaEntity.ClientId));
    }

    private static async Task<int> DescribeQuotasAsync(IAdminClient admin, QuotaTarget target)
    {
        var quotas = await admin.DescribeClientQuotasAsync(ClientQuotaFilter.All());
        foreach (var (entity, values) in quotas.Where(q => target.Matches(q.Key)).OrderBy(q => q.Key.ToString(), StringComparer.Ordinal))
            Console.WriteLine($"Quota configs for {QuotaEntityText(entity)} are " +
                              string.Join(", ", values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={QuotaValueText(kv.Value)}")));
        return 0;
    }

    private static async Task<int> AlterQuotasAsync(IAdminClient admin, QuotaTarget target, string? addConfig, string? deleteConfig)
    {
        if (!target.IsExact) throw new UsageException("--alter of quotas names the entity: --entity-name NAME or --entity-default (or --user NAME/--user-defaults, --client NAME/--client-defaults)");
        var set = ParseAddConfig(addConfig);
        var delete = (deleteConfig ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (set.Count == 0 && delete.Length == 0) throw new UsageException("--alter needs --add-config and/or --delete-config");
        if (set.Keys.Intersect(delete).FirstOrDefault() is { } both)
            throw new UsageException($"'{both}' is both added and deleted; give it in one of --add-config and --delete-config");
        if (set.Keys.Concat(delete).FirstOrDefault(k => k.StartsWith("SCRAM-", StringComparison.OrdinalIgnoreCase)) is { } scram)
            throw new UsageException($"'{scram}' is a SCRAM credential, not a quota: manage users' credentials with `akkabroker users alter --user NAME --add-config '{scram}=[password=...]'`");
        var ops = set.Select(kv => new ClientQuotaAlterationOp(kv.Key,
                double.TryParse(kv.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                    : throw new UsageException($"--add-config: the value of quota '{kv.Key}' is a number (bytes per second, or percent for request_percentage), got '{kv.Value}'")))
            .Concat(delete.Select(k => new ClientQuotaAlterationOp(k, null))).ToList();
        var entity = target.Entity();
        await admin.AlterClientQuotasAsync([new ClientQuotaAlteration { Entity = entity, Ops = ops }]);
        Console.WriteLine($"Completed updating quota configs for {QuotaEntityText(entity)}.");
        return 0;
    }

    /// <summary>A quota value as Kafka prints a double: <c>1024.0</c>, <c>12.5</c>.</summary>
    private static string QuotaValueText(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? value.ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Kafka's words for a quota entity: <c>user-principal 'alice', client-id 'app'</c>, <c>the default client-id</c>.</summary>
    private static string QuotaEntityText(ClientQuotaEntity e)
    {
        string Part(string type, string words) => e.Entries.TryGetValue(type, out var name) ? name == null ? $"the default {words}" : $"{words} '{name}'" : "";
        return string.Join(", ", new[] { Part(ClientQuotaEntity.User, "user-principal"), Part(ClientQuotaEntity.ClientId, "client-id") }.Where(p => p.Length > 0));
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
