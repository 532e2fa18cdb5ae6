using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Runtime;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// The keys every connector config has, checked when a connector is parsed: the class is found by any of its names,
/// a sink names its topics one way, and its dead letter queue is not one of them.
/// </summary>
public sealed class ConnectorConfigTests
{
    private static readonly PluginRegistry Plugins = PluginRegistry.Create();

    private static Dictionary<string, string> Sink(params (string Key, string Value)[] extra)
    {
        var props = new Dictionary<string, string> { ["name"] = "sink", ["connector.class"] = "FileStreamSink", ["file"] = "/tmp/out.txt" };
        foreach (var (key, value) in extra) props[key] = value;
        return props;
    }

    [Theory]
    [InlineData("FileStreamSink")]
    [InlineData("FileStreamSinkConnector")]
    [InlineData("org.apache.kafka.connect.file.FileStreamSinkConnector")]
    [InlineData("AkkaBroker.Connect.Files.FileStreamSinkConnector")]
    public void A_connector_class_is_found_by_any_of_its_names(string name)
    {
        var config = ConnectorConfig.Parse(Sink(("connector.class", name), ("topics", "a")), Plugins);

        Assert.Equal(PluginKind.Sink, config.Plugin.Kind);
        Assert.Equal("FileStreamSinkConnector", config.Plugin.Type.Name);
    }

    [Fact]
    public void Absent_keys_take_their_defaults()
    {
        var config = ConnectorConfig.Parse(Sink(("topics", "a, b")), Plugins);

        Assert.Equal("sink", config.ConnectorName);
        Assert.Equal(1, config.MaxTasks);
        Assert.False(config.ToleratesAll);
        Assert.Equal(["a", "b"], config.SinkTopics);
        Assert.Null(config.SinkTopicsRegex);
        Assert.Equal(0L, config.Get<long>(ConnectorConfig.ErrorsRetryTimeoutMs));
        Assert.Equal(60_000L, config.Get<long>(ConnectorConfig.ErrorsRetryDelayMaxMs));
    }

    [Fact]
    public void A_sink_with_both_topics_and_topics_regex_is_refused()
    {
        var error = Assert.Throws<ConfigException>(() => ConnectorConfig.Parse(Sink(("topics", "a"), ("topics.regex", "a.*")), Plugins));

        Assert.Contains("topics and topics.regex are mutually exclusive", error.Message);
    }

    [Fact]
    public void A_sink_with_neither_topics_nor_topics_regex_is_refused()
    {
        var error = Assert.Throws<ConfigException>(() => ConnectorConfig.Parse(Sink(), Plugins));

        Assert.Contains("Must configure one of topics or topics.regex", error.Message);
    }

    [Fact]
    public void A_sink_with_an_invalid_topics_regex_is_refused_naming_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => ConnectorConfig.Parse(Sink(("topics.regex", "(unclosed")), Plugins));

        Assert.Contains("Invalid value (unclosed for configuration topics.regex", error.Message);
    }

    [Theory]
    [InlineData("topics", "orders,dlq")]
    [InlineData("topics.regex", "dl.*")]
    public void A_sink_whose_dead_letter_queue_is_among_its_topics_is_refused(string key, string value)
    {
        var error = Assert.Throws<ConfigException>(() => ConnectorConfig.Parse(Sink((key, value), (ConnectorConfig.DlqTopicName, "dlq")), Plugins));

        Assert.Contains("The DLQ topic 'dlq' may not be included in the list of topics", error.Message);
    }

    [Fact]
    public void A_sink_with_a_regex_and_another_dead_letter_queue_is_accepted()
    {
        var config = ConnectorConfig.Parse(Sink(("topics.regex", "orders-.*"), (ConnectorConfig.DlqTopicName, "dlq")), Plugins);

        Assert.Empty(config.SinkTopics);
        Assert.Matches(config.SinkTopicsRegex!, "orders-eu");
    }

    [Fact]
    public void A_source_needs_no_topics()
    {
        var config = ConnectorConfig.Parse(new Dictionary<string, string> { ["name"] = "src", ["connector.class"] = "FileStreamSource" }, Plugins);

        Assert.Equal(PluginKind.Source, config.Plugin.Kind);
    }

    [Fact]
    public void An_unknown_connector_class_is_refused_listing_the_known_connectors()
    {
        var error = Assert.Throws<ConfigException>(() => ConnectorConfig.Parse(Sink(("connector.class", "NoSuchConnector"), ("topics", "a")), Plugins));

        Assert.Contains("Class NoSuchConnector could not be found", error.Message);
        Assert.Contains("FileStreamSource", error.Message);
        Assert.Contains("FileStreamSink", error.Message);
    }

    [Fact]
    public void A_connector_class_that_names_a_transform_is_refused_saying_what_it_is()
    {
        var error = Assert.Throws<ConfigException>(() => ConnectorConfig.Parse(Sink(("connector.class", "RegexRouter"), ("topics", "a")), Plugins));

        Assert.Contains("RegexRouter is a transformation, not a source or sink", error.Message);
    }

    [Fact]
    public void A_missing_connector_class_is_refused_naming_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => ConnectorConfig.Parse(new Dictionary<string, string> { ["name"] = "x" }, Plugins));

        Assert.Contains("Missing required configuration \"connector.class\"", error.Message);
    }
}
