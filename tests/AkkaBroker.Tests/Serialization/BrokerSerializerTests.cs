using Akka.Actor;
using Akka.TestKit.Xunit2;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using Xunit;

namespace AkkaBroker.Tests.Serialization;

public class BrokerSerializerTests() : TestKit(BrokerNode.Compose(Akka.Configuration.ConfigurationFactory.ParseString(
    "akka.actor.provider = local, akka.remote.dot-netty.tcp.port = 0")))
{
    private static readonly TopicPartition Tp = new("t", 3);
    private static readonly Dictionary<string, string> Map = new() { ["a"] = "1", ["b"] = "2" };

    /// <summary>One sample of every message type the serializer supports.</summary>
    public static IEnumerable<object[]> Samples() => new object[]
    {
        new ProduceRequest(Tp, -1, 3000, [1, 2, 3]),
        new ProduceResponse(Tp, ErrorCode.MessageTooLarge, "too big", -1, -1, 0),
        new FetchRequest(Tp, 10, 1024, 1, 500),
        new FetchRequest(Tp, 10, 1024, 1, 500, CurrentLeaderEpoch: 7),
        new FetchResponse(Tp, ErrorCode.None, null, 11, 0, [9, 9]),
        new ListOffsetsRequest(Tp, ListOffsetsRequest.Earliest),
        new DeleteRecordsRequest(Tp, DeleteRecordsRequest.HighWatermark),
        new DeleteRecordsResponse(Tp, ErrorCode.PolicyViolation, "compacted", -1),
        new ListOffsetsResponse(Tp, ErrorCode.None, null, 5, 1234),
        new MetadataRequest(["x", "y"], true),
        new MetadataRequest(null, false),
        new MetadataResponse([new BrokerInfo(0, "h", 1)], 0, [new TopicMetadata("t", ErrorCode.None, null, [new PartitionMetadata(0, 0, [0], [0]), new PartitionMetadata(1, 2, [2, 0], [2], LeaderEpoch: 5)])]),
        new CreateTopicRequest("t", 3, 1, Map, false),
        new DeleteTopicRequest("t"),
        new CreatePartitionsRequest("t", 5),
        new DescribeConfigsRequest("t"),
        new AlterConfigsRequest("t", Map, ["c"]),
        new TopicOperationResponse("t", ErrorCode.InvalidConfig, "bad"),
        new DescribeConfigsResponse("t", ErrorCode.None, null, [new ConfigEntry("k", "v", true), new ConfigEntry("retention.ms", "5", true, IsDynamicDefault: true)]),
        new DescribeBrokerConfigsRequest(""),
        new DescribeBrokerConfigsResponse("2", ErrorCode.None, null,
            [new BrokerConfigEntry("log.retention.ms", "5", BrokerConfigSource.DynamicDefault), new BrokerConfigEntry("follower.replication.throttled.rate", "9", BrokerConfigSource.DynamicBroker)]),
        new AlterBrokerConfigsRequest("1", Map, ["c"], true),
        new AlterBrokerConfigsResponse("", ErrorCode.InvalidConfig, "bad"),
        new BrokerConfigsChanged("", Map),
        new ReassignPartitionsRequest([new PartitionReassignmentTarget(Tp, [1, 2]), new PartitionReassignmentTarget(Tp, null)], 5000),
        new ReassignPartitionsResponse(ErrorCode.None, null, [new PartitionOutcome(Tp, ErrorCode.ReassignmentInProgress, "busy")]),
        new ListPartitionReassignmentsRequest(),
        new ListPartitionReassignmentsResponse(ErrorCode.None, null, [new OngoingReassignment(Tp, [3, 1], [3], [1], 0)]),
        new UnregisterNodeRequest(3),
        new UnregisterNodeResponse(ErrorCode.BrokerIdNotRegistered, "no"),
        new ElectLeadersRequest(LeaderElectionType.Unclean, [Tp]),
        new ElectLeadersRequest(LeaderElectionType.Preferred, null),
        new ElectLeadersResponse(ErrorCode.None, null, [new PartitionOutcome(Tp, ErrorCode.ElectionNotNeeded, "led by 1"), new PartitionOutcome(Tp, ErrorCode.None, null)]),
        new OffsetDeleteRequest("g", [Tp]),
        new OffsetDeleteResponse(ErrorCode.None, null, [new PartitionError(Tp, ErrorCode.GroupSubscribedToTopic)]),
        new InitProducerIdRequest(),
        new InitProducerIdResponse(ErrorCode.None, null, 77, 1),
        new TopicCreated(new TopicState("t", 1, Map, [new PartitionAssignment(0, [0])])),
        new TopicDeleted("t"),
        new PartitionsAdded("t", [new PartitionAssignment(1, [0])]),
        new TopicConfigsChanged("t", Map),
        new ProducerIdsAllocated(2000),
        new ControllerSnapshot([new TopicState("t", 1, Map, [new PartitionAssignment(0, [0])])], 3000, ["g1", "g2"], 7, [new PartitionAssignment(0, [2]), new PartitionAssignment(1, [3])], 42, [1, 2, 3], [], [], [], [], [], []),
        new NodeRegistered(3),
        new OffsetsPartitionsAssigned([new PartitionAssignment(0, [1])]),
        new ControllerSnapshot([new TopicState("r", 3, Map, [new PartitionAssignment(0, [1, 2, 3], 2, 5, [2, 3], 9), new PartitionAssignment(1, [2, 3, 1], -1, 1, [2], 3)])],
            0, [], 2, [], 12, [1, 2, 3], [new PartitionReassignment(new TopicPartition("r", 0), [2, 4], [1, 2, 3], 1_000_000)],
            [new BrokerConfigsChanged("", Map), new BrokerConfigsChanged("2", new Dictionary<string, string> { ["follower.replication.throttled.rate"] = "5" })],
            [new UserScramCredentialsChanged("alice", [new StoredScramCredential(1, new AkkaBroker.Protocol.Security.ScramCredential([1, 2], [3, 4], [5, 6], 4096))])],
            [new AclBinding(AclResourceType.Topic, "orders", AclPatternType.Prefixed, "User:alice", "*", AclOperation.Read, AclPermission.Allow)],
            ["SCRAM-SHA-256:admin"], []),
        new ScramBootstrapApplied(["SCRAM-SHA-512:admin"]),
        new ControllerSnapshot([], 0, [], 1, [], 3, [1], [], [], [], [], [],
            [new ClientQuotasChanged(new ClientQuotaEntity(new QuotaEntityName("alice"), QuotaEntityName.Default), new Dictionary<string, double> { ["producer_byte_rate"] = 1024 })]),
        new ClientQuotasChanged(new ClientQuotaEntity(null, new QuotaEntityName("app")), new Dictionary<string, double>()),
        new AlterClientQuotasRequest([new ClientQuotaAlteration(new ClientQuotaEntity(QuotaEntityName.Default, null), [new ClientQuotaOp("request_percentage", 12.5, false), new ClientQuotaOp("producer_byte_rate", 0, true)])], true),
        new AlterClientQuotasResponse(ErrorCode.None, null, [new ClientQuotaOutcome(new ClientQuotaEntity(new QuotaEntityName("a"), new QuotaEntityName("b")), ErrorCode.InvalidRequest, "bad")]),
        new DescribeClientQuotasRequest([new ClientQuotaFilterComponent("user", QuotaMatchType.Exact, "alice"), new ClientQuotaFilterComponent("client-id", QuotaMatchType.Default, null)], true),
        new DescribeClientQuotasResponse(ErrorCode.None, null, [new ClientQuotaEntry(new ClientQuotaEntity(null, QuotaEntityName.Default), new Dictionary<string, double> { ["consumer_byte_rate"] = 5 })]),
        new AclsChanged([new AclBinding(AclResourceType.Cluster, "kafka-cluster", AclPatternType.Literal, "User:*", "10.0.0.1", AclOperation.Alter, AclPermission.Deny)], []),
        new CreateAclsRequest([new AclBinding(AclResourceType.Group, "g", AclPatternType.Literal, "User:bob", "*", AclOperation.Read, AclPermission.Allow)]),
        new CreateAclsResponse(ErrorCode.None, null, [new AclOutcome(ErrorCode.InvalidRequest, "bad")]),
        new DeleteAclsRequest([AclFilter.Everything, new AclFilter(AclResourceType.Topic, "t", AclPatternType.Match, "User:a", null, AclOperation.Write, AclPermission.Any)]),
        new DeleteAclsResponse(ErrorCode.None, null,
            [new DeleteAclsFilterResult(ErrorCode.None, null, [new AclBinding(AclResourceType.Topic, "t", AclPatternType.Literal, "User:a", "*", AclOperation.Write, AclPermission.Allow)])]),
        new DescribeAclsRequest(AclFilter.Everything),
        new DescribeAclsResponse(ErrorCode.None, null, [new AclBinding(AclResourceType.Topic, "*", AclPatternType.Literal, "User:*", "*", AclOperation.Describe, AclPermission.Allow)]),
        new UserScramCredentialsChanged("bob", []),
        new AlterUserScramCredentialsRequest([new ScramCredentialDeletion("a", 1)], [new ScramCredentialUpsertion("b", 2, 8192, [1, 2, 3], [4, 5, 6])]),
        new AlterUserScramCredentialsResponse(ErrorCode.None, null, [new UserOutcome("a", ErrorCode.ResourceNotFound, "gone"), new UserOutcome("b", ErrorCode.None, null)]),
        new DescribeUserScramCredentialsRequest(null),
        new DescribeUserScramCredentialsRequest(["a", "b"]),
        new DescribeUserScramCredentialsResponse(ErrorCode.None, null,
            [new UserScramCredentialsDescription("a", ErrorCode.None, null, [new ScramCredentialInfo(1, 4096)]), new UserScramCredentialsDescription("b", ErrorCode.ResourceNotFound, "none", [])]),
        new SaslHandshakeRequest("SCRAM-SHA-256"),
        new SaslHandshakeResponse(ErrorCode.None, null, ["SCRAM-SHA-256", "PLAIN"], "session-0a1b"),
        new SaslAuthenticateRequest([1, 2, 3]),
        new SaslAuthenticateResponse(ErrorCode.SaslAuthenticationFailed, "no", [], false),
        new DescribeClusterRequest(),
        new DescribeClusterResponse(ErrorCode.None, null, [new BrokerInfo(1, "127.0.0.1", 9201), new BrokerInfo(2, "h", 9202)], 1, 3),
        new FindCoordinatorRequest("g"),
        new FindCoordinatorResponse(ErrorCode.None, null, 2, "127.0.0.1", 9193),
        new FindCoordinatorResponse(ErrorCode.CoordinatorNotAvailable, "broker 2 is not live", -1, "", -1),
        new ForwardedGroupRequest(new OffsetFetchRequest("g", [new TopicPartition("t", 1)])),
        new GroupRegistered("g"),
        new GroupUnregistered("g"),
        new EnsurePartition(Tp, Map, new PartitionAssignment(0, [1, 2, 3], 2, 4, [2, 3], 7), new BrokerInfo(2, "127.0.0.1", 9202), 5),
        new EnsurePartition(Tp, Map, new PartitionAssignment(0, [1, 2], -1, 4, [1], 7), null, 5),
        new LogTruncated(120, 4096, 17),
        new LeadershipAccepted(3, 7, 12),
        new HighWatermarkCheckpointed(4242),
        new ReplicaLogCorrupted(Tp, 2, 77),
        new PartitionLeadershipRequest(Tp, 3),
        new ReplicaFetchRequest(Tp, 2, 4, 100, 1 << 20, 500, 9),
        new ReplicaFetchResponse(Tp, ErrorCode.None, null, 90, 0, [1, 2, 3], 9),
        new ReplicaFetchResponse(Tp, ErrorCode.FencedLeaderEpoch, "old epoch", -1, -1, [], 10),
        new OffsetForLeaderEpochRequest(Tp, 2, 4, 3, 11),
        new OffsetForLeaderEpochResponse(Tp, ErrorCode.None, null, 3, 120, 11),
        new AlterPartitionRequest(Tp, 1, 4, 7, [1, 3]),
        new AlterPartitionResponse(Tp, ErrorCode.None, null, new PartitionAssignment(0, [1, 2, 3], 1, 4, [1, 3], 8)),
        new AlterPartitionResponse(Tp, ErrorCode.UnknownTopicOrPartition, "gone", null),
        new DeletePartition(Tp),
        new PartitionStateAck(Tp, ErrorCode.None, null),
        new PartitionConfigured(Map),
        new BatchAppended([4, 5, 6]),
        new PartitionDeleted(),
        new PartitionSnapshot(Map, 0, 10, 500, 99, 12, [new OffsetIndexEntry(0, 2, 0, 99)],
            [new ProducerStateEntry(7, 0, 100, [new ProducerBatchMetadata(0, 4, 0, -1)])], false,
            [new LeaderEpochEntry(0, 0), new LeaderEpochEntry(3, 7)], [new SequenceRange(5, 9)],
            [new LogSegmentInfo(0, 2, 0, 90, 99, 500)], 4, 9, 3, 2, 7),
        new LogStartAdvanced(40, 12),
        new RecordsDeleted(57),
        new LogReset(77),
        new LogCleaned(40, [new SegmentSize(0, 120), new SegmentSize(20, 300)]),
        new DescribeLogRequest(Tp),
        new DescribeReplicaLogRequest(Tp),
        new DescribeLogResponse(Tp, ErrorCode.None, null, 3, 10, 9, 4096, 2, 8, 5, 0.25),
        new JoinGroupRequest("g", "", "static-1", "c", 10000, 300000, ["range", "roundrobin"], ["t", "u"], [Tp]),
        new JoinGroupRequest("g", "m-1", null, "c", 10000, 300000, ["cooperative-sticky"], ["t"], []),
        new JoinGroupRequest("g", "", null, "c", 10000, 300000, ["range"], ["t"], [], RequireKnownMemberId: true),
        new JoinGroupResponse(ErrorCode.None, null, 3, "range", "m-1", "m-2"),
        new SyncGroupRequest("g", 3, "m-1", null),
        new SyncGroupResponse(ErrorCode.None, null, [Tp, new TopicPartition("u", 0)]),
        new HeartbeatRequest("g", 3, "m-1", "static-1", 3000),
        new HeartbeatResponse(ErrorCode.RebalanceInProgress, "rejoin"),
        new LeaveGroupRequest("g", "m-1", null, "closing"),
        new LeaveGroupResponse(ErrorCode.None, null),
        new OffsetCommitRequest("g", 3, "m-1", null, [new OffsetCommit(Tp, 42, "meta"), new OffsetCommit(Tp with { Partition = 4 }, 7, null)]),
        new OffsetCommitResponse(ErrorCode.IllegalGeneration, "stale"),
        new OffsetFetchRequest("g", [Tp]),
        new OffsetFetchRequest("g", null),
        new OffsetFetchResponse(ErrorCode.None, null, [new CommittedOffset(Tp, 42, null, 1700000000000)]),
        new DescribeGroupRequest("g"),
        new DescribeGroupResponse(ErrorCode.None, null, "g", "Stable", "range", 3, [new GroupMemberDescription("m-1", null, "c", [Tp])],
            [new CommittedOffset(Tp, 42, "x", 1)]),
        new DeleteGroupRequest("g"),
        new DeleteGroupResponse(ErrorCode.NonEmptyGroup, "members"),
        new ListGroupsRequest(),
        new ListGroupsResponse(ErrorCode.None, null, ["a", "b"]),
        new GroupMetadataChanged(3, "range", "m-1", 1700000000000,
            [new GroupMemberRecord("m-1", "static-1", "c", 10000, 300000, ["range"], ["t"], [Tp])]),
        new GroupOffsetsCommitted([new CommittedOffset(Tp, 42, null, 5)]),
        new GroupOffsetsExpired([Tp]),
        new GroupDeleted(),
        new GroupSnapshot(new GroupMetadataChanged(0, "", "", 5, []), [new CommittedOffset(Tp, 1, "m", 2)]),
        new OffsetsPartitionsLed([0, 7, 49]),
        new ListCoordinatedGroupsRequest([3]),
    }.Select(o => new[] { o });

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_message_round_trips_through_the_broker_serializer(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<BrokerSerializer>(serializer);
        var manifest = ((Akka.Serialization.SerializerWithStringManifest)serializer).Manifest(message);
        var bytes = serializer.ToBinary(message);
        var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
        // Records compare collections by reference, so compare a canonical rendering instead.
        Assert.Equal(Render(message), Render(back));
    }

    /// <summary>
    /// Hostile bytes: every truncation of every sample, and random bytes and single flipped bytes under every manifest,
    /// are refused with a format error (or decode to some message), never with another exception or a large allocation.
    /// </summary>
    [Fact]
    public void Truncated_corrupted_and_random_bytes_are_refused_as_malformed_and_nothing_else()
    {
        var random = new Random(20261207);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var attempts = 0;
        void Decode(byte[] bytes, string manifest)
        {
            attempts++;
            try
            {
                BrokerSerializer.Decode(bytes, manifest);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or System.Runtime.Serialization.SerializationException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"manifest {manifest}, {bytes.Length} bytes [{Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 64)))}]: {e.GetType().Name}: {e.Message}");
            }
        }
        foreach (var sample in Samples().Select(s => s[0]))
        {
            var manifest = BrokerSerializer.ManifestOf(sample);
            var bytes = BrokerSerializer.Encode(sample);
            for (var length = 0; length < bytes.Length; length++) Decode(bytes[..length], manifest);
            for (var i = 0; i < Math.Min(bytes.Length, 200); i++)
            {
                var flipped = (byte[])bytes.Clone();
                flipped[i] ^= (byte)random.Next(1, 256);
                Decode(flipped, manifest);
            }
            for (var i = 0; i < 50; i++)
            {
                var noise = new byte[random.Next(0, 64)];
                random.NextBytes(noise);
                Decode(noise, manifest);
            }
        }
        // Thousands of attempts, none of which may allocate much: a length believed from the bytes would show here.
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        Assert.True(allocated < 512L * 1024 * 1024, $"{attempts} hostile decodes allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Every_supported_type_has_a_sample()
    {
        var sampled = Samples().Select(s => s[0].GetType()).ToHashSet();
        Assert.All(BrokerSerializer.SupportedTypes, t => Assert.Contains(t, sampled));
    }

    [Fact]
    public void Truncated_bytes_are_refused_not_misread()
    {
        var serializer = (BrokerSerializer)Sys.Serialization.FindSerializerForType(typeof(FetchRequest));
        var bytes = serializer.ToBinary(new FetchRequest(Tp, 1, 2, 3, 4));
        Assert.Throws<FormatException>(() => serializer.FromBinary(bytes[..^2], "FRq"));
    }

    [Fact]
    public void Controller_snapshots_written_before_the_group_directory_still_load()
    {
        // The layout of manifest "cSN" as the first release wrote it: topics, then the next producer id.
        var w = new WireWriter();
        w.List([new TopicState("t", 1, Map, [new PartitionAssignment(0, [0])])], (ww, t) =>
        {
            ww.String(t.Name); ww.Short(t.ReplicationFactor); ww.StringMap(t.ConfigOverrides);
            ww.List(t.Partitions, (www, p) => { www.Int(p.Partition); www.List(p.Replicas, (x, i) => x.Int(i)); });
        });
        w.Long(3000);
        var serializer = (BrokerSerializer)Sys.Serialization.FindSerializerForType(typeof(ControllerSnapshot));
        var snapshot = Assert.IsType<ControllerSnapshot>(serializer.FromBinary(w.ToArray(), "cSN"));
        Assert.Equal("t", Assert.Single(snapshot.Topics).Name);
        Assert.Equal(3000, snapshot.NextProducerId);
        Assert.Empty(snapshot.Groups);
    }

    [Fact]
    public void Controller_snapshots_written_before_the_controller_epoch_still_load()
    {
        // The layout of manifest "cSN2" (single-broker journals of session 2): topics, next producer id, groups.
        var w = new WireWriter();
        w.List([new TopicState("t", 1, Map, [new PartitionAssignment(0, [0])])], (ww, t) =>
        {
            ww.String(t.Name); ww.Short(t.ReplicationFactor); ww.StringMap(t.ConfigOverrides);
            ww.List(t.Partitions, (www, p) => { www.Int(p.Partition); www.List(p.Replicas, (x, i) => x.Int(i)); });
        });
        w.Long(4000);
        w.List(["g1"], (ww, g) => ww.String(g));
        var serializer = (BrokerSerializer)Sys.Serialization.FindSerializerForType(typeof(ControllerSnapshot));
        var snapshot = Assert.IsType<ControllerSnapshot>(serializer.FromBinary(w.ToArray(), "cSN2"));
        Assert.Equal("t", Assert.Single(snapshot.Topics).Name);
        Assert.Equal(4000, snapshot.NextProducerId);
        Assert.Equal(["g1"], snapshot.Groups);
        Assert.Equal(0, snapshot.ControllerEpoch);
    }

    [Fact]
    public void Controller_snapshots_written_before_replication_load_with_every_replica_in_sync_and_the_preferred_one_leading()
    {
        // The layout of manifest "cSN3" (session 3): partitions as (partition, replicas) only.
        var w = new WireWriter();
        w.List([new TopicState("t", 1, Map, [new PartitionAssignment(0, [2])])], (ww, t) =>
        {
            ww.String(t.Name); ww.Short(t.ReplicationFactor); ww.StringMap(t.ConfigOverrides);
            ww.List(t.Partitions, (www, p) => { www.Int(p.Partition); www.List(p.Replicas, (x, i) => x.Int(i)); });
        });
        w.Long(5000);
        w.List(["g1"], (ww, g) => ww.String(g));
        w.Int(3);
        w.List([new PartitionAssignment(0, [1])], (ww, p) => { ww.Int(p.Partition); ww.List(p.Replicas, (x, i) => x.Int(i)); });
        w.Long(17);
        w.List([1, 2], (ww, b) => ww.Int(b));
        var serializer = (BrokerSerializer)Sys.Serialization.FindSerializerForType(typeof(ControllerSnapshot));
        var snapshot = Assert.IsType<ControllerSnapshot>(serializer.FromBinary(w.ToArray(), "cSN3"));
        var partition = Assert.Single(Assert.Single(snapshot.Topics).Partitions);
        Assert.Equal((2, 0, 0), (partition.Leader, partition.LeaderEpoch, partition.PartitionEpoch));
        Assert.Equal([2], partition.Isr);
        Assert.Equal(3, snapshot.ControllerEpoch);
        Assert.Equal(17, snapshot.Version);
        Assert.Equal([1, 2], snapshot.RegisteredNodes);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1_000)]
    [InlineData(-1)]
    public void A_count_larger_than_the_bytes_left_is_refused_before_anything_is_allocated(int count)
    {
        var serializer = (BrokerSerializer)Sys.Serialization.FindSerializerForType(typeof(TopicConfigsChanged));
        // A topic name, then a config map claiming `count` entries with nothing behind it (Kafka's "15-byte bomb").
        var map = new WireWriter();
        map.String("t");
        map.Int(count);
        var ex = Assert.Throws<FormatException>(() => serializer.FromBinary(map.ToArray(), "cTCC"));
        Assert.Contains("cannot fit", ex.Message);
        var list = new WireWriter();
        list.String("t");
        list.Int(count);
        Assert.Contains("cannot fit", Assert.Throws<FormatException>(() => serializer.FromBinary(list.ToArray(), "cPA")).Message);
    }

    [Fact]
    public void Controller_snapshots_and_config_descriptions_written_before_dynamic_broker_configs_still_load()
    {
        var serializer = (BrokerSerializer)Sys.Serialization.FindSerializerForType(typeof(ControllerSnapshot));
        var snapshot = new ControllerSnapshot([new TopicState("t", 1, Map, [new PartitionAssignment(0, [2])])], 5000, ["g1"], 3, [], 17, [1, 2],
            [new PartitionReassignment(Tp, [2], [1], 0)], [], [], [], [], []);
        // "cSN5" is "cSN9" without the trailing lists of broker configs, SCRAM credentials, ACLs, applied add-scram
        // entries and client quotas (int counts of 0 here); "cSN6" is it without the last four, "cSN7" without the last
        // three, "cSN8" without the last one.
        var legacy = Assert.IsType<ControllerSnapshot>(serializer.FromBinary(serializer.ToBinary(snapshot)[..^20], "cSN5"));
        Assert.Equal(Render(snapshot with { BrokerConfigs = null, ScramCredentials = null, Acls = null, ScramBootstrapped = null, ClientQuotas = null }), Render(legacy));
        var beforeScram = Assert.IsType<ControllerSnapshot>(serializer.FromBinary(serializer.ToBinary(snapshot)[..^16], "cSN6"));
        Assert.Equal(Render(snapshot with { ScramCredentials = null, Acls = null, ScramBootstrapped = null, ClientQuotas = null }), Render(beforeScram));
        var beforeAcls = Assert.IsType<ControllerSnapshot>(serializer.FromBinary(serializer.ToBinary(snapshot)[..^12], "cSN7"));
        Assert.Equal(Render(snapshot with { Acls = null, ScramBootstrapped = null, ClientQuotas = null }), Render(beforeAcls));
        var beforeQuotas = Assert.IsType<ControllerSnapshot>(serializer.FromBinary(serializer.ToBinary(snapshot)[..^4], "cSN8"));
        Assert.Equal(Render(snapshot with { ClientQuotas = null }), Render(beforeQuotas));

        // "DCRs" is "DCRs2" without each entry's trailing dynamic-default flag (one entry here, so the last byte).
        var described = new DescribeConfigsResponse("t", ErrorCode.None, null, [new ConfigEntry("k", "v", true)]);
        var old = Assert.IsType<DescribeConfigsResponse>(serializer.FromBinary(serializer.ToBinary(described)[..^1], "DCRs"));
        Assert.Equal(Render(described), Render(old));
    }

    [Fact]
    public void Partition_snapshots_written_before_replication_load_with_no_epochs_or_truncations()
    {
        var current = new PartitionSnapshot(Map, 0, 10, 500, 99, 12, [new OffsetIndexEntry(0, 2, 0, 99)], [], false, [new LeaderEpochEntry(0, 0)], [], [], 0);
        var serializer = (BrokerSerializer)Sys.Serialization.FindSerializerForType(typeof(PartitionSnapshot));
        var bytes = serializer.ToBinary(current);
        // The "pSN" layout is the "pSN2" layout without the two trailing lists (each an int count of 1 and 0 here),
        // which is "pSN3" without its segment list (count 0) and cleaner offset.
        var legacy = Assert.IsType<PartitionSnapshot>(serializer.FromBinary(bytes[..^(4 + 4 + 8 + 4 + 4 + 8 + V4Tail)], "pSN"));
        Assert.Equal(10, legacy.LogEndOffset);
        Assert.Empty(legacy.LeaderEpochs);
        Assert.Empty(legacy.DeadRanges);
        Assert.Empty(legacy.Segments);
    }

    [Fact]
    public void Partition_snapshots_written_before_segments_load_with_none()
    {
        var current = new PartitionSnapshot(Map, 0, 10, 500, 99, 12, [new OffsetIndexEntry(0, 2, 0, 99)], [], false, [new LeaderEpochEntry(0, 0)],
            [new SequenceRange(3, 4)], [], 0);
        var serializer = (BrokerSerializer)Sys.Serialization.FindSerializerForType(typeof(PartitionSnapshot));
        var legacy = Assert.IsType<PartitionSnapshot>(serializer.FromBinary(serializer.ToBinary(current)[..^(4 + 8 + V4Tail)], "pSN2"));
        Assert.Equal([new SequenceRange(3, 4)], legacy.DeadRanges);
        Assert.Empty(legacy.Segments);
        Assert.Equal(0, legacy.CleanedUpTo);
    }

    /// <summary>What "pSN4" adds after "pSN3": the high watermark and the three fencing epochs.</summary>
    private const int V4Tail = 8 + 4 + 4 + 4;

    [Fact]
    public void Partition_snapshots_written_before_the_high_watermark_was_kept_load_with_none_and_no_fencing()
    {
        var current = new PartitionSnapshot(Map, 0, 10, 500, 99, 12, [new OffsetIndexEntry(0, 2, 0, 99)], [], false, [new LeaderEpochEntry(0, 0)],
            [], [new LogSegmentInfo(0, 2, 0, 99, 99, 500)], 4, HighWatermark: 9, ControllerEpoch: 3, LeaderEpoch: 2, PartitionEpoch: 7);
        var serializer = (BrokerSerializer)Sys.Serialization.FindSerializerForType(typeof(PartitionSnapshot));
        var bytes = serializer.ToBinary(current);
        var back = Assert.IsType<PartitionSnapshot>(serializer.FromBinary(bytes, "pSN4"));
        Assert.Equal((9L, 3, 2, 7), (back.HighWatermark, back.ControllerEpoch, back.LeaderEpoch, back.PartitionEpoch));
        var legacy = Assert.IsType<PartitionSnapshot>(serializer.FromBinary(bytes[..^V4Tail], "pSN3"));
        Assert.Equal(4, legacy.CleanedUpTo);
        Assert.Equal((0L, -1, -1, -1), (legacy.HighWatermark, legacy.ControllerEpoch, legacy.LeaderEpoch, legacy.PartitionEpoch));
    }

    private static string Render(object o) => System.Text.Json.JsonSerializer.Serialize(o, o.GetType());
}
