using System.Data.Common;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>
/// What differs between the databases the JDBC connectors speak to (Confluent's <c>DatabaseDialect</c>): how a
/// <c>connection.url</c> becomes an ADO.NET connection, how tables are listed and described, how column types map to
/// Connect schemas and back, how values are bound and which errors are worth retrying. Chosen from the URL by
/// <see cref="FromUrl"/>. Stateless after construction and safe to share between threads.
/// </summary>
internal abstract class DatabaseDialect
{
    /// <summary>The accepted URL forms, for error messages.</summary>
    public const string AcceptedUrls = "jdbc:postgresql://host[:port]/database[?user=...&password=...] or jdbc:sqlite:/path/to/file.db";

    /// <summary>The dialect for <paramref name="url"/>, with <paramref name="user"/> and <paramref name="password"/> for servers that need them.</summary>
    /// <param name="urlKey">The configuration key the URL came from, named in errors.</param>
    /// <param name="forWrites">The connections run the same few write statements many times (a sink): prepare them where it pays.</param>
    /// <exception cref="ConfigException">the URL is not one of <see cref="AcceptedUrls"/>.</exception>
    public static DatabaseDialect FromUrl(string? url, string? user, string? password, string urlKey = JdbcConfigKeys.ConnectionUrl, bool forWrites = false)
    {
        var text = url?.Trim() ?? "";
        if (text.StartsWith(PostgresDialect.UrlPrefix, StringComparison.OrdinalIgnoreCase))
            return PostgresDialect.Parse(text, user, password, urlKey, autoPrepare: forWrites);
        if (text.StartsWith(SqliteDialect.UrlPrefix, StringComparison.OrdinalIgnoreCase))
            return SqliteDialect.Parse(text, urlKey);
        throw new ConfigException(urlKey, url, $"Expected a JDBC URL of the form {AcceptedUrls}");
    }

    /// <summary>The dialect's name, as Confluent calls it (<c>PostgreSqlDatabaseDialect</c>, <c>SqliteDatabaseDialect</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The ADO.NET connection string (with the password, so never logged).</summary>
    public abstract string ConnectionString { get; }

    /// <summary>A new, closed connection.</summary>
    public abstract DbConnection CreateConnection();

    /// <summary>An open connection.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>An identifier in double quotes, as both databases and standard SQL quote them (Confluent's <c>quote.sql.identifiers=always</c>).</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>The placeholder of the <paramref name="index"/>-th (0-based) parameter of a statement.</summary>
    public abstract string Placeholder(int index);

    /// <summary>The user tables that a source connector may read, by name, sorted.</summary>
    public abstract Task<IReadOnlyList<string>> ListTablesAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>The columns of <paramref name="table"/> by name, or an empty map when the table does not exist.</summary>
    public abstract Task<IReadOnlyDictionary<string, TableColumn>> DescribeTableAsync(DbConnection connection, DbTransaction? transaction, string table,
        CancellationToken cancellationToken);

    /// <summary>The database's current time in UTC, the base of <c>timestamp.delay.interval.ms</c>.</summary>
    public abstract Task<DateTime> CurrentTimeUtcAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// The SQL expression that compares a timestamp column: the column itself where the database compares timestamps,
    /// a normalised text where it compares strings.
    /// </summary>
    public virtual string TimestampExpression(string quotedColumn) => quotedColumn;

    /// <summary>A parameter holding the instant <paramref name="utc"/> for comparison with <see cref="TimestampExpression"/>.</summary>
    public abstract DbParameter TimestampParameter(int index, DateTime utc);

    /// <summary>
    /// How a result-set column reads into Connect (Confluent's <c>addFieldToSchema</c> and <c>convertFieldValue</c>), or
    /// null when its type is not supported (the column is left out, as Confluent does).
    /// </summary>
    public abstract ColumnMapping? MapColumn(DbColumn column);

    /// <summary>How to execute a query whose column metadata (nullability, scale) will be asked for.</summary>
    public virtual System.Data.CommandBehavior MetadataBehavior => System.Data.CommandBehavior.Default;

    /// <summary>The columns of an open result set, with what the dialect needs of them in <see cref="MapColumn"/>.</summary>
    public virtual async Task<IReadOnlyList<DbColumn>> DescribeResultAsync(DbConnection connection, DbDataReader reader, CancellationToken cancellationToken) =>
        await reader.GetColumnSchemaAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>True when the result-set column may hold NULL (unknown: true).</summary>
    public virtual bool IsNullable(DbColumn column) => column.AllowDBNull ?? true;

    /// <summary>The SQL type a sink creates for a field of <paramref name="schema"/>.</summary>
    /// <exception cref="ConnectException">the schema's type has no column type (struct, array, map).</exception>
    public abstract string SqlType(Schema schema);

    /// <summary>A parameter holding <paramref name="value"/> of <paramref name="schema"/> (null binds SQL NULL).</summary>
    /// <exception cref="DataException">the value does not fit the schema.</exception>
    public abstract DbParameter CreateParameter(int index, Schema schema, object? value);

    /// <summary>True for errors that may pass when the operation is tried again: a lost connection, a deadlock, a busy database.</summary>
    public abstract bool IsTransient(Exception error);

    /// <summary>The column a database error is about, when the database says so.</summary>
    public abstract string? ColumnOf(DbException error);

    /// <summary>The statement that adds <paramref name="column"/> (already quoted, with type) to <paramref name="table"/>.</summary>
    public virtual string AddColumn(string table, string column) => $"ALTER TABLE {Quote(table)} ADD COLUMN {column}";

    /// <summary>A literal for a column's DEFAULT clause, or null when the value has none.</summary>
    public virtual string? Literal(Schema schema, object? value) => value switch
    {
        null => null,
        bool b => b ? "TRUE" : "FALSE",
        string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
        sbyte or short or int or long => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
        float or double or decimal => ((IFormattable)value).ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };
}

/// <summary>A column of an existing table.</summary>
/// <param name="Name">The column's name as the database spells it.</param>
/// <param name="TypeName">The declared type.</param>
/// <param name="IsNullable">True when NULL is allowed.</param>
internal sealed record TableColumn(string Name, string TypeName, bool IsNullable);

/// <summary>How one result-set column becomes a struct field: its schema and how its value is read (null stays null).</summary>
/// <param name="Read">Reads the non-null value at an ordinal of the current row.</param>
internal sealed record ColumnMapping(string Name, Schema Schema, Func<DbDataReader, int, object> Read);
