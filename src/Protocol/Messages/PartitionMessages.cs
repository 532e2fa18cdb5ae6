namespace AkkaBroker.Protocol.Messages;

// Commands the controller sends to partition replicas, and the events and snapshot a replica persists. Kept in the
// protocol assembly only because the one serializer must see them; only broker actors use them.

/// <summary>
/// Creates the replica if needed and sets its effective topic config (every key, defaults included). Idempotent, so
/// the controller re-sends it to every partition after it recovers.
/// </summary>
public sealed record EnsurePartition(TopicPartition TopicPartition, IReadOnlyDictionary<string, string> Config);

/// <summary>Deletes the replica's log and state for good (the topic was deleted).</summary>
public sealed record DeletePartition(TopicPartition TopicPartition);

/// <summary>The reply to <see cref="EnsurePartition"/> and <see cref="DeletePartition"/>.</summary>
public sealed record PartitionStateAck(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage);

public sealed record PartitionConfigured(IReadOnlyDictionary<string, string> Config);

/// <summary>One record batch with its offsets assigned: the unit the log is journaled in.</summary>
public sealed record BatchAppended(byte[] Batch);

public sealed record PartitionDeleted;

/// <summary>
/// A sparse index entry: the batch starting at <c>BaseOffset</c> is journal event <c>SequenceNr</c> and starts
/// <c>Position</c> bytes into the log; <c>MaxTimestamp</c> is the largest timestamp in the log up to and including it.
/// </summary>
public readonly record struct OffsetIndexEntry(long BaseOffset, long SequenceNr, long Position, long MaxTimestamp);

/// <summary>What an idempotent producer last wrote, to recognise retries and refuse gaps.</summary>
public sealed record ProducerStateEntry(long ProducerId, short Epoch, long LastTimestamp, IReadOnlyList<ProducerBatchMetadata> RecentBatches);

public readonly record struct ProducerBatchMetadata(int FirstSequence, int LastSequence, long BaseOffset, long LogAppendTime);

/// <summary>
/// The replica's index state, so recovery replays only the events after it: bounded by configuration, not by the size
/// of the log.
/// </summary>
public sealed record PartitionSnapshot(IReadOnlyDictionary<string, string> Config, long LogStartOffset, long LogEndOffset,
    long LogBytes, long MaxTimestamp, long BytesSinceIndexEntry, IReadOnlyList<OffsetIndexEntry> Index, IReadOnlyList<ProducerStateEntry> Producers,
    bool Deleted);
