using Akka.Actor;
using Akka.DistributedData;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Actors.Quotas;

namespace AkkaBroker.Actors.Security;

/// <summary>
/// Keeps this broker's copies of what it checks clients against up to date with the replicated controller state: the
/// users' credentials (<see cref="ScramCredentialStore"/>), the ACLs (<see cref="Authorizer"/>) and the client quotas
/// (<see cref="ClientQuotaManager"/>).
/// </summary>
public sealed class SecurityMetadataWatcher : ReceiveActor
{
    public const string Name = "security-metadata";

    /// <param name="loaded">Completed once the state has been read the first time: the broker serves clients from then on.</param>
    public static Props Props(ScramCredentialStore store, Authorizer authorizer, ClientQuotaManager quotas, TaskCompletionSource loaded) =>
        Akka.Actor.Props.Create(() => new SecurityMetadataWatcher(store, authorizer, quotas, loaded));

    public SecurityMetadataWatcher(ScramCredentialStore store, Authorizer authorizer, ClientQuotaManager quotas, TaskCompletionSource loaded)
    {
        Receive<Changed>(c => c.Key.Equals(ControllerActor.StateKey), c =>
        {
            var snapshot = c.Get(ControllerActor.StateKey).Value;
            store.Update(snapshot);
            authorizer.Update(snapshot.Acls ?? []);
            quotas.Update(snapshot.ClientQuotas ?? []);
            loaded.TrySetResult();
        });
    }

    protected override void PreStart() => DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(ControllerActor.StateKey, Self));
}
