using Akka.Event;
using Microsoft.Data.Sqlite;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// Background upkeep of the broker's SQLite file, once a second. First, it moves the write-ahead log into the database
/// file. SQLite's automatic checkpoint runs
/// inside whichever commit crosses the threshold and makes that produce wait for megabytes of writes and an fsync
/// (measured here: p99 produce latency above 100 ms). Journal connections therefore turn automatic checkpoints off
/// (<see cref="SqliteJournalConnections"/>), and this loop checkpoints once a second with PASSIVE, which never blocks
/// writers; when the log has grown past a limit it truncates it (a short pause for writers) so disk use stays bounded.
/// Second, it gives back to the file system the pages that deleted journal rows freed (retention, compaction, deleted
/// topics): SQLite only reuses free pages on its own, so the database (created with <c>auto_vacuum=INCREMENTAL</c>)
/// runs <c>incremental_vacuum</c> a bounded number of pages at a time, a short pause for writers each.
/// </summary>
internal sealed class SqliteMaintenance : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _walPath;
    private readonly long _truncateAboveBytes;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Free pages returned per tick: 16 MiB of 4 KiB pages, a few milliseconds of writer pause.</summary>
    private const int VacuumPagesPerTick = 4096;

    public SqliteMaintenance(string databasePath, string connectionString, long truncateAboveBytes, ILoggingAdapter log)
    {
        _connectionString = connectionString;
        _walPath = databasePath + "-wal";
        _truncateAboveBytes = truncateAboveBytes;
        _log = log;
        _loop = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            try
            {
                await using var connection = new SqliteConnection(_connectionString);
                await connection.OpenAsync(_stop.Token);
                var walBytes = File.Exists(_walPath) ? new FileInfo(_walPath).Length : 0;
                await using var command = connection.CreateCommand();
                command.CommandText = walBytes > _truncateAboveBytes ? "PRAGMA wal_checkpoint(TRUNCATE);" : "PRAGMA wal_checkpoint(PASSIVE);";
                await command.ExecuteNonQueryAsync(_stop.Token);
                command.CommandText = "PRAGMA freelist_count;";
                if (Convert.ToInt64(await command.ExecuteScalarAsync(_stop.Token)) > 0)
                {
                    command.CommandText = $"PRAGMA incremental_vacuum({VacuumPagesPerTick});";
                    await command.ExecuteNonQueryAsync(_stop.Token);
                }
            }
            catch (Exception e) when (e is SqliteException or IOException)
            {
                // A busy database only delays the checkpoint to the next tick; data is safe in the log meanwhile.
                _log.Warning("SQLite checkpoint or vacuum failed, retrying in 1 s: {0}", e.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation.
        }
        _stop.Dispose();
    }
}
