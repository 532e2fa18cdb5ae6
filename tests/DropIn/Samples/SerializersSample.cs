#nullable disable
using System.Text;
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// Built-in serdes (Double, Single), a custom ISerializer/IDeserializer, and an IAsyncSerializer/IAsyncDeserializer pair
/// used the way Schema Registry serdes are: async on the producer, <c>.AsSyncOverAsync()</c> on the consumer. The
/// extension method lives in Confluent.Kafka.SyncOverAsync, so the project imports that namespace globally too.
/// </summary>
public static class SerializersSample
{
    public sealed record Point(int X, int Y);

    /// <summary>Keys: a custom synchronous serializer, 8 bytes big-endian.</summary>
    private sealed class PointKeySerde : ISerializer<Point>, IDeserializer<Point>
    {
        public byte[] Serialize(Point data, SerializationContext context) =>
            Serializers.Int32.Serialize(data.X, context).Concat(Serializers.Int32.Serialize(data.Y, context)).ToArray();

        public Point Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
            isNull ? null : new Point(Deserializers.Int32.Deserialize(data[..4], false, context), Deserializers.Int32.Deserialize(data[4..], false, context));
    }

    /// <summary>Values: text, with a header saying so, written through the context as a Schema Registry serializer does.</summary>
    private sealed class PointValueSerializer : IAsyncSerializer<Point>
    {
        public Task<byte[]> SerializeAsync(Point data, SerializationContext context)
        {
            context.Headers.Add("point-format", Encoding.UTF8.GetBytes("xy-text"));
            return Task.FromResult(Encoding.UTF8.GetBytes($"{data.X},{data.Y}|{context.Topic}"));
        }
    }

    private sealed class PointValueDeserializer : IAsyncDeserializer<Point>
    {
        public Task<Point> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context)
        {
            Expect(context.Component == MessageComponentType.Value, "the value deserializer to be told it reads a value");
            Expect(Encoding.UTF8.GetString(context.Headers.GetLastBytes("point-format")) == "xy-text", "the serializer's header in the context");
            var text = Encoding.UTF8.GetString(data.Span).Split('|');
            Expect(text[1] == context.Topic, "the topic in the context to be the one produced to");
            var xy = text[0].Split(',');
            return Task.FromResult(new Point(int.Parse(xy[0]), int.Parse(xy[1])));
        }
    }

    public static async Task RunAsync(string bootstrapServers, string topic)
    {
        Expect(Serializers.Double.Serialize(1.5, SerializationContext.Empty).SequenceEqual(new byte[] { 0x3F, 0xF8, 0, 0, 0, 0, 0, 0 }), "Double as 8 big-endian IEEE 754 bytes");
        Expect(Serializers.Single.Serialize(1.5f, SerializationContext.Empty).SequenceEqual(new byte[] { 0x3F, 0xC0, 0, 0 }), "Single as 4 big-endian IEEE 754 bytes");
        await CreateTopicAsync(bootstrapServers, topic, partitions: 2);
        var numbers = new TopicPartition(topic, 0);
        var points = new TopicPartition(topic, 1);
        var producerConfig = new ProducerConfig { BootstrapServers = bootstrapServers };
        using (var producer = new ProducerBuilder<double, float>(producerConfig).SetKeySerializer(Serializers.Double).SetValueSerializer(Serializers.Single).Build())
            await producer.ProduceAsync(numbers, new Message<double, float> { Key = Math.PI, Value = 2.25f });
        using (var producer = new ProducerBuilder<Point, Point>(producerConfig).SetKeySerializer(new PointKeySerde()).SetValueSerializer(new PointValueSerializer()).Build())
            await producer.ProduceAsync(points, new Message<Point, Point> { Key = new Point(-1, 70000), Value = new Point(3, 4) });

        var consumerConfig = new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "dropin-serdes-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false };
        using (var consumer = new ConsumerBuilder<double, float>(consumerConfig).SetKeyDeserializer(Deserializers.Double).SetValueDeserializer(Deserializers.Single).Build())
        {
            consumer.Assign(new TopicPartitionOffset(numbers, Offset.Beginning));
            var result = consumer.Consume(TimeSpan.FromSeconds(30));
            Expect(result != null && result.Message.Key == Math.PI && result.Message.Value == 2.25f, "the double key and float value back");
            consumer.Close();
        }
        using (var consumer = new ConsumerBuilder<Point, Point>(consumerConfig)
                   .SetKeyDeserializer(new PointKeySerde())
                   .SetValueDeserializer(new PointValueDeserializer().AsSyncOverAsync())
                   .Build())
        {
            consumer.Assign(new TopicPartitionOffset(points, Offset.Beginning));
            var result = consumer.Consume(TimeSpan.FromSeconds(30));
            Expect(result != null && result.Message.Key == new Point(-1, 70000) && result.Message.Value == new Point(3, 4), "the points back");
            Expect(result.Message.Headers.GetLastBytes("point-format") != null, "the header the serializer added to have been produced");
            consumer.Close();
        }
    }
}
