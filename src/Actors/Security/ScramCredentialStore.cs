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

    /// <summary>Whether the replicated state has been read: until then no login can be checked (and none is refused for it).</summary>
    public bool Loaded => _snapshot != null;

    /// <summary>The credential of <paramref name="user"/> for <paramref name="mechanism"/>, or null.</summary>
    public ScramCredential? Lookup(string user, ScramMechanism mechanism) => _snapshot is { } s ? ControllerState.CredentialIn(s, user, mechanism) : null;

    internal void Update(ControllerSnapshot snapshot) => _snapshot = snapshot;
}
