using Akka.Actor;
using AkkaBroker.Actors.Gateway;
using AkkaBroker.Actors.Security;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// The Kafka listener's way to the broker's gateway, as one connection's principal: each request the ACLs refuse is
/// answered here with the refusal in its response's shape (so the Kafka APIs translate it like any broker error), and
/// Metadata and ListGroups answers are cut to what the principal may see, as Kafka's handlers do. ListGroups goes to this
/// broker's group directory: a Kafka broker lists the groups it coordinates, and clients ask every broker.
/// </summary>
internal sealed class GatewayClient(IActorRef gateway, IActorRef groupDirectory, Authorizer authorizer, string principal, string? host)
{
    /// <summary>Who the connection's requests are from (<c>User:ANONYMOUS</c> before or without authentication).</summary>
    public string Principal => principal;

    /// <summary>The same gateway for another principal (a connection that authenticated).</summary>
    public GatewayClient As(string newPrincipal) => new(gateway, groupDirectory, authorizer, newPrincipal, host);

    public Task<T> Ask<T>(object request, TimeSpan timeout)
    {
        if (RequestAuthorization.Check(authorizer, principal, host, request) is { } refused)
            return Task.FromResult((T)ClientErrorReplies.For(request, refused.Code, refused.Message));
        return request switch
        {
            MetadataRequest m => (Task<T>)(object)RequestAuthorization.MetadataAsync(authorizer, principal, host, m, r => gateway.Ask<MetadataResponse>(r, timeout)),
            ListGroupsRequest l => (Task<T>)(object)RequestAuthorization.ListGroupsAsync(authorizer, principal, host, l, r => groupDirectory.Ask<ListGroupsResponse>(r, timeout)),
            OffsetFetchRequest { Partitions: null } o =>
                (Task<T>)(object)RequestAuthorization.OffsetFetchAsync(authorizer, principal, host, o, r => gateway.Ask<OffsetFetchResponse>(r, timeout)),
            _ => gateway.Ask<T>(request, timeout),
        };
    }

    /// <summary>Whether the connection's principal may <paramref name="operation"/> the resource (for requests not sent through the gateway).</summary>
    public bool May(AclOperation operation, AclResourceType type, string name) => authorizer.Authorize(principal, host, operation, type, name);

    /// <summary>
    /// Kafka's authorized-operations bit field for a resource: of <paramref name="served"/> (the operations the resource
    /// type has, as a bit field of operation numbers), those this principal may perform.
    /// </summary>
    public int AuthorizedOperations(int served, AclResourceType type, string name)
    {
        var allowed = 0;
        for (var op = 0; op < 32; op++)
            if ((served & (1 << op)) != 0 && authorizer.Authorize(principal, host, (AclOperation)op, type, name)) allowed |= 1 << op;
        return allowed;
    }

    /// <summary>A request that wants no answer (acks=0 produce); false when the ACLs refuse it (the connection is then closed, as Kafka closes it).</summary>
    public bool Tell(object request)
    {
        if (RequestAuthorization.Check(authorizer, principal, host, request) != null) return false;
        gateway.Tell(request, ActorRefs.NoSender);
        return true;
    }
}
