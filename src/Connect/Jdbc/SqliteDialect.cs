using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using Microsoft.Data.Sqlite;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>
/// SQLite through Microsoft.Data.Sqlite (Confluent's <c>SqliteDatabaseDialect</c>). SQLite types by affinity, so
/// columns map by their declared type's name as SQLite's own affinity rules read it. Two choices differ from reading
/// the JDBC driver's report: <c>INTEGER</c> maps to Int64 and <c>REAL</c> to Float64, because SQLite stores them as
/// 8-byte integers and doubles and a rowid can pass Int32. Timestamps are stored as text
/// (<c>yyyy-MM-dd HH:mm:ss[.fff]</c>, SQLite's own format); the source compares them normalised by
/// <c>strftime('%Y-%m-%d %H:%M:%f', ...)</c>, so at millisecond precision, and the sink writes them in that format.
/// </summary>
internal sealed partial class SqliteDialect : DatabaseDialect
{
    /// <summary>The prefix of the URLs this dialect takes.</summary>
    public const string UrlPrefix = "jdbc:sqlite:";

    private const string TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff";

    private SqliteDialect(string connectionString) => ConnectionString = connectionString;

    /// <inheritdoc />
    public override string Name => "SqliteDatabaseDialect";

    /// <inheritdoc />
    public override string ConnectionString { get; }

    /// <summary>Parses <c>jdbc:sqlite:/path/to/file.db</c> (a relative path is relative to the worker's working directory).</summary>
    /// <exception cref="ConfigException">the URL names no file.</exception>
    public static SqliteDialect Parse(string url, string urlKey)
    {
        var path = url[UrlPrefix.Length..].Trim();
        var q = path.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0) path = path[..q];
        if (path.Length == 0)
            throw new ConfigException(urlKey, url, $"The SQLite URL names no database file; expected a JDBC URL of the form {AcceptedUrls}");
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 30 };
        return new SqliteDialect(builder.ConnectionString);
    }

    /// <inheritdoc />
    public override DbConnection CreateConnection() => new SqliteConnection(ConnectionString);

    /// <inheritdoc />
    public override string Placeholder(int index) => "@p" + index.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public override async Task<IReadOnlyList<string>> ListTablesAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) tables.Add(reader.GetString(0));
        return tables;
    }

    /// <inheritdoc />
    public override async Task<IReadOnlyDictionary<string, TableColumn>> DescribeTableAsync(DbConnection connection, DbTransaction? transaction, string table,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name, type, \"notnull\", pk FROM pragma_table_info(@table)";
        command.Parameters.Add(new SqliteParameter("@table", table));
        var columns = new Dictionary<string, TableColumn>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            columns[reader.GetString(0)] = new TableColumn(reader.GetString(0), reader.GetString(1), reader.GetInt64(2) == 0);
        return columns;
    }

    /// <inheritdoc />
    /// <remarks>SQLite runs in the worker's process, so its clock is the machine's.</remarks>
    public override Task<DateTime> CurrentTimeUtcAsync(DbConnection connection, CancellationToken cancellationToken) => Task.FromResult(DateTime.UtcNow);

    /// <inheritdoc />
    public override string TimestampExpression(string quotedColumn) => $"strftime('%Y-%m-%d %H:%M:%f', {quotedColumn})";

    /// <inheritdoc />
    public override DbParameter TimestampParameter(int index, DateTime utc) =>
        new SqliteParameter(Placeholder(index), utc.ToString(TimestampFormat, CultureInfo.InvariantCulture));

    /// <inheritdoc />
    /// <remarks>
    /// Microsoft.Data.Sqlite reports a declared type without its modifiers (<c>NUMERIC</c> for <c>NUMERIC(10,2)</c>);
    /// the table's own declaration gives the scale back.
    /// </remarks>
    public override async Task<IReadOnlyList<DbColumn>> DescribeResultAsync(DbConnection connection, DbDataReader reader, CancellationToken cancellationToken)
    {
        var columns = await reader.GetColumnSchemaAsync(cancellationToken).ConfigureAwait(false);
        var declared = new Dictionary<string, IReadOnlyDictionary<string, TableColumn>>(StringComparer.Ordinal);
        var result = new List<DbColumn>(columns.Count);
        foreach (var column in columns)
        {
            if (column.BaseTableName is { Length: > 0 } table && column.BaseColumnName is { Length: > 0 } name)
            {
                if (!declared.TryGetValue(table, out var tableColumns))
                    declared[table] = tableColumns = await DescribeTableAsync(connection, null, table, cancellationToken).ConfigureAwait(false);
                if (tableColumns.TryGetValue(name, out var info) && info.TypeName.Length > 0)
                {
                    result.Add(new DeclaredColumn(column, info.TypeName));
                    continue;
                }
            }
            result.Add(column);
        }
        return result;
    }

    /// <summary>A result column with the type as the table declares it.</summary>
    private sealed class DeclaredColumn : DbColumn
    {
        public DeclaredColumn(DbColumn column, string declaredType)
        {
            ColumnName = column.ColumnName;
            AllowDBNull = column.AllowDBNull;
            IsKey = column.IsKey;
            DataType = column.DataType;
            BaseTableName = column.BaseTableName;
            BaseColumnName = column.BaseColumnName;
            ColumnOrdinal = column.ColumnOrdinal;
            DataTypeName = declaredType;
        }
    }

    /// <inheritdoc />
    /// <remarks>An <c>INTEGER PRIMARY KEY</c> is the rowid, never NULL, although SQLite's metadata says it may be.</remarks>
    public override bool IsNullable(DbColumn column) =>
        (column.AllowDBNull ?? true) && !(column.IsKey == true && string.Equals(column.DataTypeName, "INTEGER", StringComparison.OrdinalIgnoreCase));

    /// <inheritdoc />
    public override ColumnMapping? MapColumn(DbColumn column)
    {
        var optional = IsNullable(column);
        var declared = (column.DataTypeName ?? "").ToUpperInvariant();
        SchemaBuilder Opt(SchemaBuilder b) => optional ? b.Optional() : b;
        ColumnMapping Map(SchemaBuilder b, Func<DbDataReader, int, object> read) => new(column.ColumnName, Opt(b).Build(), read);
        if (declared.Length == 0)
        {
            // An expression of a query has no declared type: go by the value's storage class.
            var clr = column.DataType;
            if (clr == typeof(long)) declared = "BIGINT";
            else if (clr == typeof(double)) declared = "DOUBLE";
            else if (clr == typeof(string)) declared = "TEXT";
            else if (clr == typeof(byte[])) declared = "BLOB";
            else return null;
        }
        if (declared.Contains("BOOL", StringComparison.Ordinal)) return Map(SchemaBuilder.Bool(), (r, i) => r.GetInt64(i) != 0);
        if (declared.Contains("BIGINT", StringComparison.Ordinal) || declared.Contains("INT8", StringComparison.Ordinal) || declared == "INTEGER")
            return Map(SchemaBuilder.Int64(), (r, i) => r.GetInt64(i));
        if (declared.Contains("SMALLINT", StringComparison.Ordinal) || declared.Contains("INT2", StringComparison.Ordinal) || declared.Contains("TINYINT", StringComparison.Ordinal))
            return Map(SchemaBuilder.Int16(), (r, i) => checked((short)r.GetInt64(i)));
        if (declared.Contains("INT", StringComparison.Ordinal)) return Map(SchemaBuilder.Int32(), (r, i) => checked((int)r.GetInt64(i)));
        if (declared.Contains("CHAR", StringComparison.Ordinal) || declared.Contains("CLOB", StringComparison.Ordinal) || declared.Contains("TEXT", StringComparison.Ordinal))
            return Map(SchemaBuilder.String(), (r, i) => r.GetString(i));
        if (declared.Contains("BLOB", StringComparison.Ordinal)) return Map(SchemaBuilder.Bytes(), (r, i) => (byte[])r.GetValue(i));
        if (declared.Contains("REAL", StringComparison.Ordinal) || declared.Contains("FLOA", StringComparison.Ordinal) || declared.Contains("DOUB", StringComparison.Ordinal))
            return Map(SchemaBuilder.Float64(), (r, i) => r.GetDouble(i));
        if (declared.Contains("DATETIME", StringComparison.Ordinal) || declared.Contains("TIMESTAMP", StringComparison.Ordinal))
            return Map(ConnectTimestamp.Builder(), (r, i) => AsUtc(r.GetDateTime(i)));
        if (declared.Contains("DATE", StringComparison.Ordinal)) return Map(ConnectDate.Builder(), (r, i) => DateTime.SpecifyKind(r.GetDateTime(i).Date, DateTimeKind.Utc));
        if (declared.Contains("TIME", StringComparison.Ordinal))
            return Map(ConnectTime.Builder(), (r, i) => DateTime.UnixEpoch.Add(TimeSpan.Parse(r.GetString(i), CultureInfo.InvariantCulture)));
        if (declared.Contains("NUMERIC", StringComparison.Ordinal) || declared.Contains("DECIMAL", StringComparison.Ordinal))
        {
            var match = ScaleOf().Match(declared);
            var scale = match.Success ? Math.Clamp(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), 0, 28) : PostgresDialect.UnconstrainedNumericScale;
            return Map(ConnectDecimal.Builder(scale), (r, i) => Math.Round(r.GetDecimal(i), scale, MidpointRounding.ToEven));
        }
        return null;
    }

    [GeneratedRegex(@"\(\s*\d+\s*,\s*(\d+)\s*\)")]
    private static partial Regex ScaleOf();

    private static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    /// <inheritdoc />
    /// <remarks>The names keep the declared type readable by <see cref="MapColumn"/>, so what a sink writes a source reads back with the same schema.</remarks>
    public override string SqlType(Schema schema)
    {
        switch (schema.Name)
        {
            case ConnectDecimal.LogicalName: return "NUMERIC";
            case ConnectDate.LogicalName: return "DATE";
            case ConnectTime.LogicalName: return "TIME";
            case ConnectTimestamp.LogicalName: return "TIMESTAMP";
        }
        return schema.Type switch
        {
            SchemaType.Int8 or SchemaType.Int16 => "SMALLINT",
            SchemaType.Int32 => "INT",
            SchemaType.Int64 => "BIGINT",
            SchemaType.Float32 => "FLOAT",
            SchemaType.Float64 => "DOUBLE",
            SchemaType.Boolean => "BOOLEAN",
            SchemaType.String => "TEXT",
            SchemaType.Bytes => "BLOB",
            _ => throw new ConnectException($"{schema.Type.Name()} fields have no SQLite column type; only primitive and logical types can be written."),
        };
    }

    /// <inheritdoc />
    public override DbParameter CreateParameter(int index, Schema schema, object? value)
    {
        object? converted = value switch
        {
            null => null,
            DateTime d when schema.Name == ConnectDate.LogicalName => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            DateTime t when schema.Name == ConnectTime.LogicalName => t.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture),
            DateTime ts => AsUtc(ts).ToString(TimestampFormat, CultureInfo.InvariantCulture),
            sbyte b => (long)b,
            bool b => b ? 1L : 0L,
            ReadOnlyMemory<byte> m => m.ToArray(),
            _ => value,
        };
        return new SqliteParameter(Placeholder(index), converted ?? DBNull.Value);
    }

    /// <inheritdoc />
    public override bool IsTransient(Exception error) =>
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another connection holds the lock longer than the busy timeout.
        error is SqliteException { SqliteErrorCode: 5 or 6 } || error is System.IO.IOException;

    /// <inheritdoc />
    public override string? ColumnOf(DbException error)
    {
        // "SQLite Error 19: 'NOT NULL constraint failed: table.column'."
        var match = ConstraintColumn().Match(error.Message);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"constraint failed: [^.\s']+\.([^,\s']+)")]
    private static partial Regex ConstraintColumn();
}
