using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>Validation for the REST API's validate endpoint: each key on its own, then the checks between keys.</summary>
internal static class JdbcConfigValidation
{
    /// <summary>
    /// <paramref name="definition"/>'s validation of each key; when every key passes, <paramref name="parse"/>'s
    /// objection (if any) is added to the key its message names, or to the first key.
    /// </summary>
    public static IReadOnlyList<ConfigValue> Validate(ConfigDef definition, IReadOnlyDictionary<string, string> props, Action<IReadOnlyDictionary<string, string>> parse)
    {
        var values = definition.Validate(props).ToList();
        if (values.Any(v => v.ErrorMessages.Count > 0)) return values;
        try
        {
            parse(props);
        }
        catch (ConfigException e)
        {
            var index = values.FindIndex(v => e.Message.Contains($"configuration {v.Name}:", StringComparison.Ordinal));
            if (index < 0) index = values.FindIndex(v => e.Message.Contains(v.Name, StringComparison.Ordinal));
            if (index < 0) index = 0;
            values[index] = values[index] with { ErrorMessages = [.. values[index].ErrorMessages, e.Message] };
        }
        return values;
    }
}
