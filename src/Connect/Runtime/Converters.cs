using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Runtime;

/// <summary>The key and value converters of one connector's tasks.</summary>
public sealed record ConverterPair(IConverter Key, IConverter Value)
{
    /// <summary>
    /// The converters of a connector: its own <c>key.converter</c>/<c>value.converter</c> with the keys under that
    /// prefix in its config, else the worker's with the keys under the prefix in the worker's file, as Kafka does.
    /// </summary>
    /// <exception cref="ConfigException">a converter is unknown or refuses its keys.</exception>
    public static ConverterPair Create(WorkerConfig worker, ConnectorConfig connector, PluginRegistry plugins) =>
        new(Create(worker, connector, plugins, ConnectorConfig.KeyConverter, isKey: true),
            Create(worker, connector, plugins, ConnectorConfig.ValueConverter, isKey: false));

    private static IConverter Create(WorkerConfig worker, ConnectorConfig connector, PluginRegistry plugins, string key, bool isKey)
    {
        var own = connector.GetOrDefault<string>(key);
        var (name, props) = own is { Length: > 0 }
            ? (own, connector.WithPrefix(key + "."))
            : (worker.Get<string>(key), worker.WithPrefix(key + "."));
        var converter = PluginRegistry.Instantiate<IConverter>(plugins.Find(key, name, PluginKind.Converter));
        converter.Configure(props, isKey);
        return converter;
    }
}
