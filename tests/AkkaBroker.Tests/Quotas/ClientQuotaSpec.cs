using System.Diagnostics;
using System.Text.Json;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;
using static AkkaBroker.Tests.Connect.Runtime.Wait;

namespace AkkaBroker.Tests.Quotas;

/// <summary>
/// Client quotas on a real broker, set through the admin API: a client id's producer and consumer are held to their
/// byte rates (their requests answered late) on the client endpoint, and a Kafka client on the Kafka listener is told
/// its throttle time in the response, as librdkafka reports it. The broker measures over 2 one-second windows here, so
/// an Akka client's reply is held at most 2 s. Time is only ever bounded from below: a slow machine can only make it longer.
/// </summary>
public sealed class ClientQuotaSpec : IAsyncLifetime
{
    private const int RecordBytes = 10_000;
    private BrokerFixture _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerFixture.StartAsync("""
            akkabroker.broker.listeners = "PLAINTEXT://127.0.0.1:0"
            akkabroker.broker.quota.window.num = 2
            akkabroker.broker.quota.window.size.seconds = 1
            """);
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "metered", NumPartitions = 1, ReplicationFactor = 1 }]);
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private IAdminClient Admin() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.Bootstrap }).Build();

    private static ClientQuotaEntity ClientId(string? name) => new(new Dictionary<string, string?> { [ClientQuotaEntity.ClientId] = name });

    /// <summary>Sets a client id's quota and waits until the broker serving clients has it (it learns it from the replicated state).</summary>
    private async Task SetQuotaAsync(string clientId, string key, double value)
    {
        using var admin = Admin();
        await admin.AlterClientQuotasAsync([new ClientQuotaAlteration { Entity = ClientId(clientId), Ops = [new ClientQuotaAlterationOp(key, value)] }]);
        var entity = new Protocol.Messages.ClientQuotaEntity(null, new Protocol.Messages.QuotaEntityName(clientId));
        await UntilAsync(() => Task.FromResult(_broker.Node.ClientQuotas!.QuotaOf(entity, key) == value), $"the broker to hold client id {clientId} to {key}={value}");
    }

    [Fact]
    public async Task Quotas_are_set_described_and_removed_through_the_admin_api_with_bad_ones_refused_by_name()
    {
        using var admin = Admin();
        var alice = new ClientQuotaEntity(new Dictionary<string, string?> { [ClientQuotaEntity.User] = "alice", [ClientQuotaEntity.ClientId] = null });
        await admin.AlterClientQuotasAsync([new ClientQuotaAlteration { Entity = alice, Ops = [new("producer_byte_rate", 1024), new("request_percentage", 50)] }]);

        var all = await admin.DescribeClientQuotasAsync(ClientQuotaFilter.All());
        Assert.Equal(1024, all[alice]["producer_byte_rate"]);
        Assert.Equal(50, all[alice]["request_percentage"]);

        var refused = await Assert.ThrowsAsync<AlterClientQuotasException>(() =>
            admin.AlterClientQuotasAsync([new ClientQuotaAlteration { Entity = alice, Ops = [new("producer_byte_rate", 10.5)] }]));
        Assert.Contains("whole number of bytes per second", Assert.Single(refused.Results).Error.Reason);

        await admin.AlterClientQuotasAsync([new ClientQuotaAlteration { Entity = alice, Ops = [new("producer_byte_rate", null), new("request_percentage", null)] }]);
        Assert.Empty(await admin.DescribeClientQuotasAsync(ClientQuotaFilter.All()));
    }

    [Fact]
    public async Task A_producer_and_a_consumer_over_their_client_ids_byte_rates_are_slowed_to_them()
    {
        await SetQuotaAsync("metered-producer", "producer_byte_rate", 10_000);
        var started = Stopwatch.StartNew();
        using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = _broker.Bootstrap, ClientId = "metered-producer", LingerMs = 0 }).Build())
            for (var i = 0; i < 6; i++)
                await producer.ProduceAsync("metered", new Message<Null, byte[]> { Value = new byte[RecordBytes] });
        // 60 kB at 10 kB/s: the second record's answer waits 1 s, the third's 2 s.
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(2.5), $"6 x 10 kB produced under a 10 kB/s quota in {started.Elapsed.TotalSeconds:F1} s");

        await SetQuotaAsync("metered-consumer", "consumer_byte_rate", 10_000);
        started.Restart();
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = _broker.Bootstrap, ClientId = "metered-consumer", GroupId = "metered", AutoOffsetReset = AutoOffsetReset.Earliest,
            MaxPartitionFetchBytes = RecordBytes + 200,
        }).Build();
        consumer.Subscribe("metered");
        var read = 0;
        while (read < 6)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(30)) is { } r) read++;
            else Assert.Fail($"only {read} of 6 records consumed within 30 s of the last");
        }
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(2.5), $"6 x 10 kB consumed under a 10 kB/s quota in {started.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task A_kafka_client_over_its_quota_is_told_its_throttle_time()
    {
        await SetQuotaAsync("kafka-metered", "producer_byte_rate", 10_000);
        var maxThrottle = 0L;
        using var producer = new Kafka.ProducerBuilder<Kafka.Null, byte[]>(new Kafka.ProducerConfig
            {
                BootstrapServers = _broker.Node.KafkaBootstrapServer, ClientId = "kafka-metered", LingerMs = 0, StatisticsIntervalMs = 100,
            })
            .SetStatisticsHandler((_, json) =>
            {
                // librdkafka's statistics: brokers.<name>.throttle.max, the largest throttle_time_ms the broker answered in the window.
                using var stats = JsonDocument.Parse(json);
                foreach (var broker in stats.RootElement.GetProperty("brokers").EnumerateObject())
                    if (broker.Value.TryGetProperty("throttle", out var throttle))
                        Interlocked.Exchange(ref maxThrottle, Math.Max(Interlocked.Read(ref maxThrottle), throttle.GetProperty("max").GetInt64()));
            })
            .Build();
        for (var i = 0; i < 4; i++)
            await producer.ProduceAsync("metered", new Kafka.Message<Kafka.Null, byte[]> { Value = new byte[RecordBytes] });

        await UntilAsync(() => Task.FromResult(Interlocked.Read(ref maxThrottle) > 0), "librdkafka to report a throttle time from the broker");
    }
}
