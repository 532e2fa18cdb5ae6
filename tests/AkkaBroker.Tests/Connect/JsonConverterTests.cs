using System.Text;
using AkkaBroker.Connect;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Json;
using Xunit;

namespace AkkaBroker.Tests.Connect;

/// <summary>Kafka's JsonConverter: the envelope, every type, logical types, both decimal formats, schemaless JSON and the errors.</summary>
public sealed class JsonConverterTests
{
    private const string Topic = "topic";

    private static JsonConverter Converter(params (string Key, string Value)[] configs)
    {
        var converter = new JsonConverter();
        converter.Configure(configs.ToDictionary(c => c.Key, c => c.Value), isKey: false);
        return converter;
    }

    private static string Json(byte[]? bytes) => Encoding.UTF8.GetString(bytes!);

    private static SchemaAndValue Read(JsonConverter converter, string json) => converter.ToConnectData(Topic, Encoding.UTF8.GetBytes(json));

    private static SchemaAndValue RoundTrip(JsonConverter converter, Schema schema, object? value) =>
        converter.ToConnectData(Topic, converter.FromConnectData(Topic, schema, value));

    [Fact]
    public void A_struct_with_int32_and_optional_string_is_written_exactly_as_Kafka_writes_it()
    {
        var schema = SchemaBuilder.Struct().Field("id", Schema.Int32).Field("name", Schema.OptionalString).Build();
        var value = new Struct(schema).Put("id", 42).Put("name", "alice");

        var json = Json(Converter().FromConnectData(Topic, schema, value));

        Assert.Equal(
            """{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false},"payload":{"id":42,"name":"alice"}}""",
            json);
    }

    [Fact]
    public void A_named_schema_with_version_doc_parameters_and_default_is_written_in_Kafka_order()
    {
        var schema = SchemaBuilder.Int32().Optional().Name("my.count").Version(3).Doc("a count").Parameter("p", "v").DefaultValue(7).Build();

        var json = Json(Converter().FromConnectData(Topic, schema, 5));

        Assert.Equal("""{"schema":{"type":"int32","optional":true,"name":"my.count","version":3,"doc":"a count","parameters":{"p":"v"},"default":7},"payload":5}""", json);
        Assert.Equal(new SchemaAndValue(schema, 5), Read(Converter(), json));
    }

    [Theory]
    [InlineData("int8", (sbyte)-12, "-12")]
    [InlineData("int16", (short)1234, "1234")]
    [InlineData("int32", 123456, "123456")]
    [InlineData("int64", 1234567890123L, "1234567890123")]
    [InlineData("float", 1.5f, "1.5")]
    [InlineData("double", 1.0, "1.0")]
    [InlineData("double", 1e7, "1.0E7")]
    [InlineData("boolean", true, "true")]
    [InlineData("string", "héllo \"x\"", "\"héllo \\\"x\\\"\"")]
    public void Every_primitive_type_round_trips_with_Kafka_type_name_and_payload(string typeName, object value, string payload)
    {
        var type = typeName switch { "float" => SchemaType.Float32, "double" => SchemaType.Float64, var t => SchemaTypeNames.Parse(t)!.Value };
        var schema = SchemaBuilder.Type(type).Build();
        var converter = Converter();

        var json = Json(converter.FromConnectData(Topic, schema, value));

        Assert.Equal($$"""{"schema":{"type":"{{typeName}}","optional":false},"payload":{{payload}}}""", json);
        Assert.Equal(new SchemaAndValue(schema, value), Read(converter, json));
    }

    [Fact]
    public void Bytes_are_written_as_base64_and_read_back()
    {
        var converter = Converter();
        var json = Json(converter.FromConnectData(Topic, Schema.Bytes, new byte[] { 1, 2, 255 }));

        Assert.Equal("""{"schema":{"type":"bytes","optional":false},"payload":"AQL/"}""", json);
        Assert.Equal(new byte[] { 1, 2, 255 }, (byte[])Read(converter, json).Value!);
    }

    [Fact]
    public void Structs_nested_in_arrays_and_maps_round_trip()
    {
        var inner = SchemaBuilder.Struct().Name("point").Field("x", Schema.Int32).Field("y", Schema.OptionalFloat64).Build();
        var schema = SchemaBuilder.Struct()
            .Field("points", SchemaBuilder.Array(inner).Build())
            .Field("byName", SchemaBuilder.Map(Schema.String, inner).Build())
            .Field("byId", SchemaBuilder.Map(Schema.Int32, inner).Optional().Build())
            .Build();
        var p1 = new Struct(inner).Put("x", 1).Put("y", 2.5);
        var p2 = new Struct(inner).Put("x", 3);
        var value = new Struct(schema)
            .Put("points", new List<object?> { p1, p2 })
            .Put("byName", new Dictionary<object, object?> { ["a"] = p1 })
            .Put("byId", new Dictionary<object, object?> { [7] = p2 });
        var converter = Converter();

        var bytes = converter.FromConnectData(Topic, schema, value);
        var back = converter.ToConnectData(Topic, bytes);

        Assert.Contains("\"payload\":{\"points\":[{\"x\":1,\"y\":2.5},{\"x\":3,\"y\":null}],\"byName\":{\"a\":{\"x\":1,\"y\":2.5}},\"byId\":[[7,{\"x\":3,\"y\":null}]]}", Json(bytes));
        Assert.Equal(schema, back.Schema);
        Assert.Equal(value, back.Value);
    }

    [Fact]
    public void A_map_with_non_string_keys_is_an_array_of_pairs()
    {
        var schema = SchemaBuilder.Map(Schema.Int64, Schema.String).Build();

        var json = Json(Converter().FromConnectData(Topic, schema, new Dictionary<object, object?> { [1L] = "one" }));

        Assert.Equal("""{"schema":{"type":"map","keys":{"type":"int64","optional":false},"values":{"type":"string","optional":false},"optional":false},"payload":[[1,"one"]]}""", json);
    }

    [Fact]
    public void Date_time_and_timestamp_are_written_as_their_integers()
    {
        var schema = SchemaBuilder.Struct()
            .Field("d", ConnectDate.Builder().Build())
            .Field("t", ConnectTime.Builder().Build())
            .Field("ts", ConnectTimestamp.Builder().Build())
            .Build();
        var value = new Struct(schema)
            .Put("d", new DateTime(1970, 1, 3, 0, 0, 0, DateTimeKind.Utc))
            .Put("t", DateTime.UnixEpoch.AddMilliseconds(1234))
            .Put("ts", DateTime.UnixEpoch.AddMilliseconds(1_500_000_000_123));
        var converter = Converter();

        var bytes = converter.FromConnectData(Topic, schema, value);

        Assert.Equal(
            """{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"d"},""" +
            """{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"t"},""" +
            """{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}],"optional":false},""" +
            "\"payload\":{\"d\":2,\"t\":1234,\"ts\":1500000000123}}", Json(bytes));
        Assert.Equal(value, converter.ToConnectData(Topic, bytes).Value);
    }

    [Fact]
    public void Decimals_are_base64_of_the_unscaled_value_by_default()
    {
        var schema = ConnectDecimal.Builder(2).Build();
        var converter = Converter();

        var json = Json(converter.FromConnectData(Topic, schema, 1.56m));

        // 156 is 0x009C in two's complement.
        Assert.Equal("""{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"AJw="}""", json);
        Assert.Equal(1.56m, Read(converter, json).Value);
    }

    [Fact]
    public void Decimals_are_json_numbers_with_decimal_format_numeric()
    {
        var schema = ConnectDecimal.Builder(2).Build();
        var converter = Converter(("decimal.format", "numeric"));

        var json = Json(converter.FromConnectData(Topic, schema, -10.5m));

        Assert.EndsWith("\"payload\":-10.50}", json);
        Assert.Equal(-10.5m, Read(converter, json).Value);
        Assert.Equal(-10.5m, Read(Converter(), json).Value); // either format is read whatever the setting
    }

    [Fact]
    public void A_null_optional_value_is_json_null_and_a_null_with_a_default_is_the_default()
    {
        var converter = Converter();
        var withDefault = SchemaBuilder.Int32().DefaultValue(9).Build();

        Assert.EndsWith("\"payload\":null}", Json(converter.FromConnectData(Topic, Schema.OptionalString, null)));
        Assert.EndsWith("\"payload\":9}", Json(converter.FromConnectData(Topic, withDefault, null)));
        Assert.EndsWith("\"payload\":null}", Json(Converter(("replace.null.with.default", "false")).FromConnectData(Topic, SchemaBuilder.Int32().Optional().DefaultValue(9).Build(), null)));
        Assert.Null(converter.FromConnectData(Topic, null, null));
        Assert.Equal(SchemaAndValue.Null, converter.ToConnectData(Topic, null));
    }

    [Fact]
    public void A_null_payload_for_a_required_schema_is_refused()
    {
        var e = Assert.Throws<DataException>(() => Read(Converter(), """{"schema":{"type":"int32","optional":false},"payload":null}"""));
        Assert.Equal("Invalid null value for required INT32 field", e.Message);
        var w = Assert.Throws<DataException>(() => Converter().FromConnectData(Topic, Schema.Int32, null));
        Assert.Equal("Conversion error: null value for field that is required and has no default value", w.Message);
    }

    [Fact]
    public void Plain_json_is_read_without_schema_as_Kafka_infers_it()
    {
        var result = Read(Converter(("schemas.enable", "false")), """{"a":1,"b":2.5,"c":[true,"x",null],"d":{"e":-3}}""");

        Assert.Null(result.Schema);
        var map = Assert.IsType<Dictionary<string, object?>>(result.Value);
        Assert.Equal(1L, map["a"]);
        Assert.Equal(2.5, map["b"]);
        Assert.Equal(new List<object?> { true, "x", null }, map["c"]);
        Assert.Equal(-3L, Assert.IsType<Dictionary<string, object?>>(map["d"])["e"]);
        Assert.Equal(1.0, Read(Converter(("schemas.enable", "false")), "1.0").Value);
    }

    [Fact]
    public void Without_schemas_values_are_written_as_plain_json()
    {
        var converter = Converter(("schemas.enable", "false"));
        var value = new Dictionary<string, object?> { ["a"] = 1L, ["b"] = new List<object?> { "x", 2.5 } };

        Assert.Equal("""{"a":1,"b":["x",2.5]}""", Json(converter.FromConnectData(Topic, null, value)));
        Assert.Equal("""{"id":1}""", Json(converter.FromConnectData(Topic, SchemaBuilder.Struct().Field("id", Schema.Int32).Build(),
            new Struct(SchemaBuilder.Struct().Field("id", Schema.Int32).Build()).Put("id", 1))));
    }

    [Fact]
    public void A_schemaless_value_in_an_envelope_has_a_null_schema()
    {
        var converter = Converter();
        var bytes = converter.FromConnectData(Topic, null, new Dictionary<string, object?> { ["k"] = "v" });

        Assert.Equal("""{"schema":null,"payload":{"k":"v"}}""", Json(bytes));
        Assert.Equal("v", ((IDictionary<string, object?>)converter.ToConnectData(Topic, bytes).Value!)["k"]);
    }

    [Theory]
    [InlineData("""{"a":1}""")]
    [InlineData("""{"schema":null,"payload":1,"extra":2}""")]
    [InlineData("42")]
    public void Input_without_the_envelope_is_refused_when_schemas_are_enabled(string json)
    {
        var e = Assert.Throws<DataException>(() => Read(Converter(), json));
        Assert.StartsWith("JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields.", e.Message);
        Assert.Contains("set schemas.enable=false", e.Message);
    }

    [Theory]
    [InlineData("""{"optional":false}""", "Schema must contain 'type' field")]
    [InlineData("""{"type":"uuid"}""", "Unknown schema type: uuid")]
    [InlineData("""{"type":"array"}""", "Array schema did not specify the element type")]
    [InlineData("""{"type":"map","keys":{"type":"string"}}""", "Map schema did not specify the value type")]
    [InlineData("""{"type":"struct","fields":{}}""", "Struct schema's \"fields\" argument is not an array.")]
    [InlineData("""{"type":"struct","fields":[{"type":"int32"}]}""", "Struct schema's field name not specified properly")]
    [InlineData("""{"type":"int32","parameters":{"a":1}}""", "Schema parameters must have string values.")]
    public void Malformed_schemas_are_refused_with_Kafka_messages(string schemaJson, string message)
    {
        var e = Assert.Throws<DataException>(() => Read(Converter(), $$"""{"schema":{{schemaJson}},"payload":null}"""));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Invalid_json_and_mismatched_payloads_are_data_errors()
    {
        Assert.StartsWith("Converting byte[] to Kafka Connect data failed due to serialization error: ",
            Assert.Throws<DataException>(() => Read(Converter(), "{not json")).Message);
        Assert.Equal("Structs should be encoded as JSON objects, but found ARRAY",
            Assert.Throws<DataException>(() => Read(Converter(), """{"schema":{"type":"struct","fields":[]},"payload":[]}""")).Message);
        Assert.Equal("Invalid type for Date, underlying representation should be integer but was STRING",
            Assert.Throws<DataException>(() => Read(Converter(), """{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":"x"}""")).Message);
        Assert.Equal("Invalid type for INT32: System.String",
            Assert.Throws<DataException>(() => Converter().FromConnectData(Topic, Schema.Int32, "1")).Message);
    }

    [Fact]
    public void A_bad_decimal_format_is_refused_naming_the_key()
    {
        var e = Assert.Throws<ConfigException>(() => Converter(("decimal.format", "HEX")));
        Assert.Contains("decimal.format", e.Message);
        Assert.Contains("HEX", e.Message);
    }

    [Fact]
    public void The_converter_is_found_by_Kafka_class_name()
    {
        var aliases = typeof(JsonConverter).GetCustomAttributes(typeof(PluginAliasAttribute), false).Cast<PluginAliasAttribute>().Single().Aliases;
        Assert.Equal(["org.apache.kafka.connect.json.JsonConverter"], aliases);
    }
}
