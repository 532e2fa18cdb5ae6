using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Security;
using AkkaBroker.Client;
using AkkaBroker.Client.Internal;
using Xunit;

namespace AkkaBroker.Tests.Security;

/// <summary>The SASL settings of brokers (HOCON) and clients (Kafka's keys).</summary>
public class SaslSettingsTests
{
    private static SaslSettings Broker(string hocon) =>
        TestConfigs.Settings(hocon).Sasl;

    [Fact]
    public void Brokers_offer_both_scram_mechanisms_by_default_and_take_kafkas_list()
    {
        Assert.Equal(["SCRAM-SHA-256", "SCRAM-SHA-512"], Broker("").EnabledMechanisms);
        Assert.Equal(["PLAIN", "SCRAM-SHA-512"], Broker("akkabroker.broker.sasl.enabled.mechanisms = \"plain, scram-sha-512\"").EnabledMechanisms);
        var spec = Assert.Single(Broker("akkabroker.broker.sasl.add-scram = [\"SCRAM-SHA-256=[name=admin,password=s3cret]\"]").AddScram);
        Assert.Equal(("admin", "s3cret"), (spec.User, spec.Password));
    }

    [Theory]
    [InlineData("akkabroker.broker.sasl.enabled.mechanisms = \"GSSAPI\"", "enabled.mechanisms")]
    [InlineData("akkabroker.broker.sasl.enabled.mechanisms = \"\"", "at least one")]
    [InlineData("akkabroker.broker.sasl.add-scram = [\"SCRAM-SHA-256=[password=pw]\"]", "names its user")]
    [InlineData("akkabroker.broker.sasl.add-scram = [\"SCRAM-SHA-256=[name=a,password=pw,iterations=1]\"]", "out of bounds")]
    public void Bad_broker_settings_are_refused_naming_the_key_and_never_the_password(string hocon, string expected)
    {
        var e = Assert.Throws<BrokerConfigurationException>(() => Broker(hocon));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("password=pw", e.Message);
    }

    private static ClientSettings Client(params (string Key, string Value)[] extra) =>
        ProducerSettings.Read(new ProducerConfig(extra.ToDictionary(e => e.Key, e => e.Value)) { BootstrapServers = "127.0.0.1:9192" }).Client;

    [Fact]
    public void Clients_read_kafkas_sasl_keys()
    {
        Assert.Null(Client().Sasl);
        var sasl = Client(("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanism", "scram-sha-512"), ("sasl.username", "alice"), ("sasl.password", "pw")).Sasl;
        Assert.Equal(new ClientSaslSettings("SCRAM-SHA-512", "alice", "pw"), sasl);
        Assert.DoesNotContain("pw", sasl!.ToString());
        // librdkafka's plural spelling is taken too.
        Assert.Equal("PLAIN", Client(("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanisms", "PLAIN"), ("sasl.username", "a"), ("sasl.password", "p")).Sasl!.Mechanism);
        var config = new ProducerConfig { SecurityProtocol = SecurityProtocol.SaslSsl, SaslMechanism = SaslMechanism.ScramSha256, SaslUsername = "u", SaslPassword = "p" };
        Assert.Equal(("SASL_SSL", "SCRAM-SHA-256", "u", "p"), (config.Get("security.protocol"), config.Get("sasl.mechanism"), config.Get("sasl.username"), config.Get("sasl.password")));
    }

    [Fact]
    public void Another_client_of_the_same_cluster_takes_the_connection_keys_and_nothing_else()
    {
        var producer = new ProducerConfig(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "b:9192", ["security.protocol"] = "SASL_SSL", ["ssl.ca.location"] = "/ca.pem", ["sasl.mechanism"] = "PLAIN",
            ["sasl.username"] = "u", ["sasl.password"] = "p", ["linger.ms"] = "5", ["acks"] = "all",
        });
        var connection = ClientConfig.ConnectionOf(producer);
        Assert.Equal(["bootstrap.servers", "sasl.mechanism", "sasl.password", "sasl.username", "security.protocol", "ssl.ca.location"], connection.Keys.Order());
    }

    [Theory]
    [InlineData("sasl.username", "alice", "security.protocol is PLAINTEXT")]
    [InlineData("sasl.mechanism", "PLAIN", "security.protocol is PLAINTEXT")]
    public void Sasl_keys_without_a_sasl_protocol_are_refused(string key, string value, string expected) =>
        Assert.Contains(expected, Assert.Throws<KafkaException>(() => Client((key, value))).Error.Reason);

    [Fact]
    public void A_sasl_protocol_needs_a_served_mechanism_and_both_credentials()
    {
        Assert.Contains("GSSAPI", Assert.Throws<KafkaException>(() => Client(("security.protocol", "SASL_PLAINTEXT"), ("sasl.username", "a"), ("sasl.password", "p"))).Error.Reason);
        Assert.Contains("sasl.username and sasl.password are required",
            Assert.Throws<KafkaException>(() => Client(("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanism", "SCRAM-SHA-256"))).Error.Reason);
    }
}

public sealed class HalfAuthenticationTests
{
    [Fact]
    public async Task A_broker_that_would_authenticate_on_one_client_endpoint_only_is_refused_at_start()
    {
        var e = await Assert.ThrowsAsync<BrokerConfigurationException>(() => AkkaBroker.Tests.Integration.BrokerFixture.StartAsync("""
            akkabroker.broker.listeners = "PLAINTEXT://127.0.0.1:0"
            akkabroker.broker.client-endpoint.sasl.enabled = on
            """));
        Assert.Equal("akkabroker.broker.listeners", e.Key);
        Assert.Contains("act as them", e.Message);

        // Client certificates required on the client endpoint authenticate every client there just as well.
        using var certificates = new AkkaBroker.Tests.Tls.TestCertificates("half-ca");
        var (cert, key) = certificates.IssuePem("broker");
        var withCertificates = await Assert.ThrowsAsync<BrokerConfigurationException>(() => AkkaBroker.Tests.Integration.BrokerFixture.StartAsync($$"""
            akkabroker.broker.listeners = "PLAINTEXT://127.0.0.1:0"
            akkabroker.broker.client-endpoint.ssl { enabled = on, keystore.location = "{{cert}}", key.location = "{{key}}", client.auth = required, truststore.location = "{{certificates.CaPem}}" }
            """));
        Assert.Equal("akkabroker.broker.listeners", withCertificates.Key);
    }
}
