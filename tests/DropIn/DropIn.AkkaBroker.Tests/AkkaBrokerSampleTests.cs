using DropIn.Samples;
using Xunit;

namespace DropIn.AkkaBroker.Tests;

/// <summary>Each sample compiled against AkkaBroker.Client (only the project's using directives changed), against the same broker.</summary>
[Collection(DropIn.Tests.SampleBrokerCollection.Name)]
public sealed class AkkaBrokerSampleTests(DropIn.Tests.SampleBroker broker)
{
    [Fact]
    public Task ProduceConsume() => ProduceConsumeSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task Serializers() => SerializersSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task ConsumerGroup() => ConsumerGroupSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task DeliveryHandler() => DeliveryHandlerSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task ErrorHandling() => ErrorHandlingSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task ManualAssignment() => ManualAssignmentSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task UnreachableBroker() => UnreachableBrokerSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task Statistics() => StatisticsSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task AdminTopics() => AdminTopicsSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task AdminGroups() => AdminGroupsSample.RunAsync(broker.Bootstrap, DropIn.Tests.SampleBroker.NewTopic());
}
