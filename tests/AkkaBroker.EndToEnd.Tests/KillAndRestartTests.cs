using System.Collections.Concurrent;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>The durability promise, with real processes: every acknowledged record survives kill -9.</summary>
public class KillAndRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_acknowledged_record_survives_kill_minus_9_in_order_within_each_partition()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-" + Guid.NewGuid().ToString("N"));
        const int total = 10_000;
        const string topic = "durable";
        var acked = new ConcurrentDictionary<(int Partition, long Offset), string>();
        var failed = 0;

        using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
                await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 4 }]);

            var config = new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 2, DeliveryTimeoutMs = 8000, RequestTimeoutMs = 3000 };
            using var producer = new ProducerBuilder<string, string>(config).Build();
            var halfAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            for (var i = 0; i < total; i++)
            {
                var key = $"key-{i % 50}";
                producer.Produce(topic, new Message<string, string> { Key = key, Value = $"{key}:{i}" }, r =>
                {
                    if (r.Error.IsError) Interlocked.Increment(ref failed);
                    else if (acked.TryAdd((r.Partition, r.Offset.Value), r.Message.Value) && acked.Count >= total / 2) halfAcked.TrySetResult();
                });
            }
            // Kill the broker while records are still in flight: what was acknowledged must survive, the rest may fail.
            await halfAcked.Task.WaitAsync(TimeSpan.FromSeconds(60));
            broker.KillHard();
            producer.Flush(TimeSpan.FromSeconds(30));
        }
        var acknowledged = acked.Count;
        Assert.True(acknowledged >= total / 2, $"at least half should have been acknowledged before the kill, got {acknowledged}");

        using var restarted = await BrokerProcess.StartAsync(dataDir);
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = restarted.Bootstrap }).Build();
        consumer.Assign(Enumerable.Range(0, 4).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var highWatermarks = Enumerable.Range(0, 4).Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(20)).High.Value).ToArray();
        var expected = highWatermarks.Sum();
        var consumed = new Dictionary<(int, long), string>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (consumed.Count < expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"consumed {consumed.Count} of {expected} records before the deadline");
            var r = consumer.Consume(TimeSpan.FromSeconds(5));
            if (r == null) continue;
            Assert.True(consumed.TryAdd((r.Partition, r.Offset.Value), r.Message!.Value), $"offset {r.Partition}@{r.Offset} delivered twice");
        }

        var lost = acked.Where(a => !consumed.TryGetValue(a.Key, out var v) || v != a.Value).ToList();
        var duplicates = consumed.Values.GroupBy(v => v).Count(g => g.Count() > 1);
        output.WriteLine($"acknowledged={acknowledged} failed={failed} consumed={consumed.Count} duplicates={duplicates} lost={lost.Count}");
        Assert.Empty(lost);
        Assert.Equal(0, duplicates);

        // Within each partition, the records of each key appear in the order they were produced.
        foreach (var partition in consumed.GroupBy(c => c.Key.Item1))
        {
            var byKey = partition.OrderBy(c => c.Key.Item2).Select(c => c.Value.Split(':')).GroupBy(v => v[0]);
            foreach (var key in byKey)
            {
                var sequence = key.Select(v => int.Parse(v[1])).ToList();
                Assert.Equal(sequence.OrderBy(x => x), sequence);
            }
        }
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Sigterm_shuts_the_broker_down_cleanly_and_a_restart_finds_the_records()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-" + Guid.NewGuid().ToString("N"));
        using (var broker = await BrokerProcess.StartAsync(dataDir))
        {
            using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build())
                await producer.ProduceAsync("graceful", new Message<Null, string> { Value = "kept" });
            Assert.True(await broker.TerminateAsync(TimeSpan.FromSeconds(30)), "the broker should exit after SIGTERM");
            Assert.Contains("stopped", broker.Output);
        }
        using var restarted = await BrokerProcess.StartAsync(dataDir);
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = restarted.Bootstrap }).Build();
        consumer.Assign(new TopicPartitionOffset("graceful", 0, Offset.Beginning));
        Assert.Equal("kept", consumer.Consume(TimeSpan.FromSeconds(20))?.Message!.Value);
        Directory.Delete(dataDir, recursive: true);
    }
}
