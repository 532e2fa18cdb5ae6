using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using Xunit;

namespace AkkaBroker.Tests.Broker;

/// <summary>The deployable configs in hocon/ start as their READMEs say: valid settings, one cluster, no clashes.</summary>
public class ShippedConfigTests
{
    private static readonly string HoconDir = FindHoconDir();

    [Fact]
    public void Every_shipped_config_gives_valid_broker_settings()
    {
        var files = Directory.GetFiles(HoconDir, "*.conf", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var e = Record.Exception(() => BrokerSettings.Create(BrokerNode.Compose(ConfigurationFactory.ParseString(File.ReadAllText(file)))));
            Assert.True(e == null, $"{file}: {e?.Message}");
        }
    }

    [Theory]
    [InlineData("cluster", 3, 0)]
    [InlineData("cluster-dedicated", 3, 2)]
    public void A_cluster_directory_holds_one_cluster_with_distinct_ids_ports_and_data_and_the_same_seed_nodes(string dir, int brokers, int controllerOnly)
    {
        var configs = Directory.GetFiles(Path.Combine(HoconDir, dir), "*.conf")
            .Select(f => BrokerNode.Compose(ConfigurationFactory.ParseString(File.ReadAllText(f)))).ToList();
        var settings = configs.Select(BrokerSettings.Create).ToList();
        Assert.Equal(brokers, settings.Count(s => s.IsBroker));
        Assert.Equal(controllerOnly, settings.Count(s => !s.IsBroker));
        Assert.Contains(settings, s => s.IsController);
        Assert.Equal(settings.Count, settings.Select(s => s.BrokerId).Distinct().Count());
        // Every cluster endpoint and every broker's client endpoint on a port of its own.
        var ports = settings.Select(s => s.Port).Concat(settings.Where(s => s.IsBroker).Select(s => s.ClientEndpoint.Port)).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.Equal(settings.Count, settings.Select(s => s.DataDirectory).Distinct().Count());
        Assert.Equal(settings.Count, settings.Select(s => s.PrometheusPort).Distinct().Count());
        var seeds = configs.Select(c => string.Join(",", c.GetStringList("akka.cluster.seed-nodes"))).Distinct().ToList();
        Assert.Single(seeds);
        Assert.Equal(settings.Count, seeds[0].Split(',').Length);
        // Whichever node runs the controller applies its own topic defaults: they must be the same everywhere.
        Assert.Single(settings.Select(s => string.Join(";", s.DefaultTopicConfig.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))
                                           + $";{s.NumPartitions};{s.DefaultReplicationFactor};{s.OffsetsTopicReplicationFactor};{s.OffsetsTopicNumPartitions}").Distinct());
        // The cluster comes up with a majority of its nodes, so the controller reads its state from a majority.
        Assert.All(configs, c => Assert.Equal(settings.Count / 2 + 1, c.GetInt("akka.cluster.min-nr-of-members")));
    }

    private static string FindHoconDir()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "AkkaBroker.sln")))
            dir = Path.GetDirectoryName(dir.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("AkkaBroker.sln not found above " + AppContext.BaseDirectory);
        return Path.Combine(dir, "hocon");
    }
}
