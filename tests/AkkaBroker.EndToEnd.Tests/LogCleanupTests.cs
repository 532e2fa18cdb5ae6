using System.Diagnostics;
using AkkaBroker.Client;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// Retention and compaction in a real broker process, driven by the command line and the client library: a
/// compacted topic that takes a million updates ends with at most one record per key outside its active segment, and
/// a consumer group that fell behind the log start resumes where the log now starts.
/// </summary>
public class LogCleanupTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-" + Guid.NewGuid().ToString("N"));

    private const string FastChecks = """
        akkabroker.broker.log.retention.check.interval.ms = 500
        akkabroker.broker.log.cleaner.backoff.ms = 500
        """;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A stray file handle; the OS cleans the temp dir.
        }
    }

    private static async Task<PartitionLogDescription> WaitForLogAsync(IAdminClient admin, TopicPartition tp, Func<PartitionLogDescription, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var log = await admin.DescribeLogAsync(tp);
            if (condition(log)) return log;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {what} within 120 s; the log is {log}");
            await Task.Delay(250);
        }
    }

    /// <summary>The consumer's first record, within 60 s.</summary>
    private static ConsumeResult<string, string> FirstRecord(IConsumer<string, string> consumer, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { } record) return record;
        }
    }

    [Fact]
    public async Task A_compacted_topic_given_a_million_updates_over_a_thousand_keys_keeps_at_most_one_record_per_key_outside_the_active_segment()
    {
        const int updates = 1_000_000;
        const int keys = 1_000;
        using var broker = await StartWithTopicAsync("latest", "--config", "cleanup.policy=compact", "--config", "segment.bytes=1048576");

        var watch = Stopwatch.StartNew();
        var failed = 0;
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 5 }).Build())
        {
            for (var i = 0; i < updates; i++)
                producer.Produce("latest", new Message<string, string> { Key = $"key-{i % keys}", Value = $"value-{i}" }, r =>
                {
                    if (r.Error.IsError) Interlocked.Increment(ref failed);
                });
            producer.Flush(TimeSpan.FromSeconds(120));
        }
        Assert.Equal(0, failed);
        output.WriteLine($"produced {updates} updates over {keys} keys in {watch.ElapsedMilliseconds} ms");

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        var tp = new TopicPartition("latest", 0);
        var log = await WaitForLogAsync(admin, tp, l => l.HighWatermark == updates && l.ActiveSegmentBaseOffset > 0 && l.CleanedUpTo == l.ActiveSegmentBaseOffset,
            "cleaning up to the active segment");
        output.WriteLine($"cleaned {watch.ElapsedMilliseconds} ms after the first write: {log}");
        var described = await BrokerProcess.RunToolAsync(null, "topics", "describe", "--bootstrap-server", broker.Bootstrap, "--topic", "latest");
        output.WriteLine(described.Stdout);
        Assert.Contains($"CleanedUpTo: {log.CleanedUpTo}", described.Stdout);
        Assert.Contains("LogEndOffset: 1000000", described.Stdout);

        // A new consumer from the beginning sees each key's last value, and one record per key below the active segment.
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = broker.Bootstrap, EnablePartitionEof = true }).Build();
        consumer.Assign([new TopicPartitionOffset(tp, Offset.Beginning)]);
        var last = new Dictionary<string, string>();
        int outsideActive = 0, consumed = 0;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, $"consumed {consumed} records before the deadline");
            var r = consumer.Consume(TimeSpan.FromSeconds(1));
            if (r == null) continue;
            if (r.IsPartitionEOF) break;
            consumed++;
            if (r.Offset.Value < log.ActiveSegmentBaseOffset) outsideActive++;
            last[r.Message!.Key] = r.Message.Value;
        }
        output.WriteLine($"consumed {consumed} records from the beginning, {outsideActive} of them outside the active segment (from {log.ActiveSegmentBaseOffset})");
        Assert.InRange(outsideActive, 1, keys);
        Assert.Equal(keys, last.Count);
        for (var k = 0; k < keys; k++) Assert.Equal($"value-{updates - keys + k}", last[$"key-{k}"]);
    }

    [Fact]
    public async Task Retention_by_time_removes_records_older_than_retention_ms_and_a_consumer_below_the_log_start_resets_to_it()
    {
        using var broker = await StartWithTopicAsync("aging", "--config", "segment.ms=60000", "--config", "retention.ms=3600000");
        var tp = new TopicPartition("aging", 0);
        var now = DateTimeOffset.UtcNow;
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build())
        {
            // Records stamped two hours ago, then current ones: segment.ms rolls between them; the old ones are past retention.ms.
            for (var i = 0; i < 300; i++)
                await producer.ProduceAsync("aging", new Message<string, string> { Key = $"k{i}", Value = $"old-{i}", Timestamp = new Timestamp(now.AddHours(-2)) });
            for (var i = 0; i < 300; i++)
                await producer.ProduceAsync("aging", new Message<string, string> { Key = $"k{i}", Value = $"new-{i}", Timestamp = new Timestamp(now) });
        }
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        var log = await WaitForLogAsync(admin, tp, l => l.LogStartOffset > 0, "retention by time");
        Assert.Equal(300, log.LogStartOffset);

        // A consumer that asks for offset 0 is below the log start: auto.offset.reset=earliest takes it to offset 300.
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = broker.Bootstrap, AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Assign([new TopicPartitionOffset(tp, new Offset(0))]);
        var first = FirstRecord(consumer, "no record consumed");
        output.WriteLine($"log start {log.LogStartOffset}; a consumer asking for offset 0 got offset {first.Offset.Value}: {first.Message!.Value}");
        Assert.Equal(300, first.Offset.Value);
        Assert.Equal("new-0", first.Message.Value);
    }

    [Fact]
    public async Task A_consumer_group_that_fell_behind_the_log_start_resumes_where_retention_left_the_log()
    {
        using var broker = await StartWithTopicAsync("rolling", "--config", "segment.bytes=65536", "--config", "retention.bytes=262144");
        var tp = new TopicPartition("rolling", 0);
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 5 }).Build();
        for (var i = 0; i < 500; i++) producer.Produce("rolling", new Message<string, string> { Key = $"k{i}", Value = $"early-{i}" });
        producer.Flush(TimeSpan.FromSeconds(30));

        var config = new ConsumerConfig { BootstrapServers = broker.Bootstrap, GroupId = "slow", EnableAutoCommit = false, AutoOffsetReset = AutoOffsetReset.Earliest };
        using (var slow = new ConsumerBuilder<string, string>(config).Build())
        {
            slow.Subscribe("rolling");
            var read = 0;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (read < 100)
            {
                Assert.True(DateTime.UtcNow < deadline, $"read {read} records");
                if (slow.Consume(TimeSpan.FromSeconds(1)) is { } r)
                {
                    read++;
                    if (read == 100) slow.Commit([new TopicPartitionOffset(tp, new Offset(r.Offset.Value + 1))]);
                }
            }
            slow.Close();
        }

        // The producer goes on long after: retention moves the log start far past the group's committed offset 100.
        var payload = new string('x', 200);
        for (var i = 0; i < 20_000; i++) producer.Produce("rolling", new Message<string, string> { Key = $"k{i}", Value = payload });
        producer.Flush(TimeSpan.FromSeconds(60));
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        var log = await WaitForLogAsync(admin, tp, l => l.LogStartOffset > 100 && l.SizeBytes < 262_144 + 65_536, "retention past the committed offset");
        output.WriteLine($"after retention: {log}");
        var described = await BrokerProcess.RunToolAsync(null, "topics", "describe", "--bootstrap-server", broker.Bootstrap, "--topic", "rolling");
        Assert.Contains($"LogStartOffset: {log.LogStartOffset}", described.Stdout);

        // The group's committed offset is below the log start: auto.offset.reset (earliest) takes it to the log start.
        using var resumed = new ConsumerBuilder<string, string>(config).Build();
        resumed.Subscribe("rolling");
        var first = FirstRecord(resumed, "the group resumed no record");
        output.WriteLine($"the group committed 100, the log starts at {log.LogStartOffset}, the group resumed at {first.Offset.Value}");
        Assert.True(first.Offset.Value >= log.LogStartOffset, $"resumed at {first.Offset.Value}, below the log start {log.LogStartOffset}");
        Assert.True(first.Offset.Value <= log.LogStartOffset + 1000, $"resumed at {first.Offset.Value}, far past the log start {log.LogStartOffset}");
    }

    /// <summary>A broker with fast retention checks and a one-partition topic created with these <c>--config</c> pairs.</summary>
    private async Task<BrokerProcess> StartWithTopicAsync(string topic, params string[] configArgs)
    {
        var broker = await BrokerProcess.StartAsync(_dataDir, extraConfig: FastChecks);
        var create = await BrokerProcess.RunToolAsync(null, ["topics", "create", "--bootstrap-server", broker.Bootstrap, "--topic", topic, "--partitions", "1", .. configArgs]);
        Assert.True(create.ExitCode == 0, create.Stderr);
        return broker;
    }
}
