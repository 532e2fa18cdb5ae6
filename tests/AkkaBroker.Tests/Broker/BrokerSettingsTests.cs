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
        Assert.Equal(9193, s.Port);
        Assert.Equal(9192, s.ClientEndpoint.Port);
    }

    [Theory]
    [InlineData("akkabroker.broker.num.partitions = 0", "akkabroker.broker.num.partitions", "'0'")]
    [InlineData("akkabroker.broker.auto.create.topics.enable = maybe", "akkabroker.broker.auto.create.topics.enable", "true or false")]
    [InlineData("akkabroker.broker.log.cleanup.policy = shred", "akkabroker.broker.log.cleanup.policy", "'shred'")]
    [InlineData("akka.remote.dot-netty.tcp.port = 9092", "akka.remote.dot-netty.tcp.port", "Kafka-protocol")]
    [InlineData("akkabroker.broker.journal.synchronous = sometimes", "akkabroker.broker.journal.synchronous", "normal or full")]
    [InlineData("akkabroker.broker.process.roles = \"broker,zookeeper\"", "akkabroker.broker.process.roles", "broker, controller or broker,controller")]
    [InlineData("akkabroker.broker.process.roles = \"\"", "akkabroker.broker.process.roles", "broker, controller or broker,controller")]
    [InlineData("akkabroker.broker.cluster.rejoin.enable = sometimes", "akkabroker.broker.cluster.rejoin.enable", "on or off")]
    [InlineData("akkabroker.broker.cluster.rejoin.min-backoff = 0s", "akkabroker.broker.cluster.rejoin.min-backoff", "positive duration")]
    [InlineData("akkabroker.broker.cluster.rejoin.max-backoff = 500ms", "akkabroker.broker.cluster.rejoin.max-backoff", "at least min-backoff")]
    [InlineData("akkabroker.broker.cluster.rejoin.random-factor = 1.5", "akkabroker.broker.cluster.rejoin.random-factor", "from 0 to 1")]
    [InlineData("akkabroker.broker.client-endpoint.port = 9092", "akkabroker.broker.client-endpoint.port", "Kafka-protocol")]
    [InlineData("akkabroker.broker.client-endpoint.port = 9193", "akkabroker.broker.client-endpoint.port", "--cluster-port")]
    [InlineData("akkabroker.broker.client-endpoint.port = 70000", "akkabroker.broker.client-endpoint.port", "from 0 to 65535")]
    [InlineData("akkabroker.broker.client-endpoint.public-hostname = \"0.0.0.0\"", "akkabroker.broker.client-endpoint.public-hostname", "clients connect to")]
    [InlineData("akkabroker.broker.client-endpoint.max-in-flight-requests-per-connection = 0", "akkabroker.broker.client-endpoint.max-in-flight-requests-per-connection", "from 1")]
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

    [Fact]
    public void The_client_endpoint_binds_the_brokers_host_unless_told_otherwise_and_advertises_what_it_binds_unless_told_otherwise()
    {
        var plain = TestConfigs.Settings("akka.remote.dot-netty.tcp.hostname = \"10.0.0.5\"").ClientEndpoint;
        Assert.Equal(("10.0.0.5", 9192, "10.0.0.5"), (plain.Hostname, plain.Port, plain.PublicHostname));
        var nat = TestConfigs.Settings("akkabroker.broker.client-endpoint { hostname = \"0.0.0.0\", public-hostname = broker1.example.com }").ClientEndpoint;
        Assert.Equal(("0.0.0.0", "broker1.example.com"), (nat.Hostname, nat.PublicHostname));
        var roles = BrokerRole.RolesOf(TestConfigs.Settings("akkabroker.broker.broker.id = 3"), clientEndpoint: ("broker1.example.com", 9192));
        Assert.Contains("client-endpoint=broker1.example.com:9192", roles);
    }

    [Fact]
    public void A_downed_broker_rejoins_by_default_after_a_backoff_from_1_s_to_30_s()
    {
        var rejoin = TestConfigs.Settings().Rejoin;
        Assert.True(rejoin.Enable);
        Assert.Equal(TimeSpan.FromSeconds(1), rejoin.MinBackoff);
        Assert.Equal(TimeSpan.FromSeconds(30), rejoin.MaxBackoff);
        Assert.Equal(0.2, rejoin.RandomFactor);
    }

    [Fact]
    public void Rejoin_backoff_doubles_per_attempt_up_to_max_backoff_and_is_stretched_by_at_most_the_random_factor()
    {
        var rejoin = new RejoinSettings(true, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2);
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], new[] { 1, 2, 3, 4, 5, 6, 100 }.Select(a => rejoin.BackoffFor(a, 0).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(1.2), rejoin.BackoffFor(1, 1.0));
        Assert.Equal(TimeSpan.FromSeconds(36), rejoin.BackoffFor(int.MaxValue, 1.0));
        Assert.Equal(TimeSpan.FromSeconds(1), rejoin.BackoffFor(0, 0));
    }

    [Fact]
    public void The_split_brain_resolver_downs_every_node_only_after_reachability_kept_changing_for_20_s()
    {
        // Akka would derive 4 s (3/4 of stable-after, at least 4 s): a kill -9 and a cut a few seconds apart exceeded that.
        var sbr = new Akka.Cluster.SBR.SplitBrainResolverSettings(BrokerNode.Compose(Akka.Configuration.Config.Empty));
        Assert.Equal("keep-majority", sbr.DowningStrategy);
        Assert.Equal(TimeSpan.FromSeconds(5), sbr.DowningStableAfter);
        Assert.Equal(TimeSpan.FromSeconds(20), sbr.DowningStableAfter + sbr.DownAllWhenUnstable);
    }
}
