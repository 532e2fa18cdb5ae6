using Akka.Actor;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// The broker's front door for clients, at <c>/user/broker</c>: routes partition requests to their replica through
/// sharding and everything else to the controller singleton, keeping the client as the sender so replies go straight
/// back. Partition numbers are checked here so a bad one gets an answer instead of starting an empty entity.
/// </summary>
public sealed class BrokerGateway : ReceiveActor
{
    public const string Name = "broker";

    public static Props Props(IActorRef partitionRegion, IActorRef groupRegion, IActorRef controller) =>
        Akka.Actor.Props.Create(() => new BrokerGateway(partitionRegion, groupRegion, controller));

    public BrokerGateway(IActorRef partitionRegion, IActorRef groupRegion, IActorRef controller)
    {
        Receive<ProduceRequest>(r =>
        {
            if (CheckPartition(r.TopicPartition) is { } problem)
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
        // The controller's commands for this broker's replicas come through here (see ControllerActor.AskReplica).
        Receive<EnsurePartition>(partitionRegion.Forward);
        Receive<DeletePartition>(partitionRegion.Forward);
        Receive<IGroupRequest>(r =>
        {
            // An empty id would name no coordinator; Kafka refuses it the same way.
            if (string.IsNullOrWhiteSpace(r.GroupId)) Sender.Tell(InvalidGroupId(r));
            else groupRegion.Forward(r);
        });
        Receive<ListGroupsRequest>(controller.Forward);
        Receive<MetadataRequest>(controller.Forward);
        Receive<CreateTopicRequest>(controller.Forward);
        Receive<DeleteTopicRequest>(controller.Forward);
        Receive<CreatePartitionsRequest>(controller.Forward);
        Receive<DescribeConfigsRequest>(controller.Forward);
        Receive<AlterConfigsRequest>(controller.Forward);
        Receive<InitProducerIdRequest>(controller.Forward);
    }

    private static object InvalidGroupId(IGroupRequest r)
    {
        const ErrorCode code = ErrorCode.InvalidGroupId;
        const string message = "group.id is empty: give the consumer group a name.";
        return r switch
        {
            JoinGroupRequest j => new JoinGroupResponse(code, message, -1, "", "", j.MemberId),
            SyncGroupRequest => new SyncGroupResponse(code, message, []),
            HeartbeatRequest => new HeartbeatResponse(code, message),
            LeaveGroupRequest => new LeaveGroupResponse(code, message),
            OffsetCommitRequest => new OffsetCommitResponse(code, message),
            OffsetFetchRequest => new OffsetFetchResponse(code, message, []),
            DescribeGroupRequest => new DescribeGroupResponse(code, message, r.GroupId, "Dead", "", -1, [], []),
            DeleteGroupRequest => new DeleteGroupResponse(code, message),
            _ => throw new InvalidOperationException($"no invalid-group-id reply for {r.GetType().Name}"),
        };
    }

    private static (ErrorCode Code, string Message)? CheckPartition(TopicPartition tp)
    {
        if (Topics.TopicNames.Validate(tp.Topic) is { } nameProblem) return (ErrorCode.InvalidTopicException, nameProblem);
        if (tp.Partition < 0) return (ErrorCode.UnknownTopicOrPartition, $"partition {tp.Partition} of topic '{tp.Topic}' does not exist: partitions are numbered from 0");
        return null;
    }
}
