using Akka.Actor;
using Akka.DistributedData;
using AkkaBroker.Actors.Controller;

namespace AkkaBroker.Actors.Security;

/// <summary>Keeps this broker's <see cref="ScramCredentialStore"/> and <see cref="Authorizer"/> up to date with the replicated controller state.</summary>
public sealed class SecurityMetadataWatcher : ReceiveActor
{
    public const string Name = "security-metadata";

    /// <param name="loaded">Completed once the state has been read the first time: the broker serves clients from then on.</param>
    public static Props Props(ScramCredentialStore store, Authorizer authorizer, TaskCompletionSource loaded) =>
        Akka.Actor.Props.Create(() => new SecurityMetadataWatcher(store, authorizer, loaded));

    public SecurityMetadataWatcher(ScramCredentialStore store, Authorizer authorizer, TaskCompletionSource loaded)
    {
        Receive<Changed>(c => c.Key.Equals(ControllerActor.StateKey), c =>
        {
            var snapshot = c.Get(ControllerActor.StateKey).Value;
            store.Update(snapshot);
            authorizer.Update(snapshot.Acls ?? []);
            loaded.TrySetResult();
        });
    }

    protected override void PreStart() => DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(ControllerActor.StateKey, Self));
}
