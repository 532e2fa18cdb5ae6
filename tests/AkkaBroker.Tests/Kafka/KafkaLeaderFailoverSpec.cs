using AkkaBroker.Tests.Cluster;
using Xunit;
using Xunit.Abstractions;
using Kafka = Confluent.Kafka;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// Kafka's replication guarantee seen by a real Kafka client: three brokers, each with its Kafka listener, a topic with
/// replication factor 3 and min.insync.replicas 2. The leader of a partition is killed while an idempotent acks=all
/// Confluent.Kafka producer writes; the client finds the new leader through Metadata by itself, and every record it was
/// told is written is there exactly once, in order.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class KafkaLeaderFailoverSpec(ITestOutputHelper output)
{
    private const string Topic = "failover";
    private const int Partitions = 3;
    private const int Records = 1500;

    [Fact]
    public async Task Records_a_kafka_client_was_told_are_written_survive_the_kill_of_their_leader_once_each_and_in_order()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync(extraConfig: "akkabroker.broker.listeners = \"PLAINTEXT://127.0.0.1:0\"");
        var listeners = cluster.Brokers.ToDictionary(b => b.Key, b => b.Value.Node.KafkaBootstrapServer ?? throw new InvalidOperationException($"broker {b.Key} has no Kafka listener"));
        var bootstrap = string.Join(",", listeners.Values);
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = bootstrap }).Build();
        await admin.CreateTopicsAsync([new Kafka.Admin.TopicSpecification
        {
            Name = Topic, NumPartitions = Partitions, ReplicationFactor = 3, Configs = new() { ["min.insync.replicas"] = "2" },
        }]);
        var before = await WaitForPartitionAsync(admin, p => p.Leader > 0 && p.InSyncReplicas.Length == 3, "partition 0 with a leader and three in-sync replicas");
        int oldEpoch;
        await using (var connection = await RawKafkaConnection.ConnectAsync(listeners[before.Leader]))
            oldEpoch = (await connection.PartitionAsync(Topic, 0)).LeaderEpoch;
        output.WriteLine($"partition 0: leader {before.Leader} at epoch {oldEpoch}, replicas {string.Join(",", before.Replicas)}");

        var acknowledged = new List<(int Partition, long Offset, string Value)>();
        var failed = new List<string>();
        using (var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig
               {
                   BootstrapServers = bootstrap, Acks = Kafka.Acks.All, EnableIdempotence = true, LingerMs = 2, MessageTimeoutMs = 90_000,
               }).Build())
        {
            void Report(Kafka.DeliveryReport<string, string> r)
            {
                lock (acknowledged)
                    if (r.Error.IsError) failed.Add($"{r.Message.Value}: {r.Error}");
                    else acknowledged.Add((r.Partition.Value, r.Offset.Value, r.Message.Value));
            }

            Task? kill = null;
            for (var i = 0; i < Records; i++)
            {
                // Each key's records go to one partition, spread over all three: an order to check per partition.
                producer.Produce(new Kafka.TopicPartition(Topic, i % Partitions), new Kafka.Message<string, string> { Key = $"k{i % Partitions}", Value = $"{i}" }, Report);
                if (i == Records / 3)
                {
                    // Some records acknowledged, some in flight, and more to send after the kill.
                    producer.Flush(TimeSpan.FromSeconds(30));
                    kill = cluster.CrashBrokerAsync(before.Leader);
                }
                if (i % 50 == 0) await Task.Yield();
            }
            await kill!;
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(90)));
        }
        output.WriteLine($"acknowledged {acknowledged.Count}, failed {failed.Count}");
        Assert.Empty(failed);
        Assert.Equal(Records, acknowledged.Count);

        var after = await WaitForPartitionAsync(admin, p => p.Leader > 0 && p.Leader != before.Leader, "a new leader for partition 0 in the Kafka listener's metadata");
        Assert.Contains(after.Leader, before.InSyncReplicas);
        Assert.DoesNotContain(before.Leader, after.InSyncReplicas);

        // The election moved the leader epoch on: a client still naming the old one is fenced and told to refresh its
        // metadata, and the new leader says where the old epoch ended in its log (a client validating its position).
        await using (var connection = await RawKafkaConnection.ConnectAsync(listeners[after.Leader]))
        {
            var epoch = (await connection.PartitionAsync(Topic, 0)).LeaderEpoch;
            Assert.True(epoch > oldEpoch, $"leader epoch {epoch} after the election, {oldEpoch} before");
            Assert.Equal((short)Protocol.ErrorCode.FencedLeaderEpoch, (await connection.FetchAsync(Topic, 0, 0, oldEpoch)).ErrorCode);
            var oldEnd = await connection.EpochEndAsync(Topic, 0, epoch, oldEpoch);
            Assert.Equal(0, oldEnd.ErrorCode);
            Assert.Equal(oldEpoch, oldEnd.LeaderEpoch);
            Assert.InRange(oldEnd.EndOffset, 1, acknowledged.Count(a => a.Partition == 0));
        }

        var survivors = string.Join(",", listeners.Where(l => l.Key != before.Leader).Select(l => l.Value));
        for (var p = 0; p < Partitions; p++)
        {
            var expected = acknowledged.Where(a => a.Partition == p).OrderBy(a => a.Offset).Select(a => a.Value).ToList();
            var read = ReadPartition(survivors, p, expected.Count);
            output.WriteLine($"partition {p}: acknowledged {expected.Count}, read {read.Count}");
            // Exactly the acknowledged records, once each, in the order the producer sent them (idempotence kept order through the retries).
            Assert.Equal(expected, read);
            Assert.Equal(expected.Select(int.Parse).Order(), expected.Select(int.Parse));
        }
    }

    [Fact]
    public async Task Records_deleted_on_the_leader_are_deleted_on_its_followers_so_a_new_leader_starts_its_log_at_the_same_offset()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync(extraConfig: "akkabroker.broker.listeners = \"PLAINTEXT://127.0.0.1:0\"");
        var listeners = cluster.Brokers.ToDictionary(b => b.Key, b => b.Value.Node.KafkaBootstrapServer!);
        var bootstrap = string.Join(",", listeners.Values);
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = bootstrap }).Build();
        await admin.CreateTopicsAsync([new Kafka.Admin.TopicSpecification
        {
            Name = Topic, NumPartitions = 1, ReplicationFactor = 3, Configs = new() { ["min.insync.replicas"] = "2" },
        }]);
        var before = await WaitForPartitionAsync(admin, p => p.Leader > 0 && p.InSyncReplicas.Length == 3, "partition 0 with a leader and three in-sync replicas");
        using var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig { BootstrapServers = bootstrap, Acks = Kafka.Acks.All, LingerMs = 0 }).Build();
        for (var i = 0; i < 100; i++) await producer.ProduceAsync(new Kafka.TopicPartition(Topic, 0), new Kafka.Message<string, string> { Key = "k", Value = $"{i}" });

        Assert.Equal(60, Assert.Single(await admin.DeleteRecordsAsync([new Kafka.TopicPartitionOffset(Topic, 0, 60)])).Offset.Value);
        // Each acks=all write needs a fetch from the followers, whose answer carries the leader's new log start: after
        // two, both followers have journaled it.
        for (var i = 100; i < 102; i++) await producer.ProduceAsync(new Kafka.TopicPartition(Topic, 0), new Kafka.Message<string, string> { Key = "k", Value = $"{i}" });

        await cluster.CrashBrokerAsync(before.Leader);
        await WaitForPartitionAsync(admin, p => p.Leader > 0 && p.Leader != before.Leader, "a new leader for partition 0");
        var survivors = string.Join(",", listeners.Where(l => l.Key != before.Leader).Select(l => l.Value));
        using var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig { BootstrapServers = survivors, GroupId = "trim-reader" }).Build();
        var low = await ThreeBrokerCluster.WaitForAsync(() =>
        {
            try
            {
                var marks = consumer.QueryWatermarkOffsets(new Kafka.TopicPartition(Topic, 0), TimeSpan.FromSeconds(5));
                return Task.FromResult(marks.High.Value == 102 ? (object)marks.Low.Value : null);
            }
            catch (Kafka.KafkaException)
            {
                return Task.FromResult<object?>(null); // the new leader is being found
            }
        }, "the new leader's watermarks");
        Assert.Equal(60L, low);
    }

    private static Task<Kafka.PartitionMetadata> WaitForPartitionAsync(Kafka.IAdminClient admin, Func<Kafka.PartitionMetadata, bool> condition, string what) =>
        ThreeBrokerCluster.WaitForAsync(() =>
        {
            try
            {
                var partition = admin.GetMetadata(Topic, TimeSpan.FromSeconds(5)).Topics.Single().Partitions.SingleOrDefault(p => p.PartitionId == 0);
                return Task.FromResult(partition != null && condition(partition) ? partition : null);
            }
            catch (Kafka.KafkaException)
            {
                return Task.FromResult<Kafka.PartitionMetadata?>(null); // leadership is moving
            }
        }, what);

    /// <summary>Every record of the partition from its start, until its end offset; anything past <paramref name="expected"/> is read too (a duplicate would show).</summary>
    private static List<string> ReadPartition(string bootstrap, int partition, int expected)
    {
        using var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig { BootstrapServers = bootstrap, GroupId = "failover-reader", EnableAutoCommit = false, EnablePartitionEof = true }).Build();
        consumer.Assign(new Kafka.TopicPartitionOffset(Topic, partition, Kafka.Offset.Beginning));
        var values = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r == null) continue;
            if (r.IsPartitionEOF)
            {
                if (values.Count >= expected) return values;
                continue;
            }
            values.Add(r.Message.Value);
        }
        throw new TimeoutException($"partition {partition}: read {values.Count} of {expected} records within 60 s");
    }
}
