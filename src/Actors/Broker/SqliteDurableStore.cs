using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData.Durable;
using Akka.Event;
using Akka.Serialization;
using Microsoft.Data.Sqlite;

namespace AkkaBroker.Actors.Broker;

/// <summary>
/// Akka.DistributedData's durable store (<c>akka.cluster.distributed-data.durable.store-actor-class</c>) kept in the
/// broker's own SQLite database, table <c>cluster_metadata</c>. Akka's LMDB store does not run with the LightningDB
/// version served here (it fails with MissingMethodException), and one database file per broker is simpler to operate
/// anyway. Each <see cref="Store"/> is committed before it is acknowledged, so a value a majority acknowledged is on
/// the disks of a majority. Runs on the store's pinned dispatcher: SQLite calls are synchronous.
/// </summary>
public sealed class SqliteDurableStore : ReceiveActor
{
    /// <summary>Set at start by <see cref="BrokerNode"/> (under <c>akka.cluster.distributed-data.durable</c>).</summary>
    public const string ConnectionStringKey = "sqlite.connection-string";

    private readonly string _connectionString;
    private readonly SerializerWithStringManifest _serializer;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public SqliteDurableStore(Config config)
    {
        _connectionString = config.GetString(ConnectionStringKey)
                            ?? throw new ArgumentException($"akka.cluster.distributed-data.durable.{ConnectionStringKey} is not set");
        _serializer = (SerializerWithStringManifest)Context.System.Serialization.FindSerializerForType(typeof(DurableDataEnvelope));

        Receive<LoadAll>(_ =>
        {
            try
            {
                var data = Load();
                if (data.Count > 0) Sender.Tell(new LoadData(data));
                Sender.Tell(LoadAllCompleted.Instance);
                _log.Info("Loaded {0} replicated metadata entries from SQLite", data.Count);
            }
            catch (Exception e) when (e is SqliteException or System.Runtime.Serialization.SerializationException or FormatException)
            {
                throw new LoadFailedException("failed to load the replicated cluster metadata from SQLite (cluster_metadata)", e);
            }
        });
        Receive<Store>(store =>
        {
            try
            {
                Save(store.Key, store.Data);
                store.Reply?.ReplyTo.Tell(store.Reply.SuccessMessage);
            }
            catch (SqliteException e)
            {
                _log.Error(e, "Failed to store replicated metadata [{0}]", store.Key);
                store.Reply?.ReplyTo.Tell(store.Reply.FailureMessage);
            }
        });
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout=10000; CREATE TABLE IF NOT EXISTS cluster_metadata (key TEXT PRIMARY KEY, manifest TEXT NOT NULL, value BLOB NOT NULL);";
        command.ExecuteNonQuery();
        return connection;
    }

    private ImmutableDictionary<string, DurableDataEnvelope> Load()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key, manifest, value FROM cluster_metadata";
        using var reader = command.ExecuteReader();
        var result = ImmutableDictionary.CreateBuilder<string, DurableDataEnvelope>();
        while (reader.Read())
            result[reader.GetString(0)] = (DurableDataEnvelope)_serializer.FromBinary((byte[])reader[2], reader.GetString(1));
        return result.ToImmutable();
    }

    private void Save(string key, DurableDataEnvelope data)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO cluster_metadata (key, manifest, value) VALUES ($k, $m, $v) ON CONFLICT(key) DO UPDATE SET manifest = excluded.manifest, value = excluded.value";
        command.Parameters.AddWithValue("$k", key);
        command.Parameters.AddWithValue("$m", _serializer.Manifest(data));
        command.Parameters.AddWithValue("$v", _serializer.ToBinary(data));
        command.ExecuteNonQuery();
    }
}
