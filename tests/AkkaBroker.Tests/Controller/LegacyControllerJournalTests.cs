using Akka.Actor;
using Akka.Persistence;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Client;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Tests.Integration;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AkkaBroker.Tests.Controller;

/// <summary>
/// A broker upgraded from the single-node version, whose controller state is only in its journal (persistence id
/// "controller"), starts with those topics and producer-id blocks: they are read once and then replicated.
/// </summary>
public class LegacyControllerJournalTests
{
    private sealed class LegacyWriter : ReceivePersistentActor
    {
        public LegacyWriter(object[] events)
        {
            Command<string>(_ =>
            {
                var replyTo = Sender;
                PersistAll(events, _ => { });
                DeferAsync("done", d => replyTo.Tell(d));
            });
        }

        public override string PersistenceId => ControllerActor.ControllerPersistenceId;
    }

    [Fact]
    public async Task Topics_in_a_single_node_controller_journal_survive_the_upgrade_to_replicated_metadata()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-test-" + Guid.NewGuid().ToString("N"));
        var broker = await BrokerFixture.StartAsync("", dataDir);
        var legacy = new object[]
        {
            new TopicCreated(new TopicState("from-journal", 1, new Dictionary<string, string> { ["retention.ms"] = "60000" }, [new PartitionAssignment(0, [0]), new PartitionAssignment(1, [0])])),
            new ProducerIdsAllocated(5000),
        };
        var writer = broker.Node.System.ActorOf(Props.Create(() => new LegacyWriter(legacy)));
        Assert.Equal("done", await writer.Ask<string>("write", TimeSpan.FromSeconds(10)));
        await broker.StopAsync();
        // What an old version's data directory looks like: no replicated metadata yet.
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "akkabroker.db") }.ToString()))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM cluster_metadata";
            await command.ExecuteNonQueryAsync();
        }
        SqliteConnection.ClearAllPools();

        broker = await BrokerFixture.StartAsync("", dataDir);
        try
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
            var metadata = await admin.GetMetadataAsync(["from-journal"]);
            Assert.Equal(2, metadata.Topics.Single().Partitions.Count);
            var configs = await admin.DescribeConfigsAsync("from-journal");
            Assert.Contains(configs, c => c.Name == "retention.ms" && c.Value == "60000" && !c.IsDefault);
            var id = await broker.Node.Gateway.Ask<InitProducerIdResponse>(new InitProducerIdRequest(), TimeSpan.FromSeconds(10));
            Assert.True(id.ProducerId >= 5000, $"producer ids of the journal's blocks must not be handed out again, got {id.ProducerId}");
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }
}
