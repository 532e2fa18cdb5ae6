using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Internal;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Filters and renames fields of the key (<see cref="Key"/>) or value (<see cref="Value"/>) (Kafka Connect's
/// <c>ReplaceField</c>): <c>exclude</c> drops fields, <c>include</c> keeps only the named ones, and <c>renames</c>
/// (<c>old:new,...</c>) renames. Exclusion wins over inclusion. Kafka's deprecated <c>blacklist</c> and
/// <c>whitelist</c> are read as <c>exclude</c> and <c>include</c> when those are not given. Works on structs (the
/// updated schema built once per input schema) and schemaless maps; null keys or values pass unchanged.
/// </summary>
public abstract class ReplaceField : ITransformation
{
    /// <summary>Fields to drop.</summary>
    public const string ExcludeConfig = "exclude";

    /// <summary>Fields to keep; when not empty, all others are dropped.</summary>
    public const string IncludeConfig = "include";

    /// <summary>Renames, as <c>old:new</c> pairs.</summary>
    public const string RenamesConfig = "renames";

    /// <summary>Kafka's deprecated name for <see cref="ExcludeConfig"/>.</summary>
    public const string BlacklistConfig = "blacklist";

    /// <summary>Kafka's deprecated name for <see cref="IncludeConfig"/>.</summary>
    public const string WhitelistConfig = "whitelist";

    private const string Purpose = "field replacement";

    private readonly RecordPart _part;
    private readonly SchemaUpdateCache _schemaUpdateCache = new();
    private HashSet<string> _exclude = [];
    private HashSet<string> _include = [];
    private Dictionary<string, string> _renames = [];
    private Dictionary<string, string> _reverseRenames = [];

    private protected ReplaceField(RecordPart part) => _part = part;

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .Define(ExcludeConfig, ConfigType.List, "", Importance.Medium, "Fields to exclude. This takes precedence over the fields to include.")
        .Define(IncludeConfig, ConfigType.List, "", Importance.Medium, "Fields to include. If specified, only these fields will be used.")
        .Define(RenamesConfig, ConfigType.List, "", Importance.Medium, "Field rename mappings.", (name, value) => ParseRenameMappings((List<string>)value!))
        .Define(BlacklistConfig, ConfigType.List, null, Importance.Low, "Deprecated. Use exclude instead.")
        .Define(WhitelistConfig, ConfigType.List, null, Importance.Low, "Deprecated. Use include instead.");

    /// <inheritdoc />
    /// <exception cref="ConfigException">a rename is not an <c>old:new</c> pair.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs)
    {
        var translated = configs.ToDictionary(c => c.Key, c => c.Value);
        Translate(translated, ExcludeConfig, BlacklistConfig);
        Translate(translated, IncludeConfig, WhitelistConfig);
        var values = Config.Parse(translated);
        _exclude = [.. (List<string>)values[ExcludeConfig]!];
        _include = [.. (List<string>)values[IncludeConfig]!];
        _renames = ParseRenameMappings((List<string>)values[RenamesConfig]!);
        _reverseRenames = _renames.ToDictionary(r => r.Value, r => r.Key);
    }

    private static void Translate(Dictionary<string, string> configs, string key, string deprecated)
    {
        if (configs.Remove(deprecated, out var value) && !configs.ContainsKey(key)) configs[key] = value;
    }

    internal static Dictionary<string, string> ParseRenameMappings(List<string> mappings)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var mapping in mappings)
        {
            var parts = JavaFormats.Split(mapping, ':');
            if (parts.Length != 2)
                throw new ConfigException(RenamesConfig, "[" + string.Join(", ", mappings) + "]", "Invalid rename mapping: " + mapping);
            result[parts[0]] = parts[1];
        }
        return result;
    }

    private bool Filter(string fieldName) => !_exclude.Contains(fieldName) && (_include.Count == 0 || _include.Contains(fieldName));

    private string Renamed(string fieldName) => _renames.GetValueOrDefault(fieldName, fieldName);

    private string ReverseRenamed(string fieldName) => _reverseRenames.GetValueOrDefault(fieldName, fieldName);

    /// <inheritdoc />
    /// <exception cref="DataException">the key or value is neither a struct nor a map.</exception>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        var value = record.ValueOf(_part);
        if (value == null) return record;
        if (record.SchemaOf(_part) == null)
        {
            var map = Requirements.RequireMap(value, Purpose);
            var updatedMap = new Dictionary<string, object?>(map.Count);
            foreach (var (name, fieldValue) in map)
                if (Filter(name)) updatedMap[Renamed(name)] = fieldValue;
            return record.With(_part, null, updatedMap);
        }
        var original = Requirements.RequireStruct(value, Purpose);
        var updatedSchema = _schemaUpdateCache.GetOrAdd(original.Schema, MakeUpdatedSchema);
        var updated = new Struct(updatedSchema);
        foreach (var field in updatedSchema.Fields) updated.Put(field, original.Get(ReverseRenamed(field.Name)));
        return record.With(_part, updatedSchema, updated);
    }

    private Schema MakeUpdatedSchema(Schema schema)
    {
        var builder = SchemaUtil.CopySchemaBasics(schema, SchemaBuilder.Struct());
        foreach (var field in schema.Fields)
            if (Filter(field.Name)) builder.Field(Renamed(field.Name), field.Schema);
        return builder.Build();
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Filters and renames the key's fields.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.ReplaceField$Key")]
    public sealed class Key() : ReplaceField(RecordPart.Key);

    /// <summary>Filters and renames the value's fields.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.ReplaceField$Value")]
    public sealed class Value() : ReplaceField(RecordPart.Value);
}
