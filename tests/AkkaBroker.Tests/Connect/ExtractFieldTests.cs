using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Transforms;
using Xunit;
using static AkkaBroker.Tests.Connect.TransformTesting;

namespace AkkaBroker.Tests.Connect;

public sealed class ExtractFieldTests
{
    [Fact]
    public void ExtractField_replaces_a_struct_key_with_the_field_and_its_schema()
    {
        var keySchema = SchemaBuilder.Struct().Field("magic", Schema.Int32).Field("other", Schema.String).Build();
        using var transform = Configured<ExtractField.Key>(("field", "magic"));

        var result = transform.Apply(Sink(keySchema, new Struct(keySchema).Put("magic", 42).Put("other", "x"), null, null))!;

        Assert.Equal(Schema.Int32, result.KeySchema);
        Assert.Equal(42, result.Key);
    }

    [Fact]
    public void ExtractField_takes_the_entry_of_a_schemaless_map_and_null_when_absent()
    {
        using var transform = Configured<ExtractField.Value>(("field", "magic"));

        Assert.Equal(42, transform.Apply(Source(null, new Dictionary<string, object?> { ["magic"] = 42 }))!.Value);
        Assert.Null(transform.Apply(Source(null, new Dictionary<string, object?> { ["other"] = 1 }))!.Value);
        Assert.Null(transform.Apply(Source(null, null))!.Value);
    }

    [Fact]
    public void ExtractField_refuses_a_field_the_schema_lacks()
    {
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32).Build();
        using var transform = Configured<ExtractField.Value>(("field", "nope"));

        var e = Assert.Throws<DataException>(() => transform.Apply(Source(schema, new Struct(schema).Put("a", 1))));
        Assert.Equal("Unknown field: nope", e.Message);
    }

    [Fact]
    public void ExtractField_requires_the_field_key()
    {
        Assert.Equal("Missing required configuration \"field\" which has no default value.",
            Assert.Throws<ConfigException>(() => Configured<ExtractField.Value>()).Message);
        Assert.Equal(["org.apache.kafka.connect.transforms.ExtractField$Key"], AliasesOf(typeof(ExtractField.Key)));
        Assert.Equal(["org.apache.kafka.connect.transforms.ExtractField$Value"], AliasesOf(typeof(ExtractField.Value)));
    }
}
