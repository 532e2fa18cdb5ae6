using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Transforms;
using Xunit;
using static AkkaBroker.Tests.Connect.TransformTesting;

namespace AkkaBroker.Tests.Connect;

public sealed class MaskFieldTests
{
    private static readonly Schema Schema_ = SchemaBuilder.Struct()
        .Field("magic", Schema.Int32)
        .Field("bool", Schema.Boolean)
        .Field("int64", Schema.Int64)
        .Field("float64", Schema.Float64)
        .Field("string", Schema.String)
        .Field("date", ConnectDate.Builder().Build())
        .Field("decimal", ConnectDecimal.Builder(0).Build())
        .Field("array", SchemaBuilder.Array(Schema.Int32).Build())
        .Field("map", SchemaBuilder.Map(Schema.String, Schema.String).Build())
        .Build();

    private static Struct Value() => new Struct(Schema_)
        .Put("magic", 42).Put("bool", true).Put("int64", 42L).Put("float64", 42.0).Put("string", "blabla")
        .Put("date", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc)).Put("decimal", 42m)
        .Put("array", new List<object?> { 1, 2 }).Put("map", new Dictionary<object, object?> { ["k"] = "v" });

    [Fact]
    public void MaskField_replaces_struct_fields_with_the_empty_value_of_their_type()
    {
        using var transform = Configured<MaskField.Value>(("fields", "bool,int64,float64,string,date,decimal,array,map"));

        var result = transform.Apply(Source(Schema_, Value()))!;

        var masked = (Struct)result.Value!;
        Assert.Same(Schema_, result.ValueSchema);
        Assert.Equal(42, masked.Get("magic"));
        Assert.Equal(false, masked.Get("bool"));
        Assert.Equal(0L, masked.Get("int64"));
        Assert.Equal(0.0, masked.Get("float64"));
        Assert.Equal("", masked.Get("string"));
        Assert.Equal(DateTime.UnixEpoch, masked.Get("date"));
        Assert.Equal(0m, masked.Get("decimal"));
        Assert.Empty((List<object?>)masked.Get("array")!);
        Assert.Empty((Dictionary<object, object?>)masked.Get("map")!);
    }

    [Fact]
    public void MaskField_uses_the_replacement_parsed_as_the_field_type_in_a_schemaless_map()
    {
        var value = new Dictionary<string, object?> { ["magic"] = 42, ["string"] = "blabla", ["float"] = 1.5 };
        using var transform = Configured<MaskField.Value>(("fields", "magic,string,float"), ("replacement", "123"));

        var masked = (IDictionary<string, object?>)transform.Apply(Source(null, value))!.Value!;

        Assert.Equal(123, masked["magic"]);
        Assert.Equal("123", masked["string"]);
        Assert.Equal(123.0, masked["float"]);
        Assert.Equal(42, value["magic"]); // the input map is not changed
    }

    [Fact]
    public void MaskField_refuses_a_replacement_that_does_not_parse_or_a_type_it_cannot_mask()
    {
        using var transform = Configured<MaskField.Value>(("fields", "magic,bool"), ("replacement", "abc"));

        var number = Assert.Throws<DataException>(() => transform.Apply(Source(null, new Dictionary<string, object?> { ["magic"] = 42 })));
        Assert.Equal("Unable to convert abc (System.String) to number", number.Message);
        var boolean = Assert.Throws<DataException>(() => transform.Apply(Source(null, new Dictionary<string, object?> { ["bool"] = true })));
        Assert.Equal("Cannot mask value of type System.Boolean with custom replacement.", boolean.Message);
    }

    [Fact]
    public void MaskField_requires_fields_and_a_non_empty_replacement()
    {
        Assert.Equal("Missing required configuration \"fields\" which has no default value.",
            Assert.Throws<ConfigException>(() => Configured<MaskField.Value>()).Message);
        Assert.Contains("replacement", Assert.Throws<ConfigException>(() => Configured<MaskField.Value>(("fields", "a"), ("replacement", " "))).Message);
    }

    [Fact]
    public void MaskField_variants_are_found_by_Kafka_class_names()
    {
        Assert.Equal(["org.apache.kafka.connect.transforms.MaskField$Key"], AliasesOf(typeof(MaskField.Key)));
        Assert.Equal(["org.apache.kafka.connect.transforms.MaskField$Value"], AliasesOf(typeof(MaskField.Value)));
    }
}
