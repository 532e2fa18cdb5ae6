using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using Xunit;

namespace DropIn.Tests;

/// <summary>
/// One broker in the test process for every sample: the AkkaBroker client reaches it at <see cref="Bootstrap"/>,
/// Confluent.Kafka at <see cref="KafkaBootstrap"/> (its Kafka-protocol listener). Each sample makes its own topic.
/// </summary>
public sealed class SampleBroker : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "akkabroker-dropin-" + Guid.NewGuid().ToString("N"));
    private BrokerNode? _node;

    public string Bootstrap => _node!.BootstrapServer;

    public string KafkaBootstrap => _node!.KafkaBootstrapServer!;

    /// <summary>A topic name no sample used before.</summary>
    public static string NewTopic() => "dropin-" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync() => _node = await BrokerNode.StartAsync(ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        akka.remote.dot-netty.tcp.port = 0
        akkabroker.broker.client-endpoint.port = 0
        akkabroker.broker.data-dir = "{{_dataDir.Replace("\\", "\\\\")}}"
        akkabroker.broker.metrics.prometheus.port = 0
        akkabroker.broker.listeners = "PLAINTEXT://127.0.0.1:0"
        # samples starting group members one after the other should not wait Kafka's 3 s for more to come
        akkabroker.broker.group.initial.rebalance.delay.ms = 0
        """));

    public async Task DisposeAsync()
    {
        if (_node != null) await _node.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A stray SQLite handle; the OS cleans the temp dir.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SampleBrokerCollection : ICollectionFixture<SampleBroker>
{
    public const string Name = "sample broker";
}
