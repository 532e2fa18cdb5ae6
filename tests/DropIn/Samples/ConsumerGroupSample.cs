#nullable disable
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// A consumer group member: Subscribe, rebalance handlers, Consume(int), StoreOffset + Commit() with auto-commit and
/// auto offset store off, Committed(TimeSpan), Position, MemberId, Close; then a second member resumes at the commits.
/// </summary>
public static class ConsumerGroupSample
{
    public static async Task RunAsync(string bootstrapServers, string topic)
    {
        await CreateTopicAsync(bootstrapServers, topic, partitions: 2);
        var producerConfig = new ProducerConfig { BootstrapServers = bootstrapServers };
        using (var producer = new ProducerBuilder<string, string>(producerConfig).Build())
            for (var i = 0; i < 10; i++)
                await producer.ProduceAsync(new TopicPartition(topic, new Partition(i % 2)), new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });

        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "dropin-group-" + Guid.NewGuid().ToString("N"),
            ClientId = "dropin-group",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            FetchWaitMaxMs = 100,
            SessionTimeoutMs = 10000,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
        };
        var assigned = new List<TopicPartition>();
        var revoked = new List<TopicPartitionOffset>();
        var lost = 0;
        using (var consumer = new ConsumerBuilder<string, string>(config)
                   .SetPartitionsAssignedHandler((c, partitions) => assigned.AddRange(partitions))
                   .SetPartitionsRevokedHandler((c, partitions) => revoked.AddRange(partitions))
                   .SetPartitionsLostHandler((c, partitions) => { lost++; })
                   .Build())
        {
            consumer.Subscribe(topic);
            List<string> subscription = consumer.Subscription;
            Expect(subscription.SequenceEqual(new[] { topic }), "Subscription to name the topic");

            var consumed = 0;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (consumed < 10)
            {
                Expect(DateTime.UtcNow < deadline, $"10 records within 30 s, got {consumed}");
                var result = consumer.Consume(500);
                if (result == null) continue;
                consumer.StoreOffset(result);
                consumed++;
            }
            Expect(consumer.Consume(1000) == null, "Consume(int) to return null when nothing arrives in time");

            List<TopicPartition> assignment = consumer.Assignment;
            Expect(assignment.Count == 2 && assigned.Count == 2 && assignment.All(assigned.Contains), "both partitions assigned, through the handler");
            Expect(!string.IsNullOrEmpty(consumer.MemberId), "a member id once in the group");
            Expect(consumer.Name.StartsWith("dropin-group"), $"Name to start with client.id, was '{consumer.Name}'");

            var committed = consumer.Commit();
            Expect(committed.Count == 2 && committed.All(o => o.Offset == 5), $"Commit() to commit offset 5 on each partition, got {string.Join(", ", committed)}");
            var fetched = consumer.Committed(TimeSpan.FromSeconds(10));
            Expect(fetched.Count == 2 && fetched.All(o => o.Offset == 5), $"Committed(TimeSpan) to read 5 back, got {string.Join(", ", fetched)}");
            Expect(assignment.All(tp => consumer.Position(tp) == 5), "Position 5 on each partition");

            consumer.Close();
        }
        Expect(revoked.Count == 2 && lost == 0, $"Close to revoke both partitions (revoked {revoked.Count}, lost {lost})");

        using (var producer = new ProducerBuilder<string, string>(producerConfig).Build())
            await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<string, string> { Key = "k10", Value = "v10" });
        using var again = new ConsumerBuilder<string, string>(config).Build();
        again.Subscribe(new[] { topic });
        ConsumeResult<string, string> next = null;
        WaitUntil(() => (next = again.Consume(500)) != null, TimeSpan.FromSeconds(30), "the record produced after the commit");
        Expect(next.Partition.Value == 0 && next.Offset == 5 && next.Message.Value == "v10", $"the new member to resume at the committed offset, got {next.TopicPartitionOffset}");
        again.Unsubscribe();
        Expect(again.Subscription.Count == 0, "no subscription after Unsubscribe");
        again.Close();
    }
}
