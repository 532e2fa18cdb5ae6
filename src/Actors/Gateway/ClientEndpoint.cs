using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol.Serialization;
using Microsoft.Extensions.Logging;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// The broker's client endpoint: an ActorSystem of its own (Akka.Remote, not a cluster member) on its own port, in
/// Akka's untrusted mode with only <c>/user/broker</c> (<see cref="ClientGateway"/>) reachable by actor selection,
/// no remote deployment, no system messages from outside and Akka's JSON serializer replaced by a refusal. The
/// cluster's ActorSystem cannot run in untrusted mode (Akka.Cluster's own daemons are reached by selection and
/// watched), so clients get this second system rather than a filter on the cluster's port.
/// </summary>
public sealed class ClientEndpoint : IAsyncDisposable
{
    private ClientEndpoint(ActorSystem system, ClientEndpointSettings settings)
    {
        System = system;
        Settings = settings;
        // Subscribed a few milliseconds after the bind, before the tracker has even started, so that a client connecting
        // while the broker starts is seen.
        var tracker = system.ActorOf(ConnectionTracker.Props(_connected), ConnectionTracker.Name);
        system.EventStream.Subscribe(tracker, typeof(Akka.Remote.AssociatedEvent));
        system.EventStream.Subscribe(tracker, typeof(Akka.Remote.DisassociatedEvent));
    }

    private readonly ConnectedClients _connected = new();

    /// <summary>The client-facing ActorSystem.</summary>
    public ActorSystem System { get; }

    public ClientEndpointSettings Settings { get; }

    /// <summary>The port bound (differs from the setting when that was 0).</summary>
    public int BoundPort => ((ExtendedActorSystem)System).Provider.DefaultAddress.Port ?? Settings.Port;

    /// <summary>The address clients are given: the public host and the bound port.</summary>
    public (string Host, int Port) Advertised => (Settings.PublicHostname, BoundPort);

    /// <summary>
    /// Binds the endpoint's port. Clients that connect before <see cref="Serve"/> find no gateway and are told the broker
    /// is still starting; the port is bound first because its address travels in the broker's cluster roles.
    /// </summary>
    /// <param name="cluster">The broker's full configuration: its loglevel and the cluster endpoint's frame sizes apply here too.</param>
    public static ClientEndpoint Bind(ClientEndpointSettings settings, Config cluster, ILoggerFactory? loggerFactory)
    {
        var tcp = cluster.GetConfig("akka.remote.dot-netty.tcp");
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = {{cluster.GetString("akka.loglevel")}}
              stdout-loglevel = {{cluster.GetString("akka.stdout-loglevel")}}
              log-dead-letters = off
              actor {
                provider = remote
                # What a client could use to harm the endpoint is read by serializers that refuse it (RefusingSerializer.cs).
                serializers {
                  json = "{{Name<RefusingJsonSerializer>()}}"
                  proto = "{{Name<RefusingProtobufSerializer>()}}"
                  daemon-create = "{{Name<RefusingDaemonSerializer>()}}"
                  akka-system-msg = "{{Name<RefusingSystemMessageSerializer>()}}"
                  akka-misc = "{{Name<IdentifyOnlySerializer>()}}"
                }
                serialization-identifiers {
                  "{{Name<RefusingJsonSerializer>()}}" = 1
                  "{{Name<RefusingProtobufSerializer>()}}" = 2
                  "{{Name<RefusingDaemonSerializer>()}}" = 3
                  "{{Name<IdentifyOnlySerializer>()}}" = 16
                  "{{Name<RefusingSystemMessageSerializer>()}}" = 22
                }
              }
              remote {
                untrusted-mode = on
                trusted-selection-paths = ["/user/{{ClientGateway.Name}}"]
                log-remote-lifecycle-events = off
                dot-netty.tcp {
                  hostname = "{{settings.Hostname}}"
                  public-hostname = "{{settings.PublicHostname}}"
                  port = {{settings.Port}}
                  tcp-reuse-addr = {{(settings.TcpReuseAddress ? "on" : "off")}}
                  # Record batches travel in one message, as on the cluster endpoint.
                  maximum-frame-size = {{tcp.GetString("maximum-frame-size")}}
                  send-buffer-size = {{tcp.GetString("send-buffer-size")}}
                  receive-buffer-size = {{tcp.GetString("receive-buffer-size")}}
                }
              }
            }
            """)
            .WithFallback(BrokerSerialization.Config);
        if (settings.Tls.Enabled) config = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = true").WithFallback(config);
        var setup = loggerFactory == null
            ? ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config))
            : LoggingSettings.AkkaLoggingThrough(loggerFactory).SystemSetup(config);
        // With client.auth = required only holders of a certificate the truststore vouches for get through TLS at all;
        // which principal a connection is comes from the proof in its authentication (Akka.Remote does not tell).
        if (settings.Tls.Enabled) setup = setup.And(settings.Tls.Setup(mutual: settings.ClientAuth == Kafka.SslClientAuth.Required));
        return new ClientEndpoint(ActorSystem.Create(BrokerNode.ActorSystemName, setup), settings);
    }

    private static string Name<T>() => $"{typeof(T).FullName}, {typeof(T).Assembly.GetName().Name}";

    /// <summary>Starts the gateway: from now on clients' requests go to <paramref name="clusterGateway"/> in <paramref name="cluster"/>.</summary>
    /// <param name="authentication">What clients authenticate with; null when they do not (neither SASL nor client certificates).</param>
    /// <param name="authorizer">The ACLs requests are checked against.</param>
    /// <param name="quotas">The client quotas requests are counted against.</param>
    public void Serve(ActorSystem cluster, IActorRef clusterGateway, ClientAuthentication? authentication, Security.Authorizer authorizer, Quotas.ClientQuotaManager quotas)
    {
        var relays = new ReplyRelays(((ExtendedActorSystem)cluster).Provider, cluster.Scheduler, Settings.MaxInFlightRequestsPerConnection, quotas.Settings.Window);
        System.ActorOf(ClientGateway.Props(clusterGateway, relays, _connected, authentication, authorizer, quotas), ClientGateway.Name);
    }

    public async ValueTask DisposeAsync() => await System.Terminate();
}
