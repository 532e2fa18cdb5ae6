using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>Kafka's consumer-group states (the names <c>groups describe</c> prints).</summary>
public enum GroupStateName
{
    /// <summary>No members. May hold committed offsets. Join → PreparingRebalance; commits only from outside group management (generation -1).</summary>
    Empty,
    /// <summary>Waiting for every known member to (re)join. Heartbeats and syncs answer REBALANCE_IN_PROGRESS; commits of the current generation are still accepted (a revoking member commits here).</summary>
    PreparingRebalance,
    /// <summary>Join phase done, assignment computed, waiting for members to sync. Commits answer REBALANCE_IN_PROGRESS. All synced → Stable.</summary>
    CompletingRebalance,
    /// <summary>Every member has its assignment. A join, leave or expired session → PreparingRebalance.</summary>
    Stable,
    /// <summary>No members and no offsets: the group does not exist (deleted, expired, or never used).</summary>
    Dead,
}

/// <summary>What the coordinator actor must do after a decision: persist events, then send replies.</summary>
public sealed class GroupOutcome
{
    /// <summary>The reply to the request being decided; null when it waits (a join in a rebalance).</summary>
    public object? Reply { get; set; }

    /// <summary>Events to persist before any reply is sent. Membership events are already applied; offset events are applied once persisted.</summary>
    public List<object> Events { get; } = new();

    /// <summary>Set when the request is a join that waits for the rebalance: the member id its reply will go to.</summary>
    public string? WaitingMemberId { get; set; }

    /// <summary>Join replies for members whose join was waiting on the rebalance (member id → reply).</summary>
    public List<(string MemberId, JoinGroupResponse Response)> JoinReplies { get; } = new();

    public static GroupOutcome Of(object reply) => new() { Reply = reply };
}

/// <summary>
/// One consumer group's state machine and committed offsets, with no actor and no clock of its own (every call gets
/// <c>now</c> in Unix ms), so every state and transition is tested with a fake clock. The coordinator actor feeds it
/// requests and timer ticks, persists the events it returns and sends the replies.
/// <para>
/// Assignment happens here, not in a member: when the join phase completes the coordinator runs the strategy every
/// member supports (Kafka's vote) over the partition counts the actor looked up. Cooperative strategies withhold a
/// partition that changes owner until its old owner has revoked it and rejoined (KIP-429). A member with a
/// <c>group.instance.id</c> (KIP-345) that comes back under a new member id within its session timeout takes its old
/// place and assignment without a rebalance.
/// </para>
/// </summary>
public sealed class GroupState
{
    public sealed class Member(GroupMemberRecord record)
    {
        public GroupMemberRecord Record { get; set; } = record;
        public string MemberId => Record.MemberId;
        /// <summary>Unix ms of the last request from this member: its session expires session.timeout.ms after.</summary>
        public long LastSeen { get; set; }
        /// <summary>It has (re)joined in the current rebalance and waits for the join reply.</summary>
        public bool JoinPending { get; set; }
        public bool Synced { get; set; }
        /// <summary>Partitions it reports still consuming (cooperative protocols keep them through a rebalance).</summary>
        public IReadOnlyList<TopicPartition> Owned { get; set; } = [];
    }

    private readonly GroupSettings _settings;
    private readonly Func<string, string> _newMemberId;
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _staticMembers = new(StringComparer.Ordinal);
    private readonly Dictionary<TopicPartition, CommittedOffset> _offsets = new();
    // Member ids handed out by MEMBER_ID_REQUIRED and not joined with yet, to when they lapse (a session timeout later).
    // Not members: a client that never comes back leaves nothing the group waits for or assigns partitions to.
    private readonly Dictionary<string, long> _pendingMembers = new(StringComparer.Ordinal);
    private long _joinCompletesNoEarlierThan;
    private long _rebalanceDeadline;

    /// <param name="newMemberId">Makes a member id from a client id (a test passes a predictable one).</param>
    public GroupState(string groupId, GroupSettings settings, Func<string, string>? newMemberId = null)
    {
        GroupId = groupId;
        _settings = settings;
        _newMemberId = newMemberId ?? (clientId => $"{clientId}-{Guid.NewGuid():N}");
    }

    public string GroupId { get; }
    public GroupStateName State { get; private set; } = GroupStateName.Dead;
    public int GenerationId { get; private set; }
    public string Protocol { get; private set; } = "";
    public string LeaderId { get; private set; } = "";
    /// <summary>Unix ms when the group last became empty; offsets of an empty group expire from then.</summary>
    public long EmptySince { get; private set; }
    public IReadOnlyDictionary<string, Member> Members => _members;
    public IReadOnlyDictionary<TopicPartition, CommittedOffset> Offsets => _offsets;

    /// <summary>Whether the group exists for listing: it has members or offsets.</summary>
    public bool Exists => State != GroupStateName.Dead;

    // ---- Membership ----

    public GroupOutcome Join(JoinGroupRequest r, long now)
    {
        if (r.SessionTimeoutMs < _settings.MinSessionTimeoutMs || r.SessionTimeoutMs > _settings.MaxSessionTimeoutMs)
            return GroupOutcome.Of(JoinError(ErrorCode.InvalidSessionTimeout, r.MemberId,
                $"session.timeout.ms {r.SessionTimeoutMs} is outside the broker's allowed range {_settings.MinSessionTimeoutMs}-{_settings.MaxSessionTimeoutMs} (group.min/max.session.timeout.ms)."));
        // Only strategies this broker can run take part in the vote (the broker computes the assignment).
        var known = r.Protocols.Where(p => PartitionAssignors.ByName(p) != null).ToArray();
        if (known.Length == 0)
            return GroupOutcome.Of(JoinError(ErrorCode.InconsistentGroupProtocol, r.MemberId,
                $"The member offers no partition.assignment.strategy this broker supports ({string.Join(",", r.Protocols)}); use one of {string.Join(", ", PartitionAssignors.Names)}."));
        r = r with { Protocols = known };
        if (r.GroupInstanceId != null && r.MemberId.Length > 0 && _staticMembers.TryGetValue(r.GroupInstanceId, out var current) && current != r.MemberId)
            return GroupOutcome.Of(JoinError(ErrorCode.FencedInstanceId, r.MemberId,
                $"Another consumer has joined group '{GroupId}' with group.instance.id '{r.GroupInstanceId}'; this one (member '{r.MemberId}') is fenced."));
        if (_members.Count > 0 && !CandidateProtocols().Intersect(r.Protocols, StringComparer.OrdinalIgnoreCase).Any())
            return GroupOutcome.Of(JoinError(ErrorCode.InconsistentGroupProtocol, r.MemberId,
                $"The member's partition.assignment.strategy ({string.Join(",", r.Protocols)}) shares none with the group's members ({string.Join(",", CandidateProtocols())}). Give every consumer of group '{GroupId}' a common strategy."));

        ForgetLapsedPendingMembers(now);
        if (r.MemberId.Length == 0 && r.RequireKnownMemberId && r.GroupInstanceId == null)
        {
            var assigned = _newMemberId(r.ClientId);
            _pendingMembers[assigned] = now + r.SessionTimeoutMs;
            return GroupOutcome.Of(JoinError(ErrorCode.MemberIdRequired, assigned, $"Join group '{GroupId}' again with member id '{assigned}'."));
        }

        var outcome = new GroupOutcome();
        Member member;
        if (r.GroupInstanceId != null && _staticMembers.TryGetValue(r.GroupInstanceId, out var knownId) && knownId != r.MemberId)
        {
            // A static member came back (restart) under a new member id: it takes the old member's place.
            var old = _members[knownId];
            var newId = _newMemberId(r.ClientId);
            _members.Remove(knownId);
            if (old.JoinPending)
                outcome.JoinReplies.Add((knownId, JoinError(ErrorCode.FencedInstanceId, knownId,
                    $"Another consumer joined with group.instance.id '{r.GroupInstanceId}'; this one is fenced.")));
            member = new Member(Updated(old.Record with { MemberId = newId }, r)) { LastSeen = now, Owned = old.Owned, Synced = old.Synced };
            _members[newId] = member;
            _staticMembers[r.GroupInstanceId] = newId;
            _owners = null;
            if (LeaderId == knownId) LeaderId = newId;
            if (State is GroupStateName.Stable or GroupStateName.CompletingRebalance && SameSubscription(old.Record, r))
            {
                // KIP-345: same subscription, so the assignment stands; no rebalance.
                outcome.Events.Add(MetadataEvent(now));
                outcome.Reply = new JoinGroupResponse(ErrorCode.None, null, GenerationId, Protocol, LeaderId, newId);
                return outcome;
            }
            member.JoinPending = true;
            outcome.WaitingMemberId = newId;
            if (State != GroupStateName.PreparingRebalance) BeginRebalance(now);
            return outcome;
        }

        var firstJoinWithGivenId = r.MemberId.Length > 0 && !_members.ContainsKey(r.MemberId) && _pendingMembers.Remove(r.MemberId);
        if (r.MemberId.Length > 0 && !_members.ContainsKey(r.MemberId) && !firstJoinWithGivenId)
            return GroupOutcome.Of(JoinError(ErrorCode.UnknownMemberId, r.MemberId,
                $"Member '{r.MemberId}' is not in group '{GroupId}' (its session expired or it was removed); join again without a member id."));

        if (r.MemberId.Length == 0 || firstJoinWithGivenId)
        {
            var id = firstJoinWithGivenId ? r.MemberId : _newMemberId(r.ClientId);
            member = new Member(new GroupMemberRecord(id, r.GroupInstanceId, r.ClientId, r.SessionTimeoutMs, r.RebalanceTimeoutMs,
                r.Protocols, r.Topics, []));
            _members[id] = member;
            if (r.GroupInstanceId != null) _staticMembers[r.GroupInstanceId] = id;
        }
        else
        {
            member = _members[r.MemberId];
            member.Record = Updated(member.Record, r);
        }
        member.LastSeen = now;
        member.JoinPending = true;
        member.Owned = r.OwnedPartitions;
        outcome.WaitingMemberId = member.MemberId;
        if (State != GroupStateName.PreparingRebalance) BeginRebalance(now);
        return outcome;
    }

    private void ForgetLapsedPendingMembers(long now)
    {
        if (_pendingMembers.Count == 0) return;
        foreach (var (id, lapses) in _pendingMembers.ToArray())
            if (now >= lapses) _pendingMembers.Remove(id);
    }

    private static GroupMemberRecord Updated(GroupMemberRecord m, JoinGroupRequest r) =>
        m with
        {
            ClientId = r.ClientId, SessionTimeoutMs = r.SessionTimeoutMs, RebalanceTimeoutMs = r.RebalanceTimeoutMs,
            Protocols = r.Protocols, Topics = r.Topics, GroupInstanceId = r.GroupInstanceId,
        };

    private static bool SameSubscription(GroupMemberRecord m, JoinGroupRequest r) =>
        m.Topics.OrderBy(t => t, StringComparer.Ordinal).SequenceEqual(r.Topics.OrderBy(t => t, StringComparer.Ordinal))
        && m.Protocols.SequenceEqual(r.Protocols, StringComparer.OrdinalIgnoreCase);

    private void BeginRebalance(long now)
    {
        var fromEmpty = State is GroupStateName.Empty or GroupStateName.Dead;
        State = GroupStateName.PreparingRebalance;
        foreach (var m in _members.Values) m.Synced = false;
        // An empty group waits group.initial.rebalance.delay.ms so that consumers starting together join one generation.
        _joinCompletesNoEarlierThan = fromEmpty ? now + _settings.InitialRebalanceDelayMs : now;
        _rebalanceDeadline = now + _members.Values.Select(m => (long)m.Record.RebalanceTimeoutMs).DefaultIfEmpty(0).Max();
    }

    /// <summary>True when the join phase may complete: every member rejoined (or the rebalance timed out) and the initial delay passed.</summary>
    public bool JoinReady(long now) =>
        State == GroupStateName.PreparingRebalance
        && now >= _joinCompletesNoEarlierThan
        && (_members.Values.All(m => m.JoinPending) || now >= _rebalanceDeadline);

    /// <summary>The topics the join phase needs partition counts for.</summary>
    public IReadOnlyCollection<string> SubscribedTopics() =>
        _members.Values.Where(m => m.JoinPending).SelectMany(m => m.Record.Topics).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Ends the join phase: members that did not rejoin by the rebalance timeout are removed, the strategy chosen by
    /// vote, partitions assigned, the generation bumped; every waiting join is answered. No-op unless <see cref="JoinReady"/>.
    /// </summary>
    public GroupOutcome CompleteJoin(IReadOnlyDictionary<string, int> partitionCounts, long now)
    {
        var outcome = new GroupOutcome();
        if (!JoinReady(now)) return outcome;
        foreach (var gone in _members.Values.Where(m => !m.JoinPending).ToArray()) RemoveMember(gone.MemberId);
        GenerationId++;
        if (_members.Count == 0)
        {
            BecomeEmpty(now);
            outcome.Events.Add(MetadataEvent(now));
            return outcome;
        }
        Protocol = SelectProtocol();
        var assignor = PartitionAssignors.ByName(Protocol)
                       ?? throw new InvalidOperationException($"strategy '{Protocol}' was accepted at join but has no assignor");
        if (!_members.ContainsKey(LeaderId)) LeaderId = _members.Keys.First();
        var inputs = _members.Values.Select(m => new AssignorMember(m.MemberId, m.Record.GroupInstanceId, m.Record.Topics,
            assignor.Cooperative ? m.Owned : m.Record.Assignment)).ToArray();
        var counts = partitionCounts.Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var assignment = assignor.Assign(inputs, counts);
        foreach (var m in _members.Values)
        {
            m.Record = m.Record with { Assignment = assignment.TryGetValue(m.MemberId, out var a) ? a : [] };
            m.JoinPending = false;
            m.Synced = false;
            m.LastSeen = now;
            outcome.JoinReplies.Add((m.MemberId, new JoinGroupResponse(ErrorCode.None, null, GenerationId, Protocol, LeaderId, m.MemberId)));
        }
        State = GroupStateName.CompletingRebalance;
        outcome.Events.Add(MetadataEvent(now));
        return outcome;
    }

    public IEnumerable<string> CandidateProtocols() =>
        _members.Count == 0
            ? []
            : _members.Values.Select(m => (IEnumerable<string>)m.Record.Protocols.Select(p => p.ToLowerInvariant()))
                .Aggregate((a, b) => a.Intersect(b)).ToArray();

    /// <summary>Kafka's vote: each member votes for its most preferred strategy that every member supports.</summary>
    private string SelectProtocol()
    {
        var candidates = CandidateProtocols().ToHashSet();
        return _members.Values
            .Select(m => m.Record.Protocols.Select(p => p.ToLowerInvariant()).First(candidates.Contains))
            .GroupBy(p => p)
            .OrderByDescending(g => g.Count())
            .First().Key;
    }

    public GroupOutcome Sync(SyncGroupRequest r, long now)
    {
        if (CheckMember(r.MemberId, r.GroupInstanceId, r.GenerationId) is { } problem)
            return GroupOutcome.Of(new SyncGroupResponse(problem.Code, problem.Message, []));
        var member = _members[r.MemberId];
        member.LastSeen = now;
        switch (State)
        {
            case GroupStateName.PreparingRebalance:
                return GroupOutcome.Of(new SyncGroupResponse(ErrorCode.RebalanceInProgress, "The group is rebalancing; join again.", []));
            case GroupStateName.CompletingRebalance:
                member.Synced = true;
                if (_members.Values.All(m => m.Synced)) State = GroupStateName.Stable;
                return GroupOutcome.Of(new SyncGroupResponse(ErrorCode.None, null, member.Record.Assignment));
            case GroupStateName.Stable:
                member.Synced = true;
                return GroupOutcome.Of(new SyncGroupResponse(ErrorCode.None, null, member.Record.Assignment));
            default:
                throw new InvalidOperationException($"group {GroupId} has member {r.MemberId} in state {State}");
        }
    }

    public GroupOutcome Heartbeat(HeartbeatRequest r, long now)
    {
        if (CheckMember(r.MemberId, r.GroupInstanceId, r.GenerationId) is { } problem)
            return GroupOutcome.Of(new HeartbeatResponse(problem.Code, problem.Message));
        _members[r.MemberId].LastSeen = now;
        return GroupOutcome.Of(State == GroupStateName.PreparingRebalance
            ? new HeartbeatResponse(ErrorCode.RebalanceInProgress, "The group is rebalancing; join again.")
            : new HeartbeatResponse(ErrorCode.None, null));
    }

    public GroupOutcome Leave(LeaveGroupRequest r, long now)
    {
        if (CheckMember(r.MemberId, r.GroupInstanceId, generation: null) is { } problem)
            return GroupOutcome.Of(new LeaveGroupResponse(problem.Code, problem.Message));
        var outcome = new GroupOutcome { Reply = new LeaveGroupResponse(ErrorCode.None, null) };
        RemoveMember(r.MemberId);
        MembershipShrank(now, outcome);
        return outcome;
    }

    /// <summary>
    /// Timer tick: expires sessions (while rebalancing, of members that have not rejoined: a waiting join is a sign of
    /// life) and empty groups' offsets. Members still alive but not rejoined by the rebalance timeout are removed by
    /// <see cref="CompleteJoin"/>.
    /// </summary>
    public GroupOutcome Tick(long now)
    {
        ForgetLapsedPendingMembers(now);
        var outcome = new GroupOutcome();
        if (State is GroupStateName.Stable or GroupStateName.CompletingRebalance or GroupStateName.PreparingRebalance)
        {
            var expired = _members.Values.Where(m => !(State == GroupStateName.PreparingRebalance && m.JoinPending) && now >= m.LastSeen + m.Record.SessionTimeoutMs)
                .Select(m => m.MemberId).ToArray();
            foreach (var id in expired) RemoveMember(id);
            if (expired.Length > 0) MembershipShrank(now, outcome);
        }
        else if (State == GroupStateName.Empty)
        {
            var expiredOffsets = _offsets.Values
                .Where(o => Math.Max(o.CommitTimestamp, EmptySince) + _settings.OffsetsRetentionMs <= now)
                .Select(o => o.TopicPartition).ToArray();
            if (expiredOffsets.Length > 0) outcome.Events.Add(new GroupOffsetsExpired(expiredOffsets));
        }
        return outcome;
    }

    /// <summary>The earliest time a <see cref="Tick"/> can change something, for the actor's timer.</summary>
    public long NextDeadline(long now) => State switch
    {
        GroupStateName.Stable or GroupStateName.CompletingRebalance =>
            _members.Values.Select(m => m.LastSeen + m.Record.SessionTimeoutMs).DefaultIfEmpty(long.MaxValue).Min(),
        // The join completes when everyone rejoined (after the initial delay) or at the rebalance timeout; waiting
        // members are not expired meanwhile, their join is their sign of life.
        GroupStateName.PreparingRebalance => _members.Values.All(m => m.JoinPending)
            ? _joinCompletesNoEarlierThan
            : Math.Min(Math.Max(_joinCompletesNoEarlierThan, _rebalanceDeadline),
                _members.Values.Where(m => !m.JoinPending).Min(m => m.LastSeen + m.Record.SessionTimeoutMs)),
        GroupStateName.Empty => _offsets.Count == 0 ? long.MaxValue : now + _settings.OffsetsRetentionCheckIntervalMs,
        _ => long.MaxValue,
    };

    private void MembershipShrank(long now, GroupOutcome outcome)
    {
        if (_members.Count == 0 && State != GroupStateName.PreparingRebalance)
        {
            GenerationId++;
            BecomeEmpty(now);
            outcome.Events.Add(MetadataEvent(now));
            return;
        }
        if (State != GroupStateName.PreparingRebalance) BeginRebalance(now);
        else if (_members.Count == 0)
        {
            GenerationId++;
            BecomeEmpty(now);
            outcome.Events.Add(MetadataEvent(now));
        }
    }

    private void BecomeEmpty(long now)
    {
        State = _offsets.Count > 0 ? GroupStateName.Empty : GroupStateName.Dead;
        Protocol = "";
        LeaderId = "";
        EmptySince = now;
    }

    private void RemoveMember(string memberId)
    {
        if (!_members.Remove(memberId, out var m)) return;
        if (m.Record.GroupInstanceId is { } instance && _staticMembers.TryGetValue(instance, out var id) && id == memberId)
            _staticMembers.Remove(instance);
        if (LeaderId == memberId) LeaderId = _members.Keys.FirstOrDefault() ?? "";
    }

    /// <summary>Kafka's checks for a request from a member: fenced static instance, unknown member, stale generation.</summary>
    private (ErrorCode Code, string Message)? CheckMember(string memberId, string? instanceId, int? generation)
    {
        if (instanceId != null && _staticMembers.TryGetValue(instanceId, out var current) && current != memberId)
            return (ErrorCode.FencedInstanceId, $"Another consumer with group.instance.id '{instanceId}' has joined group '{GroupId}'; this one is fenced.");
        if (!_members.ContainsKey(memberId))
            return (ErrorCode.UnknownMemberId, $"Member '{memberId}' is not in group '{GroupId}' (its session expired, it left, or it was removed for exceeding max.poll.interval.ms).");
        if (generation != null && generation != GenerationId)
            return (ErrorCode.IllegalGeneration, $"Generation {generation} is stale: group '{GroupId}' is at generation {GenerationId} after a rebalance.");
        return null;
    }

    private static JoinGroupResponse JoinError(ErrorCode code, string memberId, string message) => new(code, message, -1, "", "", memberId);

    private GroupMetadataChanged MetadataEvent(long now) =>
        new(GenerationId, Protocol, LeaderId, now, _members.Values.Select(m => m.Record).ToArray());

    // ---- Offsets ----

    /// <summary>Validates a commit; the returned event is applied with <see cref="Apply"/> once persisted, then the reply is sent.</summary>
    public GroupOutcome Commit(OffsetCommitRequest r, long now)
    {
        OffsetCommitResponse Refuse(ErrorCode code, string message) => new(code, message);
        if (r.Offsets.FirstOrDefault(o => o.Offset < 0) is { } negative)
            return GroupOutcome.Of(Refuse(ErrorCode.InvalidRequest, $"Offset {negative.Offset} for {negative.TopicPartition} is negative; commit the offset of the next record to read."));
        if (r.Offsets.FirstOrDefault(o => (o.Metadata?.Length ?? 0) > _settings.OffsetMetadataMaxBytes) is { } big)
            return GroupOutcome.Of(Refuse(ErrorCode.OffsetMetadataTooLarge, $"The metadata committed with {big.TopicPartition} is longer than offset.metadata.max.bytes ({_settings.OffsetMetadataMaxBytes})."));

        if (r.GenerationId < 0 && r.MemberId.Length == 0)
        {
            // Outside group management (manual assign, admin reset): only while nobody consumes as a member.
            if (_members.Count > 0)
                return GroupOutcome.Of(Refuse(ErrorCode.NonEmptyGroup,
                    $"Group '{GroupId}' has {_members.Count} active member(s); offsets can only be set from outside the group while it is empty. Stop its consumers first."));
        }
        else
        {
            if (CheckMember(r.MemberId, r.GroupInstanceId, r.GenerationId) is { } problem)
                return GroupOutcome.Of(Refuse(problem.Code, problem.Message));
            if (State == GroupStateName.CompletingRebalance)
                return GroupOutcome.Of(Refuse(ErrorCode.RebalanceInProgress, $"Group '{GroupId}' is completing a rebalance; the partitions may have moved. Rejoin and commit again."));
            var owners = Owners();
            if (r.Offsets.FirstOrDefault(o => owners.TryGetValue(o.TopicPartition, out var owner) && owner != r.MemberId) is { } foreign)
                return GroupOutcome.Of(Refuse(ErrorCode.IllegalGeneration,
                    $"{foreign.TopicPartition} is assigned to another member of group '{GroupId}' in generation {GenerationId}; this member no longer owns it."));
            _members[r.MemberId].LastSeen = now;
        }
        var outcome = new GroupOutcome { Reply = new OffsetCommitResponse(ErrorCode.None, null) };
        outcome.Events.Add(new GroupOffsetsCommitted(r.Offsets.Select(o => new CommittedOffset(o.TopicPartition, o.Offset, o.Metadata, now)).ToArray()));
        return outcome;
    }

    private Dictionary<TopicPartition, string>? _owners;
    private int _ownersGeneration = -1;
    private int _ownersMemberCount = -1;

    /// <summary>Partition → owning member, cached per generation (commits check it on every call, assignments change only per rebalance).</summary>
    private Dictionary<TopicPartition, string> Owners()
    {
        if (_owners == null || _ownersGeneration != GenerationId || _ownersMemberCount != _members.Count)
        {
            _owners = new Dictionary<TopicPartition, string>();
            foreach (var m in _members.Values)
                foreach (var tp in m.Record.Assignment)
                    _owners[tp] = m.MemberId;
            _ownersGeneration = GenerationId;
            _ownersMemberCount = _members.Count;
        }
        return _owners;
    }

    public OffsetFetchResponse FetchOffsets(OffsetFetchRequest r)
    {
        IEnumerable<CommittedOffset> offsets = r.Partitions == null
            ? _offsets.Values.OrderBy(o => o.TopicPartition.Topic, StringComparer.Ordinal).ThenBy(o => o.TopicPartition.Partition)
            : r.Partitions.Select(tp => _offsets.TryGetValue(tp, out var o) ? o : new CommittedOffset(tp, -1, null, -1));
        return new OffsetFetchResponse(ErrorCode.None, null, offsets.ToArray());
    }

    public GroupOutcome Delete()
    {
        if (_members.Count > 0)
            return GroupOutcome.Of(new DeleteGroupResponse(ErrorCode.NonEmptyGroup,
                $"Group '{GroupId}' has {_members.Count} active member(s); stop its consumers before deleting it."));
        if (State == GroupStateName.Dead)
            return GroupOutcome.Of(new DeleteGroupResponse(ErrorCode.GroupIdNotFound, $"Group '{GroupId}' does not exist."));
        var outcome = new GroupOutcome { Reply = new DeleteGroupResponse(ErrorCode.None, null) };
        outcome.Events.Add(new GroupDeleted());
        return outcome;
    }

    /// <summary>
    /// Kafka's OffsetDelete: the partitions named lose their committed offsets, except those of a topic an active member
    /// subscribes to (GROUP_SUBSCRIBED_TO_TOPIC: the member would lose its place). The removal is the event offset
    /// retention writes, so the offsets topic gets the same tombstones.
    /// </summary>
    public GroupOutcome DeleteOffsets(OffsetDeleteRequest r)
    {
        if (State == GroupStateName.Dead)
            return GroupOutcome.Of(new OffsetDeleteResponse(ErrorCode.GroupIdNotFound, $"Group '{GroupId}' does not exist.", []));
        var subscribed = _members.Values.SelectMany(m => m.Record.Topics).ToHashSet(StringComparer.Ordinal);
        var results = r.Partitions.Distinct().Select(tp => new PartitionError(tp, subscribed.Contains(tp.Topic) ? ErrorCode.GroupSubscribedToTopic : ErrorCode.None)).ToArray();
        var removed = results.Where(p => p.Error == ErrorCode.None && _offsets.ContainsKey(p.TopicPartition)).Select(p => p.TopicPartition).ToArray();
        var outcome = new GroupOutcome { Reply = new OffsetDeleteResponse(ErrorCode.None, null, results) };
        if (removed.Length > 0) outcome.Events.Add(new GroupOffsetsExpired(removed));
        return outcome;
    }

    public DescribeGroupResponse Describe() =>
        new(ErrorCode.None, null, GroupId, State.ToString(), Protocol, GenerationId,
            _members.Values.Select(m => new GroupMemberDescription(m.MemberId, m.Record.GroupInstanceId, m.Record.ClientId, m.Record.Assignment)).ToArray(),
            FetchOffsets(new OffsetFetchRequest(GroupId, null)).Offsets);

    // ---- Events and snapshots ----

    /// <summary>The partitions this group has a committed offset for.</summary>
    public IReadOnlyCollection<TopicPartition> CommittedPartitions => _offsets.Keys;

    /// <summary>Applies a persisted event: during recovery every event, at run time the offset events (membership is applied when decided).</summary>
    public void Apply(object @event)
    {
        switch (@event)
        {
            case GroupMetadataChanged e:
                RestoreMetadata(e);
                break;
            case GroupOffsetsCommitted e:
                foreach (var o in e.Offsets) _offsets[o.TopicPartition] = o;
                if (State == GroupStateName.Dead) State = GroupStateName.Empty;
                break;
            case GroupOffsetsExpired e:
                foreach (var tp in e.Partitions) _offsets.Remove(tp);
                if (State == GroupStateName.Empty && _offsets.Count == 0) State = GroupStateName.Dead;
                break;
            case GroupDeleted:
                // Deletion was decided with no members; one that joined while the event was written keeps its place.
                _offsets.Clear();
                if (_members.Count == 0)
                {
                    _staticMembers.Clear();
                    State = GroupStateName.Dead;
                    Protocol = "";
                    LeaderId = "";
                }
                break;
            default:
                throw new InvalidOperationException($"the group coordinator has no rule for event {@event.GetType().Name}");
        }
    }

    private void RestoreMetadata(GroupMetadataChanged e)
    {
        _owners = null;
        GenerationId = e.GenerationId;
        Protocol = e.Protocol;
        LeaderId = e.LeaderId;
        _members.Clear();
        _staticMembers.Clear();
        foreach (var m in e.Members)
        {
            // After a restart members get a full session to show up again (Kafka does the same on coordinator load).
            _members[m.MemberId] = new Member(m) { LastSeen = e.StateTimestamp, Synced = true, Owned = m.Assignment };
            if (m.GroupInstanceId != null) _staticMembers[m.GroupInstanceId] = m.MemberId;
        }
        if (_members.Count == 0)
        {
            State = _offsets.Count > 0 ? GroupStateName.Empty : GroupStateName.Dead;
            EmptySince = e.StateTimestamp;
        }
        else State = GroupStateName.Stable;
    }

    /// <summary>After recovery, members' sessions restart from now rather than from when the event was written.</summary>
    public void OnRecovered(long now)
    {
        foreach (var m in _members.Values) m.LastSeen = now;
    }

    public GroupSnapshot ToSnapshot(long now) => new(MetadataEvent(now) with { StateTimestamp = State is GroupStateName.Empty or GroupStateName.Dead ? EmptySince : now },
        _offsets.Values.ToArray());

    public void Restore(GroupSnapshot s)
    {
        _offsets.Clear();
        foreach (var o in s.Offsets) _offsets[o.TopicPartition] = o;
        RestoreMetadata(s.Metadata);
    }
}
