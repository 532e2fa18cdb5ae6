using System.Diagnostics;
using AkkaBroker.Client;
using Xunit;

namespace AkkaBroker.Tests.Integration;

/// <summary>Group state is durable: committed offsets and the group directory survive a broker restart.</summary>
public class GroupRestartTests
{
    [Fact]
    public async Task Committed_offsets_and_the_group_survive_a_broker_restart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-test-" + Guid.NewGuid().ToString("N"));
        const string topic = "restart-offsets";
        const string group = "restart-group";
        var broker = await BrokerFixture.StartAsync(GroupBrokerFixture.Config, dataDir);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap }).Build())
            for (var i = 0; i < 30; i++)
                await producer.ProduceAsync(topic, new Message<Null, string> { Value = i.ToString() });
        ConsumerConfig Config(string bootstrap) => new()
        {
            BootstrapServers = bootstrap, GroupId = group, AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
            SessionTimeoutMs = 6000, HeartbeatIntervalMs = 200, FetchWaitMaxMs = 50,
        };
        using (var consumer = new ConsumerBuilder<Ignore, string>(Config(broker.Bootstrap)).Build())
        {
            consumer.Subscribe(topic);
            var clock = Stopwatch.StartNew();
            ConsumeResult<Ignore, string>? last = null;
            while (last is not { Offset.Value: 19 })
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "expected to consume offset 19 within 30 s");
                last = consumer.Consume(TimeSpan.FromMilliseconds(100)) ?? last;
            }
            consumer.Commit(last);
            consumer.Close();
        }
        await broker.StopAsync();

        broker = await BrokerFixture.StartAsync(GroupBrokerFixture.Config, dataDir);
        try
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
            Assert.Contains(group, await admin.GroupIdsAsync());
            var description = await admin.DescribeConsumerGroupAsync(group);
            Assert.Equal(ConsumerGroupState.Empty, description.State);
            Assert.Equal(20, Assert.Single(description.CommittedOffsets).Offset.Value);

            using var consumer = new ConsumerBuilder<Ignore, string>(Config(broker.Bootstrap)).Build();
            consumer.Subscribe(topic);
            var clock = Stopwatch.StartNew();
            ConsumeResult<Ignore, string>? first = null;
            while (first == null)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "expected a record within 30 s after the restart");
                first = consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            Assert.Equal(20, first.Offset.Value);
            consumer.Close();
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }
}
