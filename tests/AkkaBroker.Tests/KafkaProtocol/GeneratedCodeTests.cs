using AkkaBroker.KafkaProtocol.Generator;
using Xunit;

namespace AkkaBroker.Tests.KafkaProtocol;

public class GeneratedCodeTests
{
    [Fact]
    public void Committed_generated_code_equals_the_generator_output()
    {
        var expected = CodeGenerator.GenerateAll(SchemaFixtures.SchemaDirectory);
        var committed = Directory.GetFiles(SchemaFixtures.GeneratedDirectory, "*.g.cs")
            .ToDictionary(p => Path.GetFileName(p)!, p => File.ReadAllText(p).Replace("\r\n", "\n"));
        const string fix = "regenerate with: dotnet run --project src/KafkaProtocol.Generator -c Release";
        Assert.True(expected.Keys.Order().SequenceEqual(committed.Keys.Order()),
            $"generated files differ from the schemas: missing [{string.Join(", ", expected.Keys.Except(committed.Keys))}], " +
            $"stale [{string.Join(", ", committed.Keys.Except(expected.Keys))}]; {fix}");
        foreach (var (name, text) in expected)
            Assert.True(text == committed[name], $"{name} differs from the generator's output; {fix}");
    }

    [Fact]
    public void Every_schema_says_where_it_comes_from()
    {
        // Copied from apache/kafka with the Apache licence header, or written for this project and saying so.
        foreach (var path in Directory.GetFiles(SchemaFixtures.SchemaDirectory, "*.json"))
        {
            var text = File.ReadAllText(path);
            Assert.True(text.Contains("Licensed to the Apache Software Foundation (ASF)") || text.StartsWith("// Kafka's ", StringComparison.Ordinal) && text.Contains("written for this project"),
                $"{path} names neither its licence header nor that it was written for this project");
        }
    }

    [Fact]
    public void Version_ranges_parse_as_the_schemas_write_them()
    {
        Assert.Equal(new Versions(3, short.MaxValue), Versions.Parse("3+"));
        Assert.Equal(new Versions(0, 7), Versions.Parse("0-7"));
        Assert.Equal(new Versions(5, 5), Versions.Parse("5"));
        Assert.True(Versions.Parse("none").IsEmpty);
        Assert.Throws<FormatException>(() => Versions.Parse("x+"));
    }

    [Fact]
    public void A_schema_the_generator_cannot_express_is_refused_with_its_file_and_field()
    {
        const string schema = """
            { "apiKey": 99, "type": "request", "name": "BadRequest", "validVersions": "0", "flexibleVersions": "none",
              "fields": [ { "name": "Count", "type": "int16", "versions": "0+", "default": "70000" } ] }
            """;
        var ex = Assert.Throws<FormatException>(() => CodeGenerator.Generate(SchemaLoader.Parse("BadRequest.json", schema)));
        Assert.Contains("BadRequest.json", ex.Message);
        Assert.Contains("Count", ex.Message);
    }
}
