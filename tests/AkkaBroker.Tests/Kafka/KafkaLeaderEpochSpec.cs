using AkkaBroker.KafkaProtocol;
using AkkaBroker.Tests.Integration;
using Xunit;
using Kafka = Confluent.Kafka;

namespace AkkaBroker.Tests.KafkaListener;

/// <summary>
/// Leader epochs on the Kafka listener (KIP-320): Metadata names each partition's leader epoch, a fetch naming another
/// epoch is refused with the error that tells the client what to do, and OffsetsForLeaderEpoch says where an epoch ends.
/// </summary>
public sealed class KafkaLeaderEpochSpec : KafkaListenerBrokerSpec
{
    [Fact]
    public async Task Metadata_names_the_leader_epoch_and_fetch_and_offsets_for_leader_epoch_check_it()
    {
        using (var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig { BootstrapServers = KafkaBootstrap }).Build())
            for (var i = 0; i < 10; i++)
                await producer.ProduceAsync(new Kafka.TopicPartition("epochs", 0), new Kafka.Message<string, string> { Key = "k", Value = $"v{i}" });

        await using var connection = await RawKafkaConnection.ConnectAsync(KafkaBootstrap);
        var partition = await connection.PartitionAsync("epochs", 0);
        Assert.Equal(Broker.Node.Settings.BrokerId, partition.LeaderId);
        var epoch = partition.LeaderEpoch;
        Assert.True(epoch >= 0, $"leader epoch {epoch}");

        var current = await connection.FetchAsync("epochs", 0, 0, epoch);
        Assert.Equal(0, current.ErrorCode);
        Assert.Equal(10, current.HighWatermark);
        var unchecked_ = await connection.FetchAsync("epochs", 0, 0, -1);
        Assert.Equal(0, unchecked_.ErrorCode);
        var newer = await connection.FetchAsync("epochs", 0, 0, epoch + 1);
        Assert.Equal((short)Protocol.ErrorCode.UnknownLeaderEpoch, newer.ErrorCode);

        var end = await connection.EpochEndAsync("epochs", 0, epoch, epoch);
        Assert.Equal(0, end.ErrorCode);
        Assert.Equal(epoch, end.LeaderEpoch);
        Assert.Equal(10, end.EndOffset);
        Assert.Equal((short)Protocol.ErrorCode.UnknownLeaderEpoch, (await connection.EpochEndAsync("epochs", 0, epoch + 1, epoch)).ErrorCode);
        Assert.Equal(10, (await connection.EpochEndAsync("epochs", 0, -1, epoch)).EndOffset);
    }
}
