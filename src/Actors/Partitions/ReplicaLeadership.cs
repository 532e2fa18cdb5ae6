using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// How a replica takes the controller's word on its role (Kafka's LeaderAndIsr handling), with no actor or I/O.
/// <code>
///            +--EnsurePartition(leader = this broker, leader epoch >= the log's last)--> Leader
///   (none) --+--EnsurePartition(leader = another live replica)--------------------------> Follower
///            +--EnsurePartition(no leader / not a replica)------------------------------> (none)
///   Leader or Follower --EnsurePartition(a newer leader epoch)--> Leader, Follower or (none)
///   Leader or Follower --EnsurePartition(same leader epoch, newer partition epoch)--> same role, new ISR
///   any --DeletePartition--> (none), log gone
/// </code>
/// What fences a replica (the highest controller epoch, leader epoch and partition epoch it accepted) is journaled
/// before the role changes (<see cref="LeadershipAccepted"/>), so a restarted replica refuses what it refused before
/// it stopped. A leader epoch below the newest one in the log is refused: batches stamped with it would sort before
/// batches already written.
/// </summary>
public static class ReplicaLeadership
{
    public enum Role { None, Leader, Follower }

    /// <summary>The highest epochs this replica accepted; (-1, -1, -1) before its first leadership.</summary>
    public sealed record Fencing(int ControllerEpoch, int LeaderEpoch, int PartitionEpoch)
    {
        public static readonly Fencing Initial = new(-1, -1, -1);

        public static Fencing Of(LeadershipAccepted e) => new(e.ControllerEpoch, e.LeaderEpoch, e.PartitionEpoch);
    }

    public abstract record Decision
    {
        /// <summary>Older than what the replica accepted: acknowledged and ignored.</summary>
        public sealed record Stale(string Why) : Decision;

        /// <summary>The controller asks for something unsafe: refused, the replica keeps its role.</summary>
        public sealed record Refused(string Why) : Decision;

        /// <summary>The same leadership with news (a recorded ISR, the leader's address).</summary>
        public sealed record Updated(PartitionAssignment Next) : Decision;

        /// <summary>A new role under <c>Next</c>.</summary>
        public sealed record Become(Role Role, PartitionAssignment Next, string Why) : Decision;
    }

    /// <param name="current">The role now, and the leader epoch it was taken under.</param>
    /// <param name="logLatestEpoch">The newest leader epoch among the log's batches.</param>
    public static Decision Decide(int brokerId, (Role Role, PartitionAssignment? Assignment) current, Fencing known, int logLatestEpoch, EnsurePartition command)
    {
        var next = command.Assignment;
        if (command.ControllerEpoch < known.ControllerEpoch)
            return new Decision.Stale($"controller epoch {command.ControllerEpoch} is older than {known.ControllerEpoch}, which this replica already follows");
        if (next.LeaderEpoch < known.LeaderEpoch || (next.LeaderEpoch == known.LeaderEpoch && next.PartitionEpoch < known.PartitionEpoch))
            return new Decision.Stale($"leader epoch {next.LeaderEpoch} (partition epoch {next.PartitionEpoch}) is older than {known.LeaderEpoch} ({known.PartitionEpoch})");
        if (current.Role != Role.None && current.Assignment is { } now && next.LeaderEpoch == now.LeaderEpoch && next.Leader == now.Leader)
            return new Decision.Updated(next);
        if (next.Leader == brokerId)
            return next.LeaderEpoch < logLatestEpoch
                ? new Decision.Refused($"leadership at epoch {next.LeaderEpoch} is below epoch {logLatestEpoch}, the newest in this replica's log")
                : new Decision.Become(Role.Leader, next, "this broker is the leader");
        if (next.Leader >= 0 && next.Replicas.Contains(brokerId) && command.Leader != null)
            return new Decision.Become(Role.Follower, next, $"broker {next.Leader} leads");
        return new Decision.Become(Role.None, next,
            next.Leader < 0 ? "the partition has no live in-sync replica to lead it" : "this broker is not one of its replicas");
    }

    /// <summary>What must be journaled before <paramref name="next"/> is taken up, or null when the journal already fences as much.</summary>
    public static LeadershipAccepted? ToRecord(Fencing known, int controllerEpoch, PartitionAssignment next) =>
        controllerEpoch > known.ControllerEpoch || next.LeaderEpoch > known.LeaderEpoch || next.PartitionEpoch > known.PartitionEpoch
            // The controller moves the partition epoch on every change, leader changes included: each number only grows.
            ? new LeadershipAccepted(Math.Max(controllerEpoch, known.ControllerEpoch), Math.Max(next.LeaderEpoch, known.LeaderEpoch),
                Math.Max(next.PartitionEpoch, known.PartitionEpoch))
            : null;

    /// <summary>
    /// What to journal before <paramref name="decision"/> is taken up: the topic's config when it differs from
    /// <paramref name="currentConfig"/> (null: the log does not exist), unless the controller is a replaced one; and what
    /// fences the replica when the decision moves it on. Empty when there is nothing to journal.
    /// </summary>
    public static IReadOnlyList<object> ToJournal(Decision decision, Fencing known, EnsurePartition command, IReadOnlyDictionary<string, string>? currentConfig)
    {
        var events = new List<object>(2);
        if (command.ControllerEpoch < known.ControllerEpoch) return events;
        if (currentConfig == null || currentConfig.Count != command.Config.Count ||
            currentConfig.Any(kv => !command.Config.TryGetValue(kv.Key, out var v) || v != kv.Value))
            events.Add(new PartitionConfigured(command.Config));
        if (decision is Decision.Updated or Decision.Become && ToRecord(known, command.ControllerEpoch, command.Assignment) is { } record) events.Add(record);
        return events;
    }

    /// <summary>
    /// The one check every role change passes: from a leading or following role only a newer leader epoch moves the
    /// replica into another leading or following role; (none) is always reachable.
    /// </summary>
    /// <exception cref="InvalidOperationException">the transition would re-enter a role under an epoch it already had.</exception>
    public static void CheckTransition((Role Role, PartitionAssignment? Assignment) from, Role to, PartitionAssignment next)
    {
        if (to == Role.None || from.Role == Role.None || from.Assignment == null) return;
        if (next.LeaderEpoch <= from.Assignment.LeaderEpoch)
            throw new InvalidOperationException($"a replica cannot move from {from.Role} at leader epoch {from.Assignment.LeaderEpoch} to {to} at epoch {next.LeaderEpoch}");
    }
}
