using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit.Xunit2;
using AkkaBroker.Actors.Groups;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>The group coordinator actor over Akka.Persistence.TestKit's journal, with a probe standing in for the controller.</summary>
public class GroupCoordinatorSpec() : TestKit(TestConfigs.PersistenceTestKit)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly GroupSettings Settings = GroupSettings.Default with { InitialRebalanceDelayMs = 0 };
    private static int _groupCounter;
    private readonly string _group = $"group{Interlocked.Increment(ref _groupCounter)}";

    private ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor(null));

    /// <summary>A controller stand-in that answers metadata with one 4-partition topic "t".</summary>
    private IActorRef Controller() => Sys.ActorOf(Props.Create(() => new FakeController()));

    private sealed class FakeController : ReceiveActor
    {
        public FakeController()
        {
            Receive<MetadataRequest>(_ => Sender.Tell(new MetadataResponse([], 0,
                [new TopicMetadata("t", ErrorCode.None, null, Enumerable.Range(0, 4).Select(p => new PartitionMetadata(p, 0, [0], [0])).ToArray())])));
            Receive<RegisterGroup>(_ => { });
            Receive<UnregisterGroup>(_ => { });
        }
    }

    private JoinGroupRequest Join(string memberId = "") =>
        new(_group, memberId, null, "client", 10_000, 30_000, ["range"], ["t"], []);

    /// <summary>One member joined and synced: returns its member id and generation.</summary>
    private (string MemberId, int Generation) StableMember(IActorRef coordinator)
    {
        coordinator.Tell(Join(), TestActor);
        var joined = ExpectMsg<JoinGroupResponse>(Wait);
        Assert.Equal(ErrorCode.None, joined.Error);
        coordinator.Tell(new SyncGroupRequest(_group, joined.GenerationId, joined.MemberId, null), TestActor);
        Assert.Equal(4, ExpectMsg<SyncGroupResponse>(Wait).Assignment.Count);
        return (joined.MemberId, joined.GenerationId);
    }

    [Fact]
    public void A_held_heartbeat_is_answered_at_once_when_a_rebalance_starts()
    {
        var coordinator = Sys.ActorOf(GroupCoordinator.Props(_group, Settings, Controller()));
        var (member, generation) = StableMember(coordinator);
        var heartbeat = CreateTestProbe();
        coordinator.Tell(new HeartbeatRequest(_group, generation, member, null, MaxWaitMs: 5000), heartbeat.Ref);
        heartbeat.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        var newcomer = CreateTestProbe();
        coordinator.Tell(Join(), newcomer.Ref);
        // Well before the 5 s hold ends: the member learns of the rebalance from the held heartbeat.
        Assert.Equal(ErrorCode.RebalanceInProgress, heartbeat.ExpectMsg<HeartbeatResponse>(TimeSpan.FromSeconds(2)).Error);
    }

    [Fact]
    public void A_held_heartbeat_is_answered_when_its_hold_ends()
    {
        var coordinator = Sys.ActorOf(GroupCoordinator.Props(_group, Settings, Controller()));
        var (member, generation) = StableMember(coordinator);
        coordinator.Tell(new HeartbeatRequest(_group, generation, member, null, MaxWaitMs: 200), TestActor);
        Assert.Equal(ErrorCode.None, ExpectMsg<HeartbeatResponse>(Wait).Error);
    }

    [Fact]
    public void A_commit_is_answered_only_after_its_event_is_in_the_journal_and_then_fetched()
    {
        var coordinator = Sys.ActorOf(GroupCoordinator.Props(_group, Settings, Controller()));
        var (member, generation) = StableMember(coordinator);
        var tp = new TopicPartition("t", 2);
        coordinator.Tell(new OffsetCommitRequest(_group, generation, member, null, [new OffsetCommit(tp, 42, "m")]), TestActor);
        Assert.Equal(ErrorCode.None, ExpectMsg<OffsetCommitResponse>(Wait).Error);
        coordinator.Tell(new OffsetFetchRequest(_group, [tp]), TestActor);
        Assert.Equal(42, Assert.Single(ExpectMsg<OffsetFetchResponse>(Wait).Offsets).Offset);

        // A new incarnation recovers the commit from the journal.
        Watch(coordinator);
        coordinator.Tell(PoisonPill.Instance);
        ExpectTerminated(coordinator, Wait);
        var recovered = Sys.ActorOf(GroupCoordinator.Props(_group, Settings, Controller()));
        recovered.Tell(new OffsetFetchRequest(_group, [tp]), TestActor);
        Assert.Equal(42, Assert.Single(ExpectMsg<OffsetFetchResponse>(Wait).Offsets).Offset);
    }

    [Fact]
    public async Task A_commit_whose_journal_write_fails_is_never_acknowledged_nor_served()
    {
        var coordinator = Sys.ActorOf(GroupCoordinator.Props(_group, Settings, Controller()));
        var (member, generation) = StableMember(coordinator);
        var tp = new TopicPartition("t", 1);
        await Journal.OnWrite.Fail();
        coordinator.Tell(new OffsetCommitRequest(_group, generation, member, null, [new OffsetCommit(tp, 7, null)]), TestActor);
        // The persistent actor stops on a failed write; the asker hears nothing and its commit times out.
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        await Journal.OnWrite.Pass();
        var recovered = Sys.ActorOf(GroupCoordinator.Props(_group, Settings, Controller()));
        recovered.Tell(new OffsetFetchRequest(_group, [tp]), TestActor);
        Assert.Equal(-1, Assert.Single(ExpectMsg<OffsetFetchResponse>(Wait).Offsets).Offset);
    }
}
