using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Mirror;

/// <summary>Kafka's client properties files, read as java.util.Properties.load reads them.</summary>
public class JavaPropertiesTests
{
    [Fact]
    public void A_kafka_consumer_properties_file_reads_as_written()
    {
        var p = JavaProperties.Parse("""
            # Consumer of the source cluster
            bootstrap.servers=source-1:9192,source-2:9192
            group.id=mirror
            ! another comment
            auto.offset.reset = earliest

            """);
        Assert.Equal(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "source-1:9192,source-2:9192",
            ["group.id"] = "mirror",
            ["auto.offset.reset"] = "earliest",
        }, p);
    }

    [Theory]
    [InlineData("acks=all")]
    [InlineData("acks:all")]
    [InlineData("acks all")]
    [InlineData("acks \t = \t all")]
    [InlineData("   acks=all")]
    [InlineData("\f\tacks : all")]
    public void The_key_ends_at_equals_colon_or_a_blank_and_blanks_around_the_separator_are_skipped(string line)
    {
        Assert.Equal("all", JavaProperties.Parse(line)["acks"]);
    }

    [Fact]
    public void Only_the_first_separator_is_skipped_and_trailing_blanks_stay_in_the_value()
    {
        var p = JavaProperties.Parse("a:=b\nc = d  \ne==");
        Assert.Equal("=b", p["a"]);
        Assert.Equal("d  ", p["c"]);
        Assert.Equal("=", p["e"]);
    }

    [Fact]
    public void A_key_alone_or_with_an_empty_value_maps_to_the_empty_string()
    {
        var p = JavaProperties.Parse("client.id\ngroup.id=\n");
        Assert.Equal("", p["client.id"]);
        Assert.Equal("", p["group.id"]);
    }

    [Fact]
    public void A_line_ending_in_a_backslash_continues_on_the_next_without_its_leading_blanks()
    {
        var p = JavaProperties.Parse("bootstrap.servers=a:1,\\\n    b:2,\\\n\tc:3\nnext=1");
        Assert.Equal("a:1,b:2,c:3", p["bootstrap.servers"]);
        Assert.Equal("1", p["next"]);
    }

    [Fact]
    public void An_even_number_of_trailing_backslashes_is_an_escaped_backslash_and_does_not_continue()
    {
        var p = JavaProperties.Parse("path=C:\\\\dir\\\\\nnext=1");
        Assert.Equal("C:\\dir\\", p["path"]);
        Assert.Equal("1", p["next"]);
    }

    [Fact]
    public void A_continued_line_starting_with_a_hash_is_value_not_comment_and_a_comment_ending_in_a_backslash_does_not_continue()
    {
        var p = JavaProperties.Parse("a=1\\\n#2\n# comment \\\nb=3");
        Assert.Equal("1#2", p["a"]);
        Assert.Equal("3", p["b"]);
        Assert.Equal(2, p.Count);
    }

    [Fact]
    public void A_continuation_at_the_end_of_the_text_just_ends()
    {
        Assert.Equal("x", JavaProperties.Parse("a=x\\")["a"]);
    }

    [Fact]
    public void Escapes_stand_for_their_characters_and_let_keys_hold_separators_and_blanks()
    {
        var p = JavaProperties.Parse("my\\ key\\=x\\:y=tab\\there\\nnew\\rline\\fform \\u00e9t\\u00C9 \\q\\#");
        Assert.Equal("tab\there\nnew\rline\fform \u00e9t\u00c9 q#", p["my key=x:y"]);
    }

    [Theory]
    [InlineData("a=\\u12")]
    [InlineData("a=\\uXYZW")]
    [InlineData("a=\\u")]
    public void A_malformed_unicode_escape_is_refused_naming_the_line(string text)
    {
        var e = Assert.Throws<FormatException>(() => JavaProperties.Parse("ok=1\n" + text));
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public void Windows_and_old_mac_line_endings_end_lines_too()
    {
        var p = JavaProperties.Parse("a=1\r\nb=2\rc=3\\\r\n  4");
        Assert.Equal(("1", "2", "34"), (p["a"], p["b"], p["c"]));
    }

    [Fact]
    public void A_key_given_twice_keeps_its_last_value()
    {
        Assert.Equal("all", JavaProperties.Parse("acks=1\nacks=all")["acks"]);
    }

    [Fact]
    public void Keys_are_case_sensitive()
    {
        var p = JavaProperties.Parse("acks=1\nACKS=all");
        Assert.Equal(2, p.Count);
    }
}
