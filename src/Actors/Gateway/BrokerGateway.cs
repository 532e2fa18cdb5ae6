using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Controller;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// The broker's front door for clients, at <c>/user/broker</c>: routes partition requests to their replica through
/// sharding and everything else to the controller singleton, keeping the client as the sender so replies go straight
/// back. Partition numbers are checked here so a bad one gets an answer instead of starting an empty entity.
/// <para>
/// Group requests go to the group's coordinator: the leader of its <c>__consumer_offsets</c> partition
/// (<see cref="ControllerState.OffsetsPartitionOf"/>), to this broker's group region when it is this one, otherwise to
/// that broker's gateway wrapped in <see cref="ForwardedGroupRequest"/>, which is delivered there and never forwarded
/// again. Leadership comes from the controller's replicated state, which this gateway follows through
/// Akka.DistributedData; while it names no live leader, the controller is asked (FindCoordinator).
/// </para>
/// </summary>
public sealed class BrokerGateway : ReceiveActor
{
    public const string Name = "broker";

    public static Props Props(IActorRef partitionRegion, IActorRef groupRegion, IActorRef controller, BrokerSettings settings) =>
        Akka.Actor.Props.Create(() => new BrokerGateway(partitionRegion, groupRegion, controller, settings));

    /// <summary>The controller's answer about where a waiting group request goes.</summary>
    private sealed record CoordinatorFound(IGroupRequest Request, IActorRef ReplyTo, FindCoordinatorResponse Response);

    private readonly int _localBrokerId;
    private readonly LiveBrokers _members = new();
    private Dictionary<int, Address> _brokers = new();
    private IReadOnlyDictionary<string, TopicState> _offsetsTopic = new Dictionary<string, TopicState>();

    public BrokerGateway(IActorRef partitionRegion, IActorRef groupRegion, IActorRef controller, BrokerSettings settings)
    {
        _localBrokerId = settings.BrokerId;
        Receive<Changed>(c => c.Key.Equals(ControllerActor.StateKey), c => _offsetsTopic = c.Get(ControllerActor.StateKey).Value.Topics
            .Where(t => t.Name == ControllerState.OffsetsTopic).ToDictionary(t => t.Name));
        Receive<ClusterEvent.IClusterDomainEvent>(e =>
        {
            if (_members.Apply(e)) _brokers = _members.Current().ToDictionary(kv => kv.Key, kv => kv.Value.Address);
        });
        Receive<CoordinatorFound>(f =>
        {
            if (f.Response.Error != ErrorCode.None) f.ReplyTo.Tell(ErrorReply(f.Request, f.Response.Error, f.Response.ErrorMessage ?? f.Response.Error.Describe()));
            else if (f.Response.NodeId == _localBrokerId) groupRegion.Tell(f.Request, f.ReplyTo);
            else Context.ActorSelection(GatewayPath(Context.System, f.Response.Host, f.Response.Port)).Tell(new ForwardedGroupRequest(f.Request), f.ReplyTo);
        });
        Receive<ProduceRequest>(r =>
        {
            // As in Kafka, clients may read the internal topic but not write it: only group coordinators do.
            if (r.TopicPartition.Topic == ControllerState.OffsetsTopic)
            {
                if (r.Acks != 0)
                    Sender.Tell(new ProduceResponse(r.TopicPartition, ErrorCode.InvalidTopicException,
                        $"Cannot append to internal topic {ControllerState.OffsetsTopic}: group coordinators write it; commit offsets through a consumer group instead.", -1, -1, -1));
            }
            else if (CheckPartition(r.TopicPartition) is { } problem)
            {
                if (r.Acks != 0) Sender.Tell(new ProduceResponse(r.TopicPartition, problem.Code, problem.Message, -1, -1, -1));
            }
            else partitionRegion.Forward(r);
        });
        Receive<FetchRequest>(r =>
        {
            if (CheckPartition(r.TopicPartition) is { } problem)
                Sender.Tell(new FetchResponse(r.TopicPartition, problem.Code, problem.Message, -1, -1, Array.Empty<byte>()));
            else partitionRegion.Forward(r);
        });
        Receive<ListOffsetsRequest>(r =>
        {
            if (CheckPartition(r.TopicPartition) is { } problem)
                Sender.Tell(new ListOffsetsResponse(r.TopicPartition, problem.Code, problem.Message, -1, -1));
            else partitionRegion.Forward(r);
        });
        Receive<DeleteRecordsRequest>(r =>
        {
            if (CheckPartition(r.TopicPartition) is { } problem)
                Sender.Tell(new DeleteRecordsResponse(r.TopicPartition, problem.Code, problem.Message, -1));
            else partitionRegion.Forward(r);
        });
        Receive<DescribeLogRequest>(r =>
        {
            if (CheckPartition(r.TopicPartition) is { } problem)
                Sender.Tell(new DescribeLogResponse(r.TopicPartition, problem.Code, problem.Message, -1, -1, -1, -1, 0, -1, -1, 0));
            else partitionRegion.Forward(r);
        });
        Receive<DescribeReplicaLogRequest>(r =>
        {
            if (CheckPartition(r.TopicPartition) is { } problem)
                Sender.Tell(new DescribeLogResponse(r.TopicPartition, problem.Code, problem.Message, -1, -1, -1, -1, 0, -1, -1, 0));
            else partitionRegion.Forward(r);
        });
        // Followers on other brokers fetch from this broker's leaders.
        Receive<ReplicaFetchRequest>(partitionRegion.Forward);
        Receive<OffsetForLeaderEpochRequest>(partitionRegion.Forward);
        Receive<AlterPartitionRequest>(controller.Forward);
        Receive<PartitionLeadershipRequest>(controller.Forward);
        Receive<ReplicaLogCorrupted>(controller.Forward);
        // The controller's commands for this broker's replicas come through here (see ControllerActor.AskReplica).
        Receive<EnsurePartition>(partitionRegion.Forward);
        Receive<DeletePartition>(partitionRegion.Forward);
        Receive<IGroupRequest>(r =>
        {
            // An empty id would name no coordinator; Kafka refuses it the same way.
            if (Groups.GroupIds.Validate(r.GroupId) is { } invalid)
            {
                Sender.Tell(ErrorReply(r, ErrorCode.InvalidGroupId, invalid));
                return;
            }
            var coordinator = ControllerState.OffsetsPartitionOf(r.GroupId, _offsetsTopic)?.Leader;
            if (coordinator == _localBrokerId) groupRegion.Forward(r);
            else if (coordinator is { } other && _brokers.TryGetValue(other, out var address))
                Context.ActorSelection(GatewayPath(Context.System, address.Host!, address.Port!.Value)).Tell(new ForwardedGroupRequest(r), Sender);
            else
            {
                var replyTo = Sender;
                var timeout = settings.ControllerQuorumTimeout + TimeSpan.FromSeconds(1);
                controller.Ask<FindCoordinatorResponse>(new FindCoordinatorRequest(r.GroupId), timeout)
                    .ContinueWith(t => new CoordinatorFound(r, replyTo, t.IsCompletedSuccessfully
                        ? t.Result
                        : new FindCoordinatorResponse(ErrorCode.CoordinatorNotAvailable,
                            $"The controller did not say which broker coordinates group '{r.GroupId}' ({t.Exception?.GetBaseException().Message ?? "cancelled"}); " +
                            "it may be moving to another broker or waiting for a majority of brokers. Retry; if it persists, check cluster describe.", -1, "", -1)))
                    .PipeTo(Self);
            }
        });
        Receive<ForwardedGroupRequest>(f =>
        {
            // Sent by another gateway, which checked it; anything else that sends one gets the same check.
            if (Groups.GroupIds.Validate(f.Request.GroupId) is { } invalid) Sender.Tell(ErrorReply(f.Request, ErrorCode.InvalidGroupId, invalid));
            else groupRegion.Forward(f.Request);
        });
        Receive<ListGroupsRequest>(controller.Forward);
        Receive<DescribeClusterRequest>(controller.Forward);
        Receive<ElectLeadersRequest>(controller.Forward);
        Receive<ReassignPartitionsRequest>(controller.Forward);
        Receive<UnregisterNodeRequest>(controller.Forward);
        Receive<ListPartitionReassignmentsRequest>(controller.Forward);
        Receive<MetadataRequest>(controller.Forward);
        Receive<CreateTopicRequest>(controller.Forward);
        Receive<DeleteTopicRequest>(controller.Forward);
        Receive<CreatePartitionsRequest>(controller.Forward);
        Receive<DescribeConfigsRequest>(controller.Forward);
        Receive<AlterConfigsRequest>(controller.Forward);
        Receive<DescribeBrokerConfigsRequest>(controller.Forward);
        Receive<AlterBrokerConfigsRequest>(controller.Forward);
        Receive<AlterUserScramCredentialsRequest>(controller.Forward);
        Receive<DescribeUserScramCredentialsRequest>(controller.Forward);
        Receive<CreateAclsRequest>(controller.Forward);
        Receive<DeleteAclsRequest>(controller.Forward);
        Receive<DescribeAclsRequest>(controller.Forward);
        Receive<AlterClientQuotasRequest>(controller.Forward);
        Receive<DescribeClientQuotasRequest>(controller.Forward);
        Receive<InitProducerIdRequest>(controller.Forward);
    }

    protected override void PreStart()
    {
        DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(ControllerActor.StateKey, Self));
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    /// <summary>
    /// The gateway of the broker at host:port, reached with <paramref name="system"/>'s own transport protocol
    /// (<c>akka.tcp</c>, or <c>akka.trttl.tcp</c> when the throttler adapter is applied, as network-partition tests do).
    /// </summary>
    public static string GatewayPath(ActorSystem system, string host, int port) =>
        $"{BrokerNode.ProtocolOf(system)}://{BrokerNode.ActorSystemName}@{host}:{port}/user/{Name}";

    private static object ErrorReply(IGroupRequest r, ErrorCode code, string message) => Groups.GroupErrorReplies.For(r, code, message);

    private static (ErrorCode Code, string Message)? CheckPartition(TopicPartition tp)
    {
        if (Topics.TopicNames.Validate(tp.Topic) is { } nameProblem) return (ErrorCode.InvalidTopicException, nameProblem);
        if (tp.Partition < 0) return (ErrorCode.UnknownTopicOrPartition, $"partition {tp.Partition} of topic '{tp.Topic}' does not exist: partitions are numbered from 0");
        return null;
    }
}
