using System.Data.Common;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using LinqToDB.Interceptors;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// How the embedded SQLite journal's connections are opened. SQLite's <c>synchronous</c> setting is per connection, so
/// it is set on every connection the journal, snapshot store and read journal open.
/// <para>
/// NORMAL (the default) in WAL mode does not fsync on every commit: an acknowledged write survives the broker process
/// being killed (the OS holds it), but not a power loss of the machine; this is Kafka's own default, which leaves
/// flushing to the OS and relies on replication. FULL fsyncs every commit and survives power loss at a large cost in
/// produce latency and throughput (see docs/benchmarks.md).
/// </para>
/// Automatic WAL checkpoints are off on these connections; <see cref="SqliteMaintenance"/> does them in the background.
/// </summary>
public static class SqliteJournalConnections
{
    public static DataOptionsSetup Setup(string connectionString, string synchronous) =>
        new(new DataOptions()
            .UseConnectionString(ProviderName.SQLiteMS, connectionString)
            .UseInterceptor(new PragmaInterceptor($"PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=10000; PRAGMA wal_autocheckpoint=0;")));

    private sealed class PragmaInterceptor(string pragmas) : ConnectionInterceptor
    {
        public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = pragmas;
            command.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
