using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// Consumer groups through the Kafka-protocol listener: Confluent.Kafka members join, share partitions, commit and
/// resume; a Confluent.Kafka member and an AkkaBroker.Client member share one group and see each other's commits.
/// </summary>
public sealed class KafkaGroupSpec : KafkaListenerBrokerSpec
{
    private async Task CreateAndFillAsync(string topic, int partitions, int records)
    {
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions }]);
        using var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig { BootstrapServers = KafkaBootstrap, LingerMs = 5 }).Build();
        for (var i = 0; i < records; i++)
            producer.Produce(new Kafka.TopicPartition(topic, i % partitions), new Kafka.Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }

    private Kafka.IConsumer<string, string> KafkaConsumer(string group, string strategy = "range") =>
        new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig
        {
            BootstrapServers = KafkaBootstrap, GroupId = group, EnableAutoCommit = false, AutoOffsetReset = Kafka.AutoOffsetReset.Earliest,
            SessionTimeoutMs = 10_000, PartitionAssignmentStrategy = strategy == "cooperative-sticky" ? Kafka.PartitionAssignmentStrategy.CooperativeSticky : Kafka.PartitionAssignmentStrategy.Range,
        }).Build();

    private static List<Kafka.ConsumeResult<string, string>> ConsumeUntil(Kafka.IConsumer<string, string> consumer, int count, TimeSpan within)
    {
        var read = new List<Kafka.ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + within;
        while (read.Count < count && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: not null } r) read.Add(r);
        return read;
    }

    [Theory]
    [InlineData("range")]
    [InlineData("cooperative-sticky")]
    public async Task A_kafka_group_member_reads_everything_commits_and_the_next_member_resumes_after_the_commit(string strategy)
    {
        await CreateAndFillAsync("orders", 3, 90);
        using (var first = KafkaConsumer("billing", strategy))
        {
            first.Subscribe("orders");
            var read = ConsumeUntil(first, 90, TimeSpan.FromSeconds(60));
            Assert.Equal(90, read.Count);
            Assert.Equal(90, read.Select(r => r.Message.Key).Distinct().Count());
            first.Commit();
            first.Close();
        }

        // The Akka client sees the Kafka member's commits.
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Broker.Bootstrap }).Build())
        {
            var committed = (await admin.DescribeConsumerGroupAsync("billing")).CommittedOffsets;
            Assert.Equal(90, committed.Sum(o => o.Offset.Value));
        }

        await CreateMoreAsync("orders", 3, 90, 30);
        using var second = KafkaConsumer("billing", strategy);
        second.Subscribe("orders");
        var rest = ConsumeUntil(second, 30, TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(90, 30).Select(i => $"k{i}").Order(), rest.Select(r => r.Message.Key).Order());
        second.Close();
    }

    private async Task CreateMoreAsync(string topic, int partitions, int from, int count)
    {
        using var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig { BootstrapServers = KafkaBootstrap }).Build();
        for (var i = from; i < from + count; i++)
            await producer.ProduceAsync(new Kafka.TopicPartition(topic, i % partitions), new Kafka.Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
    }

    [Fact]
    public async Task A_kafka_member_and_an_akka_member_share_one_group_and_every_record_is_read_once()
    {
        await CreateAndFillAsync("events", 4, 0);
        using var kafka = KafkaConsumer("mixed");
        using var akka = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = Broker.Bootstrap, GroupId = "mixed", EnableAutoCommit = false, AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        kafka.Subscribe("events");
        akka.Subscribe("events");
        // The group settles with both members before anything is written, so no record is read before a rebalance moves its partition.
        var settled = DateTime.UtcNow.AddSeconds(60);
        while (!(kafka.Assignment.Count == 2 && akka.Assignment.Count == 2) && DateTime.UtcNow < settled)
        {
            kafka.Consume(TimeSpan.FromMilliseconds(100));
            akka.Consume(TimeSpan.FromMilliseconds(100));
        }
        Assert.Equal((2, 2), (kafka.Assignment.Count, akka.Assignment.Count));
        await CreateMoreAsync("events", 4, 0, 200);

        var keys = new List<string>();
        var byKafka = 0;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        // Both poll until every record is read; each partition belongs to one of them at a time.
        while (keys.Count < 200 && DateTime.UtcNow < deadline)
        {
            if (kafka.Consume(TimeSpan.FromMilliseconds(100)) is { Message: not null } k)
            {
                keys.Add(k.Message.Key);
                byKafka++;
            }
            if (akka.Consume(TimeSpan.FromMilliseconds(100)) is { Message: not null } a) keys.Add(a.Message.Key!);
        }
        Assert.Equal(200, keys.Count);
        Assert.Equal(200, keys.Distinct().Count());
        Assert.Equal(2, kafka.Assignment.Count);
        Assert.Equal(2, akka.Assignment.Count);
        Assert.Empty(kafka.Assignment.Select(tp => tp.Partition.Value).Intersect(akka.Assignment.Select(tp => tp.Partition.Value)));
        Assert.InRange(byKafka, 1, 199);
    }
}
