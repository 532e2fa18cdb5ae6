using Akka.Actor;
using Akka.DistributedData;
using AkkaBroker.Actors.Controller;

namespace AkkaBroker.Actors.Security;

/// <summary>Keeps this broker's <see cref="ScramCredentialStore"/> and <see cref="Authorizer"/> up to date with the replicated controller state.</summary>
public sealed class SecurityMetadataWatcher : ReceiveActor
{
    public const string Name = "security-metadata";

    public static Props Props(ScramCredentialStore store, Authorizer authorizer) => Akka.Actor.Props.Create(() => new SecurityMetadataWatcher(store, authorizer));

    public SecurityMetadataWatcher(ScramCredentialStore store, Authorizer authorizer)
    {
        Receive<Changed>(c => c.Key.Equals(ControllerActor.StateKey), c =>
        {
            var snapshot = c.Get(ControllerActor.StateKey).Value;
            store.Update(snapshot);
            authorizer.Update(snapshot.Acls ?? []);
        });
    }

    protected override void PreStart() => DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(ControllerActor.StateKey, Self));
}
