using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>
/// Writes topics into PostgreSQL or SQLite tables (Confluent's <c>io.confluent.connect.jdbc.JdbcSinkConnector</c>,
/// same keys): one table per topic (<c>table.name.format</c>), rows inserted, upserted or updated by a primary key
/// taken from the record (<c>pk.mode</c>, <c>pk.fields</c>), tombstones deleting rows (<c>delete.enabled</c>), tables
/// created and evolved from the records' schemas (<c>auto.create</c>, <c>auto.evolve</c>). Every task gets the same
/// configuration; the worker's consumer group spreads the partitions over them.
/// </summary>
[PluginAlias("io.confluent.connect.jdbc.JdbcSinkConnector")]
public sealed class JdbcSinkConnector : SinkConnector
{
    private IReadOnlyDictionary<string, string> _props = new Dictionary<string, string>();

    /// <inheritdoc />
    public override Type TaskType => typeof(JdbcSinkTask);

    /// <inheritdoc />
    public override ConfigDef Config => JdbcSinkConfig.Definition;

    /// <summary>Checks the configuration.</summary>
    /// <exception cref="ConfigException">a key is invalid or two keys contradict.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        JdbcSinkConfig.Parse(config);
        _props = new Dictionary<string, string>(config);
    }

    /// <summary><paramref name="maxTasks"/> copies of the connector's configuration.</summary>
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) =>
        Enumerable.Range(0, Math.Max(maxTasks, 1)).Select(_ => _props).ToList();

    /// <inheritdoc />
    public override void Stop() { }

    /// <summary>Each key on its own, then the checks between keys (delete.enabled with pk.mode, upsert with a key).</summary>
    public override IReadOnlyList<ConfigValue> Validate(IReadOnlyDictionary<string, string> connectorConfig) =>
        JdbcConfigValidation.Validate(Config, connectorConfig, props => JdbcSinkConfig.Parse(props));
}
