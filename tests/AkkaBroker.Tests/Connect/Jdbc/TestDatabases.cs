using System.Data.Common;
using AkkaBroker.Client;
using AkkaBroker.Connect;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AkkaBroker.Tests.Connect.Jdbc;

/// <summary>A fresh database for one test, on the real PostgreSQL server or in a temporary SQLite file.</summary>
public abstract class TestDatabase : IAsyncDisposable
{
    /// <summary>The database kinds the theories run against.</summary>
    public static TheoryDataKinds Kinds => new() { "postgresql", "sqlite" };

    /// <summary>A new empty database of <paramref name="kind"/>.</summary>
    public static async Task<TestDatabase> CreateAsync(string kind, PostgresServer server) => kind switch
    {
        "postgresql" => new PostgresTestDatabase(server, await server.CreateDatabaseAsync()),
        "sqlite" => new SqliteTestDatabase(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "postgresql or sqlite"),
    };

    /// <summary>The <c>connection.url</c> of the database.</summary>
    public abstract string Url { get; }

    /// <summary>True for PostgreSQL.</summary>
    public abstract bool IsPostgres { get; }

    /// <summary>An open connection.</summary>
    public abstract Task<DbConnection> OpenAsync();

    /// <summary>Runs statements.</summary>
    public async Task ExecAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The rows of <paramref name="sql"/>, each as column name to value (DBNull as null).</summary>
    public async Task<List<Dictionary<string, object?>>> QueryAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();
}

/// <summary>Database kinds as theory data.</summary>
public sealed class TheoryDataKinds : Xunit.TheoryData<string>;

internal sealed class PostgresTestDatabase(PostgresServer server, string name) : TestDatabase
{
    public override string Url => server.JdbcUrl(name) + "?user=postgres";
    public override bool IsPostgres => true;

    public override async Task<DbConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(server.ConnectionString(name));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Ends every other session on the database, as a server restart or a network cut would.</summary>
    public async Task<int> TerminateOtherSessionsAsync()
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}

internal sealed class SqliteTestDatabase : TestDatabase
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "akkabroker-jdbc-" + Guid.NewGuid().ToString("N")[..12] + ".db");

    public override string Url => "jdbc:sqlite:" + _path;
    public override bool IsPostgres => false;

    public override async Task<DbConnection> OpenAsync()
    {
        var connection = new SqliteConnection($"Data Source={_path}");
        await connection.OpenAsync();
        return connection;
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm", _path + "-journal" })
            if (File.Exists(file)) File.Delete(file);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A dictionary of stored source offsets, as the worker's offset store would hand them back.</summary>
public sealed class DictionaryOffsetStorageReader : IOffsetStorageReader
{
    private readonly Dictionary<string, IReadOnlyDictionary<string, object?>> _offsets = new();

    /// <summary>Stores <paramref name="offset"/> for <paramref name="partition"/>.</summary>
    public void Store(IReadOnlyDictionary<string, object?> partition, IReadOnlyDictionary<string, object?>? offset)
    {
        if (offset != null) _offsets[KeyOf(partition)] = offset;
    }

    /// <summary>Stores the offsets of <paramref name="records"/>, as the worker does once they are acknowledged.</summary>
    public void StoreAll(IEnumerable<SourceRecord> records)
    {
        foreach (var record in records) Store(record.SourcePartition!, record.SourceOffset);
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?>? Offset(IReadOnlyDictionary<string, object?> partition) => _offsets.GetValueOrDefault(KeyOf(partition));

    private static string KeyOf(IReadOnlyDictionary<string, object?> partition) =>
        string.Join(";", partition.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}

/// <summary>The source task context a worker would give: the configuration and the stored offsets.</summary>
public sealed class FakeSourceTaskContext(IReadOnlyDictionary<string, string> configs, IOffsetStorageReader offsets) : ISourceTaskContext
{
    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Configs => configs;

    /// <inheritdoc />
    public IOffsetStorageReader OffsetStorageReader => offsets;
}

/// <summary>The sink task context a worker would give; commits, pauses and rewinds are recorded.</summary>
public sealed class FakeSinkTaskContext(IReadOnlyDictionary<string, string> configs) : ISinkTaskContext
{
    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Configs => configs;

    /// <inheritdoc />
    public IReadOnlyCollection<TopicPartition> Assignment { get; set; } = [];

    /// <inheritdoc />
    public void Offset(TopicPartition partition, long offset) { }

    /// <inheritdoc />
    public void Pause(params TopicPartition[] partitions) { }

    /// <inheritdoc />
    public void Resume(params TopicPartition[] partitions) { }

    /// <inheritdoc />
    public void RequestCommit() { }

    /// <inheritdoc />
    public Func<SinkRecord, Exception, Task>? ErrantRecordReporter => null;
}
