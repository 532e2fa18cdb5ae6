using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;

namespace AkkaBroker.Tests.Integration;

/// <summary>
/// A partition forgets an idle idempotent producer after producer.id.expiration.ms (so its memory stays bounded).
/// The producer's next batch is then refused UNKNOWN_PRODUCER_ID, and the client renumbers under a new producer id
/// (Kafka's KIP-360) instead of failing: nothing is lost or duplicated.
/// </summary>
public class ProducerStateExpiryTests
{
    [Fact]
    public async Task A_producer_whose_state_expired_renumbers_under_a_new_id_and_loses_nothing()
    {
        // Expire producers 1 ms after their last write, checked at every snapshot, which is taken after every event.
        await using var broker = await BrokerFixture.StartAsync("""
            akkabroker.broker.producer.id.expiration.ms = 1
            akkabroker.partition.snapshot-interval-events = 1
            """);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "expiring", NumPartitions = 1 }]);
        var tp = new TopicPartition("expiring", 0);

        using var idle = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 0 }).Build();
        Assert.Equal(0, (await idle.ProduceAsync(tp, new Message<Null, string> { Value = "first" })).Offset.Value);

        // Another producer's writes make the partition snapshot (and expire the idle producer) meanwhile.
        using (var busy = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 0 }).Build())
            for (var i = 0; i < 5; i++)
                await busy.ProduceAsync(tp, new Message<Null, string> { Value = $"busy-{i}" });

        var second = await idle.ProduceAsync(tp, new Message<Null, string> { Value = "second" });
        Assert.Equal(6, second.Offset.Value);
        Assert.True(idle.Metrics["record-retry-total"] >= 1, "the refused batch should have been resent under a new producer id");

        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = broker.Bootstrap }).Build();
        consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
        var values = new List<string>();
        while (values.Count < 7) values.Add(consumer.Consume(TimeSpan.FromSeconds(10))?.Message!.Value ?? throw new Xunit.Sdk.XunitException($"only {values.Count} of 7 records arrived"));
        Assert.Equal(["first", "busy-0", "busy-1", "busy-2", "busy-3", "busy-4", "second"], values);
    }
}
