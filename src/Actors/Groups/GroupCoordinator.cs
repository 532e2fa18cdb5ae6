using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// The coordinator of one consumer group: a sharded persistent actor (entity id = group id, persistence id
/// <c>group-{id}</c>). It is thin: each request goes to <see cref="GroupState"/>, whose events are persisted before
/// any reply leaves, so a member never acts on a generation or a commit the journal could lose. Joins wait here until
/// the join phase completes; one timer fires at the state's next deadline (session expiry, rebalance timeout, offset
/// retention). The controller's group directory is told when the group comes into being or goes away.
/// </summary>
public sealed class GroupCoordinator : ReceivePersistentActor, IWithTimers
{
    public static Props Props(string groupId, GroupSettings settings, IActorRef controller) =>
        Akka.Actor.Props.Create(() => new GroupCoordinator(groupId, settings, controller));

    private sealed record DeadlineReached
    {
        public static readonly DeadlineReached Instance = new();
    }

    private sealed record HeldHeartbeatDue(string MemberId, IActorRef ReplyTo);

    private sealed record PartitionCountsResolved(IReadOnlyDictionary<string, int> Counts);

    private readonly string _groupId;
    private readonly GroupSettings _settings;
    private readonly IActorRef _controller;
    private readonly GroupState _state;
    private readonly Dictionary<string, IActorRef> _waitingJoins = new(StringComparer.Ordinal);
    /// <summary>Heartbeats of a settled group answered later, or at once when a rebalance starts (member id → asker).</summary>
    private readonly Dictionary<string, IActorRef> _heldHeartbeats = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<(GroupOutcome Outcome, IActorRef ReplyTo)> _pendingCommits = new();
    private bool _commitWriteInFlight;
    private (GroupOutcome Outcome, IActorRef ReplyTo)[] _commitsBeingWritten = [];
    private bool _resolvingPartitions;
    private bool _registered;
    private int _eventsSinceSnapshot;

    public GroupCoordinator(string groupId, GroupSettings settings, IActorRef controller)
    {
        _groupId = groupId;
        _settings = settings;
        _controller = controller;
        _state = new GroupState(groupId, settings);

        Recover<SnapshotOffer>(o => _state.Restore((GroupSnapshot)o.Snapshot));
        Recover<RecoveryCompleted>(_ =>
        {
            _state.OnRecovered(Now);
            // Re-registering is idempotent and repairs a directory entry lost with a crash.
            _registered = false;
            UpdateDirectory();
            Reschedule();
        });
        Recover<object>(e => _state.Apply(e));

        Command<JoinGroupRequest>(r =>
        {
            var outcome = _state.Join(r, Now);
            _log.Debug("[{0}] join from '{1}' (client {2}) in {3}: {4}", _groupId, r.MemberId, r.ClientId, _state.State,
                outcome.Reply is JoinGroupResponse j ? j.Error.ToString() : "waits as " + outcome.WaitingMemberId);
            if (outcome.WaitingMemberId is { } id)
            {
                if (_waitingJoins.Remove(id, out var previous) && !previous.Equals(Sender))
                    previous.Tell(new JoinGroupResponse(ErrorCode.RebalanceInProgress, "A newer join from this member replaced this one.", -1, "", "", id));
                _waitingJoins[id] = Sender;
            }
            Complete(outcome, Sender);
        });
        Command<SyncGroupRequest>(r =>
        {
            var outcome = _state.Sync(r, Now);
            _log.Debug("[{0}] sync from '{1}' generation {2}: {3}, group now {4}", _groupId, r.MemberId, r.GenerationId,
                ((SyncGroupResponse)outcome.Reply!).Error, _state.State);
            Complete(outcome, Sender);
        });
        Command<HeartbeatRequest>(r =>
        {
            var outcome = _state.Heartbeat(r, Now);
            if (outcome.Reply is HeartbeatResponse { Error: not ErrorCode.None } refused)
                _log.Debug("[{0}] heartbeat from '{1}' generation {2}: {3}", _groupId, r.MemberId, r.GenerationId, refused.Error);
            if (r.MaxWaitMs > 0 && outcome.Reply is HeartbeatResponse { Error: ErrorCode.None } && _state.State is GroupStateName.Stable or GroupStateName.CompletingRebalance)
            {
                Hold(r, Sender);
                outcome.Reply = null;
            }
            Complete(outcome, Sender);
        });
        Command<HeldHeartbeatDue>(d =>
        {
            if (_heldHeartbeats.TryGetValue(d.MemberId, out var held) && held.Equals(d.ReplyTo))
            {
                _heldHeartbeats.Remove(d.MemberId);
                held.Tell(new HeartbeatResponse(ErrorCode.None, null));
            }
        });
        Command<LeaveGroupRequest>(r =>
        {
            _log.Info("[{0}] member {1} leaves: {2}", _groupId, r.MemberId, r.Reason);
            Complete(_state.Leave(r, Now), Sender);
        });
        Command<OffsetCommitRequest>(r =>
        {
            var outcome = _state.Commit(r, Now);
            if (outcome.Events.Count == 0)
            {
                Complete(outcome, Sender);
                return;
            }
            _pendingCommits.Add((outcome, Sender));
            FlushCommits();
        });
        Command<OffsetFetchRequest>(r => Sender.Tell(_state.FetchOffsets(r)));
        Command<DescribeGroupRequest>(_ => Sender.Tell(_state.Describe()));
        Command<DeleteGroupRequest>(_ => Complete(_state.Delete(), Sender));
        Command<DeadlineReached>(_ =>
        {
            var before = _state.Members.Count;
            var outcome = _state.Tick(Now);
            // Offsets are not expired while a commit is being written: it could be one of those the expiry would remove.
            if (_commitWriteInFlight || _pendingCommits.Count > 0) outcome.Events.RemoveAll(e => e is GroupOffsetsExpired);
            if (_state.Members.Count < before)
                _log.Info("[{0}] {1} member(s) removed: session expired (session.timeout.ms)", _groupId, before - _state.Members.Count);
            Complete(outcome, ActorRefs.Nobody);
        });
        Command<PartitionCountsResolved>(r =>
        {
            _resolvingPartitions = false;
            Complete(_state.CompleteJoin(r.Counts, Now), ActorRefs.Nobody);
        });
        Command<Status.Failure>(f =>
        {
            // The controller did not answer with partition counts: try again at the next decision or tick.
            _resolvingPartitions = false;
            _log.Warning("[{0}] could not look up partition counts for the rebalance: {1}", _groupId, f.Cause.Message);
            Timers.StartSingleTimer(nameof(DeadlineReached), DeadlineReached.Instance, TimeSpan.FromMilliseconds(200));
        });
        Command<SaveSnapshotSuccess>(s =>
        {
            // Everything up to the snapshot is in it: the journal keeps only what came after.
            DeleteMessages(s.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f => _log.Warning("[{0}] snapshot failed: {1}", _groupId, f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => _log.Warning("[{0}] deleting journal events failed: {1}", _groupId, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning("[{0}] deleting old snapshots failed: {1}", _groupId, f.Cause.Message));
    }

    public override string PersistenceId => "group-" + _groupId;

    /// <summary>
    /// The journal refused an event (it could not serialize or store it) without failing: the actor goes on, so the
    /// commits of a refused write are answered with an error rather than left to time out, and later ones proceed.
    /// </summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        base.OnPersistRejected(cause, @event, sequenceNr);
        if (@event is not GroupOffsetsCommitted || !_commitWriteInFlight) return;
        foreach (var (_, replyTo) in _commitsBeingWritten)
            replyTo.Tell(new OffsetCommitResponse(ErrorCode.KafkaStorageError, $"The commit could not be stored: {cause.Message}"));
        _commitsBeingWritten = [];
        _commitWriteInFlight = false;
        FlushCommits();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>
    /// Commits that arrive while one journal write is in flight are merged into the next single event, so commit
    /// throughput is bounded by journal round trips, not by one row per commit.
    /// </summary>
    private void FlushCommits()
    {
        if (_commitWriteInFlight || _pendingCommits.Count == 0) return;
        var batch = _pendingCommits.ToArray();
        _pendingCommits.Clear();
        _commitWriteInFlight = true;
        _commitsBeingWritten = batch;
        var merged = new GroupOffsetsCommitted(batch.SelectMany(b => b.Outcome.Events.OfType<GroupOffsetsCommitted>().SelectMany(e => e.Offsets)).ToArray());
        PersistAsync(merged, e =>
        {
            _state.Apply(e);
            _commitWriteInFlight = false;
            _commitsBeingWritten = [];
            foreach (var (outcome, replyTo) in batch) replyTo.Tell(outcome.Reply);
            if (++_eventsSinceSnapshot >= _settings.SnapshotIntervalEvents)
            {
                _eventsSinceSnapshot = 0;
                SaveSnapshot(_state.ToSnapshot(Now));
            }
            UpdateDirectory();
            FlushCommits();
        });
    }

    /// <summary>Persists the outcome's events, then sends its replies; afterwards moves a ready rebalance on and re-arms the timer.</summary>
    private void Complete(GroupOutcome outcome, IActorRef replyTo)
    {
        if (outcome.Events.Count == 0)
        {
            Reply(outcome, replyTo);
        }
        else
        {
            PersistAllAsync(outcome.Events, e =>
            {
                // Membership changes were applied when decided (the state machine must move on at once); offset
                // changes only count once durable, so a fetch never returns a commit the journal could lose.
                if (e is not GroupMetadataChanged) _state.Apply(e);
                if (e is GroupMetadataChanged m)
                    _log.Info("[{0}] generation {1}: {2} member(s), strategy '{3}'", _groupId, m.GenerationId, m.Members.Count, m.Protocol);
                if (e is GroupDeleted) _log.Info("[{0}] deleted", _groupId);
                if (++_eventsSinceSnapshot >= _settings.SnapshotIntervalEvents || e is GroupDeleted)
                {
                    _eventsSinceSnapshot = 0;
                    SaveSnapshot(_state.ToSnapshot(Now));
                }
            });
            DeferAsync(outcome, o =>
            {
                Reply(o, replyTo);
                UpdateDirectory();
            });
        }
        AnswerJoinsOfRemovedMembers();
        ReleaseHeldHeartbeats();
        if (_state.JoinReady(Now) && !_resolvingPartitions)
        {
            _resolvingPartitions = true;
            var topics = _state.SubscribedTopics().ToArray();
            _controller.Ask<MetadataResponse>(new MetadataRequest(topics, AllowAutoTopicCreation: false), TimeSpan.FromSeconds(10))
                .PipeTo(Self, success: m => new PartitionCountsResolved(m.Topics
                    .Where(t => t.Error == ErrorCode.None)
                    .ToDictionary(t => t.Name, t => t.Partitions.Count, StringComparer.Ordinal)));
        }
        UpdateDirectory();
        Reschedule();
    }

    private void Reply(GroupOutcome outcome, IActorRef replyTo)
    {
        if (outcome.Reply != null && !replyTo.IsNobody()) replyTo.Tell(outcome.Reply);
        foreach (var (memberId, response) in outcome.JoinReplies)
            if (_waitingJoins.Remove(memberId, out var waiting)) waiting.Tell(response);
    }

    /// <summary>A member removed while its join waited (left, fenced) gets an answer instead of a timeout.</summary>
    private void AnswerJoinsOfRemovedMembers()
    {
        foreach (var id in _waitingJoins.Keys.Where(id => !_state.Members.ContainsKey(id)).ToArray())
        {
            _waitingJoins.Remove(id, out var waiting);
            waiting!.Tell(new JoinGroupResponse(ErrorCode.UnknownMemberId, $"Member '{id}' was removed from group '{_groupId}' before the rebalance completed.", -1, "", "", id));
        }
    }

    private void Hold(HeartbeatRequest r, IActorRef replyTo)
    {
        // A newer heartbeat from the same member (it timed out waiting, say) answers the older one now.
        if (_heldHeartbeats.Remove(r.MemberId, out var older)) older.Tell(new HeartbeatResponse(ErrorCode.None, null));
        _heldHeartbeats[r.MemberId] = replyTo;
        var hold = TimeSpan.FromMilliseconds(Math.Min(r.MaxWaitMs, _state.Members[r.MemberId].Record.SessionTimeoutMs / 2));
        Timers.StartSingleTimer("heartbeat-" + r.MemberId, new HeldHeartbeatDue(r.MemberId, replyTo), hold);
    }

    /// <summary>Once a rebalance starts (or the member is gone), held heartbeats are answered with what the state says now.</summary>
    private void ReleaseHeldHeartbeats()
    {
        if (_heldHeartbeats.Count == 0) return;
        foreach (var (memberId, replyTo) in _heldHeartbeats.ToArray())
        {
            HeartbeatResponse? answer = !_state.Members.ContainsKey(memberId)
                ? new HeartbeatResponse(ErrorCode.UnknownMemberId, $"Member '{memberId}' is no longer in group '{_groupId}'.")
                : _state.State == GroupStateName.PreparingRebalance
                    ? new HeartbeatResponse(ErrorCode.RebalanceInProgress, "The group is rebalancing; join again.")
                    : null;
            if (answer == null) continue;
            _heldHeartbeats.Remove(memberId);
            Timers.Cancel("heartbeat-" + memberId);
            replyTo.Tell(answer);
        }
    }

    /// <summary>Keeps the controller's group directory in step with whether the group exists.</summary>
    private void UpdateDirectory()
    {
        if (_state.Exists == _registered) return;
        _registered = _state.Exists;
        _controller.Tell(_registered ? new RegisterGroup(_groupId) : new UnregisterGroup(_groupId));
    }

    private void Reschedule()
    {
        var now = Now;
        // A ready join phase is already being completed (partition counts are on their way), so no timer is needed.
        var next = _state.JoinReady(now) ? long.MaxValue : _state.NextDeadline(now);
        if (next == long.MaxValue)
        {
            Timers.Cancel(nameof(DeadlineReached));
            return;
        }
        // Capped so that a far deadline (offset retention) is re-evaluated now and then rather than trusted for days.
        var delay = TimeSpan.FromMilliseconds(Math.Clamp(next - now, 1, 3_600_000));
        Timers.StartSingleTimer(nameof(DeadlineReached), DeadlineReached.Instance, delay);
    }
}
