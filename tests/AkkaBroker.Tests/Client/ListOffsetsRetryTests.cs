using Akka.Actor;
using Akka.Configuration;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using AkkaBroker.Tests.Integration;
using Xunit;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Tests.Client;

/// <summary>
/// A broker that has just restarted answers list-offsets with NOT_LEADER_OR_FOLLOWER until the controller's
/// leadership reaches its replicas: the client refreshes metadata and asks again, as a Kafka client does.
/// </summary>
public class ListOffsetsRetryTests : IAsyncLifetime
{
    private ActorSystem _broker = null!;
    private FakeBroker.Counts _counts = null!;
    private string _bootstrap = "";

    public async Task InitializeAsync()
    {
        _broker = ActorSystem.Create("akkabroker", ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, tcp-reuse-addr = off }
            """).WithFallback(BrokerSerialization.Config));
        _counts = new FakeBroker.Counts();
        var address = ((ExtendedActorSystem)_broker).Provider.DefaultAddress;
        _broker.ActorOf(Props.Create(() => new FakeBroker(address.Port!.Value, 2, _counts)), "broker");
        _bootstrap = $"127.0.0.1:{address.Port}";
        await Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _broker.Terminate();

    [Fact]
    public void Watermarks_are_answered_once_the_leader_is_ready()
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _bootstrap }.With("retry.backoff.ms", "50")).Build();
        var watermarks = consumer.QueryWatermarkOffsets(new AkkaBroker.Client.TopicPartition("t", 0), TimeSpan.FromSeconds(10));
        Assert.Equal(0, watermarks.Low.Value);
        Assert.Equal(42, watermarks.High.Value);
        Assert.True(_counts.Refused >= 2, $"the broker refused {_counts.Refused} times");
        Assert.True(_counts.MetadataRequests >= 2, $"metadata was read {_counts.MetadataRequests} times: a refusal should refresh it");
    }

    [Fact]
    public async Task The_admin_client_retries_list_offsets_too()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _bootstrap }.With("retry.backoff.ms", "50")).Build();
        var end = await admin.ListOffsetAsync(new AkkaBroker.Client.TopicPartition("t", 0), OffsetSpec.Latest());
        Assert.Equal(42, end.Value);
    }

    [Fact]
    public void A_leader_that_never_becomes_ready_fails_with_its_error_within_the_timeout()
    {
        _counts.RefuseForever = true;
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _bootstrap }.With("retry.backoff.ms", "50")).Build();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<KafkaException>(() => consumer.QueryWatermarkOffsets(new AkkaBroker.Client.TopicPartition("t", 0), TimeSpan.FromSeconds(2)));
        Assert.Equal(AkkaBroker.Client.ErrorCode.NotLeaderForPartition, e.Error.Code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_leader_that_refuses_and_then_stops_answering_fails_with_the_refusal_not_a_bare_timeout()
    {
        // The deadline then cuts the last ask short; what the caller needs to hear is why the broker refused.
        _counts.RefuseForever = true;
        _counts.SilentAfterRefusals = 2;
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _bootstrap }.With("retry.backoff.ms", "50")).Build();
        var search = new TopicPartitionTimestamp(new AkkaBroker.Client.TopicPartition("t", 0), new Timestamp(DateTimeOffset.UtcNow));
        var e = Assert.Throws<KafkaException>(() => consumer.OffsetsForTimes([search], TimeSpan.FromSeconds(2)));
        Assert.Equal(AkkaBroker.Client.ErrorCode.NotLeaderForPartition, e.Error.Code);
        Assert.Equal(2, Volatile.Read(ref _counts.Refused));
    }

    private sealed class FakeBroker : ReceiveActor
    {
        public sealed class Counts
        {
            public int Refused;
            public int MetadataRequests;
            public volatile bool RefuseForever;
            /// <summary>After this many refusals the broker answers list-offsets no more (int.MaxValue: always answers).</summary>
            public int SilentAfterRefusals = int.MaxValue;
        }

        public FakeBroker(int port, int refusals, Counts counts)
        {
            Receive<MetadataRequest>(_ =>
            {
                Interlocked.Increment(ref counts.MetadataRequests);
                Sender.Tell(new MetadataResponse([new BrokerInfo(0, "127.0.0.1", port)], 0,
                    [new AkkaBroker.Protocol.Messages.TopicMetadata("t", AkkaBroker.Protocol.ErrorCode.None, null, [new AkkaBroker.Protocol.Messages.PartitionMetadata(0, 0, [0], [0])])]));
            });
            Receive<ListOffsetsRequest>(r =>
            {
                if (Volatile.Read(ref counts.Refused) >= counts.SilentAfterRefusals) return;
                if (counts.RefuseForever || counts.Refused < refusals)
                {
                    Interlocked.Increment(ref counts.Refused);
                    Sender.Tell(new ListOffsetsResponse(r.TopicPartition, AkkaBroker.Protocol.ErrorCode.NotLeaderOrFollower, "no leadership received from the controller yet", -1, -1));
                }
                else Sender.Tell(new ListOffsetsResponse(r.TopicPartition, AkkaBroker.Protocol.ErrorCode.None, null, r.Timestamp == ListOffsetsRequest.Earliest ? 0 : 42, -1));
            });
        }
    }
}
