using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;
using KafkaAdmin = Confluent.Kafka.Admin;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// Confluent.Kafka's admin client lists, describes and deletes a consumer group that a Confluent.Kafka consumer made,
/// through the Kafka-protocol listener, and sees what the AkkaBroker admin client sees.
/// </summary>
public sealed class KafkaGroupAdminSpec : KafkaListenerBrokerSpec
{
    [Fact]
    public async Task A_kafka_consumers_group_is_listed_described_and_deleted_only_once_it_has_no_members()
    {
        using var akka = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Broker.Bootstrap }).Build();
        await akka.CreateTopicsAsync([new TopicSpecification { Name = "clicks", NumPartitions = 2 }]);
        using var kafka = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = KafkaBootstrap }).Build();

        using (var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig
               {
                   BootstrapServers = KafkaBootstrap, GroupId = "dashboard", ClientId = "dashboard-reader", EnableAutoCommit = false,
                   AutoOffsetReset = Kafka.AutoOffsetReset.Earliest, SessionTimeoutMs = 10_000,
               }).Build())
        {
            consumer.Subscribe("clicks");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (consumer.Assignment.Count < 2 && DateTime.UtcNow < deadline) consumer.Consume(TimeSpan.FromMilliseconds(100));
            Assert.Equal(2, consumer.Assignment.Count);
            consumer.Commit([new Kafka.TopicPartitionOffset("clicks", 0, 0), new Kafka.TopicPartitionOffset("clicks", 1, 0)]);

            var listed = (await kafka.ListConsumerGroupsAsync(new KafkaAdmin.ListConsumerGroupsOptions { MatchStates = [Kafka.ConsumerGroupState.Stable] })).Valid;
            var dashboard = Assert.Single(listed, g => g.GroupId == "dashboard");
            Assert.Equal(Kafka.ConsumerGroupState.Stable, dashboard.State);
            Assert.False(dashboard.IsSimpleConsumerGroup, "a group of subscribed consumers uses the consumer protocol");
            Assert.DoesNotContain((await kafka.ListConsumerGroupsAsync(new KafkaAdmin.ListConsumerGroupsOptions { MatchStates = [Kafka.ConsumerGroupState.Empty] })).Valid,
                g => g.GroupId == "dashboard");

            var described = Assert.Single((await kafka.DescribeConsumerGroupsAsync(["dashboard"])).ConsumerGroupDescriptions);
            Assert.Equal((Kafka.ConsumerGroupState.Stable, "range"), (described.State, described.PartitionAssignor));
            var member = Assert.Single(described.Members);
            Assert.Equal("dashboard-reader", member.ClientId);
            Assert.Equal([new Kafka.TopicPartition("clicks", 0), new Kafka.TopicPartition("clicks", 1)],
                member.Assignment.TopicPartitions.OrderBy(tp => tp.Partition.Value));
            // The AkkaBroker admin client describes the same member.
            Assert.Equal(member.ConsumerId, Assert.Single((await akka.DescribeConsumerGroupAsync("dashboard")).Members).ConsumerId);

            var refused = await Assert.ThrowsAsync<KafkaAdmin.DeleteGroupsException>(() => kafka.DeleteGroupsAsync(["dashboard"]));
            Assert.Equal(Kafka.ErrorCode.NonEmptyGroup, Assert.Single(refused.Results).Error.Code);
            consumer.Close();
        }

        // Once its member has left, the group (kept by its committed offsets) can be deleted.
        // Close sends LeaveGroup without waiting for its answer, so the coordinator may still count the member for a moment.
        var left = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await kafka.DeleteGroupsAsync(["dashboard"]);
                break;
            }
            catch (KafkaAdmin.DeleteGroupsException e) when (e.Results.Single().Error.Code == Kafka.ErrorCode.NonEmptyGroup && DateTime.UtcNow < left)
            {
                await Task.Delay(100);
            }
        }
        var gone = DateTime.UtcNow.AddSeconds(30);
        while ((await akka.GroupIdsAsync()).Contains("dashboard") && DateTime.UtcNow < gone) await Task.Delay(100);
        Assert.DoesNotContain("dashboard", await akka.GroupIdsAsync());
        Assert.DoesNotContain((await kafka.ListConsumerGroupsAsync()).Valid, g => g.GroupId == "dashboard");
    }
}
