namespace AkkaBroker.Protocol.Messages;

// Commands the controller sends to partition replicas, and the events and snapshot a replica persists. Kept in the
// protocol assembly only because the one serializer must see them; only broker actors use them.

/// <summary>
/// Creates the replica if needed, sets its effective topic config (every key, defaults included) and tells it the
/// partition's leadership (Kafka's LeaderAndIsr): who leads, under which leader epoch, and the in-sync replicas.
/// <c>Leader</c> is the leader's address for a follower to fetch from (null when the partition has no leader). A
/// replica ignores leadership older than what it knows (lower leader or partition epoch, or an older
/// <c>ControllerEpoch</c>). Idempotent, so the controller re-sends it to every replica after it takes over.
/// </summary>
public sealed record EnsurePartition(TopicPartition TopicPartition, IReadOnlyDictionary<string, string> Config, PartitionAssignment Assignment,
    BrokerInfo? Leader, int ControllerEpoch);

/// <summary>
/// A replica with no role asks the controller for its leadership (after a restart, or when a command was lost); the
/// controller answers with the <see cref="EnsurePartition"/> it would send that broker.
/// </summary>
public sealed record PartitionLeadershipRequest(TopicPartition TopicPartition, int BrokerId);

/// <summary>Deletes the replica's log and state for good (the topic was deleted).</summary>
public sealed record DeletePartition(TopicPartition TopicPartition);

/// <summary>The reply to <see cref="EnsurePartition"/> and <see cref="DeletePartition"/>.</summary>
public sealed record PartitionStateAck(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage);

public sealed record PartitionConfigured(IReadOnlyDictionary<string, string> Config);

/// <summary>One record batch with its offsets assigned: the unit the log is journaled in.</summary>
public sealed record BatchAppended(byte[] Batch);

public sealed record PartitionDeleted;

/// <summary>
/// The replica took up a leadership: the highest controller, leader and partition epochs it accepted, journaled before
/// it acts on them so that after a restart it still refuses older ones (what fences it must survive it).
/// </summary>
public sealed record LeadershipAccepted(int ControllerEpoch, int LeaderEpoch, int PartitionEpoch);

/// <summary>
/// The high watermark reached <c>Offset</c> (Kafka's replication-offset-checkpoint, written every
/// <c>replica.high.watermark.checkpoint.interval.ms</c>): a restarted replica serves consumers from there at once, and
/// "latest" never goes back.
/// </summary>
public sealed record HighWatermarkCheckpointed(long Offset);

/// <summary>
/// The log was cut back to <c>Offset</c> (a batch boundary, <c>Position</c> bytes into the log) because the leader does
/// not have what followed: journal events from <c>FirstDeadSequenceNr</c> up to this event no longer belong to the log.
/// </summary>
public sealed record LogTruncated(long Offset, long Position, long FirstDeadSequenceNr);

/// <summary>The first offset written under a leader epoch (Kafka's leader-epoch checkpoint entry).</summary>
public readonly record struct LeaderEpochEntry(int Epoch, long StartOffset);

/// <summary>Journal events <c>From</c> to <c>To</c> (exclusive) that a truncation removed from the log.</summary>
public readonly record struct SequenceRange(long From, long To);

/// <summary>
/// A follower's fetch from its leader (Kafka's Fetch with a replica id): <c>FetchOffset</c> is the follower's log end
/// offset, which tells the leader what the follower has. <c>LeaderEpoch</c> is the leader epoch the follower follows;
/// a leader under another epoch refuses it. Records up to the leader's log end are returned, not only those below the
/// high watermark.
/// </summary>
public sealed record ReplicaFetchRequest(TopicPartition TopicPartition, int ReplicaId, int LeaderEpoch, long FetchOffset, int MaxBytes, int MaxWaitMs,
    long CorrelationId) : IPartitionRequest;

public sealed record ReplicaFetchResponse(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage, long HighWatermark, long LogStartOffset,
    byte[] Records, long CorrelationId);

/// <summary>
/// A new follower asks its leader where the follower's last leader epoch ends in the leader's log (Kafka's
/// OffsetsForLeaderEpoch), to cut off whatever it holds beyond that before fetching.
/// </summary>
public sealed record OffsetForLeaderEpochRequest(TopicPartition TopicPartition, int ReplicaId, int CurrentLeaderEpoch, int LeaderEpoch, long CorrelationId)
    : IPartitionRequest;

/// <summary><c>LeaderEpoch</c>: the largest epoch the leader has at or below the one asked for (-1: none); <c>EndOffset</c>: where it ends.</summary>
public sealed record OffsetForLeaderEpochResponse(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage, int LeaderEpoch, long EndOffset,
    long CorrelationId);

/// <summary>
/// A leader asks the controller to record a new in-sync replica set (Kafka's AlterPartition). Refused when the leader
/// or partition epoch is no longer current.
/// </summary>
public sealed record AlterPartitionRequest(TopicPartition TopicPartition, int LeaderId, int LeaderEpoch, int PartitionEpoch, IReadOnlyList<int> NewIsr);

/// <summary>
/// A replica found its log corrupt from <c>Offset</c> on (a batch that fails its CRC, or one whose offsets do not
/// continue the log). The controller moves leadership to another in-sync replica and takes the reporter out of the
/// ISR; as a follower it cuts its log back there and fetches the rest from the leader again.
/// </summary>
public sealed record ReplicaLogCorrupted(TopicPartition TopicPartition, int BrokerId, long Offset);

/// <summary>The partition's leadership as recorded (null with an error that left nothing to report).</summary>
public sealed record AlterPartitionResponse(TopicPartition TopicPartition, ErrorCode Error, string? ErrorMessage, PartitionAssignment? Assignment);

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
/// <c>LeaderEpochs</c> is the leader-epoch cache; <c>DeadRanges</c> are journal events that truncations removed;
/// <c>Segments</c> the log's segments, oldest first (empty in snapshots written before segments existed);
/// <c>CleanedUpTo</c> where the log cleaner's last pass ended (Kafka's first dirty offset).
public sealed record PartitionSnapshot(IReadOnlyDictionary<string, string> Config, long LogStartOffset, long LogEndOffset,
    long LogBytes, long MaxTimestamp, long BytesSinceIndexEntry, IReadOnlyList<OffsetIndexEntry> Index, IReadOnlyList<ProducerStateEntry> Producers,
    bool Deleted, IReadOnlyList<LeaderEpochEntry> LeaderEpochs, IReadOnlyList<SequenceRange> DeadRanges,
    IReadOnlyList<LogSegmentInfo> Segments, long CleanedUpTo, long HighWatermark = 0, int ControllerEpoch = -1, int LeaderEpoch = -1,
    int PartitionEpoch = -1);

/// <summary>
/// A log segment: the batches from <c>BaseOffset</c> (journal event <c>FirstSequenceNr</c>, <c>Position</c> bytes into
/// the log) up to the next segment's base. <c>FirstTimestamp</c> is its first batch's largest timestamp (segment.ms is
/// measured from it, as in Kafka), <c>MaxTimestamp</c> its largest, <c>Bytes</c> what it holds now (less after cleaning).
/// </summary>
public readonly record struct LogSegmentInfo(long BaseOffset, long FirstSequenceNr, long Position, long FirstTimestamp, long MaxTimestamp, long Bytes);

/// <summary>
/// Retention removed the segments below <c>Offset</c>, the base of the oldest segment kept (journal event
/// <c>FirstKeptSequenceNr</c>): the log now starts there, and journal events before it are deleted once a snapshot
/// holds the new start.
/// </summary>
public sealed record LogStartAdvanced(long Offset, long FirstKeptSequenceNr);

/// <summary>
/// Kafka's DeleteRecords moved the log start to <c>Offset</c> (at most the high watermark; on a follower, the leader's
/// log start it learnt from a fetch). Records below it are no longer read; the segments wholly below it go at the next
/// retention check, as a <see cref="LogStartAdvanced"/>.
/// </summary>
public sealed record RecordsDeleted(long Offset);

/// <summary>
/// The log cleaner compacted the segments below <c>CleanedUpTo</c>; <c>SegmentBytes</c> gives each cleaned segment's
/// size afterwards, by base offset.
/// </summary>
public sealed record LogCleaned(long CleanedUpTo, IReadOnlyList<SegmentSize> SegmentBytes);

/// <summary>
/// A follower whose whole log lies below its leader's log start (retention moved it while the follower was away)
/// empties its log and starts again at <c>Offset</c> (Kafka's truncate-fully-and-start-at): every earlier journal
/// event no longer belongs to the log.
/// </summary>
public sealed record LogReset(long Offset);

/// <summary>A segment's size in bytes, by its base offset.</summary>
public readonly record struct SegmentSize(long BaseOffset, long Bytes);
