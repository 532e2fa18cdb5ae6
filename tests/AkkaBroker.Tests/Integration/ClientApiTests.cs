using System.Diagnostics;
using System.Text;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;
using Xunit;

namespace AkkaBroker.Tests.Integration;

/// <summary>The client library against a real in-process broker: what a user of the API sees.</summary>
public class ClientApiTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private ProducerConfig ProducerConfig(params (string Key, string Value)[] extra)
    {
        var c = new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 1 };
        foreach (var (k, v) in extra) c.Set(k, v);
        return c;
    }

    private ConsumerConfig ConsumerConfig(params (string Key, string Value)[] extra)
    {
        var c = new ConsumerConfig { BootstrapServers = broker.Bootstrap, FetchWaitMaxMs = 100 };
        foreach (var (k, v) in extra) c.Set(k, v);
        return c;
    }

    private IAdminClient Admin() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();

    private async Task<string> NewTopic(int partitions = 1, Dictionary<string, string>? configs = null)
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..12];
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions, Configs = configs ?? new() }]);
        return name;
    }

    private static List<ConsumeResult<TKey, TValue>> ConsumeN<TKey, TValue>(IConsumer<TKey, TValue> consumer, int n)
    {
        var results = new List<ConsumeResult<TKey, TValue>>();
        var deadline = Stopwatch.StartNew();
        while (results.Count < n)
        {
            Assert.True(deadline.Elapsed < Timeout, $"expected {n} records within {Timeout}, got {results.Count}");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is { IsPartitionEOF: false }) results.Add(r);
        }
        return results;
    }

    [Fact]
    public async Task Records_round_trip_with_keys_values_headers_and_timestamps()
    {
        var topic = await NewTopic();
        using var producer = new ProducerBuilder<string, string>(ProducerConfig()).Build();
        var headers = new Headers { { "trace", Encoding.UTF8.GetBytes("abc") } };
        var ts = new Timestamp(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var first = await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "v", Headers = headers, Timestamp = ts });
        Assert.Equal(0, first.Offset.Value);
        Assert.Equal(PersistenceStatus.Persisted, first.Status);
        var second = await producer.ProduceAsync(topic, new Message<string, string> { Key = null!, Value = "second" });
        Assert.Equal(1, second.Offset.Value);

        using var consumer = new ConsumerBuilder<string, string>(ConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var results = ConsumeN(consumer, 2);
        Assert.Equal("k", results[0].Message!.Key);
        Assert.Equal("v", results[0].Message!.Value);
        Assert.Equal(1_700_000_000_000, results[0].Message!.Timestamp.UnixTimestampMs);
        Assert.Equal(TimestampType.CreateTime, results[0].Message!.Timestamp.Type);
        Assert.Equal("abc", Encoding.UTF8.GetString(results[0].Message!.Headers!.GetLastBytes("trace")!));
        Assert.Null(results[1].Message!.Key);
        Assert.Equal(2, consumer.Position(new TopicPartition(topic, 0)).Value);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("snappy")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task Compressed_batches_are_stored_and_served(string codec)
    {
        var topic = await NewTopic();
        using var producer = new ProducerBuilder<Null, string>(ProducerConfig(("compression.type", codec), ("linger.ms", "50"))).Build();
        var sends = Enumerable.Range(0, 100).Select(i => producer.ProduceAsync(topic, new Message<Null, string> { Value = $"value-{i}" })).ToArray();
        await Task.WhenAll(sends);
        using var consumer = new ConsumerBuilder<Ignore, string>(ConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"value-{i}"), ConsumeN(consumer, 100).Select(r => r.Message!.Value));
        Assert.True(producer.Metrics["records-per-request-avg"] > 1, "records should have been batched");
    }

    [Fact]
    public async Task Keyed_records_land_on_the_murmur2_partition_in_order()
    {
        var topic = await NewTopic(partitions: 6);
        using var producer = new ProducerBuilder<string, int>(ProducerConfig()).Build();
        var results = await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            producer.ProduceAsync(topic, new Message<string, int> { Key = $"key-{i % 10}", Value = i })));
        foreach (var r in results)
            Assert.Equal(Murmur2Partitioner.ForKey(Encoding.UTF8.GetBytes(r.Message.Key), 6), r.Partition.Value);
        foreach (var group in results.GroupBy(r => r.Partition))
        {
            var ordered = group.OrderBy(r => r.Offset.Value).Select(r => r.Message.Value).ToList();
            Assert.Equal(ordered.OrderBy(v => v), ordered);
        }
    }

    [Fact]
    public async Task A_record_over_max_message_bytes_fails_with_message_too_large()
    {
        var topic = await NewTopic(configs: new() { ["max.message.bytes"] = "1000" });
        using var producer = new ProducerBuilder<Null, byte[]>(ProducerConfig()).Build();
        var e = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(() =>
            producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = new byte[5000] }));
        Assert.Equal(AkkaBroker.Client.ErrorCode.MsgSizeTooLarge, e.Error.Code);
        Assert.Contains("max.message.bytes", e.Error.Reason);
        // The producer keeps working for records that fit.
        Assert.Equal(0, (await producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = new byte[10] })).Offset.Value);
    }

    [Fact]
    public async Task An_invalid_topic_name_is_refused_by_admin_and_producer()
    {
        using var admin = Admin();
        var e = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([new TopicSpecification { Name = "no spaces allowed" }]));
        Assert.Equal(AkkaBroker.Client.ErrorCode.TopicException, Assert.Single(e.Results).Error.Code);
        using var producer = new ProducerBuilder<Null, string>(ProducerConfig()).Build();
        var p = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("bad/name", new Message<Null, string> { Value = "x" }));
        Assert.Equal(AkkaBroker.Client.ErrorCode.TopicException, p.Error.Code);
    }

    [Fact]
    public async Task An_invalid_config_value_is_refused_naming_the_key()
    {
        using var admin = Admin();
        var e = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "cfg-" + Guid.NewGuid().ToString("N")[..8], Configs = new() { ["retention.ms"] = "soon" },
        }]));
        Assert.Equal(AkkaBroker.Client.ErrorCode.InvalidConfig, Assert.Single(e.Results).Error.Code);
        Assert.Contains("retention.ms", e.Results[0].Error.Reason);
        var topic = await NewTopic();
        var alter = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() =>
            admin.IncrementalAlterConfigsAsync(topic, new Dictionary<string, string> { ["message.timestamp.type"] = "Sometime" }));
        Assert.Equal(AkkaBroker.Client.ErrorCode.InvalidConfig, Assert.Single(alter.Results).Error.Code);
    }

    [Fact]
    public async Task A_partition_out_of_range_is_unknown_topic_or_partition()
    {
        var topic = await NewTopic(partitions: 2);
        using var producer = new ProducerBuilder<Null, string>(ProducerConfig()).Build();
        var e = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync(new TopicPartition(topic, 7), new Message<Null, string> { Value = "x" }));
        Assert.Equal(AkkaBroker.Client.ErrorCode.UnknownTopicOrPart, e.Error.Code);
        Assert.Contains("0 to 1", e.Error.Reason);

        using var consumer = new ConsumerBuilder<Ignore, string>(ConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 7, 0));
        var c = Assert.Throws<ConsumeException>(() => consumer.Consume(Timeout));
        Assert.Equal(AkkaBroker.Client.ErrorCode.UnknownTopicOrPart, c.Error.Code);
    }

    [Fact]
    public async Task An_offset_out_of_range_follows_auto_offset_reset()
    {
        var topic = await NewTopic();
        using (var producer = new ProducerBuilder<Null, string>(ProducerConfig()).Build())
            for (var i = 0; i < 3; i++) await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"v{i}" });

        using var strict = new ConsumerBuilder<Ignore, string>(ConsumerConfig(("auto.offset.reset", "none"))).Build();
        strict.Assign(new TopicPartitionOffset(topic, 0, 100));
        var e = Assert.Throws<ConsumeException>(() => strict.Consume(Timeout));
        Assert.Equal(AkkaBroker.Client.ErrorCode.OffsetOutOfRange, e.Error.Code);
        Assert.Contains("auto.offset.reset", e.Error.Reason);

        using var lenient = new ConsumerBuilder<Ignore, string>(ConsumerConfig(("auto.offset.reset", "earliest"))).Build();
        lenient.Assign(new TopicPartitionOffset(topic, 0, 100));
        Assert.Equal("v0", ConsumeN(lenient, 1)[0].Message!.Value);

        using var unset = new ConsumerBuilder<Ignore, string>(ConsumerConfig(("auto.offset.reset", "none"))).Build();
        unset.Assign([new TopicPartition(topic, 0)]);
        Assert.Equal(AkkaBroker.Client.ErrorCode.Local_AutoOffsetReset, Assert.Throws<ConsumeException>(() => unset.Consume(Timeout)).Error.Code);
    }

    [Fact]
    public async Task Seek_watermarks_and_offsets_for_times()
    {
        var topic = await NewTopic();
        using (var producer = new ProducerBuilder<Null, string>(ProducerConfig()).Build())
            for (var i = 0; i < 10; i++)
                await producer.ProduceAsync(topic, new Message<Null, string>
                {
                    Value = $"v{i}", Timestamp = new Timestamp(1_000_000 + i * 1000, TimestampType.CreateTime),
                });
        using var consumer = new ConsumerBuilder<Ignore, string>(ConsumerConfig()).Build();
        var tp = new TopicPartition(topic, 0);
        var watermarks = consumer.QueryWatermarkOffsets(tp, Timeout);
        Assert.Equal(0, watermarks.Low.Value);
        Assert.Equal(10, watermarks.High.Value);
        var byTime = consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(1_004_500, TimestampType.CreateTime))], Timeout);
        Assert.Equal(5, byTime.Single().Offset.Value);
        var tooLate = consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(9_000_000, TimestampType.CreateTime))], Timeout);
        Assert.Equal(Offset.End, tooLate.Single().Offset);

        consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
        Assert.Equal("v0", ConsumeN(consumer, 1)[0].Message!.Value);
        consumer.Seek(new TopicPartitionOffset(tp, 7));
        Assert.Equal(["v7", "v8", "v9"], ConsumeN(consumer, 3).Select(r => r.Message!.Value));
        Assert.True(consumer.Metrics["fetch-rate"] > 0);
        Assert.True(consumer.Metrics["fetch-size-max"] > 0);
    }

    [Fact]
    public async Task Fire_and_forget_produce_reports_every_delivery_and_flush_waits_for_them()
    {
        var topic = await NewTopic(partitions: 3);
        var reports = new System.Collections.Concurrent.ConcurrentBag<DeliveryReport<Null, string>>();
        using var producer = new ProducerBuilder<Null, string>(ProducerConfig(("acks", "1"), ("enable.idempotence", "false"))).Build();
        for (var i = 0; i < 500; i++) producer.Produce(topic, new Message<Null, string> { Value = $"{i}" }, reports.Add);
        Assert.Equal(0, producer.Flush(Timeout));
        Assert.Equal(500, reports.Count);
        Assert.All(reports, r => Assert.False(r.Error.IsError));
        Assert.Equal(500, reports.Select(r => (r.Partition, r.Offset.Value)).Distinct().Count());
        foreach (var name in new[] { "batch-size-avg", "batch-size-max", "record-send-rate", "records-per-request-avg", "request-latency-avg" })
            Assert.True(producer.Metrics[name] > 0, $"{name} should be positive");
    }

    [Fact]
    public async Task A_lone_record_after_an_idle_spell_leaves_after_linger_ms_not_after_the_senders_idle_sleep()
    {
        // Each record is produced a while after the previous one was delivered (twenty of the sender's 5 ms ticks), so
        // the sender thread has found nothing pending and sleeps until a record wakes it; a lost wake-up would hold each
        // record for the idle sleep (1 s). The pause shapes the input; nothing waits on it.
        var topic = await NewTopic();
        using var producer = new ProducerBuilder<Null, string>(ProducerConfig(("linger.ms", "10"), ("acks", "1"))).Build();
        await producer.ProduceAsync(topic, new Message<Null, string> { Value = "warm-up" });
        var took = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(100);
            var started = Stopwatch.GetTimestamp();
            var result = await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"{i}" }).WaitAsync(Timeout);
            Assert.Equal(PersistenceStatus.Persisted, result.Status);
            took.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        // The median, so that one slow round trip on a busy machine does not decide it.
        took.Sort();
        Assert.True(took[2] < 600, $"records waited {string.Join(", ", took.Select(t => $"{t:0} ms"))}: the sender slept through their arrival");
    }

    [Fact]
    public async Task Client_metrics_are_instruments_of_the_AkkaBroker_Client_meter_with_Kafka_names_per_client_id()
    {
        var topic = await NewTopic();
        var clientId = "metered-" + Guid.NewGuid().ToString("N")[..8];
        using var producer = new ProducerBuilder<Null, string>(ProducerConfig(("client.id", clientId))).Build();
        for (var i = 0; i < 20; i++) await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"{i}" });

        var seen = new Dictionary<string, double>();
        using (var listener = new System.Diagnostics.Metrics.MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "AkkaBroker.Client") l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            {
                foreach (var t in tags)
                    if (t.Key == "client.id" && (string?)t.Value == clientId) seen[instrument.Name] = value;
            });
            listener.Start();
            listener.RecordObservableInstruments();
        }
        Assert.Equal(producer.Metrics["batch-size-max"], seen["kafka.producer.batch-size-max"]);
        Assert.Equal(20, seen["kafka.producer.record-send-total"]);
        Assert.DoesNotContain(seen.Keys, k => k.StartsWith("kafka.consumer.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_delivery_handler_that_throws_is_reported_to_the_log_handler_and_the_other_records_complete()
    {
        var topic = await NewTopic();
        var log = new System.Collections.Concurrent.ConcurrentQueue<LogMessage>();
        var reports = 0;
        using var producer = new ProducerBuilder<Null, string>(ProducerConfig(("client.id", "logging-producer")))
            .SetLogHandler((p, m) =>
            {
                Assert.Equal("logging-producer", p.Name);
                log.Enqueue(m);
            })
            .Build();
        for (var i = 0; i < 3; i++)
            producer.Produce(topic, new Message<Null, string> { Value = $"{i}" }, r =>
            {
                Interlocked.Increment(ref reports);
                if (r.Message.Value == "1") throw new InvalidOperationException("handler bug");
            });
        Assert.Equal(0, producer.Flush(Timeout));
        Assert.Equal(3, reports);
        var deadline = Stopwatch.StartNew();
        while (!log.Any(m => m.Message.Contains("delivery handler threw")) && deadline.Elapsed < Timeout) await Task.Delay(20);
        var message = Assert.Single(log, m => m.Message.Contains("delivery handler threw"));
        Assert.Equal(SyslogLevel.Error, message.Level);
        Assert.Equal("logging-producer", message.Name);
        Assert.Contains("delivery handler threw", message.Message);
        Assert.Contains("InvalidOperationException: handler bug", message.Message);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, message.LevelAs());
    }

    [Fact]
    public async Task Admin_lists_describes_alters_grows_and_deletes_topics()
    {
        using var admin = Admin();
        var topic = await NewTopic(partitions: 2);
        var metadata = await admin.GetMetadataAsync();
        Assert.Contains(metadata.Topics, t => t.Topic == topic);
        await admin.CreatePartitionsAsync(topic, 4);
        Assert.Equal(4, (await admin.GetMetadataAsync([topic])).Topics[0].Partitions.Count);
        await admin.IncrementalAlterConfigsAsync(topic, new Dictionary<string, string> { ["retention.ms"] = "60000" });
        var configs = await admin.DescribeConfigsAsync(topic);
        Assert.Contains(configs, c => c is { Name: "retention.ms", Value: "60000", IsDefault: false });
        await admin.DeleteTopicsAsync([topic]);
        Assert.DoesNotContain((await admin.GetMetadataAsync()).Topics, t => t.Topic == topic);
        var again = await Assert.ThrowsAsync<DeleteTopicsException>(() => admin.DeleteTopicsAsync([topic]));
        Assert.Equal(AkkaBroker.Client.ErrorCode.UnknownTopicOrPart, Assert.Single(again.Results).Error.Code);
    }

    [Fact]
    public async Task Auto_created_topics_take_num_partitions()
    {
        var topic = "auto-" + Guid.NewGuid().ToString("N")[..8];
        using var producer = new ProducerBuilder<Null, string>(ProducerConfig()).Build();
        var r = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "x" });
        Assert.Equal(0, r.Offset.Value);
        using var admin = Admin();
        Assert.Single((await admin.GetMetadataAsync([topic])).Topics[0].Partitions);
    }

    [Fact]
    public void Unknown_and_invalid_client_config_keys_are_refused_by_name()
    {
        var unknown = Assert.Throws<KafkaException>(() => new ProducerBuilder<Null, string>(ProducerConfig(("lingr.ms", "5"))).Build());
        Assert.Contains("lingr.ms", unknown.Error.Reason);
        var invalid = Assert.Throws<KafkaException>(() => new ProducerBuilder<Null, string>(ProducerConfig(("acks", "2"))).Build());
        Assert.Contains("acks", invalid.Error.Reason);
        var conflict = Assert.Throws<KafkaException>(() => new ProducerBuilder<Null, string>(ProducerConfig(("acks", "1"), ("enable.idempotence", "true"))).Build());
        Assert.Contains("enable.idempotence", conflict.Error.Reason);
        var twoNames = Assert.Throws<KafkaException>(() => new ProducerBuilder<Null, string>(ProducerConfig(("message.timeout.ms", "3000"), ("delivery.timeout.ms", "4000"))).Build());
        Assert.Contains("message.timeout.ms = '3000' and delivery.timeout.ms = '4000'", twoNames.Error.Reason);
    }

    [Fact]
    public async Task Consistent_random_puts_each_key_where_librdkafka_does_crc32_of_the_key()
    {
        var topic = await NewTopic(partitions: 3);
        using var producer = new ProducerBuilder<string, string>(ProducerConfig(("partitioner", "consistent_random"))).Build();
        // CRC-32 (zlib's) of the key modulo the partition count, e.g. foobar 0x9ef61f95 -> 2 (murmur2 gives 0, 1, 0, 2 for these keys).
        foreach (var (key, expected) in new[] { ("foobar", 2), ("order-1", 1), ("order-2", 0), ("erin", 0) })
            Assert.Equal(expected, (await producer.ProduceAsync(topic, new Message<string, string> { Key = key, Value = "v" })).Partition.Value);
    }

    [Fact]
    public void Idempotence_left_unset_yields_to_acks_1_as_in_Kafkas_producer_and_librdkafka_spellings_are_read()
    {
        var settings = AkkaBroker.Client.Internal.ProducerSettings.Read(ProducerConfig(("acks", "1"), ("message.timeout.ms", "3000"), ("partitioner", "consistent_random")));
        Assert.False(settings.EnableIdempotence);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.DeliveryTimeout);
        Assert.Equal(Partitioner.ConsistentRandom, settings.Partitioner);
        Assert.Equal(TimeSpan.FromMilliseconds(int.MaxValue), AkkaBroker.Client.Internal.ProducerSettings.Read(ProducerConfig(("message.timeout.ms", "0"))).DeliveryTimeout);
        var unknownPartitioner = Assert.Throws<KafkaException>(() => new ProducerBuilder<Null, string>(ProducerConfig(("partitioner", "fnv1a"))).Build());
        Assert.Contains("partitioner", unknownPartitioner.Error.Reason);
    }
}
