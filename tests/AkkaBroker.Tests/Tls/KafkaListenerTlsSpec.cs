using AkkaBroker.Actors.Broker;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;

namespace AkkaBroker.Tests.Tls;

/// <summary>
/// The Kafka listener with TLS, as Kafka's SSL and SASL_SSL listeners: Confluent.Kafka (librdkafka's OpenSSL) checks the
/// broker's certificate against its ssl.ca.location, produces and reads back, and authenticates with PLAIN inside TLS.
/// </summary>
public sealed class KafkaListenerTlsSpec
{
    [Fact]
    public async Task A_kafka_client_produces_and_consumes_over_an_ssl_listener_and_refuses_a_broker_of_another_authority()
    {
        using var certificates = new TestCertificates("kafka-ca");
        var (certificate, key) = certificates.IssuePem("broker");
        await using var broker = await BrokerFixture.StartAsync($$"""
            akkabroker.broker.listeners = "SSL://127.0.0.1:0"
            akkabroker.broker.ssl { keystore.location = "{{certificate}}", key.location = "{{key}}" }
            """);
        var bootstrap = broker.Node.KafkaBootstrapServer!;
        var producerConfig = new Kafka.ProducerConfig
        {
            BootstrapServers = bootstrap, SecurityProtocol = Kafka.SecurityProtocol.Ssl, SslCaLocation = certificates.CaPem,
        };
        using (var producer = new Kafka.ProducerBuilder<Kafka.Null, string>(producerConfig).Build())
            Assert.Equal(Kafka.PersistenceStatus.Persisted, (await producer.ProduceAsync("encrypted", new Kafka.Message<Kafka.Null, string> { Value = "over tls" })).Status);
        using (var consumer = new Kafka.ConsumerBuilder<Kafka.Null, string>(new Kafka.ConsumerConfig
               {
                   BootstrapServers = bootstrap, SecurityProtocol = Kafka.SecurityProtocol.Ssl, SslCaLocation = certificates.CaPem, GroupId = "tls-readers",
                   AutoOffsetReset = Kafka.AutoOffsetReset.Earliest,
               }).Build())
        {
            consumer.Subscribe("encrypted");
            Assert.Equal("over tls", consumer.Consume(TimeSpan.FromSeconds(30))?.Message?.Value);
        }

        using var other = new TestCertificates("other-ca");
        string? error = null;
        using var distrustful = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig
            {
                BootstrapServers = bootstrap, SecurityProtocol = Kafka.SecurityProtocol.Ssl, SslCaLocation = other.CaPem,
            })
            .SetErrorHandler((_, e) => error ??= e.Reason).Build();
        Assert.ThrowsAny<Kafka.KafkaException>(() => distrustful.GetMetadata(TimeSpan.FromSeconds(5)));
        Assert.Contains("certificate", error);
    }

    [Fact]
    public async Task An_ssl_listener_presents_the_intermediate_authorities_of_its_keystore_to_clients_that_trust_only_the_root()
    {
        using var certificates = new TestCertificates("root-ca");
        var (certificate, key) = certificates.IssuePemThroughIntermediate("broker");
        await using var broker = await BrokerFixture.StartAsync($$"""
            akkabroker.broker.listeners = "SSL://127.0.0.1:0"
            akkabroker.broker.ssl { keystore.location = "{{certificate}}", key.location = "{{key}}" }
            """);
        string? error = null;
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig
            {
                BootstrapServers = broker.Node.KafkaBootstrapServer, SecurityProtocol = Kafka.SecurityProtocol.Ssl, SslCaLocation = certificates.CaPem,
            })
            .SetErrorHandler((_, e) => error ??= e.Reason).Build();

        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(20));

        Assert.True(metadata.Brokers.Count == 1, $"no broker described over TLS: {error}");
    }

    [Fact]
    public async Task Plain_authentication_travels_inside_tls_on_a_sasl_ssl_listener_with_the_client_endpoints_certificate()
    {
        using var certificates = new TestCertificates("kafka-ca");
        var (certificate, key) = certificates.IssuePem("broker");
        await using var broker = await BrokerFixture.StartAsync($$"""
            akkabroker.broker.listeners = "SASL_SSL://127.0.0.1:0"
            akkabroker.broker.client-endpoint.ssl { enabled = on, keystore.location = "{{certificate}}", key.location = "{{key}}" }
            akkabroker.broker.client-endpoint.sasl.enabled = on
            akkabroker.broker.sasl.enabled.mechanisms = "PLAIN,SCRAM-SHA-512"
            akkabroker.broker.sasl.add-scram = ["SCRAM-SHA-512=[name=alice,password=alice-secret]"]
            """);
        using var producer = new Kafka.ProducerBuilder<Kafka.Null, string>(new Kafka.ProducerConfig
        {
            BootstrapServers = broker.Node.KafkaBootstrapServer, SecurityProtocol = Kafka.SecurityProtocol.SaslSsl, SslCaLocation = certificates.CaPem,
            SaslMechanism = Kafka.SaslMechanism.Plain, SaslUsername = "alice", SaslPassword = "alice-secret",
            MessageTimeoutMs = 30000,
        }).Build();
        // The credential is created once the controller runs; librdkafka retries a refused login by itself.
        Assert.Equal(Kafka.PersistenceStatus.Persisted, (await producer.ProduceAsync("private", new Kafka.Message<Kafka.Null, string> { Value = "v" })).Status);
    }

    [Fact]
    public async Task An_ssl_listener_without_a_certificate_is_refused_at_start_naming_the_key()
    {
        var e = await Assert.ThrowsAsync<BrokerConfigurationException>(() => BrokerFixture.StartAsync("akkabroker.broker.listeners = \"SSL://127.0.0.1:0\""));
        Assert.Equal("akkabroker.broker.ssl.keystore.location", e.Key);
    }
}

/// <summary>Client certificates on a TLS Kafka listener (ssl.client.auth): the certificate's subject is the principal ACLs name.</summary>
public sealed class KafkaListenerClientCertificateSpec
{
    [Fact]
    public async Task A_client_certificate_names_the_principal_acls_grant_and_a_listener_requiring_one_refuses_a_client_without()
    {
        using var certificates = new TestCertificates("mtls-ca");
        var (brokerCert, brokerKey) = certificates.IssuePem("broker");
        var (aliceCert, aliceKey) = certificates.IssuePem("alice");
        await using var broker = await BrokerFixture.StartAsync($$"""
            akkabroker.broker.listeners = "SSL://127.0.0.1:0"
            akkabroker.broker.ssl { keystore.location = "{{brokerCert}}", key.location = "{{brokerKey}}", client.auth = required, truststore.location = "{{certificates.CaPem}}" }
            akkabroker.broker.authorizer.class.name = StandardAuthorizer
            akkabroker.broker.super.users = "User:ANONYMOUS"
            """);
        // ACLs are managed on the client endpoint, open to the test as a super user: on the Kafka listener, where a
        // certificate is required, nobody is anonymous.
        using (var admin = new AkkaBroker.Client.AdminClientBuilder(new AkkaBroker.Client.AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
        {
            // The broker serves clients once it has read the ACLs.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    await admin.DescribeAclsAsync(new AkkaBroker.Client.Admin.AclBindingFilter());
                    break;
                }
                catch (AkkaBroker.Client.KafkaException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
            await admin.CreateAclsAsync([new AkkaBroker.Client.Admin.AclBinding
            {
                Pattern = new AkkaBroker.Client.Admin.ResourcePattern { Type = AkkaBroker.Client.Admin.ResourceType.Topic, Name = "certified", ResourcePatternType = AkkaBroker.Client.Admin.ResourcePatternType.Literal },
                Entry = new AkkaBroker.Client.Admin.AccessControlEntry
                {
                    Principal = "User:CN=alice", Host = "*", Operation = AkkaBroker.Client.Admin.AclOperation.All, PermissionType = AkkaBroker.Client.Admin.AclPermissionType.Allow,
                },
            }]);
        }
        var config = new Kafka.ProducerConfig
        {
            BootstrapServers = broker.Node.KafkaBootstrapServer, SecurityProtocol = Kafka.SecurityProtocol.Ssl, SslCaLocation = certificates.CaPem,
            SslCertificateLocation = aliceCert, SslKeyLocation = aliceKey, MessageTimeoutMs = 30000,
        };
        using (var producer = new Kafka.ProducerBuilder<Kafka.Null, string>(config).Build())
        {
            // The new ACL reaches the broker's copy within a moment.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    Assert.Equal(Kafka.PersistenceStatus.Persisted, (await producer.ProduceAsync("certified", new Kafka.Message<Kafka.Null, string> { Value = "v" })).Status);
                    break;
                }
                catch (Kafka.ProduceException<Kafka.Null, string> e) when (e.Error.Code == Kafka.ErrorCode.TopicAuthorizationFailed && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
            var refused = await Assert.ThrowsAsync<Kafka.ProduceException<Kafka.Null, string>>(() =>
                producer.ProduceAsync("uncertified", new Kafka.Message<Kafka.Null, string> { Value = "v" }));
            Assert.Equal(Kafka.ErrorCode.TopicAuthorizationFailed, refused.Error.Code);
        }
        string? error = null;
        using var anonymous = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig
            {
                BootstrapServers = broker.Node.KafkaBootstrapServer, SecurityProtocol = Kafka.SecurityProtocol.Ssl, SslCaLocation = certificates.CaPem,
            })
            .SetErrorHandler((_, e) => error ??= e.Reason).Build();
        Assert.ThrowsAny<Kafka.KafkaException>(() => anonymous.GetMetadata(TimeSpan.FromSeconds(5)));
        Assert.NotNull(error);
    }

    [Fact]
    public void A_certificates_subject_is_written_as_kafka_writes_principals()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=alice, OU=eng, O=Example", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.Equal("User:CN=alice,OU=eng,O=Example", AkkaBroker.Actors.Kafka.KafkaConnection.CertificatePrincipal(certificate));
    }

    [Fact]
    public async Task Client_authentication_without_a_truststore_is_refused_at_start_naming_the_key()
    {
        using var certificates = new TestCertificates("mtls-ca");
        var (brokerCert, brokerKey) = certificates.IssuePem("broker");
        var e = await Assert.ThrowsAsync<BrokerConfigurationException>(() => BrokerFixture.StartAsync($$"""
            akkabroker.broker.listeners = "SSL://127.0.0.1:0"
            akkabroker.broker.ssl { keystore.location = "{{brokerCert}}", key.location = "{{brokerKey}}", client.auth = required }
            """));
        Assert.Equal("akkabroker.broker.ssl.truststore.location", e.Key);
    }
}
