using Akka.Actor;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Actors.Topics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using Xunit;

namespace AkkaBroker.Tests.Controller;

/// <summary>Dynamic broker configs as the controller decides and applies them, with no actor.</summary>
public class BrokerConfigsTests
{
    private static readonly TopicPartition Tp = new("t", 0);

    /// <summary>Nodes 1-3 registered; topic "t" with one partition on replicas 1 and 2, and a retention override on "kept".</summary>
    private static ControllerState Cluster()
    {
        var state = new ControllerState();
        foreach (var node in new[] { 1, 2, 3 }) state.Apply(new NodeRegistered(node));
        state.Apply(new TopicCreated(new TopicState("t", 2, new Dictionary<string, string>(), [new PartitionAssignment(0, [1, 2])])));
        state.Apply(new TopicCreated(new TopicState("kept", 1, new Dictionary<string, string> { ["retention.ms"] = "42" }, [new PartitionAssignment(0, [1])])));
        return state;
    }

    private static AlterBrokerConfigsRequest Set(string broker, string key, string value) => new(broker, new Dictionary<string, string> { [key] = value }, [], false);

    /// <summary>Decides and applies; returns the answer.</summary>
    private static AlterBrokerConfigsResponse Alter(ControllerState state, AlterBrokerConfigsRequest request)
    {
        var result = state.DecideAlterBrokerConfigs(request);
        foreach (var e in result.Events) state.Apply(e);
        return Assert.IsType<AlterBrokerConfigsResponse>(result.Response);
    }

    private static AlterBrokerConfigsResponse Refused(ControllerState state, AlterBrokerConfigsRequest request)
    {
        var result = state.DecideAlterBrokerConfigs(request);
        Assert.Empty(result.Events);
        var response = Assert.IsType<AlterBrokerConfigsResponse>(result.Response);
        Assert.NotEqual(ErrorCode.None, response.Error);
        return response;
    }

    [Fact]
    public void A_cluster_wide_default_changes_every_topic_without_an_override_and_is_described_as_such()
    {
        var state = Cluster();
        var settings = TestConfigs.Settings();
        Assert.Equal(ErrorCode.None, Alter(state, Set("", "log.retention.ms", "3600000")).Error);

        Assert.Equal("3600000", state.EffectiveTopicConfig(state.Topics["t"], settings)["retention.ms"]);
        Assert.Equal("42", state.EffectiveTopicConfig(state.Topics["kept"], settings)["retention.ms"]);
        var described = state.DescribeConfigs(new DescribeConfigsRequest("t"), settings).Entries;
        Assert.Equal(new ConfigEntry("retention.ms", "3600000", IsDefault: true, IsDynamicDefault: true), described.Single(e => e.Name == "retention.ms"));
        Assert.Equal(new ConfigEntry("segment.bytes", settings.DefaultTopicConfig["segment.bytes"], IsDefault: true), described.Single(e => e.Name == "segment.bytes"));

        var broker = state.DescribeBrokerConfigs(new DescribeBrokerConfigsRequest("2"), settings);
        Assert.Equal(new BrokerConfigEntry("log.retention.ms", "3600000", BrokerConfigSource.DynamicDefault), broker.Entries.Single(e => e.Name == "log.retention.ms"));
        Assert.Equal(new BrokerConfigEntry("log.segment.bytes", settings.DefaultTopicConfig["segment.bytes"], BrokerConfigSource.Default),
            broker.Entries.Single(e => e.Name == "log.segment.bytes"));

        // Removing it returns topics to the configured default, and the entity goes.
        Assert.Equal(ErrorCode.None, Alter(state, new AlterBrokerConfigsRequest("", new Dictionary<string, string>(), ["log.retention.ms"], false)).Error);
        Assert.Equal(settings.DefaultTopicConfig["retention.ms"], state.EffectiveTopicConfig(state.Topics["t"], settings)["retention.ms"]);
        Assert.Empty(state.BrokerConfigs);
    }

    [Fact]
    public void A_reassignment_copies_at_the_rate_of_the_new_replicas_broker_then_the_default_then_its_own()
    {
        var state = Cluster();
        var started = state.DecideReassign(new ReassignPartitionsRequest([new PartitionReassignmentTarget(Tp, [3, 2])], 1_000), [1, 2, 3]);
        foreach (var e in started.Events) state.Apply(e);
        var topicConfig = new Dictionary<string, string>();
        long Rate(int broker) => TopicConfig.FollowerThrottle(state.ReplicaConfig(topicConfig, Tp, broker), Tp.Partition, broker);

        Assert.Equal(1_000, Rate(3));
        Alter(state, Set("", "follower.replication.throttled.rate", "5000"));
        Assert.Equal(5_000, Rate(3));
        Alter(state, Set("3", "follower.replication.throttled.rate", "70000"));
        Assert.Equal(70_000, Rate(3));
        // Only the new replica is throttled; a partition not being moved gets the topic's config as it is.
        Assert.Equal(0, Rate(2));
        Assert.Same(topicConfig, state.ReplicaConfig(topicConfig, new TopicPartition("kept", 0), 1));

        var described = state.DescribeBrokerConfigs(new DescribeBrokerConfigsRequest("3"), TestConfigs.Settings()).Entries;
        Assert.Equal(new BrokerConfigEntry("follower.replication.throttled.rate", "70000", BrokerConfigSource.DynamicBroker),
            described.Single(e => e.Name == "follower.replication.throttled.rate"));
    }

    [Theory]
    [InlineData("2", "log.retention.ms", "1000", ErrorCode.InvalidConfig, "cluster-wide default")]
    [InlineData("", "num.partitions", "5", ErrorCode.InvalidConfig, "akkabroker.broker.num.partitions) and restart")]
    [InlineData("", "log.retention.msec", "5", ErrorCode.InvalidConfig, "did you mean log.retention.ms?")]
    [InlineData("", "leader.replication.throttled.rate", "5", ErrorCode.InvalidConfig, "set follower.replication.throttled.rate")]
    [InlineData("", "log.retention.ms", "soon", ErrorCode.InvalidConfig, "log.retention.ms: it must be a whole number of milliseconds")]
    [InlineData("1", "follower.replication.throttled.rate", "0", ErrorCode.InvalidConfig, "at least 1")]
    [InlineData("9", "follower.replication.throttled.rate", "10", ErrorCode.InvalidRequest, "Broker 9 is not a member of this cluster; its members are 1,2,3")]
    [InlineData("one", "follower.replication.throttled.rate", "10", ErrorCode.InvalidRequest, "not a node id")]
    public void Bad_changes_are_refused_naming_the_problem_and_change_nothing(string broker, string key, string value, ErrorCode code, string says)
    {
        var state = Cluster();
        var refused = Refused(state, Set(broker, key, value));
        Assert.Equal(code, refused.Error);
        Assert.Contains(says, refused.ErrorMessage);
        Assert.Empty(state.BrokerConfigs);
    }

    [Fact]
    public void Validate_only_and_a_change_to_the_same_values_record_nothing()
    {
        var state = Cluster();
        Assert.Equal(ErrorCode.None, Assert.IsType<AlterBrokerConfigsResponse>(state.DecideAlterBrokerConfigs(Set("", "log.retention.ms", "1") with { ValidateOnly = true }).Response).Error);
        Assert.Empty(state.DecideAlterBrokerConfigs(Set("", "log.retention.ms", "1") with { ValidateOnly = true }).Events);
        Alter(state, Set("", "log.retention.ms", "1"));
        var again = state.DecideAlterBrokerConfigs(Set("", "log.retention.ms", " 1 "));
        Assert.Empty(again.Events);
        Assert.Equal(ErrorCode.None, Assert.IsType<AlterBrokerConfigsResponse>(again.Response).Error);
    }

    [Fact]
    public void Kafkas_spellings_are_taken_as_the_brokers_own()
    {
        var state = Cluster();
        Alter(state, new AlterBrokerConfigsRequest("", new Dictionary<string, string>
        {
            ["log.retention.hours"] = "2", ["log.roll.hours"] = "1", ["unclean.leader.election.enable"] = "TRUE",
        }, [], false));
        Assert.Equal(new Dictionary<string, string> { ["log.retention.ms"] = "7200000", ["log.roll.ms"] = "3600000", ["unclean.leader.election.enable"] = "true" },
            state.BrokerConfigs[""]);
        Alter(state, new AlterBrokerConfigsRequest("", new Dictionary<string, string>(), ["log.retention.hours"], false));
        Assert.False(state.BrokerConfigs[""].ContainsKey("log.retention.ms"));
        Assert.Contains("it sets log.retention.ms", Refused(state, Set("", "log.retention.minutes", "soon")).ErrorMessage);

        // A broker id with a leading zero names the same broker.
        Alter(state, Set("03", "follower.replication.throttled.rate", "7"));
        Assert.Equal(7, state.FollowerThrottleRate(3, 1));
    }

    [Fact]
    public void Replace_makes_the_given_configs_the_whole_set()
    {
        var state = Cluster();
        Alter(state, new AlterBrokerConfigsRequest("", new Dictionary<string, string> { ["log.retention.ms"] = "1", ["log.segment.bytes"] = "1000" }, [], false));
        Alter(state, new AlterBrokerConfigsRequest("", new Dictionary<string, string> { ["log.segment.bytes"] = "2000" }, [], false, Replace: true));
        Assert.Equal(new Dictionary<string, string> { ["log.segment.bytes"] = "2000" }, state.BrokerConfigs[""]);
    }

    [Fact]
    public void The_configs_of_a_node_unregistered_since_can_still_be_described_and_removed()
    {
        var state = Cluster();
        Alter(state, Set("3", "follower.replication.throttled.rate", "9"));
        state.Apply(new NodeUnregistered(3));
        Assert.Equal(ErrorCode.None, state.DescribeBrokerConfigs(new DescribeBrokerConfigsRequest("3"), TestConfigs.Settings()).Error);
        Assert.Contains("can be removed, not set", Refused(state, Set("3", "follower.replication.throttled.rate", "10")).ErrorMessage);
        Alter(state, new AlterBrokerConfigsRequest("3", new Dictionary<string, string>(), ["follower.replication.throttled.rate"], false));
        Assert.Empty(state.BrokerConfigs);
        // Gone for good now: it is described with the defaults (as a broker not registered yet is), and nothing can be set for it.
        var described = state.DescribeBrokerConfigs(new DescribeBrokerConfigsRequest("3"), TestConfigs.Settings());
        Assert.Equal(ErrorCode.None, described.Error);
        Assert.DoesNotContain(described.Entries, e => e.Source == BrokerConfigSource.DynamicBroker);
        Assert.Contains("Broker 3 is not a member of this cluster; its members are 1,2", Refused(state, Set("3", "follower.replication.throttled.rate", "10")).ErrorMessage);
    }

    [Fact]
    public void Dynamic_configs_survive_a_snapshot_through_the_serializer()
    {
        var state = Cluster();
        Alter(state, Set("", "log.cleanup.policy", "compact"));
        Alter(state, Set("2", "follower.replication.throttled.rate", "123"));
        using var system = ActorSystem.Create("snapshot", BrokerSerialization.Config);
        var serializer = system.Serialization.FindSerializerFor(state.ToSnapshot());
        var bytes = serializer.ToBinary(state.ToSnapshot());
        var manifest = ((Akka.Serialization.SerializerWithStringManifest)serializer).Manifest(state.ToSnapshot());
        var copy = new ControllerState();
        copy.Restore((ControllerSnapshot)system.Serialization.Deserialize(bytes, serializer.Identifier, manifest));
        Assert.Equal("compact", copy.BrokerConfigs[""]["log.cleanup.policy"]);
        Assert.Equal("123", copy.BrokerConfigs["2"]["follower.replication.throttled.rate"]);
        Assert.Equal("compact", copy.EffectiveTopicConfig(copy.Topics["t"], TestConfigs.Settings())["cleanup.policy"]);
    }
}
