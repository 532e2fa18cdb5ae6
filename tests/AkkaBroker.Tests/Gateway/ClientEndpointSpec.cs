using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Configuration;
using AkkaBroker.Actors.Gateway;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using AkkaBroker.Tests.Integration;
using Xunit;
using ProtocolErrorCode = AkkaBroker.Protocol.ErrorCode;
using TopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Tests.Gateway;

/// <summary>
/// The client endpoint against a client that sends what only brokers and the controller may: a forged follower fetch,
/// replica commands with a huge controller epoch, an ISR change, a forwarded group request. A broker in this process; the
/// hostile client is an ActorSystem of its own that reaches it over TCP, as any host on the network could.
/// </summary>
public sealed class ClientEndpointSpec : IAsyncLifetime
{
    private BrokerFixture _broker = null!;
    private ActorSystem _hostile = null!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerFixture.StartAsync("akkabroker.broker.group.idle.coordinator.ms = 1000");
        _hostile = ActorSystem.Create("hostile", ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, maximum-frame-size = 16MiB }
            """).WithFallback(BrokerSerialization.Config));
    }

    public async Task DisposeAsync()
    {
        await _hostile.Terminate();
        await _broker.DisposeAsync();
    }

    private string ClientEndpointPath(string path) => $"akka.tcp://akkabroker@{_broker.Bootstrap}{path}";

    private Task<IActorRef> GatewayAsync() => _hostile.ActorSelection(ClientEndpointPath("/user/broker")).ResolveOne(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Messages_only_brokers_and_the_controller_may_send_are_refused_and_change_neither_the_log_nor_the_controller_state()
    {
        const string topic = "guarded";
        var tp = new TopicPartition(topic, 0);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.Bootstrap, Acks = Acks.All }).Build())
            for (var i = 0; i < 3; i++) await producer.ProduceAsync(topic, new Message<Null, string> { Value = $"r{i}" });

        var gateway = await GatewayAsync();
        var metadataBefore = await gateway.Ask<MetadataResponse>(new MetadataRequest([topic], false), TimeSpan.FromSeconds(10));
        var logBefore = await gateway.Ask<DescribeLogResponse>(new DescribeLogRequest(tp), TimeSpan.FromSeconds(10));
        Assert.Equal((3L, 3L), (logBefore.LogEndOffset, logBefore.HighWatermark));
        var partition = metadataBefore.Topics.Single().Partitions.Single();

        using var refused = new RefusalCounter("broker_only");

        var forged = new object[]
        {
            // Would wipe the replica's log.
            new DeletePartition(tp),
            // Would fence the real controller out and make broker 99 the leader.
            new EnsurePartition(tp, new Dictionary<string, string>(), new PartitionAssignment(0, [99], 99, int.MaxValue / 2, [99], int.MaxValue / 2),
                new BrokerInfo(99, "203.0.113.1", 9193), int.MaxValue / 2),
            // A follower fetch from offset 1000 would move the high watermark past records nobody has.
            new ReplicaFetchRequest(tp, 99, partition.LeaderEpoch, 1000, 1 << 20, 0, 1),
            // An ISR change naming a broker that does not exist.
            new AlterPartitionRequest(tp, partition.Leader, partition.LeaderEpoch, int.MaxValue / 2, [99]),
            new PartitionLeadershipRequest(tp, 99),
            new ForwardedGroupRequest(new OffsetCommitRequest("victims", -1, "", null, [new OffsetCommit(tp, 1000, null)])),
        };
        foreach (var message in forged) gateway.Tell(message, ActorRefs.NoSender);
        await Until(() => refused.Count >= forged.Length, "every forged message to be refused and counted");

        var metadataAfter = await gateway.Ask<MetadataResponse>(new MetadataRequest([topic], false), TimeSpan.FromSeconds(10));
        var after = metadataAfter.Topics.Single().Partitions.Single();
        Assert.Equal((partition.Leader, partition.LeaderEpoch), (after.Leader, after.LeaderEpoch));
        Assert.Equal(partition.Replicas, after.Replicas);
        Assert.Equal(partition.Isr, after.Isr);
        var logAfter = await gateway.Ask<DescribeLogResponse>(new DescribeLogRequest(tp), TimeSpan.FromSeconds(10));
        Assert.Equal((3L, 3L, 0L), (logAfter.LogEndOffset, logAfter.HighWatermark, logAfter.LogStartOffset));
        var fetched = await gateway.Ask<FetchResponse>(new FetchRequest(tp, 0, 1 << 20, 1, 0), TimeSpan.FromSeconds(10));
        Assert.Equal(ProtocolErrorCode.None, fetched.Error);
        Assert.NotEmpty(fetched.Records);
        var committed = await gateway.Ask<OffsetFetchResponse>(new OffsetFetchRequest("victims", null), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(committed.Offsets, o => o.Offset == 1000);

        // The replica still leads and takes records.
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.Bootstrap, Acks = Acks.All }).Build())
            Assert.Equal(3, (await producer.ProduceAsync(topic, new Message<Null, string> { Value = "after" })).Offset.Value);
    }

    [Fact]
    public async Task A_request_whose_reply_to_is_not_a_connected_client_is_refused_so_no_reply_goes_where_a_client_says()
    {
        using var refused = new RefusalCounter("unknown_sender");
        var gateway = await GatewayAsync();
        // The broker's own cluster gateway, named as the reply-to: the reply would go into the cluster.
        var intoTheCluster = ((ExtendedActorSystem)_hostile).Provider.ResolveActorRef($"akka.tcp://akkabroker@{_broker.Node.SeedNode}/user/broker");
        var elsewhere = ((ExtendedActorSystem)_hostile).Provider.ResolveActorRef("akka.tcp://victim@203.0.113.9:9999/user/anything");
        gateway.Tell(new MetadataRequest([], false), intoTheCluster);
        gateway.Tell(new DescribeClusterRequest(), elsewhere);
        gateway.Tell(new DescribeClusterRequest(), ActorRefs.NoSender);
        await Until(() => refused.Count >= 3, "the three requests to be refused");
        // The connected client itself is answered as before.
        Assert.Equal(ProtocolErrorCode.None, (await gateway.Ask<DescribeClusterResponse>(new DescribeClusterRequest(), TimeSpan.FromSeconds(10))).Error);
    }

    [Fact]
    public async Task Only_the_gateway_can_be_found_and_it_cannot_be_stopped_or_suspended_from_outside()
    {
        var gateway = await GatewayAsync();
        // Akka's own actors exist on the client endpoint too, but untrusted mode answers no selection of them.
        await Assert.ThrowsAnyAsync<Exception>(() => _hostile.ActorSelection(ClientEndpointPath("/system/remote-watcher")).ResolveOne(TimeSpan.FromSeconds(2)));
        Assert.Equal(ProtocolErrorCode.None, (await gateway.Ask<DescribeClusterResponse>(new DescribeClusterRequest(), TimeSpan.FromSeconds(10))).Error);
        gateway.Tell(PoisonPill.Instance);
        gateway.Tell(Kill.Instance);
        // Sent after those over the same connection: answered only if both were dropped (they are refused as they are read).
        Assert.Equal(ProtocolErrorCode.None, (await gateway.Ask<DescribeClusterResponse>(new DescribeClusterRequest(), TimeSpan.FromSeconds(10))).Error);

        // System messages would suspend or stop the gateway: they close the sender's connection instead.
        ((IInternalActorRef)gateway).SendSystemMessage(new Akka.Dispatch.SysMsg.Suspend());
        ((IInternalActorRef)gateway).SendSystemMessage(new Akka.Dispatch.SysMsg.Terminate());
        var other = ActorSystem.Create("other-client", ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            """).WithFallback(BrokerSerialization.Config));
        try
        {
            var fresh = await other.ActorSelection(ClientEndpointPath("/user/broker")).ResolveOne(TimeSpan.FromSeconds(10));
            Assert.Equal(ProtocolErrorCode.None, (await fresh.Ask<DescribeClusterResponse>(new DescribeClusterRequest(), TimeSpan.FromSeconds(10))).Error);
        }
        finally
        {
            await other.Terminate();
        }
    }

    [Fact]
    public async Task Metadata_gives_clients_each_brokers_client_endpoint_not_its_cluster_port()
    {
        var gateway = await GatewayAsync();
        var metadata = await gateway.Ask<MetadataResponse>(new MetadataRequest([], false), TimeSpan.FromSeconds(10));
        var self = Assert.Single(metadata.Brokers);
        Assert.Equal(_broker.Node.ClientEndpoint!.BoundPort, self.Port);
        Assert.NotEqual(_broker.Node.BoundPort, self.Port);
        Assert.Equal($"{self.Host}:{self.Port}", _broker.Bootstrap);
    }

    [Fact]
    public async Task Requests_for_partitions_that_do_not_exist_leave_no_replica_behind()
    {
        var gateway = await GatewayAsync();
        var invented = Enumerable.Range(0, 20).Select(i => new TopicPartition($"invented-{Guid.NewGuid():N}", i)).ToList();
        foreach (var tp in invented)
            Assert.Equal(ProtocolErrorCode.UnknownTopicOrPartition,
                (await gateway.Ask<FetchResponse>(new FetchRequest(tp, 0, 1024, 1, 0), TimeSpan.FromSeconds(10))).Error);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var state = await _broker.Node.PartitionRegion.Ask<Akka.Cluster.Sharding.CurrentShardRegionState>(
                Akka.Cluster.Sharding.GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
            var left = state.Shards.SelectMany(shard => shard.EntityIds).Count(id => id.StartsWith("invented-", StringComparison.Ordinal));
            if (left == 0) break;
            Assert.True(DateTime.UtcNow < deadline, $"{left} replicas of invented partitions are still running 30 s later");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Requests_for_groups_that_do_not_exist_leave_no_coordinator_behind()
    {
        var gateway = await GatewayAsync();
        var groups = Enumerable.Range(0, 10).Select(_ => $"invented-group-{Guid.NewGuid():N}").ToList();
        foreach (var group in groups)
        {
            var fetched = await gateway.Ask<OffsetFetchResponse>(new OffsetFetchRequest(group, null), TimeSpan.FromSeconds(30));
            Assert.Equal((ProtocolErrorCode.None, 0), (fetched.Error, fetched.Offsets.Count));
        }
        var region = Akka.Cluster.Sharding.ClusterSharding.Get(_broker.Node.System).ShardRegion(AkkaBroker.Actors.Groups.GroupMessageExtractor.TypeName);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var state = await region.Ask<Akka.Cluster.Sharding.CurrentShardRegionState>(Akka.Cluster.Sharding.GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
            var left = state.Shards.SelectMany(shard => shard.EntityIds).Count(id => id.Contains("invented-group-", StringComparison.Ordinal));
            if (left == 0) break;
            Assert.True(DateTime.UtcNow < deadline, $"{left} coordinators of invented groups are still running 30 s later");
            await Task.Delay(200);
        }
        // A group that was passivated loads again when asked.
        Assert.Equal(ProtocolErrorCode.None, (await gateway.Ask<OffsetFetchResponse>(new OffsetFetchRequest(groups[0], null), TimeSpan.FromSeconds(30))).Error);
    }

    [Fact]
    public void Akkas_json_serializer_is_refused_on_the_client_endpoint()
    {
        var serialization = _broker.Node.ClientEndpoint!.System.Serialization;
        // What any type without a binding would be written with, and what a payload naming Akka's JSON serializer meets.
        Assert.IsType<RefusingJsonSerializer>(serialization.FindSerializerForType(typeof(Version)));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() =>
            serialization.Deserialize("{\"$type\":\"System.Version, System.Runtime\"}"u8.ToArray(), RefusingJsonSerializer.Identifier1, typeof(object)));
    }

    /// <summary>The client endpoint's refusals with one reason, as the broker's metric counts them.</summary>
    private sealed class RefusalCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public RefusalCounter(string reason)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == BrokerMetrics.MeterName && instrument.Name == "akkabroker.client_endpoint.refused") l.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag.Key == "reason" && Equals(tag.Value, reason)) Interlocked.Add(ref _count, value);
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {what} within 20 s");
            await Task.Delay(50);
        }
    }
}
