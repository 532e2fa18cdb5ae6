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
/// the disks of a majority. The replicator runs its store on Akka's internal dispatcher, next to cluster heartbeats,
/// so the synchronous SQLite work is done by a child on the pinned dispatcher meant for durable stores, in order.
/// </summary>
public sealed class SqliteDurableStore : ReceiveActor
{
    /// <summary>Set at start by <see cref="BrokerNode"/> (under <c>akka.cluster.distributed-data.durable</c>).</summary>
    public const string ConnectionStringKey = "sqlite.connection-string";

    public SqliteDurableStore(Config config)
    {
        var connectionString = config.GetString(ConnectionStringKey)
                               ?? throw new ArgumentException($"akka.cluster.distributed-data.durable.{ConnectionStringKey} is not set");
        var worker = Context.ActorOf(Props.Create(() => new Worker(connectionString))
            .WithDispatcher("akka.cluster.distributed-data.durable.pinned-store"), "sqlite");
        Receive<LoadAll>(worker.Forward);
        Receive<Store>(worker.Forward);
    }

    /// <summary>A failed load must fail the replicator, as Akka's own stores do, not be retried by a restart here.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    private sealed class Worker : ReceiveActor
    {
        private readonly string _connectionString;
        private readonly SerializerWithStringManifest _serializer;
        private readonly ILoggingAdapter _log = Context.GetLogger();

        public Worker(string connectionString)
        {
            _connectionString = connectionString;
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
                catch (Exception e)
                {
                    // Whatever went wrong, the replicator must learn that loading failed (it asks only once).
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
            // Below the controller's quorum timeout, so a write stuck behind the partitions' journal shows as a failed store.
            command.CommandText = "PRAGMA busy_timeout=3000; CREATE TABLE IF NOT EXISTS cluster_metadata (key TEXT PRIMARY KEY, manifest TEXT NOT NULL, value BLOB NOT NULL);";
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
}
