using DropIn.Samples;
using Xunit;

namespace DropIn.Confluent.Tests;

/// <summary>Each sample with Confluent.Kafka, through the broker's Kafka listener.</summary>
[Collection(DropIn.Tests.SampleBrokerCollection.Name)]
public sealed class ConfluentSampleTests(DropIn.Tests.SampleBroker broker)
{
    [Fact]
    public Task ProduceConsume() => ProduceConsumeSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task DeliveryHandler() => DeliveryHandlerSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task Serializers() => SerializersSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task ConsumerGroup() => ConsumerGroupSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task ManualAssignment() => ManualAssignmentSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task ErrorHandling() => ErrorHandlingSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task AdminTopics() => AdminTopicsSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task AdminGroups() => AdminGroupsSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task Statistics() => StatisticsSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());

    [Fact]
    public Task UnreachableBroker() => UnreachableBrokerSample.RunAsync(broker.KafkaBootstrap, DropIn.Tests.SampleBroker.NewTopic());
}
