using AkkaBroker.Actors.Controller;
using AkkaBroker.Actors.Security;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Xunit;

namespace AkkaBroker.Tests.Security;

/// <summary>Kafka's ACL semantics: what grants, what refuses, and what each request needs.</summary>
public class AuthorizerTests
{
    private static readonly AuthorizerSettings On = new(true, new HashSet<string> { "User:admin" }, AllowEveryoneIfNoAclFound: false);

    private static AclBinding Acl(AclResourceType type, string name, AclOperation op, AclPermission permission = AclPermission.Allow,
        string principal = "User:alice", string host = "*", AclPatternType pattern = AclPatternType.Literal) =>
        new(type, name, pattern, principal, host, op, permission);

    private static Authorizer With(AuthorizerSettings settings, params AclBinding[] acls)
    {
        var authorizer = new Authorizer(settings);
        authorizer.Update(acls);
        return authorizer;
    }

    [Fact]
    public void An_allow_grants_its_operation_and_those_kafka_implies_and_nothing_else()
    {
        var a = With(On, Acl(AclResourceType.Topic, "orders", AclOperation.Write), Acl(AclResourceType.Topic, "orders", AclOperation.AlterConfigs));
        Assert.True(a.Authorize("User:alice", "10.0.0.1", AclOperation.Write, AclResourceType.Topic, "orders"));
        Assert.True(a.Authorize("User:alice", "10.0.0.1", AclOperation.Describe, AclResourceType.Topic, "orders"));
        Assert.True(a.Authorize("User:alice", "10.0.0.1", AclOperation.DescribeConfigs, AclResourceType.Topic, "orders"));
        Assert.False(a.Authorize("User:alice", "10.0.0.1", AclOperation.Read, AclResourceType.Topic, "orders"));
        Assert.False(a.Authorize("User:bob", "10.0.0.1", AclOperation.Write, AclResourceType.Topic, "orders"));
        Assert.False(a.Authorize("User:alice", "10.0.0.1", AclOperation.Write, AclResourceType.Topic, "orders-2"));
    }

    [Fact]
    public void A_deny_beats_any_allow_and_super_users_bypass_everything()
    {
        var a = With(On, Acl(AclResourceType.Topic, "*", AclOperation.All, principal: "User:*"),
            Acl(AclResourceType.Topic, "pay", AclOperation.Read, AclPermission.Deny, pattern: AclPatternType.Prefixed));
        Assert.True(a.Authorize("User:alice", null, AclOperation.Read, AclResourceType.Topic, "orders"));
        Assert.False(a.Authorize("User:alice", null, AclOperation.Read, AclResourceType.Topic, "payments"));
        // A deny of Read does not deny Describe (Kafka implies only for allows).
        Assert.True(a.Authorize("User:alice", null, AclOperation.Describe, AclResourceType.Topic, "payments"));
        Assert.True(a.Authorize("User:admin", null, AclOperation.Read, AclResourceType.Topic, "payments"));
    }

    [Fact]
    public void A_resource_no_acl_names_is_open_only_with_allow_everyone_if_no_acl_found()
    {
        var acl = Acl(AclResourceType.Topic, "orders", AclOperation.Read);
        Assert.False(With(On, acl).Authorize("User:bob", null, AclOperation.Read, AclResourceType.Topic, "free"));
        var open = With(On with { AllowEveryoneIfNoAclFound = true }, acl);
        Assert.True(open.Authorize("User:bob", null, AclOperation.Read, AclResourceType.Topic, "free"));
        Assert.False(open.Authorize("User:bob", null, AclOperation.Read, AclResourceType.Topic, "orders"));
        Assert.True(With(AuthorizerSettings.Off).Authorize("User:bob", null, AclOperation.Alter, AclResourceType.Cluster, Authorizer.ClusterName));
    }

    [Fact]
    public void A_host_acl_grants_only_where_the_address_is_known_and_a_host_deny_refuses_where_it_is_not()
    {
        var a = With(On, Acl(AclResourceType.Topic, "t", AclOperation.Read, host: "10.0.0.1"),
            Acl(AclResourceType.Topic, "u", AclOperation.Read), Acl(AclResourceType.Topic, "u", AclOperation.Read, AclPermission.Deny, host: "10.0.0.9"));
        Assert.True(a.Authorize("User:alice", "10.0.0.1", AclOperation.Read, AclResourceType.Topic, "t"));
        Assert.False(a.Authorize("User:alice", "10.0.0.2", AclOperation.Read, AclResourceType.Topic, "t"));
        Assert.False(a.Authorize("User:alice", null, AclOperation.Read, AclResourceType.Topic, "t"));
        Assert.True(a.Authorize("User:alice", "10.0.0.1", AclOperation.Read, AclResourceType.Topic, "u"));
        Assert.False(a.Authorize("User:alice", null, AclOperation.Read, AclResourceType.Topic, "u"));
    }

    [Fact]
    public void Acls_cannot_be_managed_where_they_are_not_checked_and_unknown_requests_are_refused_where_they_are()
    {
        var off = With(AuthorizerSettings.Off);
        Assert.Equal(ErrorCode.SecurityDisabled, RequestAuthorization.Check(off, "User:x", null, new CreateAclsRequest([]))?.Code);
        Assert.Null(RequestAuthorization.Check(off, "User:x", null, new DeleteTopicRequest("t")));
        Assert.Equal(ErrorCode.ClusterAuthorizationFailed, RequestAuthorization.Check(With(On), "User:alice", null, new DeletePartition(new TopicPartition("t", 0)))?.Code);
        Assert.Equal(ErrorCode.TopicAuthorizationFailed,
            RequestAuthorization.Check(With(On), "User:alice", null, new OffsetForLeaderEpochRequest(new TopicPartition("t", 0), -1, 0, 0, 0))?.Code);
    }

    [Fact]
    public void A_revoked_acl_stops_granting_even_when_the_decision_was_cached()
    {
        var a = With(On, Acl(AclResourceType.Topic, "t", AclOperation.Write));
        Assert.True(a.Authorize("User:alice", null, AclOperation.Write, AclResourceType.Topic, "t"));
        a.Update([]);
        Assert.False(a.Authorize("User:alice", null, AclOperation.Write, AclResourceType.Topic, "t"));
        Assert.True(a.Loaded);
        Assert.False(new Authorizer(On).Loaded);
    }

    [Fact]
    public void An_idempotent_producer_needs_a_write_no_deny_cancels_or_an_open_resource_type()
    {
        var denied = With(On, Acl(AclResourceType.Topic, "logs", AclOperation.Write), Acl(AclResourceType.Topic, "*", AclOperation.Write, AclPermission.Deny));
        Assert.False(denied.AllowedOnAny("User:alice", null, AclOperation.Write, AclResourceType.Topic));
        var open = With(On with { AllowEveryoneIfNoAclFound = true }, Acl(AclResourceType.Cluster, Authorizer.ClusterName, AclOperation.Describe));
        Assert.True(open.AllowedOnAny("User:alice", null, AclOperation.Write, AclResourceType.Topic));
        var ipv6 = With(On, Acl(AclResourceType.Topic, "t", AclOperation.Read, host: "0:0:0:0:0:0:0:1"));
        Assert.True(ipv6.Authorize("User:alice", "::1", AclOperation.Read, AclResourceType.Topic, "t"));
    }

    [Fact]
    public void Decisions_follow_acl_changes()
    {
        var a = With(On);
        Assert.False(a.Authorize("User:alice", null, AclOperation.Read, AclResourceType.Group, "g"));
        a.Update([Acl(AclResourceType.Group, "g", AclOperation.Read)]);
        Assert.True(a.Authorize("User:alice", null, AclOperation.Read, AclResourceType.Group, "g"));
        a.Update([]);
        Assert.False(a.Authorize("User:alice", null, AclOperation.Read, AclResourceType.Group, "g"));
    }

    [Fact]
    public void Each_request_needs_what_kafka_needs_for_it()
    {
        var tp = new TopicPartition("orders", 0);
        var a = With(On, Acl(AclResourceType.Topic, "orders", AclOperation.Read), Acl(AclResourceType.Group, "g", AclOperation.Read));
        Assert.Null(RequestAuthorization.Check(a, "User:alice", null, new FetchRequest(tp, 0, 1, 1, 1)));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, RequestAuthorization.Check(a, "User:alice", null, new ProduceRequest(tp, 1, 1, []))?.Code);
        Assert.Null(RequestAuthorization.Check(a, "User:alice", null, new OffsetCommitRequest("g", 1, "m", null, [new OffsetCommit(tp, 5, null)])));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed,
            RequestAuthorization.Check(a, "User:alice", null, new OffsetCommitRequest("g", 1, "m", null, [new OffsetCommit(new TopicPartition("other", 0), 5, null)]))?.Code);
        Assert.Equal(ErrorCode.GroupAuthorizationFailed, RequestAuthorization.Check(a, "User:alice", null, new DeleteGroupRequest("g"))?.Code);
        Assert.Equal(ErrorCode.ClusterAuthorizationFailed, RequestAuthorization.Check(a, "User:alice", null, new CreateAclsRequest([]))?.Code);
        Assert.Equal(ErrorCode.ClusterAuthorizationFailed, RequestAuthorization.Check(a, "User:alice", null, new InitProducerIdRequest())?.Code);
        var refused = RequestAuthorization.Check(a, "User:alice", null, new CreateTopicRequest("new", 1, 1, new Dictionary<string, string>(), false))!;
        Assert.Contains("User:alice is not authorized to Create topic 'new'", refused.Value.Message);
        // Kafka 3.x: Write on any topic makes an idempotent producer.
        var writer = With(On, Acl(AclResourceType.Topic, "logs-", AclOperation.Write, pattern: AclPatternType.Prefixed));
        Assert.Null(RequestAuthorization.Check(writer, "User:alice", null, new InitProducerIdRequest()));
        // Replica sizes need Describe on the cluster, as Kafka's DescribeLogDirs, not on the topic; quotas need the cluster's configs permissions.
        Assert.Equal(ErrorCode.ClusterAuthorizationFailed, RequestAuthorization.Check(a, "User:alice", null, new DescribeReplicaLogRequest(tp))?.Code);
        var describer = With(On, Acl(AclResourceType.Cluster, Authorizer.ClusterName, AclOperation.Describe));
        Assert.Null(RequestAuthorization.Check(describer, "User:alice", null, new DescribeReplicaLogRequest(tp)));
        Assert.Equal(ErrorCode.ClusterAuthorizationFailed, RequestAuthorization.Check(describer, "User:alice", null, new DescribeClientQuotasRequest([], false))?.Code);
        var configurer = With(On, Acl(AclResourceType.Cluster, Authorizer.ClusterName, AclOperation.AlterConfigs));
        Assert.Null(RequestAuthorization.Check(configurer, "User:alice", null, new DescribeClientQuotasRequest([], false)));
        Assert.Null(RequestAuthorization.Check(configurer, "User:alice", null, new AlterClientQuotasRequest([], false)));
        // Create on the cluster allows any topic.
        var creator = With(On, Acl(AclResourceType.Cluster, Authorizer.ClusterName, AclOperation.Create));
        Assert.Null(RequestAuthorization.Check(creator, "User:alice", null, new CreateTopicRequest("new", 1, 1, new Dictionary<string, string>(), false)));
    }

    [Fact]
    public async Task Metadata_leaves_out_topics_the_principal_may_not_describe_and_refuses_them_by_name()
    {
        var a = With(On, Acl(AclResourceType.Topic, "orders", AclOperation.Read));
        MetadataRequest? asked = null;
        Task<MetadataResponse> Ask(MetadataRequest r)
        {
            asked = r;
            var names = r.Topics ?? ["orders", "secret"];
            return Task.FromResult(new MetadataResponse([new BrokerInfo(1, "h", 1)], 1, names.Select(t => new TopicMetadata(t, ErrorCode.None, null, [])).ToArray()));
        }

        var all = await RequestAuthorization.MetadataAsync(a, "User:alice", null, new MetadataRequest(null, false), Ask);
        Assert.Equal(["orders"], all.Topics.Select(t => t.Name));
        var named = await RequestAuthorization.MetadataAsync(a, "User:alice", null, new MetadataRequest(["orders", "secret"], true), Ask);
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, named.Topics.Single(t => t.Name == "secret").Error);
        Assert.Equal(ErrorCode.None, named.Topics.Single(t => t.Name == "orders").Error);
        // Asked on for what may be described, and without creating: alice may not Create.
        Assert.Equal(["orders"], asked!.Topics!);
        Assert.False(asked.AllowAutoTopicCreation);
    }

    [Fact]
    public void The_controller_keeps_valid_acls_once_and_deletes_what_filters_match()
    {
        var state = new ControllerState();
        var read = Acl(AclResourceType.Topic, "orders", AclOperation.Read);
        var result = state.DecideCreateAcls(new CreateAclsRequest([read, read,
            Acl(AclResourceType.Cluster, "other", AclOperation.Alter), Acl(AclResourceType.Topic, "t", AclOperation.Any), Acl(AclResourceType.Topic, "t", AclOperation.Read, principal: "alice")]));
        var outcomes = ((CreateAclsResponse)result.Response!).Results;
        Assert.Equal([ErrorCode.None, ErrorCode.None, ErrorCode.InvalidRequest, ErrorCode.InvalidRequest, ErrorCode.InvalidRequest], outcomes.Select(o => o.Error));
        Assert.Contains("kafka-cluster", outcomes[2].ErrorMessage);
        Assert.Contains("User:NAME", outcomes[4].ErrorMessage);
        foreach (var e in result.Events) state.Apply(e);
        Assert.Equal([read], state.Acls);
        Assert.Empty(state.DecideCreateAcls(new CreateAclsRequest([read])).Events);

        var matching = new AclFilter(AclResourceType.Topic, "orders-eu", AclPatternType.Match, null, null, AclOperation.Any, AclPermission.Any);
        Assert.Empty(state.DescribeAcls(new DescribeAclsRequest(matching)).Bindings);
        Assert.Equal([read], state.DescribeAcls(new DescribeAclsRequest(new AclFilter(AclResourceType.Topic, "orders", AclPatternType.Match, null, null, AclOperation.Any, AclPermission.Any))).Bindings);
        var deleted = state.DecideDeleteAcls(new DeleteAclsRequest([AclFilter.Everything]));
        Assert.Equal([read], ((DeleteAclsResponse)deleted.Response!).Results.Single().Deleted);
        foreach (var e in deleted.Events) state.Apply(e);
        Assert.Empty(state.Acls);
    }

    [Theory]
    [InlineData("akkabroker.broker.authorizer.class.name = \"MyAuthorizer\"", "StandardAuthorizer")]
    [InlineData("akkabroker.broker.super.users = \"admin\"", "User:admin;User:ops")]
    [InlineData("akkabroker.broker.allow.everyone.if.no.acl.found = maybe", "true or false")]
    public void Bad_authorizer_settings_are_refused_naming_the_key(string hocon, string expected) =>
        Assert.Contains(expected, Assert.Throws<AkkaBroker.Actors.Broker.BrokerConfigurationException>(() => TestConfigs.Settings(hocon)).Message);

    [Fact]
    public void Kafkas_authorizer_names_turn_acls_on()
    {
        var s = TestConfigs.Settings("akkabroker.broker.authorizer.class.name = \"org.apache.kafka.metadata.authorizer.StandardAuthorizer\"\nakkabroker.broker.super.users = \"User:admin;User:ops\"").Authorizer;
        Assert.True(s.Enabled);
        Assert.Equal(["User:admin", "User:ops"], s.SuperUsers.Order());
        Assert.False(TestConfigs.Settings().Authorizer.Enabled);
    }
}
