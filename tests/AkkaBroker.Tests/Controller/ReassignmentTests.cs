using AkkaBroker.Actors.Controller;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Actors.Topics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Controller;

/// <summary>Kafka's partition reassignment as the controller decides it, with no actor: start, completion, cancel, refusals.</summary>
public class ReassignmentTests
{
    private static readonly TopicPartition Tp = new("t", 0);
    private static readonly int[] Live = [1, 2, 3, 4];

    /// <summary>Topic "t", one partition on replicas 1 and 2, led by 1, both in sync.</summary>
    private static ControllerState TwoReplicas()
    {
        var state = new ControllerState();
        state.Apply(new TopicCreated(new TopicState("t", 2, new Dictionary<string, string>(), [new PartitionAssignment(0, [1, 2])])));
        return state;
    }

    private static PartitionAssignment Partition(ControllerState state) => state.Topics["t"].Partitions[0];

    private static List<(TopicPartition, ErrorCode)> Decide(ControllerState state, params PartitionReassignmentTarget[] targets)
    {
        var result = state.DecideReassign(new ReassignPartitionsRequest(targets, 0), Live);
        foreach (var e in result.Events) state.Apply(e);
        return Assert.IsType<ReassignPartitionsResponse>(result.Response).Results.Select(r => (r.TopicPartition, r.Error)).ToList();
    }

    private static void Isr(ControllerState state, params int[] isr)
    {
        var p = Partition(state);
        state.Apply(Assert.Single(state.DecideAlterPartition(new AlterPartitionRequest(Tp, p.Leader, p.LeaderEpoch, p.PartitionEpoch, isr), Live).Events));
    }

    [Fact]
    public void A_reassignment_adds_the_new_replicas_first_and_removes_the_old_ones_once_the_new_are_in_sync()
    {
        var state = TwoReplicas();
        Assert.Equal([(Tp, ErrorCode.None)], Decide(state, new PartitionReassignmentTarget(Tp, [3, 2])));
        var p = Partition(state);
        Assert.Equal([3, 2, 1], p.Replicas); // the target, then the replicas to remove
        Assert.Equal((1, 1), (p.Leader, p.LeaderEpoch)); // a new leadership: every replica hears the replica set
        Assert.Equal([1, 2], p.Isr);
        var ongoing = Assert.Single(state.Reassignments.Values);
        Assert.Equal([3], ongoing.Adding);
        Assert.Equal([1], ongoing.Removing);
        Assert.Equal([3, 2, 1], Assert.Single(state.ListReassignments().Reassignments).Replicas);

        Assert.Empty(state.DecideReassignmentProgress(Live).Events); // 3 not in sync yet
        Isr(state, 1, 2, 3);
        var done = state.DecideReassignmentProgress(Live);
        foreach (var e in done.Events) state.Apply(e);
        p = Partition(state);
        Assert.Equal([3, 2], p.Replicas);
        Assert.Equal([3, 2], p.Isr);
        Assert.Equal((3, 2), (p.Leader, p.LeaderEpoch)); // the old leader was removed: the first in-sync target replica leads
        Assert.Empty(state.Reassignments);
        Assert.Empty(state.DecideReassignmentProgress(Live).Events);
    }

    [Fact]
    public void A_leader_among_the_target_replicas_keeps_leading_when_the_reassignment_completes()
    {
        var state = TwoReplicas();
        Decide(state, new PartitionReassignmentTarget(Tp, [1, 3]));
        Isr(state, 1, 2, 3);
        foreach (var e in state.DecideReassignmentProgress(Live).Events) state.Apply(e);
        Assert.Equal(1, Partition(state).Leader);
        Assert.Equal([1, 3], Partition(state).Replicas);
    }

    [Fact]
    public void Partitions_added_after_a_reassignment_changed_the_replica_count_get_the_new_count()
    {
        var state = TwoReplicas();
        Decide(state, new PartitionReassignmentTarget(Tp, [1, 2, 3]));
        // While it moves, new partitions already get the target's count ...
        var during = Assert.IsType<PartitionsAdded>(Assert.Single(state.DecideCreatePartitions(new CreatePartitionsRequest("t", 2), Live, TestConfigs.Settings()).Events));
        Assert.Equal(3, Assert.Single(during.NewPartitions).Replicas.Count);
        Isr(state, 1, 2, 3);
        foreach (var e in state.DecideReassignmentProgress(Live).Events) state.Apply(e);
        Assert.Empty(state.Reassignments);
        // ... and so they do once it is done.
        var added = Assert.IsType<PartitionsAdded>(Assert.Single(state.DecideCreatePartitions(new CreatePartitionsRequest("t", 3), Live, TestConfigs.Settings()).Events));
        Assert.All(added.NewPartitions, p => Assert.Equal(3, p.Replicas.Count));
    }

    [Fact]
    public void Cancelling_brings_the_original_replicas_back_and_drops_the_added_ones()
    {
        var state = TwoReplicas();
        Decide(state, new PartitionReassignmentTarget(Tp, [3, 4]));
        Assert.Equal([3, 4, 1, 2], Partition(state).Replicas);
        Assert.Equal([(Tp, ErrorCode.None)], Decide(state, new PartitionReassignmentTarget(Tp, null)));
        var p = Partition(state);
        Assert.Equal([1, 2], p.Replicas);
        Assert.Equal((1, 2), (p.Leader, p.LeaderEpoch));
        Assert.Empty(state.Reassignments);
        Assert.Equal([(Tp, ErrorCode.NoReassignmentInProgress)], Decide(state, new PartitionReassignmentTarget(Tp, null)));
    }

    [Fact]
    public void Bad_targets_are_refused_by_partition_and_the_good_ones_go_ahead()
    {
        var state = new ControllerState();
        state.Apply(new TopicCreated(new TopicState("t", 1, new Dictionary<string, string>(),
            [new PartitionAssignment(0, [1]), new PartitionAssignment(1, [2]), new PartitionAssignment(2, [3]), new PartitionAssignment(3, [1])])));
        var results = Decide(state,
            new PartitionReassignmentTarget(new TopicPartition("t", 0), [9]),
            new PartitionReassignmentTarget(new TopicPartition("t", 1), [2, 2]),
            new PartitionReassignmentTarget(new TopicPartition("t", 2), []),
            new PartitionReassignmentTarget(new TopicPartition("gone", 0), [1]),
            new PartitionReassignmentTarget(new TopicPartition("t", 3), [4]),
            new PartitionReassignmentTarget(new TopicPartition("t", 3), [2]));
        Assert.Equal([ErrorCode.InvalidReplicaAssignment, ErrorCode.InvalidReplicaAssignment, ErrorCode.InvalidReplicaAssignment,
            ErrorCode.UnknownTopicOrPartition, ErrorCode.None, ErrorCode.InvalidRequest], results.Select(r => r.Item2));
        Assert.Equal([4, 1], state.Topics["t"].Partitions[3].Replicas);
        Assert.Equal([(new TopicPartition("t", 3), ErrorCode.ReassignmentInProgress)], Decide(state, new PartitionReassignmentTarget(new TopicPartition("t", 3), [2])));
        Assert.Equal(ErrorCode.InvalidRequest, Assert.IsType<ReassignPartitionsResponse>(
            state.DecideReassign(new ReassignPartitionsRequest([new PartitionReassignmentTarget(Tp, [2])], -1), Live).Response).Error);
    }

    [Fact]
    public void Reordering_the_same_replicas_only_changes_the_preferred_leader()
    {
        var state = TwoReplicas();
        Assert.Equal([(Tp, ErrorCode.None)], Decide(state, new PartitionReassignmentTarget(Tp, [2, 1])));
        Assert.Equal([2, 1], Partition(state).Replicas);
        Assert.Equal(0, Partition(state).LeaderEpoch);
        Assert.Empty(state.Reassignments);
    }

    [Fact]
    public void Reassignments_in_progress_survive_a_snapshot_and_end_with_their_topic()
    {
        var state = TwoReplicas();
        var result = state.DecideReassign(new ReassignPartitionsRequest([new PartitionReassignmentTarget(Tp, [3])], 1_000_000), Live);
        foreach (var e in result.Events) state.Apply(e);
        var copy = new ControllerState();
        copy.Restore(state.ToSnapshot());
        Assert.Equal(state.Reassignments[Tp], copy.Reassignments[Tp]);
        Assert.Equal(1_000_000, copy.Reassignments[Tp].ThrottleBytesPerSecond);
        copy.Apply(new TopicDeleted("t"));
        Assert.Empty(copy.Reassignments);
    }

    [Fact]
    public void The_throttle_reaches_only_the_new_replicas_and_paces_their_fetches()
    {
        var config = TopicConfig.WithFollowerThrottle(new Dictionary<string, string>(), 0, [3, 4], 2_000_000);
        Assert.Equal(2_000_000, TopicConfig.FollowerThrottle(config, 0, 3));
        Assert.Equal(0, TopicConfig.FollowerThrottle(config, 0, 2));
        Assert.Equal(0, TopicConfig.FollowerThrottle(config, 1, 3));
        Assert.Equal(0, TopicConfig.FollowerThrottle(new Dictionary<string, string>(), 0, 3));
        // 1 MB copied at 2 MB/s: half a second before the next fetch; nothing to wait for without a throttle.
        Assert.Equal(TimeSpan.FromMilliseconds(500), FollowerRole.ThrottleDelay(1_000_000, 2_000_000));
        Assert.Null(FollowerRole.ThrottleDelay(1_000_000, 0));
        Assert.Null(FollowerRole.ThrottleDelay(1, 2_000_000));
    }

    [Fact]
    public void A_node_is_unregistered_only_once_it_is_stopped_and_holds_no_replicas()
    {
        var state = TwoReplicas();
        foreach (var id in new[] { 1, 2, 3 }) state.Apply(new NodeRegistered(id));
        UnregisterNodeResponse Decide(int id, params int[] live) =>
            Assert.IsType<UnregisterNodeResponse>(state.DecideUnregisterNode(new UnregisterNodeRequest(id), live).Response);

        Assert.Equal(ErrorCode.BrokerIdNotRegistered, Decide(7, 1, 2).Error);
        Assert.Equal(ErrorCode.InvalidRequest, Decide(3, 1, 2, 3).Error);
        var holding = Decide(2, 1, 3);
        Assert.Equal(ErrorCode.InvalidRequest, holding.Error);
        Assert.Contains("still holds replicas of t-0", holding.ErrorMessage);

        var result = state.DecideUnregisterNode(new UnregisterNodeRequest(3), [1, 2]);
        Assert.Equal(ErrorCode.None, Assert.IsType<UnregisterNodeResponse>(result.Response).Error);
        state.Apply(Assert.Single(result.Events));
        Assert.Equal([1, 2], state.RegisteredNodes);
        Assert.Equal(2, state.Quorum);
    }
}
