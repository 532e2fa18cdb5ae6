using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Transforms;
using Xunit;
using static AkkaBroker.Tests.Connect.TransformTesting;

namespace AkkaBroker.Tests.Connect;

public sealed class TimestampConverterTests
{
    private static readonly DateTime Instant = new(2017, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);
    private const long InstantMillis = 1483326245678L;

    [Fact]
    public void TimestampConverter_parses_a_string_field_into_a_Timestamp_with_the_format()
    {
        var schema = SchemaBuilder.Struct().Field("ts", Schema.String).Field("other", Schema.Int32).Build();
        using var transform = Configured<TimestampConverter.Value>(("field", "ts"), ("target.type", "Timestamp"), ("format", "yyyy-MM-dd HH:mm:ss.SSS"));

        var result = transform.Apply(Source(schema, new Struct(schema).Put("ts", "2017-01-02 03:04:05.678").Put("other", 1)))!;

        Assert.Equal(ConnectTimestamp.Builder().Build(), result.ValueSchema!.Field("ts")!.Schema);
        Assert.Equal(Schema.Int32, result.ValueSchema.Field("other")!.Schema);
        Assert.Equal(Instant, ((Struct)result.Value!).Get("ts"));
        Assert.Equal(1, ((Struct)result.Value!).Get("other"));
    }

    [Fact]
    public void TimestampConverter_formats_a_Timestamp_as_a_string()
    {
        using var transform = Configured<TimestampConverter.Value>(("target.type", "string"), ("format", "yyyy-MM-dd'T'HH:mm:ss"));

        var result = transform.Apply(Source(ConnectTimestamp.Builder().Optional().Build(), Instant))!;

        Assert.Equal(Schema.OptionalString, result.ValueSchema);
        Assert.Equal("2017-01-02T03:04:05", result.Value);
    }

    [Theory]
    [InlineData("seconds", 1483326245L)]
    [InlineData("milliseconds", InstantMillis)]
    [InlineData("microseconds", InstantMillis * 1000)]
    public void TimestampConverter_writes_unix_time_in_the_configured_precision(string precision, long expected)
    {
        using var transform = Configured<TimestampConverter.Value>(("target.type", "unix"), ("unix.precision", precision));

        var result = transform.Apply(Source(null, Instant))!;

        Assert.Equal(expected, result.Value);
    }

    [Fact]
    public void TimestampConverter_reads_unix_seconds_and_writes_Date_and_Time()
    {
        using var toDate = Configured<TimestampConverter.Value>(("target.type", "Date"), ("unix.precision", "seconds"));
        using var toTime = Configured<TimestampConverter.Value>(("target.type", "Time"));

        var date = toDate.Apply(Source(Schema.Int64, 1483326245L))!;
        var time = toTime.Apply(Source(null, new Dictionary<string, object?>()) with { Value = Instant })!;

        Assert.Equal(ConnectDate.Builder().Build(), date.ValueSchema);
        Assert.Equal(new DateTime(2017, 1, 2, 0, 0, 0, DateTimeKind.Utc), date.Value);
        Assert.Equal(DateTime.UnixEpoch.Add(new TimeSpan(0, 3, 4, 5, 678)), time.Value);
    }

    [Fact]
    public void TimestampConverter_converts_a_field_of_a_schemaless_map()
    {
        using var transform = Configured<TimestampConverter.Value>(("field", "ts"), ("target.type", "string"), ("format", "yyyyMMdd"));

        var result = (IDictionary<string, object?>)transform.Apply(Source(null, new Dictionary<string, object?> { ["ts"] = InstantMillis, ["x"] = 1 }))!.Value!;

        Assert.Equal("20170102", result["ts"]);
        Assert.Equal(1, result["x"]);
    }

    [Fact]
    public void TimestampConverter_refuses_text_that_does_not_match_the_format()
    {
        using var transform = Configured<TimestampConverter.Value>(("target.type", "unix"), ("format", "yyyy-MM-dd"));

        var e = Assert.Throws<DataException>(() => transform.Apply(Source(Schema.String, "02/01/2017")));
        Assert.Equal("Could not parse timestamp: value (02/01/2017) does not match pattern (yyyy-MM-dd)", e.Message);
    }

    [Fact]
    public void TimestampConverter_refuses_bad_configurations_with_Kafka_messages()
    {
        Assert.Equal("TimestampConverter requires format option to be specified when using string timestamps",
            Assert.Throws<ConfigException>(() => Configured<TimestampConverter.Value>(("target.type", "string"))).Message);
        Assert.Equal("Unknown timestamp type in TimestampConverter: timestamp. Valid values are string, unix, Date, Time, Timestamp.",
            Assert.Throws<ConfigException>(() => Configured<TimestampConverter.Value>(("target.type", "timestamp"))).Message);
        Assert.StartsWith("Invalid value epoch for configuration target.type",
            Assert.Throws<ConfigException>(() => Configured<TimestampConverter.Value>(("target.type", "epoch"))).Message);
        Assert.StartsWith("TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: yyyy-'MM",
            Assert.Throws<ConfigException>(() => Configured<TimestampConverter.Value>(("target.type", "string"), ("format", "yyyy-'MM"))).Message);
        Assert.StartsWith("Invalid value weeks for configuration unix.precision",
            Assert.Throws<ConfigException>(() => Configured<TimestampConverter.Value>(("target.type", "unix"), ("unix.precision", "weeks"))).Message);
    }

    [Fact]
    public void TimestampConverter_variants_are_found_by_Kafka_class_names()
    {
        Assert.Equal(["org.apache.kafka.connect.transforms.TimestampConverter$Key"], AliasesOf(typeof(TimestampConverter.Key)));
        Assert.Equal(["org.apache.kafka.connect.transforms.TimestampConverter$Value"], AliasesOf(typeof(TimestampConverter.Value)));
    }
}
