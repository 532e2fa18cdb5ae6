using Akka.Actor;
using Akka.DistributedData;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Actors.Groups;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Tests.Integration;
using Xunit;
using static AkkaBroker.Tests.Connect.Runtime.Wait;

namespace AkkaBroker.Tests.Groups;

/// <summary>
/// The consumer groups' directory lives in replicated parts of its own, so that no number of groups grows the
/// controller's state (which travels whole in one message): groups are listed from it, the controller's state holds
/// none, and groups an older controller kept in its state are listed along until they are moved.
/// </summary>
public sealed class GroupDirectorySpec : IAsyncLifetime
{
    private BrokerFixture _broker = null!;

    public async Task InitializeAsync() => _broker = await BrokerFixture.StartAsync();

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private async Task<T> ReadLocalAsync<T>(IKey<T> key) where T : IReplicatedData
    {
        var answer = await DistributedData.Get(_broker.Node.System).Replicator.Ask(Dsl.Get(key, ReadLocal.Instance), TimeSpan.FromSeconds(10));
        return answer is GetSuccess success ? success.Get(key) : throw new Xunit.Sdk.XunitException($"{key} is not held locally: {answer}");
    }

    [Fact]
    public async Task Groups_are_listed_from_the_directory_and_never_enter_the_controllers_state()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.Bootstrap }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "t", NumPartitions = 1, ReplicationFactor = 1 }]);
        var groups = Enumerable.Range(0, 5).Select(i => $"directory-{i}").ToList();
        foreach (var group in groups) await admin.AlterConsumerGroupOffsetsAsync(group, [new TopicPartitionOffset("t", 0, 0)]);

        await UntilAsync(async () => groups.All((await admin.GroupIdsAsync()).Contains), "the groups to be listed");

        var state = await ReadLocalAsync(ControllerActor.StateKey);
        Assert.Empty(state.Value.Groups);
        foreach (var group in groups)
            Assert.Contains(group, (await ReadLocalAsync(GroupDirectory.Key(GroupDirectory.PartOf(group)))).Elements);

        await admin.DeleteGroupsAsync([groups[0]]);
        await UntilAsync(async () => !(await admin.GroupIdsAsync()).Contains(groups[0]), "a deleted group to leave the listing");
    }

    [Fact]
    public async Task The_directory_survives_a_restart_of_the_cluster()
    {
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.Bootstrap }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "t", NumPartitions = 1, ReplicationFactor = 1 }]);
            await admin.AlterConsumerGroupOffsetsAsync("durable", [new TopicPartitionOffset("t", 0, 0)]);
            await UntilAsync(async () => (await admin.GroupIdsAsync()).Contains("durable"), "the group to be listed");
        }
        var dataDir = _broker.DataDir;
        await _broker.StopAsync();

        _broker = await BrokerFixture.StartAsync(dataDir: dataDir);

        // Read back from this node's disk: the directory is also what wakes the idle group's coordinator after a restart.
        using var restarted = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.Bootstrap }).Build();
        Assert.Contains("durable", await restarted.GroupIdsAsync());
    }

    [Fact]
    public async Task Groups_an_older_controller_kept_in_its_state_are_listed_with_the_directorys()
    {
        var view = new GroupDirectoryView();
        var directory = _broker.Node.System.ActorOf(GroupDirectory.Props(view));
        var legacy = new ControllerSnapshot([], 0, ["kept-by-an-older-controller"], 1, [], 1, [1], []);

        directory.Tell(new Changed(ControllerActor.StateKey, new LWWRegister<ControllerSnapshot>(Akka.Cluster.Cluster.Get(_broker.Node.System).SelfUniqueAddress, legacy)));

        await UntilAsync(() => Task.FromResult(view.All.Contains("kept-by-an-older-controller")), "the legacy group in the directory's view");
        var listed = await directory.Ask<ListGroupsResponse>(new ListGroupsRequest(), TimeSpan.FromSeconds(10));
        Assert.Contains("kept-by-an-older-controller", listed.GroupIds);
    }
}
