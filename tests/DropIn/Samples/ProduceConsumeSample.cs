#nullable disable
using System.Text;
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// The basic round trip: ProduceAsync with producer tuning, headers and an explicit timestamp, then read the record
/// back from a manually assigned partition with Consume(TimeSpan).
/// </summary>
public static class ProduceConsumeSample
{
    /// <returns>The offset the record was written at.</returns>
    public static async Task<long> RunAsync(string bootstrapServers, string topic)
    {
        await CreateTopicAsync(bootstrapServers, topic, partitions: 1);

        var producerConfig = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "dropin-roundtrip",
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
            BatchSize = 32 * 1024,
            CompressionType = CompressionType.Lz4,
            MessageTimeoutMs = 30000,
        };
        var created = new Timestamp(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000));
        var headers = new Headers { { "trace-id", Encoding.UTF8.GetBytes("abc-123") } };
        headers.Add("attempt", new byte[] { 1 });
        headers.Add("attempt", new byte[] { 2 });

        DeliveryResult<string, string> delivered;
        using (var producer = new ProducerBuilder<string, string>(producerConfig)
                   .SetKeySerializer(Serializers.Utf8)
                   .SetValueSerializer(Serializers.Utf8)
                   .Build())
        {
            Expect(producer.Name.StartsWith("dropin-roundtrip"), $"the producer's Name to start with its client.id, was '{producer.Name}'");
            delivered = await producer.ProduceAsync(topic, new Message<string, string> { Key = "k1", Value = "hello", Headers = headers, Timestamp = created });
        }
        Expect(delivered.Status == PersistenceStatus.Persisted, $"status Persisted, was {delivered.Status}");
        Expect(delivered.Topic == topic && delivered.Partition.Value == 0 && delivered.Offset == 0, $"delivery at {topic} [0] @0, was {delivered.TopicPartitionOffset}");
        Expect(delivered.Key == "k1" && delivered.Value == "hello", "the delivery result to carry the message");
        Expect(delivered.Timestamp.Type == TimestampType.CreateTime && delivered.Timestamp.UnixTimestampMs == created.UnixTimestampMs,
            $"the delivered timestamp to be the CreateTime set, was {delivered.Timestamp.Type} {delivered.Timestamp.UnixTimestampMs}");

        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "dropin-roundtrip-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        using var consumer = new ConsumerBuilder<string, string>(consumerConfig)
            .SetKeyDeserializer(Deserializers.Utf8)
            .SetValueDeserializer(Deserializers.Utf8)
            .Build();
        consumer.Assign(new TopicPartitionOffset(topic, new Partition(0), Offset.Beginning));
        var result = consumer.Consume(TimeSpan.FromSeconds(30));
        Expect(result != null, "a record within 30 s");
        Expect(!result.IsPartitionEOF && result.Offset == delivered.Offset && result.TopicPartition == new TopicPartition(topic, 0), $"the record at {delivered.TopicPartitionOffset}, got {result.TopicPartitionOffset}");
        Expect(result.Message.Key == "k1" && result.Message.Value == "hello", "key k1 and value hello");

        var got = result.Message.Headers;
        Expect(got.Count == 3 && string.Join(",", got.Select(h => h.Key)) == "trace-id,attempt,attempt", "three headers, in the order produced");
        IHeader first = got[0];
        Expect(Encoding.UTF8.GetString(first.GetValueBytes()) == "abc-123", "the first header's value");
        Expect(got.GetLastBytes("attempt").Single() == 2, "GetLastBytes to return the last of repeated keys");
        Expect(!got.TryGetLastBytes("missing", out _), "TryGetLastBytes to be false for an absent key");
        Expect(result.Message.Timestamp.Type == TimestampType.CreateTime && result.Message.Timestamp.UnixTimestampMs == created.UnixTimestampMs,
            "the consumed timestamp to be the CreateTime produced");
        Expect(result.Message.Timestamp.UtcDateTime == created.UtcDateTime, "UtcDateTime to round-trip");

        consumer.Close();
        return result.Offset.Value;
    }
}
