using Akka.Actor;
using Akka.Persistence;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// Reads a range of one partition's journal events for a fetch or timestamp lookup that the tail cache cannot serve,
/// then stops. One short-lived child per read, so the partition actor keeps appending while the journal reads.
/// </summary>
internal sealed class JournalRangeReader : ReceiveActor
{
    /// <summary>
    /// The batches read with their journal sequence numbers, in journal order, or the error that stopped the read.
    /// Batches a truncation removed are among them: filter with <see cref="PartitionLog.LiveBatches"/>.
    /// </summary>
    public sealed record RangeRead(long CorrelationId, IReadOnlyList<(long SequenceNr, byte[] Batch)> Events, string? Error);

    public static Props Props(IActorRef journal, string persistenceId, long from, long to, long correlationId) =>
        Akka.Actor.Props.Create(() => new JournalRangeReader(journal, persistenceId, from, to, correlationId));

    private readonly List<(long, byte[])> _batches = new();

    public JournalRangeReader(IActorRef journal, string persistenceId, long from, long to, long correlationId)
    {
        journal.Tell(new ReplayMessages(from, to, to - from + 1, persistenceId, Self));
        SetReceiveTimeout(TimeSpan.FromSeconds(30));
        Receive<ReplayedMessage>(m =>
        {
            if (m.Persistent.Payload is BatchAppended b) _batches.Add((m.Persistent.SequenceNr, b.Batch));
        });
        Receive<RecoverySuccess>(_ => Finish(correlationId, null));
        Receive<ReplayMessagesFailure>(f => Finish(correlationId, $"journal read failed: {f.Cause.Message}"));
        Receive<ReceiveTimeout>(_ => Finish(correlationId, "journal read timed out after 30 s"));
    }

    private void Finish(long correlationId, string? error)
    {
        Context.Parent.Tell(new RangeRead(correlationId, _batches, error));
        Context.Stop(Self);
    }
}
