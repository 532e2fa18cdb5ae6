using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using AkkaBroker.Protocol.Serialization;
using Xunit;
using TopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Tests.Integration;

/// <summary>
/// An idempotent producer whose acknowledgements are lost retries, and the broker answers the retries with the
/// original offsets: the log holds every record exactly once, in order.
/// </summary>
public class IdempotentRetryTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    /// <summary>Stands between client and broker as "/user/broker" and drops the first reply to every produced batch.</summary>
    private sealed class LossyGateway : ReceiveActor
    {
        public static readonly ConcurrentDictionary<(TopicPartition, long, int), bool> Dropped = new();

        public LossyGateway(IActorRef real, BrokerInfo self)
        {
            Receive<ProduceRequest>(r =>
            {
                var replyTo = Sender;
                var batch = RecordBatch.Wrap(r.Batch);
                var key = (r.TopicPartition, batch.ProducerId, batch.BaseSequence);
                real.Ask<ProduceResponse>(r, TimeSpan.FromSeconds(10)).ContinueWith(t =>
                {
                    if (!t.IsCompletedSuccessfully) return;
                    if (Dropped.TryAdd(key, true)) return; // the acknowledgement is "lost"
                    replyTo.Tell(t.Result);
                });
            });
            Receive<MetadataRequest>(r =>
            {
                var replyTo = Sender;
                real.Ask<MetadataResponse>(r, TimeSpan.FromSeconds(10)).ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) replyTo.Tell(t.Result with { Brokers = [self] });
                });
            });
            // Everything else is asked on the client's behalf: the broker answers only senders connected to it.
            ReceiveAny(m =>
            {
                var replyTo = Sender;
                real.Ask<object>(m, TimeSpan.FromSeconds(10)).ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) replyTo.Tell(t.Result);
                });
            });
        }
    }

    [Fact]
    public async Task An_idempotent_producer_whose_replies_are_lost_retries_without_duplicates_or_reordering()
    {
        var proxyConfig = ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.loglevel = WARNING
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, tcp-reuse-addr = off, maximum-frame-size = 16MiB }
            """).WithFallback(BrokerSerialization.Config);
        using var proxySystem = ActorSystem.Create("akkabroker", proxyConfig);
        var real = await proxySystem.ActorSelection($"akka.tcp://akkabroker@{broker.Bootstrap}/user/broker").ResolveOne(TimeSpan.FromSeconds(10));
        var address = ((ExtendedActorSystem)proxySystem).Provider.DefaultAddress;
        proxySystem.ActorOf(Props.Create(() => new LossyGateway(real, new BrokerInfo(0, address.Host!, address.Port!.Value))), "broker");

        var topic = "lossy-" + Guid.NewGuid().ToString("N")[..8];
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1 }]);

        var config = new ProducerConfig { BootstrapServers = $"{address.Host}:{address.Port}", LingerMs = 5, BatchSize = 2000, RequestTimeoutMs = 1000 };
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => producer.ProduceAsync(topic, new Message<Null, string> { Value = $"v{i}" })));

        Assert.True(producer.Metrics["record-retry-total"] > 0, "replies were dropped, so the producer must have retried");
        Assert.True(LossyGateway.Dropped.Count > 1, "more than one batch should have lost its reply");
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), results.Select(r => r.Offset.Value));

        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = broker.Bootstrap }).Build();
        var tp = new AkkaBroker.Client.TopicPartition(topic, 0);
        Assert.Equal(300, consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value);
        consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
        var values = new List<string>();
        while (values.Count < 300)
        {
            var r = consumer.Consume(TimeSpan.FromSeconds(10));
            Assert.NotNull(r);
            values.Add(r.Message!.Value);
        }
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"v{i}"), values);
    }
}
