#nullable disable
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// The failures a Confluent.Kafka application catches: ProduceException from a serializer, ConsumeException from a
/// deserializer (with the raw record) and from auto.offset.reset=error, KafkaException from Commit() with nothing to
/// commit; each checked through Error.Code (ErrorCode names), IsLocalError, IsBrokerError, IsFatal and Reason.
/// </summary>
public static class ErrorHandlingSample
{
    private sealed class NonNegative : ISerializer<int>
    {
        public byte[] Serialize(int data, SerializationContext context) =>
            data >= 0 ? Serializers.Int32.Serialize(data, context) : throw new ArgumentOutOfRangeException(nameof(data), data, "negative");
    }

    public static async Task RunAsync(string bootstrapServers, string topic)
    {
        await CreateTopicAsync(bootstrapServers, topic, partitions: 1);
        var producerConfig = new ProducerConfig { BootstrapServers = bootstrapServers };
        using (var producer = new ProducerBuilder<Null, int>(producerConfig).SetValueSerializer(new NonNegative()).Build())
        {
            try
            {
                await producer.ProduceAsync(topic, new Message<Null, int> { Value = -1 });
                throw new InvalidOperationException("Expected: ProduceException for a value the serializer refuses");
            }
            catch (ProduceException<Null, int> e)
            {
                Expect(e.Error.Code == ErrorCode.Local_ValueSerialization, $"Local_ValueSerialization, got {e.Error.Code}");
                Expect(e.Error.IsLocalError && !e.Error.IsBrokerError && !e.Error.IsFatal && e.Error.IsError, "a local, non-fatal error");
                Expect(e.InnerException is ArgumentOutOfRangeException, "the serializer's exception as InnerException");
                Expect(e.DeliveryResult.Message.Value == -1 && e.DeliveryResult.Status == PersistenceStatus.NotPersisted, "the refused message, not persisted");
            }
            await producer.ProduceAsync(topic, new Message<Null, int> { Value = 7 });
        }
        using (var raw = new ProducerBuilder<Null, byte[]>(producerConfig).Build())
        {
            await raw.ProduceAsync(topic, new Message<Null, byte[]> { Value = new byte[] { 1, 2, 3 } }); // not an Int32
            await raw.ProduceAsync(topic, new Message<Null, byte[]> { Value = Serializers.Int32.Serialize(8, SerializationContext.Empty) });
        }

        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers, GroupId = "dropin-errors-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false, AutoOffsetReset = AutoOffsetReset.Error,
        };
        using var consumer = new ConsumerBuilder<Ignore, int>(consumerConfig).Build();
        consumer.Assign(new TopicPartition(topic, 0)); // no committed offset and auto.offset.reset=error
        try
        {
            consumer.Consume(TimeSpan.FromSeconds(30));
            throw new InvalidOperationException("Expected: ConsumeException when there is no offset to start from");
        }
        catch (ConsumeException e)
        {
            Expect(e.Error.Code == ErrorCode.Local_AutoOffsetReset && e.Error.IsLocalError && !string.IsNullOrEmpty(e.Error.Reason), $"Local_AutoOffsetReset, got {e.Error.Code}");
        }
        try
        {
            consumer.Commit();
            throw new InvalidOperationException("Expected: KafkaException from Commit() with nothing consumed");
        }
        catch (KafkaException e) when (e is not ConsumeException)
        {
            Expect(e.Error.Code == ErrorCode.Local_NoOffset, $"Local_NoOffset, got {e.Error.Code}: {e.Error.Reason}");
        }

        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        Expect(consumer.Consume(TimeSpan.FromSeconds(30)).Message.Value == 7, "the first record");
        try
        {
            consumer.Consume(TimeSpan.FromSeconds(30));
            throw new InvalidOperationException("Expected: ConsumeException for 3 bytes read as an Int32");
        }
        catch (ConsumeException e)
        {
            Expect(e.Error.Code == ErrorCode.Local_ValueDeserialization && !e.Error.IsFatal, $"Local_ValueDeserialization, got {e.Error.Code}");
            Expect(e.ConsumerRecord != null && e.ConsumerRecord.Offset == 1 && e.ConsumerRecord.Message.Value.SequenceEqual(new byte[] { 1, 2, 3 }),
                "the undeserializable record, raw, in ConsumerRecord");
        }
        Expect(consumer.Consume(TimeSpan.FromSeconds(30)).Message.Value == 8, "consuming to go on after the bad record");
        consumer.Close();
    }
}
