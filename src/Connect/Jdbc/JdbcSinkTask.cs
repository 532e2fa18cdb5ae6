using System.Data.Common;
using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>
/// Writes records into PostgreSQL or SQLite tables (Confluent's <c>JdbcSinkTask</c>). Each put is written at once in
/// one transaction (nothing is buffered between puts, so the default pre-commit is right: what a put returned from is
/// durable). A transient database error (a lost connection, a deadlock, a busy SQLite file) rolls the put back, waits
/// <c>retry.backoff.ms</c> and throws <see cref="RetriableException"/> so the worker puts the same records again, up to
/// <c>max.retries</c> times in a row; then, and on any other error, the task fails with a
/// <see cref="ConnectException"/> naming the record and column.
/// </summary>
public sealed class JdbcSinkTask : SinkTask
{
    private JdbcSinkConfig _config = null!;
    private JdbcWriter _writer = null!;
    private int _remainingRetries;

    /// <summary>Parses the configuration; the database is first reached by the first put.</summary>
    /// <exception cref="ConfigException">a key is invalid or two keys contradict.</exception>
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        _config = JdbcSinkConfig.Parse(config);
        _writer = new JdbcWriter(_config);
        _remainingRetries = _config.MaxRetries;
    }

    /// <summary>Writes <paramref name="records"/> in one transaction.</summary>
    /// <exception cref="RetriableException">a transient database error; the records were rolled back and should be put again.</exception>
    /// <exception cref="ConnectException">a record cannot be written (bad data, missing table or column, a refused evolution), or transient errors outlasted max.retries.</exception>
    public override async Task PutAsync(IReadOnlyList<SinkRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0) return;
        try
        {
            await _writer.WriteAsync(records, cancellationToken).ConfigureAwait(false);
            _remainingRetries = _config.MaxRetries;
        }
        catch (Exception e) when (e is not ConnectException && _config.Dialect.IsTransient(e))
        {
            _writer.Invalidate();
            var where = $"{records.Count} records from (topic='{records[0].Topic}',partition={records[0].KafkaPartition},offset={records[0].KafkaOffset})";
            if (_remainingRetries <= 0)
                throw new ConnectException($"Writing {where} to the {_config.Dialect.Name} database failed {_config.MaxRetries + 1} times in a row ({JdbcConfigKeys.MaxRetries}={_config.MaxRetries}): {e.Message}", e);
            _remainingRetries--;
            try
            {
                // Confluent asks the worker to wait (context.timeout); here the task waits before handing the batch back.
                if (_config.RetryBackoffMs > 0) await Task.Delay(_config.RetryBackoffMs, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping: the worker will not retry anyway, but it should still see why the put failed.
            }
            throw new RetriableException($"Writing {where} to the {_config.Dialect.Name} database failed and will be retried ({_remainingRetries} retries left): {e.Message}", e);
        }
        catch (DbException e)
        {
            throw new ConnectException($"Writing {records.Count} records to the {_config.Dialect.Name} database failed: {e.Message}", e);
        }
    }

    /// <summary>Nothing to release: connections go back to the pool after each put.</summary>
    public override void Stop() { }
}
