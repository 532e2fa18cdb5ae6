using Akka.Actor;
using Akka.DistributedData;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Security;

namespace AkkaBroker.Actors.Security;

/// <summary>
/// The users' SCRAM credentials as this broker last saw them in the controller's replicated state: what its endpoints
/// check logins against, without asking the controller (which may be moving). Read from any thread.
/// </summary>
public sealed class ScramCredentialStore
{
    private volatile ControllerSnapshot? _snapshot;

    /// <summary>The credential of <paramref name="user"/> for <paramref name="mechanism"/>, or null.</summary>
    public ScramCredential? Lookup(string user, ScramMechanism mechanism) => _snapshot is { } s ? ControllerState.CredentialIn(s, user, mechanism) : null;

    internal void Update(ControllerSnapshot snapshot) => _snapshot = snapshot;
}

/// <summary>Keeps a <see cref="ScramCredentialStore"/> up to date with the replicated controller state.</summary>
public sealed class ScramCredentialWatcher : ReceiveActor
{
    public const string Name = "scram-credentials";

    public static Props Props(ScramCredentialStore store) => Akka.Actor.Props.Create(() => new ScramCredentialWatcher(store));

    public ScramCredentialWatcher(ScramCredentialStore store)
    {
        Receive<Changed>(c => c.Key.Equals(ControllerActor.StateKey), c => store.Update(c.Get(ControllerActor.StateKey).Value));
    }

    protected override void PreStart() => DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(ControllerActor.StateKey, Self));
}
