using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Protocol.Serialization;

/// <summary>The codecs of consumer groups: the client protocol, and the coordinator's and the controller's records of groups.</summary>
public sealed partial class BrokerSerializer
{
    // A method, not a field: the codec table of the other file reads it while its own static fields are initialised.
    private static Codec[] GroupCodecs() =>
    [
        // Consumer groups: client protocol.
        C<JoinGroupRequest>("JGRq", (w, m) =>
            {
                w.String(m.GroupId); w.String(m.MemberId); w.String(m.GroupInstanceId); w.String(m.ClientId); w.Int(m.SessionTimeoutMs);
                w.Int(m.RebalanceTimeoutMs); WriteStrings(w, m.Protocols); WriteStrings(w, m.Topics); w.List(m.OwnedPartitions, (ww, tp) => ww.TopicPartition(tp));
                w.Bool(m.RequireKnownMemberId);
            },
            r => new JoinGroupRequest(r.String(), r.String(), r.NullableString(), r.String(), r.Int(), r.Int(), ReadStrings(r), ReadStrings(r), r.List(rr => rr.TopicPartition()), r.Bool())),
        C<JoinGroupResponse>("JGRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.Int(m.GenerationId); w.String(m.Protocol); w.String(m.LeaderId); w.String(m.MemberId); },
            r => new JoinGroupResponse((ErrorCode)r.Short(), r.NullableString(), r.Int(), r.String(), r.String(), r.String())),
        C<SyncGroupRequest>("SGRq", (w, m) => { w.String(m.GroupId); w.Int(m.GenerationId); w.String(m.MemberId); w.String(m.GroupInstanceId); },
            r => new SyncGroupRequest(r.String(), r.Int(), r.String(), r.NullableString())),
        C<SyncGroupResponse>("SGRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.Assignment, (ww, tp) => ww.TopicPartition(tp)); },
            r => new SyncGroupResponse((ErrorCode)r.Short(), r.NullableString(), r.List(rr => rr.TopicPartition()))),
        C<HeartbeatRequest>("HBRq", (w, m) => { w.String(m.GroupId); w.Int(m.GenerationId); w.String(m.MemberId); w.String(m.GroupInstanceId); w.Int(m.MaxWaitMs); },
            r => new HeartbeatRequest(r.String(), r.Int(), r.String(), r.NullableString(), r.Int())),
        C<HeartbeatResponse>("HBRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new HeartbeatResponse((ErrorCode)r.Short(), r.NullableString())),
        C<LeaveGroupRequest>("LGRq", (w, m) => { w.String(m.GroupId); w.String(m.MemberId); w.String(m.GroupInstanceId); w.String(m.Reason); },
            r => new LeaveGroupRequest(r.String(), r.String(), r.NullableString(), r.String())),
        C<LeaveGroupResponse>("LGRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new LeaveGroupResponse((ErrorCode)r.Short(), r.NullableString())),
        C<OffsetCommitRequest>("OCRq", (w, m) =>
            {
                w.String(m.GroupId); w.Int(m.GenerationId); w.String(m.MemberId); w.String(m.GroupInstanceId);
                w.List(m.Offsets, (ww, o) => { ww.TopicPartition(o.TopicPartition); ww.Long(o.Offset); ww.String(o.Metadata); });
            },
            r => new OffsetCommitRequest(r.String(), r.Int(), r.String(), r.NullableString(), r.List(rr => new OffsetCommit(rr.TopicPartition(), rr.Long(), rr.NullableString())))),
        C<OffsetCommitResponse>("OCRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new OffsetCommitResponse((ErrorCode)r.Short(), r.NullableString())),
        C<OffsetFetchRequest>("OFRq", (w, m) => { w.String(m.GroupId); w.Bool(m.Partitions != null); if (m.Partitions != null) w.List(m.Partitions, (ww, tp) => ww.TopicPartition(tp)); },
            r => new OffsetFetchRequest(r.String(), r.Bool() ? r.List(rr => rr.TopicPartition()) : null)),
        C<OffsetFetchResponse>("OFRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.Offsets, WriteCommittedOffset); },
            r => new OffsetFetchResponse((ErrorCode)r.Short(), r.NullableString(), r.List(ReadCommittedOffset))),
        C<DescribeGroupRequest>("DGRq", (w, m) => w.String(m.GroupId), r => new DescribeGroupRequest(r.String())),
        C<DescribeGroupResponse>("DGRs", (w, m) =>
            {
                w.Short((short)m.Error); w.String(m.ErrorMessage); w.String(m.GroupId); w.String(m.State); w.String(m.Protocol); w.Int(m.GenerationId);
                w.List(m.Members, (ww, x) => { ww.String(x.MemberId); ww.String(x.GroupInstanceId); ww.String(x.ClientId); ww.List(x.Assignment, (www, tp) => www.TopicPartition(tp)); });
                w.List(m.Offsets, WriteCommittedOffset);
            },
            r => new DescribeGroupResponse((ErrorCode)r.Short(), r.NullableString(), r.String(), r.String(), r.String(), r.Int(),
                r.List(rr => new GroupMemberDescription(rr.String(), rr.NullableString(), rr.String(), rr.List(x => x.TopicPartition()))),
                r.List(ReadCommittedOffset))),
        C<OffsetDeleteRequest>("ODRq", (w, m) => { w.String(m.GroupId); w.List(m.Partitions, (ww, tp) => ww.TopicPartition(tp)); },
            r => new OffsetDeleteRequest(r.String(), r.List(rr => rr.TopicPartition()))),
        C<OffsetDeleteResponse>("ODRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.Partitions, (ww, p) => { ww.TopicPartition(p.TopicPartition); ww.Short((short)p.Error); }); },
            r => new OffsetDeleteResponse((ErrorCode)r.Short(), r.NullableString(), r.List(rr => new PartitionError(rr.TopicPartition(), (ErrorCode)rr.Short())))),
        C<DeleteGroupRequest>("XGRq", (w, m) => w.String(m.GroupId), r => new DeleteGroupRequest(r.String())),
        C<DeleteGroupResponse>("XGRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new DeleteGroupResponse((ErrorCode)r.Short(), r.NullableString())),
        C<ListGroupsRequest>("LsGRq", (_, _) => { }, _ => new ListGroupsRequest()),
        C<ListGroupsResponse>("LsGRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); WriteStrings(w, m.GroupIds); },
            r => new ListGroupsResponse((ErrorCode)r.Short(), r.NullableString(), ReadStrings(r))),

        // Consumer groups: coordinator journal and the controller's directory commands.
        C<GroupMetadataChanged>("gMD", WriteGroupMetadata, ReadGroupMetadata),
        C<GroupOffsetsCommitted>("gOC", (w, m) => w.List(m.Offsets, WriteCommittedOffset), r => new GroupOffsetsCommitted(r.List(ReadCommittedOffset))),
        C<GroupOffsetsExpired>("gOX", (w, m) => w.List(m.Partitions, (ww, tp) => ww.TopicPartition(tp)), r => new GroupOffsetsExpired(r.List(rr => rr.TopicPartition()))),
        C<GroupDeleted>("gDL", (_, _) => { }, _ => new GroupDeleted()),
        C<GroupSnapshot>("gSN", (w, m) => { WriteGroupMetadata(w, m.Metadata); w.List(m.Offsets, WriteCommittedOffset); },
            r => new GroupSnapshot(ReadGroupMetadata(r), r.List(ReadCommittedOffset))),
        C<OffsetsPartitionsLed>("gOPL", (w, m) => w.List(m.Partitions, (ww, p) => ww.Int(p)), r => new OffsetsPartitionsLed(r.List(rr => rr.Int()))),
        C<ListCoordinatedGroupsRequest>("gLCG", (w, m) => w.List(m.OffsetsPartitions, (ww, p) => ww.Int(p)),
            r => new ListCoordinatedGroupsRequest(r.List(rr => rr.Int()))),
    ];

    private static void WriteCommittedOffset(WireWriter w, CommittedOffset o)
    {
        w.TopicPartition(o.TopicPartition);
        w.Long(o.Offset);
        w.String(o.Metadata);
        w.Long(o.CommitTimestamp);
    }

    private static CommittedOffset ReadCommittedOffset(WireReader r) => new(r.TopicPartition(), r.Long(), r.NullableString(), r.Long());

    private static void WriteGroupMetadata(WireWriter w, GroupMetadataChanged m)
    {
        w.Int(m.GenerationId);
        w.String(m.Protocol);
        w.String(m.LeaderId);
        w.Long(m.StateTimestamp);
        w.List(m.Members, (ww, x) =>
        {
            ww.String(x.MemberId); ww.String(x.GroupInstanceId); ww.String(x.ClientId); ww.Int(x.SessionTimeoutMs); ww.Int(x.RebalanceTimeoutMs);
            WriteStrings(ww, x.Protocols); WriteStrings(ww, x.Topics); ww.List(x.Assignment, (www, tp) => www.TopicPartition(tp));
        });
    }

    private static GroupMetadataChanged ReadGroupMetadata(WireReader r) =>
        new(r.Int(), r.String(), r.String(), r.Long(), r.List(rr => new GroupMemberRecord(rr.String(), rr.NullableString(), rr.String(), rr.Int(), rr.Int(),
            ReadStrings(rr), ReadStrings(rr), rr.List(x => x.TopicPartition()))));
}
