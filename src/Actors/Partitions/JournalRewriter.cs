using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using Microsoft.Data.Sqlite;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// Reads and rewrites one partition's batches in the embedded journal's table (Akka.Persistence.Sql's
/// <c>event_journal</c>, one row per event, payload as the broker's serializer wrote it). Akka.Persistence has no way to
/// change a written event, and compaction must replace a batch where it lies so that journal order stays offset order;
/// Kafka's cleaner likewise swaps segment files under the log. Only <see cref="BatchAppended"/> rows below the active
/// segment are ever touched, never the newest row of a journal, whose sequence number Akka.Persistence recovers from.
/// </summary>
internal sealed class JournalRewriter : IDisposable
{
    private static readonly string BatchManifest = BrokerSerializer.ManifestOf(new BatchAppended([]));
    private readonly SqliteConnection _connection;
    private readonly string _persistenceId;

    public JournalRewriter(string connectionString, string persistenceId)
    {
        _persistenceId = persistenceId;
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        using var pragma = _connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout=10000;";
        pragma.ExecuteNonQuery();
    }

    /// <summary>The batches of journal events <paramref name="from"/>..<paramref name="to"/>, in order, read a page at a time.</summary>
    public IEnumerable<(long SequenceNr, byte[] Batch)> ReadBatches(long from, long to)
    {
        var next = from;
        while (next <= to)
        {
            var page = new List<(long, byte[])>();
            using (var command = _connection.CreateCommand())
            {
                command.CommandText = """
                    SELECT sequence_nr, payload, manifest FROM event_journal
                    WHERE persistence_id = $id AND sequence_nr >= $from AND sequence_nr <= $to AND is_deleted = 0
                    ORDER BY sequence_nr LIMIT 500
                    """;
                command.Parameters.AddWithValue("$id", _persistenceId);
                command.Parameters.AddWithValue("$from", next);
                command.Parameters.AddWithValue("$to", to);
                using var reader = command.ExecuteReader();
                var rows = 0;
                while (reader.Read())
                {
                    rows++;
                    next = reader.GetInt64(0) + 1;
                    if (reader.GetString(2) != BatchManifest) continue;
                    page.Add((reader.GetInt64(0), ((BatchAppended)BrokerSerializer.Decode((byte[])reader[1], BatchManifest)).Batch));
                }
                if (rows == 0) yield break;
            }
            foreach (var row in page) yield return row;
        }
    }

    /// <summary>
    /// Replaces each batch with its cleaned form, or deletes its row when nothing is left, in one transaction that
    /// holds SQLite's write lock from its start; nothing is written if a truncation, reset or deletion of the log was
    /// journaled after <paramref name="fenceSequenceNr"/> (the cleaning's key map may then name records that are gone).
    /// </summary>
    /// <exception cref="InvalidOperationException">the log changed under the cleaning.</exception>
    public void Rewrite(IReadOnlyList<(long SequenceNr, byte[]? Batch)> changes, long fenceSequenceNr)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        using (var fence = _connection.CreateCommand())
        {
            fence.Transaction = transaction;
            fence.CommandText = "SELECT sequence_nr, manifest FROM event_journal WHERE persistence_id = $id AND sequence_nr > $fence AND manifest IN ($t, $r, $d) LIMIT 1";
            fence.Parameters.AddWithValue("$id", _persistenceId);
            fence.Parameters.AddWithValue("$fence", fenceSequenceNr);
            fence.Parameters.AddWithValue("$t", BrokerSerializer.ManifestOf(new LogTruncated(0, 0, 0)));
            fence.Parameters.AddWithValue("$r", BrokerSerializer.ManifestOf(new LogReset(0)));
            fence.Parameters.AddWithValue("$d", BrokerSerializer.ManifestOf(new PartitionDeleted()));
            using var reader = fence.ExecuteReader();
            if (reader.Read())
                throw new InvalidOperationException($"the log changed under the cleaning (journal event {reader.GetInt64(0)}, {reader.GetString(1)}); it is planned again");
        }
        using var update = _connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = "UPDATE event_journal SET payload = $payload WHERE persistence_id = $id AND sequence_nr = $seq";
        var payload = update.Parameters.Add("$payload", SqliteType.Blob);
        update.Parameters.AddWithValue("$id", _persistenceId);
        var updateSeq = update.Parameters.Add("$seq", SqliteType.Integer);
        using var delete = _connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM event_journal WHERE persistence_id = $id AND sequence_nr = $seq";
        delete.Parameters.AddWithValue("$id", _persistenceId);
        var deleteSeq = delete.Parameters.Add("$seq", SqliteType.Integer);
        foreach (var (seq, batch) in changes)
        {
            if (batch == null)
            {
                deleteSeq.Value = seq;
                delete.ExecuteNonQuery();
            }
            else
            {
                payload.Value = BrokerSerializer.Encode(new BatchAppended(batch));
                updateSeq.Value = seq;
                update.ExecuteNonQuery();
            }
        }
        transaction.Commit();
    }

    public void Dispose() => _connection.Dispose();
}
