using AkkaBroker.Actors.Controller;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Controller;

public class ControllerStateTests
{
    private static readonly IReadOnlyList<int> OneBroker = [0];
    private static readonly Dictionary<string, string> NoConfig = new();

    /// <summary>The answer of a decision that records nothing.</summary>
    private static TopicOperationResponse Refusal(ControllerResult r)
    {
        Assert.Empty(r.Events);
        return Assert.IsType<TopicOperationResponse>(r.Response);
    }

    /// <summary>The one event a topic operation records; it is answered with success once recorded.</summary>
    private static T Recorded<T>(ControllerResult r, string topic)
    {
        var e = Assert.IsType<T>(Assert.Single(r.Events));
        Assert.Equal(new TopicOperationResponse(topic, ErrorCode.None, null), r.Response);
        return e;
    }

    private static ControllerState WithTopic(string name, int partitions = 3)
    {
        var state = new ControllerState();
        var r = state.DecideCreate(new CreateTopicRequest(name, partitions, 1, NoConfig, false), TestConfigs.Settings(), OneBroker);
        state.Apply(Recorded<TopicCreated>(r, name));
        return state;
    }

    [Fact]
    public void Creating_a_topic_assigns_every_partition_to_the_broker()
    {
        var state = WithTopic("orders", 3);
        var topic = state.Topics["orders"];
        Assert.Equal([0, 1, 2], topic.Partitions.Select(p => p.Partition));
        Assert.All(topic.Partitions, p => Assert.Equal([0], p.Replicas));
    }

    [Fact]
    public void A_replication_factor_above_the_broker_count_is_invalid_replication_factor()
    {
        var r = Refusal(new ControllerState().DecideCreate(new CreateTopicRequest("t", 1, 2, NoConfig, false), TestConfigs.Settings(), OneBroker));
        Assert.Equal(ErrorCode.InvalidReplicationFactor, r.Error);
        Assert.Contains("larger than available brokers: 1", r.ErrorMessage);
    }

    [Fact]
    public void Partitions_spread_their_leaders_evenly_over_the_live_brokers()
    {
        var state = new ControllerState();
        var r = state.DecideCreate(new CreateTopicRequest("spread", 6, 1, NoConfig, false), TestConfigs.Settings(), [3, 1, 2]);
        var topic = Recorded<TopicCreated>(r, "spread").Topic;
        var leaders = topic.Partitions.Select(p => p.Replicas.Single()).ToArray();
        Assert.All(new[] { 1, 2, 3 }, b => Assert.Equal(2, leaders.Count(l => l == b)));
    }

    [Fact]
    public void A_majority_of_the_registered_brokers_is_the_quorum_and_survives_a_snapshot()
    {
        var state = new ControllerState();
        Assert.Equal(1, state.Quorum); // a new cluster: this broker alone
        foreach (var b in new[] { 1, 2, 3 }) state.Apply(new NodeRegistered(b));
        Assert.Equal(2, state.Quorum);
        var restored = new ControllerState();
        restored.Restore(state.ToSnapshot());
        Assert.Equal([1, 2, 3], restored.RegisteredNodes);
        Assert.Equal(2, restored.Quorum);
    }

    [Fact]
    public void Groups_are_placed_with_kafkas_formula()
    {
        // Java: Utils.abs("my-group".hashCode()) % 50 == 12 ("my-group".hashCode() is -1906497762).
        Assert.Equal(12, ControllerState.OffsetsPartitionFor("my-group", 50));
        Assert.Equal(0, ControllerState.OffsetsPartitionFor("", 50));
    }

    [Fact]
    public void A_replicated_topic_puts_each_partitions_replicas_on_distinct_brokers_led_by_the_first_and_all_in_sync()
    {
        var partitions = Recorded<TopicCreated>(
            new ControllerState().DecideCreate(new CreateTopicRequest("t", 6, 3, NoConfig, false), TestConfigs.Settings(), [1, 2, 3]), "t").Topic.Partitions;
        Assert.All(partitions, p =>
        {
            Assert.Equal(3, p.Replicas.Distinct().Count());
            Assert.Equal(p.Replicas[0], p.Leader);
            Assert.Equal(p.Replicas, p.Isr);
            Assert.Equal((0, 0), (p.LeaderEpoch, p.PartitionEpoch));
        });
        // Leaders spread evenly: two partitions each.
        Assert.All(new[] { 1, 2, 3 }, b => Assert.Equal(2, partitions.Count(p => p.Leader == b)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    [InlineData("ünïcode")]
    public void Illegal_topic_names_are_invalid_topic_exception(string name)
    {
        var r = Refusal(new ControllerState().DecideCreate(new CreateTopicRequest(name, 1, 1, NoConfig, false), TestConfigs.Settings(), OneBroker));
        Assert.Equal(ErrorCode.InvalidTopicException, r.Error);
    }

    [Fact]
    public void A_topic_name_longer_than_249_characters_is_refused()
    {
        var r = Refusal(new ControllerState().DecideCreate(new CreateTopicRequest(new string('a', 250), 1, 1, NoConfig, false), TestConfigs.Settings(), OneBroker));
        Assert.Equal(ErrorCode.InvalidTopicException, r.Error);
        Assert.Contains("249", r.ErrorMessage);
    }

    [Fact]
    public void Names_differing_only_by_dot_and_underscore_collide()
    {
        var r = Refusal(WithTopic("a.b").DecideCreate(new CreateTopicRequest("a_b", 1, 1, NoConfig, false), TestConfigs.Settings(), OneBroker));
        Assert.Equal(ErrorCode.InvalidTopicException, r.Error);
        Assert.Contains("collides", r.ErrorMessage);
    }

    [Fact]
    public void Creating_an_existing_topic_is_topic_already_exists()
    {
        Assert.Equal(ErrorCode.TopicAlreadyExists,
            Refusal(WithTopic("t").DecideCreate(new CreateTopicRequest("t", 1, 1, NoConfig, false), TestConfigs.Settings(), OneBroker)).Error);
    }

    [Fact]
    public void Invalid_config_values_are_refused_naming_key_value_and_what_is_allowed()
    {
        var r = Refusal(new ControllerState().DecideCreate(
            new CreateTopicRequest("t", 1, 1, new Dictionary<string, string> { ["cleanup.policy"] = "shred" }, false), TestConfigs.Settings(), OneBroker));
        Assert.Equal(ErrorCode.InvalidConfig, r.Error);
        Assert.Contains("'shred'", r.ErrorMessage);
        Assert.Contains("cleanup.policy", r.ErrorMessage);
        Assert.Contains("delete", r.ErrorMessage);
    }

    [Fact]
    public void Validate_only_creates_nothing()
    {
        var state = new ControllerState();
        var r = Refusal(state.DecideCreate(new CreateTopicRequest("t", 1, 1, NoConfig, true), TestConfigs.Settings(), OneBroker));
        Assert.Equal(ErrorCode.None, r.Error);
        Assert.Empty(state.Topics);
    }

    [Fact]
    public void Partitions_can_only_grow()
    {
        var state = WithTopic("t", 3);
        Assert.Equal(ErrorCode.InvalidPartitions, Refusal(state.DecideCreatePartitions(new CreatePartitionsRequest("t", 3), OneBroker, TestConfigs.Settings())).Error);
        var added = Recorded<PartitionsAdded>(state.DecideCreatePartitions(new CreatePartitionsRequest("t", 5), OneBroker, TestConfigs.Settings()), "t");
        Assert.Equal([3, 4], added.NewPartitions.Select(p => p.Partition));
        state.Apply(added);
        Assert.Equal(5, state.Topics["t"].Partitions.Count);
    }

    [Fact]
    public void Altering_configs_sets_and_removes_overrides_and_describe_marks_defaults()
    {
        var state = WithTopic("t");
        state.Apply(Recorded<TopicConfigsChanged>(state.DecideAlterConfigs(
            new AlterConfigsRequest("t", new Dictionary<string, string> { ["retention.ms"] = "1000" }, [])), "t"));
        var described = state.DescribeConfigs(new DescribeConfigsRequest("t"), TestConfigs.Settings());
        var retention = described.Entries.Single(e => e.Name == "retention.ms");
        Assert.Equal("1000", retention.Value);
        Assert.False(retention.IsDefault);
        Assert.True(described.Entries.Single(e => e.Name == "cleanup.policy").IsDefault);

        state.Apply(Recorded<TopicConfigsChanged>(state.DecideAlterConfigs(
            new AlterConfigsRequest("t", new Dictionary<string, string>(), ["retention.ms"])), "t"));
        Assert.Empty(state.Topics["t"].ConfigOverrides);
        Assert.Equal(ErrorCode.InvalidConfig,
            Refusal(state.DecideAlterConfigs(new AlterConfigsRequest("t", new Dictionary<string, string> { ["segment.bytes"] = "1" }, []))).Error);
    }

    [Fact]
    public void Partitions_the_cluster_metadata_could_not_hold_are_refused_before_they_are_placed()
    {
        var settings = TestConfigs.Settings();
        var huge = Refusal(new ControllerState().DecideCreate(new CreateTopicRequest("huge", int.MaxValue, 1, NoConfig, false), settings, OneBroker));
        Assert.Equal(ErrorCode.PolicyViolation, huge.Error);
        Assert.Contains("2,147,483,647 partitions of replication factor 1 need at least", huge.ErrorMessage);
        var grow = Refusal(WithTopic("t").DecideCreatePartitions(new CreatePartitionsRequest("t", int.MaxValue), OneBroker, settings));
        Assert.Equal(ErrorCode.PolicyViolation, grow.Error);
    }

    [Fact]
    public void A_change_that_would_grow_the_state_past_its_limit_is_named_with_the_sizes_and_leadership_changes_never_are()
    {
        var state = WithTopic("t", 3);
        var created = state.DecideCreate(new CreateTopicRequest("more", 50, 1, NoConfig, false), TestConfigs.Settings(), OneBroker);
        var next = state.Clone();
        foreach (var e in created.Events) next.Apply(e);
        var size = AkkaBroker.Protocol.Serialization.BrokerSerializer.Encode(next.ToSnapshot()).Length;
        Assert.Null(ControllerState.SizeProblem(state, next, created.Events, size));
        Assert.Contains(FormattableString.Invariant($"the cluster metadata would be {size:N0} bytes (counting every replica back in sync), past the {size - 1:N0} it may hold"),
            ControllerState.SizeProblem(state, next, created.Events, size - 1));

        // A leadership change is recorded whatever the size: the limit leaves room for them.
        IReadOnlyList<object> leadership = [new LeadershipChanged([("t", state.Topics["t"].Partitions[0])], [])];
        Assert.Null(ControllerState.SizeProblem(state, state, leadership, 1));
        // A change that leaves the state smaller than it was passes over the limit, so a state that is too large can shrink.
        Assert.Null(ControllerState.SizeProblem(next, state, created.Events, 1));

        // Replicas out of sync count as if back in their ISR (4 bytes each), since that change is never refused.
        var lagging = new ControllerState();
        IReadOnlyList<object> withLaggards = [new TopicCreated(new TopicState("l", 3, NoConfig, [new PartitionAssignment(0, [1, 2, 3], 1, 1, [1], 1)]))];
        foreach (var e in withLaggards) lagging.Apply(e);
        var encoded = AkkaBroker.Protocol.Serialization.BrokerSerializer.Encode(lagging.ToSnapshot()).Length;
        Assert.NotNull(ControllerState.SizeProblem(new ControllerState(), lagging, withLaggards, encoded + 7));
        Assert.Null(ControllerState.SizeProblem(new ControllerState(), lagging, withLaggards, encoded + 8));
    }

    [Fact]
    public void Deleting_an_unknown_topic_is_unknown_topic_or_partition()
    {
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, Refusal(new ControllerState().DecideDelete(new DeleteTopicRequest("nope"))).Error);
    }

    [Fact]
    public void Deleting_a_topic_records_its_deletion_and_answers_once_recorded()
    {
        var state = WithTopic("t");
        state.Apply(Recorded<TopicDeleted>(state.DecideDelete(new DeleteTopicRequest("t")), "t"));
        Assert.Empty(state.Topics);
    }

    [Fact]
    public void Groups_an_older_version_listed_are_read_back_and_kept_as_they_are()
    {
        // Older versions kept every group here, so this state grew with the groups: they are read back to start their coordinators.
        var state = new ControllerState();
        state.Apply(new GroupRegistered("a"));
        state.Apply(new GroupRegistered("b"));
        state.Apply(new GroupUnregistered("a"));
        Assert.Equal(["b"], state.LegacyGroups);
        var restored = new ControllerState();
        restored.Restore(state.ToSnapshot());
        Assert.Equal(["b"], restored.LegacyGroups);
        Assert.Equal(["b"], restored.Clone().ToSnapshot().Groups);
    }

    [Fact]
    public void The_offsets_topic_is_refused_with_the_reason_until_enough_brokers_are_live_then_recorded_once()
    {
        var state = new ControllerState();
        var refused = state.DecideOffsetsTopic(50, 3, [1, 2]);
        Assert.Empty(refused.Events);
        var answer = Assert.IsType<FindCoordinatorResponse>(refused.Response);
        Assert.Equal(ErrorCode.CoordinatorNotAvailable, answer.Error);
        Assert.Contains("offsets.topic.replication.factor", answer.ErrorMessage);

        var created = state.DecideOffsetsTopic(50, 3, [1, 2, 3]);
        var topic = Assert.IsType<TopicCreated>(Assert.Single(created.Events)).Topic;
        Assert.Null(created.Response); // the coordinator is read from the recorded state
        Assert.Equal((ControllerState.OffsetsTopic, (short)3, 50), (topic.Name, topic.ReplicationFactor, topic.Partitions.Count));
        Assert.Equal("compact", topic.ConfigOverrides["cleanup.policy"]);
        state.Apply(created.Events[0]);

        var exists = state.DecideOffsetsTopic(50, 3, [1, 2, 3]);
        Assert.Empty(exists.Events);
        Assert.Null(exists.Response);
    }

    [Fact]
    public void Producer_ids_are_unique_across_blocks_and_restarts()
    {
        var state = new ControllerState();
        var seen = new HashSet<long>();
        var events = new List<object>();
        long Next(ControllerState s) => Assert.IsType<InitProducerIdResponse>(s.DecideProducerId().Response).ProducerId;
        for (var i = 0; i < 2500; i++)
        {
            var result = state.DecideProducerId();
            if (result.Response is not InitProducerIdResponse answer)
            {
                // A used-up block: the next one is recorded first, with nothing to answer until it is.
                var allocate = Assert.IsType<ProducerIdsAllocated>(Assert.Single(result.Events));
                state.Apply(allocate);
                events.Add(allocate);
                answer = Assert.IsType<InitProducerIdResponse>(state.DecideProducerId().Response);
            }
            else Assert.Empty(result.Events);
            Assert.True(seen.Add(answer.ProducerId), $"producer id {answer.ProducerId} was handed out twice");
        }
        // Recovery replays the allocations; ids of the block in force are skipped, never reused.
        var recovered = new ControllerState();
        foreach (var e in events) recovered.Apply(e);
        recovered.OnRecoveryCompleted();
        recovered.Apply(Assert.Single(recovered.DecideProducerId().Events));
        Assert.DoesNotContain(Next(recovered), seen);
    }

    [Fact]
    public void Snapshot_restores_topics()
    {
        var state = WithTopic("t", 4);
        var restored = new ControllerState();
        restored.Restore(state.ToSnapshot());
        Assert.Equal(4, restored.Topics["t"].Partitions.Count);
    }
}
