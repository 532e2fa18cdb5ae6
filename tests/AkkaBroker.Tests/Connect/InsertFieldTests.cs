using AkkaBroker.Connect;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Transforms;
using Xunit;
using static AkkaBroker.Tests.Connect.TransformTesting;

namespace AkkaBroker.Tests.Connect;

public sealed class InsertFieldTests
{
    private static readonly (string, string)[] AllFields =
    [
        ("topic.field", "topic_field!"), ("partition.field", "partition_field"), ("offset.field", "offset_field?"),
        ("timestamp.field", "timestamp_field"), ("static.field", "instance_id"), ("static.value", "my-instance-id"),
    ];

    [Fact]
    public void InsertField_adds_the_fields_to_a_struct_with_the_right_schema()
    {
        var schema = SchemaBuilder.Struct().Name("name").Version(1).Doc("doc").Field("magic", Schema.OptionalInt64).Build();
        var record = Sink(null, null, schema, new Struct(schema).Put("magic", 42L), offset: 7, timestamp: 1_500_000_000_000);
        using var transform = Configured<InsertField.Value>(AllFields);

        var result = (SinkRecord)transform.Apply(record)!;

        var updatedSchema = result.ValueSchema!;
        Assert.Equal("name", updatedSchema.Name);
        Assert.Equal(1, updatedSchema.Version);
        Assert.Equal("doc", updatedSchema.Doc);
        Assert.Equal(["magic", "topic_field", "partition_field", "offset_field", "timestamp_field", "instance_id"], updatedSchema.Fields.Select(f => f.Name));
        Assert.Equal(Schema.String, updatedSchema.Field("topic_field")!.Schema);
        Assert.Equal(Schema.OptionalInt32, updatedSchema.Field("partition_field")!.Schema);
        Assert.Equal(Schema.OptionalInt64, updatedSchema.Field("offset_field")!.Schema);
        Assert.Equal(ConnectTimestamp.Builder().Optional().Build(), updatedSchema.Field("timestamp_field")!.Schema);
        Assert.Equal(Schema.OptionalString, updatedSchema.Field("instance_id")!.Schema);
        var value = (Struct)result.Value!;
        Assert.Equal(42L, value.Get("magic"));
        Assert.Equal("test", value.Get("topic_field"));
        Assert.Equal(0, value.Get("partition_field"));
        Assert.Equal(7L, value.Get("offset_field"));
        Assert.Equal(DateTime.UnixEpoch.AddMilliseconds(1_500_000_000_000), value.Get("timestamp_field"));
        Assert.Equal("my-instance-id", value.Get("instance_id"));
        Assert.Equal(7, result.KafkaOffset);
    }

    [Fact]
    public void InsertField_builds_the_updated_schema_once_per_input_schema()
    {
        var schema = SchemaBuilder.Struct().Field("a", Schema.Int32).Build();
        using var transform = Configured<InsertField.Value>(("topic.field", "t"));

        var first = transform.Apply(Source(schema, new Struct(schema).Put("a", 1)))!;
        var second = transform.Apply(Source(schema, new Struct(schema).Put("a", 2)))!;

        Assert.Same(first.ValueSchema, second.ValueSchema);
    }

    [Fact]
    public void InsertField_adds_the_fields_to_a_schemaless_map()
    {
        var record = Sink(null, null, null, new Dictionary<string, object?> { ["magic"] = 42L }, offset: 7, timestamp: 123);
        using var transform = Configured<InsertField.Value>(AllFields);

        var result = transform.Apply(record)!;

        Assert.Null(result.ValueSchema);
        var value = (IDictionary<string, object?>)result.Value!;
        Assert.Equal(42L, value["magic"]);
        Assert.Equal("test", value["topic_field"]);
        Assert.Equal(0, value["partition_field"]);
        Assert.Equal(7L, value["offset_field"]);
        Assert.Equal(123L, value["timestamp_field"]);
        Assert.Equal("my-instance-id", value["instance_id"]);
    }

    [Fact]
    public void InsertField_on_the_key_keeps_a_source_record_a_source_record()
    {
        var record = new SourceRecord(null, new Dictionary<string, object?> { ["pos"] = 3L }, "orders", 1, null, new Dictionary<string, object?>(), null, "v");
        using var transform = Configured<InsertField.Key>(("topic.field", "topic"));

        var result = Assert.IsType<SourceRecord>(transform.Apply(record));

        Assert.Equal("orders", ((IDictionary<string, object?>)result.Key!)["topic"]);
        Assert.Equal(3L, result.SourceOffset!["pos"]);
        Assert.Equal("v", result.Value);
    }

    [Fact]
    public void InsertField_passes_a_tombstone_unchanged()
    {
        var record = Source(null, null);
        using var transform = Configured<InsertField.Value>(("topic.field", "t"));

        Assert.Same(record, transform.Apply(record));
    }

    [Fact]
    public void InsertField_refuses_an_offset_for_a_source_record()
    {
        using var transform = Configured<InsertField.Value>(("offset.field", "o"));

        var e = Assert.Throws<DataException>(() => transform.Apply(Source(null, new Dictionary<string, object?>())));
        Assert.Equal("Only SinkRecord supported for [field insertion], found: AkkaBroker.Connect.SourceRecord", e.Message);
    }

    [Fact]
    public void InsertField_refuses_a_value_that_is_neither_struct_nor_map()
    {
        using var transform = Configured<InsertField.Value>(("topic.field", "t"));

        var e = Assert.Throws<DataException>(() => transform.Apply(Source(null, "text")));
        Assert.Equal("Only Map objects supported in absence of schema for [field insertion], found: System.String", e.Message);
        var s = Assert.Throws<DataException>(() => transform.Apply(Source(Schema.String, "text")));
        Assert.Equal("Only Struct objects supported for [field insertion], found: System.String", s.Message);
    }

    [Fact]
    public void InsertField_needs_at_least_one_field_and_a_value_for_the_static_field()
    {
        Assert.Equal("No field insertion configured", Assert.Throws<ConfigException>(() => Configured<InsertField.Value>()).Message);
        Assert.Equal("Invalid value null for configuration static.value: No value specified for static field: s",
            Assert.Throws<ConfigException>(() => Configured<InsertField.Value>(("static.field", "s"))).Message);
    }

    [Fact]
    public void InsertField_variants_are_found_by_Kafka_class_names()
    {
        Assert.Equal(["org.apache.kafka.connect.transforms.InsertField$Key"], AliasesOf(typeof(InsertField.Key)));
        Assert.Equal(["org.apache.kafka.connect.transforms.InsertField$Value"], AliasesOf(typeof(InsertField.Value)));
    }
}
