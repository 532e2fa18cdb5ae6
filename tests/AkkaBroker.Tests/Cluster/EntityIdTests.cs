using AkkaBroker.Actors.Groups;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Cluster;

/// <summary>Replica and coordinator entity ids name their broker, and their shard is that broker's.</summary>
public class EntityIdTests
{
    [Fact]
    public void A_partition_replica_lives_in_its_brokers_shard_whatever_the_topic_name()
    {
        var extractor = new PartitionMessageExtractor(1);
        Assert.Equal("my-topic-3@1", extractor.EntityId(new DeletePartition(new TopicPartition("my-topic", 3))));
        Assert.Equal("broker-1", extractor.ShardId("my-topic-3@1"));
        Assert.Equal("broker-11", extractor.ShardId("my-topic-3@11"));
        Assert.Equal("broker-2", extractor.ShardId("a-1-2@2"));
        Assert.Equal((new TopicPartition("a-1", 2), 2), PartitionMessageExtractor.ParseEntityId("a-1-2@2"));
        Assert.Throws<ArgumentException>(() => PartitionMessageExtractor.ParseEntityId("no-broker-2"));
    }

    [Fact]
    public void A_group_coordinator_lives_in_its_brokers_shard_even_when_the_group_id_holds_an_at_sign()
    {
        var extractor = new GroupMessageExtractor(1);
        Assert.Equal("team@corp@1", extractor.EntityId(new DescribeGroupRequest("team@corp")));
        Assert.Equal("broker-1", extractor.ShardId("team@corp@1"));
        Assert.Equal("broker-21", extractor.ShardId("team@corp@21"));
        Assert.Equal(("team@corp", 21), GroupMessageExtractor.ParseEntityId("team@corp@21"));
    }
}
