using Akka.Actor;
using Akka.Serialization;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Protocol.Serialization;

/// <summary>
/// The one serializer for everything that crosses the wire between client and broker or enters the journal: a
/// compact little-endian binary layout per message. Manifests are frozen: a message that changes shape gets a new
/// manifest and the old reader stays, so journals written by older versions keep recovering.
/// </summary>
public sealed partial class BrokerSerializer : SerializerWithStringManifest
{
    /// <summary>The identifier bound in HOCON; never change it, journals store it.</summary>
    public const int Id = 1971;

    private sealed record Codec(string Manifest, Type Type, Action<WireWriter, object> Write, Func<WireReader, object> Read);

    private static readonly Codec[] Codecs =
    [
        // Client protocol.
        C<ProduceRequest>("PRq", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short(m.Acks); w.Int(m.TimeoutMs); w.Bytes(m.Batch); },
            r => new ProduceRequest(r.TopicPartition(), r.Short(), r.Int(), r.Bytes())),
        C<ProduceResponse>("PRs", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.BaseOffset); w.Long(m.LogAppendTime); w.Long(m.LogStartOffset); },
            r => new ProduceResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Long(), r.Long())),
        C<FetchRequest>("FRq", (w, m) => { w.TopicPartition(m.TopicPartition); w.Long(m.FetchOffset); w.Int(m.MaxBytes); w.Int(m.MinBytes); w.Int(m.MaxWaitMs); w.Int(m.CurrentLeaderEpoch); },
            r => new FetchRequest(r.TopicPartition(), r.Long(), r.Int(), r.Int(), r.Int(), r.Int())),
        C<FetchResponse>("FRs", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.HighWatermark); w.Long(m.LogStartOffset); w.Bytes(m.Records); },
            r => new FetchResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Long(), r.Bytes())),
        C<DeleteRecordsRequest>("DRRq", (w, m) => { w.TopicPartition(m.TopicPartition); w.Long(m.Offset); }, r => new DeleteRecordsRequest(r.TopicPartition(), r.Long())),
        C<DeleteRecordsResponse>("DRRs", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.LowWatermark); },
            r => new DeleteRecordsResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Long())),
        C<ListOffsetsRequest>("LORq", (w, m) => { w.TopicPartition(m.TopicPartition); w.Long(m.Timestamp); },
            r => new ListOffsetsRequest(r.TopicPartition(), r.Long())),
        C<ListOffsetsResponse>("LORs", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.Offset); w.Long(m.Timestamp); },
            r => new ListOffsetsResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Long())),
        C<MetadataRequest>("MRq", (w, m) => { w.Bool(m.Topics != null); if (m.Topics != null) w.List(m.Topics, (ww, t) => ww.String(t)); w.Bool(m.AllowAutoTopicCreation); },
            r => new MetadataRequest(r.Bool() ? r.List(rr => rr.String()) : null, r.Bool())),
        C<MetadataResponse>("MRs", (w, m) => { w.List(m.Brokers, WriteBroker); w.Int(m.ControllerId); w.List(m.Topics, WriteTopicMetadata); },
            r => new MetadataResponse(r.List(ReadBroker), r.Int(), r.List(ReadTopicMetadata))),
        C<CreateTopicRequest>("CTRq", (w, m) => { w.String(m.Name); w.Int(m.NumPartitions); w.Short(m.ReplicationFactor); w.StringMap(m.Configs); w.Bool(m.ValidateOnly); },
            r => new CreateTopicRequest(r.String(), r.Int(), r.Short(), r.StringMap(), r.Bool())),
        C<DeleteTopicRequest>("DTRq", (w, m) => w.String(m.Name), r => new DeleteTopicRequest(r.String())),
        C<CreatePartitionsRequest>("CPRq", (w, m) => { w.String(m.Name); w.Int(m.TotalCount); },
            r => new CreatePartitionsRequest(r.String(), r.Int())),
        C<DescribeConfigsRequest>("DCRq", (w, m) => w.String(m.Name), r => new DescribeConfigsRequest(r.String())),
        C<AlterConfigsRequest>("ACRq", (w, m) => { w.String(m.Name); w.StringMap(m.Set); w.List(m.Delete, (ww, k) => ww.String(k)); },
            r => new AlterConfigsRequest(r.String(), r.StringMap(), r.List(rr => rr.String()))),
        C<TopicOperationResponse>("TORs", (w, m) => { w.String(m.Name); w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new TopicOperationResponse(r.String(), (ErrorCode)r.Short(), r.NullableString())),
        C<DescribeConfigsResponse>("DCRs2", (w, m) =>
            {
                w.String(m.Name); w.Short((short)m.Error); w.String(m.ErrorMessage);
                w.List(m.Entries, (ww, e) => { ww.String(e.Name); ww.String(e.Value); ww.Bool(e.IsDefault); ww.Bool(e.IsDynamicDefault); });
            },
            r => new DescribeConfigsResponse(r.String(), (ErrorCode)r.Short(), r.NullableString(), r.List(rr => new ConfigEntry(rr.String(), rr.String(), rr.Bool(), rr.Bool())))),
        C<DescribeBrokerConfigsRequest>("DBCRq", (w, m) => w.String(m.Broker), r => new DescribeBrokerConfigsRequest(r.String())),
        C<DescribeBrokerConfigsResponse>("DBCRs", (w, m) =>
            {
                w.String(m.Broker); w.Short((short)m.Error); w.String(m.ErrorMessage);
                w.List(m.Entries, (ww, e) => { ww.String(e.Name); ww.String(e.Value); ww.Byte((byte)e.Source); });
            },
            r => new DescribeBrokerConfigsResponse(r.String(), (ErrorCode)r.Short(), r.NullableString(),
                r.List(rr => new BrokerConfigEntry(rr.String(), rr.String(), (BrokerConfigSource)rr.Byte())))),
        C<AlterBrokerConfigsRequest>("ABCRq", (w, m) => { w.String(m.Broker); w.StringMap(m.Set); w.List(m.Delete, (ww, k) => ww.String(k)); w.Bool(m.ValidateOnly); w.Bool(m.Replace); },
            r => new AlterBrokerConfigsRequest(r.String(), r.StringMap(), r.List(rr => rr.String()), r.Bool(), r.Bool())),
        C<AlterBrokerConfigsResponse>("ABCRs", (w, m) => { w.String(m.Broker); w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new AlterBrokerConfigsResponse(r.String(), (ErrorCode)r.Short(), r.NullableString())),
        C<InitProducerIdRequest>("IPRq", (_, _) => { }, _ => new InitProducerIdRequest()),
        C<InitProducerIdResponse>("IPRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.ProducerId); w.Short(m.ProducerEpoch); },
            r => new InitProducerIdResponse((ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Short())),

        // Controller journal.
        C<TopicCreated>("cTC", (w, m) => WriteTopicState(w, m.Topic), r => new TopicCreated(ReadTopicState(r))),
        C<TopicDeleted>("cTD", (w, m) => w.String(m.Name), r => new TopicDeleted(r.String())),
        C<PartitionsAdded>("cPA", (w, m) => { w.String(m.Name); w.List(m.NewPartitions, WriteAssignment); },
            r => new PartitionsAdded(r.String(), r.List(ReadAssignment))),
        C<TopicConfigsChanged>("cTCC", (w, m) => { w.String(m.Name); w.StringMap(m.ConfigOverrides); },
            r => new TopicConfigsChanged(r.String(), r.StringMap())),
        C<ProducerIdsAllocated>("cPIA", (w, m) => w.Long(m.NextProducerId), r => new ProducerIdsAllocated(r.Long())),
        C<ControllerSnapshot>("cSN9", (w, m) =>
            {
                w.List(m.Topics, WriteTopicStateV2); w.Long(m.NextProducerId); w.List(m.Groups, (ww, g) => ww.String(g)); w.Int(m.ControllerEpoch);
                w.List(m.OffsetsPartitions, WriteAssignment); w.Long(m.Version); w.List(m.RegisteredNodes, (ww, b) => ww.Int(b));
                w.List(m.Reassignments, WriteReassignment);
                w.List(m.BrokerConfigs ?? [], (ww, c) => { ww.String(c.Broker); ww.StringMap(c.Configs); });
                w.List(m.ScramCredentials ?? [], WriteUserScramCredentials);
                w.List(m.Acls ?? [], WriteAcl);
                w.List(m.ScramBootstrapped ?? [], (ww, e) => ww.String(e));
                w.List(m.ClientQuotas ?? [], WriteClientQuotas);
            },
            r => new ControllerSnapshot(r.List(ReadTopicStateV2), r.Long(), r.List(rr => rr.String()), r.Int(), r.List(ReadAssignment), r.Long(), r.List(rr => rr.Int()),
                r.List(ReadReassignment), r.List(rr => new BrokerConfigsChanged(rr.String(), rr.StringMap())), r.List(ReadUserScramCredentials), r.List(ReadAcl), r.List(rr => rr.String()),
                r.List(ReadClientQuotas))),
        C<ScramBootstrapApplied>("cSBA", (w, m) => w.List(m.Entries, (ww, e) => ww.String(e)), r => new ScramBootstrapApplied(r.List(rr => rr.String()))),
        C<AclsChanged>("cACL", (w, m) => { w.List(m.Added, WriteAcl); w.List(m.Removed, WriteAcl); }, r => new AclsChanged(r.List(ReadAcl), r.List(ReadAcl))),
        C<CreateAclsRequest>("CARq", (w, m) => w.List(m.Creations, WriteAcl), r => new CreateAclsRequest(r.List(ReadAcl))),
        C<CreateAclsResponse>("CARs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.Results, (ww, o) => { ww.Short((short)o.Error); ww.String(o.ErrorMessage); }); },
            r => new CreateAclsResponse((ErrorCode)r.Short(), r.NullableString(), r.List(rr => new AclOutcome((ErrorCode)rr.Short(), rr.NullableString())))),
        C<DeleteAclsRequest>("DARq", (w, m) => w.List(m.Filters, WriteAclFilter), r => new DeleteAclsRequest(r.List(ReadAclFilter))),
        C<DeleteAclsResponse>("DARs", (w, m) =>
            {
                w.Short((short)m.Error); w.String(m.ErrorMessage);
                w.List(m.Results, (ww, f) => { ww.Short((short)f.Error); ww.String(f.ErrorMessage); ww.List(f.Deleted, WriteAcl); });
            },
            r => new DeleteAclsResponse((ErrorCode)r.Short(), r.NullableString(),
                r.List(rr => new DeleteAclsFilterResult((ErrorCode)rr.Short(), rr.NullableString(), rr.List(ReadAcl))))),
        C<DescribeAclsRequest>("DsARq", (w, m) => WriteAclFilter(w, m.Filter), r => new DescribeAclsRequest(ReadAclFilter(r))),
        C<DescribeAclsResponse>("DsARs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.Bindings, WriteAcl); },
            r => new DescribeAclsResponse((ErrorCode)r.Short(), r.NullableString(), r.List(ReadAcl))),
        C<UserScramCredentialsChanged>("cUSC", WriteUserScramCredentials, ReadUserScramCredentials),
        C<SaslHandshakeRequest>("SHRq", (w, m) => w.String(m.Mechanism), r => new SaslHandshakeRequest(r.String())),
        C<SaslHandshakeResponse>("SHRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.EnabledMechanisms, (ww, x) => ww.String(x)); w.String(m.Session); },
            r => new SaslHandshakeResponse((ErrorCode)r.Short(), r.NullableString(), r.List(rr => rr.String()), r.String())),
        C<SaslAuthenticateRequest>("SARq", (w, m) => w.Bytes(m.AuthBytes), r => new SaslAuthenticateRequest(r.Bytes())),
        C<SaslAuthenticateResponse>("SARs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.Bytes(m.AuthBytes); w.Bool(m.Complete); },
            r => new SaslAuthenticateResponse((ErrorCode)r.Short(), r.NullableString(), r.Bytes(), r.Bool())),
        C<AlterUserScramCredentialsRequest>("AUSRq", (w, m) =>
            {
                w.List(m.Deletions, (ww, d) => { ww.String(d.User); ww.Byte(d.Mechanism); });
                w.List(m.Upsertions, (ww, u) => { ww.String(u.User); ww.Byte(u.Mechanism); ww.Int(u.Iterations); ww.Bytes(u.Salt); ww.Bytes(u.SaltedPassword); });
            },
            r => new AlterUserScramCredentialsRequest(r.List(rr => new ScramCredentialDeletion(rr.String(), rr.Byte())),
                r.List(rr => new ScramCredentialUpsertion(rr.String(), rr.Byte(), rr.Int(), rr.Bytes(), rr.Bytes())))),
        C<AlterUserScramCredentialsResponse>("AUSRs", (w, m) =>
            {
                w.Short((short)m.Error); w.String(m.ErrorMessage);
                w.List(m.Results, (ww, u) => { ww.String(u.User); ww.Short((short)u.Error); ww.String(u.ErrorMessage); });
            },
            r => new AlterUserScramCredentialsResponse((ErrorCode)r.Short(), r.NullableString(), r.List(rr => new UserOutcome(rr.String(), (ErrorCode)rr.Short(), rr.NullableString())))),
        C<DescribeUserScramCredentialsRequest>("DUSRq", (w, m) => { w.Bool(m.Users != null); if (m.Users != null) w.List(m.Users, (ww, u) => ww.String(u)); },
            r => new DescribeUserScramCredentialsRequest(r.Bool() ? r.List(rr => rr.String()) : null)),
        C<DescribeUserScramCredentialsResponse>("DUSRs", (w, m) =>
            {
                w.Short((short)m.Error); w.String(m.ErrorMessage);
                w.List(m.Results, (ww, u) =>
                {
                    ww.String(u.User); ww.Short((short)u.Error); ww.String(u.ErrorMessage);
                    ww.List(u.Credentials, (www, c) => { www.Byte(c.Mechanism); www.Int(c.Iterations); });
                });
            },
            r => new DescribeUserScramCredentialsResponse((ErrorCode)r.Short(), r.NullableString(), r.List(rr => new UserScramCredentialsDescription(rr.String(), (ErrorCode)rr.Short(),
                rr.NullableString(), rr.List(rrr => new ScramCredentialInfo(rrr.Byte(), rrr.Int())))))),
        C<BrokerConfigsChanged>("cBCC", (w, m) => { w.String(m.Broker); w.StringMap(m.Configs); }, r => new BrokerConfigsChanged(r.String(), r.StringMap())),
        C<NodeRegistered>("cBRg", (w, m) => w.Int(m.NodeId), r => new NodeRegistered(r.Int())),
        C<OffsetsPartitionsAssigned>("cOPA", (w, m) => w.List(m.Partitions, WriteAssignment), r => new OffsetsPartitionsAssigned(r.List(ReadAssignment))),
        C<DescribeClusterRequest>("DClRq", (_, _) => { }, _ => new DescribeClusterRequest()),
        C<DescribeClusterResponse>("DClRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.Brokers, WriteBroker); w.Int(m.ControllerId); w.Int(m.ControllerEpoch); },
            r => new DescribeClusterResponse((ErrorCode)r.Short(), r.NullableString(), r.List(ReadBroker), r.Int(), r.Int())),
        C<ReassignPartitionsRequest>("RPRq", (w, m) =>
            {
                w.List(m.Partitions, (ww, p) => { ww.TopicPartition(p.TopicPartition); ww.Bool(p.Replicas != null); if (p.Replicas != null) ww.List(p.Replicas, (www, b) => www.Int(b)); });
                w.Long(m.ThrottleBytesPerSecond);
            },
            r => new ReassignPartitionsRequest(r.List(rr => new PartitionReassignmentTarget(rr.TopicPartition(), rr.Bool() ? rr.List(x => x.Int()) : null)), r.Long())),
        C<ReassignPartitionsResponse>("RPRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.Results, WriteOutcome); },
            r => new ReassignPartitionsResponse((ErrorCode)r.Short(), r.NullableString(), r.List(ReadOutcome))),
        C<ListPartitionReassignmentsRequest>("LRRq", (_, _) => { }, _ => new ListPartitionReassignmentsRequest()),
        C<ListPartitionReassignmentsResponse>("LRRs", (w, m) =>
            {
                w.Short((short)m.Error); w.String(m.ErrorMessage);
                w.List(m.Reassignments, (ww, x) =>
                {
                    ww.TopicPartition(x.TopicPartition); ww.List(x.Replicas, (www, b) => www.Int(b)); ww.List(x.Adding, (www, b) => www.Int(b));
                    ww.List(x.Removing, (www, b) => www.Int(b)); ww.Long(x.ThrottleBytesPerSecond);
                });
            },
            r => new ListPartitionReassignmentsResponse((ErrorCode)r.Short(), r.NullableString(), r.List(rr => new OngoingReassignment(rr.TopicPartition(),
                rr.List(x => x.Int()), rr.List(x => x.Int()), rr.List(x => x.Int()), rr.Long())))),
        C<UnregisterNodeRequest>("UNRq", (w, m) => w.Int(m.NodeId), r => new UnregisterNodeRequest(r.Int())),
        C<UnregisterNodeResponse>("UNRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new UnregisterNodeResponse((ErrorCode)r.Short(), r.NullableString())),
        C<ElectLeadersRequest>("ELRq", (w, m) => { w.Byte((byte)m.Type); w.Bool(m.Partitions != null); if (m.Partitions != null) w.List(m.Partitions, (ww, tp) => ww.TopicPartition(tp)); },
            r => new ElectLeadersRequest((LeaderElectionType)r.Byte(), r.Bool() ? r.List(rr => rr.TopicPartition()) : null)),
        C<ElectLeadersResponse>("ELRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.List(m.Results, WriteOutcome); },
            r => new ElectLeadersResponse((ErrorCode)r.Short(), r.NullableString(), r.List(ReadOutcome))),
        C<FindCoordinatorRequest>("FCRq", (w, m) => w.String(m.GroupId), r => new FindCoordinatorRequest(r.String())),
        C<ForwardedGroupRequest>("gFwd", (w, m) => { w.String(ManifestOf(m.Request)); w.Bytes(Encode(m.Request)); },
            r => { var manifest = r.String(); return new ForwardedGroupRequest((IGroupRequest)Decode(r.Bytes(), manifest)); }),
        C<FindCoordinatorResponse>("FCRs", (w, m) => { w.Short((short)m.Error); w.String(m.ErrorMessage); w.Int(m.NodeId); w.String(m.Host); w.Int(m.Port); },
            r => new FindCoordinatorResponse((ErrorCode)r.Short(), r.NullableString(), r.Int(), r.String(), r.Int())),
        C<GroupRegistered>("cGR", (w, m) => w.String(m.GroupId), r => new GroupRegistered(r.String())),
        C<GroupUnregistered>("cGU", (w, m) => w.String(m.GroupId), r => new GroupUnregistered(r.String())),

        // Partition replicas: controller commands and journal.
        C<EnsurePartition>("pEP2", (w, m) =>
            {
                w.TopicPartition(m.TopicPartition); w.StringMap(m.Config); WriteAssignmentV2(w, m.Assignment);
                w.Bool(m.Leader != null); if (m.Leader != null) WriteBroker(w, m.Leader);
                w.Int(m.ControllerEpoch);
            },
            r => new EnsurePartition(r.TopicPartition(), r.StringMap(), ReadAssignmentV2(r), r.Bool() ? ReadBroker(r) : null, r.Int())),
        C<PartitionLeadershipRequest>("pLRq", (w, m) => { w.TopicPartition(m.TopicPartition); w.Int(m.BrokerId); },
            r => new PartitionLeadershipRequest(r.TopicPartition(), r.Int())),
        C<DeletePartition>("pDP", (w, m) => w.TopicPartition(m.TopicPartition), r => new DeletePartition(r.TopicPartition())),
        C<PartitionStateAck>("pACK", (w, m) => { w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); },
            r => new PartitionStateAck(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString())),
        C<PartitionConfigured>("pCF", (w, m) => w.StringMap(m.Config), r => new PartitionConfigured(r.StringMap())),
        C<BatchAppended>("pBA", (w, m) => w.Bytes(m.Batch), r => new BatchAppended(r.Bytes())),
        C<PartitionDeleted>("pDL", (_, _) => { }, _ => new PartitionDeleted()),
        C<PartitionSnapshot>("pSN4", WritePartitionSnapshot, r => ReadPartitionSnapshot(r, withReplication: true, withSegments: true, withFencing: true)),
        C<LeadershipAccepted>("pLA", (w, m) => { w.Int(m.ControllerEpoch); w.Int(m.LeaderEpoch); w.Int(m.PartitionEpoch); },
            r => new LeadershipAccepted(r.Int(), r.Int(), r.Int())),
        C<ReplicaLogCorrupted>("pRC", (w, m) => { w.TopicPartition(m.TopicPartition); w.Int(m.BrokerId); w.Long(m.Offset); },
            r => new ReplicaLogCorrupted(r.TopicPartition(), r.Int(), r.Long())),
        C<HighWatermarkCheckpointed>("pHW", (w, m) => w.Long(m.Offset), r => new HighWatermarkCheckpointed(r.Long())),
        C<LogReset>("pLR", (w, m) => w.Long(m.Offset), r => new LogReset(r.Long())),
        C<RecordsDeleted>("pRD", (w, m) => w.Long(m.Offset), r => new RecordsDeleted(r.Long())),
        C<LogStartAdvanced>("pLS", (w, m) => { w.Long(m.Offset); w.Long(m.FirstKeptSequenceNr); }, r => new LogStartAdvanced(r.Long(), r.Long())),
        C<LogCleaned>("pLC", (w, m) => { w.Long(m.CleanedUpTo); w.List(m.SegmentBytes, (ww, x) => { ww.Long(x.BaseOffset); ww.Long(x.Bytes); }); },
            r => new LogCleaned(r.Long(), r.List(rr => new SegmentSize(rr.Long(), rr.Long())))),
        C<DescribeLogRequest>("DLgRq", (w, m) => w.TopicPartition(m.TopicPartition), r => new DescribeLogRequest(r.TopicPartition())),
        C<DescribeReplicaLogRequest>("DRLgRq", (w, m) => w.TopicPartition(m.TopicPartition), r => new DescribeReplicaLogRequest(r.TopicPartition())),
        C<DescribeLogResponse>("DLgRs", (w, m) =>
            {
                w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.LogStartOffset); w.Long(m.LogEndOffset);
                w.Long(m.HighWatermark); w.Long(m.SizeBytes); w.Int(m.SegmentCount); w.Long(m.ActiveSegmentBaseOffset); w.Long(m.CleanedUpTo); w.Double(m.DirtyRatio);
            },
            r => new DescribeLogResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Long(), r.Long(), r.Long(), r.Int(), r.Long(), r.Long(), r.Double())),
        C<LogTruncated>("pLT", (w, m) => { w.Long(m.Offset); w.Long(m.Position); w.Long(m.FirstDeadSequenceNr); },
            r => new LogTruncated(r.Long(), r.Long(), r.Long())),
        C<ReplicaFetchRequest>("RFRq", (w, m) =>
            {
                w.TopicPartition(m.TopicPartition); w.Int(m.ReplicaId); w.Int(m.LeaderEpoch); w.Long(m.FetchOffset); w.Int(m.MaxBytes); w.Int(m.MaxWaitMs);
                w.Long(m.CorrelationId);
            },
            r => new ReplicaFetchRequest(r.TopicPartition(), r.Int(), r.Int(), r.Long(), r.Int(), r.Int(), r.Long())),
        C<ReplicaFetchResponse>("RFRs", (w, m) =>
            {
                w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Long(m.HighWatermark); w.Long(m.LogStartOffset);
                w.Bytes(m.Records); w.Long(m.CorrelationId);
            },
            r => new ReplicaFetchResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Long(), r.Long(), r.Bytes(), r.Long())),
        C<OffsetForLeaderEpochRequest>("OLERq", (w, m) => { w.TopicPartition(m.TopicPartition); w.Int(m.ReplicaId); w.Int(m.CurrentLeaderEpoch); w.Int(m.LeaderEpoch); w.Long(m.CorrelationId); },
            r => new OffsetForLeaderEpochRequest(r.TopicPartition(), r.Int(), r.Int(), r.Int(), r.Long())),
        C<OffsetForLeaderEpochResponse>("OLERs", (w, m) =>
            {
                w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage); w.Int(m.LeaderEpoch); w.Long(m.EndOffset); w.Long(m.CorrelationId);
            },
            r => new OffsetForLeaderEpochResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Int(), r.Long(), r.Long())),
        C<AlterPartitionRequest>("APRq", (w, m) =>
            {
                w.TopicPartition(m.TopicPartition); w.Int(m.LeaderId); w.Int(m.LeaderEpoch); w.Int(m.PartitionEpoch); w.List(m.NewIsr, (ww, i) => ww.Int(i));
            },
            r => new AlterPartitionRequest(r.TopicPartition(), r.Int(), r.Int(), r.Int(), r.List(x => x.Int()))),
        C<AlterPartitionResponse>("APRs", (w, m) =>
            {
                w.TopicPartition(m.TopicPartition); w.Short((short)m.Error); w.String(m.ErrorMessage);
                w.Bool(m.Assignment != null); if (m.Assignment != null) WriteAssignmentV2(w, m.Assignment);
            },
            r => new AlterPartitionResponse(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString(), r.Bool() ? ReadAssignmentV2(r) : null)),

        .. GroupCodecs(),
        .. QuotaCodecs(),
    ];

    /// <summary>Readers of manifests no longer written, kept so that journals and snapshots written by older versions still load.</summary>
    private static readonly Dictionary<string, Func<WireReader, object>> LegacyReaders = new()
    {
        // Controller snapshots before the group directory existed.
        ["cSN"] = r => new ControllerSnapshot(r.List(ReadTopicState), r.Long(), [], 0, [], 0, [], []),
        // Controller snapshots of the single-broker journal, before the controller epoch.
        ["cSN2"] = r => new ControllerSnapshot(r.List(ReadTopicState), r.Long(), r.List(rr => rr.String()), 0, [], 0, [], []),
        // Controller state before partitions had leadership (every replica in sync, the preferred one leading).
        ["cSN3"] = r => new ControllerSnapshot(r.List(ReadTopicState), r.Long(), r.List(rr => rr.String()), r.Int(), r.List(ReadAssignment), r.Long(), r.List(rr => rr.Int()), []),
        // Before reassignments were kept.
        ["cSN4"] = r => new ControllerSnapshot(r.List(ReadTopicStateV2), r.Long(), r.List(rr => rr.String()), r.Int(), r.List(ReadAssignment), r.Long(), r.List(rr => rr.Int()), []),
        // Topic config descriptions before dynamic broker configs.
        ["DCRs"] = r => new DescribeConfigsResponse(r.String(), (ErrorCode)r.Short(), r.NullableString(), r.List(rr => new ConfigEntry(rr.String(), rr.String(), rr.Bool()))),
        // Before dynamic broker configs were kept.
        ["cSN5"] = r => new ControllerSnapshot(r.List(ReadTopicStateV2), r.Long(), r.List(rr => rr.String()), r.Int(), r.List(ReadAssignment), r.Long(), r.List(rr => rr.Int()),
            r.List(ReadReassignment)),
        // Before client quotas were kept.
        ["cSN8"] = r => new ControllerSnapshot(r.List(ReadTopicStateV2), r.Long(), r.List(rr => rr.String()), r.Int(), r.List(ReadAssignment), r.Long(), r.List(rr => rr.Int()),
            r.List(ReadReassignment), r.List(rr => new BrokerConfigsChanged(rr.String(), rr.StringMap())), r.List(ReadUserScramCredentials), r.List(ReadAcl), r.List(rr => rr.String())),
        // SCRAM credentials without ACLs (a development build's).
        ["cSN7"] = r => new ControllerSnapshot(r.List(ReadTopicStateV2), r.Long(), r.List(rr => rr.String()), r.Int(), r.List(ReadAssignment), r.Long(), r.List(rr => rr.Int()),
            r.List(ReadReassignment), r.List(rr => new BrokerConfigsChanged(rr.String(), rr.StringMap())), r.List(ReadUserScramCredentials)),
        // Before SCRAM credentials were kept.
        ["cSN6"] = r => new ControllerSnapshot(r.List(ReadTopicStateV2), r.Long(), r.List(rr => rr.String()), r.Int(), r.List(ReadAssignment), r.Long(), r.List(rr => rr.Int()),
            r.List(ReadReassignment), r.List(rr => new BrokerConfigsChanged(rr.String(), rr.StringMap()))),
        // Partition snapshots before replication (no leader epochs, no truncations).
        ["pSN"] = r => ReadPartitionSnapshot(r, withReplication: false, withSegments: false),
        // Partition snapshots before segments, retention and compaction.
        ["pSN2"] = r => ReadPartitionSnapshot(r, withReplication: true, withSegments: false),
        // Partition snapshots before the high watermark and the fencing epochs were kept.
        ["pSN3"] = r => ReadPartitionSnapshot(r, withReplication: true, withSegments: true),
    };

    private static readonly Dictionary<Type, Codec> ByType = Codecs.ToDictionary(c => c.Type);
    private static readonly Dictionary<string, Codec> ByManifest = Codecs.ToDictionary(c => c.Manifest);

    public BrokerSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => Id;

    /// <summary>Every type this serializer handles, for the HOCON bindings and for round-trip tests.</summary>
    public static IEnumerable<Type> SupportedTypes => Codecs.Select(c => c.Type);

    public override string Manifest(object o) => ManifestOf(o);

    public override byte[] ToBinary(object obj) => Encode(obj);

    public override object FromBinary(byte[] bytes, string manifest) => Decode(bytes, manifest);

    /// <summary>The manifest <see cref="Encode"/> writes <paramref name="o"/> under; also for bytes stored outside Akka (group records).</summary>
    public static string ManifestOf(object o) => CodecFor(o).Manifest;

    public static byte[] Encode(object obj)
    {
        var codec = CodecFor(obj);
        // The messages that carry record batches are sized exactly, so they are written with one allocation and no copy.
        var capacity = obj switch
        {
            ProduceRequest p => WireWriter.SizeOf(p.TopicPartition.Topic) + 4 + 2 + 4 + 4 + p.Batch.Length,
            FetchResponse f => WireWriter.SizeOf(f.TopicPartition.Topic) + 4 + 2 + WireWriter.SizeOf(f.ErrorMessage) + 8 + 8 + 4 + f.Records.Length,
            BatchAppended b => 4 + b.Batch.Length,
            _ => 256,
        };
        var w = new WireWriter(capacity);
        codec.Write(w, obj);
        return w.ToArray();
    }

    public static object Decode(byte[] bytes, string manifest)
    {
        Func<WireReader, object> read;
        if (ByManifest.TryGetValue(manifest, out var codec)) read = codec.Read;
        else if (!LegacyReaders.TryGetValue(manifest, out read!))
            throw new System.Runtime.Serialization.SerializationException($"BrokerSerializer does not know manifest '{manifest}'");
        var r = new WireReader(bytes);
        object message;
        try
        {
            message = read(r);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException)
        {
            // Bytes that parse but make no message (a message's own checks refuse them) are as malformed as truncated ones.
            throw new FormatException($"malformed '{manifest}' message: {e.Message}", e);
        }
        r.EnsureEnd();
        return message;
    }

    private static Codec CodecFor(object o) =>
        ByType.TryGetValue(o.GetType(), out var c)
            ? c
            : throw new ArgumentException($"BrokerSerializer cannot serialize {o.GetType().FullName}; add a codec with a new manifest");

    private static Codec C<T>(string manifest, Action<WireWriter, T> write, Func<WireReader, T> read) where T : notnull =>
        new(manifest, typeof(T), (w, o) => write(w, (T)o), r => read(r));

    private static void WriteStrings(WireWriter w, IReadOnlyList<string> items) => w.List(items, (ww, s) => ww.String(s));
    private static IReadOnlyList<string> ReadStrings(WireReader r) => r.List(rr => rr.String());

    private static void WriteBroker(WireWriter w, BrokerInfo b) { w.Int(b.BrokerId); w.String(b.Host); w.Int(b.Port); }
    private static BrokerInfo ReadBroker(WireReader r) => new(r.Int(), r.String(), r.Int());

    private static void WriteTopicMetadata(WireWriter w, TopicMetadata t)
    {
        w.String(t.Name);
        w.Short((short)t.Error);
        w.String(t.ErrorMessage);
        w.List(t.Partitions, (ww, p) =>
        {
            ww.Int(p.Partition);
            ww.Int(p.Leader);
            ww.List(p.Replicas, (www, i) => www.Int(i));
            ww.List(p.Isr, (www, i) => www.Int(i));
            ww.Int(p.LeaderEpoch);
        });
    }

    private static TopicMetadata ReadTopicMetadata(WireReader r) =>
        new(r.String(), (ErrorCode)r.Short(), r.NullableString(),
            r.List(rr => new PartitionMetadata(rr.Int(), rr.Int(), rr.List(x => x.Int()), rr.List(x => x.Int()), rr.Int())));

    private static void WriteOutcome(WireWriter w, PartitionOutcome x)
    {
        w.TopicPartition(x.TopicPartition);
        w.Short((short)x.Error);
        w.String(x.ErrorMessage);
    }

    private static PartitionOutcome ReadOutcome(WireReader r) => new(r.TopicPartition(), (ErrorCode)r.Short(), r.NullableString());

    private static void WriteReassignment(WireWriter w, PartitionReassignment x)
    {
        w.TopicPartition(x.TopicPartition);
        w.List(x.Target, (ww, b) => ww.Int(b));
        w.List(x.Original, (ww, b) => ww.Int(b));
        w.Long(x.ThrottleBytesPerSecond);
    }

    private static PartitionReassignment ReadReassignment(WireReader r) => new(r.TopicPartition(), r.List(x => x.Int()), r.List(x => x.Int()), r.Long());

    private static void WriteAcl(WireWriter w, AclBinding a)
    {
        w.Byte((byte)a.ResourceType); w.String(a.ResourceName); w.Byte((byte)a.PatternType); w.String(a.Principal); w.String(a.Host);
        w.Byte((byte)a.Operation); w.Byte((byte)a.Permission);
    }

    private static AclBinding ReadAcl(WireReader r) =>
        new((AclResourceType)r.Byte(), r.String(), (AclPatternType)r.Byte(), r.String(), r.String(), (AclOperation)r.Byte(), (AclPermission)r.Byte());

    private static void WriteAclFilter(WireWriter w, AclFilter f)
    {
        w.Byte((byte)f.ResourceType); w.String(f.ResourceName); w.Byte((byte)f.PatternType); w.String(f.Principal); w.String(f.Host);
        w.Byte((byte)f.Operation); w.Byte((byte)f.Permission);
    }

    private static AclFilter ReadAclFilter(WireReader r) =>
        new((AclResourceType)r.Byte(), r.NullableString(), (AclPatternType)r.Byte(), r.NullableString(), r.NullableString(), (AclOperation)r.Byte(), (AclPermission)r.Byte());

    private static void WriteUserScramCredentials(WireWriter w, UserScramCredentialsChanged x)
    {
        w.String(x.User);
        w.List(x.Credentials, (ww, c) =>
        {
            ww.Byte(c.Mechanism); ww.Int(c.Credential.Iterations); ww.Bytes(c.Credential.Salt); ww.Bytes(c.Credential.StoredKey); ww.Bytes(c.Credential.ServerKey);
        });
    }

    private static UserScramCredentialsChanged ReadUserScramCredentials(WireReader r) =>
        new(r.String(), r.List(rr =>
        {
            var mechanism = rr.Byte();
            var iterations = rr.Int();
            return new StoredScramCredential(mechanism, new Security.ScramCredential(rr.Bytes(), rr.Bytes(), rr.Bytes(), iterations));
        }));

    private static void WriteAssignment(WireWriter w, PartitionAssignment a)
    {
        w.Int(a.Partition);
        w.List(a.Replicas, (ww, i) => ww.Int(i));
    }

    private static PartitionAssignment ReadAssignment(WireReader r) => new(r.Int(), r.List(x => x.Int()));

    private static void WriteAssignmentV2(WireWriter w, PartitionAssignment a)
    {
        w.Int(a.Partition);
        w.List(a.Replicas, (ww, i) => ww.Int(i));
        w.Int(a.Leader);
        w.Int(a.LeaderEpoch);
        w.List(a.Isr, (ww, i) => ww.Int(i));
        w.Int(a.PartitionEpoch);
    }

    private static PartitionAssignment ReadAssignmentV2(WireReader r) => new(r.Int(), r.List(x => x.Int()), r.Int(), r.Int(), r.List(x => x.Int()), r.Int());

    // A topic's layout is the same in both versions; only its partitions' layout differs.
    private static void WriteTopicState(WireWriter w, TopicState t) => WriteTopicState(w, t, WriteAssignment);

    private static void WriteTopicStateV2(WireWriter w, TopicState t) => WriteTopicState(w, t, WriteAssignmentV2);

    private static void WriteTopicState(WireWriter w, TopicState t, Action<WireWriter, PartitionAssignment> writePartition)
    {
        w.String(t.Name);
        w.Short(t.ReplicationFactor);
        w.StringMap(t.ConfigOverrides);
        w.List(t.Partitions, writePartition);
    }

    private static TopicState ReadTopicState(WireReader r) => ReadTopicState(r, ReadAssignment);

    private static TopicState ReadTopicStateV2(WireReader r) => ReadTopicState(r, ReadAssignmentV2);

    private static TopicState ReadTopicState(WireReader r, Func<WireReader, PartitionAssignment> readPartition) =>
        new(r.String(), r.Short(), r.StringMap(), r.List(readPartition));

    private static void WritePartitionSnapshot(WireWriter w, PartitionSnapshot s)
    {
        w.StringMap(s.Config);
        w.Long(s.LogStartOffset);
        w.Long(s.LogEndOffset);
        w.Long(s.LogBytes);
        w.Long(s.MaxTimestamp);
        w.Long(s.BytesSinceIndexEntry);
        w.List(s.Index, (ww, e) => { ww.Long(e.BaseOffset); ww.Long(e.SequenceNr); ww.Long(e.Position); ww.Long(e.MaxTimestamp); });
        w.List(s.Producers, (ww, p) =>
        {
            ww.Long(p.ProducerId);
            ww.Short(p.Epoch);
            ww.Long(p.LastTimestamp);
            ww.List(p.RecentBatches, (www, b) => { www.Int(b.FirstSequence); www.Int(b.LastSequence); www.Long(b.BaseOffset); www.Long(b.LogAppendTime); });
        });
        w.Bool(s.Deleted);
        w.List(s.LeaderEpochs, (ww, e) => { ww.Int(e.Epoch); ww.Long(e.StartOffset); });
        w.List(s.DeadRanges, (ww, d) => { ww.Long(d.From); ww.Long(d.To); });
        w.List(s.Segments, (ww, g) => { ww.Long(g.BaseOffset); ww.Long(g.FirstSequenceNr); ww.Long(g.Position); ww.Long(g.FirstTimestamp); ww.Long(g.MaxTimestamp); ww.Long(g.Bytes); });
        w.Long(s.CleanedUpTo);
        w.Long(s.HighWatermark);
        w.Int(s.ControllerEpoch);
        w.Int(s.LeaderEpoch);
        w.Int(s.PartitionEpoch);
    }

    private static PartitionSnapshot ReadPartitionSnapshot(WireReader r, bool withReplication, bool withSegments, bool withFencing = false)
    {
        var snapshot = ReadPartitionSnapshotV3(r, withReplication, withSegments);
        return withFencing ? snapshot with { HighWatermark = r.Long(), ControllerEpoch = r.Int(), LeaderEpoch = r.Int(), PartitionEpoch = r.Int() } : snapshot;
    }

    private static PartitionSnapshot ReadPartitionSnapshotV3(WireReader r, bool withReplication, bool withSegments) =>
        new(r.StringMap(), r.Long(), r.Long(), r.Long(), r.Long(), r.Long(),
            r.List(rr => new OffsetIndexEntry(rr.Long(), rr.Long(), rr.Long(), rr.Long())),
            r.List(rr => new ProducerStateEntry(rr.Long(), rr.Short(), rr.Long(),
                rr.List(x => new ProducerBatchMetadata(x.Int(), x.Int(), x.Long(), x.Long())))),
            r.Bool(),
            withReplication ? r.List(rr => new LeaderEpochEntry(rr.Int(), rr.Long())) : [],
            withReplication ? r.List(rr => new SequenceRange(rr.Long(), rr.Long())) : [],
            withSegments ? r.List(rr => new LogSegmentInfo(rr.Long(), rr.Long(), rr.Long(), rr.Long(), rr.Long(), rr.Long())) : [],
            withSegments ? r.Long() : 0);
}
