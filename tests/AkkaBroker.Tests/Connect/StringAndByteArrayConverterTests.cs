using System.Text;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Storage;
using Xunit;

namespace AkkaBroker.Tests.Connect;

/// <summary>Kafka's StringConverter and ByteArrayConverter.</summary>
public sealed class StringAndByteArrayConverterTests
{
    private static StringConverter StringConverter(Dictionary<string, string>? configs = null)
    {
        var converter = new StringConverter();
        converter.Configure(configs ?? [], isKey: true);
        return converter;
    }

    [Fact]
    public void Strings_are_written_as_utf8_and_read_as_optional_strings()
    {
        var converter = StringConverter();

        var bytes = converter.FromConnectData("t", Schema.String, "héllo");

        Assert.Equal(Encoding.UTF8.GetBytes("héllo"), bytes);
        Assert.Equal(new SchemaAndValue(Schema.OptionalString, "héllo"), converter.ToConnectData("t", bytes));
    }

    [Fact]
    public void Other_values_are_written_as_their_java_text_and_null_stays_null()
    {
        var converter = StringConverter();

        Assert.Equal("42", Encoding.UTF8.GetString(converter.FromConnectData("t", null, 42)!));
        Assert.Equal("true", Encoding.UTF8.GetString(converter.FromConnectData("t", null, true)!));
        Assert.Equal("2.0", Encoding.UTF8.GetString(converter.FromConnectData("t", null, 2.0)!));
        Assert.Null(converter.FromConnectData("t", Schema.OptionalString, null));
        Assert.Equal(new SchemaAndValue(Schema.OptionalString, null), converter.ToConnectData("t", null));
    }

    [Fact]
    public void The_encoding_is_taken_from_converter_encoding()
    {
        var converter = StringConverter(new() { ["converter.encoding"] = "UTF-16LE" });

        Assert.Equal(Encoding.Unicode.GetBytes("ab"), converter.FromConnectData("t", null, "ab"));
        Assert.Equal("ab", converter.ToConnectData("t", Encoding.Unicode.GetBytes("ab")).Value);
    }

    [Fact]
    public void An_unknown_encoding_is_refused_naming_the_key()
    {
        var e = Assert.Throws<ConfigException>(() => StringConverter(new() { ["converter.encoding"] = "EBCDIC-XYZ" }));
        Assert.StartsWith("Invalid value EBCDIC-XYZ for configuration converter.encoding", e.Message);
    }

    [Fact]
    public void Byte_arrays_pass_through_with_an_optional_bytes_schema()
    {
        var converter = new ByteArrayConverter();
        converter.Configure(new Dictionary<string, string>(), isKey: false);
        var bytes = new byte[] { 0, 1, 2 };

        Assert.Same(bytes, converter.FromConnectData("t", Schema.Bytes, bytes));
        Assert.Equal(new SchemaAndValue(Schema.OptionalBytes, bytes), converter.ToConnectData("t", bytes));
        Assert.Null(converter.FromConnectData("t", null, null));
    }

    [Fact]
    public void The_byte_array_converter_refuses_a_schema_that_is_not_bytes()
    {
        var e = Assert.Throws<DataException>(() => new ByteArrayConverter().FromConnectData("t", Schema.String, "x"));
        Assert.Equal("Invalid schema type for ByteArrayConverter: STRING", e.Message);
    }
}
