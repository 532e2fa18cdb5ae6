using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// A source record handed to the producer, as <see cref="SubmittedRecords.Submit"/> returned it. The stream keeps it
/// with the send and hands it back with the target's answer (<see cref="SubmittedRecords.Acknowledged"/> or
/// <see cref="SubmittedRecords.Failed"/>).
/// </summary>
/// <param name="TopicPartition">The source partition the record was consumed from.</param>
/// <param name="Offset">Its offset in the source partition.</param>
/// <param name="Generation">
/// The assignment of the partition it was submitted under. A partition can be revoked and assigned again while sends
/// are in flight; an answer from an earlier assignment must not count for records consumed again in the later one.
/// </param>
public readonly record struct SubmittedRecord(TopicPartition TopicPartition, long Offset, long Generation)
{
    /// <inheritdoc />
    public override string ToString() => $"{TopicPartition} @{Offset}";
}
