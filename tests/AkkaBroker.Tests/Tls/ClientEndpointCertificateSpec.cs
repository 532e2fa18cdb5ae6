using AkkaBroker.Actors.Broker;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Tests.Integration;
using Xunit;

namespace AkkaBroker.Tests.Tls;

/// <summary>
/// Client certificates on the client endpoint (<c>client-endpoint.ssl.client.auth</c>): a client proves it holds its
/// certificate's key, and the certificate's subject is the principal ACLs name, as on Kafka's TLS listeners.
/// </summary>
public sealed class ClientEndpointCertificateSpec
{
    private static Dictionary<string, string> Ssl(TestCertificates authority, (string Certificate, string Key)? client = null)
    {
        var config = new Dictionary<string, string>
        {
            ["security.protocol"] = "SSL", ["ssl.ca.location"] = authority.CaPem, ["socket.connection.setup.timeout.ms"] = "3000", ["request.timeout.ms"] = "10000",
        };
        if (client is var (certificate, key))
        {
            config["ssl.certificate.location"] = certificate;
            config["ssl.key.location"] = key;
        }
        return config;
    }

    /// <summary>A broker whose client endpoint takes client certificates of <paramref name="certificates"/>' authority, with ACLs on.</summary>
    private static Task<BrokerFixture> StartAsync(TestCertificates certificates, string clientAuth, string superUser)
    {
        var (brokerCert, brokerKey) = certificates.IssuePem("broker");
        return BrokerFixture.StartAsync($$"""
            akkabroker.broker.client-endpoint.ssl {
              enabled = on, keystore.location = "{{brokerCert}}", key.location = "{{brokerKey}}"
              client.auth = {{clientAuth}}, truststore.location = "{{certificates.CaPem}}"
            }
            akkabroker.broker.listeners = ""
            akkabroker.broker.authorizer.class.name = StandardAuthorizer
            akkabroker.broker.super.users = "{{superUser}}"
            """);
    }

    /// <summary>Waits until the broker serves clients: with ACLs on, only once it has read them.</summary>
    private static async Task ServedAsync(IAdminClient admin)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await admin.DescribeClusterAsync();
                return;
            }
            catch (KafkaException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Retries <paramref name="action"/> while the broker has not read a new ACL yet.</summary>
    private static async Task<T> WhenAclsAreReadAsync<T>(Func<Task<T>> action, Func<KafkaException, bool> retriable)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await action();
            }
            catch (KafkaException e) when (retriable(e) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task A_required_client_certificate_names_the_principal_acls_grant_and_clients_without_one_or_with_another_authoritys_do_not_connect()
    {
        using var certificates = new TestCertificates("client-endpoint-ca");
        using var other = new TestCertificates("other-ca");
        await using var broker = await StartAsync(certificates, "required", "User:CN=admin");

        using (var admin = new AdminClientBuilder(new AdminClientConfig(Ssl(certificates, certificates.IssuePem("admin"))) { BootstrapServers = broker.Bootstrap }).Build())
        {
            await ServedAsync(admin);
            await admin.CreateAclsAsync([new AclBinding
            {
                Pattern = new ResourcePattern { Type = ResourceType.Topic, Name = "certified", ResourcePatternType = ResourcePatternType.Literal },
                Entry = new AccessControlEntry { Principal = "User:CN=alice", Host = "*", Operation = AclOperation.All, PermissionType = AclPermissionType.Allow },
            }]);
        }

        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig(Ssl(certificates, certificates.IssuePem("alice"))) { BootstrapServers = broker.Bootstrap }).Build())
        {
            var delivered = await WhenAclsAreReadAsync(() => producer.ProduceAsync("certified", new Message<Null, string> { Value = "v" }),
                e => e.Error.Code == ErrorCode.TopicAuthorizationFailed);
            Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
            var refused = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("uncertified", new Message<Null, string> { Value = "v" }));
            Assert.Equal(ErrorCode.TopicAuthorizationFailed, refused.Error.Code);
        }

        // Without a certificate the broker's authority issued, the TLS handshake itself fails: the broker is never reached.
        foreach (var config in new[] { Ssl(certificates), Ssl(certificates, other.IssuePem("mallory")) })
        {
            using var outsider = new AdminClientBuilder(new AdminClientConfig(config) { BootstrapServers = broker.Bootstrap }).Build();
            var unreached = await Assert.ThrowsAsync<KafkaException>(() => outsider.DescribeClusterAsync());
            Assert.Contains(unreached.Error.Code, new[] { ErrorCode.Local_AllBrokersDown, ErrorCode.Local_Transport });
        }
    }

    [Fact]
    public async Task A_client_with_a_certificate_connects_as_anonymous_to_a_broker_that_takes_none()
    {
        using var certificates = new TestCertificates("client-endpoint-ca");
        var (brokerCert, brokerKey) = certificates.IssuePem("broker");
        await using var broker = await BrokerFixture.StartAsync($$"""
            akkabroker.broker.client-endpoint.ssl { enabled = on, keystore.location = "{{brokerCert}}", key.location = "{{brokerKey}}" }
            """);
        using var alice = new AdminClientBuilder(new AdminClientConfig(Ssl(certificates, certificates.IssuePem("alice"))) { BootstrapServers = broker.Bootstrap }).Build();
        await ServedAsync(alice);
        await alice.CreateTopicsAsync([new TopicSpecification { Name = "anonymous-alice", NumPartitions = 1, ReplicationFactor = 1 }]);
    }

    [Fact]
    public async Task A_requested_client_certificate_is_checked_in_the_authentication_exchange_and_a_client_without_one_is_anonymous()
    {
        using var certificates = new TestCertificates("client-endpoint-ca");
        using var other = new TestCertificates("other-ca");
        await using var broker = await StartAsync(certificates, "requested", "User:CN=alice");

        using (var alice = new AdminClientBuilder(new AdminClientConfig(Ssl(certificates, certificates.IssuePem("alice"))) { BootstrapServers = broker.Bootstrap }).Build())
        {
            await ServedAsync(alice);
            await alice.CreateTopicsAsync([new TopicSpecification { Name = "by-alice", NumPartitions = 1, ReplicationFactor = 1 }]);
        }

        using (var anonymous = new AdminClientBuilder(new AdminClientConfig(Ssl(certificates)) { BootstrapServers = broker.Bootstrap }).Build())
        {
            var refused = await Assert.ThrowsAsync<CreateTopicsException>(() =>
                anonymous.CreateTopicsAsync([new TopicSpecification { Name = "by-anonymous", NumPartitions = 1, ReplicationFactor = 1 }]));
            Assert.Equal(ErrorCode.TopicAuthorizationFailed, refused.Results.Single().Error.Code);
        }

        // Another authority's certificate passes TLS here (no certificate is required there), but not the proof.
        using var mallory = new AdminClientBuilder(new AdminClientConfig(Ssl(certificates, other.IssuePem("mallory"))) { BootstrapServers = broker.Bootstrap }).Build();
        var failed = await Assert.ThrowsAsync<KafkaException>(() => mallory.DescribeClusterAsync());
        Assert.Equal(ErrorCode.SaslAuthenticationFailed, failed.Error.Code);
        Assert.Contains("not issued for clients by an authority in client-endpoint.ssl.truststore.location", failed.Error.Reason);
    }

    [Fact]
    public async Task Client_certificates_without_tls_or_a_truststore_are_refused_at_start_naming_the_key()
    {
        using var certificates = new TestCertificates("client-endpoint-ca");
        var (brokerCert, brokerKey) = certificates.IssuePem("broker");
        var withoutTls = await Assert.ThrowsAsync<BrokerConfigurationException>(() => BrokerFixture.StartAsync($$"""
            akkabroker.broker.client-endpoint.ssl { client.auth = required, truststore.location = "{{certificates.CaPem}}" }
            """));
        Assert.Equal("akkabroker.broker.client-endpoint.ssl.client.auth", withoutTls.Key);
        var withoutTruststore = await Assert.ThrowsAsync<BrokerConfigurationException>(() => BrokerFixture.StartAsync($$"""
            akkabroker.broker.client-endpoint.ssl { enabled = on, keystore.location = "{{brokerCert}}", key.location = "{{brokerKey}}", client.auth = requested }
            """));
        Assert.Equal("akkabroker.broker.client-endpoint.ssl.truststore.location", withoutTruststore.Key);
    }
}
