using Akka.Actor;
using Akka.Persistence;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>
/// Reads the controller state that single-broker versions kept in this broker's journal (persistence id
/// <c>controller</c>), so that upgrading a broker keeps its topics. Used once, when nothing is replicated yet; it
/// recovers, reports to its parent and stops. It never writes.
/// </summary>
internal sealed class LegacyControllerJournal : ReceivePersistentActor
{
    /// <summary>The journal's state, or null when this broker never had a controller journal.</summary>
    public sealed record Recovered(ControllerSnapshot? Snapshot);

    public static Props Props() => Akka.Actor.Props.Create(() => new LegacyControllerJournal());

    private readonly ControllerState _state = new();
    private bool _any;

    public LegacyControllerJournal()
    {
        Recover<SnapshotOffer>(o =>
        {
            _state.Restore((ControllerSnapshot)o.Snapshot);
            _any = true;
        });
        Recover<RecoveryCompleted>(_ =>
        {
            Context.Parent.Tell(new Recovered(_any ? _state.ToSnapshot() : null));
            Context.Stop(Self);
        });
        Recover<object>(e =>
        {
            _state.Apply(e);
            _any = true;
        });
    }

    public override string PersistenceId => ControllerActor.ControllerPersistenceId;
}
