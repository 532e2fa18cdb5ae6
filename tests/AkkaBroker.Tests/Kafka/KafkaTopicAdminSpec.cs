using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;
using KafkaAdmin = Confluent.Kafka.Admin;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// Confluent.Kafka's admin client against a broker's Kafka-protocol listener: topics created, configured, grown and
/// deleted, and the cluster described; what it does is what the AkkaBroker admin client sees.
/// </summary>
public sealed class KafkaTopicAdminSpec : KafkaListenerBrokerSpec
{
    private Kafka.IAdminClient KafkaAdminClient() => new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = KafkaBootstrap }).Build();

    private IAdminClient AkkaAdminClient() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Broker.Bootstrap }).Build();

    private static KafkaAdmin.ConfigResource Topic(string name) => new() { Type = KafkaAdmin.ResourceType.Topic, Name = name };

    private static async Task<Dictionary<string, KafkaAdmin.ConfigEntryResult>> DescribeAsync(Kafka.IAdminClient admin, string topic) =>
        (await admin.DescribeConfigsAsync([Topic(topic)])).Single().Entries;

    [Fact]
    public async Task Topics_created_by_a_kafka_admin_client_have_their_partitions_and_configs_for_the_akka_admin_client()
    {
        using var kafka = KafkaAdminClient();
        await kafka.CreateTopicsAsync(
        [
            new KafkaAdmin.TopicSpecification { Name = "payments", NumPartitions = 3, ReplicationFactor = 1, Configs = new() { ["retention.ms"] = "3600000" } },
            new KafkaAdmin.TopicSpecification { Name = "defaults", NumPartitions = -1, ReplicationFactor = -1 },
        ]);

        using var akka = AkkaAdminClient();
        var metadata = await akka.GetMetadataAsync(["payments", "defaults"]);
        Assert.Equal(3, metadata.Topics.Single(t => t.Topic == "payments").Partitions.Count);
        Assert.Equal(Broker.Node.Settings.NumPartitions, metadata.Topics.Single(t => t.Topic == "defaults").Partitions.Count);
        var retention = (await akka.DescribeConfigsAsync("payments")).Single(e => e.Name == "retention.ms");
        Assert.Equal(("3600000", false), (retention.Value, retention.IsDefault));

        var described = await DescribeAsync(kafka, "payments");
        Assert.Equal(("3600000", false, KafkaAdmin.ConfigSource.DynamicTopicConfig),
            (described["retention.ms"].Value, described["retention.ms"].IsDefault, described["retention.ms"].Source));
        Assert.True(described["cleanup.policy"].IsDefault, "cleanup.policy was not set, so it should be described as the default");
    }

    [Fact]
    public async Task Validate_only_creates_nothing_an_existing_name_is_refused_and_a_bad_config_is_refused_naming_the_key()
    {
        using var kafka = KafkaAdminClient();
        await kafka.CreateTopicsAsync([new KafkaAdmin.TopicSpecification { Name = "dry", NumPartitions = 2, ReplicationFactor = 1 }],
            new KafkaAdmin.CreateTopicsOptions { ValidateOnly = true });
        using var akka = AkkaAdminClient();
        Assert.DoesNotContain("dry", (await akka.GetMetadataAsync()).Topics.Select(t => t.Topic));

        await kafka.CreateTopicsAsync([new KafkaAdmin.TopicSpecification { Name = "twice", NumPartitions = 1, ReplicationFactor = 1 }]);
        var again = await Assert.ThrowsAsync<KafkaAdmin.CreateTopicsException>(() =>
            kafka.CreateTopicsAsync([new KafkaAdmin.TopicSpecification { Name = "twice", NumPartitions = 1, ReplicationFactor = 1 }]));
        Assert.Equal(Kafka.ErrorCode.TopicAlreadyExists, again.Results.Single().Error.Code);

        var bad = await Assert.ThrowsAsync<KafkaAdmin.CreateTopicsException>(() => kafka.CreateTopicsAsync(
        [
            new KafkaAdmin.TopicSpecification { Name = "bad", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["retention.ms"] = "soon" } },
            new KafkaAdmin.TopicSpecification { Name = "good", NumPartitions = 1, ReplicationFactor = 1 },
        ]));
        var refused = bad.Results.Single(r => r.Topic == "bad").Error;
        Assert.Equal(Kafka.ErrorCode.InvalidConfig, refused.Code);
        Assert.Contains("retention.ms", refused.Reason);
        // Each topic has its own outcome: the good one is created.
        Assert.Equal(Kafka.ErrorCode.NoError, bad.Results.Single(r => r.Topic == "good").Error.Code);
        Assert.Contains("good", (await akka.GetMetadataAsync()).Topics.Select(t => t.Topic));
    }

    [Fact]
    public async Task Configs_altered_by_a_kafka_admin_client_are_described_by_it_and_by_the_akka_admin_client()
    {
        using var kafka = KafkaAdminClient();
        await kafka.CreateTopicsAsync([new KafkaAdmin.TopicSpecification { Name = "audit", NumPartitions = 1, ReplicationFactor = 1 }]);

        await kafka.IncrementalAlterConfigsAsync(new Dictionary<KafkaAdmin.ConfigResource, List<KafkaAdmin.ConfigEntry>>
        {
            [Topic("audit")] =
            [
                new() { Name = "retention.ms", Value = "60000", IncrementalOperation = KafkaAdmin.AlterConfigOpType.Set },
                new() { Name = "cleanup.policy", Value = "compact", IncrementalOperation = KafkaAdmin.AlterConfigOpType.Append },
            ],
        });
        var described = await DescribeAsync(kafka, "audit");
        Assert.Equal(("60000", false), (described["retention.ms"].Value, described["retention.ms"].IsDefault));
        Assert.Equal("delete,compact", described["cleanup.policy"].Value);

        await kafka.IncrementalAlterConfigsAsync(new Dictionary<KafkaAdmin.ConfigResource, List<KafkaAdmin.ConfigEntry>>
        {
            [Topic("audit")] = [new() { Name = "retention.ms", IncrementalOperation = KafkaAdmin.AlterConfigOpType.Delete }],
        });
        Assert.True((await DescribeAsync(kafka, "audit"))["retention.ms"].IsDefault, "a deleted override should be described as the default");

        // AlterConfigs replaces the topic's overrides: cleanup.policy returns to its default.
        await kafka.AlterConfigsAsync(new Dictionary<KafkaAdmin.ConfigResource, List<KafkaAdmin.ConfigEntry>>
        {
            [Topic("audit")] = [new() { Name = "max.message.bytes", Value = "2048" }],
        });
        using var akka = AkkaAdminClient();
        var seen = (await akka.DescribeConfigsAsync("audit")).ToDictionary(e => e.Name);
        Assert.Equal(("2048", false), (seen["max.message.bytes"].Value, seen["max.message.bytes"].IsDefault));
        Assert.True(seen["cleanup.policy"].IsDefault, "AlterConfigs should have returned cleanup.policy to its default");

        var bad = await Assert.ThrowsAsync<KafkaAdmin.IncrementalAlterConfigsException>(() => kafka.IncrementalAlterConfigsAsync(
            new Dictionary<KafkaAdmin.ConfigResource, List<KafkaAdmin.ConfigEntry>>
            {
                [Topic("audit")] = [new() { Name = "segment.bytes", Value = "tiny", IncrementalOperation = KafkaAdmin.AlterConfigOpType.Set }],
            }));
        Assert.Equal(Kafka.ErrorCode.InvalidConfig, bad.Results.Single().Error.Code);
        Assert.Contains("segment.bytes", bad.Results.Single().Error.Reason);
    }

    [Fact]
    public async Task Dynamic_broker_configs_set_over_the_kafka_protocol_reach_the_topics_replicas_and_are_described_with_their_source()
    {
        using var kafka = KafkaAdminClient();
        await kafka.CreateTopicsAsync([new KafkaAdmin.TopicSpecification { Name = "small", NumPartitions = 1, ReplicationFactor = 1 }]);
        // The cluster-wide default is the broker resource named "" (as kafka-configs --entity-default sends it); librdkafka
        // refuses an empty name, so this one goes as the request itself.
        var altered = await RoundTripAsync<IncrementalAlterConfigsResponseData>(ApiKey.IncrementalAlterConfigs, 1, new IncrementalAlterConfigsRequestData
        {
            Resources =
            [
                new()
                {
                    ResourceType = 4, ResourceName = "",
                    Configs = [new() { Name = "message.max.bytes", ConfigOperation = 0, Value = "1000" }],
                },
            ],
        });
        Assert.Equal(0, Assert.Single(altered.Responses).ErrorCode);

        var topic = await DescribeAsync(kafka, "small");
        Assert.Equal(("1000", KafkaAdmin.ConfigSource.DynamicDefaultBrokerConfig), (topic["max.message.bytes"].Value, topic["max.message.bytes"].Source));
        var brokerResource = new KafkaAdmin.ConfigResource { Type = KafkaAdmin.ResourceType.Broker, Name = $"{Broker.Node.Settings.BrokerId}" };
        var broker = (await kafka.DescribeConfigsAsync([brokerResource])).Single().Entries;
        Assert.Equal(("1000", KafkaAdmin.ConfigSource.DynamicDefaultBrokerConfig), (broker["message.max.bytes"].Value, broker["message.max.bytes"].Source));
        Assert.True(broker["num.partitions"].IsReadOnly);

        // The partition's replica took the new default: a larger record is refused by the broker, as Kafka does.
        using var producer = new Kafka.ProducerBuilder<Kafka.Null, string>(new Kafka.ProducerConfig { BootstrapServers = KafkaBootstrap }).Build();
        var tooLarge = await Assert.ThrowsAsync<Kafka.ProduceException<Kafka.Null, string>>(() =>
            producer.ProduceAsync("small", new Kafka.Message<Kafka.Null, string> { Value = new string('x', 5000) }));
        Assert.Equal(Kafka.ErrorCode.MsgSizeTooLarge, tooLarge.Error.Code);

        // Per broker: the throttle rate is taken; a topic default is refused, naming why.
        await kafka.IncrementalAlterConfigsAsync(new Dictionary<KafkaAdmin.ConfigResource, List<KafkaAdmin.ConfigEntry>>
        {
            [brokerResource] = [new() { Name = "follower.replication.throttled.rate", Value = "1000000", IncrementalOperation = KafkaAdmin.AlterConfigOpType.Set }],
        });
        broker = (await kafka.DescribeConfigsAsync([brokerResource])).Single().Entries;
        Assert.Equal(("1000000", KafkaAdmin.ConfigSource.DynamicBrokerConfig), (broker["follower.replication.throttled.rate"].Value, broker["follower.replication.throttled.rate"].Source));
        var perBroker = await Assert.ThrowsAsync<KafkaAdmin.IncrementalAlterConfigsException>(() => kafka.IncrementalAlterConfigsAsync(
            new Dictionary<KafkaAdmin.ConfigResource, List<KafkaAdmin.ConfigEntry>>
            {
                [brokerResource] = [new() { Name = "message.max.bytes", Value = "5", IncrementalOperation = KafkaAdmin.AlterConfigOpType.Set }],
            }));
        Assert.Equal(Kafka.ErrorCode.InvalidConfig, perBroker.Results.Single().Error.Code);
        Assert.Contains("cluster-wide default", perBroker.Results.Single().Error.Reason);

        // AlterConfigs replaces the broker's whole set of dynamic configs: an empty set removes the rate.
        await kafka.AlterConfigsAsync(new Dictionary<KafkaAdmin.ConfigResource, List<KafkaAdmin.ConfigEntry>> { [brokerResource] = [] });
        broker = (await kafka.DescribeConfigsAsync([brokerResource])).Single().Entries;
        Assert.False(broker.ContainsKey("follower.replication.throttled.rate"));
    }

    [Fact]
    public async Task Partitions_added_and_topics_deleted_by_a_kafka_admin_client_are_seen_by_the_akka_admin_client()
    {
        using var kafka = KafkaAdminClient();
        await kafka.CreateTopicsAsync([new KafkaAdmin.TopicSpecification { Name = "grow", NumPartitions = 2, ReplicationFactor = 1 }]);
        await kafka.CreatePartitionsAsync([new KafkaAdmin.PartitionsSpecification { Topic = "grow", IncreaseTo = 5 }]);
        using var akka = AkkaAdminClient();
        Assert.Equal(5, (await akka.GetMetadataAsync(["grow"])).Topics.Single().Partitions.Count);

        var fewer = await Assert.ThrowsAsync<KafkaAdmin.CreatePartitionsException>(() =>
            kafka.CreatePartitionsAsync([new KafkaAdmin.PartitionsSpecification { Topic = "grow", IncreaseTo = 3 }]));
        Assert.Equal(Kafka.ErrorCode.InvalidPartitions, fewer.Results.Single().Error.Code);

        await kafka.DeleteTopicsAsync(["grow"]);
        Assert.DoesNotContain("grow", (await akka.GetMetadataAsync()).Topics.Select(t => t.Topic));
        var missing = await Assert.ThrowsAsync<KafkaAdmin.DeleteTopicsException>(() => kafka.DeleteTopicsAsync(["grow"]));
        Assert.Equal(Kafka.ErrorCode.UnknownTopicOrPart, missing.Results.Single().Error.Code);
    }

    [Fact]
    public async Task Describe_cluster_names_theBroker_at_its_kafka_listener_as_controller_and_its_settings_are_described()
    {
        using var kafka = KafkaAdminClient();
        var cluster = await Kafka.IAdminClientExtensions.DescribeClusterAsync(kafka, new KafkaAdmin.DescribeClusterOptions { IncludeAuthorizedOperations = true });
        var node = Assert.Single(cluster.Nodes);
        Assert.Equal(KafkaBootstrap, $"{node.Host}:{node.Port}");
        Assert.Equal(Broker.Node.Settings.BrokerId, node.Id);
        Assert.Equal(Broker.Node.Settings.BrokerId, cluster.Controller.Id);
        Assert.Contains(KafkaAdmin.AclOperation.Describe, cluster.AuthorizedOperations);

        var broker = (await kafka.DescribeConfigsAsync([new KafkaAdmin.ConfigResource { Type = KafkaAdmin.ResourceType.Broker, Name = $"{node.Id}" }])).Single();
        Assert.Equal($"{Broker.Node.Settings.NumPartitions}", broker.Entries["num.partitions"].Value);
    }

    /// <summary>Sends one request on a fresh connection and reads its response (for APIs Confluent.Kafka reaches another way).</summary>
    private async Task<T> RoundTripAsync<T>(ApiKey key, short version, IKafkaMessage request)
    {
        var (host, port) = Broker.Node.KafkaListener!.Advertised;
        using var client = new TcpClient();
        await client.ConnectAsync(host, port);
        var stream = client.GetStream();
        var output = new ArrayBufferWriter<byte>();
        KafkaRequestFrame.WriteRequest(output, key, version, 42, "admin-spec", request);
        await stream.WriteAsync(output.WrittenMemory);
        var size = new byte[4];
        await stream.ReadExactlyAsync(size);
        var response = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await stream.ReadExactlyAsync(response);
        return Assert.IsType<T>(KafkaRequestFrame.ReadResponse(response, key, version).Body);
    }

    [Fact]
    public async Task DescribeCluster_namesBrokers_at_their_kafka_listeners_and_refuses_a_controller_endpoint()
    {
        var brokers = await RoundTripAsync<DescribeClusterResponseData>(ApiKey.DescribeCluster, 1,
            new DescribeClusterRequestData { EndpointType = 1, IncludeClusterAuthorizedOperations = true });
        Assert.Equal(0, brokers.ErrorCode);
        var broker = Assert.Single(brokers.Brokers);
        Assert.Equal(KafkaBootstrap, $"{broker.Host}:{broker.Port}");
        Assert.Equal(Broker.Node.Settings.BrokerId, brokers.ControllerId);
        Assert.NotEqual(int.MinValue, brokers.ClusterAuthorizedOperations);

        var controllers = await RoundTripAsync<DescribeClusterResponseData>(ApiKey.DescribeCluster, 1, new DescribeClusterRequestData { EndpointType = 2 });
        Assert.Equal((short)AkkaBroker.Protocol.ErrorCode.MismatchedEndpointType, controllers.ErrorCode);
    }

    [Fact]
    public async Task Deleting_a_topic_by_id_is_refused_with_unknown_topic_id()
    {
        var response = await RoundTripAsync<DeleteTopicsResponseData>(ApiKey.DeleteTopics, 6, new DeleteTopicsRequestData
        {
            TimeoutMs = 5000, Topics = [new DeleteTopicsRequestData.DeleteTopicState { Name = null, TopicId = Guid.NewGuid() }],
        });
        Assert.Equal((short)AkkaBroker.Protocol.ErrorCode.UnknownTopicId, Assert.Single(response.Responses).ErrorCode);
    }
}
