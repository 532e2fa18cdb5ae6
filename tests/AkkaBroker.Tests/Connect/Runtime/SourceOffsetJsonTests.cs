using System.Text.Json;
using AkkaBroker.Connect.Runtime;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// The JSON form of source partitions and offsets: one partition has one stored key whatever the order of its map's
/// keys, and values come back with the type they were stored with.
/// </summary>
public sealed class SourceOffsetJsonTests
{
    [Fact]
    public void A_partition_has_one_key_whatever_the_order_of_its_map_keys_nested_maps_included()
    {
        var one = new Dictionary<string, object?> { ["file"] = "a.txt", ["shard"] = 3L, ["where"] = new Dictionary<string, object?> { ["x"] = 1L, ["y"] = 2L } };
        var other = new Dictionary<string, object?> { ["where"] = new Dictionary<string, object?> { ["y"] = 2L, ["x"] = 1L }, ["shard"] = 3L, ["file"] = "a.txt" };

        Assert.Equal(SourceOffsetJson.Key("c", one), SourceOffsetJson.Key("c", other));
        Assert.Equal(SourceOffsetJson.Write(one), SourceOffsetJson.Write(other));
        Assert.Equal("""["c",{"file":"a.txt","shard":3,"where":{"x":1,"y":2}}]""", SourceOffsetJson.Key("c", one));
    }

    [Fact]
    public void An_int_and_a_long_of_the_same_value_are_one_partition()
    {
        Assert.Equal(SourceOffsetJson.Key("c", new Dictionary<string, object?> { ["n"] = 5 }), SourceOffsetJson.Key("c", new Dictionary<string, object?> { ["n"] = 5L }));
    }

    [Fact]
    public void A_stored_key_parses_back_into_its_connector_and_partition()
    {
        var parsed = SourceOffsetJson.ParseKey(SourceOffsetJson.Key("my-connector", new Dictionary<string, object?> { ["file"] = "a.txt" }));

        Assert.NotNull(parsed);
        Assert.Equal("my-connector", parsed.Value.Connector);
        Assert.Equal("a.txt", parsed.Value.Partition["file"]);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"file":"a"}""")]
    [InlineData("""["c"]""")]
    [InlineData("""[1,{"file":"a"}]""")]
    public void A_key_not_in_the_stored_form_parses_to_null(string key)
    {
        Assert.Null(SourceOffsetJson.ParseKey(key));
    }

    [Fact]
    public void Values_round_trip_with_their_types_and_a_long_stays_a_long()
    {
        var offset = new Dictionary<string, object?>
        {
            ["long"] = long.MaxValue,
            ["int"] = 42,
            ["double"] = 1.5,
            ["string"] = "é \"quoted\"",
            ["true"] = true,
            ["false"] = false,
            ["null"] = null,
            ["nested"] = new Dictionary<string, object?> { ["inner"] = -7L, ["list"] = new List<object?> { 1L, "two", 3.25 } },
        };

        var read = SourceOffsetJson.Read(SourceOffsetJson.Write(offset))!;

        Assert.Equal(long.MaxValue, Assert.IsType<long>(read["long"]));
        Assert.Equal(42L, Assert.IsType<long>(read["int"]));
        Assert.Equal(1.5, Assert.IsType<double>(read["double"]));
        Assert.Equal("é \"quoted\"", Assert.IsType<string>(read["string"]));
        Assert.True(Assert.IsType<bool>(read["true"]));
        Assert.False(Assert.IsType<bool>(read["false"]));
        Assert.True(read.ContainsKey("null"));
        Assert.Null(read["null"]);
        var nested = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(read["nested"]);
        Assert.Equal(-7L, Assert.IsType<long>(nested["inner"]));
        Assert.Equal([1L, "two", 3.25], Assert.IsAssignableFrom<IEnumerable<object?>>(nested["list"]));
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(-0.0)]
    [InlineData(1e20)]
    [InlineData(123456789012.0)]
    public void A_double_with_a_whole_value_stays_a_double(double value)
    {
        var read = SourceOffsetJson.Read(SourceOffsetJson.Write(new Dictionary<string, object?> { ["d"] = value }))!;

        Assert.Equal(value, Assert.IsType<double>(read["d"]));
    }

    [Fact]
    public void A_float_comes_back_as_a_double()
    {
        var read = SourceOffsetJson.Read(SourceOffsetJson.Write(new Dictionary<string, object?> { ["f"] = 0.25f }))!;

        Assert.Equal(0.25, Assert.IsType<double>(read["f"]));
    }

    [Fact]
    public void Json_null_reads_as_no_map_and_a_value_that_is_not_an_object_is_refused()
    {
        Assert.Null(SourceOffsetJson.Read("null"));
        Assert.Equal("null", SourceOffsetJson.Write(null));
        Assert.Throws<JsonException>(() => SourceOffsetJson.Read("[1]"));
    }

    [Fact]
    public void A_value_of_another_type_is_refused_naming_what_is_allowed()
    {
        var error = Assert.Throws<ArgumentException>(() => SourceOffsetJson.Write(new Dictionary<string, object?> { ["when"] = DateTime.UnixEpoch }));

        Assert.Contains("strings, numbers, booleans, lists and maps", error.Message);
        Assert.Contains(nameof(DateTime), error.Message);
    }
}
