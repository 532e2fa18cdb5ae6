using AkkaBroker.Actors.Controller;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Controller;

/// <summary>Kafka's leader elections and ISR changes as the controller decides them, with no actor.</summary>
public class LeaderElectionTests
{
    private static readonly Func<TopicState, bool> Clean = _ => false;
    private static readonly Func<TopicState, bool> Unclean = _ => true;

    /// <summary>One topic "t" with one partition: replicas 1, 2, 3 in that order, led by 1, all in sync.</summary>
    private static ControllerState ThreeReplicas(PartitionAssignment? partition = null)
    {
        var state = new ControllerState();
        state.Apply(new TopicCreated(new TopicState("t", 3, new Dictionary<string, string>(), [partition ?? new PartitionAssignment(0, [1, 2, 3])])));
        return state;
    }

    private static PartitionAssignment Partition(ControllerState state) => state.Topics["t"].Partitions[0];

    /// <summary>The one leadership change a decision records; elections and corrupt-replica reports answer nobody.</summary>
    private static LeadershipChanged Change(ControllerResult result)
    {
        var change = Assert.IsType<LeadershipChanged>(Assert.Single(result.Events));
        Assert.Null(result.Response);
        return change;
    }

    /// <summary>A decision that changes nothing: no events to record, and nobody to answer.</summary>
    private static void AssertNothing(ControllerResult result)
    {
        Assert.Empty(result.Events);
        Assert.Null(result.Response);
    }

    private static PartitionAssignment Elect(ControllerState state, int[] live, Func<TopicState, bool>? unclean = null)
    {
        state.Apply(Change(state.DecideElections(live, unclean ?? Clean)));
        return Partition(state);
    }

    [Fact]
    public void An_election_while_every_replica_is_live_records_no_events()
    {
        var state = ThreeReplicas();
        var before = Partition(state);
        AssertNothing(state.DecideElections([1, 2, 3], Clean));
        AssertNothing(state.DecideElections([1, 2, 3], Unclean));
        AssertNothing(state.DecidePreferredLeaders([1, 2, 3]));
        Assert.Same(before, Partition(state)); // deciding never changes the state
    }

    [Fact]
    public void A_dead_leader_is_replaced_by_the_next_live_in_sync_replica_in_assignment_order()
    {
        var state = ThreeReplicas();
        var p = Elect(state, [2, 3]);
        Assert.Equal(2, p.Leader);
        Assert.Equal(1, p.LeaderEpoch);
        Assert.Equal([2, 3], p.Isr);
        Assert.Equal(1, p.PartitionEpoch);
    }

    [Fact]
    public void A_dead_follower_leaves_the_isr_without_a_new_leader_epoch()
    {
        var state = ThreeReplicas();
        var p = Elect(state, [1, 3]);
        Assert.Equal((1, 0, 1), (p.Leader, p.LeaderEpoch, p.PartitionEpoch));
        Assert.Equal([1, 3], p.Isr);
    }

    [Fact]
    public void A_replica_out_of_sync_never_leads_in_a_clean_election_and_the_partition_goes_offline()
    {
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], 1, 4, [1], 9));
        var p = Elect(state, [2, 3]);
        Assert.Equal(-1, p.Leader);
        Assert.Equal(5, p.LeaderEpoch);
        // The last in-sync replica stays listed: it alone may lead again without losing records.
        Assert.Equal([1], p.Isr);
        AssertNothing(state.DecideElections([2, 3], Clean));

        // It returns: it leads again.
        p = Elect(state, [1, 2, 3]);
        Assert.Equal((1, 6), (p.Leader, p.LeaderEpoch));
        Assert.Equal([1], p.Isr);
    }

    [Fact]
    public void An_unclean_election_gives_the_first_live_replica_the_lead_and_says_so()
    {
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], 1, 4, [1], 9));
        var change = Change(state.DecideElections([3, 2], Unclean));
        Assert.Equal([("t", 0)], change.UncleanElections);
        state.Apply(change);
        var p = Partition(state);
        Assert.Equal((2, 5), (p.Leader, p.LeaderEpoch));
        Assert.Equal([2], p.Isr);
    }

    [Fact]
    public void Preferred_leader_election_gives_the_partition_back_to_its_first_replica_once_it_is_in_sync()
    {
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], 2, 1, [2, 3], 1));
        AssertNothing(state.DecidePreferredLeaders([1, 2, 3])); // 1 is live but not in sync yet
        state.Apply(Assert.Single(state.DecideAlterPartition(new AlterPartitionRequest(new TopicPartition("t", 0), 2, 1, 1, [1, 2, 3]), [1, 2, 3]).Events));
        state.Apply(Change(state.DecidePreferredLeaders([1, 2, 3])));
        var p = Partition(state);
        Assert.Equal((1, 2), (p.Leader, p.LeaderEpoch));
    }

    [Fact]
    public void An_isr_change_is_recorded_only_from_the_current_leader_at_the_current_epochs()
    {
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], 1, 3, [1, 2, 3], 5));
        var tp = new TopicPartition("t", 0);
        Assert.Equal(ErrorCode.FencedLeaderEpoch, Refusal(state.DecideAlterPartition(new AlterPartitionRequest(tp, 1, 2, 5, [1, 2]), [1, 2, 3])).Error);
        Assert.Equal(ErrorCode.FencedLeaderEpoch, Refusal(state.DecideAlterPartition(new AlterPartitionRequest(tp, 2, 3, 5, [1, 2]), [1, 2, 3])).Error);
        Assert.Equal(ErrorCode.InvalidUpdateVersion, Refusal(state.DecideAlterPartition(new AlterPartitionRequest(tp, 1, 3, 4, [1, 2]), [1, 2, 3])).Error);
        Assert.Equal(ErrorCode.InvalidRequest, Refusal(state.DecideAlterPartition(new AlterPartitionRequest(tp, 1, 3, 5, [2, 3]), [1, 2, 3])).Error);
        Assert.Equal(ErrorCode.InvalidRequest, Refusal(state.DecideAlterPartition(new AlterPartitionRequest(tp, 1, 3, 5, [1, 4]), [1, 2, 3])).Error);

        var accepted = state.DecideAlterPartition(new AlterPartitionRequest(tp, 1, 3, 5, [1, 3]), [1, 2, 3]);
        var response = Assert.IsType<AlterPartitionResponse>(accepted.Response);
        Assert.Equal(ErrorCode.None, response.Error);
        var change = Assert.IsType<LeadershipChanged>(Assert.Single(accepted.Events));
        // The leader is answered with exactly the assignment that is recorded.
        Assert.Same(response.Assignment, Assert.Single(change.Changes).Partition);
        Assert.Empty(change.UncleanElections);
        state.Apply(change);
        Assert.Equal([1, 3], Partition(state).Isr);
        Assert.Equal(6, Partition(state).PartitionEpoch);

        // A broker that is not live cannot be added back.
        var refused = Refusal(state.DecideAlterPartition(new AlterPartitionRequest(tp, 1, 3, 6, [1, 2, 3]), [1, 3]));
        Assert.Equal(ErrorCode.InvalidRequest, refused.Error);
        Assert.Contains("not live", refused.ErrorMessage);
    }

    /// <summary>An AlterPartition answer that records nothing.</summary>
    private static AlterPartitionResponse Refusal(ControllerResult result)
    {
        Assert.Empty(result.Events);
        return Assert.IsType<AlterPartitionResponse>(result.Response);
    }

    [Fact]
    public void An_alter_partition_refusal_records_nothing_and_only_answers_with_the_current_assignment()
    {
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], 1, 3, [1, 2, 3], 5));
        var tp = new TopicPartition("t", 0);
        var current = Partition(state);
        var fenced = Refusal(state.DecideAlterPartition(new AlterPartitionRequest(tp, 2, 3, 5, [2, 3]), [1, 2, 3]));
        Assert.Equal((tp, ErrorCode.FencedLeaderEpoch), (fenced.TopicPartition, fenced.Error));
        Assert.Contains("led by broker 1 at epoch 3", fenced.ErrorMessage);
        // The current assignment goes back, so a stale leader learns what it missed.
        Assert.Same(current, fenced.Assignment);

        var unknown = Refusal(state.DecideAlterPartition(new AlterPartitionRequest(new TopicPartition("t", 1), 1, 3, 5, [1]), [1, 2, 3]));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, unknown.Error);
        Assert.Null(unknown.Assignment);

        // Proposing the ISR that is already recorded is answered with success, and records nothing either.
        var same = Refusal(state.DecideAlterPartition(new AlterPartitionRequest(tp, 1, 3, 5, [3, 2, 1]), [1, 2, 3]));
        Assert.Equal(ErrorCode.None, same.Error);
        Assert.Same(current, same.Assignment);
        Assert.Same(current, Partition(state));
    }

    [Fact]
    public void Metadata_reports_the_elected_leader_and_the_recorded_isr()
    {
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], 2, 1, [2, 3], 1));
        var p = Assert.Single(state.Describe("t", [1, 2, 3]).Partitions);
        Assert.Equal(2, p.Leader);
        Assert.Equal([2, 3], p.Isr);
        Assert.Equal(-1, Assert.Single(state.Describe("t", [1, 3]).Partitions).Leader);
    }

    [Fact]
    public void A_leader_reporting_its_log_corrupt_hands_leadership_to_the_next_in_sync_replica_and_leaves_the_isr()
    {
        var state = ThreeReplicas();
        state.Apply(Change(state.DecideCorruptReplica(new ReplicaLogCorrupted(new TopicPartition("t", 0), 1, 40), [1, 2, 3])));
        var p = Partition(state);
        Assert.Equal((2, 1, 1), (p.Leader, p.LeaderEpoch, p.PartitionEpoch));
        Assert.Equal([2, 3], p.Isr);
        // Reported again (say, by the next fetch of the same batch): nothing more changes.
        AssertNothing(state.DecideCorruptReplica(new ReplicaLogCorrupted(new TopicPartition("t", 0), 1, 40), [1, 2, 3]));
    }

    [Fact]
    public void A_follower_reporting_its_log_corrupt_only_leaves_the_isr()
    {
        var state = ThreeReplicas();
        state.Apply(Change(state.DecideCorruptReplica(new ReplicaLogCorrupted(new TopicPartition("t", 0), 3, 40), [1, 2, 3])));
        var p = Partition(state);
        Assert.Equal((1, 0, 1), (p.Leader, p.LeaderEpoch, p.PartitionEpoch));
        Assert.Equal([1, 2], p.Isr);
    }

    [Fact]
    public void The_only_live_in_sync_replica_keeps_leading_though_its_log_is_corrupt()
    {
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], 1, 0, [1, 2], 0));
        AssertNothing(state.DecideCorruptReplica(new ReplicaLogCorrupted(new TopicPartition("t", 0), 1, 40), [1, 3]));
        AssertNothing(state.DecideCorruptReplica(new ReplicaLogCorrupted(new TopicPartition("nope", 0), 1, 40), [1, 2, 3]));
    }

    private static readonly TopicPartition Tp = new("t", 0);

    /// <summary>An operator's election: its recorded change (if any) applied, and its answer per partition.</summary>
    private static (PartitionAssignment Partition, List<(TopicPartition, ErrorCode)> Results) Operator(ControllerState state, LeaderElectionType type,
        IReadOnlyList<TopicPartition>? partitions, int[] live)
    {
        var result = state.DecideElectLeaders(new ElectLeadersRequest(type, partitions), live);
        foreach (var e in result.Events) state.Apply(e);
        var response = Assert.IsType<ElectLeadersResponse>(result.Response);
        return (Partition(state), response.Results.Select(r => (r.TopicPartition, r.Error)).ToList());
    }

    [Fact]
    public void An_operators_preferred_election_moves_the_lead_to_the_first_replica_only_when_it_is_live_and_in_sync()
    {
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], 2, 1, [2, 3], 1));
        var (p, results) = Operator(state, LeaderElectionType.Preferred, [Tp], [1, 2, 3]);
        Assert.Equal([(Tp, ErrorCode.PreferredLeaderNotAvailable)], results); // live, not in sync
        Assert.Equal(2, p.Leader);
        (_, results) = Operator(state, LeaderElectionType.Preferred, [Tp], [2, 3]);
        Assert.Equal([(Tp, ErrorCode.PreferredLeaderNotAvailable)], results); // not live

        state.Apply(Assert.Single(state.DecideAlterPartition(new AlterPartitionRequest(Tp, 2, 1, 1, [1, 2, 3]), [1, 2, 3]).Events));
        (p, results) = Operator(state, LeaderElectionType.Preferred, [Tp], [1, 2, 3]);
        Assert.Equal([(Tp, ErrorCode.None)], results);
        Assert.Equal((1, 2), (p.Leader, p.LeaderEpoch));

        (p, results) = Operator(state, LeaderElectionType.Preferred, [Tp, new TopicPartition("t", 7), new TopicPartition("gone", 0)], [1, 2, 3]);
        Assert.Equal([(Tp, ErrorCode.ElectionNotNeeded), (new TopicPartition("t", 7), ErrorCode.UnknownTopicOrPartition),
            (new TopicPartition("gone", 0), ErrorCode.UnknownTopicOrPartition)], results);
        Assert.Equal(2, p.LeaderEpoch);
    }

    [Fact]
    public void An_operators_unclean_election_leads_an_offline_partition_even_with_unclean_elections_off_for_its_topic()
    {
        // Led by 1, only 1 in sync; 1 is gone: a clean election leaves it offline.
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], 1, 4, [1], 9));
        state.Apply(Change(state.DecideElections([2, 3], Clean)));
        Assert.Equal(-1, Partition(state).Leader);

        var (_, results) = Operator(state, LeaderElectionType.Preferred, null, [2, 3]);
        Assert.Equal([(Tp, ErrorCode.PreferredLeaderNotAvailable)], results);
        var result = state.DecideElectLeaders(new ElectLeadersRequest(LeaderElectionType.Unclean, null), [3, 2]);
        Assert.Equal([("t", 0)], Assert.IsType<LeadershipChanged>(Assert.Single(result.Events)).UncleanElections);
        state.Apply(result.Events[0]);
        Assert.Equal((2, 6), (Partition(state).Leader, Partition(state).LeaderEpoch));
        Assert.Equal([2], Partition(state).Isr);

        // With a live leader there is nothing to do: named, it says so; not named, it is not mentioned.
        Assert.Equal([(Tp, ErrorCode.ElectionNotNeeded)], Operator(state, LeaderElectionType.Unclean, [Tp], [2, 3]).Results);
        Assert.Empty(Operator(state, LeaderElectionType.Unclean, null, [2, 3]).Results);
        Assert.DoesNotContain(Operator(state, LeaderElectionType.Preferred, null, [1, 2, 3]).Results, r => r.Item2 == ErrorCode.ElectionNotNeeded);
    }

    [Fact]
    public void An_unclean_election_with_no_live_replica_elects_nobody()
    {
        var state = ThreeReplicas(new PartitionAssignment(0, [1, 2, 3], -1, 4, [1], 9));
        var (p, results) = Operator(state, LeaderElectionType.Unclean, [Tp], [4]);
        Assert.Equal([(Tp, ErrorCode.EligibleLeadersNotAvailable)], results);
        Assert.Equal(-1, p.Leader);
    }
}
