using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>
/// Reads one table (or the configured query) for <see cref="JdbcSourceTask"/> (Confluent's <c>TableQuerier</c> with its
/// bulk and <c>TimestampIncrementingCriteria</c> variants). A query, once started, stays open over several polls, each
/// taking up to <c>batch.max.rows</c> rows; when it is exhausted the querier waits <c>poll.interval.ms</c> before the
/// next. The offset moves with every row returned, so the next query starts after the last row handed to the worker.
/// Used by the task's polling thread only.
/// </summary>
internal sealed class TableQuerier : IAsyncDisposable
{
    /// <summary>The source-offset key of the incrementing column's value.</summary>
    public const string IncrementingKey = "incrementing";

    /// <summary>The source-offset key of the timestamp in milliseconds since the epoch.</summary>
    public const string TimestampKey = "timestamp";

    /// <summary>The source-offset key of the timestamp's nanoseconds within its second.</summary>
    public const string TimestampNanosKey = "timestamp_nanos";

    private readonly JdbcSourceConfig _config;
    private readonly DatabaseDialect _dialect;
    private readonly string? _table;
    private long _lastIncrementing = -1;
    private DateTime _lastTimestamp = DateTime.UnixEpoch;
    private DbCommand? _command;
    private DbDataReader? _reader;
    private string? _schemaSignature;
    private Schema? _schema;
    private ColumnMapping?[] _mappings = [];
    private int _incrementingOrdinal = -1;
    private int[] _timestampOrdinals = [];

    /// <summary>A querier of <paramref name="table"/>, or of the configured query when it is null, resuming after <paramref name="storedOffset"/>.</summary>
    public TableQuerier(JdbcSourceConfig config, string? table, IReadOnlyDictionary<string, object?>? storedOffset)
    {
        _config = config;
        _dialect = config.Dialect;
        _table = table;
        Topic = table == null ? config.TopicPrefix : config.TopicPrefix + table;
        Partition = PartitionOf(table);
        if (storedOffset != null)
        {
            if (storedOffset.TryGetValue(IncrementingKey, out var inc) && inc != null) _lastIncrementing = ToLong(inc);
            if (storedOffset.TryGetValue(TimestampKey, out var ms) && ms != null)
            {
                var millis = ToLong(ms);
                _lastTimestamp = DateTime.UnixEpoch.AddMilliseconds(millis);
                if (storedOffset.TryGetValue(TimestampNanosKey, out var n) && n != null)
                {
                    // As java.sql.Timestamp.setNanos: the nanoseconds replace the whole fraction of the second.
                    var seconds = Math.Floor(millis / 1000.0);
                    _lastTimestamp = DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(ToLong(n) / 100);
                }
            }
        }
    }

    /// <summary>The topic the rows go to: <c>topic.prefix</c> + table, or <c>topic.prefix</c> with a query.</summary>
    public string Topic { get; }

    /// <summary>The source partition, as Confluent's: <c>{"table": name}</c> or <c>{"query": "query"}</c>.</summary>
    public IReadOnlyDictionary<string, object?> Partition { get; }

    /// <summary>When the next query may start (UTC); the minimum at first, so the first poll queries at once.</summary>
    public DateTime NextUpdateUtc { get; private set; } = DateTime.MinValue;

    /// <summary>True while a query's rows are being handed out.</summary>
    public bool Querying => _reader != null;

    /// <summary>What the querier reads, for messages.</summary>
    public string Describe() => _table != null ? $"table \"{_table}\"" : $"query '{_config.Query}'";

    /// <summary>The source partition of <paramref name="table"/> (null: the query).</summary>
    public static IReadOnlyDictionary<string, object?> PartitionOf(string? table) =>
        table == null ? new Dictionary<string, object?> { ["query"] = "query" } : new Dictionary<string, object?> { ["table"] = table };

    /// <summary>
    /// Up to <paramref name="maxRows"/> records, starting the query if none is running. When the query has no more rows
    /// it is closed and <see cref="NextUpdateUtc"/> set <c>poll.interval.ms</c> from <paramref name="nowUtc"/>.
    /// </summary>
    public async Task<List<SourceRecord>> ReadAsync(DbConnection connection, int maxRows, Func<DateTime> nowUtc, CancellationToken cancellationToken)
    {
        // Rows read but not returned (a failure or cancellation part-way) must be read again: go back to the offset
        // of the last row returned.
        var (incrementing, timestamp) = (_lastIncrementing, _lastTimestamp);
        try
        {
            if (_reader == null) await StartQueryAsync(connection, cancellationToken).ConfigureAwait(false);
            var records = new List<SourceRecord>(Math.Min(maxRows, 1024));
            while (records.Count < maxRows)
            {
                if (!await _reader!.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    await ResetAsync().ConfigureAwait(false);
                    NextUpdateUtc = nowUtc().AddMilliseconds(_config.PollIntervalMs);
                    break;
                }
                records.Add(Extract(_reader));
            }
            return records;
        }
        catch
        {
            (_lastIncrementing, _lastTimestamp) = (incrementing, timestamp);
            await ResetAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the running query, if any; the next read starts a new one from the offset reached.</summary>
    public async Task ResetAsync()
    {
        if (_reader != null) await _reader.DisposeAsync().ConfigureAwait(false);
        if (_command != null) await _command.DisposeAsync().ConfigureAwait(false);
        _reader = null;
        _command = null;
    }

    /// <summary>Puts the next query off until <paramref name="whenUtc"/> (after a failure).</summary>
    public void DelayUntil(DateTime whenUtc) => NextUpdateUtc = whenUtc;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(ResetAsync());

    private async Task StartQueryAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder(_table != null ? $"SELECT * FROM {DatabaseDialect.Quote(_table)}" : _config.Query);
        var command = connection.CreateCommand();
        try
        {
            var inc = _config.IncrementingColumn is { } i ? DatabaseDialect.Quote(i) : null;
            var ts = _config.TimestampColumns.Count switch
            {
                0 => null,
                1 => _dialect.TimestampExpression(DatabaseDialect.Quote(_config.TimestampColumns[0])),
                _ => "COALESCE(" + string.Join(", ", _config.TimestampColumns.Select(c => _dialect.TimestampExpression(DatabaseDialect.Quote(c)))) + ")",
            };
            var p = 0;
            string Param(DbParameter parameter)
            {
                command.Parameters.Add(parameter);
                return _dialect.Placeholder(p++);
            }
            DateTime EndTime(DateTime dbNow) => dbNow.AddMilliseconds(-_config.TimestampDelayIntervalMs);
            switch (_config.Mode)
            {
                case SourceMode.Incrementing:
                    sql.Append($" WHERE {inc} > {Param(_dialect.CreateParameter(p, Schema.Int64, _lastIncrementing))} ORDER BY {inc} ASC");
                    break;
                case SourceMode.Timestamp:
                {
                    var end = EndTime(await _dialect.CurrentTimeUtcAsync(connection, cancellationToken).ConfigureAwait(false));
                    sql.Append($" WHERE {ts} > {Param(_dialect.TimestampParameter(p, _lastTimestamp))} AND {ts} < {Param(_dialect.TimestampParameter(p, end))} ORDER BY {ts} ASC");
                    break;
                }
                case SourceMode.TimestampIncrementing:
                {
                    var end = EndTime(await _dialect.CurrentTimeUtcAsync(connection, cancellationToken).ConfigureAwait(false));
                    sql.Append($" WHERE {ts} < {Param(_dialect.TimestampParameter(p, end))}");
                    sql.Append($" AND (({ts} = {Param(_dialect.TimestampParameter(p, _lastTimestamp))} AND {inc} > {Param(_dialect.CreateParameter(p, Schema.Int64, _lastIncrementing))})");
                    sql.Append($" OR {ts} > {Param(_dialect.TimestampParameter(p, _lastTimestamp))})");
                    sql.Append($" ORDER BY {ts}, {inc} ASC");
                    break;
                }
            }
            command.CommandText = sql.ToString();
            _reader = await command.ExecuteReaderAsync(_dialect.MetadataBehavior, cancellationToken).ConfigureAwait(false);
            _command = command;
            await MapColumnsAsync(connection, _reader, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ResetAsync().ConfigureAwait(false);
            await command.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task MapColumnsAsync(DbConnection connection, DbDataReader reader, CancellationToken cancellationToken)
    {
        var signature = new StringBuilder();
        for (var i = 0; i < reader.FieldCount; i++) signature.Append(reader.GetName(i)).Append(':').Append(reader.GetDataTypeName(i)).Append(';');
        if (signature.ToString() == _schemaSignature) return;
        // Column metadata (nullability, scale) may cost the driver a catalog query: only when the result's shape changed.
        var columns = await _dialect.DescribeResultAsync(connection, reader, cancellationToken).ConfigureAwait(false);
        var mappings = new ColumnMapping?[columns.Count];
        var builder = SchemaBuilder.Struct().Name(_table);
        for (var i = 0; i < columns.Count; i++)
        {
            mappings[i] = _dialect.MapColumn(columns[i]);
            if (mappings[i] is { } m) builder.Field(m.Name, m.Schema);
        }
        _incrementingOrdinal = _config.IncrementingColumn is { } inc ? OrdinalOf(reader, inc) : -1;
        _timestampOrdinals = _config.TimestampColumns.Select(c => OrdinalOf(reader, c)).ToArray();
        _schema = builder.Build();
        _mappings = mappings;
        _schemaSignature = signature.ToString();
    }

    private int OrdinalOf(DbDataReader reader, string column)
    {
        for (var i = 0; i < reader.FieldCount; i++)
            if (reader.GetName(i) == column) return i;
        throw new ConnectException($"The {Describe()} has no column \"{column}\" for the {_config.Mode} mode; its columns are: " +
            string.Join(", ", Enumerable.Range(0, reader.FieldCount).Select(reader.GetName)) + ".");
    }

    private SourceRecord Extract(DbDataReader reader)
    {
        var value = new Struct(_schema!);
        for (var i = 0; i < _mappings.Length; i++)
        {
            if (_mappings[i] is not { } mapping || reader.IsDBNull(i)) continue;
            object read;
            try
            {
                read = mapping.Read(reader, i);
            }
            catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
            {
                throw new DataException($"Cannot read column \"{mapping.Name}\" of the {Describe()} as {mapping.Schema}: {e.Message}", e);
            }
            value.Put(mapping.Name, read);
        }
        IReadOnlyDictionary<string, object?>? offset = null;
        if (_config.Mode != SourceMode.Bulk)
        {
            var map = new Dictionary<string, object?>();
            if (_incrementingOrdinal >= 0)
            {
                _lastIncrementing = reader.IsDBNull(_incrementingOrdinal)
                    ? throw new ConnectException($"Null value in the incrementing column \"{_config.IncrementingColumn}\" of the {Describe()}; the column must be NOT NULL.")
                    : Convert.ToInt64(reader.GetValue(_incrementingOrdinal), CultureInfo.InvariantCulture);
                map[IncrementingKey] = _lastIncrementing;
            }
            if (_timestampOrdinals.Length > 0)
            {
                var ordinal = _timestampOrdinals.FirstOrDefault(o => !reader.IsDBNull(o), -1);
                if (ordinal < 0)
                    throw new ConnectException($"Null value in every timestamp column ({string.Join(", ", _config.TimestampColumns)}) of a row of the {Describe()}.");
                _lastTimestamp = ReadTimestamp(reader, ordinal);
                var ticks = (_lastTimestamp - DateTime.UnixEpoch).Ticks;
                map[TimestampKey] = (long)Math.Floor(ticks / (double)TimeSpan.TicksPerMillisecond);
                map[TimestampNanosKey] = (long)(((ticks % TimeSpan.TicksPerSecond) + TimeSpan.TicksPerSecond) % TimeSpan.TicksPerSecond) * 100;
            }
            offset = map;
        }
        return new SourceRecord(Partition, offset, Topic, null, null, null, _schema, value);
    }

    private DateTime ReadTimestamp(DbDataReader reader, int ordinal)
    {
        if (_mappings[ordinal] is { } mapping && mapping.Read(reader, ordinal) is DateTime mapped) return mapped;
        var raw = reader.GetDateTime(ordinal);
        return raw.Kind == DateTimeKind.Local ? raw.ToUniversalTime() : DateTime.SpecifyKind(raw, DateTimeKind.Utc);
    }

    private static long ToLong(object value) => value switch
    {
        JsonElement e => e.GetInt64(),
        string s => long.Parse(s, CultureInfo.InvariantCulture),
        _ => Convert.ToInt64(value, CultureInfo.InvariantCulture),
    };
}
