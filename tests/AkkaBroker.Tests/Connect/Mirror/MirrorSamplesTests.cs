using AkkaBroker.Connect.Mirror;
using AkkaBroker.Connect.Runtime;
using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Connect.Mirror;

/// <summary>The sample connector files in hocon/connect/ are valid as shipped, and name ByteArrayConverter.</summary>
public sealed class MirrorSamplesTests
{
    private static readonly PluginRegistry Plugins = PluginRegistry.Create();

    private static Dictionary<string, string> ReadSample(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "AkkaBroker.sln")))
            dir = Path.GetDirectoryName(dir.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("AkkaBroker.sln not found above " + AppContext.BaseDirectory);
        return JavaProperties.Parse(File.ReadAllText(Path.Combine(dir, "hocon", "connect", name)));
    }

    [Theory]
    [InlineData("mirror-source.properties")]
    [InlineData("mirror-checkpoint.properties")]
    [InlineData("mirror-heartbeat.properties")]
    public void A_sample_mirror_connector_file_validates_without_errors_and_uses_byte_array_converters(string file)
    {
        var config = ReadSample(file);

        var infos = ConnectorValidator.Validate(config, Plugins);

        Assert.True(infos.ErrorCount == 0, string.Join("; ", infos.Configs.SelectMany(c => c.Value.ErrorMessages)));
        Assert.Equal("org.apache.kafka.connect.converters.ByteArrayConverter", config["key.converter"]);
        Assert.Equal("org.apache.kafka.connect.converters.ByteArrayConverter", config["value.converter"]);
    }

    [Fact]
    public void The_sample_topics_exclude_is_kafkas_default_after_properties_escapes()
    {
        Assert.Equal(MirrorConnectorConfig.DefaultTopicsExclude, ReadSample("mirror-source.properties")["topics.exclude"]);
    }
}
