using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Transforms;
using Xunit;
using static AkkaBroker.Tests.Connect.TransformTesting;

namespace AkkaBroker.Tests.Connect;

public sealed class RegexRouterTests
{
    [Theory]
    [InlineData("(.*)-(.*)", "$2", "orders-eu", "eu")]
    [InlineData("(.*)-(.*)", "$2.$1", "orders-eu", "eu.orders")]
    [InlineData("prefix-(?<rest>.*)", "new-${rest}", "prefix-a-b", "new-a-b")]
    [InlineData("(a)", "\\$1$1", "a", "$1a")]
    [InlineData("orders", "other", "orders-eu", "orders-eu")] // only a full match routes
    public void RegexRouter_replaces_a_matching_topic_with_java_style_groups(string regex, string replacement, string topic, string expected)
    {
        using var transform = Configured<RegexRouter>(("regex", regex), ("replacement", replacement));

        var result = transform.Apply(Source(null, "v", topic: topic))!;

        Assert.Equal(expected, result.Topic);
        Assert.IsType<AkkaBroker.Connect.SourceRecord>(result);
    }

    [Fact]
    public void RegexRouter_refuses_a_missing_key_a_bad_regex_and_an_unknown_group()
    {
        Assert.Equal("Missing required configuration \"replacement\" which has no default value.",
            Assert.Throws<ConfigException>(() => Configured<RegexRouter>(("regex", "x"))).Message);
        Assert.StartsWith("Invalid value ( for configuration regex",
            Assert.Throws<ConfigException>(() => Configured<RegexRouter>(("regex", "("), ("replacement", "x"))).Message);
        Assert.Equal("Invalid value $2 for configuration replacement: No group 2",
            Assert.Throws<ConfigException>(() => Configured<RegexRouter>(("regex", "(.*)"), ("replacement", "$2"))).Message);
        Assert.Equal(["org.apache.kafka.connect.transforms.RegexRouter"], AliasesOf(typeof(RegexRouter)));
    }
}

public sealed class TimestampRouterTests
{
    [Fact]
    public void TimestampRouter_names_the_topic_from_topic_and_utc_day_by_default()
    {
        using var transform = Configured<TimestampRouter>();

        var result = transform.Apply(Sink(null, null, null, "v", topic: "test", timestamp: 1483425001864L))!; // 2017-01-03T06:30:01.864Z

        Assert.Equal("test-20170103", result.Topic);
        Assert.IsType<AkkaBroker.Connect.SinkRecord>(result);
        Assert.Equal("test", ((AkkaBroker.Connect.SinkRecord)result).OriginalTopic);
    }

    [Fact]
    public void TimestampRouter_uses_topic_format_and_timestamp_format()
    {
        using var transform = Configured<TimestampRouter>(("topic.format", "${timestamp}_${topic}_x"), ("timestamp.format", "yyyy-MM-dd'T'HH"));

        Assert.Equal("2017-01-03T06_orders_x", transform.Apply(Source(null, "v", topic: "orders", timestamp: 1483425001864L))!.Topic);
    }

    [Fact]
    public void TimestampRouter_refuses_a_record_without_timestamp_and_a_bad_pattern()
    {
        using var transform = Configured<TimestampRouter>();

        Assert.StartsWith("Timestamp missing on record: ", Assert.Throws<DataException>(() => transform.Apply(Source(null, "v"))).Message);
        Assert.StartsWith("Invalid value yyyyww for configuration timestamp.format",
            Assert.Throws<ConfigException>(() => Configured<TimestampRouter>(("timestamp.format", "yyyyww"))).Message);
        Assert.Equal(["org.apache.kafka.connect.transforms.TimestampRouter"], AliasesOf(typeof(TimestampRouter)));
    }
}

public sealed class FilterTests
{
    [Fact]
    public void Filter_drops_every_record()
    {
        using var transform = Configured<Filter>();

        Assert.Null(transform.Apply(Source(null, "v")));
        Assert.Equal(["org.apache.kafka.connect.transforms.Filter"], AliasesOf(typeof(Filter)));
    }
}
