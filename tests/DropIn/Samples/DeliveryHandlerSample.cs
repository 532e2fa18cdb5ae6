#nullable disable
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// Fire-and-forget Produce with delivery handlers and Flush(TimeSpan), under librdkafka's partitioners: the same keys land
/// on different partitions with murmur2 (the Java client's hash) and consistent_random (CRC32, librdkafka's default).
/// </summary>
public static class DeliveryHandlerSample
{
    private static readonly string[] Keys = { "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi" };

    // Worked out from the hash functions for a 3-partition topic: murmur2 is (murmur2(key) & 0x7fffffff) % 3,
    // consistent is crc32(key) % 3 (librdkafka's rd_kafka_msg_partitioner_murmur2 and _consistent).
    private static readonly int[] Murmur2Partitions = { 0, 0, 2, 1, 2, 1, 0, 1 };
    private static readonly int[] Crc32Partitions = { 2, 2, 2, 2, 0, 2, 0, 2 };

    /// <returns>How many records were delivered.</returns>
    public static async Task<int> RunAsync(string bootstrapServers, string topic)
    {
        await CreateTopicAsync(bootstrapServers, topic, partitions: 3);
        return ProduceAll(bootstrapServers, topic, Partitioner.Murmur2, Murmur2Partitions)
             + ProduceAll(bootstrapServers, topic, Partitioner.ConsistentRandom, Crc32Partitions);
    }

    private static int ProduceAll(string bootstrapServers, string topic, Partitioner partitioner, int[] expected)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            Acks = Acks.Leader, // enable.idempotence left unset, as most applications leave it
            Partitioner = partitioner,
            LingerMs = 20,
            BatchSize = 64 * 1024,
        };
        // System.Collections.Concurrent is not imported: its Partitioner class would clash with the Partitioner enum.
        var reports = new System.Collections.Concurrent.ConcurrentQueue<DeliveryReport<string, string>>();
        using var producer = new ProducerBuilder<string, string>(config).Build();
        for (var i = 0; i < Keys.Length; i++)
        {
            var message = new Message<string, string> { Key = Keys[i], Value = $"{partitioner}-{i}" };
            // Half to the topic, half to Partition.Any of it: both leave the choice to the partitioner.
            if (i % 2 == 0) producer.Produce(topic, message, reports.Enqueue);
            else producer.Produce(new TopicPartition(topic, Partition.Any), message, report => reports.Enqueue(report));
        }

        var waiting = producer.Flush(TimeSpan.FromSeconds(30));
        Expect(waiting == 0, $"Flush to leave nothing in flight, {waiting} left");
        WaitUntil(() => reports.Count == Keys.Length, TimeSpan.FromSeconds(5), $"{Keys.Length} delivery reports");

        foreach (var report in reports)
        {
            var i = Array.IndexOf(Keys, report.Message.Key);
            Expect(!report.Error.IsError && report.Error.Code == ErrorCode.NoError, $"delivery of {report.Message.Key} to succeed, got {report.Error.Reason}");
            Expect(report.Status == PersistenceStatus.Persisted, $"status Persisted, was {report.Status}");
            Expect(report.Message.Value == $"{partitioner}-{i}", "the report to carry the message produced");
            Expect(report.Partition.Value == expected[i], $"{partitioner} to put '{Keys[i]}' on partition {expected[i]}, it went to {report.Partition}");
            Expect(!report.Offset.IsSpecial && report.TopicPartitionOffset.Topic == topic, $"a real offset, got {report.TopicPartitionOffset}");
        }
        // Within a partition, offsets follow the order the records were produced in.
        foreach (var partition in reports.GroupBy(r => r.Partition.Value))
        {
            var inProduceOrder = partition.OrderBy(r => Array.IndexOf(Keys, r.Message.Key)).Select(r => r.Offset.Value).ToList();
            Expect(inProduceOrder.SequenceEqual(inProduceOrder.OrderBy(o => o)), $"offsets in produce order on partition {partition.Key}");
        }
        return reports.Count;
    }
}
