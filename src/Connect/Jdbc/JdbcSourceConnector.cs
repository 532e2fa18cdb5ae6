using System.Data.Common;
using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>
/// Copies PostgreSQL or SQLite tables into topics (Confluent's <c>io.confluent.connect.jdbc.JdbcSourceConnector</c>,
/// same keys). It lists the user tables that pass <c>table.whitelist</c> / <c>table.blacklist</c> and splits them
/// into at most <c>tasks.max</c> contiguous groups, one per task (the <c>tables</c> key of each task's
/// configuration); with <c>query</c> there is one task. Every <c>table.poll.interval.ms</c> it lists the tables again
/// and asks the worker to reconfigure the tasks when the list changed.
/// </summary>
[PluginAlias("io.confluent.connect.jdbc.JdbcSourceConnector")]
public sealed class JdbcSourceConnector : SourceConnector
{
    private readonly object _gate = new();
    private IReadOnlyDictionary<string, string> _props = new Dictionary<string, string>();
    private JdbcSourceConfig _config = null!;
    private IReadOnlyList<string> _tables = [];
    private Timer? _monitor;
    private int _checking;

    /// <inheritdoc />
    public override Type TaskType => typeof(JdbcSourceTask);

    /// <inheritdoc />
    public override ConfigDef Config => JdbcSourceConfig.Definition;

    /// <summary>Parses the configuration and lists the tables to read.</summary>
    /// <exception cref="ConfigException">a key is invalid or two keys contradict.</exception>
    /// <exception cref="ConnectException">the database cannot be reached to list its tables.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _props = new Dictionary<string, string>(config);
        _config = JdbcSourceConfig.Parse(config);
        if (_config.Query != null) return;
        _tables = ListTables();
        _monitor = new Timer(_ => CheckTables(), null, _config.TablePollIntervalMs, _config.TablePollIntervalMs);
    }

    private IReadOnlyList<string> ListTables()
    {
        try
        {
            using var connection = _config.Dialect.CreateConnection();
            connection.Open();
            return _config.Select(_config.Dialect.ListTablesAsync(connection, CancellationToken.None).GetAwaiter().GetResult());
        }
        catch (DbException e)
        {
            throw new ConnectException($"Cannot list the tables of the {_config.Dialect.Name} database at {JdbcConfigKeys.ConnectionUrl}: {e.Message}", e);
        }
    }

    private void CheckTables()
    {
        // Timer callbacks overlap when listing takes longer than the interval: let one run at a time.
        if (Interlocked.Exchange(ref _checking, 1) == 1) return;
        try
        {
            var tables = ListTables();
            lock (_gate)
            {
                if (tables.SequenceEqual(_tables, StringComparer.Ordinal)) return;
                _tables = tables;
            }
            Context?.RequestTaskReconfiguration();
        }
        catch (ConnectException)
        {
            // The database is unreachable for now: the tasks report that themselves; check again next interval.
        }
        finally
        {
            Volatile.Write(ref _checking, 0);
        }
    }

    /// <summary>The tables, split into at most <paramref name="maxTasks"/> groups; one configuration with a query; none when no table matches.</summary>
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks)
    {
        if (_config.Query != null) return [_props];
        IReadOnlyList<string> tables;
        lock (_gate) tables = _tables;
        return Group(tables, maxTasks)
            .Select(group => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(_props) { [JdbcConfigKeys.Tables] = string.Join(",", group) })
            .ToList();
    }

    /// <summary>
    /// <paramref name="items"/> in at most <paramref name="groups"/> contiguous groups whose sizes differ by at most
    /// one, the larger first (Kafka's <c>ConnectorUtils.groupPartitions</c>).
    /// </summary>
    internal static IReadOnlyList<IReadOnlyList<string>> Group(IReadOnlyList<string> items, int groups)
    {
        var count = Math.Min(items.Count, Math.Max(groups, 1));
        var result = new List<IReadOnlyList<string>>(count);
        var start = 0;
        for (var g = 0; g < count; g++)
        {
            var size = items.Count / count + (g < items.Count % count ? 1 : 0);
            result.Add(items.Skip(start).Take(size).ToList());
            start += size;
        }
        return result;
    }

    /// <summary>Stops checking the tables.</summary>
    public override void Stop()
    {
        _monitor?.Dispose();
        _monitor = null;
    }

    /// <summary>Each key on its own, then the checks between keys (modes and their columns, white- and blacklist, query).</summary>
    public override IReadOnlyList<ConfigValue> Validate(IReadOnlyDictionary<string, string> connectorConfig) =>
        JdbcConfigValidation.Validate(Config, connectorConfig, props => JdbcSourceConfig.Parse(props));
}
