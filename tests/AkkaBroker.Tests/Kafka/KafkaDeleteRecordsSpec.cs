using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// Kafka's DeleteRecords from a real client's admin API (what <c>kafka-delete-records.sh</c> sends): the log start moves,
/// readers start there, and what the broker refuses it refuses with Kafka's error for it.
/// </summary>
public sealed class KafkaDeleteRecordsSpec() : KafkaListenerBrokerSpec("akkabroker.broker.log.retention.check.interval.ms = 200")
{
    private static readonly Kafka.Admin.DeleteRecordsOptions Timeout = new() { RequestTimeout = TimeSpan.FromSeconds(30) };

    private async Task ProduceAsync(string topic, int count)
    {
        using var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig { BootstrapServers = KafkaBootstrap, LingerMs = 0 }).Build();
        for (var i = 0; i < count; i++) await producer.ProduceAsync(new Kafka.TopicPartition(topic, 0), new Kafka.Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
    }

    [Fact]
    public async Task Deleting_records_before_an_offset_moves_the_log_start_there_and_consumers_start_from_it()
    {
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = KafkaBootstrap }).Build();
        // Small segments, so deleting also removes whole segments below the new start.
        await admin.CreateTopicsAsync([new Kafka.Admin.TopicSpecification { Name = "trimmed", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["segment.bytes"] = "500" } }]);
        await ProduceAsync("trimmed", 100);
        var partition = new Kafka.TopicPartition("trimmed", 0);

        var deleted = await admin.DeleteRecordsAsync([new Kafka.TopicPartitionOffset(partition, 57)]);
        Assert.Equal(57, Assert.Single(deleted).Offset.Value);

        using var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig
        {
            BootstrapServers = KafkaBootstrap, GroupId = "trimmed-reader", AutoOffsetReset = Kafka.AutoOffsetReset.Earliest, EnableAutoCommit = false,
        }).Build();
        Assert.Equal(57, consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).Low.Value);
        consumer.Assign(new Kafka.TopicPartitionOffset(partition, Kafka.Offset.Beginning));
        var first = consumer.Consume(TimeSpan.FromSeconds(20));
        Assert.NotNull(first);
        Assert.Equal(57, first.Offset.Value);
        Assert.Equal("v57", first.Message.Value);

        // Again with -1: up to the high watermark; and a start already past the offset asked is kept.
        Assert.Equal(100, Assert.Single(await admin.DeleteRecordsAsync([new Kafka.TopicPartitionOffset(partition, Kafka.Offset.End)])).Offset.Value);
        Assert.Equal(100, Assert.Single(await admin.DeleteRecordsAsync([new Kafka.TopicPartitionOffset(partition, 10)])).Offset.Value);
        Assert.Equal(100, consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).Low.Value);
    }

    [Fact]
    public async Task Deleting_past_the_high_watermark_or_from_a_compacted_topic_is_refused_with_kafkas_errors()
    {
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = KafkaBootstrap }).Build();
        await admin.CreateTopicsAsync([
            new Kafka.Admin.TopicSpecification { Name = "short", NumPartitions = 1, ReplicationFactor = 1 },
            new Kafka.Admin.TopicSpecification { Name = "compacted", NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["cleanup.policy"] = "compact" } },
        ]);
        await ProduceAsync("short", 5);
        await ProduceAsync("compacted", 5);

        var past = await Assert.ThrowsAsync<Kafka.Admin.DeleteRecordsException>(() => admin.DeleteRecordsAsync([new Kafka.TopicPartitionOffset("short", 0, 6)], Timeout));
        Assert.Equal(Kafka.ErrorCode.OffsetOutOfRange, Assert.Single(past.Results).Error.Code);
        var compacted = await Assert.ThrowsAsync<Kafka.Admin.DeleteRecordsException>(() => admin.DeleteRecordsAsync([new Kafka.TopicPartitionOffset("compacted", 0, 2)], Timeout));
        Assert.Equal(Kafka.ErrorCode.PolicyViolation, Assert.Single(compacted.Results).Error.Code);

        using var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig { BootstrapServers = KafkaBootstrap, GroupId = "short-reader" }).Build();
        Assert.Equal(0, consumer.QueryWatermarkOffsets(new Kafka.TopicPartition("short", 0), TimeSpan.FromSeconds(10)).Low.Value);
        Assert.Equal(0, consumer.QueryWatermarkOffsets(new Kafka.TopicPartition("compacted", 0), TimeSpan.FromSeconds(10)).Low.Value);
    }
}
