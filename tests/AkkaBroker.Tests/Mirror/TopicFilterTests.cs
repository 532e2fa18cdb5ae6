using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Mirror;

/// <summary>The include (whitelist) and exclude (blacklist) expressions, read as Kafka's TopicFilter reads them.</summary>
public class TopicFilterTests
{
    [Fact]
    public void The_expression_must_match_the_whole_topic_name()
    {
        var filter = new TopicFilter("orders");
        Assert.True(filter.IsIncluded("orders"));
        Assert.False(filter.IsIncluded("orders-eu"));
        Assert.False(filter.IsIncluded("old-orders"));
    }

    [Fact]
    public void A_pattern_matches_as_a_java_regex_would()
    {
        var filter = new TopicFilter("orders\\..*|payments-[0-9]+");
        Assert.True(filter.IsIncluded("orders.eu"));
        Assert.True(filter.IsIncluded("payments-42"));
        Assert.False(filter.IsIncluded("orders"));
        Assert.False(filter.IsIncluded("payments-x"));
    }

    [Fact]
    public void A_comma_means_or_as_in_kafkas_whitelist()
    {
        var filter = new TopicFilter("orders,payments");
        Assert.Equal("orders|payments", filter.Include);
        Assert.True(filter.IsIncluded("orders"));
        Assert.True(filter.IsIncluded("payments"));
        Assert.False(filter.IsIncluded("orders,payments"));
    }

    [Theory]
    [InlineData(" 'orders, payments' ")]
    [InlineData("\"orders,payments\"")]
    [InlineData("orders , payments")]
    public void Spaces_and_quotes_around_the_expression_are_dropped_as_kafka_drops_them(string raw)
    {
        var filter = new TopicFilter(raw);
        Assert.Equal("orders|payments", filter.Include);
        Assert.True(filter.IsIncluded("payments"));
    }

    [Fact]
    public void The_exclude_expression_removes_topics_the_include_expression_matched()
    {
        var filter = new TopicFilter(".*", "test.*,tmp");
        Assert.True(filter.IsIncluded("orders"));
        Assert.False(filter.IsIncluded("test-orders"));
        Assert.False(filter.IsIncluded("tmp"));
        Assert.True(filter.IsIncluded("tmp2"));
        Assert.Equal(".* except test.*|tmp", filter.ToString());
    }

    [Fact]
    public void An_empty_exclude_expression_excludes_nothing()
    {
        var filter = new TopicFilter(".*", " ");
        Assert.Null(filter.Exclude);
        Assert.True(filter.IsIncluded("orders"));
    }

    [Theory]
    [InlineData("orders[")]
    [InlineData("a)|(b")]
    [InlineData("*")]
    public void An_invalid_include_expression_is_refused_naming_it(string include)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new TopicFilter(include));
        Assert.Equal("include", e.ParamName);
        Assert.Contains("is not a valid regular expression", e.Message);
    }

    [Fact]
    public void An_invalid_exclude_expression_is_refused_naming_it()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new TopicFilter(".*", "(tmp"));
        Assert.Equal("exclude", e.ParamName);
        Assert.Contains("'(tmp'", e.Message);
    }

    [Fact]
    public void An_empty_include_expression_is_refused_because_it_would_mirror_nothing()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new TopicFilter(" '' "));
        Assert.Contains("'.*'", e.Message);
    }
}
