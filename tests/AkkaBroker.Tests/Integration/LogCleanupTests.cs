using System.Diagnostics.Metrics;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Integration;

/// <summary>
/// Retention and compaction in a real broker: the log start moves, consumers below it follow auto.offset.reset, the
/// journal's space goes back to the file system, compacted topics keep each key's latest value with their offsets,
/// and all of it survives a restart.
/// </summary>
public class LogCleanupTests(ITestOutputHelper output)
{
    private const string FastChecks = """
        akkabroker.broker.log.retention.check.interval.ms = 200
        akkabroker.broker.log.cleaner.backoff.ms = 200
        """;

    private static async Task<PartitionLogDescription> WaitForLogAsync(IAdminClient admin, string topic, Func<PartitionLogDescription, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var log = await admin.DescribeLogAsync(new TopicPartition(topic, 0));
            if (condition(log)) return log;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} did not happen within 60 s; the log is {log}");
            await Task.Delay(100);
        }
    }

    private static List<ConsumeResult<string, string?>> ReadAll(string bootstrap, string topic, long highWatermark, Offset from, string reset = "earliest")
    {
        using var consumer = new ConsumerBuilder<string, string?>(new ConsumerConfig { BootstrapServers = bootstrap }.With("auto.offset.reset", reset)).Build();
        consumer.Assign([new TopicPartitionOffset(topic, 0, from)]);
        var records = new List<ConsumeResult<string, string?>>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (records.Count == 0 || records[^1].Offset.Value < highWatermark - 1)
        {
            Assert.True(DateTime.UtcNow < deadline, $"read {records.Count} records up to {(records.Count == 0 ? -1 : records[^1].Offset.Value)} of {highWatermark}");
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { Message: not null } r) records.Add(r);
        }
        return records;
    }

    private static bool IsCompacted(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
            if (tag is { Key: "topic", Value: "compacted" }) return true;
        return false;
    }

    private static long DatabaseBytes(string dataDir) => new FileInfo(Path.Combine(dataDir, "akkabroker.db")).Length;

    [Fact]
    public async Task Retention_by_size_moves_the_log_start_consumers_below_it_reset_and_the_database_file_shrinks()
    {
        await using var broker = await BrokerFixture.StartAsync(FastChecks);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "sized", NumPartitions = 1,
            Configs = new() { ["segment.bytes"] = "1048576", ["retention.bytes"] = "2097152" },
        }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 5 }).Build())
        {
            var value = new string('x', 1000);
            for (var i = 0; i < 30_000; i++) producer.Produce("sized", new Message<string, string> { Key = $"k{i}", Value = value });
            producer.Flush(TimeSpan.FromSeconds(60));
        }
        var peak = DatabaseBytes(broker.DataDir);
        // Retention runs while the producer writes; once it is done, the log is at least retention.bytes and less than
        // retention.bytes plus one segment (Kafka deletes whole segments only while what remains is still enough).
        var log = await WaitForLogAsync(admin, "sized", l =>
        {
            peak = Math.Max(peak, DatabaseBytes(broker.DataDir));
            return l.LogStartOffset > 0 && l.SizeBytes < 2_097_152 + 1_048_576;
        }, "retention by size");
        output.WriteLine($"after retention: {log}");
        Assert.Equal(30_000, log.HighWatermark);
        Assert.True(log.SizeBytes >= 2_097_152, $"retention left {log.SizeBytes} bytes, less than retention.bytes");

        // A consumer behind the log start follows auto.offset.reset; with 'none' it hears OFFSET_OUT_OF_RANGE.
        var records = ReadAll(broker.Bootstrap, "sized", log.HighWatermark, new Offset(0));
        Assert.Equal(log.LogStartOffset, records[0].Offset.Value);
        using (var strict = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = broker.Bootstrap }.With("auto.offset.reset", "none")).Build())
        {
            strict.Assign([new TopicPartitionOffset("sized", 0, new Offset(0))]);
            var e = Assert.Throws<ConsumeException>(() =>
            {
                var until = DateTime.UtcNow.AddSeconds(30);
                while (DateTime.UtcNow < until) strict.Consume(TimeSpan.FromSeconds(1));
            });
            Assert.Equal(AkkaBroker.Client.ErrorCode.OffsetOutOfRange, e.Error.Code);
        }

        // The deleted journal rows' pages go back to the file system (incremental vacuum after the WAL checkpoint): the
        // file ends near what the log holds, not the ~30 MB written. (How high the peak gets depends on how far retention
        // keeps up with the producer on the day, so the bound is the log's size.)
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var bound = 2 * log.SizeBytes + 1_048_576;
        while (DatabaseBytes(broker.DataDir) > bound)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the database file is {DatabaseBytes(broker.DataDir)} bytes (peak {peak}), more than {bound} for a log of {log.SizeBytes} bytes");
            await Task.Delay(200);
        }
        output.WriteLine($"database file: peak {peak} bytes, after retention {DatabaseBytes(broker.DataDir)} bytes");
    }

    [Fact]
    public async Task Retention_by_time_removes_segments_whose_records_are_older_than_retention_ms()
    {
        await using var broker = await BrokerFixture.StartAsync(FastChecks);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "timed", NumPartitions = 1, Configs = new() { ["segment.ms"] = "60000", ["retention.ms"] = "3600000" },
        }]);
        var now = DateTimeOffset.UtcNow;
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build())
        {
            // Two hours old, then new: segment.ms rolls the log between them, and the old segment is past retention.ms.
            for (var i = 0; i < 100; i++)
                await producer.ProduceAsync("timed", new Message<string, string> { Key = "k", Value = $"old-{i}", Timestamp = new Timestamp(now.AddHours(-2)) });
            for (var i = 0; i < 100; i++)
                await producer.ProduceAsync("timed", new Message<string, string> { Key = "k", Value = $"new-{i}", Timestamp = new Timestamp(now) });
        }
        var log = await WaitForLogAsync(admin, "timed", l => l.LogStartOffset > 0, "retention by time");
        Assert.Equal(100, log.LogStartOffset);
        var records = ReadAll(broker.Bootstrap, "timed", log.HighWatermark, Offset.Beginning);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"new-{i}"), records.Select(r => r.Message!.Value));
    }

    [Fact]
    public async Task A_compacted_topic_keeps_the_latest_value_per_key_at_its_offset_drops_old_tombstones_and_survives_a_restart()
    {
        const int keys = 100;
        const int updates = 20_000;
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-test-" + Guid.NewGuid().ToString("N"));
        var latest = new Dictionary<string, (long Offset, string? Value)>();
        List<(long, string, string?)> before;
        PartitionLogDescription cleaned;
        long cleanerRuns = 0, bytesRemoved = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BrokerMetrics.MeterName && instrument.Name.StartsWith("akkabroker.log", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument);
        };
        var gauges = new Dictionary<string, double>();
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "akkabroker.log_cleaner.runs") Interlocked.Add(ref cleanerRuns, value);
            else if (instrument.Name == "akkabroker.log_cleaner.bytes_removed") Interlocked.Add(ref bytesRemoved, value);
            else if (IsCompacted(tags)) lock (gauges) gauges[instrument.Name] = value;
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (IsCompacted(tags)) lock (gauges) gauges[instrument.Name] = value;
        });
        listener.Start();
        var broker = await BrokerFixture.StartAsync(FastChecks, dataDir);
        try
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = "compacted", NumPartitions = 1,
                Configs = new() { ["cleanup.policy"] = "compact", ["segment.bytes"] = "65536", ["delete.retention.ms"] = "0" },
            }]);
            using var producer = new ProducerBuilder<string, string?>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 5 }).Build();
            void Produce(string key, string? value) =>
                producer.Produce("compacted", new Message<string, string?> { Key = key, Value = value }, r =>
                {
                    Assert.False(r.Error.IsError, r.Error.Reason);
                    // Delivery reports may run on several threads: keep the highest offset per key.
                    lock (latest)
                        if (!latest.TryGetValue(key, out var seen) || seen.Offset < r.Offset.Value)
                            latest[key] = (r.Offset.Value, value);
                });
            for (var i = 0; i < updates; i++) Produce($"key-{i % keys}", $"value-{i}");
            // Tombstones for ten keys, then enough updates of the others that the tombstones leave the active segment.
            for (var k = 0; k < 10; k++) Produce($"key-{k}", null);
            for (var i = 0; i < 5_000; i++) Produce($"key-{10 + i % (keys - 10)}", $"later-{i}");
            producer.Flush(TimeSpan.FromSeconds(60));

            long tombstoneEnd;
            lock (latest) tombstoneEnd = latest.Where(kv => kv.Value.Value == null).Max(kv => kv.Value.Offset) + 1;
            cleaned = await WaitForLogAsync(admin, "compacted", l => l.CleanedUpTo >= tombstoneEnd, "cleaning past the tombstones");
            output.WriteLine($"after cleaning: {cleaned}");
            var records = ReadAll(broker.Bootstrap, "compacted", cleaned.HighWatermark, Offset.Beginning);
            before = records.Select(r => (r.Offset.Value, r.Message!.Key, r.Message!.Value)).ToList();

            var belowCleaned = records.Where(r => r.Offset.Value < cleaned.CleanedUpTo).ToList();
            Assert.True(belowCleaned.Count <= keys, $"{belowCleaned.Count} records below the cleaned offset {cleaned.CleanedUpTo}, more than the {keys} keys");
            Assert.Equal(belowCleaned.Count, belowCleaned.Select(r => r.Message!.Key).Distinct().Count());
            Assert.DoesNotContain(belowCleaned, r => r.Message!.Value == null); // delete.retention.ms = 0
            // Every key's last record is there, at the offset it was written at, with its value; deleted keys are gone.
            var lastSeen = records.GroupBy(r => r.Message!.Key).ToDictionary(g => g.Key, g => g.Last());
            foreach (var (key, (offset, value)) in latest)
            {
                if (value == null && offset < cleaned.CleanedUpTo)
                {
                    Assert.False(lastSeen.ContainsKey(key), $"{key} was deleted by a tombstone at {offset}");
                    continue;
                }
                Assert.Equal(offset, lastSeen[key].Offset.Value);
                Assert.Equal(value, lastSeen[key].Message!.Value);
            }
            Assert.True(cleaned.SizeBytes < 40 * 65536, $"the log holds {cleaned.SizeBytes} bytes after cleaning");

            // The cleaner's work shows in the broker's metrics, and the log's size per partition.
            listener.RecordObservableInstruments();
            Assert.True(Interlocked.Read(ref cleanerRuns) > 0, "no cleaner run was counted");
            Assert.True(Interlocked.Read(ref bytesRemoved) > 0, "no removed bytes were counted");
            lock (gauges)
                Assert.True(gauges.TryGetValue("akkabroker.log_size", out var size) && size > 0, $"log size gauge: {string.Join(", ", gauges)}");
        }
        finally
        {
            // Stopped, not disposed: disposing deletes the data directory that the restart below reads.
            await broker.StopAsync();
        }

        // A restart reads the same records at the same offsets; its cleaner may already have compacted the dirty part
        // further, which only removes records that a later one with the same key supersedes.
        await using (var restarted = await BrokerFixture.StartAsync(FastChecks, dataDir))
        {
            var again = ReadAll(restarted.Bootstrap, "compacted", cleaned.HighWatermark, Offset.Beginning)
                .Select(r => (r.Offset.Value, r.Message!.Key, r.Message!.Value)).ToList();
            Assert.Subset(before.ToHashSet(), again.ToHashSet());
            Assert.Equal(before.GroupBy(r => r.Item2).ToDictionary(g => g.Key ?? "", g => g.Last()), again.GroupBy(r => r.Item2).ToDictionary(g => g.Key ?? "", g => g.Last()));
        }
    }

    [Fact]
    public async Task Deleting_records_moves_the_log_start_mid_segment_removes_the_segments_below_and_survives_a_restart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-delete-records-" + Guid.NewGuid().ToString("N"));
        var broker = await BrokerFixture.StartAsync(FastChecks, dataDir);
        PartitionLogDescription trimmed;
        try
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "trimmed", NumPartitions = 1, Configs = new() { ["segment.bytes"] = "1000" } }]);
            using (var producer = new ProducerBuilder<string, string?>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 0 }).Build())
                for (var i = 0; i < 60; i++) await producer.ProduceAsync("trimmed", new Message<string, string?> { Key = $"k{i}", Value = new string('v', 100) });
            var segments = (await admin.DescribeLogAsync(new TopicPartition("trimmed", 0))).SegmentCount;

            var low = Assert.Single(await admin.DeleteRecordsAsync([new TopicPartitionOffset("trimmed", 0, 45)]));
            Assert.Equal(45, low.Offset.Value);
            Assert.Equal(45, (await admin.ListOffsetAsync(new TopicPartition("trimmed", 0), OffsetSpec.Earliest())).Value);
            trimmed = await WaitForLogAsync(admin, "trimmed", l => l.SegmentCount < segments, "the segments below offset 45 to go");
            output.WriteLine($"{segments} segments before, after: {trimmed}");
            Assert.Equal(45, trimmed.LogStartOffset);
            Assert.Equal(45, ReadAll(broker.Bootstrap, "trimmed", 60, Offset.Beginning)[0].Offset.Value);

            var past = await Assert.ThrowsAsync<DeleteRecordsException>(() => admin.DeleteRecordsAsync([new TopicPartitionOffset("trimmed", 0, 61)]));
            Assert.Equal(AkkaBroker.Client.ErrorCode.OffsetOutOfRange, Assert.Single(past.Results).Error.Code);
        }
        finally
        {
            await broker.StopAsync();
        }
        await using var restarted = await BrokerFixture.StartAsync(FastChecks, dataDir);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = restarted.Bootstrap }).Build())
            Assert.Equal(45, (await admin.DescribeLogAsync(new TopicPartition("trimmed", 0))).LogStartOffset);
        Assert.Equal(45, ReadAll(restarted.Bootstrap, "trimmed", 60, Offset.Beginning)[0].Offset.Value);
    }

    [Fact]
    public async Task A_compacted_topic_refuses_a_record_without_a_key_and_topics_alter_can_switch_a_topic_to_compaction()
    {
        await using var broker = await BrokerFixture.StartAsync(FastChecks);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "switched", NumPartitions = 1, Configs = new() { ["segment.bytes"] = "4096" } }]);
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 1 }).Build();
        for (var i = 0; i < 2000; i++) producer.Produce("switched", new Message<string, string> { Key = $"k{i % 10}", Value = $"v{i}" });
        producer.Flush(TimeSpan.FromSeconds(30));
        Assert.Equal(0, (await admin.DescribeLogAsync(new TopicPartition("switched", 0))).CleanedUpTo);

        await admin.IncrementalAlterConfigsAsync("switched", new Dictionary<string, string> { ["cleanup.policy"] = "compact" }, []);
        var log = await WaitForLogAsync(admin, "switched", l => l.CleanedUpTo > 0, "cleaning after the policy change");
        Assert.True(log.SizeBytes < 2000 * 20, $"size {log.SizeBytes}");

        using var keyless = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build();
        var e = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => keyless.ProduceAsync("switched", new Message<Null, string> { Value = "no key" }));
        Assert.Equal(AkkaBroker.Client.ErrorCode.InvalidRecord, e.Error.Code);
    }
}
