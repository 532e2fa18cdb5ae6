using System.Text;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;
using static AkkaBroker.Tests.Connect.Runtime.Wait;

namespace AkkaBroker.Tests.Security;

/// <summary>
/// A broker whose client endpoint requires SASL and whose Kafka listener is SASL_PLAINTEXT, with an admin user created
/// by <c>sasl.add-scram</c>: the Akka client and Confluent.Kafka (librdkafka's own SCRAM and PLAIN) authenticate with each
/// mechanism; wrong or missing credentials are refused with SASL_AUTHENTICATION_FAILED and change nothing.
/// </summary>
public sealed class SaslSpec : IAsyncLifetime
{
    private BrokerFixture _broker = null!;

    private string Bootstrap => _broker.Bootstrap;

    private string KafkaBootstrap => _broker.Node.KafkaBootstrapServer!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerFixture.StartAsync("""
            akkabroker.broker.listeners = "SASL_PLAINTEXT://127.0.0.1:0"
            akkabroker.broker.client-endpoint.sasl.enabled = on
            akkabroker.broker.sasl.enabled.mechanisms = "SCRAM-SHA-256,SCRAM-SHA-512,PLAIN"
            akkabroker.broker.sasl.add-scram = ["SCRAM-SHA-256=[name=admin,password=admin-secret]", "SCRAM-SHA-512=[name=admin,password=admin-secret,iterations=8192]"]
            """);
        // The controller creates the admin's credentials once it runs; they reach the broker's copy a moment later.
        await UntilAsync(async () =>
        {
            try
            {
                using var admin = Admin("SCRAM-SHA-256", "admin", "admin-secret");
                await admin.DescribeUserScramCredentialsAsync(null);
                return true;
            }
            catch (KafkaException e) when (e.Error.Code is ErrorCode.SaslAuthenticationFailed or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Transport)
            {
                return false;
            }
        }, "the admin user's credentials to reach the broker");
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private Dictionary<string, string> Credentials(string mechanism, string user, string password) => new()
    {
        ["bootstrap.servers"] = Bootstrap, ["security.protocol"] = "SASL_PLAINTEXT", ["sasl.mechanism"] = mechanism,
        ["sasl.username"] = user, ["sasl.password"] = password, ["request.timeout.ms"] = "10000",
    };

    private IAdminClient Admin(string mechanism, string user, string password) =>
        new AdminClientBuilder(new AdminClientConfig(Credentials(mechanism, user, password))).Build();

    [Theory]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-512")]
    [InlineData("PLAIN")]
    public async Task An_authenticated_akka_client_produces_and_reads_back(string mechanism)
    {
        var topic = $"authenticated-{mechanism}".ToLowerInvariant();
        using (var admin = Admin(mechanism, "admin", "admin-secret"))
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig(Credentials(mechanism, "admin", "admin-secret"))).Build())
            Assert.Equal(0, (await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = mechanism })).Offset.Value);
        var consumerConfig = new ConsumerConfig(Credentials(mechanism, "admin", "admin-secret")) { GroupId = $"g-{mechanism}", AutoOffsetReset = AutoOffsetReset.Earliest };
        using var consumer = new ConsumerBuilder<string, string>(consumerConfig).Build();
        consumer.Subscribe(topic);
        var record = consumer.Consume(TimeSpan.FromSeconds(30));
        Assert.Equal(mechanism, record?.Message?.Value);
    }

    [Fact]
    public async Task A_wrong_password_or_no_credentials_are_refused_and_change_nothing()
    {
        using (var wrong = Admin("SCRAM-SHA-512", "admin", "not-the-password"))
        {
            var e = await Assert.ThrowsAnyAsync<KafkaException>(() => wrong.DeleteTopicsAsync(["authenticated-plain"]));
            var report = Assert.Single(Assert.IsType<DeleteTopicsException>(e).Results);
            Assert.Equal(ErrorCode.SaslAuthenticationFailed, report.Error.Code);
            Assert.Contains("invalid credentials", report.Error.Reason);
            e = await Assert.ThrowsAnyAsync<KafkaException>(() => wrong.DescribeClusterAsync());
            Assert.Equal(ErrorCode.SaslAuthenticationFailed, e.Error.Code);
            Assert.Contains("invalid credentials", e.Error.Reason);
        }
        using (var none = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Bootstrap, RequestTimeoutMs = 10000 }).Build())
        {
            var e = await Assert.ThrowsAnyAsync<KafkaException>(() => none.CreateTopicsAsync([new TopicSpecification { Name = "refused", NumPartitions = 1, ReplicationFactor = 1 }]));
            var report = Assert.Single(Assert.IsType<CreateTopicsException>(e).Results);
            Assert.Equal(ErrorCode.SaslAuthenticationFailed, report.Error.Code);
            Assert.Contains("requires authentication: set security.protocol=SASL_PLAINTEXT", report.Error.Reason);
            e = await Assert.ThrowsAnyAsync<KafkaException>(() => none.DescribeClusterAsync());
            Assert.Equal(ErrorCode.SaslAuthenticationFailed, e.Error.Code);
            var listed = await Assert.ThrowsAnyAsync<KafkaException>(() => Task.Run(() => none.GetMetadata(TimeSpan.FromSeconds(10))));
            Assert.Equal(ErrorCode.SaslAuthenticationFailed, listed.Error.Code);
        }
        using var admin = Admin("SCRAM-SHA-256", "admin", "admin-secret");
        Assert.DoesNotContain("refused", (await admin.GetMetadataAsync()).Topics.Select(t => t.Topic));
        // ACLs cannot be managed where no authorizer checks them (they would wait unseen for the day it is turned on).
        var disabled = await Assert.ThrowsAnyAsync<KafkaException>(() => admin.DescribeAclsAsync(new AclBindingFilter()));
        Assert.Equal(ErrorCode.SecurityDisabled, disabled.Error.Code);
    }

    [Fact]
    public async Task A_user_added_by_an_admin_authenticates_and_one_deleted_no_longer_does()
    {
        using var admin = Admin("SCRAM-SHA-256", "admin", "admin-secret");
        await admin.AlterUserScramCredentialsAsync([
            new UserScramCredentialUpsertion
            {
                User = "alice", Password = Encoding.UTF8.GetBytes("alice-secret"),
                ScramCredentialInfo = new ScramCredentialInfo { Mechanism = ScramMechanism.ScramSha512, Iterations = 4096 },
            },
        ]);
        var described = await admin.DescribeUserScramCredentialsAsync(["alice", "nobody"]);
        var alice = Assert.Single(described.UserScramCredentialsDescriptions, d => d.User == "alice");
        Assert.Equal(ScramMechanism.ScramSha512, Assert.Single(alice.ScramCredentialInfos).Mechanism);
        Assert.Equal(ErrorCode.ResourceNotFound, described.UserScramCredentialsDescriptions.Single(d => d.User == "nobody").Error.Code);

        await UntilAsync(async () => await CanAuthenticateAsync("SCRAM-SHA-512", "alice", "alice-secret"), "alice to authenticate");
        var refused = await Assert.ThrowsAsync<AlterUserScramCredentialsException>(() => admin.AlterUserScramCredentialsAsync([
            new UserScramCredentialUpsertion
            {
                User = "bob", Password = Encoding.UTF8.GetBytes("pw"),
                ScramCredentialInfo = new ScramCredentialInfo { Mechanism = ScramMechanism.ScramSha256, Iterations = 100 },
            },
        ]));
        Assert.Equal(ErrorCode.UnacceptableCredential, Assert.Single(refused.Results).Error.Code);

        await admin.AlterUserScramCredentialsAsync([new UserScramCredentialDeletion { User = "alice", Mechanism = ScramMechanism.ScramSha512 }]);
        await UntilAsync(async () => !await CanAuthenticateAsync("SCRAM-SHA-512", "alice", "alice-secret"), "alice's deleted credential to be refused");
    }

    [Theory]
    [InlineData(Kafka.SaslMechanism.ScramSha256)]
    [InlineData(Kafka.SaslMechanism.ScramSha512)]
    [InlineData(Kafka.SaslMechanism.Plain)]
    public async Task A_kafka_client_authenticates_on_the_sasl_listener_and_produces(Kafka.SaslMechanism mechanism)
    {
        var topic = $"kafka-sasl-{mechanism}".ToLowerInvariant();
        using var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig
        {
            BootstrapServers = KafkaBootstrap, SecurityProtocol = Kafka.SecurityProtocol.SaslPlaintext, SaslMechanism = mechanism,
            SaslUsername = "admin", SaslPassword = "admin-secret", AllowAutoCreateTopics = true,
        }).Build();
        var delivered = await producer.ProduceAsync(topic, new Kafka.Message<string, string> { Key = "k", Value = "v" });
        Assert.Equal(Kafka.PersistenceStatus.Persisted, delivered.Status);
    }

    [Fact]
    public void A_kafka_client_with_a_wrong_password_gets_an_authentication_error()
    {
        string? error = null;
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig
            {
                BootstrapServers = KafkaBootstrap, SecurityProtocol = Kafka.SecurityProtocol.SaslPlaintext, SaslMechanism = Kafka.SaslMechanism.ScramSha256,
                SaslUsername = "admin", SaslPassword = "wrong",
            })
            .SetErrorHandler((_, e) => error ??= e.Reason).Build();
        Assert.ThrowsAny<Kafka.KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(5)));
        Assert.NotNull(error);
        Assert.Contains("Authentication failed", error);
    }

    private async Task<bool> CanAuthenticateAsync(string mechanism, string user, string password)
    {
        try
        {
            using var client = Admin(mechanism, user, password);
            await client.DescribeClusterAsync();
            return true;
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.SaslAuthenticationFailed)
        {
            return false;
        }
    }
}
