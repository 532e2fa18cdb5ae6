using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using AkkaBroker.Protocol.Serialization;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AkkaBroker.Tests;

/// <summary>A stopped or running broker's journal, read or damaged in place as a disk fault would, for tests of what replicas hold.</summary>
internal static class ReplicaJournalFiles
{
    /// <summary>Changes the <paramref name="index"/>-th journaled batch of a replica in place, as a disk fault would (the broker is stopped).</summary>
    public static async Task DamageBatchAsync(string dataDir, string persistenceId, int index, Action<byte[]> damage)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(dataDir, "akkabroker.db")}");
        await db.OpenAsync();
        var read = db.CreateCommand();
        read.CommandText = "SELECT ordering, payload FROM event_journal WHERE persistence_id = $id AND manifest = 'pBA' ORDER BY ordering LIMIT 1 OFFSET $n";
        read.Parameters.AddWithValue("$id", persistenceId);
        read.Parameters.AddWithValue("$n", index);
        long ordering;
        byte[] payload;
        await using (var reader = await read.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync(), $"batch {index} of {persistenceId} should be in the journal");
            ordering = reader.GetInt64(0);
            payload = (byte[])reader.GetValue(1);
        }
        damage(payload);
        var write = db.CreateCommand();
        write.CommandText = "UPDATE event_journal SET payload = $p WHERE ordering = $o";
        write.Parameters.AddWithValue("$p", payload);
        write.Parameters.AddWithValue("$o", ordering);
        Assert.Equal(1, await write.ExecuteNonQueryAsync());
    }

    /// <summary>
    /// What a replica would serve: the live batches of its journal (rows a truncation or a reset left behind are
    /// skipped, as the replica skips them), as offset → "key=value".
    /// </summary>
    public static SortedDictionary<long, string> ReadReplica(string dataDir, string persistenceId)
    {
        var rows = new List<(long Seq, string Manifest, byte[] Payload)>();
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "akkabroker.db"), Mode = SqliteOpenMode.ReadOnly }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT sequence_nr, manifest, payload FROM event_journal WHERE persistence_id = $id AND is_deleted = 0 ORDER BY sequence_nr";
            command.Parameters.AddWithValue("$id", persistenceId);
            using var reader = command.ExecuteReader();
            while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1), (byte[])reader[2]));
        }
        var dead = new List<(long From, long To)>();
        foreach (var (seq, manifest, payload) in rows)
        {
            switch (BrokerSerializer.Decode(payload, manifest))
            {
                case LogTruncated t: dead.Add((t.FirstDeadSequenceNr, seq)); break;
                case LogReset: dead.Add((0, seq)); break;
            }
        }
        var records = new SortedDictionary<long, string>();
        foreach (var (seq, manifest, payload) in rows)
        {
            if (dead.Any(d => seq >= d.From && seq < d.To) || BrokerSerializer.Decode(payload, manifest) is not BatchAppended b) continue;
            foreach (var r in RecordBatch.Wrap(b.Batch).ReadRecords())
                records[r.Offset] = $"{System.Text.Encoding.UTF8.GetString(r.Key!)}={(r.Value == null ? "null" : System.Text.Encoding.UTF8.GetString(r.Value))}";
        }
        return records;
    }
}
