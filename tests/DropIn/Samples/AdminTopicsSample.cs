#nullable disable
using static DropIn.Samples.SampleSupport;

namespace DropIn.Samples;

/// <summary>
/// Topic administration: CreateTopicsAsync (and CreateTopicsException for a topic that exists), GetMetadata,
/// DescribeConfigsAsync, CreatePartitionsAsync, DeleteTopicsAsync (and DeleteTopicsException for one that does not).
/// </summary>
public static class AdminTopicsSample
{
    public static async Task RunAsync(string bootstrapServers, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers, ClientId = "dropin-admin" }).Build();
        Expect(admin.Name.StartsWith("dropin-admin"), $"Name to start with client.id, was '{admin.Name}'");
        await admin.CreateTopicsAsync(new[]
        {
            new TopicSpecification
            {
                Name = topic, NumPartitions = 1, ReplicationFactor = 1,
                Configs = new Dictionary<string, string> { ["retention.ms"] = "3600000", ["cleanup.policy"] = "delete" },
            },
        });
        try
        {
            await admin.CreateTopicsAsync(new[] { new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 } });
            throw new InvalidOperationException("Expected: CreateTopicsException for a topic that exists");
        }
        catch (CreateTopicsException e)
        {
            var report = e.Results.Single();
            Expect(report.Topic == topic && report.Error.Code == ErrorCode.TopicAlreadyExists, $"TopicAlreadyExists for {topic}, got {report.Error.Code}");
            Expect(report.Error.IsBrokerError && !report.Error.IsLocalError, "a broker error");
        }

        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        Expect(metadata.Brokers.Count > 0 && metadata.Brokers.All(b => b.BrokerId >= 0 && b.Port > 0 && !string.IsNullOrEmpty(b.Host)), "the brokers");
        var described = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
        Expect(described != null && described.Error.Code == ErrorCode.NoError && described.Partitions.Count == 1, "the new topic with one partition");
        PartitionMetadata partition = described.Partitions[0];
        Expect(partition.PartitionId == 0 && partition.Replicas.Length == 1 && partition.InSyncReplicas.Contains(partition.Leader), "a leader in sync");
        Expect(metadata.Brokers.Any(b => b.BrokerId == partition.Leader), "the leader among the brokers");

        List<DescribeConfigsResult> configs = await admin.DescribeConfigsAsync(new[] { new ConfigResource { Type = ResourceType.Topic, Name = topic } });
        var entries = configs.Single().Entries;
        Expect(entries["retention.ms"].Value == "3600000" && !entries["retention.ms"].IsDefault, "retention.ms as set at creation");
        Expect(entries.ContainsKey("max.message.bytes"), "configs left at their defaults listed too");

        await admin.CreatePartitionsAsync(new[] { new PartitionsSpecification { Topic = topic, IncreaseTo = 3 } });
        WaitUntil(() => admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Count == 3, TimeSpan.FromSeconds(15), "3 partitions");

        await admin.DeleteTopicsAsync(new[] { topic });
        WaitUntil(() => admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.All(t => t.Topic != topic), TimeSpan.FromSeconds(15), "the topic gone from metadata");
        try
        {
            await admin.DeleteTopicsAsync(new[] { topic });
            throw new InvalidOperationException("Expected: DeleteTopicsException for a topic that does not exist");
        }
        catch (DeleteTopicsException e)
        {
            Expect(e.Results.Single().Error.Code == ErrorCode.UnknownTopicOrPart, $"UnknownTopicOrPart, got {e.Results.Single().Error.Code}");
        }
    }
}
