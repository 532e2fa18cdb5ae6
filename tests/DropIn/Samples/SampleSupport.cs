#nullable disable
// Shared by the samples. Plain Confluent.Kafka code: compiled once with a project-level
// <Using Include="Confluent.Kafka" /> (+ .Admin, .SyncOverAsync) and once with the AkkaBroker.Client ones.
// Each sample's RunAsync gets a fresh topic name that does not exist yet; samples that need the topic create it here.
namespace DropIn.Samples;

public static class SampleSupport
{
    /// <summary>Throws InvalidOperationException naming what was expected, when it does not hold.</summary>
    public static void Expect(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException("Expected: " + what);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, or throws after <paramref name="timeout"/>.</summary>
    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"Timed out after {timeout.TotalSeconds:0}s waiting for: {what}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Creates the topic, as a Confluent.Kafka application does (TopicSpecification lives in Confluent.Kafka.Admin).</summary>
    public static async Task CreateTopicAsync(string bootstrapServers, string topic, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        await admin.CreateTopicsAsync(new[]
        {
            new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 },
        });
    }
}
