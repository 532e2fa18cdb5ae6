using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol.Messages;
using Xunit;
using Decision = AkkaBroker.Actors.Partitions.ReplicaLeadership.Decision;
using Fencing = AkkaBroker.Actors.Partitions.ReplicaLeadership.Fencing;
using Role = AkkaBroker.Actors.Partitions.ReplicaLeadership.Role;

namespace AkkaBroker.Tests.Partitions;

/// <summary>How broker 2's replica takes the controller's word on its role: every decision and refusal.</summary>
public class ReplicaLeadershipTests
{
    private static readonly TopicPartition Tp = new("orders", 0);
    private static readonly BrokerInfo Broker1 = new(1, "127.0.0.1", 9192);
    private static readonly BrokerInfo Broker2 = new(2, "127.0.0.1", 9193);

    private static PartitionAssignment Led(int leader, int leaderEpoch, int partitionEpoch = 0) => new(0, [1, 2, 3], leader, leaderEpoch, [1, 2, 3], partitionEpoch);

    private static EnsurePartition Command(PartitionAssignment a, int controllerEpoch = 1) =>
        new(Tp, new Dictionary<string, string>(), a, a.Leader == 1 ? Broker1 : a.Leader == 2 ? Broker2 : null, controllerEpoch);

    private static Decision Decide(EnsurePartition command, Role role = Role.None, PartitionAssignment? current = null, Fencing? known = null, int logEpoch = -1) =>
        ReplicaLeadership.Decide(2, (role, current), known ?? Fencing.Initial, logEpoch, command);

    [Fact]
    public void A_replica_leads_when_the_controller_names_its_broker()
    {
        var b = Assert.IsType<Decision.Become>(Decide(Command(Led(2, 4))));
        Assert.Equal(Role.Leader, b.Role);
    }

    [Fact]
    public void A_replica_follows_another_live_leader()
    {
        Assert.Equal(Role.Follower, Assert.IsType<Decision.Become>(Decide(Command(Led(1, 4)))).Role);
    }

    [Fact]
    public void A_replica_serves_nothing_when_the_partition_has_no_leader_or_it_is_not_a_replica()
    {
        Assert.Equal(Role.None, Assert.IsType<Decision.Become>(Decide(Command(Led(-1, 4)))).Role);
        var elsewhere = new PartitionAssignment(0, [1, 3], 1, 4, [1, 3], 0);
        Assert.Equal(Role.None, Assert.IsType<Decision.Become>(Decide(Command(elsewhere))).Role);
    }

    // What fences a replica survives its restart: the journal's LeadershipAccepted is the `known` fencing here.
    [Fact]
    public void An_older_controller_epoch_than_the_replica_accepted_before_is_stale()
    {
        Assert.IsType<Decision.Stale>(Decide(Command(Led(2, 9), controllerEpoch: 2), known: new Fencing(3, 4, 5)));
    }

    [Fact]
    public void An_older_leader_or_partition_epoch_than_the_replica_accepted_before_is_stale()
    {
        var known = new Fencing(1, 4, 5);
        Assert.IsType<Decision.Stale>(Decide(Command(Led(2, 3, 9)), known: known));
        Assert.IsType<Decision.Stale>(Decide(Command(Led(2, 4, 4)), known: known));
        Assert.IsType<Decision.Become>(Decide(Command(Led(2, 4, 5)), known: known));
    }

    [Fact]
    public void Leadership_below_the_newest_epoch_in_the_log_is_refused()
    {
        var refused = Assert.IsType<Decision.Refused>(Decide(Command(Led(2, 3)), logEpoch: 4));
        Assert.Contains("epoch 4", refused.Why);
        Assert.IsType<Decision.Become>(Decide(Command(Led(2, 4)), logEpoch: 4));
    }

    [Fact]
    public void The_same_leadership_again_is_an_update_not_a_new_role()
    {
        var now = Led(1, 4, 5);
        var u = Assert.IsType<Decision.Updated>(Decide(Command(now with { PartitionEpoch = 6, Isr = [1, 2] }), Role.Follower, now, new Fencing(1, 4, 5)));
        Assert.Equal(6, u.Next.PartitionEpoch);
    }

    [Fact]
    public void What_to_journal_is_the_highest_of_each_epoch_and_nothing_when_none_grew()
    {
        var known = new Fencing(2, 4, 5);
        Assert.Null(ReplicaLeadership.ToRecord(known, 2, Led(2, 4, 5)));
        Assert.Equal(new LeadershipAccepted(3, 4, 5), ReplicaLeadership.ToRecord(known, 3, Led(2, 4, 5)));
        Assert.Equal(new LeadershipAccepted(2, 5, 6), ReplicaLeadership.ToRecord(known, 2, Led(2, 5, 6)));
    }

    [Fact]
    public void A_new_or_changed_config_and_a_moving_fence_are_journaled_before_the_role_is_taken_up_a_stale_or_refused_leadership_journals_no_fence()
    {
        var same = new Dictionary<string, string>();
        var known = new Fencing(1, 4, 0);
        var become = Command(Led(2, 5));
        Assert.Equal([new PartitionConfigured(become.Config), new LeadershipAccepted(1, 5, 0)],
            ReplicaLeadership.ToJournal(Decide(become, known: known), known, become, currentConfig: null));
        Assert.Equal([new LeadershipAccepted(1, 5, 0)], ReplicaLeadership.ToJournal(Decide(become, known: known), known, become, same));

        var changed = become with { Config = new Dictionary<string, string> { ["retention.ms"] = "1000" } };
        var refused = Decide(changed, known: known, logEpoch: 6);
        Assert.IsType<Decision.Refused>(refused);
        Assert.Equal([new PartitionConfigured(changed.Config)], ReplicaLeadership.ToJournal(refused, known, changed, same));

        // A replaced controller's command changes nothing, not even the config.
        var fromOldController = Command(Led(2, 6), controllerEpoch: 0);
        Assert.Empty(ReplicaLeadership.ToJournal(Decide(fromOldController, known: known), known, fromOldController, currentConfig: null));
        var stale = Command(Led(1, 3));
        Assert.IsType<Decision.Stale>(Decide(stale, known: known));
        Assert.Empty(ReplicaLeadership.ToJournal(Decide(stale, known: known), known, stale, same));
    }

    [Fact]
    public void A_role_is_never_entered_again_under_an_epoch_it_already_had()
    {
        Assert.Throws<InvalidOperationException>(() => ReplicaLeadership.CheckTransition((Role.Leader, Led(2, 4)), Role.Follower, Led(1, 4)));
        Assert.Throws<InvalidOperationException>(() => ReplicaLeadership.CheckTransition((Role.Follower, Led(1, 4)), Role.Leader, Led(2, 3)));
        ReplicaLeadership.CheckTransition((Role.Follower, Led(1, 4)), Role.Leader, Led(2, 5));
        ReplicaLeadership.CheckTransition((Role.Leader, Led(2, 4)), Role.None, Led(-1, 4));
        ReplicaLeadership.CheckTransition((Role.None, Led(2, 4)), Role.Leader, Led(2, 4));
    }
}
