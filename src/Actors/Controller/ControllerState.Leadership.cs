using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>Leadership: elections when brokers come and go, operators' elections, and the ISR changes leaders ask for.</summary>
public sealed partial class ControllerState
{
    /// <summary>
    /// Kafka's elections after a change of live brokers: a partition whose leader is gone gets the first replica in
    /// assignment order that is live and in sync; with none, the first live replica if <paramref name="uncleanAllowed"/>
    /// says so for its topic (an unclean election: the new leader may lack acknowledged records), else no leader
    /// (offline) until an in-sync replica returns. Replicas that are not live leave the ISR (the last one stays, so it
    /// can lead again when it returns). Records one <see cref="LeadershipChanged"/>, or nothing when nothing changes;
    /// nobody is answered.
    /// </summary>
    public ControllerResult DecideElections(IReadOnlyCollection<int> live, Func<TopicState, bool> uncleanAllowed)
    {
        var changes = new List<(string, PartitionAssignment)>();
        var unclean = new List<(string, int)>();
        foreach (var topic in _topics.Values)
        foreach (var p in topic.Partitions)
        {
            var liveIsr = p.Isr.Where(live.Contains).ToArray();
            var cleanCandidates = p.Replicas.Where(r => live.Contains(r) && p.Isr.Contains(r)).ToArray();
            PartitionAssignment? next = null;
            if (p.Leader >= 0 && live.Contains(p.Leader))
            {
                if (liveIsr.Length != p.Isr.Count) next = p with { Isr = liveIsr, PartitionEpoch = p.PartitionEpoch + 1 };
            }
            else if (cleanCandidates.Length > 0)
                next = p with { Leader = cleanCandidates[0], LeaderEpoch = p.LeaderEpoch + 1, Isr = liveIsr, PartitionEpoch = p.PartitionEpoch + 1 };
            else if (p.Replicas.Any(live.Contains) && uncleanAllowed(topic))
            {
                var leader = UncleanCandidates(new TopicPartition(topic.Name, p.Partition), p).First(live.Contains);
                next = p with { Leader = leader, LeaderEpoch = p.LeaderEpoch + 1, Isr = [leader], PartitionEpoch = p.PartitionEpoch + 1 };
                unclean.Add((topic.Name, p.Partition));
            }
            else if (p.Leader != -1)
                next = p with { Leader = -1, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 };
            if (next != null) changes.Add((topic.Name, next));
        }
        return changes.Count == 0 ? ControllerResult.Nothing : ControllerResult.Record(new LeadershipChanged(changes, unclean));
    }

    /// <summary>
    /// A replica reported its log corrupt: it leaves the ISR (Kafka marks such a replica offline), and if it led, the
    /// next live in-sync replica in assignment order leads at a new leader epoch. A replica that is the only one in
    /// sync keeps its place (moving would lose every record only it has); nothing is recorded then, nor when nothing
    /// changes. The report is a notice, not a request: nobody is answered.
    /// </summary>
    public ControllerResult DecideCorruptReplica(ReplicaLogCorrupted report, IReadOnlyCollection<int> live)
    {
        if (!_topics.TryGetValue(report.TopicPartition.Topic, out var topic) || report.TopicPartition.Partition < 0 || report.TopicPartition.Partition >= topic.Partitions.Count)
            return ControllerResult.Nothing;
        var p = topic.Partitions[report.TopicPartition.Partition];
        if (!p.Isr.Contains(report.BrokerId)) return ControllerResult.Nothing;
        var others = p.Replicas.Where(r => r != report.BrokerId && live.Contains(r) && p.Isr.Contains(r)).ToArray();
        if (others.Length == 0) return ControllerResult.Nothing;
        var isr = p.Isr.Where(r => r != report.BrokerId).ToArray();
        var next = p.Leader == report.BrokerId
            ? p with { Leader = others[0], LeaderEpoch = p.LeaderEpoch + 1, Isr = isr, PartitionEpoch = p.PartitionEpoch + 1 }
            : p with { Isr = isr, PartitionEpoch = p.PartitionEpoch + 1 };
        return ControllerResult.Record(new LeadershipChanged([(topic.Name, next)], []));
    }

    /// <summary>
    /// Preferred-leader election (<c>auto.leader.rebalance.enable</c>): every partition whose first replica is live, in
    /// sync and not leading is given back to it. Nothing is recorded when all are led by their preferred replica (or
    /// cannot be).
    /// </summary>
    public ControllerResult DecidePreferredLeaders(IReadOnlyCollection<int> live)
    {
        var changes = new List<(string, PartitionAssignment)>();
        foreach (var topic in _topics.Values)
        foreach (var p in topic.Partitions)
        {
            var preferred = p.Replicas[0];
            if (p.Leader != preferred && live.Contains(preferred) && p.Isr.Contains(preferred) && (p.Leader < 0 || live.Contains(p.Leader)))
                changes.Add((topic.Name, p with { Leader = preferred, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 }));
        }
        return changes.Count == 0 ? ControllerResult.Nothing : ControllerResult.Record(new LeadershipChanged(changes, []));
    }

    /// <summary>
    /// An operator's election (Kafka's ElectLeaders, <c>kafka-leader-election</c>). Preferred: each partition whose first
    /// replica is live and in sync but not leading is given to it (PREFERRED_LEADER_NOT_AVAILABLE when it is not live and
    /// in sync). Unclean: each partition with no live leader gets its first live in-sync replica, or with none its first
    /// live replica, whatever the topic's <c>unclean.leader.election.enable</c> says (the operator chose to risk losing
    /// acknowledged records; ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is live). A partition already led as the
    /// election would have it is ELECTION_NOT_NEEDED. With no partitions named, every partition is considered and only
    /// those elected or that could not be are answered. Records one <see cref="LeadershipChanged"/> for all elected.
    /// </summary>
    public ControllerResult DecideElectLeaders(ElectLeadersRequest r, IReadOnlyCollection<int> live)
    {
        var results = new List<PartitionOutcome>();
        var changes = new List<(string, PartitionAssignment)>();
        var unclean = new List<(string, int)>();
        var named = r.Partitions != null;
        var partitions = r.Partitions?.Distinct()
                         ?? _topics.Values.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Name, p.Partition)));
        foreach (var tp in partitions)
        {
            if (!_topics.TryGetValue(tp.Topic, out var topic) || tp.Partition < 0 || tp.Partition >= topic.Partitions.Count)
            {
                results.Add(new PartitionOutcome(tp, ErrorCode.UnknownTopicOrPartition, $"{tp} does not exist."));
                continue;
            }
            var p = topic.Partitions[tp.Partition];
            var leaderLive = p.Leader >= 0 && live.Contains(p.Leader);
            PartitionOutcome? refusal = null;
            PartitionAssignment? next = null;
            if (r.Type == LeaderElectionType.Preferred)
            {
                var preferred = p.Replicas[0];
                if (p.Leader == preferred && leaderLive)
                    refusal = new(tp, ErrorCode.ElectionNotNeeded, $"{tp} is led by its preferred replica, broker {preferred}.");
                else if (!live.Contains(preferred) || !p.Isr.Contains(preferred))
                    refusal = new(tp, ErrorCode.PreferredLeaderNotAvailable,
                        $"{tp}'s preferred replica, broker {preferred}, is {(live.Contains(preferred) ? "not in sync" : "not live")}; it leads again once it is live and in sync.");
                else
                    next = p with { Leader = preferred, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 };
            }
            else if (leaderLive)
                refusal = new(tp, ErrorCode.ElectionNotNeeded, $"{tp} is led by live broker {p.Leader}; an unclean election is only for partitions with no live leader.");
            else if (p.Replicas.FirstOrDefault(b => live.Contains(b) && p.Isr.Contains(b), -1) is var clean and >= 0)
                next = p with { Leader = clean, LeaderEpoch = p.LeaderEpoch + 1, Isr = p.Isr.Where(live.Contains).ToArray(), PartitionEpoch = p.PartitionEpoch + 1 };
            else if (UncleanCandidates(tp, p).FirstOrDefault(live.Contains, -1) is var any and >= 0)
            {
                next = p with { Leader = any, LeaderEpoch = p.LeaderEpoch + 1, Isr = [any], PartitionEpoch = p.PartitionEpoch + 1 };
                unclean.Add((topic.Name, p.Partition));
            }
            else
                refusal = new(tp, ErrorCode.EligibleLeadersNotAvailable, $"No replica of {tp} ({string.Join(",", p.Replicas)}) is live.");
            if (next != null)
            {
                changes.Add((topic.Name, next));
                results.Add(new PartitionOutcome(tp, ErrorCode.None, null));
            }
            else if (named || refusal!.Error != ErrorCode.ElectionNotNeeded)
                results.Add(refusal!);
        }
        var response = new ElectLeadersResponse(ErrorCode.None, null, results);
        return changes.Count == 0 ? ControllerResult.Reply(response) : ControllerResult.Record(new LeadershipChanged(changes, unclean), response);
    }

    /// <summary>
    /// Who may lead in an unclean election, in order: a partition being reassigned lists its new replicas first, but
    /// those have copied least of the log, so its original replicas come first here.
    /// </summary>
    private IEnumerable<int> UncleanCandidates(TopicPartition tp, PartitionAssignment p) =>
        _reassignments.TryGetValue(tp, out var r) ? r.Original.Concat(p.Replicas.Except(r.Original)) : p.Replicas;

    /// <summary>
    /// A leader's proposal of a new ISR (Kafka's AlterPartition): accepted only from the current leader at the current
    /// leader and partition epochs, naming replicas of the partition, the leader among them, and (for additions) live
    /// brokers. Records the new ISR and answers with the recorded assignment; a refusal, or an ISR that is already the
    /// recorded one, is only answered.
    /// </summary>
    public ControllerResult DecideAlterPartition(AlterPartitionRequest r, IReadOnlyCollection<int> live)
    {
        ControllerResult Refuse(ErrorCode code, string message, PartitionAssignment? current) =>
            ControllerResult.Reply(new AlterPartitionResponse(r.TopicPartition, code, message, current));
        if (!_topics.TryGetValue(r.TopicPartition.Topic, out var topic) || r.TopicPartition.Partition >= topic.Partitions.Count || r.TopicPartition.Partition < 0)
            return Refuse(ErrorCode.UnknownTopicOrPartition, $"{r.TopicPartition} does not exist", null);
        var p = topic.Partitions[r.TopicPartition.Partition];
        if (p.Leader != r.LeaderId || p.LeaderEpoch != r.LeaderEpoch)
            return Refuse(ErrorCode.FencedLeaderEpoch,
                $"{r.TopicPartition} is led by broker {p.Leader} at epoch {p.LeaderEpoch}, not by broker {r.LeaderId} at epoch {r.LeaderEpoch}", p);
        if (p.PartitionEpoch != r.PartitionEpoch)
            return Refuse(ErrorCode.InvalidUpdateVersion, $"{r.TopicPartition} is at partition epoch {p.PartitionEpoch}, the proposal was made at {r.PartitionEpoch}", p);
        if (!r.NewIsr.Contains(r.LeaderId) || r.NewIsr.Any(b => !p.Replicas.Contains(b)) || r.NewIsr.Distinct().Count() != r.NewIsr.Count)
            return Refuse(ErrorCode.InvalidRequest,
                $"the proposed ISR {string.Join(",", r.NewIsr)} of {r.TopicPartition} must hold the leader and only distinct replicas ({string.Join(",", p.Replicas)})", p);
        var added = r.NewIsr.Except(p.Isr).Where(b => !live.Contains(b)).ToArray();
        if (added.Length > 0)
            return Refuse(ErrorCode.InvalidRequest, $"broker(s) {string.Join(",", added)} are not live and cannot join the ISR of {r.TopicPartition}", p);
        var isr = p.Replicas.Where(r.NewIsr.Contains).ToArray();
        if (isr.SequenceEqual(p.Isr)) return ControllerResult.Reply(new AlterPartitionResponse(r.TopicPartition, ErrorCode.None, null, p));
        var next = p with { Isr = isr, PartitionEpoch = p.PartitionEpoch + 1 };
        return ControllerResult.Record(new LeadershipChanged([(topic.Name, next)], []), new AlterPartitionResponse(r.TopicPartition, ErrorCode.None, null, next));
    }
}
