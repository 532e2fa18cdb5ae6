using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>
/// New leadership for some partitions, decided by the controller (an election, an ISR change a leader proposed, or a
/// move back to the preferred replica). Applied to the controller's state; never journaled on its own, because the
/// whole state is what is replicated.
/// </summary>
/// <param name="Changes">Each changed partition's complete new assignment.</param>
/// <param name="UncleanElections">Partitions whose new leader was not in sync: records it lacks are lost.</param>
public sealed record LeadershipChanged(IReadOnlyList<(string Topic, PartitionAssignment Partition)> Changes, IReadOnlyList<(string Topic, int Partition)> UncleanElections);
