using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using Xunit;

namespace AkkaBroker.Tests.Broker;

/// <summary>Unknown broker keys are refused with the nearest known one; Kafka's server.properties spellings are taken.</summary>
public class BrokerConfigKeysTests
{
    private static BrokerSettings Settings(string hocon) => TestConfigs.Settings(hocon);

    private static BrokerConfigurationException Refused(string hocon) =>
        Assert.Throws<BrokerConfigurationException>(() => Settings(hocon));

    [Theory]
    [InlineData("akkabroker.broker.log.retention.hour = 1", "akkabroker.broker.log.retention.hour", "akkabroker.broker.log.retention.hours")]
    [InlineData("akkabroker.broker.num.partition = 3", "akkabroker.broker.num.partition", "akkabroker.broker.num.partitions")]
    [InlineData("akkabroker.broker { offsets.topic.replication.factr = 1 }", "offsets.topic.replication.factr", "akkabroker.broker.offsets.topic.replication.factor")]
    [InlineData("akkabroker.partition.tail-cache = 1", "akkabroker.partition.tail-cache", "akkabroker.partition.tail-cache-bytes")]
    [InlineData("akkabroker.brokers.num.partitions = 3", "akkabroker.brokers", "akkabroker.broker")]
    public void A_key_the_broker_does_not_know_is_refused_with_the_nearest_known_one(string hocon, string named, string suggested)
    {
        var e = Refused(hocon);
        Assert.Contains(named, e.Message);
        Assert.Contains($"did you mean {suggested}", e.Message);
    }

    [Fact]
    public void Kafkas_time_spellings_set_the_broker_key_in_ms_and_the_finest_unit_wins()
    {
        Assert.Equal("3600000", Settings("akkabroker.broker.log.retention.hours = 1").DefaultTopicConfig["retention.ms"]);
        Assert.Equal("120000", Settings("akkabroker.broker.log.retention.minutes = 2").DefaultTopicConfig["retention.ms"]);
        Assert.Equal("-1", Settings("akkabroker.broker.log.retention.hours = -1").DefaultTopicConfig["retention.ms"]);
        Assert.Equal("120000", Settings("akkabroker.broker.log.retention.hours = 1\nakkabroker.broker.log.retention.minutes = 2").DefaultTopicConfig["retention.ms"]);
        Assert.Equal("5", Settings("akkabroker.broker.log.retention.hours = 1\nakkabroker.broker.log.retention.ms = 5").DefaultTopicConfig["retention.ms"]);
        Assert.Equal("7200000", Settings("akkabroker.broker.log.roll.hours = 2").DefaultTopicConfig["segment.ms"]);
        Assert.Contains("a whole number", Refused("akkabroker.broker.log.retention.hours = a week").Message);
    }

    [Fact]
    public void Kafkas_names_of_the_node_id_and_the_data_directory_are_taken()
    {
        var settings = Settings("akkabroker.broker.node.id = 7\nakkabroker.broker.log.dirs = \"/tmp/kafka-logs\"");
        Assert.Equal(7, settings.BrokerId);
        Assert.Equal("/tmp/kafka-logs", settings.DataDirectory);
        Assert.Equal("/tmp/one", Settings("akkabroker.broker.log.dir = \"/tmp/one\"").DataDirectory);
        var several = Refused("akkabroker.broker.log.dirs = \"/disk1/kafka,/disk2/kafka\"");
        Assert.Contains("akkabroker.broker.log.dirs", several.Message);
        Assert.Contains("one directory", several.Message);
    }

    [Fact]
    public void Keys_left_unset_in_reference_conf_on_purpose_are_known()
    {
        Assert.Equal(9500, Settings("akkabroker.broker.metrics.prometheus.port = 9500").PrometheusPort);
        Settings("akkabroker.broker.listeners = \"PLAINTEXT://127.0.0.1:0\"\nakkabroker.mirror.num.streams = 2");
    }

    [Fact]
    public void A_kafka_server_properties_file_is_told_from_hocon_and_read_as_the_brokers_keys()
    {
        const string properties = """
            # The basic server settings
            node.id=3
            process.roles = broker,controller
            log.dirs=/var/lib/kafka
            num.partitions: 4
            log.retention.hours 168
            listeners=PLAINTEXT://127.0.0.1:0
            offsets.topic.replication.factor=1
            log.segment.bytes=\
              104857600
            """;
        Assert.True(KafkaServerProperties.IsProperties(properties));
        var settings = Settings(KafkaServerProperties.ToHocon(properties));
        Assert.Equal(3, settings.BrokerId);
        Assert.Equal("/var/lib/kafka", settings.DataDirectory);
        Assert.Equal(4, settings.NumPartitions);
        Assert.Equal("604800000", settings.DefaultTopicConfig["retention.ms"]);
        Assert.Equal("104857600", settings.DefaultTopicConfig["segment.bytes"]);
        Assert.Equal(1, settings.OffsetsTopicReplicationFactor);

        var e = Refused(KafkaServerProperties.ToHocon("node.id=1\nnum.network.threads=3\n"));
        Assert.Contains("akkabroker.broker.num.network.threads", e.Message);
    }

    [Theory]
    [InlineData("akkabroker.broker.num.partitions = 3")]
    [InlineData("akkabroker.broker {\n  num.partitions = 3\n}")]
    [InlineData("akka.loglevel = WARNING")]
    [InlineData("")]
    public void Hocon_is_not_taken_for_a_properties_file(string hocon) => Assert.False(KafkaServerProperties.IsProperties(hocon));

    [Fact]
    public void Every_shipped_hocon_file_is_read_as_hocon()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "AkkaBroker.sln"))) root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))!;
        var files = Directory.GetFiles(Path.Combine(root, "hocon"), "*.conf", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var file in files) Assert.False(KafkaServerProperties.IsProperties(File.ReadAllText(file)), file);
    }

    [Fact]
    public void A_properties_file_with_braces_in_its_comments_is_still_one_and_every_unknown_key_is_named_at_once()
    {
        const string properties = "# logs under ${KAFKA_HOME}/logs {see docs}\nnode.id=1\nnum.network.threads=3\nnum.io.threads=8\n";
        Assert.True(KafkaServerProperties.IsProperties(properties));
        var e = Refused(KafkaServerProperties.ToHocon(properties));
        Assert.Contains("akkabroker.broker.num.network.threads", e.Message);
        Assert.Contains("akkabroker.broker.num.io.threads", e.Message);
        Assert.False(KafkaServerProperties.IsProperties("include \"common.conf\"\n"));
    }

    [Fact]
    public void Keys_outside_akka_and_akkabroker_are_refused()
    {
        var e = Refused("node.id = 1");
        Assert.Contains("node", e.Message);
        Assert.Contains("akkabroker.broker", e.Message);
    }

    [Fact]
    public void Only_an_unconfigured_offsets_replication_factor_on_a_node_without_seed_nodes_may_shrink()
    {
        Assert.True(Settings("").OffsetsTopicReplicationFactorMayShrink);
        Assert.Equal(3, Settings("").OffsetsTopicReplicationFactor);
        Assert.False(Settings("akkabroker.broker.offsets.topic.replication.factor = 3").OffsetsTopicReplicationFactorMayShrink);
        Assert.False(Settings("akka.cluster.seed-nodes = [\"akka.tcp://akkabroker@127.0.0.1:9201\"]").OffsetsTopicReplicationFactorMayShrink);
    }
}
