using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>Partition reassignment (Kafka's KIP-455): starting, cancelling and completing moves of replicas.</summary>
public sealed partial class ControllerState
{
    /// <summary>
    /// An operator's partition reassignment (Kafka's AlterPartitionReassignments, KIP-455). To start one, a partition's
    /// replicas become the target followed by its current replicas not in it (the new ones copy the log and join the ISR
    /// as any follower does); <see cref="DecideReassignmentProgress"/> completes it. Null replicas cancel one in progress:
    /// the original replicas come back, the added ones go. Each change is a new leadership (leader epoch + 1) so every
    /// replica learns the replica set, as Kafka's controller sends LeaderAndIsr. The target must be distinct live brokers
    /// (INVALID_REPLICA_ASSIGNMENT); a partition already being reassigned must be cancelled first (REASSIGNMENT_IN_PROGRESS).
    /// </summary>
    public ControllerResult DecideReassign(ReassignPartitionsRequest r, IReadOnlyCollection<int> liveBrokers)
    {
        var results = new List<PartitionOutcome>();
        var changes = new List<(string, PartitionAssignment)>();
        var started = new List<PartitionReassignment>();
        var ended = new List<TopicPartition>();
        if (r.ThrottleBytesPerSecond < 0)
            return ControllerResult.Reply(new ReassignPartitionsResponse(ErrorCode.InvalidRequest, $"The throttle must be 0 (none) or more bytes per second, got {r.ThrottleBytesPerSecond}.", []));
        foreach (var target in r.Partitions)
        {
            var tp = target.TopicPartition;
            PartitionOutcome Refused(ErrorCode code, string message) => new(tp, code, message);
            if (results.Any(x => x.TopicPartition == tp))
            {
                results.Add(Refused(ErrorCode.InvalidRequest, $"{tp} is named more than once; name each partition once."));
                continue;
            }
            if (!_topics.TryGetValue(tp.Topic, out var topic) || tp.Partition < 0 || tp.Partition >= topic.Partitions.Count)
            {
                results.Add(Refused(ErrorCode.UnknownTopicOrPartition, $"{tp} does not exist."));
                continue;
            }
            var p = topic.Partitions[tp.Partition];
            if (target.Replicas == null)
            {
                if (!_reassignments.TryGetValue(tp, out var ongoing))
                {
                    results.Add(Refused(ErrorCode.NoReassignmentInProgress, $"{tp} is not being reassigned."));
                    continue;
                }
                var isr = ongoing.Original.Where(p.Isr.Contains).ToArray();
                var leader = ongoing.Original.Contains(p.Leader) && liveBrokers.Contains(p.Leader) ? p.Leader : isr.FirstOrDefault(liveBrokers.Contains, -1);
                if (leader < 0)
                {
                    // Going back would leave the partition with no leader and delete the live copies it has.
                    results.Add(Refused(ErrorCode.ReassignmentInProgress,
                        $"{tp} cannot go back to replicas {string.Join(",", ongoing.Original)}: none of them is live and in sync. Let the reassignment finish."));
                    continue;
                }
                changes.Add((tp.Topic, p with { Replicas = ongoing.Original, Isr = isr, Leader = leader, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 }));
                ended.Add(tp);
                results.Add(new PartitionOutcome(tp, ErrorCode.None, null));
                continue;
            }
            var replicas = target.Replicas;
            var notLive = replicas.FirstOrDefault(b => !liveBrokers.Contains(b), -1);
            if (replicas.Count == 0 || replicas.Distinct().Count() != replicas.Count || notLive >= 0)
            {
                results.Add(Refused(ErrorCode.InvalidReplicaAssignment,
                    replicas.Count == 0 ? $"{tp} needs at least one replica."
                    : replicas.Distinct().Count() != replicas.Count ? $"The replicas {string.Join(",", replicas)} of {tp} name a broker twice."
                    : $"Broker {notLive} is not a live broker; the live brokers are {string.Join(",", liveBrokers.Order())}."));
                continue;
            }
            if (_reassignments.ContainsKey(tp))
            {
                results.Add(Refused(ErrorCode.ReassignmentInProgress, $"{tp} is being reassigned already; wait for it to finish or cancel it first."));
                continue;
            }
            results.Add(new PartitionOutcome(tp, ErrorCode.None, null));
            if (replicas.SequenceEqual(p.Replicas)) continue;
            if (replicas.Order().SequenceEqual(p.Replicas.Order()))
            {
                // Only the order changes (the preferred leader): nothing to copy.
                changes.Add((tp.Topic, p with { Replicas = replicas.ToArray(), PartitionEpoch = p.PartitionEpoch + 1 }));
                continue;
            }
            changes.Add((tp.Topic, p with { Replicas = replicas.Concat(p.Replicas.Except(replicas)).ToArray(), LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 }));
            started.Add(new PartitionReassignment(tp, replicas.ToArray(), p.Replicas, r.ThrottleBytesPerSecond));
        }
        var response = new ReassignPartitionsResponse(ErrorCode.None, null, results);
        return changes.Count == 0 ? ControllerResult.Reply(response)
            : new ControllerResult([new LeadershipChanged(changes, []), new ReassignmentsChanged(started, ended)], response);
    }

    /// <summary>
    /// Completes each reassignment whose target replicas are all in sync: the replicas become the target, the ISR keeps
    /// only target replicas, and a leader that is not a target replica hands over to the first in-sync target replica
    /// (at a new leader epoch, as for every change of replicas). Nothing when none is complete.
    /// </summary>
    public ControllerResult DecideReassignmentProgress(IReadOnlyCollection<int> live)
    {
        var changes = new List<(string, PartitionAssignment)>();
        var ended = new List<TopicPartition>();
        foreach (var r in _reassignments.Values)
        {
            var p = _topics[r.TopicPartition.Topic].Partitions[r.TopicPartition.Partition];
            if (!r.Target.All(p.Isr.Contains)) continue;
            var isr = r.Target.Where(p.Isr.Contains).ToArray();
            var leader = r.Target.Contains(p.Leader) && live.Contains(p.Leader) ? p.Leader : isr.FirstOrDefault(live.Contains, -1);
            changes.Add((r.TopicPartition.Topic, p with { Replicas = r.Target, Isr = isr, Leader = leader, LeaderEpoch = p.LeaderEpoch + 1, PartitionEpoch = p.PartitionEpoch + 1 }));
            ended.Add(r.TopicPartition);
        }
        return changes.Count == 0 ? ControllerResult.Nothing : new ControllerResult([new LeadershipChanged(changes, []), new ReassignmentsChanged([], ended)], null);
    }

    /// <summary>The reassignments in progress, as Kafka's ListPartitionReassignments answers.</summary>
    public ListPartitionReassignmentsResponse ListReassignments() =>
        new(ErrorCode.None, null, _reassignments.Values.OrderBy(r => r.TopicPartition.Topic, StringComparer.Ordinal).ThenBy(r => r.TopicPartition.Partition)
            .Select(r => new OngoingReassignment(r.TopicPartition, _topics[r.TopicPartition.Topic].Partitions[r.TopicPartition.Partition].Replicas,
                r.Adding, r.Removing, r.ThrottleBytesPerSecond)).ToArray());
}
