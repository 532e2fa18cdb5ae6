using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Mirror;

/// <summary>Remote topic names, loop prevention between clusters that mirror each other, and the topics never mirrored.</summary>
public class ReplicationPolicyTests
{
    /// <summary>Mirroring from cluster "A" to cluster "B".</summary>
    private static readonly ReplicationPolicy AToB = ReplicationPolicy.Prefixed("A", "B");

    [Fact]
    public void Identity_keeps_the_topic_name()
    {
        var identity = ReplicationPolicy.Identity();
        Assert.Equal("orders", identity.TargetTopic("orders"));
        Assert.Equal("A.orders", identity.TargetTopic("A.orders"));
        Assert.Equal("IdentityReplicationPolicy", identity.Name);
    }

    [Fact]
    public void Identity_names_never_say_where_a_topic_came_from_so_it_cannot_prevent_loops()
    {
        var identity = ReplicationPolicy.Identity("A", "B");
        Assert.Null(identity.TopicSource("B.orders"));
        Assert.Null(identity.UpstreamTopic("B.orders"));
        Assert.False(identity.IsRemoteTopicOf("B.orders", "B"));
        Assert.True(identity.ShouldMirror("B.orders"));
    }

    [Fact]
    public void Prefixed_puts_the_source_alias_and_the_separator_in_front()
    {
        Assert.Equal("A.orders", AToB.TargetTopic("orders"));
        Assert.Equal("A.C.orders", AToB.TargetTopic("C.orders"));
        Assert.Equal("DefaultReplicationPolicy", AToB.Name);
    }

    [Fact]
    public void Prefixed_takes_a_custom_separator_as_MirrorMaker_2s_replication_policy_separator()
    {
        var policy = ReplicationPolicy.Prefixed("us-west", "us-east", "__");
        Assert.Equal("us-west__orders.v1", policy.TargetTopic("orders.v1"));
        Assert.Equal("us-west", policy.TopicSource("us-west__orders.v1"));
        Assert.Equal("orders.v1", policy.UpstreamTopic("us-west__orders.v1"));
        Assert.Null(policy.TopicSource("orders.v1"));
    }

    [Fact]
    public void A_prefixed_name_says_its_source_cluster_and_its_name_there()
    {
        Assert.Equal("C", AToB.TopicSource("C.orders"));
        Assert.Equal("orders", AToB.UpstreamTopic("C.orders"));
        Assert.Equal("D", AToB.TopicSource("D.C.orders"));
        Assert.Equal("C.orders", AToB.UpstreamTopic("D.C.orders"));
        Assert.Null(AToB.TopicSource("orders"));
        Assert.Null(AToB.UpstreamTopic("orders"));
    }

    [Theory]
    [InlineData(".orders")]
    [InlineData("C.")]
    [InlineData("orders")]
    public void A_name_with_an_empty_alias_or_nothing_after_the_separator_names_no_cluster(string topic)
    {
        Assert.Null(AToB.TopicSource(topic));
    }

    [Fact]
    public void A_topic_is_remote_of_every_cluster_it_passed_through()
    {
        Assert.True(AToB.IsRemoteTopicOf("C.orders", "C"));
        Assert.True(AToB.IsRemoteTopicOf("D.C.orders", "C"));
        Assert.True(AToB.IsRemoteTopicOf("D.C.orders", "D"));
        Assert.False(AToB.IsRemoteTopicOf("D.C.orders", "E"));
        Assert.False(AToB.IsRemoteTopicOf("orders", "C"));
    }

    [Fact]
    public void Two_clusters_mirroring_each_other_do_not_mirror_back_what_came_from_the_other()
    {
        var bToA = ReplicationPolicy.Prefixed("B", "A");
        // A's own topic goes to B as A.orders; B's mirror does not send A.orders back to A.
        Assert.True(AToB.ShouldMirror("orders"));
        Assert.Equal("A.orders", AToB.TargetTopic("orders"));
        Assert.False(bToA.ShouldMirror("A.orders"));
        // Likewise the other way, and through a third cluster.
        Assert.False(AToB.ShouldMirror("B.payments"));
        Assert.False(AToB.ShouldMirror("C.B.payments"));
        Assert.True(AToB.ShouldMirror("C.payments"));
    }

    [Theory]
    [InlineData("__consumer_offsets")]
    [InlineData("__transaction_state")]
    [InlineData("__anything")]
    [InlineData(".hidden")]
    [InlineData("mm2-offset-syncs.B.internal")]
    [InlineData("connect-internal")]
    public void Internal_topics_are_never_mirrored_by_either_policy(string topic)
    {
        Assert.True(ReplicationPolicy.IsInternalTopic(topic));
        Assert.False(AToB.ShouldMirror(topic));
        Assert.False(ReplicationPolicy.Identity().ShouldMirror(topic));
    }

    [Theory]
    [InlineData("orders")]
    [InlineData("_orders")]
    [InlineData("orders.internal.v2")]
    [InlineData("internal")]
    public void Names_that_only_resemble_internal_ones_are_mirrored(string topic)
    {
        Assert.False(ReplicationPolicy.IsInternalTopic(topic));
        Assert.True(ReplicationPolicy.Identity().ShouldMirror(topic));
    }

    [Theory]
    [InlineData("heartbeats")]
    [InlineData("C.heartbeats")]
    [InlineData("D.C.heartbeats")]
    public void The_heartbeats_topic_and_its_mirrored_copies_are_never_mirrored(string topic)
    {
        Assert.True(AToB.IsHeartbeatsTopic(topic));
        Assert.False(AToB.ShouldMirror(topic));
        Assert.False(ReplicationPolicy.Identity().ShouldMirror(topic));
    }

    [Fact]
    public void Only_the_heartbeats_name_itself_counts_as_heartbeats_not_a_name_ending_with_it()
    {
        Assert.False(AToB.IsHeartbeatsTopic("myheartbeats"));
        Assert.True(AToB.ShouldMirror("myheartbeats"));
    }

    [Fact]
    public void Heartbeats_arrive_on_the_target_under_the_source_alias_whatever_the_policy()
    {
        Assert.Equal("A.heartbeats", AToB.TargetTopic("heartbeats"));
        Assert.Equal("source.heartbeats", ReplicationPolicy.Identity().TargetTopic("heartbeats"));
        Assert.Equal("west.heartbeats", ReplicationPolicy.Identity("west").TargetTopic("heartbeats"));
        Assert.Equal("orders", ReplicationPolicy.Identity("west").TargetTopic("orders"));
    }

    [Fact]
    public void The_heartbeats_topic_name_can_be_changed()
    {
        var policy = ReplicationPolicy.Prefixed("A", "B", heartbeatsTopic: "mm-heartbeats");
        Assert.False(policy.ShouldMirror("mm-heartbeats"));
        Assert.False(policy.ShouldMirror("C.mm-heartbeats"));
        Assert.True(policy.ShouldMirror("heartbeats"));
    }

    [Theory]
    [InlineData("", "B", ".")]
    [InlineData("A", "", ".")]
    [InlineData("us.west", "B", ".")]
    [InlineData("A", "us.east", ".")]
    [InlineData("A", "A", ".")]
    [InlineData("A", "B", "")]
    public void A_prefixed_policy_refuses_aliases_its_names_could_not_be_read_back_by(string source, string target, string separator)
    {
        Assert.ThrowsAny<ArgumentException>(() => ReplicationPolicy.Prefixed(source, target, separator));
    }
}
