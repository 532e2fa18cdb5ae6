using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Mirror;

/// <summary>
/// Where a mirror stands, read from the two clusters (so it works for any mirror process, running or not): per source
/// partition the source's end offset, the mirror's committed (safely mirrored) offset and the lag between them, and the
/// target partition's end offset; and the age of the newest heartbeat on the target.
/// </summary>
public static class MirrorStatus
{
    /// <summary>One source partition.</summary>
    /// <param name="Source">The source partition.</param>
    /// <param name="SourceEnd">Its end offset (high watermark).</param>
    /// <param name="TargetTopic">The topic it is mirrored to.</param>
    /// <param name="TargetEnd">The target partition's end offset, or null when it does not exist yet.</param>
    /// <param name="Mirrored">The mirror group's committed offset: every record before it is on the target. Null before its first commit.</param>
    public sealed record PartitionStatus(TopicPartition Source, long SourceEnd, long? Mirrored, string TargetTopic, long? TargetEnd)
    {
        /// <summary>Records on the source not yet safely mirrored.</summary>
        public long Lag => SourceEnd - (Mirrored ?? 0);
    }

    /// <summary>The whole status.</summary>
    /// <param name="Partitions">Each source partition the mirror consumes.</param>
    /// <param name="HeartbeatsTopic">Where the heartbeats arrive on the target.</param>
    /// <param name="HeartbeatAge">Age of the newest heartbeat on the target, or null when there is none.</param>
    public sealed record Report(IReadOnlyList<PartitionStatus> Partitions, TimeSpan? HeartbeatAge, string HeartbeatsTopic);

    public static async Task<Report> ReadAsync(MirrorMakerSettings settings, TimeSpan timeout)
    {
        using var source = new AdminClientBuilder(new AdminClientConfig(ClientConfig.ConnectionOf(settings.ConsumerProperties))).Build();
        using var target = new AdminClientBuilder(new AdminClientConfig(ClientConfig.ConnectionOf(settings.ProducerProperties))).Build();
        IReadOnlyList<TopicPartitionOffset> committed;
        try
        {
            committed = (await source.DescribeConsumerGroupAsync(settings.GroupId).WaitAsync(timeout)).CommittedOffsets;
        }
        catch (KafkaException e) when (e.Error.Code == AkkaBroker.Client.ErrorCode.GroupIdNotFound)
        {
            committed = [];
        }
        var mirrored = committed.ToDictionary(o => o.TopicPartition, o => o.Offset.Value);
        var targetTopics = (await target.GetMetadataAsync().WaitAsync(timeout)).Topics.Select(t => t.Topic).ToHashSet();
        var rows = new List<PartitionStatus>();
        foreach (var topic in (await source.GetMetadataAsync().WaitAsync(timeout)).Topics.Where(t => settings.ShouldConsume(t.Topic)).OrderBy(t => t.Topic, StringComparer.Ordinal))
        foreach (var partition in topic.Partitions.OrderBy(p => p.PartitionId))
        {
            var tp = new TopicPartition(topic.Topic, partition.PartitionId);
            var targetTopic = settings.Policy.TargetTopic(topic.Topic);
            var sourceEnd = (await source.ListOffsetAsync(tp, OffsetSpec.Latest()).WaitAsync(timeout)).Value;
            long? targetEnd = null;
            if (targetTopics.Contains(targetTopic))
            {
                try
                {
                    targetEnd = (await target.ListOffsetAsync(new TopicPartition(targetTopic, tp.Partition), OffsetSpec.Latest()).WaitAsync(timeout)).Value;
                }
                catch (KafkaException)
                {
                    // a partition the target topic does not have (yet): shown as missing
                }
            }
            rows.Add(new PartitionStatus(tp, sourceEnd, mirrored.TryGetValue(tp, out var m) ? m : null, targetTopic, targetEnd));
        }
        return new Report(rows, targetTopics.Contains(settings.Policy.HeartbeatsTargetTopic) ? NewestHeartbeatAge(settings, timeout) : null, settings.Policy.HeartbeatsTargetTopic);
    }

    private static TimeSpan? NewestHeartbeatAge(MirrorMakerSettings settings, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig(ClientConfig.ConnectionOf(settings.ProducerProperties))).Build();
        var partition = new TopicPartition(settings.Policy.HeartbeatsTargetTopic, 0);
        var end = consumer.QueryWatermarkOffsets(partition, timeout).High.Value;
        if (end <= 0) return null;
        consumer.Assign(new TopicPartitionOffset(partition, new Offset(end - 1)));
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } m } && Heartbeat.TimestampOf(m.Value) is { } at)
                return TimeSpan.FromMilliseconds(Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - at));
        return null;
    }
}
