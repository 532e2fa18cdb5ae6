using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.KafkaProtocol;
using Xunit;
using Kafka = Confluent.Kafka;
using KafkaAdmin = Confluent.Kafka.Admin;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// Kafka's day-2 APIs through the Kafka-protocol listener: leader elections and deleting a group's offsets from
/// Confluent.Kafka's admin client, and reassignments and log directories as Kafka's tools send them.
/// </summary>
public sealed class KafkaOperationsSpec : KafkaListenerBrokerSpec
{
    private IAdminClient AkkaAdmin() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Broker.Bootstrap }).Build();

    [Fact]
    public async Task A_preferred_election_of_partitions_led_by_their_first_replica_is_not_needed()
    {
        using var akka = AkkaAdmin();
        await akka.CreateTopicsAsync([new TopicSpecification { Name = "led", NumPartitions = 2, ReplicationFactor = 1 }]);
        using var kafka = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = KafkaBootstrap }).Build();
        List<Kafka.TopicPartitionError> results;
        try
        {
            results = (await Kafka.IAdminClientExtensions.ElectLeadersAsync(kafka, Kafka.ElectionType.Preferred,
                [new Kafka.TopicPartition("led", 0), new Kafka.TopicPartition("led", 1)])).TopicPartitions;
        }
        catch (KafkaAdmin.ElectLeadersException e)
        {
            results = e.Results.TopicPartitions;
        }
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(Kafka.ErrorCode.ElectionNotNeeded, r.Error.Code));
    }

    [Fact]
    public async Task Offsets_deleted_by_a_kafka_admin_client_are_gone_for_the_akka_admin_client()
    {
        using var akka = AkkaAdmin();
        await akka.CreateTopicsAsync([new TopicSpecification { Name = "audit", NumPartitions = 2, ReplicationFactor = 1 }]);
        await akka.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets("auditors",
            [new TopicPartitionOffset("audit", 0, 5), new TopicPartitionOffset("audit", 1, 7)])]);
        using var kafka = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = KafkaBootstrap }).Build();

        var deleted = await kafka.DeleteConsumerGroupOffsetsAsync("auditors", [new Kafka.TopicPartition("audit", 0)]);
        Assert.Equal("auditors", deleted.Group);

        var left = (await akka.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("auditors", null)])).Single().Partitions;
        Assert.Equal([("audit", 1, 7L)], left.Where(p => p.Offset.Value >= 0).Select(p => (p.Topic, p.Partition.Value, p.Offset.Value)));
    }

    [Fact]
    public async Task Reassignments_and_log_directories_are_answered_as_kafkas_tools_ask_for_them()
    {
        using var akka = AkkaAdmin();
        await akka.CreateTopicsAsync([new TopicSpecification { Name = "sized", NumPartitions = 2, ReplicationFactor = 1 }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = Broker.Bootstrap }).Build())
            for (var i = 0; i < 20; i++)
                await producer.ProduceAsync(new TopicPartition("sized", 0), new Message<string, string> { Key = "k", Value = $"value-{i}" });
        await using var raw = await RawKafkaConnection.ConnectAsync(KafkaBootstrap);
        var self = Broker.Node.Settings.BrokerId;

        var logDirs = await raw.AskAsync<DescribeLogDirsResponseData>(ApiKey.DescribeLogDirs, 3, new DescribeLogDirsRequestData { Topics = null });
        var dir = Assert.Single(logDirs.Results);
        Assert.Equal(Broker.Node.Settings.DataDirectory, dir.LogDir);
        var sized = dir.Topics.Single(t => t.Name == "sized").Partitions.OrderBy(p => p.PartitionIndex).ToList();
        Assert.Equal([0, 1], sized.Select(p => p.PartitionIndex));
        Assert.True(sized[0].PartitionSize > sized[1].PartitionSize, $"partition 0 holds 20 records ({sized[0].PartitionSize} bytes), partition 1 none ({sized[1].PartitionSize})");

        var moved = await raw.AskAsync<AlterPartitionReassignmentsResponseData>(ApiKey.AlterPartitionReassignments, 0, new AlterPartitionReassignmentsRequestData
        {
            Topics = [new() { Name = "sized", Partitions = [new() { PartitionIndex = 0, Replicas = [self, 99] }] }],
        });
        var refused = Assert.Single(Assert.Single(moved.Responses).Partitions);
        Assert.Equal((short)AkkaBroker.Protocol.ErrorCode.InvalidReplicaAssignment, refused.ErrorCode);
        Assert.Contains("99", refused.ErrorMessage);

        var unregistered = await raw.AskAsync<UnregisterBrokerResponseData>(ApiKey.UnregisterBroker, 0, new UnregisterBrokerRequestData { BrokerId = self });
        Assert.Equal((short)AkkaBroker.Protocol.ErrorCode.InvalidRequest, unregistered.ErrorCode);
        Assert.Contains("is running", unregistered.ErrorMessage);
        Assert.Equal((short)AkkaBroker.Protocol.ErrorCode.BrokerIdNotRegistered,
            (await raw.AskAsync<UnregisterBrokerResponseData>(ApiKey.UnregisterBroker, 0, new UnregisterBrokerRequestData { BrokerId = 77 })).ErrorCode);

        var listed = await raw.AskAsync<ListPartitionReassignmentsResponseData>(ApiKey.ListPartitionReassignments, 0, new ListPartitionReassignmentsRequestData { Topics = null });
        Assert.Equal(0, listed.ErrorCode);
        Assert.Empty(listed.Topics);
    }

    [Fact]
    public async Task Client_quotas_are_altered_and_described_as_kafka_configs_sends_them()
    {
        await using var raw = await RawKafkaConnection.ConnectAsync(KafkaBootstrap);
        AlterClientQuotasRequestData.EntityData Part(string type, string? name) => new() { EntityType = type, EntityName = name };

        var altered = await raw.AskAsync<AlterClientQuotasResponseData>(ApiKey.AlterClientQuotas, 1, new AlterClientQuotasRequestData
        {
            Entries =
            [
                new() { Entity = [Part("user", "alice"), Part("client-id", null)], Ops = [new() { Key = "producer_byte_rate", Value = 1024 }, new() { Key = "consumer_byte_rate", Value = 4096 }] },
                new() { Entity = [Part("ip", "10.0.0.1")], Ops = [new() { Key = "connection_creation_rate", Value = 5 }] },
                new() { Entity = [Part("client-id", "app")], Ops = [new() { Key = "producer_byte_rate", Value = 0.5 }] },
            ],
        });
        Assert.Equal([0, (short)AkkaBroker.Protocol.ErrorCode.InvalidRequest, (short)AkkaBroker.Protocol.ErrorCode.InvalidRequest], altered.Entries.Select(e => e.ErrorCode));
        Assert.Contains("'ip' are not served", altered.Entries[1].ErrorMessage);
        Assert.Contains("whole number of bytes per second", altered.Entries[2].ErrorMessage);
        Assert.Equal("ip", Assert.Single(altered.Entries[1].Entity).EntityType);

        foreach (var version in new short[] { 0, 1 })
        {
            var described = await raw.AskAsync<DescribeClientQuotasResponseData>(ApiKey.DescribeClientQuotas, version, new DescribeClientQuotasRequestData
            {
                Components = [new() { EntityType = "user", MatchType = 0, Match = "alice" }],
            });
            Assert.Equal(0, described.ErrorCode);
            var entry = Assert.Single(described.Entries!);
            Assert.Equal([("user", "alice"), ("client-id", (string?)null)], entry.Entity.Select(e => (e.EntityType, e.EntityName)));
            Assert.Equal([("consumer_byte_rate", 4096.0), ("producer_byte_rate", 1024.0)], entry.Values.Select(v => (v.Key, v.Value)).OrderBy(v => v.Key));
        }
        var strict = await raw.AskAsync<DescribeClientQuotasResponseData>(ApiKey.DescribeClientQuotas, 1, new DescribeClientQuotasRequestData
        {
            Components = [new() { EntityType = "user", MatchType = 0, Match = "alice" }], Strict = true,
        });
        Assert.Empty(strict.Entries!);
        var badType = await raw.AskAsync<DescribeClientQuotasResponseData>(ApiKey.DescribeClientQuotas, 1, new DescribeClientQuotasRequestData
        {
            Components = [new() { EntityType = "users", MatchType = 2 }],
        });
        Assert.Equal((short)AkkaBroker.Protocol.ErrorCode.InvalidRequest, badType.ErrorCode);
    }
}
