using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// Per-producer sequence state of one partition, as Kafka's ProducerStateManager keeps it: the last five batches of
/// each idempotent producer, so a retried batch is recognised and answered with its original offset, and a gap or an
/// older epoch is refused. Owned by one partition replica actor.
/// </summary>
public sealed class ProducerStateTable
{
    /// <summary>Kafka keeps five: <c>max.in.flight.requests.per.connection</c> may not exceed it with idempotence.</summary>
    public const int RecentBatchesKept = 5;

    private sealed class Entry
    {
        public short Epoch;
        public long LastTimestamp;
        public readonly LinkedList<ProducerBatchMetadata> Recent = new();
    }

    private readonly Dictionary<long, Entry> _producers = new();

    public int Count => _producers.Count;

    /// <summary>What to do with a batch from an idempotent producer.</summary>
    public abstract record Check
    {
        public sealed record Append : Check;
        public sealed record Duplicate(ProducerBatchMetadata Original) : Check;
        public sealed record Refuse(ErrorCode Error, string Message) : Check;
    }

    public Check CheckBatch(RecordBatch batch)
    {
        if (!batch.HasProducerId) return new Check.Append();
        var pid = batch.ProducerId;
        var epoch = batch.ProducerEpoch;
        var first = batch.BaseSequence;
        if (first < 0)
            return new Check.Refuse(ErrorCode.InvalidRecord, $"producer {pid} sent a batch without a sequence number");
        if (!_producers.TryGetValue(pid, out var entry))
        {
            // Kafka (KIP-360): the producer's state expired or was never here; the client renumbers from 0 under a new id.
            return first == 0
                ? new Check.Append()
                : new Check.Refuse(ErrorCode.UnknownProducerId,
                    $"producer {pid} is unknown to this partition (its state expired after producer.id.expiration.ms) and its batch has sequence {first}, not 0");
        }
        if (epoch < entry.Epoch)
            return new Check.Refuse(ErrorCode.InvalidProducerEpoch, $"producer {pid} epoch {epoch} is older than the current epoch {entry.Epoch}");
        if (epoch > entry.Epoch)
            return first == 0
                ? new Check.Append()
                : new Check.Refuse(ErrorCode.OutOfOrderSequenceNumber, $"producer {pid} started epoch {epoch} with sequence {first}, not 0");

        var last = batch.LastSequence;
        foreach (var recent in entry.Recent)
            if (recent.FirstSequence == first && recent.LastSequence == last)
                return new Check.Duplicate(recent);
        var expected = entry.Recent.Last == null ? 0 : NextSequence(entry.Recent.Last.Value.LastSequence);
        return first == expected
            ? new Check.Append()
            : new Check.Refuse(ErrorCode.OutOfOrderSequenceNumber,
                $"producer {pid} epoch {epoch} sent sequence {first} but this partition expected {expected}");
    }

    /// <summary>Records an appended batch (live, or replayed during recovery).</summary>
    public void OnAppended(RecordBatch batch, long baseOffset, long logAppendTime, long nowMs)
    {
        if (!batch.HasProducerId) return;
        if (!_producers.TryGetValue(batch.ProducerId, out var entry))
        {
            entry = new Entry { Epoch = batch.ProducerEpoch };
            _producers[batch.ProducerId] = entry;
        }
        if (batch.ProducerEpoch != entry.Epoch)
        {
            entry.Epoch = batch.ProducerEpoch;
            entry.Recent.Clear();
        }
        entry.LastTimestamp = nowMs;
        entry.Recent.AddLast(new ProducerBatchMetadata(batch.BaseSequence, batch.LastSequence, baseOffset, logAppendTime));
        while (entry.Recent.Count > RecentBatchesKept) entry.Recent.RemoveFirst();
    }

    /// <summary>Forgets producers idle longer than <c>producer.id.expiration.ms</c>, so the table stays bounded.</summary>
    public void ExpireIdle(long nowMs, long expirationMs)
    {
        foreach (var pid in _producers.Where(p => nowMs - p.Value.LastTimestamp > expirationMs).Select(p => p.Key).ToList())
            _producers.Remove(pid);
    }

    /// <summary>Forgets batches at or above <paramref name="offset"/> (the log was truncated there), and producers left with none.</summary>
    public void TruncateFrom(long offset)
    {
        foreach (var (pid, entry) in _producers.ToList())
        {
            while (entry.Recent.Last is { } last && last.Value.BaseOffset >= offset) entry.Recent.RemoveLast();
            if (entry.Recent.Count == 0) _producers.Remove(pid);
        }
    }

    public IReadOnlyList<ProducerStateEntry> ToSnapshot() =>
        _producers.Select(p => new ProducerStateEntry(p.Key, p.Value.Epoch, p.Value.LastTimestamp, p.Value.Recent.ToArray())).ToArray();

    public void Restore(IEnumerable<ProducerStateEntry> entries)
    {
        _producers.Clear();
        foreach (var e in entries)
        {
            var entry = new Entry { Epoch = e.Epoch, LastTimestamp = e.LastTimestamp };
            foreach (var b in e.RecentBatches) entry.Recent.AddLast(b);
            _producers[e.ProducerId] = entry;
        }
    }

    private static int NextSequence(int sequence) => sequence == int.MaxValue - 1 ? 0 : sequence + 1;
}
