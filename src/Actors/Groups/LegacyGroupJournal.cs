using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Groups;

/// <summary>
/// Reads the journal a group coordinator kept on its broker before group state moved into <c>__consumer_offsets</c>
/// (persistence id <c>group-{id}</c>), hands it to its parent coordinator as events, and deletes it when told, once the
/// coordinator has stored them as replicated records. A group that never had such a journal recovers nothing.
/// </summary>
public sealed class LegacyGroupJournal : ReceivePersistentActor
{
    public static Props Props(string groupId) => Akka.Actor.Props.Create(() => new LegacyGroupJournal(groupId));

    /// <summary>The old journal's content: its latest snapshot (if any) and the events after it (none when there was no journal).</summary>
    public sealed record Recovered(GroupSnapshot? Snapshot, IReadOnlyList<object> Events)
    {
        public bool IsEmpty => Snapshot == null && Events.Count == 0;
    }

    /// <summary>The events are stored elsewhere now: delete the old journal and its snapshots, then stop.</summary>
    public sealed record Delete
    {
        public static readonly Delete Instance = new();
    }

    private readonly string _groupId;
    private readonly List<object> _events = new();
    private GroupSnapshot? _snapshot;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _deletions;

    public LegacyGroupJournal(string groupId)
    {
        _groupId = groupId;
        Recover<SnapshotOffer>(o => _snapshot = (GroupSnapshot)o.Snapshot);
        Recover<RecoveryCompleted>(_ => Context.Parent.Tell(new Recovered(_snapshot, _events.ToArray())));
        Recover<object>(e => _events.Add(e));
        Command<Delete>(_ =>
        {
            DeleteMessages(LastSequenceNr);
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
        });
        Command<DeleteMessagesSuccess>(_ => Deleted());
        Command<DeleteSnapshotsSuccess>(_ => Deleted());
        Command<DeleteMessagesFailure>(f =>
        {
            // Harmless: the group's records are in the offsets topic, which a coordinator reads first from now on.
            _log.Warning("[{0}] the old group journal could not be deleted: {1}", _groupId, f.Cause.Message);
            Deleted();
        });
        Command<DeleteSnapshotsFailure>(f =>
        {
            _log.Warning("[{0}] the old group snapshots could not be deleted: {1}", _groupId, f.Cause.Message);
            Deleted();
        });
    }

    public override string PersistenceId => "group-" + _groupId;

    private void Deleted()
    {
        if (++_deletions == 2) Context.Stop(Self);
    }
}
