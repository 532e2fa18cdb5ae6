using System.Buffers;

namespace AkkaBroker.KafkaProtocol;

/// <summary>
/// The consumer protocol's embedded messages: the subscription a member puts in JoinGroup's protocol metadata and the
/// assignment SyncGroup hands back, each an int16 version followed by the message at that version (Kafka's
/// <c>ConsumerProtocol</c> format; these are opaque bytes to the group protocol itself).
/// </summary>
public static class ConsumerProtocol
{
    /// <summary>Reads a subscription of any version up to the newest known (a newer one is read as the newest: its extra fields come last).</summary>
    /// <exception cref="KafkaProtocolException">the bytes are truncated or malformed.</exception>
    public static ConsumerProtocolSubscriptionData ReadSubscription(ReadOnlyMemory<byte> bytes)
    {
        var reader = new KafkaReader(bytes);
        var version = reader.ReadInt16("Version");
        if (version < 0) throw new KafkaProtocolException($"consumer protocol subscription version {version} is negative", "Version", 0);
        var subscription = new ConsumerProtocolSubscriptionData();
        subscription.Read(ref reader, Math.Min(version, ConsumerProtocolSubscriptionData.HighestSupportedVersion));
        return subscription;
    }

    /// <summary>Writes an assignment at version 0 (topics and partitions, no user data), which every consumer reads.</summary>
    public static byte[] WriteAssignment(IEnumerable<(string Topic, int Partition)> partitions)
    {
        var assignment = new ConsumerProtocolAssignmentData { UserData = null };
        foreach (var topic in partitions.GroupBy(p => p.Topic))
            assignment.AssignedPartitions.Add(new ConsumerProtocolAssignmentData.TopicPartition { Topic = topic.Key, Partitions = topic.Select(p => p.Partition).ToList() });
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        writer.WriteInt16(0);
        assignment.Write(writer, 0);
        return output.WrittenSpan.ToArray();
    }
}
