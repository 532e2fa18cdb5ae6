using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Connect;
using AkkaBroker.Connect.Mirror;
using AkkaBroker.Mirror;
using AkkaBroker.Tests.Connect.Jdbc;
using AkkaBroker.Tests.Connect.Runtime;
using AkkaBroker.Tests.Integration;
using Xunit;

namespace AkkaBroker.Tests.Connect.Mirror;

/// <summary>
/// A <see cref="MirrorSourceTask"/> on its own against one broker (source and target alike; no worker): where it starts
/// from a stored offset, the offset syncs it writes for what the target acknowledged, and what it does when retention
/// deleted records it had not read.
/// </summary>
public sealed class MirrorSourceTaskSpec
{
    private static Dictionary<string, string> TaskConfig(BrokerFixture broker, string partitions, bool syncs) => new()
    {
        ["source.cluster.bootstrap.servers"] = broker.Bootstrap, ["target.cluster.bootstrap.servers"] = broker.Bootstrap,
        ["task.assigned.partitions"] = partitions, ["emit.offset-syncs.enabled"] = syncs ? "true" : "false",
    };

    private static MirrorSourceTask StartTask(Dictionary<string, string> config, DictionaryOffsetStorageReader offsets)
    {
        var task = new MirrorSourceTask();
        task.Initialize(new FakeSourceTaskContext(config, offsets));
        task.Start(config);
        return task;
    }

    private static async Task<List<SourceRecord>> PollAsync(MirrorSourceTask task, int count)
    {
        var records = new List<SourceRecord>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (records.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} records within 30 s, polled {records.Count}");
            records.AddRange(await task.PollAsync(CancellationToken.None));
        }
        return records;
    }

    /// <summary>Produces each record on its own (one batch, so one segment with tiny segments) and waits for it.</summary>
    private static async Task ProduceEachAsync(BrokerFixture broker, string topic, int from, int count)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 0 }).Build();
        for (var i = from; i < from + count; i++) await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
    }

    /// <summary>Collects the measurements of a mirror counter for one source topic.</summary>
    private static MeterListener Listen(string instrumentName, string topic, ConcurrentBag<long> values)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MirrorMetrics.MeterName && instrument.Name == instrumentName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "topic" && Equals(tag.Value, topic)) values.Add(value);
        });
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task A_task_goes_on_after_the_stored_offset_and_writes_offset_syncs_and_metrics_for_what_the_target_acknowledged()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "t", NumPartitions = 1 }]);
        await TargetTopics.EnsureCompactedAsync(admin, "mm2-offset-syncs.target.internal");
        await ProduceEachAsync(broker, "t", 0, 5);
        var offsets = new DictionaryOffsetStorageReader();
        offsets.Store(MirrorSourceTask.SourcePartition("source", new TopicPartition("t", 0)), MirrorSourceTask.SourceOffset(2));
        var mirrored = new ConcurrentBag<long>();
        using var listener = Listen("akkabroker.mirror.records", "t", mirrored);

        var task = StartTask(TaskConfig(broker, "t-0", syncs: true), offsets);
        var records = await PollAsync(task, 2);

        Assert.Equal([3L, 4L], records.Select(r => (long)r.SourceOffset!["offset"]!));
        Assert.All(records, r => Assert.Equal(("source.t", 0), (r.Topic, r.KafkaPartition!.Value)));
        Assert.Equal("k3", System.Text.Encoding.UTF8.GetString((byte[])records[0].Key!));
        // The target acknowledged them at 10 and 11.
        for (var i = 0; i < records.Count; i++) task.CommitRecord(records[i], new TopicPartitionOffset("source.t", 0, 10 + i));
        task.Stop();

        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = broker.Bootstrap }).Build();
        var translator = new GroupOffsetTranslator("source", consumer, "mm2-offset-syncs.target.internal");
        translator.ReadSyncs(TimeSpan.FromSeconds(10));
        Assert.Equal([new OffsetTranslation.Run(3, 5, 7)], translator.Translation.RunsOf(new TopicPartition("t", 0)));
        Assert.Equal(2, mirrored.Sum());
    }

    [Fact]
    public async Task Records_deleted_by_retention_before_they_were_read_are_counted_and_the_task_goes_on_from_the_log_start()
    {
        await using var broker = await BrokerFixture.StartAsync("akkabroker.broker.log.retention.check.interval.ms = 200");
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        // One segment per batch, so retention can delete some of the records and keep the rest.
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "retained", NumPartitions = 1, Configs = new() { ["segment.bytes"] = "14" } }]);
        await ProduceEachAsync(broker, "retained", 0, 30);
        await admin.IncrementalAlterConfigsAsync("retained", new Dictionary<string, string> { ["retention.ms"] = "1" });
        await Wait.UntilAsync(async () => (await admin.ListOffsetAsync(new TopicPartition("retained", 0), OffsetSpec.Earliest())).Value > 10,
            "retention to delete records past offset 10");
        await admin.IncrementalAlterConfigsAsync("retained", new Dictionary<string, string> { ["retention.ms"] = "604800000" });
        var logStart = (await admin.ListOffsetAsync(new TopicPartition("retained", 0), OffsetSpec.Earliest())).Value;
        await ProduceEachAsync(broker, "retained", 30, 5);

        var skipped = new ConcurrentBag<long>();
        using var listener = Listen("akkabroker.mirror.records_skipped", "retained", skipped);

        // The task had mirrored up to offset 4; offsets 5 to logStart - 1 are gone.
        var offsets = new DictionaryOffsetStorageReader();
        offsets.Store(MirrorSourceTask.SourcePartition("source", new TopicPartition("retained", 0)), MirrorSourceTask.SourceOffset(4));
        var task = StartTask(TaskConfig(broker, "retained-0", syncs: false), offsets);
        try
        {
            var records = await PollAsync(task, (int)(35 - logStart));

            Assert.Equal(Enumerable.Range((int)logStart, (int)(35 - logStart)).Select(i => (long)i), records.Select(r => (long)r.SourceOffset!["offset"]!));
            Assert.Equal([logStart - 5], skipped);
        }
        finally
        {
            task.Stop();
        }
    }
}
