using Akka.Actor;
using AkkaBroker.Actors.Gateway;
using AkkaBroker.Actors.Security;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// The Kafka listener's way to the broker's gateway, as one connection's principal: each request the ACLs refuse is
/// answered here with the refusal in its response's shape (so the Kafka APIs translate it like any broker error), and
/// Metadata and ListGroups answers are cut to what the principal may see, as Kafka's handlers do.
/// </summary>
internal sealed class GatewayClient(IActorRef gateway, Authorizer authorizer, string principal, string? host)
{
    /// <summary>Who the connection's requests are from (<c>User:ANONYMOUS</c> before or without authentication).</summary>
    public string Principal => principal;

    /// <summary>The same gateway for another principal (a connection that authenticated).</summary>
    public GatewayClient As(string newPrincipal) => new(gateway, authorizer, newPrincipal, host);

    public Task<T> Ask<T>(object request, TimeSpan timeout)
    {
        switch (request)
        {
            case MetadataRequest m:
                return (Task<T>)(object)RequestAuthorization.MetadataAsync(authorizer, principal, host, m, r => gateway.Ask<MetadataResponse>(r, timeout));
            case ListGroupsRequest l:
                return (Task<T>)(object)RequestAuthorization.ListGroupsAsync(authorizer, principal, host, l, r => gateway.Ask<ListGroupsResponse>(r, timeout));
        }
        if (RequestAuthorization.Check(authorizer, principal, host, request) is { } refused)
            return Task.FromResult((T)ClientErrorReplies.For(request, refused.Code, refused.Message));
        return gateway.Ask<T>(request, timeout);
    }

    /// <summary>A request that wants no answer (acks=0 produce): dropped when the ACLs refuse it, as Kafka does.</summary>
    public void Tell(object request)
    {
        if (RequestAuthorization.Check(authorizer, principal, host, request) == null) gateway.Tell(request, ActorRefs.NoSender);
    }
}
