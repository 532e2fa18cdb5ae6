using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Runtime;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// A worker's properties, read with Kafka's keys: defaults, required keys per mode, keys of the other mode and unknown
/// keys refused with a message that says what to do, pass-through prefixes, and the REST listeners.
/// </summary>
public sealed class WorkerConfigTests
{
    private static Dictionary<string, string> Standalone(params (string Key, string Value)[] extra)
    {
        var props = new Dictionary<string, string> { [WorkerConfig.OffsetStorageFileName] = "/tmp/connect.offsets" };
        foreach (var (key, value) in extra) props[key] = value;
        return props;
    }

    private static Dictionary<string, string> Distributed(params (string Key, string Value)[] extra)
    {
        var props = new Dictionary<string, string>
        {
            [WorkerConfig.GroupId] = "connect-cluster",
            [WorkerConfig.ConfigStorageTopic] = "connect-configs",
            [WorkerConfig.OffsetStorageTopic] = "connect-offsets",
            [WorkerConfig.StatusStorageTopic] = "connect-status",
        };
        foreach (var (key, value) in extra) props[key] = value;
        return props;
    }

    [Fact]
    public void The_workers_clients_connect_with_its_tls_and_sasl_keys()
    {
        var config = WorkerConfig.Parse(WorkerMode.Standalone, Standalone(("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "connect"), ("sasl.password", " pw ")));
        var connection = config.ClientConnection();
        Assert.Equal("SASL_PLAINTEXT", connection["security.protocol"]);
        Assert.Equal(("connect", " pw "), (connection["sasl.username"], connection["sasl.password"]));
        Assert.Equal(config.Bootstrap, connection["bootstrap.servers"]);
        Assert.False(WorkerConfig.Parse(WorkerMode.Standalone, Standalone()).ClientConnection().ContainsKey("security.protocol"));
    }

    [Fact]
    public void An_absent_key_takes_its_default()
    {
        var config = WorkerConfig.Parse(WorkerMode.Standalone, Standalone());

        Assert.Equal(WorkerMode.Standalone, config.Mode);
        Assert.Equal("127.0.0.1:9192", config.Bootstrap);
        Assert.Equal("org.apache.kafka.connect.json.JsonConverter", config.Get<string>(WorkerConfig.KeyConverter));
        Assert.Equal("org.apache.kafka.connect.json.JsonConverter", config.Get<string>(WorkerConfig.ValueConverter));
        Assert.Equal(60_000L, config.Get<long>(WorkerConfig.OffsetFlushIntervalMs));
        Assert.Equal(5_000L, config.Get<long>(WorkerConfig.OffsetFlushTimeoutMs));
        Assert.Equal(5_000L, config.Get<long>(WorkerConfig.TaskShutdownGracefulTimeoutMs));
        Assert.Empty(config.Get<List<string>>(WorkerConfig.PluginPath));
        Assert.Null(config.GetOrNull<string>(WorkerConfig.RestAdvertisedHostName));
        Assert.Equal([new Uri("http://0.0.0.0:8083")], config.ListenerUris());
    }

    [Fact]
    public void Distributed_defaults_are_Kafkas()
    {
        var config = WorkerConfig.Parse(WorkerMode.Distributed, Distributed());

        Assert.Equal((short)-1, config.Get<short>(WorkerConfig.ConfigStorageReplicationFactor));
        Assert.Equal(25, config.Get<int>(WorkerConfig.OffsetStoragePartitions));
        Assert.Equal(5, config.Get<int>(WorkerConfig.StatusStoragePartitions));
        Assert.Equal(300_000, config.Get<int>(WorkerConfig.ScheduledRebalanceMaxDelayMs));
        Assert.Equal(3_000, config.Get<int>(WorkerConfig.HeartbeatIntervalMs));
        Assert.Equal(10_000, config.Get<int>(WorkerConfig.SessionTimeoutMs));
    }

    [Fact]
    public void A_standalone_worker_requires_its_offset_file()
    {
        var error = Assert.Throws<ConfigException>(() => WorkerConfig.Parse(WorkerMode.Standalone, new Dictionary<string, string>()));

        Assert.Contains("Missing required configuration \"offset.storage.file.filename\"", error.Message);
    }

    [Theory]
    [InlineData(WorkerConfig.GroupId)]
    [InlineData(WorkerConfig.ConfigStorageTopic)]
    [InlineData(WorkerConfig.OffsetStorageTopic)]
    [InlineData(WorkerConfig.StatusStorageTopic)]
    [InlineData(WorkerConfig.ScheduledRebalanceMaxDelayMs)]
    public void A_distributed_key_is_refused_in_standalone_mode_saying_so(string key)
    {
        var error = Assert.Throws<ConfigException>(() => WorkerConfig.Parse(WorkerMode.Standalone, Standalone((key, "x"))));

        Assert.Contains($"'{key}' is a distributed worker key", error.Message);
        Assert.Contains("standalone mode", error.Message);
    }

    [Fact]
    public void A_standalone_key_is_refused_in_distributed_mode_saying_so()
    {
        var error = Assert.Throws<ConfigException>(() => WorkerConfig.Parse(WorkerMode.Distributed, Distributed((WorkerConfig.OffsetStorageFileName, "/tmp/o"))));

        Assert.Contains("'offset.storage.file.filename' is a standalone worker key", error.Message);
        Assert.Contains("distributed mode", error.Message);
    }

    [Theory]
    [InlineData("offset.flush.interval", "offset.flush.interval.ms")]
    [InlineData("bootstrap.server", "bootstrap.servers")]
    [InlineData("plugins.path", "plugin.path")]
    [InlineData("offset.storage.file.name", "offset.storage.file.filename")]
    public void An_unknown_key_is_refused_naming_the_nearest_known_key(string key, string nearest)
    {
        var error = Assert.Throws<ConfigException>(() => WorkerConfig.Parse(WorkerMode.Standalone, Standalone((key, "1"))));

        Assert.Contains($"Unknown worker configuration '{key}'", error.Message);
        Assert.Contains($"Did you mean '{nearest}'?", error.Message);
    }

    [Fact]
    public void Keys_under_the_client_and_converter_prefixes_pass_through_without_the_prefix()
    {
        var config = WorkerConfig.Parse(WorkerMode.Standalone, Standalone(
            ("producer.linger.ms", "5"), ("producer.acks", "all"), ("consumer.max.poll.records", "100"), ("admin.request.timeout.ms", "1000"),
            ("key.converter.schemas.enable", "false"), ("value.converter.replace.null.with.default", "true"), ("header.converter.x", "y")));

        Assert.Equal(new Dictionary<string, string> { ["linger.ms"] = "5", ["acks"] = "all" }, config.WithPrefix("producer."));
        Assert.Equal(new Dictionary<string, string> { ["max.poll.records"] = "100" }, config.WithPrefix("consumer."));
        Assert.Equal(new Dictionary<string, string> { ["schemas.enable"] = "false" }, config.WithPrefix("key.converter."));
        Assert.Equal(new Dictionary<string, string> { ["replace.null.with.default"] = "true" }, config.WithPrefix("value.converter."));
    }

    [Fact]
    public void Kafkas_sample_connect_standalone_properties_is_accepted()
    {
        // config/connect-standalone.properties of Apache Kafka, with its commented keys given.
        var kafkaSample = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "localhost:9092",
            ["key.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["key.converter.schemas.enable"] = "true",
            ["value.converter.schemas.enable"] = "true",
            ["offset.storage.file.filename"] = "/tmp/connect.offsets",
            ["offset.flush.interval.ms"] = "10000",
            ["listeners"] = "HTTP://:8083",
            ["plugin.path"] = "",
        };

        var config = WorkerConfig.Parse(WorkerMode.Standalone, kafkaSample);

        Assert.Equal("localhost:9092", config.Bootstrap);
        Assert.Equal(10_000L, config.Get<long>(WorkerConfig.OffsetFlushIntervalMs));
        Assert.Equal("/tmp/connect.offsets", config.Get<string>(WorkerConfig.OffsetStorageFileName));
        Assert.Equal([new Uri("http://0.0.0.0:8083")], config.ListenerUris());
    }

    [Fact]
    public void Kafkas_sample_connect_distributed_properties_is_accepted()
    {
        // config/connect-distributed.properties of Apache Kafka.
        var kafkaSample = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "localhost:9092",
            ["group.id"] = "connect-cluster",
            ["key.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter",
            ["key.converter.schemas.enable"] = "true",
            ["value.converter.schemas.enable"] = "true",
            ["offset.storage.topic"] = "connect-offsets",
            ["offset.storage.replication.factor"] = "1",
            ["offset.storage.partitions"] = "25",
            ["config.storage.topic"] = "connect-configs",
            ["config.storage.replication.factor"] = "1",
            ["status.storage.topic"] = "connect-status",
            ["status.storage.replication.factor"] = "1",
            ["status.storage.partitions"] = "5",
            ["offset.flush.interval.ms"] = "10000",
            ["listeners"] = "HTTP://:8083",
            ["plugin.path"] = "",
        };

        var config = WorkerConfig.Parse(WorkerMode.Distributed, kafkaSample);

        Assert.Equal("connect-cluster", config.Get<string>(WorkerConfig.GroupId));
        Assert.Equal((short)1, config.Get<short>(WorkerConfig.OffsetStorageReplicationFactor));
    }

    [Fact]
    public void An_invalid_value_is_refused_naming_the_key_and_the_value()
    {
        var error = Assert.Throws<ConfigException>(() => WorkerConfig.Parse(WorkerMode.Standalone, Standalone((WorkerConfig.OffsetFlushIntervalMs, "soon"))));

        Assert.Contains("Invalid value soon for configuration offset.flush.interval.ms", error.Message);
    }

    [Theory]
    [InlineData("http://:8083", "http://0.0.0.0:8083/")]
    [InlineData("http://127.0.0.1:0", "http://127.0.0.1:0/")]
    [InlineData("http://localhost:80", "http://localhost/")]
    [InlineData("http://[::1]:9000", "http://[::1]:9000/")]
    public void A_listener_becomes_a_url_and_an_empty_host_every_interface(string listener, string expected)
    {
        var config = WorkerConfig.Parse(WorkerMode.Standalone, Standalone((WorkerConfig.Listeners, listener)));

        Assert.Equal(expected, Assert.Single(config.ListenerUris()).ToString());
    }

    [Fact]
    public void Several_listeners_are_each_a_url()
    {
        var config = WorkerConfig.Parse(WorkerMode.Standalone, Standalone((WorkerConfig.Listeners, "http://:8083, http://127.0.0.1:8084")));

        Assert.Equal([new Uri("http://0.0.0.0:8083"), new Uri("http://127.0.0.1:8084")], config.ListenerUris());
    }

    [Theory]
    [InlineData("https://:8443")]
    [InlineData("http://localhost")]
    [InlineData("localhost:8083")]
    [InlineData("ftp://:21")]
    public void A_listener_that_is_not_http_host_port_is_refused_naming_listeners(string listener)
    {
        var config = WorkerConfig.Parse(WorkerMode.Standalone, Standalone((WorkerConfig.Listeners, listener)));

        var error = Assert.Throws<ConfigException>(() => config.ListenerUris());

        Assert.Contains($"Invalid value {listener} for configuration listeners", error.Message);
        Assert.Contains("http://HOST:PORT", error.Message);
    }
}
