using AkkaBroker.Connect;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Runtime;
using AkkaBroker.Connect.Transforms;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// A connector's transforms, built from its config with the real transforms and predicates: applied in the order of
/// the transforms list, a transform with a predicate only to the records that match (or, negated, to those that do
/// not), and a config that names what does not exist refused naming the key.
/// </summary>
public sealed class TransformationChainTests
{
    private static readonly PluginRegistry Plugins = PluginRegistry.Create();

    private static readonly PluginRegistry WithTestPlugins = PluginRegistry.Create(extraAssemblies: [typeof(FailsRetriably).Assembly]);

    private static TransformationChain Chain(params (string Key, string Value)[] keys) => Chain(Plugins, keys);

    private static TransformationChain Chain(PluginRegistry plugins, params (string Key, string Value)[] keys)
    {
        var props = new Dictionary<string, string> { ["name"] = "src", ["connector.class"] = "FileStreamSource" };
        foreach (var (key, value) in keys) props[key] = value;
        return TransformationChain.Create(ConnectorConfig.Parse(props, plugins), plugins);
    }

    private static SourceRecord Record(string topic, object? value = null) =>
        new(new Dictionary<string, object?> { ["file"] = "f" }, new Dictionary<string, object?> { ["position"] = 1L }, topic, null,
            value ?? new Dictionary<string, object?> { ["n"] = 1L });

    private static readonly (string, string)[] IsOrders =
        [("predicates", "isOrders"), ("predicates.isOrders.type", "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"), ("predicates.isOrders.pattern", "orders")];

    [Fact]
    public void Transforms_apply_in_the_order_of_the_transforms_list()
    {
        (string, string)[] transforms =
        [
            ("transforms.first.type", "RegexRouter"), ("transforms.first.regex", "orders"), ("transforms.first.replacement", "orders-eu"),
            ("transforms.second.type", "RegexRouter"), ("transforms.second.regex", "orders-(.*)"), ("transforms.second.replacement", "region-$1"),
        ];

        var firstThenSecond = Chain([("transforms", "first,second"), .. transforms]);
        var secondThenFirst = Chain([("transforms", "second,first"), .. transforms]);

        Assert.Equal(["first", "second"], firstThenSecond.Stages.Select(s => s.Alias));
        Assert.Equal("region-eu", firstThenSecond.Apply(Record("orders"))!.Topic);
        Assert.Equal("orders-eu", secondThenFirst.Apply(Record("orders"))!.Topic);
    }

    [Fact]
    public void Each_transform_sees_the_record_the_one_before_made()
    {
        var chain = Chain(
            ("transforms", "route,insert"),
            ("transforms.route.type", "RegexRouter"), ("transforms.route.regex", "orders"), ("transforms.route.replacement", "archive"),
            ("transforms.insert.type", "InsertField$Value"), ("transforms.insert.topic.field", "from"));

        var transformed = chain.Apply(Record("orders"))!;

        Assert.Equal("archive", transformed.Topic);
        Assert.Equal("archive", Assert.IsAssignableFrom<IDictionary<string, object?>>(transformed.Value)["from"]);
        Assert.IsType<SourceRecord>(transformed);
        Assert.Equal(1L, ((SourceRecord)transformed).SourceOffset!["position"]);
    }

    [Fact]
    public void A_transform_with_a_predicate_applies_only_to_matching_records()
    {
        var chain = Chain([.. IsOrders,
            ("transforms", "insert"), ("transforms.insert.type", "org.apache.kafka.connect.transforms.InsertField$Value"),
            ("transforms.insert.static.field", "tagged"), ("transforms.insert.static.value", "yes"), ("transforms.insert.predicate", "isOrders")]);

        var matching = (IDictionary<string, object?>)chain.Apply(Record("orders"))!.Value!;
        var other = (IDictionary<string, object?>)chain.Apply(Record("payments"))!.Value!;

        Assert.Equal("yes", matching["tagged"]);
        Assert.False(other.ContainsKey("tagged"), "a record of another topic was transformed");
    }

    [Fact]
    public void Negate_true_applies_the_transform_only_to_records_that_do_not_match()
    {
        var chain = Chain([.. IsOrders,
            ("transforms", "route"), ("transforms.route.type", "RegexRouter"), ("transforms.route.regex", ".*"), ("transforms.route.replacement", "elsewhere"),
            ("transforms.route.predicate", "isOrders"), ("transforms.route.negate", "true")]);

        Assert.Equal("orders", chain.Apply(Record("orders"))!.Topic);
        Assert.Equal("elsewhere", chain.Apply(Record("payments"))!.Topic);
    }

    [Fact]
    public void Filter_with_a_predicate_drops_the_matching_records_and_keeps_the_others()
    {
        var chain = Chain([.. IsOrders, ("transforms", "drop"), ("transforms.drop.type", "Filter"), ("transforms.drop.predicate", "isOrders")]);

        Assert.Null(chain.Apply(Record("orders")));
        Assert.Equal("payments", chain.Apply(Record("payments"))!.Topic);
    }

    [Fact]
    public void A_dropped_record_goes_through_no_later_transform()
    {
        var chain = Chain(
            ("transforms", "drop,insert"), ("transforms.drop.type", "Filter"),
            ("transforms.insert.type", "InsertField$Value"), ("transforms.insert.topic.field", "from"));

        // A value InsertField cannot handle: reaching it would throw.
        Assert.Null(chain.Apply(Record("orders", value: "not a map")));
    }

    [Fact]
    public void No_transforms_leave_the_record_as_it_is()
    {
        var record = Record("orders");

        Assert.Same(record, Chain().Apply(record));
        Assert.Same(record, TransformationChain.Empty.Apply(record));
    }

    [Fact]
    public void A_transform_that_fails_is_named_by_its_alias_and_its_exception_kept_as_the_cause()
    {
        var chain = Chain(("transforms", "insert"), ("transforms.insert.type", "InsertField$Value"), ("transforms.insert.topic.field", "from"));

        var error = Assert.Throws<ConnectException>(() => chain.Apply(Record("orders", value: "not a map")));

        Assert.Contains("'insert'", error.Message);
        Assert.IsType<DataException>(error.InnerException);
    }

    [Fact]
    public void A_retriable_failure_of_a_transform_stays_retriable()
    {
        var chain = Chain(WithTestPlugins, ("transforms", "flaky"), ("transforms.flaky.type", typeof(FailsRetriably).FullName!));

        Assert.Throws<FailsRetriably.Failure>(() => chain.Apply(Record("orders")));
    }

    [Fact]
    public void An_unknown_transform_type_is_refused_naming_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => Chain(("transforms", "t"), ("transforms.t.type", "NoSuchTransform")));

        Assert.Contains("for configuration transforms.t.type", error.Message);
        Assert.Contains("Class NoSuchTransform could not be found", error.Message);
    }

    [Fact]
    public void A_transform_alias_without_a_type_is_refused_naming_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => Chain(("transforms", "t")));

        Assert.Contains("\"transforms.t.type\"", error.Message);
    }

    [Fact]
    public void A_transform_whose_predicate_is_not_listed_is_refused_naming_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => Chain(("transforms", "drop"), ("transforms.drop.type", "Filter"), ("transforms.drop.predicate", "isOrders")));

        Assert.Contains("for configuration transforms.drop.predicate", error.Message);
        Assert.Contains("There is no predicate 'isOrders'", error.Message);
    }

    [Fact]
    public void A_predicate_alias_without_a_type_is_refused_naming_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => Chain(("predicates", "p")));

        Assert.Contains("\"predicates.p.type\"", error.Message);
    }

    [Fact]
    public void A_transform_whose_own_keys_are_invalid_is_refused_naming_the_key()
    {
        var error = Assert.Throws<ConfigException>(() => Chain(("transforms", "route"), ("transforms.route.type", "RegexRouter"), ("transforms.route.regex", "a")));

        Assert.Contains("\"replacement\"", error.Message);
    }

    /// <summary>A transform whose every application meets a passing failure.</summary>
    public sealed class FailsRetriably : ITransformation
    {
        public sealed class Failure(string message) : RetriableException(message);

        public ConfigDef Config { get; } = new();

        public void Configure(IReadOnlyDictionary<string, string> configs) { }

        public ConnectRecord? Apply(ConnectRecord record) => throw new Failure("try again");

        public void Dispose() { }
    }
}
