using System.Text;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// Confluent.Kafka (librdkafka), a real Kafka client, against a broker's Kafka-protocol listener: metadata, produce with
/// each acks setting and compression codec, fetch, and offsets by time; the Akka client reads what it wrote.
/// </summary>
public sealed class KafkaListenerSpec : KafkaListenerBrokerSpec
{
    [Fact]
    public void Metadata_names_thisBroker_at_its_kafka_listener_and_creates_a_topic_on_request()
    {
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = KafkaBootstrap }).Build();
        var all = admin.GetMetadata(TimeSpan.FromSeconds(20));
        var broker = Assert.Single(all.Brokers);
        Assert.Equal(KafkaBootstrap, $"{broker.Host}:{broker.Port}");
        Assert.Equal(Broker.Node.Settings.BrokerId, broker.BrokerId);
    }

    [Theory]
    [InlineData(Kafka.Acks.All, Kafka.CompressionType.None)]
    [InlineData(Kafka.Acks.Leader, Kafka.CompressionType.Gzip)]
    [InlineData(Kafka.Acks.All, Kafka.CompressionType.Snappy)]
    [InlineData(Kafka.Acks.All, Kafka.CompressionType.Lz4)]
    [InlineData(Kafka.Acks.All, Kafka.CompressionType.Zstd)]
    public async Task Records_produced_by_a_kafka_client_are_read_back_as_written_by_it_and_by_the_akka_client(Kafka.Acks acks, Kafka.CompressionType compression)
    {
        var topic = $"orders-{acks}-{compression}".ToLowerInvariant();
        var sent = new List<Kafka.DeliveryResult<string, string>>();
        using (var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig
               {
                   BootstrapServers = KafkaBootstrap, Acks = acks, CompressionType = compression, LingerMs = 5,
               }).Build())
        {
            for (var i = 0; i < 200; i++)
            {
                var message = new Kafka.Message<string, string>
                {
                    Key = $"k{i}", Value = $"v{i}", Timestamp = new Kafka.Timestamp(1_700_000_000_000 + i, Kafka.TimestampType.CreateTime),
                    Headers = new Kafka.Headers { { "h", Encoding.UTF8.GetBytes($"h{i}") } },
                };
                sent.Add(await producer.ProduceAsync(topic, message));
            }
        }
        Assert.All(sent, d => Assert.Equal(Kafka.PersistenceStatus.Persisted, d.Status));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), sent.Select(d => d.Offset.Value).Order());

        using (var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig { BootstrapServers = KafkaBootstrap, GroupId = "spec-reader", EnableAutoCommit = false, EnablePartitionEof = true }).Build())
        {
            consumer.Assign(new Kafka.TopicPartitionOffset(topic, 0, Kafka.Offset.Beginning));
            var read = new List<Kafka.ConsumeResult<string, string>>();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (read.Count < 200 && DateTime.UtcNow < deadline)
                if (consumer.Consume(TimeSpan.FromSeconds(1)) is { IsPartitionEOF: false } r) read.Add(r);
            Assert.Equal(200, read.Count);
            for (var i = 0; i < 200; i++)
            {
                Assert.Equal(($"k{i}", $"v{i}", i, 1_700_000_000_000 + i), (read[i].Message.Key, read[i].Message.Value, (int)read[i].Offset.Value, read[i].Message.Timestamp.UnixTimestampMs));
                Assert.Equal($"h{i}", Encoding.UTF8.GetString(read[i].Message.Headers.GetLastBytes("h")));
            }
        }

        using var akka = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = Broker.Bootstrap }).Build();
        akka.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var first = akka.Consume(TimeSpan.FromSeconds(20));
        Assert.NotNull(first);
        Assert.Equal(("k0", "v0"), (first.Message!.Key, first.Message.Value));
    }

    [Fact]
    public async Task Records_written_by_the_akka_client_are_read_by_a_kafka_client_and_offsets_are_found_by_time()
    {
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = Broker.Bootstrap }).Build())
            for (var i = 0; i < 10; i++)
                await producer.ProduceAsync("akka-written", new Message<string, string> { Key = $"k{i}", Value = $"v{i}", Timestamp = new Timestamp(1_000 * (i + 1), TimestampType.CreateTime) });

        using var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig { BootstrapServers = KafkaBootstrap, GroupId = "spec-reader", EnableAutoCommit = false }).Build();
        var marks = consumer.QueryWatermarkOffsets(new Kafka.TopicPartition("akka-written", 0), TimeSpan.FromSeconds(20));
        Assert.Equal((0L, 10L), (marks.Low.Value, marks.High.Value));
        var byTime = consumer.OffsetsForTimes([new Kafka.TopicPartitionTimestamp("akka-written", 0, new Kafka.Timestamp(5_500, Kafka.TimestampType.CreateTime))], TimeSpan.FromSeconds(20));
        Assert.Equal(5, Assert.Single(byTime).Offset.Value);

        consumer.Assign(new Kafka.TopicPartitionOffset("akka-written", 0, 5));
        var r = consumer.Consume(TimeSpan.FromSeconds(20));
        Assert.Equal(("k5", "v5", 6_000L), (r.Message.Key, r.Message.Value, r.Message.Timestamp.UnixTimestampMs));
    }

    [Fact]
    public async Task An_idempotent_kafka_producer_gets_a_producer_id_and_its_records_are_written_once_in_order()
    {
        using (var producer = new Kafka.ProducerBuilder<Kafka.Null, string>(new Kafka.ProducerConfig
               {
                   BootstrapServers = KafkaBootstrap, EnableIdempotence = true, LingerMs = 2, MaxInFlight = 5,
               }).Build())
        {
            for (var i = 0; i < 2000; i++) producer.Produce("idempotent", new Kafka.Message<Kafka.Null, string> { Value = $"v{i}" });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }
        using var consumer = new Kafka.ConsumerBuilder<Kafka.Ignore, string>(new Kafka.ConsumerConfig { BootstrapServers = KafkaBootstrap, GroupId = "spec-reader", EnableAutoCommit = false }).Build();
        consumer.Assign(new Kafka.TopicPartitionOffset("idempotent", 0, Kafka.Offset.Beginning));
        var values = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (values.Count < 2000 && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { Message: not null } r) values.Add(r.Message.Value);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => $"v{i}"), values);
        Assert.Equal(2000, consumer.QueryWatermarkOffsets(new Kafka.TopicPartition("idempotent", 0), TimeSpan.FromSeconds(10)).High.Value);
    }

    [Fact]
    public void A_transactional_kafka_producer_is_refused_at_init()
    {
        using var producer = new Kafka.ProducerBuilder<Kafka.Null, string>(new Kafka.ProducerConfig
        {
            BootstrapServers = KafkaBootstrap, TransactionalId = "tx-1",
        }).Build();
        Assert.ThrowsAny<Kafka.KafkaException>(() => producer.InitTransactions(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void A_topic_that_does_not_exist_is_reported_as_kafka_reports_it_when_the_client_asks_without_auto_creation()
    {
        var config = new Kafka.AdminClientConfig { BootstrapServers = KafkaBootstrap };
        config.Set("allow.auto.create.topics", "false");
        using var admin = new Kafka.AdminClientBuilder(config).Build();
        var metadata = admin.GetMetadata("never-created", TimeSpan.FromSeconds(20));
        // Asked without auto-creation, the topic comes back with UNKNOWN_TOPIC_OR_PART.
        Assert.Equal(Kafka.ErrorCode.UnknownTopicOrPart, Assert.Single(metadata.Topics).Error.Code);
    }

    [Fact]
    public async Task A_request_larger_than_a_socket_read_buffer_is_read_whole_and_served()
    {
        // 3 MiB in one produce request: more than the socket transport buffers by default (1 MiB).
        const int size = 3 << 20;
        using (var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = KafkaBootstrap }).Build())
            await admin.CreateTopicsAsync([new Kafka.Admin.TopicSpecification { Name = "large", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["max.message.bytes"] = "8388608" } }]);
        var value = new byte[size];
        new Random(7).NextBytes(value);
        using (var producer = new Kafka.ProducerBuilder<Kafka.Null, byte[]>(new Kafka.ProducerConfig
               {
                   BootstrapServers = KafkaBootstrap, MessageMaxBytes = 8 << 20, MessageTimeoutMs = 30_000,
               }).Build())
            Assert.Equal(Kafka.PersistenceStatus.Persisted, (await producer.ProduceAsync("large", new Kafka.Message<Kafka.Null, byte[]> { Value = value })).Status);

        using var consumer = new Kafka.ConsumerBuilder<Kafka.Ignore, byte[]>(new Kafka.ConsumerConfig
        {
            BootstrapServers = KafkaBootstrap, GroupId = "large-reader", FetchMaxBytes = 16 << 20, MaxPartitionFetchBytes = 16 << 20,
        }).Build();
        consumer.Assign(new Kafka.TopicPartitionOffset("large", 0, Kafka.Offset.Beginning));
        var read = consumer.Consume(TimeSpan.FromSeconds(30));
        Assert.NotNull(read);
        Assert.Equal(value, read.Message.Value);
    }
}
