using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using AkkaBroker.Actors.Groups;
using AkkaBroker.Actors.Partitions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;

namespace AkkaBroker.Tests.Groups;

/// <summary>
/// The group coordinator actor over an in-memory stand-in for its <c>__consumer_offsets</c> replica (which leads until
/// told otherwise and can be made to refuse writes), with a probe standing in for the controller.
/// </summary>
public class GroupCoordinatorSpec() : TestKit(TestConfigs.PersistenceTestKit)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly GroupSettings Settings = GroupSettings.Default with { InitialRebalanceDelayMs = 0 };
    private static int _groupCounter;
    private readonly string _group = $"group{Interlocked.Increment(ref _groupCounter)}";
    private TestProbe? _directoryProbe;
    /// <summary>Stands in for the broker's group directory, which the coordinators tell whether their group exists.</summary>
    private TestProbe DirectoryProbe => _directoryProbe ??= CreateTestProbe();

    /// <summary>A controller stand-in that knows a 4-partition topic "t" and the 50-partition offsets topic.</summary>
    private IActorRef Controller() => Sys.ActorOf(Props.Create(() => new FakeController()));

    private sealed class FakeController : ReceiveActor
    {
        public FakeController()
        {
            Receive<MetadataRequest>(r => Sender.Tell(new MetadataResponse([], 0, (r.Topics ?? ["t"]).Select(t => t switch
            {
                "t" => new TopicMetadata("t", ErrorCode.None, null, Enumerable.Range(0, 4).Select(p => new PartitionMetadata(p, 0, [0], [0])).ToArray()),
                "__consumer_offsets" => new TopicMetadata(t, ErrorCode.None, null, Enumerable.Range(0, 50).Select(p => new PartitionMetadata(p, 0, [0], [0])).ToArray()),
                _ => new TopicMetadata(t, ErrorCode.UnknownTopicOrPartition, "no such topic", []),
            }).ToArray())));
        }
    }

    private sealed record RefuseWrites(ErrorCode Error);

    private sealed record StopLeading;

    /// <summary>Akka delivers at most once: the log leaves the next so many leadership questions unanswered, and answers the next reads late.</summary>
    private sealed record LoseRequests(int WatchLeadership, int LateFetches);

    /// <summary>The offsets partition's leader replica, in memory: appends batches, serves them back, says whether it leads.</summary>
    private sealed class FakeOffsetsLog : ReceiveActor
    {
        private readonly List<byte[]> _batches = new();
        private readonly List<IActorRef> _watchers = new();
        private long _end;
        private bool _leads = true;
        private ErrorCode _refuse = ErrorCode.None;
        private int _loseWatches;
        private int _lateFetches;

        public FakeOffsetsLog()
        {
            Receive<LoseRequests>(l => (_loseWatches, _lateFetches) = (l.WatchLeadership, l.LateFetches));
            Receive<WatchLeadership>(w =>
            {
                if (_loseWatches > 0 && _loseWatches-- > 0) return;
                Sender.Tell(new LeadershipStatus(w.TopicPartition, _leads, 3));
                if (_leads) _watchers.Add(Sender);
            });
            Receive<StopLeading>(_ =>
            {
                _leads = false;
                foreach (var w in _watchers) w.Tell(new LeadershipStatus(new TopicPartition("__consumer_offsets", 0), false, 3));
                _watchers.Clear();
            });
            Receive<RefuseWrites>(r => _refuse = r.Error);
            Receive<ProduceRequest>(r =>
            {
                Assert.Equal(-1, r.Acks);
                // The topic's max.message.bytes: a coordinator must split a large write.
                if (r.Batch.Length > 1_048_588)
                {
                    Sender.Tell(new ProduceResponse(r.TopicPartition, ErrorCode.MessageTooLarge, $"{r.Batch.Length} bytes", -1, -1, 0));
                    return;
                }
                if (_refuse != ErrorCode.None || !_leads)
                {
                    Sender.Tell(new ProduceResponse(r.TopicPartition, _leads ? _refuse : ErrorCode.NotLeaderOrFollower, "refused by the test", -1, -1, 0));
                    return;
                }
                var batch = (byte[])r.Batch.Clone();
                RecordBatch.SetBaseOffset(batch, _end);
                _batches.Add(batch);
                var baseOffset = _end;
                _end += RecordBatch.Wrap(batch).RecordCount;
                Sender.Tell(new ProduceResponse(r.TopicPartition, ErrorCode.None, null, baseOffset, -1, 0));
            });
            Receive<FetchRequest>(r =>
            {
                var bytes = _batches.Where(b => RecordBatch.Wrap(b).NextOffset > r.FetchOffset).SelectMany(b => b).ToArray();
                var response = new FetchResponse(r.TopicPartition, ErrorCode.None, null, _end, 0, bytes);
                // Later than the coordinator waits (5 s): it reads again meanwhile and must not count this answer twice.
                if (_lateFetches > 0 && _lateFetches-- > 0) Context.System.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(6), Sender, response, Self);
                else Sender.Tell(response);
            });
        }
    }

    private IActorRef OffsetsLog() => Sys.ActorOf(Props.Create(() => new FakeOffsetsLog()));

    private IActorRef Coordinator(IActorRef offsetsLog) => Sys.ActorOf(GroupCoordinator.Props(_group, Settings, Controller(), offsetsLog, DirectoryProbe.Ref));

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

    private long Committed(IActorRef coordinator, TopicPartition tp)
    {
        coordinator.Tell(new OffsetFetchRequest(_group, [tp]), TestActor);
        var fetched = ExpectMsg<OffsetFetchResponse>(Wait);
        Assert.Equal(ErrorCode.None, fetched.Error);
        return Assert.Single(fetched.Offsets).Offset;
    }

    [Fact]
    public void A_load_whose_questions_to_the_offsets_log_are_lost_asks_again_and_serves_the_group()
    {
        var log = OffsetsLog();
        var coordinator = Coordinator(log);
        var tp = new TopicPartition("t", 0);
        coordinator.Tell(new OffsetCommitRequest(_group, -1, "", null, [new OffsetCommit(tp, 42, null)]), TestActor);
        Assert.Equal(ErrorCode.None, ExpectMsg<OffsetCommitResponse>(Wait).Error);
        Watch(coordinator);
        coordinator.Tell(PoisonPill.Instance);
        ExpectTerminated(coordinator, Wait);

        // A new coordinator whose first leadership question goes unanswered and whose first read is answered late.
        log.Tell(new LoseRequests(WatchLeadership: 1, LateFetches: 1));
        var next = Coordinator(log);
        next.Tell(new OffsetFetchRequest(_group, [tp]), TestActor);
        // Each unanswered question costs the coordinator's step timeout (5 s) before it asks again.
        var fetched = ExpectMsg<OffsetFetchResponse>(TimeSpan.FromSeconds(25));
        Assert.Equal(ErrorCode.None, fetched.Error);
        Assert.Equal(42, Assert.Single(fetched.Offsets).Offset);
    }

    [Fact]
    public void A_held_heartbeat_is_answered_at_once_when_a_rebalance_starts()
    {
        var coordinator = Coordinator(OffsetsLog());
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
        var coordinator = Coordinator(OffsetsLog());
        var (member, generation) = StableMember(coordinator);
        coordinator.Tell(new HeartbeatRequest(_group, generation, member, null, MaxWaitMs: 200), TestActor);
        Assert.Equal(ErrorCode.None, ExpectMsg<HeartbeatResponse>(Wait).Error);
    }

    [Fact]
    public void A_commit_is_answered_once_stored_and_a_new_coordinator_reads_it_and_the_membership_back_from_the_log()
    {
        var log = OffsetsLog();
        var coordinator = Coordinator(log);
        var (member, generation) = StableMember(coordinator);
        var tp = new TopicPartition("t", 2);
        coordinator.Tell(new OffsetCommitRequest(_group, generation, member, null, [new OffsetCommit(tp, 42, "m")]), TestActor);
        Assert.Equal(ErrorCode.None, ExpectMsg<OffsetCommitResponse>(Wait).Error);
        Assert.Equal(42, Committed(coordinator, tp));

        // Another coordinator (as on a new leader) rebuilds the group from the records alone.
        Watch(coordinator);
        coordinator.Tell(PoisonPill.Instance);
        ExpectTerminated(coordinator, Wait);
        var loaded = Coordinator(log);
        Assert.Equal(42, Committed(loaded, tp));
        loaded.Tell(new DescribeGroupRequest(_group), TestActor);
        var described = ExpectMsg<DescribeGroupResponse>(Wait);
        Assert.Equal(generation, described.GenerationId);
        Assert.Equal(member, Assert.Single(described.Members).MemberId);
    }

    [Fact]
    public void The_brokers_group_directory_hears_whether_the_group_exists_once_loaded_and_whenever_that_changes()
    {
        var log = OffsetsLog();
        var coordinator = Coordinator(log);
        var partition = Actors.Controller.ControllerState.OffsetsPartitionFor(_group, 50);
        var (member, generation) = StableMember(coordinator);
        // Said once loaded even though nothing changed: the directory may have read records of a group gone since.
        Assert.Equal(new GroupExistenceChanged(_group, partition, false, 3), DirectoryProbe.ExpectMsg<GroupExistenceChanged>(Wait));
        Assert.Equal(new GroupExistenceChanged(_group, partition, true, 3), DirectoryProbe.ExpectMsg<GroupExistenceChanged>(Wait));

        // With a committed offset the group outlives its last member.
        coordinator.Tell(new OffsetCommitRequest(_group, generation, member, null, [new OffsetCommit(new TopicPartition("t", 0), 1, "")]), TestActor);
        Assert.Equal(ErrorCode.None, ExpectMsg<OffsetCommitResponse>(Wait).Error);
        coordinator.Tell(new LeaveGroupRequest(_group, member, null, "done"), TestActor);
        Assert.Equal(ErrorCode.None, ExpectMsg<LeaveGroupResponse>(Wait).Error);
        coordinator.Tell(new DeleteGroupRequest(_group), TestActor);
        Assert.Equal(ErrorCode.None, ExpectMsg<DeleteGroupResponse>(Wait).Error);
        Assert.Equal(new GroupExistenceChanged(_group, partition, false, 3), DirectoryProbe.ExpectMsg<GroupExistenceChanged>(Wait));

        // A coordinator that loads the deleted group from the log says so too.
        Watch(coordinator);
        coordinator.Tell(PoisonPill.Instance);
        ExpectTerminated(coordinator, Wait);
        var loaded = Coordinator(log);
        loaded.Tell(new DescribeGroupRequest(_group), TestActor);
        ExpectMsg<DescribeGroupResponse>(Wait);
        Assert.Equal(new GroupExistenceChanged(_group, partition, false, 3), DirectoryProbe.ExpectMsg<GroupExistenceChanged>(Wait));
    }

    [Fact]
    public void A_commit_of_more_partitions_than_fit_one_batch_is_stored_in_several_and_read_back_whole()
    {
        var log = OffsetsLog();
        var coordinator = Coordinator(log);
        var (member, generation) = StableMember(coordinator);
        var commits = Enumerable.Range(0, 20_000).Select(p => new OffsetCommit(new TopicPartition("t", p), p, "metadata-" + p)).ToArray();
        coordinator.Tell(new OffsetCommitRequest(_group, generation, member, null, commits), TestActor);
        Assert.Equal(ErrorCode.None, ExpectMsg<OffsetCommitResponse>(Wait).Error);

        Watch(coordinator);
        coordinator.Tell(PoisonPill.Instance);
        ExpectTerminated(coordinator, Wait);
        var loaded = Coordinator(log);
        loaded.Tell(new OffsetFetchRequest(_group, null), TestActor);
        var offsets = ExpectMsg<OffsetFetchResponse>(Wait).Offsets;
        Assert.Equal(20_000, offsets.Count);
        Assert.All(offsets, o => Assert.Equal(o.TopicPartition.Partition, o.Offset));
    }

    [Fact]
    public void A_commit_whose_write_is_refused_is_answered_with_an_error_and_never_served()
    {
        var log = OffsetsLog();
        var coordinator = Coordinator(log);
        var (member, generation) = StableMember(coordinator);
        var tp = new TopicPartition("t", 1);
        log.Tell(new RefuseWrites(ErrorCode.NotEnoughReplicas));
        coordinator.Tell(new OffsetCommitRequest(_group, generation, member, null, [new OffsetCommit(tp, 7, null)]), TestActor);
        Assert.Equal(ErrorCode.CoordinatorNotAvailable, ExpectMsg<OffsetCommitResponse>(Wait).Error);

        log.Tell(new RefuseWrites(ErrorCode.None));
        Assert.Equal(-1, Committed(Coordinator(log), tp));
    }

    [Fact]
    public void A_coordinator_whose_broker_stops_leading_answers_not_coordinator()
    {
        var log = OffsetsLog();
        var coordinator = Coordinator(log);
        StableMember(coordinator);
        log.Tell(new StopLeading());
        AwaitAssert(() =>
        {
            coordinator.Tell(new OffsetFetchRequest(_group, null), TestActor);
            Assert.Equal(ErrorCode.NotCoordinator, ExpectMsg<OffsetFetchResponse>(Wait).Error);
        }, Wait);
    }

    /// <summary>Stands in for a coordinator of an older version, which kept the group in its broker's journal.</summary>
    private sealed class OldCoordinatorJournal(string groupId, object[] events, GroupSnapshot? snapshot = null, object[]? after = null) : UntypedPersistentActor
    {
        public override string PersistenceId => "group-" + groupId;

        protected override void PreStart()
        {
            base.PreStart();
            Self.Tell("write");
        }

        protected override void OnCommand(object message)
        {
            switch (message)
            {
                case "write":
                    PersistAll(events, _ => { });
                    // Deferred until the events are in: then the snapshot, then the events after it.
                    DeferAsync("written", _ =>
                    {
                        if (snapshot != null) SaveSnapshot(snapshot);
                    });
                    break;
                case SaveSnapshotSuccess:
                    PersistAll(after ?? [], _ => { });
                    break;
            }
        }

        protected override void OnRecover(object message)
        {
        }
    }

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public void A_group_kept_in_an_older_versions_journal_moves_into_the_log_and_its_journal_goes()
    {
        var tp = new TopicPartition("t", 3);
        object[] events =
        [
            new GroupOffsetsCommitted([new CommittedOffset(tp, 17, null, NowMs)]),
            new GroupMetadataChanged(0, "", "", NowMs, []),
        ];
        var group = _group;
        var old = Sys.ActorOf(Props.Create(() => new OldCoordinatorJournal(group, events, null, null)));
        Watch(old);
        AwaitCondition(() => JournalEvents().Count == 2, Wait);
        old.Tell(PoisonPill.Instance);
        ExpectTerminated(old, Wait);

        var log = OffsetsLog();
        Assert.Equal(17, Committed(Coordinator(log), tp));
        // The old journal is deleted once the records are stored; a coordinator loading later reads them from the log.
        AwaitCondition(() => JournalEvents().Count == 0, Wait);
        Assert.Equal(17, Committed(Coordinator(log), tp));
    }

    [Fact]
    public void An_older_versions_snapshot_and_the_events_after_it_are_both_moved()
    {
        TopicPartition a = new("t", 0), b = new("t", 1);
        var group = _group;
        var snapshot = new GroupSnapshot(new GroupMetadataChanged(0, "", "", NowMs, []),
            [new CommittedOffset(a, 5, null, NowMs), new CommittedOffset(b, 21, null, NowMs)]);
        object[] after = [new GroupOffsetsCommitted([new CommittedOffset(a, 9, null, NowMs)])];
        object[] before = [new GroupOffsetsCommitted([new CommittedOffset(a, 5, null, NowMs)])];
        var old = Sys.ActorOf(Props.Create(() => new OldCoordinatorJournal(group, before, snapshot, after)));
        Watch(old);
        AwaitCondition(() => JournalEvents().Count == 2, Wait);
        old.Tell(PoisonPill.Instance);
        ExpectTerminated(old, Wait);

        var coordinator = Coordinator(OffsetsLog());
        Assert.Equal(9, Committed(coordinator, a));
        Assert.Equal(21, Committed(coordinator, b));
    }

    private List<object> JournalEvents()
    {
        var reader = CreateTestProbe();
        Persistence.Instance.Apply(Sys).JournalFor(null).Tell(new ReplayMessages(0, long.MaxValue, long.MaxValue, "group-" + _group, reader.Ref), reader.Ref);
        var events = new List<object>();
        while (true)
        {
            var m = reader.ExpectMsg<object>(Wait);
            if (m is ReplayedMessage r) events.Add(r.Persistent.Payload);
            else return events;
        }
    }
}
