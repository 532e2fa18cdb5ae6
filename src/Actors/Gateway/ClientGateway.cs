using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// The client endpoint's only reachable actor, at <c>/user/broker</c> of the client-facing ActorSystem (the path clients
/// have always resolved). It passes the client protocol's requests to the cluster's <see cref="BrokerGateway"/> with a
/// <see cref="ReplyRelay"/> as their sender, and refuses everything else: the messages that only brokers and the
/// controller may send (replica fetches, replica commands, ISR changes, forwarded group requests) and anything unknown
/// are dropped, counted (<c>akkabroker.client_endpoint.refused</c>) and logged with the sender's address.
/// </summary>
public sealed class ClientGateway : ReceiveActor, IWithTimers
{
    public const string Name = BrokerGateway.Name;

    /// <summary>How long a request may wait for its answer when it says nothing of its own (a fetch waits at most 30 s, admin requests their admin.timeout).</summary>
    internal static readonly TimeSpan DefaultRequestLifetime = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    internal static Props Props(IActorRef clusterGateway, ReplyRelays relays, ConnectedClients connected) =>
        Akka.Actor.Props.Create(() => new ClientGateway(clusterGateway, relays, connected));

    private sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _lastWarningAt;
    private int _unloggedRefusals;

    public ITimerScheduler Timers { get; set; } = null!;

    public ClientGateway(IActorRef clusterGateway, ReplyRelays relays, ConnectedClients connected)
    {
        Receive<Sweep>(_ =>
        {
            if (relays.Expire() is > 0 and var expired)
            {
                BrokerMetrics.ClientEndpointRefused.Add(expired, new KeyValuePair<string, object?>("reason", "unanswered"));
                _log.Warning("{0} client request(s) got no answer within their lifetime and were given up (the client has retried or timed out long since)", expired);
            }
        });
        Receive<DisassociatedEvent>(e => relays.Close(e.RemoteAddress));
        ReceiveAny(message =>
        {
            if (!IsClientRequest(message))
            {
                Refuse(message, "broker_only", "only brokers and the controller may send it, on the cluster endpoint");
                return;
            }
            var noReply = Sender.IsNobody() || Sender.Equals(Context.System.DeadLetters);
            // A produce with acks=0 asks for no answer: nothing waits for it. Everything else names who gets the reply.
            if (noReply && message is ProduceRequest { Acks: 0 })
            {
                clusterGateway.Tell(message, ActorRefs.NoSender);
                return;
            }
            // A sender is only the name a message gives, so only a client connected here may be answered: otherwise
            // the broker would send a reply wherever a client said, into the cluster or anywhere else.
            if (noReply || !connected.Contains(Sender.Path.Address))
            {
                Refuse(message, "unknown_sender", noReply
                    ? "it names no sender to answer"
                    : $"it names a sender at {Sender.Path.Address}, which is not a client connected to this endpoint");
                return;
            }
            if (relays.TryOpen(Sender, LifetimeOf(message)) is not { } relay)
            {
                Refuse(message, "too_many_in_flight", "its connection has the most requests in flight that akkabroker.broker.client-endpoint.max-in-flight-requests-per-connection allows");
                return;
            }
            clusterGateway.Tell(message, relay);
        });
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, SweepInterval);
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>The requests of the client protocol (what AkkaBroker.Client and the command-line tools send).</summary>
    public static bool IsClientRequest(object message) => message switch
    {
        ProduceRequest or FetchRequest or ListOffsetsRequest or DeleteRecordsRequest or DescribeLogRequest or DescribeReplicaLogRequest => true,
        IGroupRequest or ListGroupsRequest => true,
        MetadataRequest or DescribeClusterRequest or InitProducerIdRequest => true,
        CreateTopicRequest or DeleteTopicRequest or CreatePartitionsRequest or DescribeConfigsRequest or AlterConfigsRequest => true,
        DescribeBrokerConfigsRequest or AlterBrokerConfigsRequest => true,
        ElectLeadersRequest or ReassignPartitionsRequest or ListPartitionReassignmentsRequest or UnregisterNodeRequest => true,
        _ => false,
    };

    /// <summary>A join waits for the whole group to rejoin, up to its rebalance timeout; everything else is answered far sooner.</summary>
    private static TimeSpan LifetimeOf(object message) => message is JoinGroupRequest join
        ? TimeSpan.FromMilliseconds(Math.Max(0, (long)join.RebalanceTimeoutMs)) + DefaultRequestLifetime
        : DefaultRequestLifetime;

    private void Refuse(object message, string reason, string why)
    {
        var type = message.GetType().Name;
        BrokerMetrics.ClientEndpointRefused.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("message", type));
        // A hostile client can send refusals as fast as it likes: one line per interval, saying how many went unlogged.
        if (_lastWarningAt != 0 && Stopwatch.GetElapsedTime(_lastWarningAt) < LogInterval)
        {
            _unloggedRefusals++;
            return;
        }
        _log.Warning("Refused {0} from {1} on the client endpoint: {2}{3}", type, Sender.Path.Address, why,
            _unloggedRefusals > 0 ? $" ({_unloggedRefusals} more refusals since the last such line)" : "");
        _lastWarningAt = Stopwatch.GetTimestamp();
        _unloggedRefusals = 0;
    }
}
