using AkkaBroker.Client;
using AkkaBroker.Connect;
using AkkaBroker.Connect.Mirror;
using AkkaBroker.Connect.Runtime;
using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Connect.Mirror;

/// <summary>
/// The MirrorMaker 2 connectors' configuration without clusters: Kafka's class names find them, bad keys are refused on
/// the key they are about, topics are renamed by the policy, client settings go to the cluster they name, and the sample
/// connector files in hocon/connect/ are valid as shipped.
/// </summary>
public sealed class MirrorConnectorConfigTests
{
    private static readonly PluginRegistry Plugins = PluginRegistry.Create();

    private static Dictionary<string, string> Config(string connector, params (string Key, string Value)[] extra)
    {
        var props = new Dictionary<string, string>
        {
            ["name"] = "mirror", ["connector.class"] = connector,
            ["source.cluster.bootstrap.servers"] = "127.0.0.1:9192", ["target.cluster.bootstrap.servers"] = "127.0.0.1:9292",
        };
        foreach (var (key, value) in extra) props[key] = value;
        return props;
    }

    private static IReadOnlyList<string> ErrorsOf(ConfigInfos infos, string key) =>
        infos.Configs.Where(c => c.Value.Name == key).SelectMany(c => c.Value.ErrorMessages).ToList();

    [Theory]
    [InlineData("org.apache.kafka.connect.mirror.MirrorSourceConnector", "MirrorSourceConnector")]
    [InlineData("org.apache.kafka.connect.mirror.MirrorCheckpointConnector", "MirrorCheckpointConnector")]
    [InlineData("org.apache.kafka.connect.mirror.MirrorHeartbeatConnector", "MirrorHeartbeatConnector")]
    public void Kafkas_class_names_find_the_connectors_and_a_complete_config_has_no_errors(string className, string type)
    {
        var infos = ConnectorValidator.Validate(Config(className), Plugins);

        Assert.True(infos.ErrorCount == 0, string.Join("; ", infos.Configs.SelectMany(c => c.Value.ErrorMessages)));
        Assert.Equal(type, infos.Name);
    }

    [Theory]
    [InlineData("MirrorSourceConnector", "source.cluster.bootstrap.servers")]
    [InlineData("MirrorSourceConnector", "target.cluster.bootstrap.servers")]
    [InlineData("MirrorCheckpointConnector", "source.cluster.bootstrap.servers")]
    [InlineData("MirrorHeartbeatConnector", "target.cluster.bootstrap.servers")]
    public void A_missing_bootstrap_servers_key_is_an_error_on_that_key(string connector, string key)
    {
        var config = Config(connector);
        config.Remove(key);

        var infos = ConnectorValidator.Validate(config, Plugins);

        Assert.Equal([$"Missing required configuration \"{key}\" which has no default value."], ErrorsOf(infos, key));
        Assert.Equal(1, infos.ErrorCount);
    }

    [Fact]
    public void The_heartbeat_connector_needs_no_source_bootstrap_servers()
    {
        var config = Config("MirrorHeartbeatConnector");
        config.Remove("source.cluster.bootstrap.servers");

        Assert.Equal(0, ConnectorValidator.Validate(config, Plugins).ErrorCount);
    }

    [Theory]
    [InlineData("MirrorSourceConnector", "topics", "orders(")]
    [InlineData("MirrorSourceConnector", "topics.exclude", "[a-")]
    [InlineData("MirrorCheckpointConnector", "groups", "app)")]
    [InlineData("MirrorCheckpointConnector", "groups.exclude", "*x")]
    public void A_bad_regular_expression_is_an_error_on_its_key(string connector, string key, string value)
    {
        var infos = ConnectorValidator.Validate(Config(connector, (key, value)), Plugins);

        var error = Assert.Single(ErrorsOf(infos, key));
        Assert.StartsWith($"Invalid value {value} for configuration {key}: ", error);
        Assert.Contains("not a valid regular expression", error);
    }

    [Theory]
    [InlineData("offset-syncs.topic.location", "elsewhere", "String must be one of: source, target")]
    [InlineData("replication.policy.class", "com.example.MyPolicy", "String must be one of")]
    [InlineData("refresh.topics.interval.seconds", "0", "at least 1, or negative to disable")]
    [InlineData("emit.offset-syncs.enabled", "yes", "Expected value to be either true or false")]
    public void Invalid_values_are_errors_on_their_keys(string key, string value, string expected)
    {
        var infos = ConnectorValidator.Validate(Config("MirrorSourceConnector", (key, value)), Plugins);

        Assert.Contains(expected, Assert.Single(ErrorsOf(infos, key)));
    }

    [Fact]
    public void Equal_aliases_are_refused_on_the_source_alias()
    {
        var infos = ConnectorValidator.Validate(Config("MirrorSourceConnector", ("source.cluster.alias", "dc1"), ("target.cluster.alias", "dc1")), Plugins);

        Assert.Contains("are both 'dc1'", Assert.Single(ErrorsOf(infos, "source.cluster.alias")));
    }

    [Fact]
    public void An_alias_containing_the_separator_is_refused_on_the_source_alias()
    {
        var infos = ConnectorValidator.Validate(Config("MirrorSourceConnector", ("source.cluster.alias", "us.west")), Plugins);

        Assert.Contains("must not contain the separator '.'", Assert.Single(ErrorsOf(infos, "source.cluster.alias")));
    }

    private static MirrorConnectorConfig Parse(params (string Key, string Value)[] extra) =>
        MirrorConnectorConfig.Parse(MirrorConnectorConfig.SourceDefinition, Config("MirrorSourceConnector", extra));

    [Fact]
    public void Topics_are_renamed_with_the_source_alias_by_default_and_kept_by_the_identity_policy()
    {
        Assert.Equal("source.orders", Parse().Policy.TargetTopic("orders"));
        Assert.Equal("us_orders", Parse(("source.cluster.alias", "us"), ("replication.policy.separator", "_")).Policy.TargetTopic("orders"));
        Assert.Equal("orders", Parse(("replication.policy.class", "org.apache.kafka.connect.mirror.IdentityReplicationPolicy")).Policy.TargetTopic("orders"));
        // The class name is matched without regard to case, as its validator accepts it.
        Assert.Equal("orders", Parse(("replication.policy.class", "identityreplicationpolicy")).Policy.TargetTopic("orders"));
    }

    [Fact]
    public void Internal_topics_topics_from_the_target_and_excluded_topics_are_not_replicated_but_heartbeats_are()
    {
        var config = Parse(("source.cluster.alias", "us"), ("target.cluster.alias", "eu"), ("topics", "orders.*, heartbeats, eu\\..*"), ("topics.exclude", "orders-test"));

        Assert.True(config.ShouldReplicate("orders"));
        Assert.True(config.ShouldReplicate("orders-2"));
        Assert.False(config.ShouldReplicate("orders-test"));
        Assert.False(config.ShouldReplicate("payments"));
        Assert.False(config.ShouldReplicate("eu.orders"), "a topic mirrored from the target must not go back");
        Assert.False(config.ShouldReplicate("__consumer_offsets"));
        Assert.False(config.ShouldReplicate("mm2-offset-syncs.eu.internal"));
        Assert.True(config.ShouldReplicate("heartbeats"));
        Assert.Equal("mm2-offset-syncs.eu.internal", config.OffsetSyncsTopic);
        Assert.Equal("us.checkpoints.internal", config.CheckpointsTopic);
    }

    [Fact]
    public void Client_settings_go_to_their_cluster_and_client_and_the_alias_is_not_one()
    {
        var config = Parse(("source.cluster.alias", "us"), ("source.cluster.request.timeout.ms", "9000"), ("source.consumer.fetch.max.bytes", "1024"),
            ("target.producer.linger.ms", "7"));

        Assert.Equal(new Dictionary<string, string> { ["bootstrap.servers"] = "127.0.0.1:9192", ["request.timeout.ms"] = "9000", ["fetch.max.bytes"] = "1024" },
            config.ClientProps(MirrorCluster.Source, "consumer"));
        Assert.Equal(new Dictionary<string, string> { ["bootstrap.servers"] = "127.0.0.1:9192", ["request.timeout.ms"] = "9000" },
            config.ClientProps(MirrorCluster.Source, "admin"));
        Assert.Equal(new Dictionary<string, string> { ["bootstrap.servers"] = "127.0.0.1:9292", ["linger.ms"] = "7" },
            config.ClientProps(MirrorCluster.Target, "producer"));
    }

    [Fact]
    public void A_client_setting_the_client_refuses_fails_the_start_naming_the_prefixes()
    {
        var config = Parse(("source.admin.no.such.key", "1"));

        var e = Assert.Throws<ConnectException>(() => config.Admin(MirrorCluster.Source));
        Assert.Contains("no.such.key", e.Message);
        Assert.Contains("source.cluster.* and source.admin.*", e.Message);
    }

    private static Dictionary<string, string> ReadSample(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "AkkaBroker.sln")))
            dir = Path.GetDirectoryName(dir.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("AkkaBroker.sln not found above " + AppContext.BaseDirectory);
        return JavaProperties.Parse(File.ReadAllText(Path.Combine(dir, "hocon", "connect", name)));
    }

    [Theory]
    [InlineData("mirror-source.properties")]
    [InlineData("mirror-checkpoint.properties")]
    [InlineData("mirror-heartbeat.properties")]
    public void A_sample_mirror_connector_file_validates_without_errors_and_uses_byte_array_converters(string file)
    {
        var config = ReadSample(file);

        var infos = ConnectorValidator.Validate(config, Plugins);

        Assert.True(infos.ErrorCount == 0, string.Join("; ", infos.Configs.SelectMany(c => c.Value.ErrorMessages)));
        Assert.Equal("org.apache.kafka.connect.converters.ByteArrayConverter", config["key.converter"]);
        Assert.Equal("org.apache.kafka.connect.converters.ByteArrayConverter", config["value.converter"]);
    }

    [Fact]
    public void The_sample_topics_exclude_is_kafkas_default_after_properties_escapes()
    {
        Assert.Equal(MirrorConnectorConfig.DefaultTopicsExclude, ReadSample("mirror-source.properties")["topics.exclude"]);
    }
}
