using AkkaBroker.Actors.Broker;
using Xunit;

namespace AkkaBroker.Tests.Broker;

public class BrokerSettingsTests
{
    [Fact]
    public void Defaults_are_kafkas()
    {
        var s = TestConfigs.Settings();
        Assert.True(s.AutoCreateTopicsEnable);
        Assert.Equal(1, s.NumPartitions);
        Assert.Equal("1048588", s.DefaultTopicConfig["max.message.bytes"]);
        Assert.Equal("604800000", s.DefaultTopicConfig["retention.ms"]);
        Assert.Equal("delete", s.DefaultTopicConfig["cleanup.policy"]);
        Assert.Equal(9192, s.Port);
    }

    [Theory]
    [InlineData("akkabroker.broker.num.partitions = 0", "akkabroker.broker.num.partitions", "'0'")]
    [InlineData("akkabroker.broker.auto.create.topics.enable = maybe", "akkabroker.broker.auto.create.topics.enable", "true or false")]
    [InlineData("akkabroker.broker.log.cleanup.policy = shred", "akkabroker.broker.log.cleanup.policy", "'shred'")]
    [InlineData("akka.remote.dot-netty.tcp.port = 9092", "akka.remote.dot-netty.tcp.port", "Kafka-protocol")]
    [InlineData("akkabroker.broker.journal.synchronous = sometimes", "akkabroker.broker.journal.synchronous", "normal or full")]
    [InlineData("akkabroker.broker.process.roles = \"broker,zookeeper\"", "akkabroker.broker.process.roles", "broker, controller or broker,controller")]
    [InlineData("akkabroker.broker.process.roles = \"\"", "akkabroker.broker.process.roles", "broker, controller or broker,controller")]
    public void Bad_configuration_fails_at_start_naming_key_value_and_what_is_allowed(string hocon, string key, string mention)
    {
        var e = Assert.Throws<BrokerConfigurationException>(() => TestConfigs.Settings(hocon));
        Assert.Equal(key, e.Key);
        Assert.Contains(key, e.Message);
        Assert.Contains(mention, e.Message);
    }

    [Theory]
    [InlineData("", true, true)]
    [InlineData("akkabroker.broker.process.roles = broker", true, false)]
    [InlineData("akkabroker.broker.process.roles = controller", false, true)]
    [InlineData("akkabroker.broker.process.roles = \" Controller , broker \"", true, true)]
    [InlineData("akkabroker.broker.process.roles = [controller]", false, true)]
    public void Process_roles_read_as_kafkas_comma_separated_string_or_a_hocon_list(string hocon, bool broker, bool controller)
    {
        var s = TestConfigs.Settings(hocon);
        Assert.Equal(broker, s.IsBroker);
        Assert.Equal(controller, s.IsController);
    }

    [Fact]
    public void Cluster_roles_name_a_broker_by_id_and_a_controller_only_node_apart_from_brokers()
    {
        Assert.Equal(["broker-3", "controller"], BrokerRole.RolesOf(TestConfigs.Settings("akkabroker.broker.broker.id = 3")));
        Assert.Equal(["broker-3"], BrokerRole.RolesOf(TestConfigs.Settings("akkabroker.broker.broker.id = 3\nakkabroker.broker.process.roles = broker")));
        Assert.Equal(["controller", "controller-101"], BrokerRole.RolesOf(TestConfigs.Settings("akkabroker.broker.broker.id = 101\nakkabroker.broker.process.roles = controller")));
    }
}
