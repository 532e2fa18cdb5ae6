using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;
using static AkkaBroker.Tests.Connect.Runtime.Wait;

namespace AkkaBroker.Tests.Security;

/// <summary>
/// A broker that authenticates on both client endpoints and checks ACLs, with a super user (admin) and an ordinary one
/// (alice): what alice may do works from the Akka client and from Confluent.Kafka, what she may not is refused with
/// Kafka's authorization errors, and a removed ACL stops granting.
/// </summary>
public sealed class AclSpec : IAsyncLifetime
{
    private BrokerFixture _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerFixture.StartAsync("""
            akkabroker.broker.listeners = "SASL_PLAINTEXT://127.0.0.1:0"
            akkabroker.broker.client-endpoint.sasl.enabled = on
            akkabroker.broker.authorizer.class.name = StandardAuthorizer
            akkabroker.broker.super.users = "User:admin"
            akkabroker.broker.sasl.add-scram = ["SCRAM-SHA-256=[name=admin,password=admin-secret]", "SCRAM-SHA-512=[name=alice,password=alice-secret]"]
            """);
        await UntilAsync(async () =>
        {
            try
            {
                using var admin = Admin("admin", "admin-secret", "SCRAM-SHA-256");
                await admin.CreateTopicsAsync([
                    new TopicSpecification { Name = "orders", NumPartitions = 1, ReplicationFactor = 1 },
                    new TopicSpecification { Name = "secret", NumPartitions = 1, ReplicationFactor = 1 },
                ]);
                return true;
            }
            catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.SaslAuthenticationFailed or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown))
            {
                return false;
            }
        }, "the admin to create the topics");
        using var admin = Admin("admin", "admin-secret", "SCRAM-SHA-256");
        await admin.CreateAclsAsync([
            Allow("User:alice", ResourceType.Topic, "orders", AclOperation.Write), Allow("User:alice", ResourceType.Topic, "orders", AclOperation.Read),
            Allow("User:alice", ResourceType.Group, "alice-", AclOperation.Read, ResourcePatternType.Prefixed),
        ]);
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private static AclBinding Allow(string principal, ResourceType type, string name, AclOperation op, ResourcePatternType pattern = ResourcePatternType.Literal) => new()
    {
        Pattern = new ResourcePattern { Type = type, Name = name, ResourcePatternType = pattern },
        Entry = new AccessControlEntry { Principal = principal, Host = "*", Operation = op, PermissionType = AclPermissionType.Allow },
    };

    private Dictionary<string, string> Credentials(string user, string password, string mechanism = "SCRAM-SHA-512") => new()
    {
        ["bootstrap.servers"] = _broker.Bootstrap, ["security.protocol"] = "SASL_PLAINTEXT", ["sasl.mechanism"] = mechanism,
        ["sasl.username"] = user, ["sasl.password"] = password, ["request.timeout.ms"] = "10000",
    };

    private IAdminClient Admin(string user, string password, string mechanism = "SCRAM-SHA-512") =>
        new AdminClientBuilder(new AdminClientConfig(Credentials(user, password, mechanism))).Build();

    [Fact]
    public async Task Alice_produces_and_consumes_where_the_acls_allow_and_is_refused_elsewhere()
    {
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig(Credentials("alice", "alice-secret"))).Build())
        {
            await UntilAsync(async () =>
            {
                try
                {
                    await producer.ProduceAsync("orders", new Message<Null, string> { Value = "mine" });
                    return true;
                }
                catch (ProduceException<Null, string> e) when (e.Error.Code == ErrorCode.TopicAuthorizationFailed)
                {
                    return false; // the ACLs have not reached this broker's copy yet
                }
            }, "alice's Write on orders to take effect");
            var refused = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("secret", new Message<Null, string> { Value = "no" }));
            Assert.Equal(ErrorCode.TopicAuthorizationFailed, refused.Error.Code);
            Assert.Contains("User:alice is not authorized", refused.Error.Reason);
        }
        var config = new ConsumerConfig(Credentials("alice", "alice-secret")) { GroupId = "alice-readers", AutoOffsetReset = AutoOffsetReset.Earliest };
        using (var consumer = new ConsumerBuilder<Null, string>(config).Build())
        {
            consumer.Subscribe("orders");
            Assert.Equal("mine", consumer.Consume(TimeSpan.FromSeconds(30))?.Message?.Value);
            consumer.Commit();
        }
        using var alice = Admin("alice", "alice-secret");
        Assert.Equal(["orders"], (await alice.GetMetadataAsync()).Topics.Select(t => t.Topic));
        var groupRefused = await Assert.ThrowsAnyAsync<KafkaException>(() => alice.DeleteGroupsAsync(["alice-readers"]));
        Assert.Equal(ErrorCode.GroupAuthorizationFailed, Assert.Single(Assert.IsType<DeleteGroupsException>(groupRefused).Results).Error.Code);
        var clusterRefused = await Assert.ThrowsAnyAsync<KafkaException>(() => alice.CreateAclsAsync([Allow("User:alice", ResourceType.Topic, "secret", AclOperation.All)]));
        Assert.Equal(ErrorCode.ClusterAuthorizationFailed, clusterRefused.Error.Code);
        var usersRefused = await Assert.ThrowsAnyAsync<KafkaException>(() => alice.DescribeUserScramCredentialsAsync(null));
        Assert.Equal(ErrorCode.ClusterAuthorizationFailed, usersRefused.Error.Code);
    }

    [Fact]
    public async Task A_kafka_client_is_held_to_the_same_acls_on_the_kafka_listener()
    {
        var kafka = new Kafka.ProducerConfig
        {
            BootstrapServers = _broker.Node.KafkaBootstrapServer, SecurityProtocol = Kafka.SecurityProtocol.SaslPlaintext, SaslMechanism = Kafka.SaslMechanism.ScramSha512,
            SaslUsername = "alice", SaslPassword = "alice-secret", MessageTimeoutMs = 10000,
        };
        using var producer = new Kafka.ProducerBuilder<Kafka.Null, string>(kafka).Build();
        await UntilAsync(async () =>
        {
            try
            {
                return (await producer.ProduceAsync("orders", new Kafka.Message<Kafka.Null, string> { Value = "via kafka" })).Status == Kafka.PersistenceStatus.Persisted;
            }
            catch (Kafka.ProduceException<Kafka.Null, string> e) when (e.Error.Code == Kafka.ErrorCode.TopicAuthorizationFailed)
            {
                return false;
            }
        }, "alice's Write on orders to take effect");
        var refused = await Assert.ThrowsAsync<Kafka.ProduceException<Kafka.Null, string>>(() =>
            producer.ProduceAsync("secret", new Kafka.Message<Kafka.Null, string> { Value = "no" }));
        Assert.Equal(Kafka.ErrorCode.TopicAuthorizationFailed, refused.Error.Code);

        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig(kafka)).Build();
        Assert.Equal(["orders"], admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic).Where(t => !t.StartsWith("__")));
    }

    [Fact]
    public async Task Kafkas_admin_apis_manage_users_and_acls_through_the_kafka_listener()
    {
        Kafka.AdminClientConfig As(string user, string password, Kafka.SaslMechanism mechanism) => new()
        {
            BootstrapServers = _broker.Node.KafkaBootstrapServer, SecurityProtocol = Kafka.SecurityProtocol.SaslPlaintext, SaslMechanism = mechanism,
            SaslUsername = user, SaslPassword = password,
        };
        using var admin = new Kafka.AdminClientBuilder(As("admin", "admin-secret", Kafka.SaslMechanism.ScramSha256)).Build();
        await admin.AlterUserScramCredentialsAsync([new Kafka.Admin.UserScramCredentialUpsertion
        {
            User = "bob", Password = System.Text.Encoding.UTF8.GetBytes("bob-secret"),
            ScramCredentialInfo = new Kafka.Admin.ScramCredentialInfo { Mechanism = Kafka.Admin.ScramMechanism.ScramSha512, Iterations = 8192 },
        }]);
        var bob = Assert.Single((await admin.DescribeUserScramCredentialsAsync(["bob"])).UserScramCredentialsDescriptions);
        Assert.Equal(Kafka.Admin.ScramMechanism.ScramSha512, Assert.Single(bob.ScramCredentialInfos).Mechanism);
        Assert.Equal(8192, bob.ScramCredentialInfos[0].Iterations);

        var write = new Kafka.Admin.AclBinding
        {
            Pattern = new Kafka.Admin.ResourcePattern { Type = Kafka.Admin.ResourceType.Topic, Name = "orders", ResourcePatternType = Kafka.Admin.ResourcePatternType.Literal },
            Entry = new Kafka.Admin.AccessControlEntry { Principal = "User:bob", Host = "*", Operation = Kafka.Admin.AclOperation.Write, PermissionType = Kafka.Admin.AclPermissionType.Allow },
        };
        await admin.CreateAclsAsync([write]);
        var bobsFilter = new Kafka.Admin.AclBindingFilter
        {
            PatternFilter = new Kafka.Admin.ResourcePatternFilter { Type = Kafka.Admin.ResourceType.Any, ResourcePatternType = Kafka.Admin.ResourcePatternType.Any },
            EntryFilter = new Kafka.Admin.AccessControlEntryFilter { Principal = "User:bob", Operation = Kafka.Admin.AclOperation.Any, PermissionType = Kafka.Admin.AclPermissionType.Any },
        };
        Assert.Equal(write, Assert.Single((await admin.DescribeAclsAsync(bobsFilter)).AclBindings));

        // bob logs in with the credential the Kafka admin client made, and writes where the ACL it made allows.
        var producerConfig = new Kafka.ProducerConfig(As("bob", "bob-secret", Kafka.SaslMechanism.ScramSha512)) { MessageTimeoutMs = 10000 };
        using (var producer = new Kafka.ProducerBuilder<Kafka.Null, string>(producerConfig).Build())
            await UntilAsync(async () =>
            {
                try
                {
                    return (await producer.ProduceAsync("orders", new Kafka.Message<Kafka.Null, string> { Value = "bob's" })).Status == Kafka.PersistenceStatus.Persisted;
                }
                // Until the broker has read bob's credential (its login fails, and the record times out) and the ACL.
                catch (Kafka.ProduceException<Kafka.Null, string> e) when (e.Error.Code is Kafka.ErrorCode.TopicAuthorizationFailed or Kafka.ErrorCode.Local_MsgTimedOut
                                                                              or Kafka.ErrorCode.Local_Authentication or Kafka.ErrorCode.SaslAuthenticationFailed)
                {
                    return false;
                }
            }, "bob's Write on orders to take effect");

        var deleted = Assert.Single(await admin.DeleteAclsAsync([bobsFilter]));
        Assert.Equal(write, Assert.Single(deleted.AclBindings));
        Assert.Empty((await admin.DescribeAclsAsync(bobsFilter)).AclBindings);

        using var alice = new Kafka.AdminClientBuilder(As("alice", "alice-secret", Kafka.SaslMechanism.ScramSha512)).Build();
        var refused = await Assert.ThrowsAsync<Kafka.Admin.CreateAclsException>(() => alice.CreateAclsAsync([write]));
        Assert.Equal(Kafka.ErrorCode.ClusterAuthorizationFailed, Assert.Single(refused.Results).Error.Code);
    }

    [Fact]
    public async Task A_removed_acl_stops_granting()
    {
        using var admin = Admin("admin", "admin-secret", "SCRAM-SHA-256");
        await admin.CreateAclsAsync([Allow("User:alice", ResourceType.Topic, "secret", AclOperation.Describe)]);
        using var alice = Admin("alice", "alice-secret");
        await UntilAsync(async () => (await alice.GetMetadataAsync()).Topics.Any(t => t.Topic == "secret"), "alice to see secret");
        var removed = await admin.DeleteAclsAsync([new AclBindingFilter
        {
            PatternFilter = new ResourcePatternFilter { Type = ResourceType.Topic, Name = "secret", ResourcePatternType = ResourcePatternType.Literal },
            EntryFilter = new AccessControlEntryFilter { Principal = "User:alice" },
        }]);
        Assert.Equal(AclOperation.Describe, Assert.Single(Assert.Single(removed).AclBindings).Entry.Operation);
        await UntilAsync(async () => (await alice.GetMetadataAsync()).Topics.All(t => t.Topic != "secret"), "secret to be hidden from alice again");
        var described = await admin.DescribeAclsAsync(new AclBindingFilter());
        Assert.Equal(3, described.AclBindings.Count);
    }
}
