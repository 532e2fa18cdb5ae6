using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using AkkaBroker.EndToEnd.Tests;
using Xunit;

namespace AkkaBroker.PackagedClient.Tests;

/// <summary>The client as a user gets it, the AkkaBroker.Client package, against a real broker process.</summary>
public sealed class PackagedClientTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"akkabroker-packaged-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public void The_client_comes_from_its_package()
    {
        // Restored from the package into this project's own package folder, and the assembly loaded is that one.
        var project = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../.."));
        var packaged = Path.Combine(project, "obj", "packages", "akkabroker.client", "0.1.0", "lib", "net10.0", "AkkaBroker.Client.dll");
        Assert.True(File.Exists(packaged), $"{packaged} is missing: the client was not restored from its package");
        Assert.Equal(File.ReadAllBytes(packaged), File.ReadAllBytes(typeof(ProducerConfig).Assembly.Location));
    }

    [Fact]
    public async Task The_packaged_client_creates_a_topic_produces_and_consumes_in_a_group()
    {
        using var broker = await BrokerProcess.StartAsync(_dataDir);
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 3 }]);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, Acks = Acks.All }).Build())
            for (var i = 0; i < 30; i++)
                await producer.ProduceAsync("orders", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = broker.Bootstrap, GroupId = "packaged", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe("orders");
        var values = new HashSet<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (values.Count < 30 && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: not null } r)
            {
                values.Add(r.Message.Value!);
                consumer.Commit(r);
            }
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"v{i}").ToHashSet(), values);
    }
}
