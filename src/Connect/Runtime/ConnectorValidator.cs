using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Runtime;

/// <summary>One key in a validation result: its definition (null for keys only the connector checks) and its value with errors.</summary>
public sealed record ConfigInfo(ConfigKey? Definition, ConfigValue Value);

/// <summary>The result of validating a connector config (Kafka's <c>ConfigInfos</c>): every key with its errors.</summary>
public sealed record ConfigInfos(string Name, int ErrorCount, IReadOnlyList<string> Groups, IReadOnlyList<ConfigInfo> Configs)
{
    /// <summary>Kafka's message listing every error, for a refused create or update.</summary>
    public string ErrorMessage() =>
        $"Connector configuration is invalid and contains the following {ErrorCount} error(s):\n" +
        string.Join("\n", Configs.SelectMany(c => c.Value.ErrorMessages)) +
        "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`";
}

/// <summary>
/// Checks a whole connector config without starting anything (Kafka's <c>AbstractHerder.validateConnectorConfig</c>):
/// the keys every connector has, the connector's own keys through its <see cref="Connector.Validate"/>, sink topic
/// rules, converters, and each transform's and predicate's type and keys. Collects every problem rather than
/// stopping at the first, so a user fixes a config in one round.
/// </summary>
public static class ConnectorValidator
{
    /// <summary>Validates <paramref name="config"/>.</summary>
    public static ConfigInfos Validate(IReadOnlyDictionary<string, string> config, PluginRegistry plugins)
    {
        var infos = new List<ConfigInfo>();
        config.TryGetValue(ConnectorConfig.ConnectorClass, out var className);
        PluginDescriptor? plugin = null;
        string? classError = null;
        if (className == null) classError = $"Missing required configuration \"{ConnectorConfig.ConnectorClass}\" which has no default value.";
        else
        {
            try
            {
                plugin = plugins.Find(ConnectorConfig.ConnectorClass, className, PluginKind.Source, PluginKind.Sink);
            }
            catch (ConfigException e)
            {
                classError = e.Message;
            }
        }
        var common = ConnectorConfig.Definition(plugin?.Kind ?? PluginKind.Source);
        foreach (var value in common.Validate(config))
        {
            var key = common.Keys.First(k => k.Name == value.Name);
            var errors = value.Name == ConnectorConfig.ConnectorClass && classError != null ? [classError] : value.ErrorMessages;
            infos.Add(new ConfigInfo(key, value with { ErrorMessages = errors }));
        }
        if (plugin != null)
        {
            var connector = PluginRegistry.Instantiate<Connector>(plugin);
            var own = connector.Config;
            IReadOnlyList<ConfigValue> ownValues;
            try
            {
                ownValues = connector.Validate(config);
            }
            catch (Exception e) when (e is ConnectException or ArgumentException)
            {
                ownValues = [new ConfigValue(ConnectorConfig.ConnectorClass, className, [], [$"The connector's validation failed: {e.Message}"])];
            }
            foreach (var value in ownValues)
            {
                var key = own.Keys.FirstOrDefault(k => k.Name == value.Name);
                var existing = infos.FindIndex(i => i.Value.Name == value.Name);
                if (existing >= 0) infos[existing] = infos[existing] with { Value = infos[existing].Value with { ErrorMessages = [.. infos[existing].Value.ErrorMessages, .. value.ErrorMessages] } };
                else infos.Add(new ConfigInfo(key, value));
            }
            // Only the rules between the topic keys: a key that does not parse already has its error on its own key.
            if (plugin.Kind == PluginKind.Sink && ConnectorConfig.SinkTopicsError(config) is { } topicsError)
                AddError(infos, topicsError.Key, topicsError.Message);
        }
        foreach (var key in new[] { ConnectorConfig.KeyConverter, ConnectorConfig.ValueConverter })
        {
            if (!config.TryGetValue(key, out var converter) || converter.Length == 0) continue;
            try
            {
                var instance = PluginRegistry.Instantiate<IConverter>(plugins.Find(key, converter, PluginKind.Converter));
                foreach (var value in instance.Config.Validate(WithPrefix(config, key + ".")))
                    foreach (var error in value.ErrorMessages) AddError(infos, $"{key}.{value.Name}", error);
            }
            catch (ConfigException e)
            {
                AddError(infos, key, e.Message);
            }
        }
        ValidatePlugins(config, plugins, infos, ConnectorConfig.Predicates, "predicates", PluginKind.Predicate, p => ((IPredicate)p).Config);
        ValidatePlugins(config, plugins, infos, ConnectorConfig.Transforms, "transforms", PluginKind.Transformation, p => ((ITransformation)p).Config,
            ["predicate", "negate"]);
        ValidateTransformConditions(config, infos);
        var groups = common.Groups.Concat(plugin == null ? [] : PluginRegistry.Instantiate<Connector>(plugin).Config.Groups).Distinct().ToList();
        return new ConfigInfos(plugin?.Type.Name ?? className ?? "", infos.Sum(i => i.Value.ErrorMessages.Count), groups, infos);
    }

    private static void ValidatePlugins(IReadOnlyDictionary<string, string> config, PluginRegistry plugins, List<ConfigInfo> infos,
        string listKey, string prefixRoot, PluginKind kind, Func<object, ConfigDef> definition, string[]? extraKeys = null)
    {
        if (!config.TryGetValue(listKey, out var list)) return;
        foreach (var alias in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var prefix = $"{prefixRoot}.{alias}.";
            if (!config.TryGetValue(prefix + "type", out var type))
            {
                AddError(infos, prefix + "type", $"Missing required configuration \"{prefix}type\" which has no default value.");
                continue;
            }
            try
            {
                var instance = Activator.CreateInstance(plugins.Find(prefix + "type", type, kind).Type)!;
                var props = WithPrefix(config, prefix);
                props.Remove("type");
                foreach (var extra in extraKeys ?? []) props.Remove(extra);
                foreach (var value in definition(instance).Validate(props))
                    foreach (var error in value.ErrorMessages) AddError(infos, prefix + value.Name, error);
                (instance as IDisposable)?.Dispose();
            }
            catch (ConfigException e)
            {
                AddError(infos, prefix + "type", e.Message);
            }
        }
    }

    /// <summary>Each transform's <c>predicate</c> names a listed predicate and its <c>negate</c> is a boolean, as <see cref="TransformationChain.Create"/> requires.</summary>
    private static void ValidateTransformConditions(IReadOnlyDictionary<string, string> config, List<ConfigInfo> infos)
    {
        if (!config.TryGetValue(ConnectorConfig.Transforms, out var transforms)) return;
        var predicates = config.TryGetValue(ConnectorConfig.Predicates, out var list)
            ? (List<string>)ConfigDef.ParseValue(ConnectorConfig.Predicates, ConfigType.List, list)!
            : [];
        foreach (var alias in transforms.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var prefix = $"transforms.{alias}.";
            if (config.TryGetValue(prefix + "predicate", out var predicate) && predicate.Length > 0 && !predicates.Contains(predicate))
                AddError(infos, prefix + "predicate", new ConfigException(prefix + "predicate", predicate,
                    $"There is no predicate '{predicate}'; list it in predicates and configure predicates.{predicate}.type").Message);
            if (config.TryGetValue(prefix + "negate", out var negate))
            {
                try { ConfigDef.ParseValue(prefix + "negate", ConfigType.Boolean, negate); }
                catch (ConfigException e) { AddError(infos, prefix + "negate", e.Message); }
            }
        }
    }

    private static Dictionary<string, string> WithPrefix(IReadOnlyDictionary<string, string> config, string prefix) =>
        config.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);

    private static void AddError(List<ConfigInfo> infos, string name, string error)
    {
        var index = infos.FindIndex(i => i.Value.Name == name);
        if (index >= 0)
        {
            var value = infos[index].Value;
            if (!value.ErrorMessages.Contains(error)) infos[index] = infos[index] with { Value = value with { ErrorMessages = [.. value.ErrorMessages, error] } };
        }
        else infos.Add(new ConfigInfo(null, new ConfigValue(name, null, [], [error])));
    }
}
