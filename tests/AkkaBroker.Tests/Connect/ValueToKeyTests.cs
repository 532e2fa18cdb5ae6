using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Transforms;
using Xunit;
using static AkkaBroker.Tests.Connect.TransformTesting;

namespace AkkaBroker.Tests.Connect;

public sealed class ValueToKeyTests
{
    [Fact]
    public void ValueToKey_makes_a_struct_key_of_the_named_value_fields()
    {
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32).Field("b", Schema.OptionalString).Field("c", Schema.Int32).Build();
        var value = new Struct(schema).Put("a", 1).Put("b", "two").Put("c", 3);
        using var transform = Configured<ValueToKey>(("fields", "a,b"));

        var result = transform.Apply(Sink(Schema.String, "old", schema, value))!;

        var expectedKeySchema = SchemaBuilder.Struct().Field("a", Schema.Int32).Field("b", Schema.OptionalString).Build();
        Assert.Equal(expectedKeySchema, result.KeySchema);
        Assert.Equal(new Struct(expectedKeySchema).Put("a", 1).Put("b", "two"), result.Key);
        Assert.Same(value, result.Value);
    }

    [Fact]
    public void ValueToKey_makes_a_map_key_from_a_schemaless_value()
    {
        var value = new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2, ["c"] = 3 };
        using var transform = Configured<ValueToKey>(("fields", "a,b"));

        var key = (IDictionary<string, object?>)transform.Apply(Source(null, value))!.Key!;

        Assert.Equal(new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 }, key);
    }

    [Fact]
    public void ValueToKey_refuses_a_field_the_value_schema_lacks()
    {
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32).Build();
        using var transform = Configured<ValueToKey>(("fields", "a,missing"));

        var e = Assert.Throws<DataException>(() => transform.Apply(Source(schema, new Struct(schema).Put("a", 1))));
        Assert.Equal("Field does not exist: missing", e.Message);
    }

    [Fact]
    public void ValueToKey_requires_a_non_empty_field_list()
    {
        var e = Assert.Throws<ConfigException>(() => Configured<ValueToKey>(("fields", "")));
        Assert.Equal("Invalid value [] for configuration fields: Empty list", e.Message);
        Assert.Equal(["org.apache.kafka.connect.transforms.ValueToKey"], AliasesOf(typeof(ValueToKey)));
    }
}
