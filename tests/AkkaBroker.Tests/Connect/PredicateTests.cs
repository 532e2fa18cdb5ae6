using AkkaBroker.Client;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Transforms.Predicates;
using Xunit;
using static AkkaBroker.Tests.Connect.TransformTesting;

namespace AkkaBroker.Tests.Connect;

public sealed class PredicateTests
{
    [Fact]
    public void TopicNameMatches_is_true_only_for_a_full_match()
    {
        using var predicate = ConfiguredPredicate<TopicNameMatches>(("pattern", "my-prefix-.*"));

        Assert.True(predicate.Test(Source(null, "v", topic: "my-prefix-orders")));
        Assert.False(predicate.Test(Source(null, "v", topic: "x-my-prefix-orders")));
    }

    [Fact]
    public void TopicNameMatches_refuses_an_empty_or_invalid_pattern()
    {
        Assert.Contains("pattern", Assert.Throws<ConfigException>(() => ConfiguredPredicate<TopicNameMatches>(("pattern", ""))).Message);
        Assert.StartsWith("Invalid value [ for configuration pattern",
            Assert.Throws<ConfigException>(() => ConfiguredPredicate<TopicNameMatches>(("pattern", "["))).Message);
        Assert.Equal("Missing required configuration \"pattern\" which has no default value.",
            Assert.Throws<ConfigException>(() => ConfiguredPredicate<TopicNameMatches>()).Message);
    }

    [Fact]
    public void HasHeaderKey_is_true_when_a_header_has_the_name()
    {
        using var predicate = ConfiguredPredicate<HasHeaderKey>(("name", "trace"));
        var record = Source(null, "v");

        Assert.False(predicate.Test(record));
        Assert.True(predicate.Test(record with { Headers = record.HeadersWith(new Header("trace", null)) }));
        Assert.False(predicate.Test(record with { Headers = record.HeadersWith(new Header("Trace", null)) }));
    }

    [Fact]
    public void RecordIsTombstone_is_true_for_a_null_value()
    {
        using var predicate = ConfiguredPredicate<RecordIsTombstone>();

        Assert.True(predicate.Test(Source(null, null)));
        Assert.False(predicate.Test(Source(null, "v")));
    }

    [Fact]
    public void Predicates_are_found_by_Kafka_class_names()
    {
        Assert.Equal(["org.apache.kafka.connect.transforms.predicates.TopicNameMatches"], AliasesOf(typeof(TopicNameMatches)));
        Assert.Equal(["org.apache.kafka.connect.transforms.predicates.HasHeaderKey"], AliasesOf(typeof(HasHeaderKey)));
        Assert.Equal(["org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"], AliasesOf(typeof(RecordIsTombstone)));
    }
}
