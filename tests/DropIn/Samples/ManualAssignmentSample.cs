#nullable disable
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// Reading without a group subscription: watermarks, Assign, Consume(CancellationToken), Seek, Position, OffsetsForTimes,
/// IncrementalUnassign/IncrementalAssign, Commit(offsets) and Committed(partitions, timeout), Unassign.
/// </summary>
public static class ManualAssignmentSample
{
    public static async Task RunAsync(string bootstrapServers, string topic)
    {
        await CreateTopicAsync(bootstrapServers, topic, partitions: 1);
        var tp = new TopicPartition(topic, new Partition(0));
        var now = DateTime.UtcNow.AddMinutes(-10);
        var start = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc); // whole seconds
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrapServers }).Build())
            for (var i = 0; i < 10; i++)
                await producer.ProduceAsync(tp, new Message<Null, string> { Value = $"m{i}", Timestamp = new Timestamp(start.AddSeconds(i)) });

        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "dropin-manual-" + Guid.NewGuid().ToString("N"), // needed for Commit/Committed, never joined
            EnableAutoCommit = false,
            FetchWaitMaxMs = 50,
        };
        using var consumer = new ConsumerBuilder<Null, string>(config).Build();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        WatermarkOffsets watermarks = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
        Expect(watermarks.Low == 0 && watermarks.High == 10, $"watermarks 0..10, got {watermarks.Low}..{watermarks.High}");

        consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
        var first = consumer.Consume(cts.Token);
        Expect(first.Offset == 0 && first.Message.Value == "m0", $"m0 at offset 0 first, got {first.Message.Value} at {first.Offset}");
        Expect(first.Message.Timestamp.Type == TimestampType.CreateTime && first.Message.Timestamp.UtcDateTime == start, "the producer's timestamp");
        Expect(consumer.GetWatermarkOffsets(tp).High == 10, "the cached high watermark after a fetch");

        consumer.Seek(new TopicPartitionOffset(tp, 5));
        var fifth = consumer.Consume(cts.Token);
        Expect(fifth.Offset == 5 && fifth.Message.Value == "m5", $"m5 after Seek(5), got offset {fifth.Offset}");
        Expect(consumer.Position(tp) == 6, $"Position 6 after consuming offset 5, got {consumer.Position(tp)}");

        var byTime = consumer.OffsetsForTimes(new[] { new TopicPartitionTimestamp(tp, new Timestamp(start.AddSeconds(7))) }, TimeSpan.FromSeconds(10));
        Expect(byTime.Count == 1 && byTime[0].Offset == 7, $"OffsetsForTimes to find offset 7, got {string.Join(", ", byTime)}");

        consumer.IncrementalUnassign(new[] { tp });
        Expect(consumer.Assignment.Count == 0, "no assignment after IncrementalUnassign");
        consumer.IncrementalAssign(new[] { new TopicPartitionOffset(tp, byTime[0].Offset) });
        Expect(consumer.Assignment.Single() == tp, "the partition back after IncrementalAssign");
        var seventh = consumer.Consume(cts.Token);
        Expect(seventh.Offset == 7 && seventh.Message.Value == "m7", $"m7 after IncrementalAssign at 7, got offset {seventh.Offset}");

        consumer.Commit(new[] { new TopicPartitionOffset(seventh.TopicPartition, seventh.Offset + 1) });
        var committed = consumer.Committed(new[] { tp }, TimeSpan.FromSeconds(10));
        Expect(committed.Single().Offset == 8, $"committed offset 8, got {committed.Single().Offset}");

        consumer.Unassign();
        Expect(consumer.Assignment.Count == 0, "no assignment after Unassign");
        consumer.Close();
    }
}
