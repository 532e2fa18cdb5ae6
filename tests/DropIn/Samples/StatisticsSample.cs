#nullable disable
using System.Collections.Concurrent;
using System.Text.Json;
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// statistics.interval.ms with SetStatisticsHandler on a producer and a consumer: the handler gets librdkafka's JSON
/// (name, client_id, type, txmsgs / rxmsgs, topics), which dashboards and exporters parse.
/// </summary>
public static class StatisticsSample
{
    private const string ClientId = "dropin-stats";

    public static async Task RunAsync(string bootstrapServers, string topic)
    {
        await CreateTopicAsync(bootstrapServers, topic, partitions: 1);

        var producerStats = new ConcurrentQueue<string>();
        var producerConfig = new ProducerConfig { BootstrapServers = bootstrapServers, ClientId = ClientId, StatisticsIntervalMs = 200 };
        using (var producer = new ProducerBuilder<Null, string>(producerConfig)
                   .SetStatisticsHandler((_, json) => producerStats.Enqueue(json))
                   .Build())
        {
            for (var i = 0; i < 5; i++)
                producer.Produce(topic, new Message<Null, string> { Value = $"s{i}" });
            Expect(producer.Flush(TimeSpan.FromSeconds(30)) == 0, "everything delivered");
            WaitUntil(() => producerStats.Any(json => Reports(json, "producer", producer.Name, "txmsgs", 5, topic)),
                TimeSpan.FromSeconds(10), "producer statistics counting 5 messages sent");
        }

        var consumerStats = new ConcurrentQueue<string>();
        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "dropin-stats-" + Guid.NewGuid().ToString("N"),
            ClientId = ClientId,
            StatisticsIntervalMs = 200,
            EnableAutoCommit = false,
        };
        using var consumer = new ConsumerBuilder<Ignore, string>(consumerConfig)
            .SetStatisticsHandler((_, json) => consumerStats.Enqueue(json))
            .Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var received = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        // The consumer's handlers run inside Consume, so keep consuming until the numbers show up.
        while (received < 5 || !consumerStats.Any(json => Reports(json, "consumer", consumer.Name, "rxmsgs", 5, topic)))
        {
            Expect(DateTime.UtcNow < deadline, $"consumer statistics counting 5 messages received ({received} consumed, {consumerStats.Count} reports)");
            if (consumer.Consume(100) != null) received++;
        }
        consumer.Close();
    }

    private static bool Reports(string json, string type, string name, string counter, long atLeast, string topic)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return root.GetProperty("type").GetString() == type
               && root.GetProperty("name").GetString() == name
               && root.GetProperty("client_id").GetString() == ClientId
               && root.GetProperty("ts").GetInt64() > 0
               && root.GetProperty(counter).GetInt64() >= atLeast
               && root.GetProperty("topics").TryGetProperty(topic, out _);
    }
}
