using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using ErrorCode = AkkaBroker.Client.ErrorCode;

namespace AkkaBroker.Tests.Integration;

/// <summary>
/// The admin client's Confluent.Kafka-shaped results against a real broker: a request about several things reports
/// each one, the ones that succeeded take effect, and what the client cannot do is refused by name.
/// </summary>
public class AdminResultTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private IAdminClient Admin() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();

    private static string NewName() => "r-" + Guid.NewGuid().ToString("N")[..12];

    private static ConfigResource Topic(string name) => new() { Type = ResourceType.Topic, Name = name };

    [Fact]
    public async Task Creating_two_topics_of_which_one_exists_creates_the_other_and_reports_both()
    {
        using var admin = Admin();
        var existing = NewName();
        var fresh = NewName();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = existing, NumPartitions = 1 }]);

        var e = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
            [new TopicSpecification { Name = existing, NumPartitions = 1 }, new TopicSpecification { Name = fresh, NumPartitions = 2 }]));

        Assert.Equal(ErrorCode.Local_Partial, e.Error.Code);
        Assert.Contains(existing, e.Error.Reason);
        Assert.Equal([(existing, ErrorCode.TopicAlreadyExists), (fresh, ErrorCode.NoError)], e.Results.Select(r => (r.Topic, r.Error.Code)));
        Assert.Equal(2, (await admin.GetMetadataAsync([fresh])).Topics.Single().Partitions.Count);
    }

    [Fact]
    public async Task Validate_only_creates_nothing()
    {
        using var admin = Admin();
        var name = NewName();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 1 }], new CreateTopicsOptions { ValidateOnly = true });
        var described = admin.GetMetadata(name, TimeSpan.FromSeconds(10)).Topics.Single();
        Assert.Equal(ErrorCode.UnknownTopicOrPart, described.Error.Code);
        Assert.Empty(described.Partitions);
    }

    [Fact]
    public async Task Append_and_subtract_change_a_list_config_and_delete_returns_a_key_to_its_default()
    {
        using var admin = Admin();
        var name = NewName();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 1, Configs = new() { ["retention.ms"] = "60000" } }]);

        await admin.IncrementalAlterConfigsAsync(new()
        {
            [Topic(name)] =
            [
                new ConfigEntry { Name = "cleanup.policy", Value = "compact", IncrementalOperation = AlterConfigOpType.Append },
                new ConfigEntry { Name = "retention.ms", IncrementalOperation = AlterConfigOpType.Delete },
            ],
        });
        var entries = (await admin.DescribeConfigsAsync([Topic(name)])).Single().Entries;
        Assert.Equal("delete,compact", entries["cleanup.policy"].Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, entries["cleanup.policy"].Source);
        Assert.True(entries["retention.ms"].IsDefault);
        Assert.Equal(ConfigSource.DefaultConfig, entries["retention.ms"].Source);

        await admin.IncrementalAlterConfigsAsync(new()
        {
            [Topic(name)] = [new ConfigEntry { Name = "cleanup.policy", Value = "delete", IncrementalOperation = AlterConfigOpType.Subtract }],
        });
        Assert.Equal("compact", (await admin.DescribeConfigsAsync([Topic(name)])).Single().Entries["cleanup.policy"].Value);
    }

    [Fact]
    public async Task Unknown_brokers_other_resources_and_replica_assignments_are_refused_with_what_to_do()
    {
        using var admin = Admin();
        var name = NewName();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 1 }]);

        var describe = await Assert.ThrowsAsync<DescribeConfigsException>(() => admin.DescribeConfigsAsync(
            [Topic(name), new ConfigResource { Type = ResourceType.Broker, Name = "broker-1" }, new ConfigResource { Type = ResourceType.Group, Name = "g" }]));
        Assert.Equal(ErrorCode.NoError, describe.Results[0].Error.Code);
        Assert.NotEmpty(describe.Results[0].Entries);
        Assert.Equal(ErrorCode.InvalidRequest, describe.Results[1].Error.Code);
        Assert.Contains("Broker 'broker-1' is not a node id", describe.Results[1].Error.Reason);
        Assert.Equal(ErrorCode.InvalidRequest, describe.Results[2].Error.Code);
        Assert.Contains("topic configs (ResourceType.Topic) and brokers' dynamic configs", describe.Results[2].Error.Reason);

        var grow = await Assert.ThrowsAsync<CreatePartitionsException>(() => admin.CreatePartitionsAsync(
            [new PartitionsSpecification { Topic = name, IncreaseTo = 2, ReplicaAssignments = [[1]] }]));
        Assert.Equal(ErrorCode.InvalidReplicaAssignment, Assert.Single(grow.Results).Error.Code);
        Assert.Single((await admin.GetMetadataAsync([name])).Topics.Single().Partitions);
    }

    [Fact]
    public async Task Offsets_are_listed_deleted_and_reported_per_partition()
    {
        using var admin = Admin();
        var name = NewName();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 2 }]);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build())
            for (var i = 0; i < 5; i++) await producer.ProduceAsync(new TopicPartition(name, 0), new Message<Null, string> { Value = $"v{i}" });

        var listed = await admin.ListOffsetsAsync(
        [
            new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(name, 0), OffsetSpec = OffsetSpec.Latest() },
            new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(name, 1), OffsetSpec = OffsetSpec.Earliest() },
        ]);
        Assert.Equal([5L, 0L], listed.ResultInfos.Select(i => i.TopicPartitionOffsetError.Offset.Value));

        var deleted = await admin.DeleteRecordsAsync([new TopicPartitionOffset(name, 0, new Offset(3))]);
        Assert.Equal(new TopicPartitionOffset(name, 0, new Offset(3)), Assert.Single(deleted).TopicPartitionOffset);

        var refused = await Assert.ThrowsAsync<DeleteRecordsException>(() => admin.DeleteRecordsAsync(
            [new TopicPartitionOffset(name, 0, new Offset(4)), new TopicPartitionOffset(name, 1, new Offset(9))]));
        Assert.Equal([(0, ErrorCode.NoError, 4L), (1, ErrorCode.OffsetOutOfRange, Offset.Unset.Value)],
            refused.Results.Select(r => (r.Partition.Value, r.Error.Code, r.Offset.Value)));

        var missing = await Assert.ThrowsAsync<ListOffsetsException>(() => admin.ListOffsetsAsync(
            [new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(NewName(), 0), OffsetSpec = OffsetSpec.Latest() }]));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, Assert.Single(missing.Result.ResultInfos).TopicPartitionOffsetError.Error.Code);
    }

    [Fact]
    public async Task Group_offsets_are_altered_listed_and_the_group_deleted()
    {
        using var admin = Admin();
        var name = NewName();
        var group = "g-" + NewName();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 2 }]);

        var altered = await admin.AlterConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitionOffsets(group, [new TopicPartitionOffset(name, 0, new Offset(0))])]);
        Assert.Equal(group, Assert.Single(altered).Group);

        var all = Assert.Single(await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, null)]));
        Assert.Equal([new TopicPartitionOffset(name, 0, new Offset(0))], all.Partitions.Select(p => p.TopicPartitionOffset));
        var asked = Assert.Single(await admin.ListConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitions(group, [new TopicPartition(name, 0), new TopicPartition(name, 1)])]));
        Assert.Equal([0L, Offset.Unset.Value], asked.Partitions.Select(p => p.Offset.Value));

        var listing = (await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { MatchStates = [ConsumerGroupState.Empty] })).Valid
            .Single(g => g.GroupId == group);
        Assert.True(listing.IsSimpleConsumerGroup, "a group that only committed offsets is a simple group");
        Assert.DoesNotContain((await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { MatchStates = [ConsumerGroupState.Stable] })).Valid,
            g => g.GroupId == group);

        await admin.DeleteGroupsAsync([group]);
        var again = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync([group]));
        Assert.Equal(ErrorCode.GroupIdNotFound, Assert.Single(again.Results).Error.Code);
        Assert.Equal(ConsumerGroupState.Dead, (await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions.Single().State);
    }

    [Fact]
    public async Task Deleting_group_offsets_spares_the_topics_a_member_subscribes_to()
    {
        using var admin = Admin();
        var (subscribed, other) = (NewName(), NewName());
        var group = "g-" + NewName();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = subscribed, NumPartitions = 1 }, new TopicSpecification { Name = other, NumPartitions = 1 }]);
        await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(group,
            [new TopicPartitionOffset(subscribed, 0, new Offset(0)), new TopicPartitionOffset(other, 0, new Offset(0))])]);

        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = broker.Bootstrap, GroupId = group }).Build();
        consumer.Subscribe(subscribed);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (consumer.Assignment.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the consumer to join its group within 30 s");
            consumer.Consume(100);
        }

        var e = await Assert.ThrowsAsync<DeleteConsumerGroupOffsetsException>(() =>
            admin.DeleteConsumerGroupOffsetsAsync(group, [new TopicPartition(subscribed, 0), new TopicPartition(other, 0)]));
        Assert.Equal([(subscribed, ErrorCode.GroupSubscribedToTopic), (other, ErrorCode.NoError)], e.Result.Partitions.Select(p => (p.Topic, p.Error.Code)));
        var left = (await admin.DescribeConsumerGroupAsync(group)).CommittedOffsets.Select(o => o.Topic);
        Assert.Equal([subscribed], left);

        consumer.Close();
        var gone = await Assert.ThrowsAsync<DeleteConsumerGroupOffsetsException>(() => admin.DeleteConsumerGroupOffsetsAsync("never-" + NewName(), [new TopicPartition(other, 0)]));
        Assert.Equal(ErrorCode.GroupIdNotFound, gone.Result.Error.Code);
    }

    [Fact]
    public async Task Each_brokers_replicas_are_described_with_their_sizes()
    {
        using var admin = Admin();
        var name = NewName();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 2 }]);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build())
            for (var i = 0; i < 10; i++) await producer.ProduceAsync(new TopicPartition(name, 0), new Message<Null, string> { Value = $"v{i}" });

        var replicas = await admin.DescribeReplicaLogsAsync(topics: [name]);
        Assert.Equal([0, 1], replicas.Select(r => r.TopicPartition.Partition.Value));
        Assert.All(replicas, r => Assert.True(r.IsLeader && !r.Error.IsError && r.OffsetLag == 0, $"{r}"));
        Assert.Equal(10, replicas[0].LogEndOffset);
        Assert.True(replicas[0].SizeBytes > 0 && replicas[1].SizeBytes == 0, $"sizes {replicas[0].SizeBytes}, {replicas[1].SizeBytes}");
        Assert.Empty(await admin.DescribeReplicaLogsAsync(brokerIds: [replicas[0].BrokerId + 100], topics: [name]));
    }

    [Fact]
    public async Task The_cluster_is_described_with_its_nodes_and_controller()
    {
        using var admin = Admin();
        var cluster = await admin.DescribeClusterAsync();
        var node = Assert.Single(cluster.Nodes);
        Assert.Equal(node.Id, cluster.Controller?.Id);
        Assert.True(node.Port > 0 && node.Host.Length > 0, $"a reachable node, got {node}");
        Assert.Equal("akkabroker", cluster.ClusterId);
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        Assert.Equal([node.Id], metadata.Brokers.Select(b => b.BrokerId));
    }
}
