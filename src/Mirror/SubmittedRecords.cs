using System.Diagnostics.CodeAnalysis;
using AkkaBroker.Client;

namespace AkkaBroker.Mirror;

/// <summary>
/// Which source offsets a mirror stream may commit, per source partition. The stream submits records in the order
/// the consumer returned them (per partition offsets only grow, with gaps where compaction removed records or
/// transaction markers sit); the target acknowledges them in any order. A partition's safe offset is what Kafka
/// commits, the next offset to read: one past the highest submitted offset such that it and every offset submitted
/// before it were acknowledged, or, while none is, where the partition started. Committing it can never lose a
/// record: after a crash the records past it are mirrored again (duplicates, never gaps).
/// <para>
/// Named after Kafka Connect's <c>SubmittedRecords</c>, which MirrorMaker 2's source tasks use for the same job. Owned
/// by one stream actor and not thread-safe: delivery reports reach it as messages to that actor.
/// </para>
/// <para>
/// A failed send (the producer gave up on a record: a non-retriable error, or <c>delivery.timeout.ms</c> passed) with
/// <c>abort.on.send.failure=true</c> pins its partition: the safe offset never passes the failed record, and
/// <see cref="MustStop"/> tells the stream to stop. With <c>abort.on.send.failure=false</c> the record is dropped, as
/// Kafka's MirrorMaker drops it: counted in <see cref="Dropped"/> and treated as done, so commits go on past it.
/// </para>
/// </summary>
public sealed class SubmittedRecords
{
    /// <summary>What the stream must do about a failed send, and a log line that says why.</summary>
    /// <param name="MustStop">True with abort.on.send.failure=true: the mirror stops, committing nothing past the record.</param>
    /// <param name="Message">What happened to the record and to its partition's commits, naming both.</param>
    public sealed record SendFailureOutcome(bool MustStop, string Message);

    private enum State : byte
    {
        /// <summary>Sent, no answer yet.</summary>
        Pending,
        /// <summary>Acknowledged by the target, dropped, or a marker for offsets retention removed.</summary>
        Done,
        /// <summary>The target did not take it and the mirror aborts: never released.</summary>
        Failed,
    }

    private sealed class PartitionState(long generation)
    {
        public readonly long Generation = generation;
        /// <summary>Submitted offsets not yet released, oldest first.</summary>
        public readonly Queue<long> Order = new();
        public readonly Dictionary<long, State> States = new();
        /// <summary>Records sent and not answered.</summary>
        public int Pending;
        /// <summary>The offset the consumer is expected to return next; -1 until known.</summary>
        public long Position = -1;
        /// <summary>The offset safe to commit; -1 until known.</summary>
        public long SafeOffset = -1;
        /// <summary>The highest offset committed for this assignment; -1 before the first commit.</summary>
        public long LastCommitted = -1;
    }

    private readonly bool _abortOnSendFailure;
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = new();
    private long _generation;
    private int _inFlight;

    /// <param name="abortOnSendFailure">Kafka MirrorMaker's <c>abort.on.send.failure</c>: stop at a failed send (true) or drop the record (false).</param>
    public SubmittedRecords(bool abortOnSendFailure) => _abortOnSendFailure = abortOnSendFailure;

    /// <summary>Records sent and not yet answered, across partitions (what the stream bounds to hold back consuming).</summary>
    public int InFlight => _inFlight;

    /// <summary>Records dropped after a failed send with abort.on.send.failure=false (Kafka's <c>MirrorMaker-numDroppedMessages</c>).</summary>
    public long Dropped { get; private set; }

    /// <summary>Why the mirror must stop (the first failed send with abort.on.send.failure=true), or null.</summary>
    public string? StopReason { get; private set; }

    /// <summary>True once a send failed with abort.on.send.failure=true: the stream stops consuming and shuts down.</summary>
    public bool MustStop => StopReason != null;

    /// <summary>The partitions tracked now.</summary>
    public IReadOnlyCollection<TopicPartition> Partitions => _partitions.Keys;

    /// <summary>
    /// The group gave this stream <paramref name="topicPartition"/>; the consumer starts at <paramref name="position"/>
    /// (the committed offset, or where auto.offset.reset put it), which is also the safe offset until records are
    /// acknowledged. Tracking of an earlier assignment of the partition is dropped, and its late answers are ignored.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is negative.</exception>
    public void Assign(TopicPartition topicPartition, long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        Forget(topicPartition);
        _partitions[topicPartition] = new PartitionState(++_generation) { Position = position, SafeOffset = position };
    }

    /// <summary>
    /// The stream hands the record at <paramref name="offset"/> to the producer. A partition not assigned through
    /// <see cref="Assign"/> starts being tracked here, with this record's offset as its safe offset.
    /// </summary>
    /// <returns>The record to hand back with the target's answer.</returns>
    /// <exception cref="InvalidOperationException">
    /// The offset is below the partition's position: the consumer went back without the partition being revoked, which
    /// happens only when the source log itself went back (truncated by an unclean leader election, or the topic deleted
    /// and created again). Committing would then be meaningless, so the stream must stop rather than guess.
    /// </exception>
    public SubmittedRecord Submit(TopicPartition topicPartition, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (!_partitions.TryGetValue(topicPartition, out var p))
            _partitions[topicPartition] = p = new PartitionState(++_generation);
        if (p.Position >= 0 && offset < p.Position)
            throw new InvalidOperationException(
                $"{topicPartition}: offset {offset} was consumed after the stream reached offset {p.Position}. Records of a source partition " +
                "must come in offset order; the source log went back (an unclean leader election truncated it, or the topic was deleted and " +
                "created again), so its offsets no longer name the records already mirrored. Stop the mirror and check the source topic.");
        if (p.SafeOffset < 0) p.SafeOffset = offset;
        p.Order.Enqueue(offset);
        p.States[offset] = State.Pending;
        p.Pending++;
        _inFlight++;
        p.Position = offset + 1;
        return new SubmittedRecord(topicPartition, offset, p.Generation);
    }

    /// <summary>The target acknowledged <paramref name="record"/>: the safe offset moves past it once every earlier record is acknowledged too.</summary>
    /// <returns>False when the answer is stale (its partition was revoked since) or repeated, and so changed nothing.</returns>
    public bool Acknowledged(SubmittedRecord record)
    {
        if (!IsPending(record, out var p)) return false;
        Finish(p, record.Offset, State.Done);
        Release(p);
        return true;
    }

    /// <summary>
    /// The producer gave up on <paramref name="record"/> (<paramref name="error"/> says why). With abort.on.send.failure=true
    /// the partition's safe offset stays at or below the record for good and the mirror must stop, even if the
    /// partition was revoked meanwhile: the target refusing records is not something the next owner will escape. With
    /// false the record is dropped and counted, and commits go on past it.
    /// </summary>
    public SendFailureOutcome Failed(SubmittedRecord record, string error)
    {
        var current = IsPending(record, out var p);
        if (_abortOnSendFailure)
        {
            if (current) Finish(p!, record.Offset, State.Failed);
            var committed = current ? $"offsets are committed only up to {p!.SafeOffset}, so a restarted mirror sends it again"
                : "the partition was revoked before the failure, so its next owner sends it again";
            var message = $"{record}: the target did not take the record ({error}). abort.on.send.failure=true: the mirror stops; {committed}.";
            StopReason ??= message;
            return new SendFailureOutcome(true, message);
        }
        if (!current)
            return new SendFailureOutcome(false,
                $"{record}: the target did not take the record ({error}); the partition was revoked before the failure, so its next owner sends it again.");
        Finish(p!, record.Offset, State.Done);
        Release(p!);
        Dropped++;
        return new SendFailureOutcome(false,
            $"{record}: the target did not take the record ({error}). abort.on.send.failure=false: the record is dropped " +
            $"({Dropped} dropped so far) and offsets past it will be committed.");
    }

    /// <summary>
    /// The stream moved the partition's position forward to <paramref name="offset"/> because retention deleted the
    /// records before it (see <see cref="OffsetGap"/>): once every record submitted before is acknowledged, the safe
    /// offset moves to <paramref name="offset"/>, so a restart does not run into the same gap again. Does nothing when
    /// the position is already there.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
    public void SkipTo(TopicPartition topicPartition, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (!_partitions.TryGetValue(topicPartition, out var p))
            _partitions[topicPartition] = p = new PartitionState(++_generation);
        if (p.Position >= 0 && offset <= p.Position) return;
        // A marker that is already done: above every submitted offset (they are all below the position), and released
        // in order behind them.
        p.Order.Enqueue(offset - 1);
        p.States[offset - 1] = State.Done;
        p.Position = offset;
        Release(p);
    }

    /// <summary>The next offset the consumer is expected to return for the partition (to detect gaps), or null when not known yet.</summary>
    public long? Position(TopicPartition topicPartition) =>
        _partitions.TryGetValue(topicPartition, out var p) && p.Position >= 0 ? p.Position : null;

    /// <summary>The partition's offset that is safe to commit now, or null when it is not tracked or nothing is known of it yet.</summary>
    public long? SafeOffset(TopicPartition topicPartition) =>
        _partitions.TryGetValue(topicPartition, out var p) && p.SafeOffset >= 0 ? p.SafeOffset : null;

    /// <summary>
    /// The safe offsets of partitions whose safe offset moved since they were last committed (a newly assigned
    /// partition's start included, so that a restart begins where this run began even if nothing was mirrored yet),
    /// ordered by topic and partition. Pass them to <see cref="Committed"/> once the commit succeeded.
    /// </summary>
    public List<TopicPartitionOffset> OffsetsToCommit() =>
        _partitions.Where(kv => kv.Value.SafeOffset >= 0 && kv.Value.SafeOffset > kv.Value.LastCommitted)
            .Select(kv => new TopicPartitionOffset(kv.Key, kv.Value.SafeOffset))
            .OrderBy(tpo => tpo.Topic, StringComparer.Ordinal).ThenBy(tpo => tpo.Partition)
            .ToList();

    /// <summary>The source cluster took these offsets; partitions no longer tracked and offsets older than the last committed are ignored.</summary>
    public void Committed(IEnumerable<TopicPartitionOffset> offsets)
    {
        foreach (var tpo in offsets)
            if (_partitions.TryGetValue(tpo.TopicPartition, out var p) && tpo.Offset.Value > p.LastCommitted)
                p.LastCommitted = tpo.Offset.Value;
    }

    /// <summary>
    /// The partition is taken away (revoked, or lost): returns its safe offset for the stream to commit (on revoke;
    /// a lost partition may already be another member's, so nothing is committed for it) and forgets it. Answers for its
    /// records arriving later are ignored. Null when the partition was not tracked or nothing is known of it.
    /// </summary>
    public long? Revoke(TopicPartition topicPartition)
    {
        var safe = SafeOffset(topicPartition);
        Forget(topicPartition);
        return safe;
    }

    private void Forget(TopicPartition topicPartition)
    {
        if (_partitions.Remove(topicPartition, out var old)) _inFlight -= old.Pending;
    }

    private bool IsPending(SubmittedRecord record, [NotNullWhen(true)] out PartitionState? p) =>
        _partitions.TryGetValue(record.TopicPartition, out p) && p.Generation == record.Generation
        && p.States.TryGetValue(record.Offset, out var state) && state == State.Pending;

    private void Finish(PartitionState p, long offset, State state)
    {
        p.States[offset] = state;
        p.Pending--;
        _inFlight--;
    }

    /// <summary>Releases the done records at the head: the safe offset becomes one past the last of them.</summary>
    private static void Release(PartitionState p)
    {
        while (p.Order.TryPeek(out var head) && p.States[head] == State.Done)
        {
            p.Order.Dequeue();
            p.States.Remove(head);
            p.SafeOffset = head + 1;
        }
    }
}
