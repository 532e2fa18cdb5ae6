using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// In a cluster, a group's coordinator runs on the leader of its <c>__consumer_offsets</c> partition, whichever broker
/// its members talk to; when that broker crashes, the partition's new leader coordinates the group with every
/// committed offset, and a consumer of the group resumes where the group committed.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class GroupCoordinatorPlacementSpec
{
    [Fact]
    public async Task A_synchronous_commit_waits_for_a_coordinator_that_is_not_available_yet_where_an_asynchronous_one_fails_at_once()
    {
        // Given explicitly, offsets.topic.replication.factor = 2 makes the offsets topic wait for a second broker.
        await using var cluster = await ThreeBrokerCluster.StartAsync(brokers: 1, extraConfig: "akkabroker.broker.offsets.topic.replication.factor = 2");
        const string topic = "early";
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
        using var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.Bootstrap(1), GroupId = "early-committer", RequestTimeoutMs = 120_000,
        }).Build();
        TopicPartitionOffset[] offsets = [new(topic, 0, 5)];

        // An asynchronous commit is not asked again (it could land after a later one): the refusal comes back as it is.
        var refused = await Assert.ThrowsAsync<KafkaException>(() => consumer.CommitAsync(offsets));
        Assert.Equal(ErrorCode.GroupCoordinatorNotAvailable, refused.Error.Code);

        // A synchronous one asks again until the coordinator answers, as Kafka's consumers do.
        var committing = Task.Run(() => consumer.Commit(offsets));
        await cluster.StartBrokerAsync(2);
        // Bounded by the commit's own budget (request.timeout.ms, generous here: a broker's start on a loaded machine).
        await committing.WaitAsync(TimeSpan.FromSeconds(150));
        Assert.Equal(5, consumer.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(30)).Single().Offset.Value);
    }

    [Fact]
    public async Task A_group_is_coordinated_by_its_offsets_partition_leader_and_fails_over_with_its_offsets_when_that_broker_crashes()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync();
        // The controller creates the offsets topic (50 partitions, replication factor 3) exactly as ControllerState.Assign does.
        var placement = ControllerState.Assign(ControllerState.OffsetsTopic, 0, 50, 3, [1, 2, 3]);
        var group = Enumerable.Range(0, 100).Select(i => $"placed-{i}")
            .First(g => placement[ControllerState.OffsetsPartitionFor(g, 50)].Replicas[0] == 3);
        const string topic = "grouped";
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(2) }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 3, ReplicationFactor = 3 }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.Bootstrap(1) }).Build())
            for (var i = 0; i < 30; i++)
                await producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });

        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
               {
                   BootstrapServers = cluster.Bootstrap(1), GroupId = group, AutoOffsetReset = AutoOffsetReset.Earliest,
                   EnableAutoCommit = false, FetchWaitMaxMs = 50, HeartbeatIntervalMs = 200,
               }).Build())
        {
            consumer.Subscribe(topic);
            var seen = 0;
            var clock = Stopwatch.StartNew();
            while (seen < 30)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"expected 30 records within 30 s, got {seen}");
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) != null) seen++;
            }
            consumer.Commit();
            consumer.Close();
        }

        foreach (var (id, broker) in cluster.Brokers)
        {
            var region = await broker.Node.System.ActorSelection("/system/sharding/group").ResolveOne(TimeSpan.FromSeconds(5));
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
            var entities = state.Shards.SelectMany(s => s.EntityIds.Select(e => (s.ShardId, e))).ToArray();
            if (id == 3) Assert.Contains(("broker-3", $"{group}@3"), entities);
            else Assert.DoesNotContain(entities, x => x.e.StartsWith(group + "@", StringComparison.Ordinal));
        }
        Assert.Equal(30, (await admin.DescribeConsumerGroupAsync(group)).CommittedOffsets.Sum(o => o.Offset.Value));

        // Groups coordinated on every broker are listed together: each broker lists its own, the controller gathers them.
        var others = new[] { 1, 2 }.Select(leader => Enumerable.Range(0, 100).Select(i => $"listed-{i}")
            .First(g => placement[ControllerState.OffsetsPartitionFor(g, 50)].Replicas[0] == leader)).ToArray();
        foreach (var other in others)
            await admin.AlterConsumerGroupOffsetsAsync(other, [new TopicPartitionOffset(topic, 0, 1)]);
        var all = others.Append(group).Order(StringComparer.Ordinal).ToArray();
        await ListedAsync(admin, all, "before the crash");

        await cluster.CrashBrokerAsync(3);
        await cluster.WaitForMembersAsync(2);
        // Before anyone asks for the group, the new leader of its offsets partition has read it and started its
        // coordinator, so its offsets expire on time even if nobody uses it again.
        var startedBy = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await CoordinatorRunsOnAsync(cluster, group, 1) && !await CoordinatorRunsOnAsync(cluster, group, 2))
        {
            Assert.True(DateTime.UtcNow < startedBy, $"no broker started the coordinator of {group} within 60 s of broker 3's crash");
            await Task.Delay(100);
        }
        await ListedAsync(admin, all, "after broker 3's crash");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                var description = await admin.DescribeConsumerGroupAsync(group);
                Assert.Equal(30, description.CommittedOffsets.Sum(o => o.Offset.Value));
                break;
            }
            catch (KafkaException e) when (e.Error.IsRetriable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200); // the offsets partition is electing its new leader
            }
        }
        Assert.True(await CoordinatorRunsOnAsync(cluster, group, 1) ^ await CoordinatorRunsOnAsync(cluster, group, 2));

        // The group resumes after its last commit: only records produced since are delivered.
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.Bootstrap(1) }).Build())
            for (var i = 30; i < 40; i++)
                await producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
        using var resumed = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.Bootstrap(2), GroupId = group, AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false, FetchWaitMaxMs = 50, HeartbeatIntervalMs = 200,
        }).Build();
        resumed.Subscribe(topic);
        var values = new List<string>();
        var resumeClock = Stopwatch.StartNew();
        while (values.Count < 10)
        {
            Assert.True(resumeClock.Elapsed < TimeSpan.FromSeconds(60), $"expected the 10 new records within 60 s, got {values.Count}");
            if (resumed.Consume(TimeSpan.FromMilliseconds(100)) is { } r) values.Add(r.Message!.Value);
        }
        Assert.Equal(Enumerable.Range(30, 10).Select(i => $"v{i}").Order(), values.Order());
        Assert.Null(resumed.Consume(TimeSpan.FromMilliseconds(500)));
    }

    /// <summary>Waits until exactly <paramref name="groups"/> are listed, with no error (a partition's new leader may still be reading it).</summary>
    private static async Task ListedAsync(IAdminClient admin, string[] groups, string when)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var listed = await admin.ListConsumerGroupsAsync();
            var ids = listed.Valid.Select(g => g.GroupId).Order(StringComparer.Ordinal).ToArray();
            if (listed.Errors.Count == 0 && ids.SequenceEqual(groups)) return;
            Assert.True(DateTime.UtcNow < deadline,
                $"expected groups {string.Join(",", groups)} {when} within 30 s; listed {string.Join(",", ids)}, errors: {string.Join("; ", listed.Errors)}");
            await Task.Delay(100);
        }
    }

    private static async Task<bool> CoordinatorRunsOnAsync(ThreeBrokerCluster cluster, string group, int brokerId)
    {
        var region = await cluster.Brokers[brokerId].Node.System.ActorSelection("/system/sharding/group").ResolveOne(TimeSpan.FromSeconds(5));
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
        return state.Shards.SelectMany(s => s.EntityIds).Contains($"{group}@{brokerId}");
    }
}
