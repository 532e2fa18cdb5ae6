using AkkaBroker.Client;
using AkkaBroker.Client.Internal;
using Xunit;

namespace AkkaBroker.Tests.Tls;

/// <summary>A client's TLS keys, as Kafka's clients read them.</summary>
public class ClientTlsSettingsTests
{
    private static ProducerSettings Read(params (string Key, string Value)[] extra) =>
        ProducerSettings.Read(new ProducerConfig(extra.ToDictionary(e => e.Key, e => e.Value)) { BootstrapServers = "127.0.0.1:9192" });

    [Fact]
    public void Plaintext_is_the_default_and_ssl_needs_the_authority_of_the_brokers_certificates()
    {
        Assert.Null(Read().Client.Tls);
        Assert.Equal(new ClientTlsSettings("/etc/ca.pem", true), Read(("security.protocol", "SSL"), ("ssl.ca.location", "/etc/ca.pem")).Client.Tls);
        Assert.Equal(new ClientTlsSettings("/etc/ca.pem", false),
            Read(("security.protocol", "ssl"), ("ssl.ca.location", "/etc/ca.pem"), ("ssl.endpoint.identification.algorithm", "none")).Client.Tls);
        Assert.Contains("ssl.ca.location is required with security.protocol=SSL", Assert.Throws<KafkaException>(() => Read(("security.protocol", "SSL"))).Error.Reason);
        Assert.Contains("security.protocol has no TLS", Assert.Throws<KafkaException>(() => Read(("ssl.ca.location", "/etc/ca.pem"))).Error.Reason);
        Assert.Contains("security.protocol", Assert.Throws<KafkaException>(() => Read(("security.protocol", "SASL_SSL"))).Error.Reason);
    }

    [Fact]
    public void A_client_certificate_is_read_as_kafkas_clients_read_it_and_refused_where_it_would_be_ignored()
    {
        (string, string)[] ssl = [("security.protocol", "SSL"), ("ssl.ca.location", "/etc/ca.pem")];
        Assert.Equal(new ClientCertificateSettings("/etc/alice.pem", "/etc/alice.key", "secret", "ssl.certificate.location"),
            Read([.. ssl, ("ssl.certificate.location", "/etc/alice.pem"), ("ssl.key.location", "/etc/alice.key"), ("ssl.key.password", "secret")]).Client.Tls!.Certificate);
        Assert.Equal(new ClientCertificateSettings("/etc/alice.p12", "", "p", "ssl.keystore.location"),
            Read([.. ssl, ("ssl.keystore.location", "/etc/alice.p12"), ("ssl.keystore.password", "p")]).Client.Tls!.Certificate);
        Assert.True(Read([.. ssl, ("ssl.certificate.location", "/etc/alice.pem")]).Client.Authenticates);
        Assert.False(Read(ssl).Client.Authenticates);
        Assert.DoesNotContain("secret", new ClientCertificateSettings("/etc/alice.pem", "", "secret", "ssl.certificate.location").ToString());

        Assert.Contains("ssl.certificate.location is set but security.protocol has no TLS",
            Assert.Throws<KafkaException>(() => Read(("ssl.certificate.location", "/etc/alice.pem"))).Error.Reason);
        Assert.Contains("are both set",
            Assert.Throws<KafkaException>(() => Read([.. ssl, ("ssl.certificate.location", "/a.pem"), ("ssl.keystore.location", "/a.p12")])).Error.Reason);
        Assert.Contains("ssl.key.location does not go with the client certificate given",
            Assert.Throws<KafkaException>(() => Read([.. ssl, ("ssl.key.location", "/a.key")])).Error.Reason);
        Assert.Contains("ssl.key.location does not go",
            Assert.Throws<KafkaException>(() => Read([.. ssl, ("ssl.keystore.location", "/a.p12"), ("ssl.key.location", "/a.key")])).Error.Reason);
        Assert.Contains("ssl.keystore.password does not go",
            Assert.Throws<KafkaException>(() => Read([.. ssl, ("ssl.certificate.location", "/a.pem"), ("ssl.keystore.password", "p")])).Error.Reason);
        var unreadable = Assert.Throws<KafkaException>(() => new ProducerBuilder<Null, string>(new ProducerConfig(ssl.ToDictionary(e => e.Item1, e => e.Item2))
        {
            BootstrapServers = "127.0.0.1:9192", SslCertificateLocation = "/nonexistent/alice.pem",
        }).Build());
        Assert.Contains("ssl.certificate.location = '/nonexistent/alice.pem': no such file", unreadable.Error.Reason);
    }

    [Fact]
    public void The_typed_properties_write_kafkas_keys()
    {
        var config = new ConsumerConfig { SecurityProtocol = SecurityProtocol.Ssl, SslCaLocation = "/etc/ca.pem", SslEndpointIdentificationAlgorithm = SslEndpointIdentificationAlgorithm.None };
        Assert.Equal(("SSL", "/etc/ca.pem", "none"), (config.Get("security.protocol"), config.Get("ssl.ca.location"), config.Get("ssl.endpoint.identification.algorithm")));
        Assert.Equal(SecurityProtocol.Ssl, config.SecurityProtocol);
    }

    [Fact]
    public void An_unreadable_authority_file_is_refused_when_the_client_is_built()
    {
        var e = Assert.Throws<KafkaException>(() => new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = "127.0.0.1:9192", SecurityProtocol = SecurityProtocol.Ssl, SslCaLocation = "/nonexistent/ca.pem",
        }).Build());
        Assert.Contains("ssl.ca.location = '/nonexistent/ca.pem': no such file", e.Error.Reason);
    }
}
