using System.Reflection;
using Akka.Actor;
using Akka.Configuration;
using AkkaBroker.Actors.Gateway;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Security;
using AkkaBroker.Protocol.Serialization;
using AkkaBroker.Tests.Integration;
using AkkaBroker.Tests.Serialization;
using Xunit;
using ErrorCode = AkkaBroker.Protocol.ErrorCode;
using static AkkaBroker.Tests.Connect.Runtime.Wait;

namespace AkkaBroker.Tests.Security;

/// <summary>
/// Every request of the client protocol, from a client with no credentials, with wrong ones, and with right ones but no
/// ACL: each is refused with the error Kafka gives, in the shape its sender waits for, and none is served. The client is a
/// bare ActorSystem that speaks the protocol itself over TCP, as any host on the network could.
/// </summary>
public sealed class EveryApiSpec : IAsyncLifetime
{
    private BrokerFixture _broker = null!;
    private ActorSystem _client = null!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerFixture.StartAsync("""
            akkabroker.broker.listeners = ""
            akkabroker.broker.client-endpoint.sasl.enabled = on
            akkabroker.broker.authorizer.class.name = StandardAuthorizer
            akkabroker.broker.super.users = "User:admin"
            akkabroker.broker.sasl.add-scram = ["SCRAM-SHA-256=[name=mallory,password=mallory-secret]"]
            """);
        _client = ActorSystem.Create("probe", ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, maximum-frame-size = 16MiB }
            """).WithFallback(BrokerSerialization.Config));
    }

    public async Task DisposeAsync()
    {
        await _client.Terminate();
        await _broker.DisposeAsync();
    }

    /// <summary>One request of each client-protocol type (an acks=0 produce has no answer to check and is left out).</summary>
    private static IEnumerable<object> ClientRequests() =>
        BrokerSerializerTests.Samples().Select(s => s[0]).Where(ClientGateway.IsClientRequest).Where(r => r is not ProduceRequest { Acks: 0 });

    /// <summary>The broker's gateway, once it serves (after it has read the users and ACLs).</summary>
    private async Task<IActorRef> GatewayAsync()
    {
        IActorRef? gateway = null;
        await UntilAsync(async () =>
        {
            try
            {
                gateway = await _client.ActorSelection($"akka.tcp://akkabroker@{_broker.Bootstrap}/user/broker").ResolveOne(TimeSpan.FromSeconds(5));
                return true;
            }
            catch (ActorNotFoundException)
            {
                return false;
            }
        }, "the broker to serve clients");
        return gateway!;
    }

    [Fact]
    public async Task Without_credentials_every_request_is_refused_sasl_authentication_failed()
    {
        var gateway = await GatewayAsync();
        var requests = ClientRequests().ToList();
        Assert.True(requests.Count >= 30, $"expected a sample of every client request, found {requests.Count}");
        foreach (var request in requests)
        {
            var reply = await gateway.Ask<object>(request, TimeSpan.FromSeconds(10));
            Assert.True(ErrorsOf(reply).All(e => e == ErrorCode.SaslAuthenticationFailed) && ErrorsOf(reply).Any(),
                $"{request.GetType().Name} was answered {reply}, not SASL_AUTHENTICATION_FAILED");
        }
    }

    [Fact]
    public async Task Wrong_credentials_end_the_session_before_anything_is_served()
    {
        var gateway = await GatewayAsync();
        // Once the broker can check credentials at all (the user exists), a wrong password is tried.
        await AuthenticateAsync(gateway, "mallory", "mallory-secret");
        var (session, name) = await HandshakeAsync(gateway);
        var client = new ScramClient(ScramMechanism.Sha256, "mallory", "not-the-password");
        var first = await session.Ask<SaslAuthenticateResponse>(new SaslAuthenticateRequest(client.First()), TimeSpan.FromSeconds(10));
        var final = await session.Ask<SaslAuthenticateResponse>(new SaslAuthenticateRequest(client.Respond(first.AuthBytes)!), TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.SaslAuthenticationFailed, final.Error);
        Assert.False(final.Complete);
        // The session is gone: what is sent to its name reaches nobody.
        var endpoint = _broker.Node.ClientEndpoint!.System;
        await UntilAsync(async () =>
            (await endpoint.ActorSelection($"/user/broker/{name}").Ask<ActorIdentity>(new Identify(1), TimeSpan.FromSeconds(5))).Subject == null,
            "the failed session to stop");
    }

    [Fact]
    public async Task With_credentials_and_no_acl_every_request_is_refused_an_authorization_error_or_shown_nothing()
    {
        var gateway = await GatewayAsync();
        var session = await AuthenticateAsync(gateway, "mallory", "mallory-secret");
        foreach (var request in ClientRequests())
        {
            var reply = await session.Ask<object>(request, TimeSpan.FromSeconds(10));
            switch (request)
            {
                case DescribeClusterRequest:
                    // The cluster's brokers are no secret in Kafka either.
                    Assert.Equal(ErrorCode.None, ((DescribeClusterResponse)reply).Error);
                    break;
                case ListGroupsRequest:
                    Assert.Empty(((ListGroupsResponse)reply).GroupIds);
                    break;
                case MetadataRequest { Topics: null }:
                    Assert.Empty(((MetadataResponse)reply).Topics);
                    break;
                default:
                    var errors = ErrorsOf(reply);
                    Assert.True(errors.Count > 0 && errors.All(e => e is ErrorCode.TopicAuthorizationFailed or ErrorCode.GroupAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed),
                        $"{request.GetType().Name} was answered {reply}, not an authorization failure");
                    break;
            }
        }
    }

    private async Task<(IActorRef Session, string Name)> HandshakeAsync(IActorRef gateway)
    {
        var handshake = await gateway.Ask<SaslHandshakeResponse>(new SaslHandshakeRequest("SCRAM-SHA-256"), TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.None, handshake.Error);
        return (((ExtendedActorSystem)_client).Provider.ResolveActorRef(gateway.Path / handshake.Session), handshake.Session);
    }

    private async Task<IActorRef> AuthenticateAsync(IActorRef gateway, string user, string password)
    {
        // The controller creates the user once it runs; the broker answers "retry" until it has read the metadata.
        IActorRef? authenticated = null;
        await UntilAsync(async () =>
        {
            var handshake = await gateway.Ask<SaslHandshakeResponse>(new SaslHandshakeRequest("SCRAM-SHA-256"), TimeSpan.FromSeconds(10));
            if (handshake.Error != ErrorCode.None) return false;
            var session = ((ExtendedActorSystem)_client).Provider.ResolveActorRef(gateway.Path / handshake.Session);
            var client = new ScramClient(ScramMechanism.Sha256, user, password);
            var first = await session.Ask<SaslAuthenticateResponse>(new SaslAuthenticateRequest(client.First()), TimeSpan.FromSeconds(10));
            var final = await session.Ask<SaslAuthenticateResponse>(new SaslAuthenticateRequest(client.Respond(first.AuthBytes)!), TimeSpan.FromSeconds(10));
            if (!final.Complete) return false;
            Assert.Null(client.Respond(final.AuthBytes));
            authenticated = session;
            return true;
        }, $"{user} to authenticate");
        return authenticated!;
    }

    /// <summary>The error codes a reply carries: its own, or each topic's for metadata.</summary>
    private static List<ErrorCode> ErrorsOf(object reply)
    {
        if (reply is MetadataResponse metadata) return metadata.Topics.Select(t => t.Error).ToList();
        var property = reply.GetType().GetProperty("Error", BindingFlags.Public | BindingFlags.Instance);
        return property?.GetValue(reply) is ErrorCode code ? [code] : [];
    }
}
