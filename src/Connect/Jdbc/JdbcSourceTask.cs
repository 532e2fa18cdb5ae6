using System.Data.Common;
using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>
/// Reads the tables its connector gave it (the <c>tables</c> key), or the configured <c>query</c>, into records
/// (Confluent's <c>JdbcSourceTask</c>). The tables take turns: the one at the head of the queue is queried once its
/// <c>poll.interval.ms</c> has passed, hands out up to <c>batch.max.rows</c> rows per poll until its query is exhausted,
/// and then goes to the back. A poll with nothing due waits for the next table's time, at most a second, and stops
/// waiting when cancelled or stopped. Records have no key; the value is a struct named after the table whose fields
/// are the result's columns; the source partition is <c>{"table": name}</c> (<c>{"query": "query"}</c>) and the
/// offset Confluent's <c>{"incrementing": id}</c> and/or <c>{"timestamp": ms, "timestamp_nanos": ns}</c>. On start the
/// task resumes after the stored offsets. One database connection per task, opened on the first poll and again after
/// a failure. The worker calls <see cref="PollAsync"/> from one thread at a time; <see cref="Stop"/> may come from another.
/// </summary>
public sealed class JdbcSourceTask : SourceTask
{
    /// <summary>The longest a poll waits when no table is due, as the worker's contract asks.</summary>
    internal static readonly TimeSpan MaxPollWait = TimeSpan.FromSeconds(1);

    private readonly LinkedList<TableQuerier> _queriers = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _polling = new(1, 1);
    private JdbcSourceConfig _config = null!;
    private DbConnection? _connection;

    /// <summary>Parses the configuration, checks the incremental columns and loads each table's stored offset.</summary>
    /// <exception cref="ConfigException">a key is invalid, or the task has neither tables nor a query.</exception>
    /// <exception cref="ConnectException">validate.non.null is on and an incremental column allows NULL, or the database cannot be reached to check it.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _config = JdbcSourceConfig.Parse(config);
        IReadOnlyList<string?> sources;
        if (_config.Query != null) sources = [null];
        else if (_config.Tables is { Count: > 0 } tables) sources = tables.ToList<string?>();
        else throw new ConfigException(JdbcConfigKeys.Tables, "", "A JDBC source task needs at least one table (set by JdbcSourceConnector) or a query");
        if (_config.ValidateNonNull && _config.Mode != SourceMode.Bulk && _config.Query == null)
            ValidateNonNullableAsync(sources!).GetAwaiter().GetResult();
        foreach (var source in sources)
            _queriers.AddLast(new TableQuerier(_config, source, Context?.OffsetStorageReader.Offset(TableQuerier.PartitionOf(source))));
    }

    private async Task ValidateNonNullableAsync(IEnumerable<string> tables)
    {
        var columns = _config.TimestampColumns.Prepend(_config.IncrementingColumn).OfType<string>().ToList();
        try
        {
            await using var connection = await _config.Dialect.OpenAsync(_stopping.Token).ConfigureAwait(false);
            foreach (var table in tables)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT * FROM {DatabaseDialect.Quote(table)} WHERE 1 = 0";
                await using var reader = await command.ExecuteReaderAsync(_config.Dialect.MetadataBehavior, _stopping.Token).ConfigureAwait(false);
                var schema = await _config.Dialect.DescribeResultAsync(connection, reader, _stopping.Token).ConfigureAwait(false);
                foreach (var name in columns)
                {
                    var column = schema.FirstOrDefault(c => c.ColumnName == name)
                        ?? throw new ConnectException($"Table \"{table}\" has no column \"{name}\" for mode {_config.Mode}; its columns are: {string.Join(", ", schema.Select(c => c.ColumnName))}.");
                    if (_config.Dialect.IsNullable(column))
                        throw new ConnectException($"Cannot make incremental queries using column \"{name}\" on table \"{table}\" because this column is nullable; " +
                            $"make it NOT NULL, or set {JdbcConfigKeys.ValidateNonNull}=false to read only its rows where it is not null.");
                }
            }
        }
        catch (DbException e)
        {
            throw new ConnectException($"Cannot check the incremental columns of tables {string.Join(", ", tables)} on the {_config.Dialect.Name} database: {e.Message}", e);
        }
    }

    /// <summary>The next rows of the table due first; an empty list when none is due within a second or on cancellation.</summary>
    /// <exception cref="RetriableException">the database could not be reached or the query failed transiently; the task reconnects on the next poll.</exception>
    /// <exception cref="ConnectException">a query failed for good (a missing table or column, a bad query, a value that does not fit).</exception>
    public override async Task<IReadOnlyList<SourceRecord>> PollAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var token = linked.Token;
        try
        {
            await _polling.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return [];
        }
        try
        {
            var deadline = DateTime.UtcNow + MaxPollWait;
            while (!token.IsCancellationRequested && _queriers.First is { } head)
            {
                var querier = head.Value;
                if (!querier.Querying)
                {
                    var now = DateTime.UtcNow;
                    var wait = querier.NextUpdateUtc - now;
                    if (wait > TimeSpan.Zero)
                    {
                        var left = deadline - now;
                        if (left <= TimeSpan.Zero) return [];
                        await Task.Delay(wait < left ? wait : left, token).ConfigureAwait(false);
                        continue;
                    }
                }
                var records = await ReadAsync(querier, token).ConfigureAwait(false);
                if (!querier.Querying)
                {
                    _queriers.RemoveFirst();
                    _queriers.AddLast(querier);
                }
                if (records.Count > 0) return records;
            }
            return [];
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return [];
        }
        finally
        {
            _polling.Release();
        }
    }

    private async Task<List<SourceRecord>> ReadAsync(TableQuerier querier, CancellationToken token)
    {
        try
        {
            _connection ??= await _config.Dialect.OpenAsync(token).ConfigureAwait(false);
            return await querier.ReadAsync(_connection, _config.BatchMaxRows, () => DateTime.UtcNow, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException || _config.Dialect.IsTransient(e))
        {
            // The connection may be broken: open a new one next time, and leave this table for a poll interval.
            await CloseConnectionAsync().ConfigureAwait(false);
            querier.DelayUntil(DateTime.UtcNow.AddMilliseconds(_config.PollIntervalMs));
            _queriers.Remove(querier);
            _queriers.AddLast(querier);
            if (_config.Dialect.IsTransient(e))
                throw new RetriableException($"Reading the {querier.Describe()} from the {_config.Dialect.Name} database failed and will be retried: {e.Message}", e);
            throw new ConnectException($"Reading the {querier.Describe()} from the {_config.Dialect.Name} database failed: {e.Message}", e);
        }
    }

    private async Task CloseConnectionAsync()
    {
        foreach (var querier in _queriers) await querier.ResetAsync().ConfigureAwait(false);
        if (_connection != null) await _connection.DisposeAsync().ConfigureAwait(false);
        _connection = null;
    }

    /// <summary>Stops polling: a waiting poll returns at once; the connection is closed once no poll uses it.</summary>
    public override void Stop()
    {
        _stopping.Cancel();
        // A poll in progress sees the cancellation and leaves; close after it, or leave it to the pool if it hangs.
        if (!_polling.Wait(TimeSpan.FromSeconds(10))) return;
        try
        {
            CloseConnectionAsync().GetAwaiter().GetResult();
        }
        finally
        {
            _polling.Release();
        }
    }
}
