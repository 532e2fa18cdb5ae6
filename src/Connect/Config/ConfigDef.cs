using System.Globalization;

namespace AkkaBroker.Connect.Config;

/// <summary>The type of a configuration key's value (Kafka's <c>ConfigDef.Type</c>).</summary>
public enum ConfigType { Boolean, String, Int, Short, Long, Double, List, Class, Password }

/// <summary>How much a key matters to a user (Kafka's <c>ConfigDef.Importance</c>).</summary>
public enum Importance { High, Medium, Low }

/// <summary>One defined configuration key: name, type, default, validator, importance, documentation and group.</summary>
/// <param name="Name">The key, in Kafka's spelling.</param>
/// <param name="Type">How its text is parsed.</param>
/// <param name="DefaultValue">The parsed value used when the key is absent; <see cref="ConfigDef.NoDefault"/> makes it required.</param>
/// <param name="Validator">Checks a parsed value; throws <see cref="ConfigException"/> naming the key and what is allowed.</param>
public sealed record ConfigKey(string Name, ConfigType Type, object? DefaultValue, Action<string, object?>? Validator, Importance Importance,
    string Documentation, string? Group = null, int OrderInGroup = -1, string? DisplayName = null)
{
    /// <summary>True when the key has no default and so must be given.</summary>
    public bool IsRequired => ReferenceEquals(DefaultValue, ConfigDef.NoDefault);
}

/// <summary>The outcome of validating one key: its value as given and the errors found (Kafka's <c>ConfigValue</c>).</summary>
public sealed record ConfigValue(string Name, object? Value, IReadOnlyList<string> RecommendedValues, IReadOnlyList<string> ErrorMessages, bool Visible = true);

/// <summary>
/// The configuration a connector, task, converter or transform accepts (Kafka's <c>ConfigDef</c>): each key's type,
/// default, validator and documentation. <see cref="Parse"/> turns the strings of a connector's config into typed
/// values or refuses them naming the key; <see cref="Validate"/> collects every problem for the REST API's
/// validate endpoint instead of stopping at the first.
/// </summary>
public sealed class ConfigDef
{
    /// <summary>The default of a key that has none: the key is required.</summary>
    public static readonly object NoDefault = new();

    private readonly Dictionary<string, ConfigKey> _keys = new(StringComparer.Ordinal);
    private readonly List<string> _groups = [];

    /// <summary>The defined keys in definition order.</summary>
    public IEnumerable<ConfigKey> Keys => _keys.Values;

    /// <summary>The groups keys were defined in, in order.</summary>
    public IReadOnlyList<string> Groups => _groups;

    /// <summary>Defines <paramref name="name"/>.</summary>
    /// <param name="defaultValue">The value when absent, as text or already typed; <see cref="NoDefault"/> for a required key.</param>
    /// <exception cref="ConfigException">the key is defined twice, or the default does not parse or validate.</exception>
    public ConfigDef Define(string name, ConfigType type, object? defaultValue, Importance importance, string documentation,
        Action<string, object?>? validator = null, string? group = null, string? displayName = null)
    {
        if (_keys.ContainsKey(name)) throw new ConfigException($"Configuration key '{name}' is defined twice.");
        var parsedDefault = defaultValue;
        if (!ReferenceEquals(defaultValue, NoDefault) && defaultValue is string text && type != ConfigType.String)
            parsedDefault = ParseValue(name, type, text);
        if (!ReferenceEquals(parsedDefault, NoDefault) && parsedDefault != null) validator?.Invoke(name, parsedDefault);
        var order = -1;
        if (group != null)
        {
            if (!_groups.Contains(group)) _groups.Add(group);
            order = _keys.Values.Count(k => k.Group == group) + 1;
        }
        _keys[name] = new ConfigKey(name, type, parsedDefault, validator, importance, documentation, group, order, displayName ?? name);
        return this;
    }

    /// <summary>Defines a required key (no default).</summary>
    public ConfigDef DefineRequired(string name, ConfigType type, Importance importance, string documentation,
        Action<string, object?>? validator = null, string? group = null) =>
        Define(name, type, NoDefault, importance, documentation, validator, group);

    /// <summary>The keys of this definition and of <paramref name="other"/> (a connector's own and the worker's common keys).</summary>
    public ConfigDef Merge(ConfigDef other)
    {
        var merged = new ConfigDef();
        foreach (var key in Keys.Concat(other.Keys))
            if (!merged._keys.ContainsKey(key.Name))
            {
                merged._keys[key.Name] = key;
                if (key.Group != null && !merged._groups.Contains(key.Group)) merged._groups.Add(key.Group);
            }
        return merged;
    }

    /// <summary>
    /// The typed value of every defined key: given ones parsed and validated, absent ones their defaults. Keys that are
    /// not defined are passed through as strings (connectors read prefixed sub-configs such as <c>transforms.x.*</c>).
    /// </summary>
    /// <exception cref="ConfigException">a required key is missing or a value does not parse or validate; the message names the key.</exception>
    public IReadOnlyDictionary<string, object?> Parse(IReadOnlyDictionary<string, string> props)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in props) values[name] = value;
        foreach (var key in _keys.Values) values[key.Name] = ParseKey(key, props);
        return values;
    }

    /// <summary>Every key's value and errors, without stopping at the first problem.</summary>
    public IReadOnlyList<ConfigValue> Validate(IReadOnlyDictionary<string, string> props)
    {
        var results = new List<ConfigValue>();
        foreach (var key in _keys.Values)
        {
            props.TryGetValue(key.Name, out var given);
            var errors = new List<string>();
            try
            {
                ParseKey(key, props);
            }
            catch (ConfigException e)
            {
                errors.Add(e.Message);
            }
            results.Add(new ConfigValue(key.Name, given ?? (key.IsRequired ? null : FormatDefault(key)), [], errors));
        }
        return results;
    }

    private static object? ParseKey(ConfigKey key, IReadOnlyDictionary<string, string> props)
    {
        object? value;
        if (props.TryGetValue(key.Name, out var text)) value = ParseValue(key.Name, key.Type, text);
        else if (key.IsRequired) throw new ConfigException($"Missing required configuration \"{key.Name}\" which has no default value.");
        else value = key.DefaultValue;
        if (value != null) key.Validator?.Invoke(key.Name, value);
        return value;
    }

    /// <summary>The default of <paramref name="key"/> as text, as the REST API shows it.</summary>
    public static string? FormatDefault(ConfigKey key) => key.IsRequired ? null : key.DefaultValue switch
    {
        null => null,
        bool b => b ? "true" : "false",
        IEnumerable<string> list => string.Join(",", list),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var v => v.ToString(),
    };

    /// <summary>Parses <paramref name="text"/> as <paramref name="type"/>.</summary>
    /// <exception cref="ConfigException">the text is not a valid <paramref name="type"/>; the message names the key, the value and the type.</exception>
    public static object? ParseValue(string name, ConfigType type, string text)
    {
        var trimmed = type == ConfigType.Password ? text : text.Trim();
        ConfigException Invalid(string expected) => new(name, text, $"Expected {expected}");
        switch (type)
        {
            case ConfigType.Boolean:
                return trimmed.Equals("true", StringComparison.OrdinalIgnoreCase) ? true
                    : trimmed.Equals("false", StringComparison.OrdinalIgnoreCase) ? false
                    : throw Invalid("value to be either true or false");
            case ConfigType.String:
            case ConfigType.Class:
            case ConfigType.Password:
                return trimmed;
            case ConfigType.Int:
                return int.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw Invalid("value to be a 32-bit integer");
            case ConfigType.Short:
                return short.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : throw Invalid("value to be a 16-bit integer");
            case ConfigType.Long:
                return long.TryParse(trimmed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : throw Invalid("value to be a 64-bit integer");
            case ConfigType.Double:
                return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Invalid("value to be a number");
            case ConfigType.List:
                return trimmed.Length == 0 ? new List<string>() : trimmed.Split(',').Select(x => x.Trim()).ToList();
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }
}
