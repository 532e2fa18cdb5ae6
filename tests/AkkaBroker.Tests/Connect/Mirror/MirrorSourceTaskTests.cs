using AkkaBroker.Client;
using AkkaBroker.Connect;
using AkkaBroker.Connect.Mirror;
using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Connect.Mirror;

/// <summary>
/// The pure parts of the MirrorSourceConnector and its tasks: partitions dealt to tasks, Kafka's encoding of them, the
/// source partition and offset maps, where a task starts, and the heartbeat record.
/// </summary>
public sealed class MirrorSourceTaskTests
{
    private static TopicPartition Tp(string topic, int partition) => new(topic, partition);

    [Fact]
    public void Partitions_are_dealt_round_robin_to_at_most_tasks_max_tasks()
    {
        TopicPartition[] partitions = [Tp("a", 0), Tp("a", 1), Tp("a", 2), Tp("b", 0), Tp("b", 1)];

        var split = MirrorSourceConnector.SplitPartitions(partitions, 2);

        Assert.Equal([[Tp("a", 0), Tp("a", 2), Tp("b", 1)], [Tp("a", 1), Tp("b", 0)]], split);
        Assert.Equal(5, MirrorSourceConnector.SplitPartitions(partitions, 8).Count);
        Assert.All(MirrorSourceConnector.SplitPartitions(partitions, 8), s => Assert.Single(s));
        Assert.Empty(MirrorSourceConnector.SplitPartitions([], 3));
    }

    [Fact]
    public void Assigned_partitions_are_encoded_as_kafka_does_and_read_back_with_dashes_in_topic_names()
    {
        TopicPartition[] partitions = [Tp("orders", 0), Tp("my-topic-2", 11)];

        var text = MirrorSourceConnector.EncodePartitions(partitions);

        Assert.Equal("orders-0,my-topic-2-11", text);
        Assert.Equal(partitions, MirrorSourceConnector.DecodePartitions(text));
        Assert.Throws<AkkaBroker.Connect.Config.ConfigException>(() => MirrorSourceConnector.DecodePartitions("orders"));
    }

    [Fact]
    public void The_source_partition_names_cluster_topic_and_partition_and_the_offset_is_the_record_offset()
    {
        Assert.Equal(new Dictionary<string, object?> { ["cluster"] = "us", ["topic"] = "orders", ["partition"] = 3 },
            MirrorSourceTask.SourcePartition("us", Tp("orders", 3)));
        Assert.Equal(new Dictionary<string, object?> { ["offset"] = 41L }, MirrorSourceTask.SourceOffset(41));
    }

    [Fact]
    public void A_task_starts_after_the_stored_offset_or_at_the_beginning()
    {
        Assert.Equal(new Offset(42), MirrorSourceTask.StartOffset(new Dictionary<string, object?> { ["offset"] = 41L }, Tp("orders", 0)));
        Assert.Equal(Offset.Beginning, MirrorSourceTask.StartOffset(null, Tp("orders", 0)));
        var e = Assert.Throws<ConnectException>(() => MirrorSourceTask.StartOffset(new Dictionary<string, object?> { ["offset"] = "x" }, Tp("orders", 0)));
        Assert.Contains("orders", e.Message);
    }

    [Fact]
    public void A_heartbeat_record_carries_kafkas_partition_map_and_the_mirror_makers_heartbeat()
    {
        var record = MirrorHeartbeatTask.Record("us", "eu", "heartbeats", 1_700_000_000_123);

        Assert.Equal(new Dictionary<string, object?> { ["sourceClusterAlias"] = "us", ["targetClusterAlias"] = "eu" }, record.SourcePartition);
        Assert.Equal("heartbeats", record.Topic);
        Assert.Equal(0, record.KafkaPartition);
        Assert.Equal("us->eu", System.Text.Encoding.UTF8.GetString((byte[])record.Key!));
        Assert.Equal(1_700_000_000_123, Heartbeat.TimestampOf((byte[])record.Value!));
    }
}
