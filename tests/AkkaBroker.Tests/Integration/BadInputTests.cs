using System.Diagnostics;
using AkkaBroker.Client;
using CompressionType = AkkaBroker.Protocol.Records.CompressionType;
using AkkaBroker.Client.Admin;
using Akka.Actor;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using AkkaBroker.Protocol.Serialization;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AkkaBroker.Tests.Integration;

/// <summary>Conditions that need a broker of their own: auto-create off, no broker at all, a damaged journal.</summary>
public class BadInputTests
{
    [Fact]
    public async Task An_unknown_topic_with_auto_create_off_fails_within_max_block_ms_naming_the_topic()
    {
        await using var broker = await BrokerFixture.StartAsync("akkabroker.broker.auto.create.topics.enable = false");
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }.With("max.block.ms", "2000")).Build();
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("missing", new Message<Null, string> { Value = "x" }));
        Assert.Equal(AkkaBroker.Client.ErrorCode.UnknownTopicOrPart, e.Error.Code);
        Assert.Equal(PersistenceStatus.NotPersisted, e.DeliveryResult.Status);
        Assert.Contains("'missing'", e.Error.Reason);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Clients_cannot_write_the_internal_offsets_topic_and_listings_leave_it_out()
    {
        await using var broker = await BrokerFixture.StartAsync();
        // The journal holds every record: a data directory the broker creates is its owner's alone.
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(broker.DataDir));
        var gateway = broker.Node.Gateway;
        // The first group request makes the brokers create the offsets topic.
        var fetched = await ClusterWait(() => gateway.Ask<OffsetFetchResponse>(new OffsetFetchRequest("g", null), TimeSpan.FromSeconds(10)), r => r.Error == AkkaBroker.Protocol.ErrorCode.None);
        Assert.Empty(fetched.Offsets);

        var batch = new RecordBatchBuilder(CompressionType.None);
        batch.Append(1000, "forged"u8.ToArray(), "x"u8.ToArray());
        var refused = await gateway.Ask<ProduceResponse>(new ProduceRequest(new AkkaBroker.Protocol.Messages.TopicPartition("__consumer_offsets", 0), 1, 5000, batch.Build()), TimeSpan.FromSeconds(10));
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.InvalidTopicException, refused.Error);
        Assert.Contains("internal topic", refused.ErrorMessage);

        var all = await gateway.Ask<MetadataResponse>(new MetadataRequest(null, false), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(all.Topics, t => t.Name == "__consumer_offsets");
        var named = await gateway.Ask<MetadataResponse>(new MetadataRequest(["__consumer_offsets"], false), TimeSpan.FromSeconds(10));
        Assert.Equal(50, Assert.Single(named.Topics).Partitions.Count);
        var delete = await gateway.Ask<TopicOperationResponse>(new DeleteTopicRequest("__consumer_offsets"), TimeSpan.FromSeconds(10));
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.InvalidRequest, delete.Error);

        // Names are checked whole: a trailing newline is not a legal topic character, and group ids have a length limit.
        var newline = await gateway.Ask<TopicOperationResponse>(new CreateTopicRequest("orders\n", 1, 1, new Dictionary<string, string>(), false), TimeSpan.FromSeconds(10));
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.InvalidTopicException, newline.Error);
        // A topic the replicated cluster metadata could not hold is refused at once, naming the sizes.
        var huge = await gateway.Ask<TopicOperationResponse>(new CreateTopicRequest("huge", 100_000_000, 1, new Dictionary<string, string>(), false), TimeSpan.FromSeconds(10));
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.PolicyViolation, huge.Error);
        Assert.Contains("bytes of cluster metadata", huge.ErrorMessage);
        var longGroup = await gateway.Ask<OffsetFetchResponse>(new OffsetFetchRequest(new string('g', 256), null), TimeSpan.FromSeconds(10));
        Assert.Equal(AkkaBroker.Protocol.ErrorCode.InvalidGroupId, longGroup.Error);
        Assert.Contains("the limit is 255", longGroup.ErrorMessage);
    }

    /// <summary>Asks until the answer satisfies <paramref name="done"/> (the coordinator may still be loading), for at most 30 s.</summary>
    private static async Task<T> ClusterWait<T>(Func<Task<T>> ask, Func<T, bool> done)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var r = await ask();
            if (done(r) || deadline.Elapsed > TimeSpan.FromSeconds(30)) return r;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task An_unreachable_bootstrap_server_is_reported_to_the_error_handler_and_the_record_fails_after_the_delivery_timeout()
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Error>();
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = "127.0.0.1:1", DeliveryTimeoutMs = 3000 }
                .With("socket.connection.setup.timeout.ms", "1500"))
            .SetErrorHandler((_, e) => errors.Enqueue(e))
            .Build();
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("t", new Message<Null, string> { Value = "x" }));
        Assert.Equal(AkkaBroker.Client.ErrorCode.Local_MsgTimedOut, e.Error.Code);
        Assert.Equal(PersistenceStatus.NotPersisted, e.DeliveryResult.Status);
        Assert.Contains("127.0.0.1:1", e.Error.Reason);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(15));
        Assert.Contains(errors, x => x.Code is AkkaBroker.Client.ErrorCode.Local_Transport or AkkaBroker.Client.ErrorCode.Local_AllBrokersDown && x.Reason.Contains("127.0.0.1:1"));
    }

    [Fact]
    public async Task Records_for_a_broker_that_went_away_fail_within_delivery_timeout_instead_of_hanging()
    {
        var broker = await BrokerFixture.StartAsync();
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap, DeliveryTimeoutMs = 3000, RequestTimeoutMs = 1000 }
            .With("socket.connection.setup.timeout.ms", "1000");
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        await producer.ProduceAsync("vanishing", new Message<Null, string> { Value = "delivered" });
        await broker.DisposeAsync();

        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ProduceException<Null, string>>(() =>
            producer.ProduceAsync("vanishing", new Message<Null, string> { Value = "stranded" }));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.True(e.Error.Code is AkkaBroker.Client.ErrorCode.RequestTimedOut or AkkaBroker.Client.ErrorCode.Local_MsgTimedOut or AkkaBroker.Client.ErrorCode.NetworkException, $"unexpected {e.Error}");
        // Sent before the client saw the connection drop, the record may have been written (PossiblyPersisted); held back
        // after, it was not (NotPersisted). Never reported as written.
        Assert.NotEqual(PersistenceStatus.Persisted, e.DeliveryResult.Status);
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Batches_waiting_for_a_broker_that_went_away_each_expire_on_their_own_delivery_timeout()
    {
        var broker = await BrokerFixture.StartAsync();
        // batch.size=1: every record is a batch of its own, sealed at once and waiting to be sent.
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap, DeliveryTimeoutMs = 3000, RequestTimeoutMs = 1000, BatchSize = 1 }
            .With("socket.connection.setup.timeout.ms", "1000");
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        await producer.ProduceAsync("expiring", new Message<Null, string> { Value = "delivered" });
        await broker.DisposeAsync();

        async Task<(TimeSpan Produced, TimeSpan Failed)> Strand(Stopwatch clock, string value)
        {
            var produced = clock.Elapsed;
            var e = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("expiring", new Message<Null, string> { Value = value }));
            Assert.NotEqual(PersistenceStatus.Persisted, e.DeliveryResult.Status);
            return (produced, clock.Elapsed);
        }
        var clock = Stopwatch.StartNew();
        var first = Strand(clock, "first");
        // The second batch is created well after the first, so their deadlines differ.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var second = Strand(clock, "second");
        var both = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));
        var (older, younger) = (both[0], both[1]);

        // Neither fails before its own delivery timeout, and the older one fails first: an expired batch does not take a
        // younger one with it, and a younger one waiting does not keep an older one from expiring.
        Assert.True(older.Failed - older.Produced >= TimeSpan.FromSeconds(2.5), $"the first failed after {older.Failed - older.Produced}");
        Assert.True(younger.Failed - younger.Produced >= TimeSpan.FromSeconds(2.5), $"the second failed after {younger.Failed - younger.Produced}");
        Assert.True(older.Failed < younger.Failed, $"the first failed at {older.Failed}, the second at {younger.Failed}");
    }

    [Fact]
    public async Task A_corrupted_batch_in_the_journal_is_reported_and_never_served_as_data()
    {
        var broker = await BrokerFixture.StartAsync();
        var dataDir = broker.DataDir;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "fragile", NumPartitions = 1 }]);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build())
            await producer.ProduceAsync("fragile", new Message<Null, string> { Value = "precious" });
        await broker.StopAsync();

        // Flip a bit inside the journaled batch's records, as a disk fault would.
        await ReplicaJournalFiles.DamageBatchAsync(dataDir, "partition-fragile-0", 0, payload => payload[^2] ^= 0x40);

        await using var restarted = await BrokerFixture.StartAsync(dataDir: dataDir);
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = restarted.Bootstrap }).Build();
        consumer.Assign(new TopicPartitionOffset("fragile", 0, Offset.Beginning));
        var e = Assert.Throws<ConsumeException>(() => consumer.Consume(TimeSpan.FromSeconds(20)));
        Assert.Equal(AkkaBroker.Client.ErrorCode.InvalidMsg, e.Error.Code);
        Assert.Contains("corrupt", e.Error.Reason);
    }

    // A base offset is not covered by the batch's CRC: flipped on disk, recovery met a batch that did not continue the
    // log, threw, and the replica failed to start on every attempt while its broker looked healthy.
    [Fact]
    public async Task A_journaled_batch_whose_offsets_were_corrupted_is_cut_off_and_the_partition_keeps_serving()
    {
        var broker = await BrokerFixture.StartAsync();
        var dataDir = broker.DataDir;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "shifted", NumPartitions = 1 }]);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 0 }).Build())
            foreach (var value in new[] { "first", "second", "third" })
                await producer.ProduceAsync("shifted", new Message<Null, string> { Value = value });
        await broker.StopAsync();

        // Move the second batch's base offset below the log end, as a disk fault in the header would.
        await ReplicaJournalFiles.DamageBatchAsync(dataDir, "partition-shifted-0", 1, payload =>
        {
            var batch = ((BatchAppended)BrokerSerializer.Decode(payload, "pBA")).Batch;
            RecordBatch.SetBaseOffset(batch, 0);
            BrokerSerializer.Encode(new BatchAppended(batch)).CopyTo(payload, 0);
        });

        // The replica starts, cuts its log where the trusted part ends (it was the only replica), and serves on.
        await using var restarted = await BrokerFixture.StartAsync(dataDir: dataDir);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = restarted.Bootstrap }).Build())
        {
            var after = await producer.ProduceAsync("shifted", new Message<Null, string> { Value = "after" });
            Assert.Equal(1, after.Offset.Value);
        }
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = restarted.Bootstrap }).Build();
        consumer.Assign(new TopicPartitionOffset("shifted", 0, Offset.Beginning));
        var values = new List<string>();
        while (values.Count < 2 && consumer.Consume(TimeSpan.FromSeconds(20)) is { Message: { } m }) values.Add(m.Value);
        Assert.Equal(["first", "after"], values);
    }
}

internal static class ConfigExtensions
{
    public static T With<T>(this T config, string key, string value) where T : ClientConfig
    {
        config.Set(key, value);
        return config;
    }
}
