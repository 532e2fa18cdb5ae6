using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// What a mirror does when the source answers OFFSET_OUT_OF_RANGE for a partition's position (its consumer runs with
/// <c>auto.offset.reset=none</c>, so no position moves silently). Below the log start, retention deleted records the
/// mirror never read: the consumer goes on from the log start and the caller reports the <see cref="Gap"/>. Past the log
/// end, the source log went back (the topic was deleted and created again, or an unclean leader election cut it): its
/// records are new ones, mirrored again from the log start. Shared by <see cref="MirrorStream"/> and the
/// MirrorSourceConnector's task.
/// </summary>
/// <param name="Partition">The source partition.</param>
/// <param name="Gap">The offsets retention deleted unread, or null when the log went back.</param>
/// <param name="Resumed">The offset consuming goes on from: the log start.</param>
public sealed record OutOfRangePosition(TopicPartition Partition, OffsetGap.RemovedByRetention? Gap, long Resumed)
{
    /// <summary>
    /// Looks up the partition's log start and end, seeks <paramref name="consumer"/> to where consuming goes on, and says
    /// why; null when <paramref name="at"/> is in range again (the leader moved while the fetch was answered), in which
    /// case the consumer fetches from the same position. Blocks on the source (up to 30 s).
    /// </summary>
    /// <exception cref="KafkaException">the source's offsets cannot be read.</exception>
    public static OutOfRangePosition? Recover(IConsumer<byte[]?, byte[]?> consumer, TopicPartitionOffset at)
    {
        var marks = consumer.QueryWatermarkOffsets(at.TopicPartition, TimeSpan.FromSeconds(30));
        long position = at.Offset.Value, logStart = marks.Low.Value, logEnd = marks.High.Value;
        OutOfRangePosition? reset = null;
        if (OffsetGap.Detect(position, logStart, logStart) is OffsetGap.RemovedByRetention gap) reset = new OutOfRangePosition(at.TopicPartition, gap, logStart);
        else if (position > logEnd) reset = new OutOfRangePosition(at.TopicPartition, null, logStart);
        consumer.Seek(reset == null ? at : new TopicPartitionOffset(at.TopicPartition, logStart));
        return reset;
    }
}
