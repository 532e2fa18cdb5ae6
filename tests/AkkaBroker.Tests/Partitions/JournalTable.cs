using AkkaBroker.Protocol.Serialization;
using Microsoft.Data.Sqlite;

namespace AkkaBroker.Tests.Partitions;

/// <summary>A SQLite file with the columns of Akka.Persistence.Sql's journal table, for tests of the cleaner's SQL.</summary>
internal static class JournalTable
{
    public static void Create(string connectionString)
    {
        using var c = new SqliteConnection(connectionString);
        c.Open();
        using var command = c.CreateCommand();
        command.CommandText = "CREATE TABLE event_journal (ordering INTEGER PRIMARY KEY AUTOINCREMENT, is_deleted BIT NOT NULL, persistence_id TEXT NOT NULL, sequence_nr INTEGER NOT NULL, payload BLOB NOT NULL, manifest TEXT NULL)";
        command.ExecuteNonQuery();
    }

    /// <summary>Writes <paramref name="event"/> as the journal would: the broker's serializer, its manifest.</summary>
    public static void Insert(string connectionString, string persistenceId, long sequenceNr, object @event)
    {
        using var c = new SqliteConnection(connectionString);
        c.Open();
        using var command = c.CreateCommand();
        command.CommandText = "INSERT INTO event_journal (is_deleted, persistence_id, sequence_nr, payload, manifest) VALUES (0, $id, $seq, $payload, $manifest)";
        command.Parameters.AddWithValue("$id", persistenceId);
        command.Parameters.AddWithValue("$seq", sequenceNr);
        command.Parameters.AddWithValue("$payload", BrokerSerializer.Encode(@event));
        command.Parameters.AddWithValue("$manifest", BrokerSerializer.ManifestOf(@event));
        command.ExecuteNonQuery();
    }
}
