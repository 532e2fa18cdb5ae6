using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Transforms;
using Xunit;
using static AkkaBroker.Tests.Connect.TransformTesting;

namespace AkkaBroker.Tests.Connect;

public sealed class ReplaceFieldTests
{
    [Fact]
    public void ReplaceField_excludes_and_renames_fields_of_a_struct()
    {
        var schema = SchemaBuilder.Struct().Field("dont", Schema.String).Field("abc", Schema.Int32).Field("foo", Schema.Boolean).Field("etc", Schema.String).Build();
        var value = new Struct(schema).Put("dont", "whatever").Put("abc", 42).Put("foo", true).Put("etc", "etc");
        using var transform = Configured<ReplaceField.Value>(("exclude", "dont"), ("renames", "abc:xyz,foo:bar"));

        var result = transform.Apply(Source(schema, value))!;

        var updated = (Struct)result.Value!;
        Assert.Equal(["xyz", "bar", "etc"], result.ValueSchema!.Fields.Select(f => f.Name));
        Assert.Equal(Schema.Int32, result.ValueSchema.Field("xyz")!.Schema);
        Assert.Equal(42, updated.Get("xyz"));
        Assert.Equal(true, updated.Get("bar"));
        Assert.Equal("etc", updated.Get("etc"));
    }

    [Fact]
    public void ReplaceField_keeps_only_included_fields_of_a_schemaless_map_and_exclusion_wins()
    {
        var value = new Dictionary<string, object?> { ["dont"] = "whatever", ["abc"] = 42, ["foo"] = true, ["etc"] = "etc" };
        using var transform = Configured<ReplaceField.Value>(("include", "abc,foo,dont"), ("exclude", "dont"), ("renames", "abc:xyz"));

        var result = (IDictionary<string, object?>)transform.Apply(Source(null, value))!.Value!;

        Assert.Equal(2, result.Count);
        Assert.Equal(42, result["xyz"]);
        Assert.Equal(true, result["foo"]);
    }

    [Fact]
    public void ReplaceField_reads_the_deprecated_blacklist_and_whitelist()
    {
        var value = new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2, ["c"] = 3 };
        using var blacklist = Configured<ReplaceField.Value>(("blacklist", "a"));
        using var whitelist = Configured<ReplaceField.Value>(("whitelist", "a,b"), ("blacklist", "b"));
        using var both = Configured<ReplaceField.Value>(("exclude", "c"), ("blacklist", "a"));

        Assert.Equal(["b", "c"], ((IDictionary<string, object?>)blacklist.Apply(Source(null, value))!.Value!).Keys.Order());
        Assert.Equal(["a"], ((IDictionary<string, object?>)whitelist.Apply(Source(null, value))!.Value!).Keys);
        Assert.Equal(["a", "b"], ((IDictionary<string, object?>)both.Apply(Source(null, value))!.Value!).Keys.Order());
    }

    [Fact]
    public void ReplaceField_works_on_the_key()
    {
        var key = new Dictionary<string, object?> { ["id"] = 1 };
        using var transform = Configured<ReplaceField.Key>(("renames", "id:key_id"));

        var result = transform.Apply(Sink(null, key, Schema.String, "v"))!;

        Assert.Equal(1, ((IDictionary<string, object?>)result.Key!)["key_id"]);
        Assert.Equal("v", result.Value);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("a:b:c")]
    [InlineData("a:")]
    public void ReplaceField_refuses_a_rename_that_is_not_a_pair(string mapping)
    {
        var e = Assert.Throws<ConfigException>(() => Configured<ReplaceField.Value>(("renames", "x:y," + mapping)));
        Assert.Equal($"Invalid value [x:y, {mapping}] for configuration renames: Invalid rename mapping: {mapping}", e.Message);
    }

    [Fact]
    public void ReplaceField_variants_are_found_by_Kafka_class_names()
    {
        Assert.Equal(["org.apache.kafka.connect.transforms.ReplaceField$Key"], AliasesOf(typeof(ReplaceField.Key)));
        Assert.Equal(["org.apache.kafka.connect.transforms.ReplaceField$Value"], AliasesOf(typeof(ReplaceField.Value)));
    }
}
