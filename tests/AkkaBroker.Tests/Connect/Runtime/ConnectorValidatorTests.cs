using AkkaBroker.Connect.Runtime;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// Checking a whole connector config without starting anything: every problem is reported at once, on the key it is
/// about, and the error count is the number of messages.
/// </summary>
public sealed class ConnectorValidatorTests
{
    private static readonly PluginRegistry Plugins = PluginRegistry.Create();

    private static Dictionary<string, string> Sink(params (string Key, string Value)[] extra)
    {
        var props = new Dictionary<string, string> { ["name"] = "sink", ["connector.class"] = "FileStreamSink", ["file"] = "/tmp/out.txt", ["topics"] = "a" };
        foreach (var (key, value) in extra) props[key] = value;
        return props;
    }

    private static IReadOnlyList<string> ErrorsOf(ConfigInfos infos, string key) =>
        infos.Configs.Where(c => c.Value.Name == key).SelectMany(c => c.Value.ErrorMessages).ToList();

    private static void AssertErrorCountIsTheNumberOfMessages(ConfigInfos infos) =>
        Assert.Equal(infos.Configs.Sum(c => c.Value.ErrorMessages.Count), infos.ErrorCount);

    [Fact]
    public void A_valid_sink_config_has_no_errors()
    {
        var infos = ConnectorValidator.Validate(Sink(), Plugins);

        Assert.Equal(0, infos.ErrorCount);
        Assert.Equal("FileStreamSinkConnector", infos.Name);
        Assert.Contains(infos.Configs, c => c.Value.Name == "file" && c.Definition != null);
        Assert.Contains("Common", infos.Groups);
    }

    [Fact]
    public void A_sink_with_both_topics_and_topics_regex_has_an_error_on_topics()
    {
        var infos = ConnectorValidator.Validate(Sink(("topics.regex", "a.*")), Plugins);

        Assert.Contains(ErrorsOf(infos, "topics"), e => e.Contains("mutually exclusive"));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_sink_with_neither_topics_nor_topics_regex_has_an_error_on_topics()
    {
        var props = Sink();
        props.Remove("topics");

        var infos = ConnectorValidator.Validate(props, Plugins);

        Assert.Contains(ErrorsOf(infos, "topics"), e => e.Contains("Must configure one of topics or topics.regex"));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_sink_whose_dead_letter_queue_is_among_its_topics_has_an_error()
    {
        var infos = ConnectorValidator.Validate(Sink(("topics", "a,dlq"), (ConnectorConfig.DlqTopicName, "dlq")), Plugins);

        Assert.Contains(infos.Configs.SelectMany(c => c.Value.ErrorMessages), e => e.Contains("The DLQ topic 'dlq' may not be included"));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_sink_with_an_invalid_topics_regex_has_an_error_on_topics_regex()
    {
        var props = Sink(("topics.regex", "(unclosed"));
        props.Remove("topics");

        var infos = ConnectorValidator.Validate(props, Plugins);

        Assert.Contains(ErrorsOf(infos, "topics.regex"), e => e.Contains("Invalid value (unclosed for configuration topics.regex"));
        Assert.Empty(ErrorsOf(infos, "topics"));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_common_key_that_does_not_parse_in_a_sink_is_reported_once_on_its_own_key()
    {
        var infos = ConnectorValidator.Validate(Sink(("tasks.max", "0")), Plugins);

        Assert.Single(ErrorsOf(infos, "tasks.max"));
        Assert.Empty(ErrorsOf(infos, "topics"));
        Assert.Equal(1, infos.ErrorCount);
    }

    [Fact]
    public void An_unknown_connector_class_has_an_error_on_connector_class_listing_the_known_ones()
    {
        var infos = ConnectorValidator.Validate(Sink(("connector.class", "NoSuchConnector")), Plugins);

        var error = Assert.Single(ErrorsOf(infos, "connector.class"));
        Assert.Contains("Class NoSuchConnector could not be found", error);
        Assert.Contains("FileStreamSource", error);
        Assert.Contains("FileStreamSink", error);
        Assert.Equal("NoSuchConnector", infos.Name);
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_missing_connector_class_has_an_error_on_connector_class()
    {
        var props = Sink();
        props.Remove("connector.class");

        var infos = ConnectorValidator.Validate(props, Plugins);

        Assert.Contains(ErrorsOf(infos, "connector.class"), e => e.Contains("Missing required configuration \"connector.class\""));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_transform_alias_without_a_type_has_an_error_on_its_type_key()
    {
        var infos = ConnectorValidator.Validate(Sink(("transforms", "route")), Plugins);

        Assert.Contains(ErrorsOf(infos, "transforms.route.type"), e => e.Contains("Missing required configuration \"transforms.route.type\""));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void An_unknown_transform_type_has_an_error_on_its_type_key()
    {
        var infos = ConnectorValidator.Validate(Sink(("transforms", "t"), ("transforms.t.type", "NoSuchTransform")), Plugins);

        Assert.Contains(ErrorsOf(infos, "transforms.t.type"), e => e.Contains("Class NoSuchTransform could not be found") && e.Contains("RegexRouter"));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_transforms_own_keys_are_checked_under_its_prefix()
    {
        var infos = ConnectorValidator.Validate(Sink(("transforms", "route"), ("transforms.route.type", "RegexRouter"), ("transforms.route.regex", "(a")), Plugins);

        Assert.NotEmpty(ErrorsOf(infos, "transforms.route.regex"));
        Assert.Contains(ErrorsOf(infos, "transforms.route.replacement"), e => e.Contains("Missing required configuration \"replacement\""));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_transform_conditioned_on_a_predicate_alias_that_is_not_listed_has_an_error_on_its_predicate_key()
    {
        var infos = ConnectorValidator.Validate(Sink(
            ("transforms", "route"), ("transforms.route.type", "RegexRouter"), ("transforms.route.regex", "a"), ("transforms.route.replacement", "b"),
            ("transforms.route.predicate", "isA")), Plugins);

        Assert.Contains(ErrorsOf(infos, "transforms.route.predicate"), e => e.Contains("There is no predicate 'isA'"));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_transform_with_a_negate_that_is_not_a_boolean_has_an_error_on_its_negate_key()
    {
        var infos = ConnectorValidator.Validate(Sink(
            ("transforms", "route"), ("transforms.route.type", "RegexRouter"), ("transforms.route.regex", "a"), ("transforms.route.replacement", "b"),
            ("predicates", "isA"), ("predicates.isA.type", "TopicNameMatches"), ("predicates.isA.pattern", "a"),
            ("transforms.route.predicate", "isA"), ("transforms.route.negate", "sometimes")), Plugins);

        Assert.Contains(ErrorsOf(infos, "transforms.route.negate"), e => e.Contains("Invalid value sometimes for configuration transforms.route.negate"));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void A_transform_conditioned_on_a_listed_predicate_is_valid()
    {
        var infos = ConnectorValidator.Validate(Sink(
            ("transforms", "route"), ("transforms.route.type", "RegexRouter"), ("transforms.route.regex", "a"), ("transforms.route.replacement", "b"),
            ("predicates", "isA"), ("predicates.isA.type", "TopicNameMatches"), ("predicates.isA.pattern", "a"),
            ("transforms.route.predicate", "isA"), ("transforms.route.negate", "true")), Plugins);

        Assert.Equal(0, infos.ErrorCount);
    }

    [Fact]
    public void A_predicate_alias_without_a_type_has_an_error_on_its_type_key()
    {
        var infos = ConnectorValidator.Validate(Sink(("predicates", "isA")), Plugins);

        Assert.Contains(ErrorsOf(infos, "predicates.isA.type"), e => e.Contains("Missing required configuration \"predicates.isA.type\""));
        AssertErrorCountIsTheNumberOfMessages(infos);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_and_the_error_count_is_the_number_of_messages()
    {
        var props = Sink(("tasks.max", "0"), ("errors.tolerance", "some"), ("topics.regex", "a.*"), ("transforms", "x,y"), ("transforms.y.type", "Nope"),
            ("key.converter", "NoSuchConverter"));
        props.Remove("file");

        var infos = ConnectorValidator.Validate(props, Plugins);

        Assert.NotEmpty(ErrorsOf(infos, "tasks.max"));
        Assert.NotEmpty(ErrorsOf(infos, "errors.tolerance"));
        Assert.NotEmpty(ErrorsOf(infos, "file"));
        Assert.NotEmpty(ErrorsOf(infos, "topics"));
        Assert.NotEmpty(ErrorsOf(infos, "transforms.x.type"));
        Assert.NotEmpty(ErrorsOf(infos, "transforms.y.type"));
        Assert.NotEmpty(ErrorsOf(infos, "key.converter"));
        Assert.True(infos.ErrorCount >= 7, $"expected at least 7 errors, got {infos.ErrorCount}");
        AssertErrorCountIsTheNumberOfMessages(infos);
        Assert.Contains($"contains the following {infos.ErrorCount} error(s)", infos.ErrorMessage());
    }
}
