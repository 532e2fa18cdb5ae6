using System.Globalization;
using System.Text.RegularExpressions;
using AkkaBroker.Connect.Internal;
using Xunit;

namespace AkkaBroker.Tests.Connect;

/// <summary>Java's text formats, as Kafka's configurations and outputs use them, translated to .NET.</summary>
public sealed class JavaFormatsTests
{
    private static readonly DateTime Instant = new(2017, 1, 2, 13, 4, 5, 678, DateTimeKind.Utc);

    [Theory]
    [InlineData("yyyy-MM-dd HH:mm:ss", "2017-01-02 13:04:05")]
    [InlineData("yyyyMMdd", "20170102")]
    [InlineData("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "2017-01-02T13:04:05.678Z")]
    [InlineData("dd/MM/yy hh:mm a", "02/01/17 01:04 PM")]
    [InlineData("EEE, d MMM yyyy", "Mon, 2 Jan 2017")]
    [InlineData("EEEE MMMM", "Monday January")]
    [InlineData("yyyy-MM-dd HH:mm:ssZ", "2017-01-02 13:04:05+0000")]
    [InlineData("HH:mm:ss z", "13:04:05 UTC")]
    [InlineData("yyyy-MM-dd'T'HH:mm:ssX", "2017-01-02T13:04:05Z")]
    [InlineData("'It''s' H 'o''clock'", "It's 13 o'clock")]
    [InlineData("d", "2")]
    public void A_SimpleDateFormat_pattern_writes_what_Java_writes(string pattern, string expected)
    {
        Assert.Equal(expected, Instant.ToString(JavaFormats.DateFormatToDotNet(pattern), CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("yyyy-ww")]
    [InlineData("D")]
    [InlineData("yyyy 'open")]
    public void A_pattern_with_unsupported_letters_or_an_open_quote_is_refused(string pattern)
    {
        Assert.Throws<FormatException>(() => JavaFormats.DateFormatToDotNet(pattern));
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.0001, "1.0E-4")]
    [InlineData(1e7, "1.0E7")]
    [InlineData(1234567.0, "1234567.0")]
    [InlineData(1.5e300, "1.5E300")]
    [InlineData(-1.25e-10, "-1.25E-10")]
    [InlineData(0.0, "0.0")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void A_double_is_written_as_Java_Double_toString_writes_it(double value, string expected)
    {
        Assert.Equal(expected, JavaFormats.DoubleToString(value));
    }

    [Fact]
    public void A_float_is_written_with_its_shortest_digits()
    {
        Assert.Equal("0.1", JavaFormats.FloatToString(0.1f));
        Assert.Equal("97.25", JavaFormats.FloatToString(97.25f));
    }

    [Theory]
    [InlineData("$1", "${1}")]
    [InlineData("$12", "${1}2")] // only one group exists, so the 2 is literal as in Java
    [InlineData("a\\$b", "a$$b")]
    [InlineData("${x}", "${x}")]
    public void A_Java_replacement_becomes_the_same_NET_replacement(string java, string expected)
    {
        Assert.Equal(expected, JavaFormats.ReplacementToDotNet(java, new Regex("(?<x>a)")));
    }

    [Fact]
    public void Java_split_drops_trailing_empty_parts()
    {
        Assert.Equal(["a"], JavaFormats.Split("a:", ':'));
        Assert.Equal(["", "b"], JavaFormats.Split(":b", ':'));
    }
}
