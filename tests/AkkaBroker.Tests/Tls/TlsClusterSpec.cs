using AkkaBroker.Actors.Broker;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.Tests.Cluster;
using AkkaBroker.Tests.Integration;
using Xunit;
using static AkkaBroker.Tests.Connect.Runtime.Wait;

namespace AkkaBroker.Tests.Tls;

/// <summary>
/// Three brokers with TLS on both endpoints: mutual TLS between them with the cluster's own authority, TLS for clients.
/// A node whose certificate another authority issued cannot join, and a client without TLS gets nothing.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public sealed class TlsClusterSpec
{
    [Fact]
    public async Task Acks_all_records_replicate_over_tls_and_a_node_certified_by_another_authority_cannot_join()
    {
        using var certificates = new TestCertificates("cluster-ca");
        var (certificate, key) = certificates.IssuePem("broker");
        var tls = $$"""
            akkabroker.broker.cluster-endpoint.ssl { enabled = on, keystore.location = "{{certificate}}", key.location = "{{key}}", truststore.location = "{{certificates.CaPem}}" }
            akkabroker.broker.client-endpoint.ssl { enabled = on, keystore.location = "{{certificate}}", key.location = "{{key}}" }
            """;
        await using var cluster = await ThreeBrokerCluster.StartAsync(extraConfig: tls);
        var ssl = new Dictionary<string, string> { ["security.protocol"] = "SSL", ["ssl.ca.location"] = certificates.CaPem };

        using (var admin = new AdminClientBuilder(new AdminClientConfig(ssl) { BootstrapServers = cluster.Bootstrap(1) }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = "secure", NumPartitions = 3, ReplicationFactor = 3, Configs = new Dictionary<string, string> { ["min.insync.replicas"] = "3" },
            }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig(ssl) { BootstrapServers = cluster.Bootstrap(2), Acks = Acks.All }).Build())
            for (var i = 0; i < 30; i++) await producer.ProduceAsync("secure", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig(ssl) { BootstrapServers = cluster.Bootstrap(3), GroupId = "secure-readers", AutoOffsetReset = AutoOffsetReset.Earliest }).Build())
        {
            consumer.Subscribe("secure");
            var values = new HashSet<string>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (values.Count < 30 && DateTime.UtcNow < deadline)
                if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { } result) values.Add(result.Message!.Value);
            Assert.Equal(30, values.Count);
        }

        // Without TLS a client gets no answer from the client endpoint.
        using (var plain = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.Bootstrap(1), RequestTimeoutMs = 2000, SocketConnectionSetupTimeoutMs = 2000 }).Build())
            await Assert.ThrowsAsync<KafkaException>(() => plain.DescribeClusterAsync());

        // A node that trusts the cluster's authority but holds a certificate another authority issued is refused.
        using var other = new TestCertificates("other-ca");
        var (foreign, foreignKey) = other.IssuePem("intruder");
        var refused = await Assert.ThrowsAsync<BrokerConfigurationException>(() => BrokerFixture.StartAsync($$"""
            akkabroker.broker.broker.id = 9
            akka.cluster.seed-nodes = ["akka.tcp://akkabroker@{{cluster.SeedNode(1)}}"]
            akkabroker.broker.cluster.join-timeout = 5s
            akkabroker.broker.cluster-endpoint.ssl { enabled = on, keystore.location = "{{foreign}}", key.location = "{{foreignKey}}", truststore.location = "{{certificates.CaPem}}" }
            """));
        Assert.Equal("akka.cluster.seed-nodes", refused.Key);
        using var check = new AdminClientBuilder(new AdminClientConfig(ssl) { BootstrapServers = cluster.Bootstrap(1) }).Build();
        Assert.Equal([1, 2, 3], (await check.DescribeClusterAsync()).Nodes.Select(n => n.Id).Order());
    }

    [Fact]
    public async Task A_client_refuses_a_broker_certified_by_another_authority_or_whose_certificate_does_not_name_the_host()
    {
        using var certificates = new TestCertificates("broker-ca");
        // Names localhost only, while clients reach the broker at 127.0.0.1.
        var (certificate, key) = certificates.IssuePem("localhost-only", withIpAddress: false);
        await using var broker = await BrokerFixture.StartAsync($$"""
            akkabroker.broker.client-endpoint.ssl { enabled = on, keystore.location = "{{certificate}}", key.location = "{{key}}" }
            """);
        using var other = new TestCertificates("other-ca");

        Task<DescribeClusterResult> Describe(string ca, string identification)
        {
            var config = new AdminClientConfig(new Dictionary<string, string>
            {
                ["security.protocol"] = "SSL", ["ssl.ca.location"] = ca, ["ssl.endpoint.identification.algorithm"] = identification,
            }) { BootstrapServers = broker.Bootstrap, RequestTimeoutMs = 3000, SocketConnectionSetupTimeoutMs = 3000 };
            var admin = new AdminClientBuilder(config).Build();
            return admin.DescribeClusterAsync().ContinueWith(t => { admin.Dispose(); return t; }).Unwrap();
        }

        await Assert.ThrowsAsync<KafkaException>(() => Describe(other.CaPem, "none"));
        await Assert.ThrowsAsync<KafkaException>(() => Describe(certificates.CaPem, "https"));
        // The right authority is let in; under load one TLS handshake may outlast the 3 s budget, so it is tried again.
        DescribeClusterResult? described = null;
        await UntilAsync(async () =>
        {
            try
            {
                described = await Describe(certificates.CaPem, "none");
                return true;
            }
            catch (KafkaException e) when (e.Error.Code is ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Transport or ErrorCode.Local_TimedOut)
            {
                return false;
            }
        }, "a client trusting the cluster's authority to describe it");
        Assert.Single(described!.Nodes);
    }

    [Fact]
    public async Task A_cluster_endpoint_with_tls_and_no_truststore_is_refused_at_start_naming_the_key()
    {
        using var certificates = new TestCertificates();
        var (certificate, key) = certificates.IssuePem("broker");
        var e = await Assert.ThrowsAsync<BrokerConfigurationException>(() => BrokerFixture.StartAsync($$"""
            akkabroker.broker.cluster-endpoint.ssl { enabled = on, keystore.location = "{{certificate}}", key.location = "{{key}}" }
            """));
        Assert.Equal("akkabroker.broker.cluster-endpoint.ssl.truststore.location", e.Key);
        var missing = await Assert.ThrowsAsync<BrokerConfigurationException>(() => BrokerFixture.StartAsync("""
            akkabroker.broker.client-endpoint.ssl { enabled = on, keystore.location = "/nonexistent/broker.p12" }
            """));
        Assert.Contains("no such file", missing.Message);
    }
}
