using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Kafka;
using Xunit;

namespace AkkaBroker.Tests.KafkaListener;

public class KafkaListenerSettingsTests
{
    private static KafkaListenerSettings? Create(string hocon) =>
        KafkaListenerSettings.Create(ConfigurationFactory.ParseString(hocon), "10.0.0.5");

    [Fact]
    public void Without_the_key_the_broker_listens_on_its_own_host_at_9092_and_may_move_off_a_busy_port()
    {
        var s = Create("")!;
        Assert.Equal(("10.0.0.5", 9092, false), (s.BindHost, s.Port, s.PortRequested));
        Assert.Equal("10.0.0.5", s.AdvertisedHost);
        Assert.Null(s.AdvertisedPort);
        Assert.Equal(104857600, s.SocketRequestMaxBytes);
    }

    [Fact]
    public void An_empty_value_turns_the_listener_off() => Assert.Null(Create("akkabroker.broker.listeners = \"\""));

    [Fact]
    public void A_given_listener_is_bound_as_given_and_an_empty_host_binds_every_interface_advertising_the_brokers_host()
    {
        var s = Create("akkabroker.broker.listeners = \"PLAINTEXT://:19092\"")!;
        Assert.Equal((null, 19092, true), (s.BindHost, s.Port, s.PortRequested));
        Assert.Equal("10.0.0.5", s.AdvertisedHost);
    }

    [Fact]
    public void Advertised_listeners_say_what_clients_are_told()
    {
        var s = Create("akkabroker.broker.listeners = \"PLAINTEXT://0.0.0.0:9092\"\nakkabroker.broker.advertised.listeners = \"PLAINTEXT://broker1.example.com:29092\"")!;
        Assert.Equal(("broker1.example.com", 29092), (s.AdvertisedHost, s.AdvertisedPort));
    }

    [Fact]
    public void A_sasl_plaintext_listener_requires_authentication_and_a_plaintext_one_does_not()
    {
        Assert.True(Create("akkabroker.broker.listeners = \"SASL_PLAINTEXT://127.0.0.1:9092\"")!.SaslEnabled);
        Assert.False(Create("akkabroker.broker.listeners = \"PLAINTEXT://127.0.0.1:9092\"")!.SaslEnabled);
        Assert.False(Create("")!.SaslEnabled);
    }

    [Theory]
    [InlineData("akkabroker.broker.listeners = \"SASL_PLAINTEXT://0.0.0.0:9092\"\nakkabroker.broker.advertised.listeners = \"PLAINTEXT://h:9092\"", "the listener's own protocol")]
    [InlineData("akkabroker.broker.listeners = \"SASL_SCRAM://127.0.0.1:9093\"", "'SASL_SCRAM'")]
    [InlineData("akkabroker.broker.listeners = \"127.0.0.1:9092\"", "NAME://HOST:PORT")]
    [InlineData("akkabroker.broker.listeners = \"SSL://127.0.0.1:9093\"", "ssl.keystore.location")]
    [InlineData("akkabroker.broker.listeners = \"PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093\"", "one listener")]
    [InlineData("akkabroker.broker.listeners = \"PLAINTEXT://127.0.0.1:99999\"", "0 to 65535")]
    [InlineData("akkabroker.broker.advertised.listeners = \"PLAINTEXT://:9092\"", "with a host")]
    [InlineData("akkabroker.broker.advertised.listeners = \"PLAINTEXT://h:0\"", "real port")]
    [InlineData("akkabroker.broker.socket.request.max.bytes = 10", "at least 1024")]
    public void A_value_kafka_would_not_accept_is_refused_naming_the_key_and_what_to_write(string hocon, string expected)
    {
        var e = Assert.Throws<BrokerConfigurationException>(() => Create(hocon));
        Assert.StartsWith("akkabroker.broker.", e.Key);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task A_busy_default_port_moves_the_listener_to_a_free_one_while_a_port_asked_for_is_refused_by_name()
    {
        var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
            await using (var moved = await AkkaBroker.Actors.Kafka.KafkaListener.StartAsync(new KafkaListenerSettings("127.0.0.1", port, PortRequested: false, "127.0.0.1", null, 1 << 20)))
            {
                Assert.Equal(port, moved.MovedFrom);
                Assert.NotEqual(port, moved.BoundPort);
            }
            var e = await Assert.ThrowsAsync<BrokerConfigurationException>(() =>
                AkkaBroker.Actors.Kafka.KafkaListener.StartAsync(new KafkaListenerSettings("127.0.0.1", port, PortRequested: true, "127.0.0.1", null, 1 << 20)));
            Assert.Equal("akkabroker.broker.listeners", e.Key);
        }
        finally
        {
            busy.Stop();
        }
    }
}
