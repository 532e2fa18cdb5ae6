using System.Data.Common;
using System.Globalization;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using Npgsql;
using NpgsqlTypes;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>
/// PostgreSQL through Npgsql (Confluent's <c>PostgreSqlDatabaseDialect</c>). Sessions run with <c>TimeZone=UTC</c>, so a
/// <c>timestamp</c> column (without time zone) holds UTC wall-clock time, as Confluent's default <c>db.timezone=UTC</c>
/// reads it, and comparisons between <c>timestamp</c> and <c>timestamptz</c> do not depend on the server's zone.
/// Tables are those of the session's <c>current_schema()</c> (normally <c>public</c>), named without schema.
/// </summary>
internal sealed class PostgresDialect : DatabaseDialect
{
    /// <summary>The prefix of the URLs this dialect takes.</summary>
    public const string UrlPrefix = "jdbc:postgresql:";

    /// <summary>
    /// The scale given to an unconstrained <c>numeric</c>, which has none: 10 digits after the point keep usual
    /// fractions exact while leaving room for 18 digits before it in a .NET decimal (Confluent uses 127, which a
    /// decimal cannot hold).
    /// </summary>
    public const int UnconstrainedNumericScale = 10;

    private PostgresDialect(string connectionString) => ConnectionString = connectionString;

    /// <inheritdoc />
    public override string Name => "PostgreSqlDatabaseDialect";

    /// <inheritdoc />
    public override string ConnectionString { get; }

    /// <summary>
    /// Parses <c>jdbc:postgresql://host[:port][,host2[:port2]]/database[?user=..&amp;password=..&amp;sslmode=..]</c>; a
    /// non-empty <paramref name="user"/> or <paramref name="password"/> (<c>connection.user</c>, <c>connection.password</c>)
    /// wins over the URL's.
    /// </summary>
    /// <exception cref="ConfigException">the URL has no host or no database, or a bad port or sslmode.</exception>
    /// <param name="autoPrepare">Let Npgsql prepare statements that are run again and again (the sink's writes).</param>
    public static PostgresDialect Parse(string url, string? user, string? password, string urlKey, bool autoPrepare = false)
    {
        ConfigException Bad(string why) => new(urlKey, url, $"{why}; expected a JDBC URL of the form {AcceptedUrls}");
        var rest = url[UrlPrefix.Length..];
        if (!rest.StartsWith("//", StringComparison.Ordinal)) throw Bad("the PostgreSQL URL has no //host");
        rest = rest[2..];
        var query = "";
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0) (rest, query) = (rest[..q], rest[(q + 1)..]);
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1) throw Bad("the PostgreSQL URL names no host or no database");
        var hosts = rest[..slash];
        var database = Uri.UnescapeDataString(rest[(slash + 1)..]);
        var builder = new NpgsqlConnectionStringBuilder { Database = database, Timezone = "UTC" };
        if (autoPrepare)
        {
            // The sink's INSERT/UPSERT statements repeat thousands of times: prepared, the server skips parsing and
            // planning them (2-3x the rows per second). Not for the source: a prepared SELECT * fails with "cached
            // plan must not change result type" once its table gains a column.
            builder.MaxAutoPrepare = 32;
            builder.AutoPrepareMinUsages = 2;
        }
        var hostParts = hosts.Split(',');
        if (hostParts.Length == 1 && TrySplitPort(hosts, out var host, out var port))
        {
            if (port is { } p && (p <= 0 || p > 65535)) throw Bad($"port {p} is out of range");
            builder.Host = host;
            if (port != null) builder.Port = port.Value;
        }
        else
        {
            // Npgsql takes several "host:port" entries in Host for failover, as pgjdbc does in the URL.
            builder.Host = hosts;
        }
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (key.ToLowerInvariant())
            {
                case "user": builder.Username = value; break;
                case "password": builder.Password = value; break;
                case "applicationname": builder.ApplicationName = value; break;
                case "sslmode":
                    builder.SslMode = Enum.TryParse<SslMode>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var mode)
                        ? mode
                        : throw Bad($"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full");
                    break;
            }
        }
        if (!string.IsNullOrEmpty(user)) builder.Username = user;
        if (!string.IsNullOrEmpty(password)) builder.Password = password;
        return new PostgresDialect(builder.ConnectionString);
    }

    private static bool TrySplitPort(string hostPort, out string host, out int? port)
    {
        port = null;
        host = hostPort;
        var colon = hostPort.LastIndexOf(':');
        // An IPv6 literal is bracketed: [::1]:5432.
        if (colon < 0 || hostPort.EndsWith(']')) return hostPort.Length > 0;
        host = hostPort[..colon];
        if (!int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p)) return false;
        port = p;
        return host.Length > 0;
    }

    /// <inheritdoc />
    /// <remarks>Connections come from Npgsql's pool for the connection string, shared by every task with the same URL.</remarks>
    public override DbConnection CreateConnection() => new NpgsqlConnection(ConnectionString);

    /// <inheritdoc />
    /// <remarks>Npgsql reads nullability from the catalog only with <c>KeyInfo</c>; the query itself runs as usual.</remarks>
    public override System.Data.CommandBehavior MetadataBehavior => System.Data.CommandBehavior.KeyInfo;

    /// <inheritdoc />
    public override string Placeholder(int index) => "$" + (index + 1).ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public override async Task<IReadOnlyList<string>> ListTablesAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name";
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
        command.CommandText = "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position";
        command.Parameters.Add(new NpgsqlParameter { Value = table, NpgsqlDbType = NpgsqlDbType.Text });
        var columns = new Dictionary<string, TableColumn>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            columns[reader.GetString(0)] = new TableColumn(reader.GetString(0), reader.GetString(1), reader.GetString(2) == "YES");
        return columns;
    }

    /// <inheritdoc />
    public override async Task<DateTime> CurrentTimeUtcAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT CURRENT_TIMESTAMP";
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return ((DateTime)value!).ToUniversalTime();
    }

    /// <inheritdoc />
    public override DbParameter TimestampParameter(int index, DateTime utc) =>
        new NpgsqlParameter { Value = DateTime.SpecifyKind(utc, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz };

    /// <inheritdoc />
    public override ColumnMapping? MapColumn(DbColumn column)
    {
        var optional = IsNullable(column);
        var type = (column.DataTypeName ?? "").ToLowerInvariant();
        // Npgsql writes a constrained type with its modifiers ("numeric(10,2)", "character varying(20)").
        var paren = type.IndexOf('(', StringComparison.Ordinal);
        var baseType = paren < 0 ? type : type[..paren];
        SchemaBuilder Opt(SchemaBuilder b) => optional ? b.Optional() : b;
        ColumnMapping Map(SchemaBuilder b, Func<DbDataReader, int, object> read) => new(column.ColumnName, Opt(b).Build(), read);
        return baseType switch
        {
            "smallint" or "int2" => Map(SchemaBuilder.Int16(), (r, i) => r.GetInt16(i)),
            "integer" or "int" or "int4" => Map(SchemaBuilder.Int32(), (r, i) => r.GetInt32(i)),
            "bigint" or "int8" => Map(SchemaBuilder.Int64(), (r, i) => r.GetInt64(i)),
            "real" or "float4" => Map(SchemaBuilder.Float32(), (r, i) => r.GetFloat(i)),
            "double precision" or "float8" => Map(SchemaBuilder.Float64(), (r, i) => r.GetDouble(i)),
            "numeric" or "decimal" => MapDecimal(column, optional),
            "boolean" or "bool" => Map(SchemaBuilder.Bool(), (r, i) => r.GetBoolean(i)),
            "text" or "character varying" or "varchar" or "character" or "char" or "bpchar" or "name" or "citext" =>
                Map(SchemaBuilder.String(), (r, i) => r.GetString(i)),
            "uuid" or "json" or "jsonb" or "xml" => Map(SchemaBuilder.String(), (r, i) => Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture)!),
            "bytea" => Map(SchemaBuilder.Bytes(), (r, i) => r.GetFieldValue<byte[]>(i)),
            "date" => Map(ConnectDate.Builder(), (r, i) => DateTime.SpecifyKind(r.GetFieldValue<DateTime>(i).Date, DateTimeKind.Utc)),
            "time without time zone" or "time" => Map(ConnectTime.Builder(), (r, i) => DateTime.UnixEpoch.Add(r.GetFieldValue<TimeSpan>(i))),
            "timestamp without time zone" or "timestamp" => Map(ConnectTimestamp.Builder(), (r, i) => DateTime.SpecifyKind(r.GetFieldValue<DateTime>(i), DateTimeKind.Utc)),
            "timestamp with time zone" or "timestamptz" => Map(ConnectTimestamp.Builder(), (r, i) => r.GetFieldValue<DateTime>(i).ToUniversalTime()),
            _ => null,
        };
    }

    private static ColumnMapping MapDecimal(DbColumn column, bool optional)
    {
        // Npgsql reports an unconstrained numeric's scale as null (or as 0 with no precision).
        var scale = column.NumericScale is { } s && column.NumericPrecision is > 0 ? s : UnconstrainedNumericScale;
        scale = Math.Clamp(scale, 0, 28);
        var builder = ConnectDecimal.Builder(scale);
        if (optional) builder.Optional();
        return new ColumnMapping(column.ColumnName, builder.Build(), (r, i) => Math.Round(r.GetDecimal(i), scale, MidpointRounding.ToEven));
    }

    /// <inheritdoc />
    public override string SqlType(Schema schema)
    {
        switch (schema.Name)
        {
            case ConnectDecimal.LogicalName: return "DECIMAL";
            case ConnectDate.LogicalName: return "DATE";
            case ConnectTime.LogicalName: return "TIME";
            case ConnectTimestamp.LogicalName: return "TIMESTAMP";
        }
        return schema.Type switch
        {
            SchemaType.Int8 or SchemaType.Int16 => "SMALLINT",
            SchemaType.Int32 => "INT",
            SchemaType.Int64 => "BIGINT",
            SchemaType.Float32 => "REAL",
            SchemaType.Float64 => "DOUBLE PRECISION",
            SchemaType.Boolean => "BOOLEAN",
            SchemaType.String => "TEXT",
            SchemaType.Bytes => "BYTEA",
            _ => throw new ConnectException($"{schema.Type.Name()} fields have no PostgreSQL column type; only primitive and logical types can be written."),
        };
    }

    /// <inheritdoc />
    public override DbParameter CreateParameter(int index, Schema schema, object? value)
    {
        var (type, converted) = schema.Name switch
        {
            ConnectDecimal.LogicalName => (NpgsqlDbType.Numeric, value),
            ConnectDate.LogicalName => (NpgsqlDbType.Date, value is DateTime d ? DateOnly.FromDateTime(d) : value),
            ConnectTime.LogicalName => (NpgsqlDbType.Time, value is DateTime t ? t.TimeOfDay : value),
            ConnectTimestamp.LogicalName => (NpgsqlDbType.TimestampTz, value is DateTime ts ? (object)(ts.Kind == DateTimeKind.Local ? ts.ToUniversalTime() : DateTime.SpecifyKind(ts, DateTimeKind.Utc)) : value),
            _ => schema.Type switch
            {
                SchemaType.Int8 => (NpgsqlDbType.Smallint, value is sbyte b ? (short)b : value),
                SchemaType.Int16 => (NpgsqlDbType.Smallint, value),
                SchemaType.Int32 => (NpgsqlDbType.Integer, value),
                SchemaType.Int64 => (NpgsqlDbType.Bigint, value),
                SchemaType.Float32 => (NpgsqlDbType.Real, value),
                SchemaType.Float64 => (NpgsqlDbType.Double, value),
                SchemaType.Boolean => (NpgsqlDbType.Boolean, value),
                SchemaType.String => (NpgsqlDbType.Text, value),
                SchemaType.Bytes => (NpgsqlDbType.Bytea, value is ReadOnlyMemory<byte> m ? m.ToArray() : value),
                _ => throw new DataException($"A {schema.Type.Name()} value cannot be written to a PostgreSQL column."),
            },
        };
        return new NpgsqlParameter { NpgsqlDbType = type, Value = converted ?? DBNull.Value };
    }

    /// <inheritdoc />
    public override bool IsTransient(Exception error) => error switch
    {
        // Npgsql marks I/O, socket and timeout failures and the server's connection, deadlock, serialization,
        // resource and shutdown errors (08*, 40001, 40P01, 53*, 57P0*) as transient.
        NpgsqlException e => e.IsTransient || e.InnerException is System.IO.IOException or System.Net.Sockets.SocketException or TimeoutException,
        System.IO.IOException or System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    /// <inheritdoc />
    public override string? ColumnOf(DbException error) => (error as PostgresException)?.ColumnName;
}
