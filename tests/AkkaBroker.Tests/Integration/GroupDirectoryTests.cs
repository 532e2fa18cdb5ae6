using Akka.Actor;
using Akka.DistributedData;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using Xunit;

namespace AkkaBroker.Tests.Integration;

/// <summary>
/// Groups are known by the brokers that coordinate them, not by the controller: however many groups, and however long
/// their ids, the controller's replicated state (which travels whole in one message) does not grow with them.
/// </summary>
public class GroupDirectoryTests
{
    [Fact]
    public async Task Many_groups_with_long_ids_are_all_listed_and_leave_the_controllers_replicated_state_as_it_was()
    {
        await using var broker = await BrokerFixture.StartAsync(GroupBrokerFixture.Config);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "counted", NumPartitions = 1, ReplicationFactor = 1 }]);
        // The first group creates the offsets topic: measured after it.
        await admin.AlterConsumerGroupOffsetsAsync("first", [new TopicPartitionOffset("counted", 0, 1)]);
        var before = await ControllerStateAsync(broker);

        // 200 ids of 240 characters: 48 KB that the controller's state would have carried when it listed every group.
        var groups = Enumerable.Range(0, 200).Select(i => $"{i:D3}-" + new string('g', 236)).ToArray();
        foreach (var chunk in groups.Chunk(20))
            await Task.WhenAll(chunk.Select(g => admin.AlterConsumerGroupOffsetsAsync(g, [new TopicPartitionOffset("counted", 0, 1)])));

        var listed = await admin.ListConsumerGroupsAsync();
        Assert.Empty(listed.Errors);
        Assert.Equal(groups.Append("first").Order(StringComparer.Ordinal), listed.Valid.Select(g => g.GroupId).Order(StringComparer.Ordinal));
        var after = await ControllerStateAsync(broker);
        Assert.Empty(after.Groups);
        Assert.InRange(BrokerSerializer.Encode(after).Length, 0, BrokerSerializer.Encode(before).Length + 64);
    }

    /// <summary>The controller's state as this broker's replica of it holds it.</summary>
    private static async Task<ControllerSnapshot> ControllerStateAsync(BrokerFixture broker)
    {
        var replicator = DistributedData.Get(broker.Node.System).Replicator;
        var read = await replicator.Ask<IGetResponse>(Dsl.Get(ControllerActor.StateKey, ReadLocal.Instance), TimeSpan.FromSeconds(5));
        return Assert.IsType<GetSuccess>(read).Get(ControllerActor.StateKey).Value;
    }
}
