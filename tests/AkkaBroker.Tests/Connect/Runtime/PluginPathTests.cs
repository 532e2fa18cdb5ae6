using System.Runtime.Loader;
using AkkaBroker.Client;
using AkkaBroker.Connect;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Runtime;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// Plugins on <c>plugin.path</c>, with the sample plugin (tests/ConnectPlugin.Sample) as a third party ships one: the
/// test project builds it without referencing it, and each test copies its assembly alone into a fresh directory. Its
/// connector answers to the same names a built-in one does, its types live in a load context of their own while
/// deriving from the worker's API, and a worker runs it end to end.
/// </summary>
public sealed class PluginPathTests : IDisposable
{
    private const string SampleFileName = "ConnectPlugin.Sample.dll";
    private const string ConnectorFullName = "ConnectPlugin.Sample.CountingSourceConnector";

    private readonly string _pluginPath = Path.Combine(Path.GetTempPath(), "plugin-path-" + Guid.NewGuid().ToString("N"));

    public PluginPathTests()
    {
        var built = Path.Combine(AppContext.BaseDirectory, "connect-plugin-sample", SampleFileName);
        Assert.True(File.Exists(built), $"the sample plugin is built to {built} (AkkaBroker.Tests.csproj's CopyConnectPluginSample target)");
        Directory.CreateDirectory(_pluginPath);
        File.Copy(built, Path.Combine(_pluginPath, SampleFileName));
    }

    public void Dispose()
    {
        // Assemblies loaded from here stay mapped until the process ends; what cannot be deleted is left to the OS.
        try { Directory.Delete(_pluginPath, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    [Theory]
    [InlineData(ConnectorFullName)]
    [InlineData("CountingSourceConnector")]
    [InlineData("CountingSource")]
    public void A_connector_on_plugin_path_is_found_by_its_full_simple_and_short_name(string name)
    {
        var plugins = PluginRegistry.Create([_pluginPath]);

        var plugin = plugins.Find(ConnectorConfig.ConnectorClass, name, PluginKind.Source, PluginKind.Sink);

        Assert.Equal(ConnectorFullName, plugin.Type.FullName);
        Assert.Equal(PluginKind.Source, plugin.Kind);
        Assert.Equal("1.2.3-sample", plugin.Version);
        Assert.Empty(plugins.Warnings);
    }

    [Fact]
    public void A_plugins_types_come_from_a_load_context_of_their_own_and_derive_from_the_workers_api()
    {
        var plugin = PluginRegistry.Create([_pluginPath]).Find(ConnectorConfig.ConnectorClass, ConnectorFullName, PluginKind.Source);

        var context = AssemblyLoadContext.GetLoadContext(plugin.Type.Assembly);
        Assert.NotNull(context);
        Assert.NotSame(AssemblyLoadContext.Default, context);
        Assert.StartsWith("connect-plugin:", context.Name);
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "ConnectPlugin.Sample");
        // The Connect API is shared, not loaded a second time: the plugin's connector is the worker's SourceConnector.
        Assert.True(typeof(SourceConnector).IsAssignableFrom(plugin.Type), "the plugin's connector does not derive from the worker's SourceConnector");
        Assert.Same(typeof(SourceConnector).Assembly, plugin.Type.BaseType!.Assembly);
        Assert.IsAssignableFrom<SourceConnector>(PluginRegistry.Instantiate<Connector>(plugin));
    }

    [Fact]
    public void A_transform_on_plugin_path_is_found_and_applied_by_a_transformation_chain()
    {
        var plugins = PluginRegistry.Create([_pluginPath]);
        var config = ConnectorConfig.Parse(new Dictionary<string, string>
        {
            ["name"] = "c", ["connector.class"] = "CountingSource", ["topic"] = "t",
            ["transforms"] = "upper", ["transforms.upper.type"] = "UppercaseTransform",
        }, plugins);

        using var chain = TransformationChain.Create(config, plugins);
        var transformed = chain.Apply(new SourceRecord(null, null, "t", null, "quiet"));

        Assert.Equal(PluginKind.Transformation, plugins.Find("transforms.upper.type", "ConnectPlugin.Sample.UppercaseTransform", PluginKind.Transformation).Kind);
        Assert.Equal("QUIET", transformed!.Value);
    }

    [Fact]
    public void A_plugin_in_a_subdirectory_of_a_plugin_path_entry_is_found()
    {
        var subdirectory = Path.Combine(_pluginPath, "counting", "lib");
        Directory.CreateDirectory(subdirectory);
        File.Move(Path.Combine(_pluginPath, SampleFileName), Path.Combine(subdirectory, SampleFileName));

        var plugin = PluginRegistry.Create([_pluginPath]).Find(ConnectorConfig.ConnectorClass, "CountingSource", PluginKind.Source);

        Assert.Equal(ConnectorFullName, plugin.Type.FullName);
    }

    [Fact]
    public void An_assembly_named_directly_as_a_plugin_path_entry_is_found()
    {
        var plugin = PluginRegistry.Create([Path.Combine(_pluginPath, SampleFileName)]).Find(ConnectorConfig.ConnectorClass, "CountingSource", PluginKind.Source);

        Assert.Equal(ConnectorFullName, plugin.Type.FullName);
    }

    [Fact]
    public void Without_plugin_path_the_sample_connector_is_unknown()
    {
        var error = Assert.Throws<ConfigException>(() => PluginRegistry.Create().Find(ConnectorConfig.ConnectorClass, "CountingSource", PluginKind.Source));

        Assert.Contains("Class CountingSource could not be found", error.Message);
    }

    [Fact]
    public void A_plugin_path_entry_that_does_not_exist_is_refused_naming_plugin_path()
    {
        var missing = Path.Combine(_pluginPath, "no-such-directory");

        var error = Assert.Throws<ConfigException>(() => PluginRegistry.Create([missing]));

        Assert.Contains($"Invalid value {missing} for configuration plugin.path", error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void A_file_on_plugin_path_that_is_not_an_assembly_is_skipped_with_a_warning()
    {
        var junk = Path.Combine(_pluginPath, "junk.dll");
        File.WriteAllText(junk, "not an assembly");

        var plugins = PluginRegistry.Create([_pluginPath]);

        Assert.Contains(plugins.Warnings, w => w.Contains(junk) && w.Contains("plugin.path"));
        Assert.Equal(ConnectorFullName, plugins.Find(ConnectorConfig.ConnectorClass, "CountingSource", PluginKind.Source).Type.FullName);
    }

    [Fact]
    public async Task A_worker_with_plugin_path_runs_the_sample_connector_and_its_records_reach_the_topic_transformed()
    {
        await using var harness = await ConnectWorkerHarness.StartAsync(new Dictionary<string, string> { ["plugin.path"] = _pluginPath });
        var plugins = (await harness.GetJsonAsync("/connector-plugins")).AsArray();
        Assert.Contains(plugins, p => p!["class"]!.GetValue<string>() == ConnectorFullName && p["version"]!.GetValue<string>() == "1.2.3-sample");

        var (status, body) = await harness.SendAsync(HttpMethod.Post, "/connectors", new
        {
            name = "counting",
            config = new Dictionary<string, string>
            {
                ["connector.class"] = "CountingSource", ["tasks.max"] = "2", ["topic"] = "counted", ["count"] = "5",
                ["transforms"] = "upper", ["transforms.upper.type"] = "UppercaseTransform",
            },
        });
        Assert.True(status == 201, $"create answered {status}: {body}");
        await harness.WaitForStateAsync("counting", "RUNNING", tasks: 2);

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = harness.Broker.Bootstrap, GroupId = "reader", AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe("counted");
        var received = new Dictionary<string, string>();
        await Wait.UntilAsync(() =>
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } m }) received[m.Value] = m.Key;
            return received.Count >= 10;
        }, "the 10 records of the sample connector's 2 tasks on the topic");
        consumer.Close();

        var expected = Enumerable.Range(0, 2).SelectMany(t => Enumerable.Range(0, 5).Select(n => ($"TASK{t}-RECORD{n}", n.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            .ToDictionary(p => p.Item1, p => p.Item2);
        Assert.Equal(expected, received);
    }
}
