using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>A sealed batch of one partition, as its <see cref="PartitionSequencer{TBatch}"/> keeps it.</summary>
internal class SequencedBatch
{
    public required byte[] Bytes;
    /// <summary>The idempotent producer's sequence number of the first record, or <see cref="RecordBatch.NoSequence"/>.</summary>
    public required int BaseSequence;
    public required int RecordCount;
    public required long CreatedTicks;
    public int Attempts;
    /// <summary>An attempt ended without an answer (timeout, lost connection): the broker may hold this batch.</summary>
    public bool MaybeAppended;
    /// <summary>Acknowledged, waiting for earlier batches so delivery reports keep the partition's order.</summary>
    public (long BaseOffset, long LogAppendTime)? Acked;
    private int _completed;

    /// <summary>True the first time only: a batch's records are completed once, whatever races with Dispose.</summary>
    public bool TryMarkCompleted() => Interlocked.Exchange(ref _completed, 1) == 0;
}

/// <summary>What became of a batch: acknowledged at an offset, or failed with how sure it is that it is not in the log.</summary>
internal readonly record struct BatchOutcome<TBatch>(TBatch Batch, Error Error, long BaseOffset, long LogAppendTime, PersistenceStatus Status)
    where TBatch : SequencedBatch;

/// <summary>The producer settings a sequencer decides by; durations in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
internal sealed record SequencerSettings(int Retries, long DeliveryTimeoutTicks, long RetryBackoffTicks);

/// <summary>Whether a partition may send its next batch, and if not, what it waits for.</summary>
internal enum SendGate
{
    Open,
    /// <summary>A batch failed: every batch in flight must come back before anything is resent, in order.</summary>
    WaitForInFlight,
    WaitForBackoff,
    /// <summary>The broker's view of the sequence may differ from ours: renumber under a new producer id first.</summary>
    NeedsProducerId,
}

/// <summary>
/// One partition's sealed batches between the accumulator and the broker: their order, sequence numbers, retries and
/// delivery order. Pure: no clock, no I/O, no locks (the producer calls it under the partition's lock and passes the
/// time). It decides what Kafka's producer decides per partition: a retriable failure resends from the failed batch
/// in order after everything in flight came back, acknowledgements complete in the partition's order, a batch that
/// failed for good gives its sequence numbers to the batches after it, and a batch that may be in the log makes the
/// partition continue under a new producer id, so that retries neither duplicate nor reorder.
/// </summary>
internal sealed class PartitionSequencer<TBatch>(SequencerSettings settings) where TBatch : SequencedBatch
{
    private readonly List<TBatch> _unsent = new();
    private readonly List<TBatch> _inFlight = new();
    private long _retryNotBeforeTicks;

    /// <summary>Sealed batches not sent yet (or to be resent), in sequence order, which is the order they were created in.</summary>
    public IReadOnlyList<TBatch> Unsent => _unsent;
    /// <summary>Sent batches waiting for the broker's answer, in the order they were sent.</summary>
    public IReadOnlyList<TBatch> InFlight => _inFlight;
    public int NextSequence { get; private set; }
    /// <summary>A batch failed: send nothing until every in-flight batch is back, then resend in order.</summary>
    public bool Recovering { get; private set; }
    /// <summary>The producer id and epoch this partition's sequence numbers belong to.</summary>
    public long ProducerId { get; private set; } = RecordBatch.NoProducerId;
    public short ProducerEpoch { get; private set; } = RecordBatch.NoProducerEpoch;
    /// <summary>
    /// The broker's view of this partition's sequence may differ from ours (a batch that timed out after it was sent
    /// may or may not be in the log, or the broker forgot an idle producer): once nothing is in flight, take a new
    /// producer id and renumber every unsent batch from sequence 0, as Kafka's producer bumps its epoch.
    /// </summary>
    public bool NeedsNewProducerId { get; private set; }
    /// <summary>Set by the producer while it asks for a new producer id, so that it asks once.</summary>
    public bool ObtainingProducerId;

    /// <summary>Takes the first producer id this partition's batches carry.</summary>
    public void UseProducerId(long producerId, short producerEpoch)
    {
        if (ProducerId != RecordBatch.NoProducerId) throw new InvalidOperationException("the partition already has a producer id; renumber to change it");
        (ProducerId, ProducerEpoch) = (producerId, producerEpoch);
    }

    /// <summary>The base sequence for a batch of <paramref name="recordCount"/> records about to be sealed.</summary>
    public int TakeSequences(int recordCount)
    {
        var seq = NextSequence;
        NextSequence = WrapSequence((long)NextSequence + recordCount);
        return seq;
    }

    /// <summary>Queues a freshly sealed batch behind every other.</summary>
    public void Sealed(TBatch batch) => _unsent.Add(batch);

    /// <summary>Whether sending may go on; a partition that recovered from a failure opens again here.</summary>
    public SendGate Resume(long nowTicks)
    {
        if (!Recovering) return SendGate.Open;
        if (_inFlight.Count > 0) return SendGate.WaitForInFlight;
        if (nowTicks < _retryNotBeforeTicks) return SendGate.WaitForBackoff;
        if (NeedsNewProducerId) return SendGate.NeedsProducerId;
        Recovering = false;
        return SendGate.Open;
    }

    /// <summary>The first unsent batch has been sent; with <paramref name="awaitsAnswer"/> it is in flight until answered.</summary>
    public void Sent(TBatch batch, bool awaitsAnswer)
    {
        if (_unsent.Count == 0 || !ReferenceEquals(_unsent[0], batch)) throw new InvalidOperationException("only the first unsent batch may be sent");
        _unsent.RemoveAt(0);
        batch.Attempts++;
        if (awaitsAnswer) _inFlight.Add(batch);
    }

    /// <summary>
    /// The broker answered a batch in flight (or the request failed: a timeout, a lost connection). Adds to
    /// <paramref name="completed"/> what may be reported now, in the partition's order, and returns whether the
    /// partition's leader is in doubt (the producer then looks it up again).
    /// </summary>
    public bool Answered(TBatch batch, Error error, long baseOffset, long logAppendTime, long nowTicks, List<BatchOutcome<TBatch>> completed)
    {
        var leaderInDoubt = false;
        if (!error.IsError)
        {
            // Reports go out in the partition's order: this one waits for any earlier batch still in flight.
            batch.Acked = (baseOffset, logAppendTime);
        }
        else
        {
            if (MayBeInLog(error)) batch.MaybeAppended = true;
            _inFlight.Remove(batch);
            leaderInDoubt = Failed(batch, error, nowTicks, completed);
        }
        while (_inFlight.Count > 0 && _inFlight[0].Acked is { } acked)
        {
            completed.Add(new(_inFlight[0], Error.NoError, acked.BaseOffset, acked.LogAppendTime, PersistenceStatus.Persisted));
            _inFlight.RemoveAt(0);
        }
        return leaderInDoubt;
    }

    /// <summary>Decides what a refused or unanswered batch means; true when the partition's leader is in doubt.</summary>
    private bool Failed(TBatch batch, Error error, long nowTicks, List<BatchOutcome<TBatch>> completed)
    {
        var idempotent = batch.BaseSequence >= 0;
        if (idempotent && error.ProtocolCode == ErrorCode.OutOfOrderSequenceNumber)
        {
            // Refused only because the broker expects another sequence: an earlier batch failed (its answer may not have
            // been handled yet) or the broker's view differs from ours. Never a reason to drop these records: wait for
            // earlier batches and resend, or take a new producer id when nothing earlier is pending.
            Requeue(batch);
            if (!_inFlight.Any(b => Precedes(b.BaseSequence, batch.BaseSequence)) && !Recovering) StartRenumbering();
            Recovering = true;
            return false;
        }
        if (idempotent && error.ProtocolCode == ErrorCode.UnknownProducerId)
        {
            // The broker no longer knows this producer (it expired while idle): the batch was not appended.
            Requeue(batch);
            StartRenumbering();
            return false;
        }
        if (error.IsRetriable && batch.Attempts <= settings.Retries && nowTicks - batch.CreatedTicks < settings.DeliveryTimeoutTicks)
        {
            Requeue(batch);
            Recovering = true;
            _retryNotBeforeTicks = nowTicks + settings.RetryBackoffTicks;
            return error.ProtocolCode is ErrorCode.NotLeaderOrFollower or ErrorCode.UnknownTopicOrPartition or ErrorCode.LeaderNotAvailable
                or ErrorCode.NetworkException or ErrorCode.RequestTimedOut or ErrorCode.FencedLeaderEpoch;
        }
        if (batch.MaybeAppended)
        {
            // Some attempt may have been appended: its sequence numbers can never be reused. Report the records as
            // possibly persisted and continue under a new producer id.
            completed.Add(new(batch, error, -1, -1, PersistenceStatus.PossiblyPersisted));
            if (idempotent) StartRenumbering();
            return false;
        }
        // Every attempt was refused: the batch is not in the log, so later batches take over its sequence numbers.
        completed.Add(new(batch, error, -1, -1, PersistenceStatus.NotPersisted));
        if (idempotent) Resequence(batch);
        return false;
    }

    /// <summary>Errors after which the broker may or may not have appended the batch.</summary>
    private static bool MayBeInLog(Error error) =>
        error.ProtocolCode is ErrorCode.RequestTimedOut or ErrorCode.NetworkException or ErrorCode.LocalTransport or ErrorCode.LocalMessageTimedOut
            // A leader answers these also for a batch it had already appended (leadership moved or the ISR shrank
            // before the batch was replicated, or its journal failed while the batch waited for replication).
            or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.NotLeaderOrFollower or ErrorCode.KafkaStorageError;

    /// <summary>
    /// Removes the unsent batches created at or before <paramref name="expiredAtOrBefore"/> (they waited
    /// delivery.timeout.ms) into <paramref name="expired"/>; the caller reports them as failed.
    /// </summary>
    public void ExpireUnsent(long expiredAtOrBefore, List<TBatch> expired)
    {
        // The expired ones are at the front (creation order), so a round stays cheap when thousands of batches wait.
        var count = 0;
        while (count < _unsent.Count && _unsent[count].CreatedTicks <= expiredAtOrBefore) count++;
        if (count == 0) return;
        var removed = _unsent.GetRange(0, count);
        _unsent.RemoveRange(0, count);
        expired.AddRange(removed);
        // A batch that may be in the log keeps its sequence numbers for good: continue under a new producer id.
        // Batches certainly not in the log give theirs to the batches after them.
        if (removed.Any(b => b.BaseSequence >= 0 && b.MaybeAppended)) StartRenumbering();
        else
            // The last first, so that each gap closes behind the batches still waiting.
            for (var i = removed.Count - 1; i >= 0; i--)
                if (removed[i].BaseSequence >= 0) Resequence(removed[i]);
    }

    /// <summary>
    /// Continues under a new producer id: every unsent batch is renumbered from sequence 0, except those that may
    /// already be in the log under the old id, which are removed and returned (sent again under the new id they would
    /// be appended twice; the caller reports them as possibly persisted). The producer asks for a new id only once
    /// nothing is in flight (<see cref="Resume"/>), and sends nothing until it has renumbered.
    /// </summary>
    public List<TBatch> Renumber(long producerId, short producerEpoch)
    {
        ProducerId = producerId;
        ProducerEpoch = producerEpoch;
        var ambiguous = _unsent.Where(b => b.MaybeAppended).ToList();
        _unsent.RemoveAll(b => b.MaybeAppended);
        var seq = 0;
        foreach (var b in _unsent)
        {
            b.BaseSequence = seq;
            // A sent batch's bytes may still be read by remoting's writer thread: rewrite a copy.
            if (b.Attempts > 0) b.Bytes = (byte[])b.Bytes.Clone();
            RecordBatch.SetProducerState(b.Bytes, producerId, producerEpoch, seq);
            seq += b.RecordCount;
        }
        NextSequence = seq;
        NeedsNewProducerId = false;
        ObtainingProducerId = false;
        return ambiguous;
    }

    /// <summary>Removes and returns every batch, unsent and in flight (the producer is closing).</summary>
    public List<TBatch> TakeAll()
    {
        var all = _unsent.Concat(_inFlight).ToList();
        _unsent.Clear();
        _inFlight.Clear();
        return all;
    }

    private void StartRenumbering()
    {
        NeedsNewProducerId = true;
        Recovering = true;
    }

    private void Requeue(TBatch batch)
    {
        var i = 0;
        while (i < _unsent.Count && Compare(_unsent[i], batch) < 0) i++;
        _unsent.Insert(i, batch);
    }

    private static int Compare(TBatch a, TBatch b) =>
        a.BaseSequence >= 0 ? Math.Sign(SequenceDistance(b.BaseSequence, a.BaseSequence)) : a.CreatedTicks.CompareTo(b.CreatedTicks);

    /// <summary>
    /// How far <paramref name="to"/> is after <paramref name="from"/>. Sequence numbers wrap from int.MaxValue - 1 to 0
    /// (as Kafka's do), so a plain comparison would put the batches after the wrap before those just ahead of it; the
    /// batches a partition holds span far less than half the range, which decides the direction.
    /// </summary>
    private static long SequenceDistance(int from, int to)
    {
        var d = ((long)to - from) % int.MaxValue;
        if (d < 0) d += int.MaxValue;
        return d > int.MaxValue / 2 ? d - int.MaxValue : d;
    }

    private static bool Precedes(int a, int b) => SequenceDistance(a, b) > 0;

    private static int WrapSequence(long sequence) => (int)(((sequence % int.MaxValue) + int.MaxValue) % int.MaxValue);

    /// <summary>
    /// A batch failed for good, so its sequence numbers were never used: later batches move down to close the gap
    /// (as Kafka's producer adjusts sequences), and those in flight will be refused and resent with the new numbers.
    /// </summary>
    private void Resequence(TBatch failed)
    {
        var count = failed.RecordCount;
        foreach (var b in _unsent.Concat(_inFlight))
        {
            if (!Precedes(failed.BaseSequence, b.BaseSequence)) continue;
            b.BaseSequence = WrapSequence((long)b.BaseSequence - count);
            // A sent batch's bytes may still be read by remoting's writer thread: rewrite a copy.
            if (b.Attempts > 0) b.Bytes = (byte[])b.Bytes.Clone();
            RecordBatch.SetBaseSequence(b.Bytes, b.BaseSequence);
        }
        NextSequence = WrapSequence((long)NextSequence - count);
        if (_inFlight.Count > 0) Recovering = true;
    }
}
