using Akka.Actor;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// The journal read a leader starts for a consumer reading its log in order, before the consumer asks: once a fetch is
/// answered from the journal, the range after it is read while the answer travels and the client handles it, so the
/// next fetch finds its records in memory or already on their way. Kafka gets the same from the operating system's
/// read-ahead of segment files. One range per partition, no actor or timers of its own: <see cref="LeaderReads"/>
/// decides when to start, use and drop it. A client with one fetch in flight for all its partitions (every Kafka
/// client) otherwise waits for the journal on each round trip.
/// </summary>
public sealed class ReadAhead
{
    /// <summary>The journal read of a range ahead, as the purpose of <see cref="ReplicaEffect.ReadJournal"/>.</summary>
    public sealed record Read(long Id, long Offset, long ToSequenceNr);

    /// <summary>Timer: range <c>Id</c> was read and no fetch came for it in time; its memory is let go.</summary>
    public sealed record Unused(long Id);

    /// <summary>A fetch waiting for the range ahead to arrive.</summary>
    public sealed record Waiter(FetchRequest Request, IActorRef ReplyTo, long StartedTicks);

    /// <summary>A read range: its events once read, or the error that stopped the read.</summary>
    public sealed record Range(Read Read, IReadOnlyList<(long SequenceNr, byte[] Batch)> Events, string? Error);

    private Read? _read;
    private Range? _range;
    private readonly List<Waiter> _waiting = new();
    private long _nextId;

    /// <summary>The offset the range ahead starts at, whether read or still being read; null when there is none.</summary>
    public long? Offset => _read?.Offset;

    /// <summary>
    /// Starts a range at <paramref name="offset"/> in place of any other, and the caller reads it from the journal; null
    /// while fetches wait for the range in flight (another consumer of the partition keeps it).
    /// </summary>
    public Read? Start(long offset, long toSequenceNr)
    {
        if (_waiting.Count > 0) return null;
        Drop();
        _read = new Read(++_nextId, offset, toSequenceNr);
        return _read;
    }

    /// <summary>
    /// The range ahead for a fetch at its offset, taken out (the fetch consumes it), or null with the fetch waiting for
    /// the read in flight. Call only when <see cref="Offset"/> is the fetch's offset.
    /// </summary>
    public Range? TakeOrWait(Waiter waiter)
    {
        if (_read == null || _read.Offset != waiter.Request.FetchOffset)
            throw new InvalidOperationException($"no range ahead at offset {waiter.Request.FetchOffset}");
        if (_range == null)
        {
            _waiting.Add(waiter);
            return null;
        }
        var range = _range;
        Drop();
        return range;
    }

    /// <summary>
    /// The journal answered <paramref name="read"/>: the fetches that waited for it, with the range (taken out), or no
    /// fetch and the range kept for the next one. A read superseded by another is dropped.
    /// </summary>
    public (Range? Range, IReadOnlyList<Waiter> Waiting) Arrived(Read read, IReadOnlyList<(long SequenceNr, byte[] Batch)> events, string? error)
    {
        if (_read != read) return (null, []);
        var range = new Range(read, events, error);
        if (_waiting.Count == 0)
        {
            _range = range;
            return (range, []);
        }
        var waiting = _waiting.ToList();
        Drop();
        return (range, waiting);
    }

    /// <summary>Lets the range go if it is still the unused <paramref name="id"/>; fetches waiting are never dropped.</summary>
    public void Expire(long id)
    {
        if (_read?.Id == id && _waiting.Count == 0) Drop();
    }

    /// <summary>Drops the range and hands back the fetches that waited for it (the replica stops leading).</summary>
    public IReadOnlyList<Waiter> TakeWaiting()
    {
        var waiting = _waiting.ToList();
        Drop();
        return waiting;
    }

    private void Drop()
    {
        _read = null;
        _range = null;
        _waiting.Clear();
    }
}
