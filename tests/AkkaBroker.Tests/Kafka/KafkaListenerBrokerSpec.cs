using AkkaBroker.Tests.Integration;
using Xunit;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// One broker with its Kafka listener on a free port, started for each test and stopped after it, for the specs that
/// speak Kafka's protocol to a single broker.
/// </summary>
/// <param name="settings">The spec's own broker settings (HOCON), added after the listener's.</param>
public abstract class KafkaListenerBrokerSpec(string settings = "") : IAsyncLifetime
{
    protected BrokerFixture Broker { get; private set; } = null!;

    /// <summary>The listener's address, as Kafka clients take it in <c>bootstrap.servers</c>.</summary>
    protected string KafkaBootstrap => Broker.Node.KafkaBootstrapServer ?? throw new InvalidOperationException("the broker has no Kafka listener");

    public async Task InitializeAsync() => Broker = await BrokerFixture.StartAsync("akkabroker.broker.listeners = \"PLAINTEXT://127.0.0.1:0\"\n" + settings);

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}
