using System.Data.Common;
using System.Text;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>
/// Writes sink records into tables for <see cref="JdbcSinkTask"/> (Confluent's <c>JdbcDbWriter</c>,
/// <c>BufferedRecords</c> and <c>DbStructure</c> together). One call writes all its records in one transaction:
/// records are buffered per table and sent <c>batch.size</c> statements at a time (one round trip per batch where the
/// driver batches, as Npgsql does; one prepared statement re-bound per record otherwise); before the first record of a
/// new shape the table is created or evolved as configured. Within a table the statements run in record order, so a
/// tombstone after an upsert of the same key deletes the row. Used by one task's thread at a time.
/// </summary>
internal sealed class JdbcWriter(JdbcSinkConfig config)
{
    private enum Kind { Write, Delete }

    private sealed record Op(Kind Kind, SinkRecord Record, FieldsMetadata Fields);

    private readonly DatabaseDialect _dialect = config.Dialect;
    private readonly Dictionary<string, IReadOnlyDictionary<string, TableColumn>> _tables = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Table, Schema? Key, Schema? Value), FieldsMetadata> _fields = new();
    private readonly Dictionary<(FieldsMetadata, Kind, string), string> _statements = new();

    /// <summary>Forgets what it knew of the tables (after a failed transaction, whose DDL was rolled back).</summary>
    public void Invalidate() => _tables.Clear();

    /// <summary>Writes <paramref name="records"/> in one transaction.</summary>
    /// <exception cref="DbException">a database error the dialect calls transient (the caller retries).</exception>
    /// <exception cref="ConnectException">a record or the table is wrong; the message names the record's topic, partition and offset and the column when known.</exception>
    public async Task WriteAsync(IReadOnlyList<SinkRecord> records, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var buffers = new Dictionary<string, List<Op>>(StringComparer.Ordinal);
        var shapes = new Dictionary<string, FieldsMetadata>(StringComparer.Ordinal);
        try
        {
            foreach (var record in records)
            {
                var table = config.TableName(record.Topic);
                var tombstone = record.Value == null;
                if (tombstone && !config.DeleteEnabled)
                    throw new ConnectException($"Sink is configured with {JdbcConfigKeys.DeleteEnabled}=false and {JdbcConfigKeys.PkMode}={config.PkMode} and therefore requires records with a non-null Struct value and non-null Struct schema, " +
                        $"but found record at (topic='{record.Topic}',partition={record.KafkaPartition},offset={record.KafkaOffset}) with a null value.");
                if (!tombstone && record.Value is not Struct)
                    throw new ConnectException($"The record at (topic='{record.Topic}',partition={record.KafkaPartition},offset={record.KafkaOffset}) has a {record.Value!.GetType().Name} value; " +
                        "the JDBC sink writes struct values with a schema (a converter with schemas, or a transform that makes a struct).");
                if (tombstone && record.Key == null)
                    throw new ConnectException($"The tombstone at (topic='{record.Topic}',partition={record.KafkaPartition},offset={record.KafkaOffset}) has no key, so no row to delete.");
                var fields = FieldsOf(table, record, tombstone);
                if (!buffers.TryGetValue(table, out var buffer)) buffers[table] = buffer = [];
                if (!shapes.TryGetValue(table, out var shape) || !ReferenceEquals(shape, fields))
                {
                    // A new shape may need DDL, which must follow the statements already buffered for the old one.
                    await FlushAsync(connection, transaction, table, buffer, cancellationToken).ConfigureAwait(false);
                    await EnsureTableAsync(connection, transaction, table, fields, record, cancellationToken).ConfigureAwait(false);
                    shapes[table] = fields;
                }
                buffer.Add(new Op(tombstone ? Kind.Delete : Kind.Write, record, fields));
                if (buffer.Count >= config.BatchSize) await FlushAsync(connection, transaction, table, buffer, cancellationToken).ConfigureAwait(false);
            }
            foreach (var (table, buffer) in buffers) await FlushAsync(connection, transaction, table, buffer, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Invalidate();
            throw;
        }
    }

    private FieldsMetadata FieldsOf(string table, SinkRecord record, bool tombstone)
    {
        // A tombstone's value schema says nothing about the row; its key alone picks it.
        var valueSchema = tombstone ? null : record.ValueSchema ?? ((Struct)record.Value!).Schema;
        var cacheKey = (table, record.KeySchema, valueSchema);
        if (!_fields.TryGetValue(cacheKey, out var fields))
        {
            fields = FieldsMetadata.Extract(table, config, record.KeySchema, valueSchema);
            if (_fields.Count > 1000) _fields.Clear();
            _fields[cacheKey] = fields;
        }
        return fields;
    }

    private async Task EnsureTableAsync(DbConnection connection, DbTransaction transaction, string table, FieldsMetadata fields, SinkRecord record,
        CancellationToken cancellationToken)
    {
        if (!_tables.TryGetValue(table, out var columns))
        {
            columns = await _dialect.DescribeTableAsync(connection, transaction, table, cancellationToken).ConfigureAwait(false);
            if (columns.Count == 0)
            {
                if (!config.AutoCreate)
                    throw new ConnectException($"Table \"{table}\" is missing and auto-creation is disabled (set {JdbcConfigKeys.AutoCreate}=true, or create it); " +
                        $"first record at (topic='{record.Topic}',partition={record.KafkaPartition},offset={record.KafkaOffset}).");
                await ExecuteDdlAsync(connection, transaction, CreateTable(table, fields), cancellationToken).ConfigureAwait(false);
                columns = await _dialect.DescribeTableAsync(connection, transaction, table, cancellationToken).ConfigureAwait(false);
            }
            _tables[table] = columns;
        }
        var missing = fields.AllFields.Where(f => !columns.ContainsKey(f.Name)).ToList();
        if (missing.Count == 0) return;
        if (!config.AutoEvolve)
            throw new ConnectException($"Table \"{table}\" is missing fields ({string.Join(", ", missing.Select(f => f.Name))}) and auto-evolution is disabled " +
                $"(set {JdbcConfigKeys.AutoEvolve}=true, or add the columns); record at (topic='{record.Topic}',partition={record.KafkaPartition},offset={record.KafkaOffset}).");
        foreach (var field in missing)
        {
            if (!field.Schema.IsOptional && field.Schema.DefaultValue == null)
                throw new ConnectException($"Cannot ALTER TABLE \"{table}\" to add missing field \"{field.Name}\", as the field is not optional and does not have a default value; " +
                    $"record at (topic='{record.Topic}',partition={record.KafkaPartition},offset={record.KafkaOffset}).");
            await ExecuteDdlAsync(connection, transaction, _dialect.AddColumn(table, ColumnDefinition(field, isKey: false)), cancellationToken).ConfigureAwait(false);
        }
        _tables[table] = await _dialect.DescribeTableAsync(connection, transaction, table, cancellationToken).ConfigureAwait(false);
    }

    private string CreateTable(string table, FieldsMetadata fields)
    {
        var sql = new StringBuilder($"CREATE TABLE {DatabaseDialect.Quote(table)} (");
        sql.AppendJoin(", ", fields.KeyFields.Select(f => ColumnDefinition(f, isKey: true)).Concat(fields.NonKeyFields.Select(f => ColumnDefinition(f, isKey: false))));
        if (fields.KeyFields.Count > 0)
            sql.Append(", PRIMARY KEY(").AppendJoin(", ", fields.KeyFields.Select(f => DatabaseDialect.Quote(f.Name))).Append(')');
        return sql.Append(')').ToString();
    }

    private string ColumnDefinition(SinkField field, bool isKey)
    {
        var sql = new StringBuilder(DatabaseDialect.Quote(field.Name)).Append(' ').Append(_dialect.SqlType(field.Schema));
        if (isKey || !field.Schema.IsOptional) sql.Append(" NOT NULL");
        if (_dialect.Literal(field.Schema, field.Schema.DefaultValue) is { } literal) sql.Append(" DEFAULT ").Append(literal);
        return sql.ToString();
    }

    private static async Task ExecuteDdlAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private string Statement(string table, FieldsMetadata fields, Kind kind)
    {
        if (_statements.TryGetValue((fields, kind, table), out var sql)) return sql;
        var q = DatabaseDialect.Quote;
        var p = 0;
        string Next() => _dialect.Placeholder(p++);
        var keys = fields.KeyFields.Select(f => q(f.Name)).ToList();
        var others = fields.NonKeyFields.Select(f => q(f.Name)).ToList();
        if (kind == Kind.Delete)
        {
            sql = $"DELETE FROM {q(table)} WHERE " + string.Join(" AND ", keys.Select(k => $"{k} = {Next()}"));
        }
        else
        {
            switch (config.InsertMode)
            {
                case InsertMode.Update:
                    // Parameters: the non-key values, then the key.
                    sql = $"UPDATE {q(table)} SET " + string.Join(", ", others.Select(c => $"{c} = {Next()}"))
                        + " WHERE " + string.Join(" AND ", keys.Select(k => $"{k} = {Next()}"));
                    if (others.Count == 0) sql = $"UPDATE {q(table)} SET {keys[0]} = {keys[0]} WHERE 1 = 0";
                    break;
                default:
                    var columns = keys.Concat(others).ToList();
                    sql = $"INSERT INTO {q(table)} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(_ => Next()))})";
                    if (config.InsertMode == InsertMode.Upsert)
                        sql += $" ON CONFLICT ({string.Join(", ", keys)}) " +
                            (others.Count == 0 ? "DO NOTHING" : "DO UPDATE SET " + string.Join(", ", others.Select(c => $"{c} = EXCLUDED.{c}")));
                    break;
            }
        }
        _statements[(fields, kind, table)] = sql;
        return sql;
    }

    private IEnumerable<SinkField> Parameters(Op op) =>
        op.Kind == Kind.Delete ? op.Fields.KeyFields
        : config.InsertMode == InsertMode.Update ? op.Fields.NonKeyFields.Concat(op.Fields.KeyFields)
        : op.Fields.AllFields;

    private List<DbParameter> Bind(string table, Op op)
    {
        var parameters = new List<DbParameter>();
        foreach (var field in Parameters(op))
        {
            object? value = null;
            try
            {
                value = field.Value(op.Record);
                if (value == null && op.Fields.KeyFields.Contains(field))
                    throw new DataException("a primary key column cannot be null");
                parameters.Add(_dialect.CreateParameter(parameters.Count, field.Schema, value));
            }
            catch (Exception e) when (e is DataException or InvalidCastException or FormatException or OverflowException)
            {
                throw RecordError(table, op.Record, field.Name, e.Message, e);
            }
        }
        return parameters;
    }

    private static ConnectException RecordError(string table, SinkRecord record, string? column, string reason, Exception? inner) =>
        new($"Cannot write the record at (topic='{record.Topic}',partition={record.KafkaPartition},offset={record.KafkaOffset}) to table \"{table}\"" +
            (column == null ? "" : $", column \"{column}\"") + $": {reason}", inner);

    private async Task FlushAsync(DbConnection connection, DbTransaction transaction, string table, List<Op> buffer, CancellationToken cancellationToken)
    {
        if (buffer.Count == 0) return;
        if (connection.CanCreateBatch) await FlushBatchAsync(connection, transaction, table, buffer, cancellationToken).ConfigureAwait(false);
        else await FlushOneByOneAsync(connection, transaction, table, buffer, cancellationToken).ConfigureAwait(false);
        buffer.Clear();
    }

    private async Task FlushBatchAsync(DbConnection connection, DbTransaction transaction, string table, List<Op> buffer, CancellationToken cancellationToken)
    {
        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        foreach (var op in buffer)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = Statement(table, op.Fields, op.Kind);
            foreach (var parameter in Bind(table, op)) command.Parameters.Add(parameter);
            batch.BatchCommands.Add(command);
        }
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (!_dialect.IsTransient(e))
        {
            var index = FailedCommand(batch, e);
            if (index < 0) throw new ConnectException($"Writing {buffer.Count} records to table \"{table}\" failed: {e.Message}", e);
            throw RecordError(table, buffer[index].Record, _dialect.ColumnOf(e), e.Message, e);
        }
    }

    /// <summary>
    /// The index of the statement of <paramref name="batch"/> that failed: the one the exception names, else the first
    /// that did not complete (Npgsql leaves <c>RecordsAffected</c> at -1 for statements that did not run), else -1.
    /// </summary>
    private static int FailedCommand(DbBatch batch, DbException error)
    {
        if (error.BatchCommand is { } failed && batch.BatchCommands.IndexOf(failed) is var named and >= 0) return named;
        for (var i = 0; i < batch.BatchCommands.Count; i++)
            if (batch.BatchCommands[i].RecordsAffected < 0) return i;
        return -1;
    }

    private async Task FlushOneByOneAsync(DbConnection connection, DbTransaction transaction, string table, List<Op> buffer, CancellationToken cancellationToken)
    {
        var commands = new Dictionary<string, DbCommand>(StringComparer.Ordinal);
        try
        {
            foreach (var op in buffer)
            {
                var sql = Statement(table, op.Fields, op.Kind);
                if (!commands.TryGetValue(sql, out var command))
                {
                    command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = sql;
                    commands[sql] = command;
                }
                command.Parameters.Clear();
                foreach (var parameter in Bind(table, op)) command.Parameters.Add(parameter);
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DbException e) when (!_dialect.IsTransient(e))
                {
                    throw RecordError(table, op.Record, _dialect.ColumnOf(e), e.Message, e);
                }
            }
        }
        finally
        {
            foreach (var command in commands.Values) await command.DisposeAsync().ConfigureAwait(false);
        }
    }
}
