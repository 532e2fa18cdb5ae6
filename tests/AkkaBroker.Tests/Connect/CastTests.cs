using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Transforms;
using Xunit;
using static AkkaBroker.Tests.Connect.TransformTesting;

namespace AkkaBroker.Tests.Connect;

public sealed class CastTests
{
    [Fact]
    public void Cast_changes_the_named_fields_and_their_schema()
    {
        var schema = SchemaBuilder.Struct()
            .Field("name", Schema.String)
            .Field("age", Schema.Int32)
            .Field("score", SchemaBuilder.Float64().Optional().DefaultValue(2.5).Build())
            .Build();
        var value = new Struct(schema).Put("name", "ann").Put("age", 42).Put("score", 97.25);
        using var transform = Configured<Cast.Value>(("spec", "age:int64,score:float32"));

        var result = transform.Apply(Source(schema, value))!;

        var updatedSchema = result.ValueSchema!;
        Assert.Equal(Schema.String, updatedSchema.Field("name")!.Schema);
        Assert.Equal(Schema.Int64, updatedSchema.Field("age")!.Schema);
        Assert.Equal(SchemaBuilder.Float32().Optional().DefaultValue(2.5f).Build(), updatedSchema.Field("score")!.Schema);
        var updated = (Struct)result.Value!;
        Assert.Equal("ann", updated.Get("name"));
        Assert.Equal(42L, updated.Get("age"));
        Assert.Equal(97.25f, updated.Get("score"));
    }

    [Fact]
    public void Cast_of_a_whole_value_changes_its_type_and_keeps_optionality()
    {
        using var transform = Configured<Cast.Value>(("spec", "int8"));

        var result = transform.Apply(Source(Schema.OptionalInt32, 300))!;

        Assert.Equal(Schema.OptionalInt8, result.ValueSchema);
        Assert.Equal((sbyte)44, result.Value); // 300 narrows as Java's byteValue() does
    }

    [Theory]
    [InlineData("string", 42, "42")]
    [InlineData("string", 1.0, "1.0")]
    [InlineData("string", true, "true")]
    [InlineData("int32", "-12", -12)]
    [InlineData("int32", true, 1)]
    [InlineData("int16", 7.9, (short)7)]
    [InlineData("float64", "1.5", 1.5)]
    [InlineData("boolean", "TRUE", true)]
    [InlineData("boolean", 0L, false)]
    [InlineData("boolean", 5, true)]
    public void Cast_of_schemaless_values_follows_Java_conversions(string type, object input, object expected)
    {
        using var transform = Configured<Cast.Value>(("spec", "f:" + type));

        var result = (IDictionary<string, object?>)transform.Apply(Source(null, new Dictionary<string, object?> { ["f"] = input, ["g"] = "kept" }))!.Value!;

        Assert.Equal(expected, result["f"]);
        Assert.Equal("kept", result["g"]);
    }

    [Fact]
    public void Cast_writes_bytes_as_base64_and_timestamps_as_iso_text()
    {
        var schema = SchemaBuilder.Struct().Field("b", Schema.Bytes).Field("ts", ConnectTimestamp.Builder().Build()).Field("d", ConnectDate.Builder().Build()).Build();
        var value = new Struct(schema).Put("b", new byte[] { 1, 2, 3 })
            .Put("ts", new DateTime(2024, 1, 31, 10, 20, 30, 456, DateTimeKind.Utc)).Put("d", new DateTime(2024, 1, 31, 0, 0, 0, DateTimeKind.Utc));
        using var transform = Configured<Cast.Value>(("spec", "b:string,ts:string,d:string"));

        var updated = (Struct)transform.Apply(Source(schema, value))!.Value!;

        Assert.Equal("AQID", updated.Get("b"));
        Assert.Equal("2024-01-31T10:20:30.456Z", updated.Get("ts"));
        Assert.Equal("2024-01-31", updated.Get("d"));
    }

    [Fact]
    public void Cast_of_a_timestamp_to_int64_gives_its_milliseconds()
    {
        var schema = SchemaBuilder.Struct().Field("ts", ConnectTimestamp.Builder().Build()).Build();
        using var transform = Configured<Cast.Value>(("spec", "ts:int64"));

        var updated = (Struct)transform.Apply(Source(schema, new Struct(schema).Put("ts", DateTime.UnixEpoch.AddMilliseconds(1234))))!.Value!;

        Assert.Equal(1234L, updated.Get("ts"));
    }

    [Fact]
    public void Cast_refuses_bytes_to_a_number_and_text_that_does_not_parse()
    {
        using var toInt = Configured<Cast.Value>(("spec", "int32"));

        Assert.Equal("Unexpected type in Cast transformation: System.Byte[]",
            Assert.Throws<DataException>(() => toInt.Apply(Source(Schema.Bytes, new byte[] { 1 }))).Message);
        Assert.Equal("Value (abc) was out of range for requested data type",
            Assert.Throws<DataException>(() => toInt.Apply(Source(null, "abc"))).Message);
        Assert.Equal("Cast transformation does not support casting to/from ARRAY; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]",
            Assert.Throws<DataException>(() => toInt.Apply(Source(null, new List<object?>()))).Message);
    }

    [Theory]
    [InlineData("a:int32:x", "Invalid value [a:int32:x] for configuration spec: Invalid cast mapping: a:int32:x")]
    [InlineData("a:uuid", "Invalid type found in casting spec: uuid")]
    [InlineData("a:bytes", "Cast transformation does not support casting to/from BYTES; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]")]
    [InlineData("int32,a:int64", "Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec")]
    public void Cast_refuses_a_bad_spec(string spec, string message)
    {
        Assert.Equal(message, Assert.Throws<ConfigException>(() => Configured<Cast.Value>(("spec", spec))).Message);
    }

    [Fact]
    public void Cast_variants_are_found_by_Kafka_class_names()
    {
        Assert.Equal(["org.apache.kafka.connect.transforms.Cast$Key"], AliasesOf(typeof(Cast.Key)));
        Assert.Equal(["org.apache.kafka.connect.transforms.Cast$Value"], AliasesOf(typeof(Cast.Value)));
    }
}
