using Akka.Actor;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// Fetches parked at a leader until enough bytes arrive or their wait ends (Kafka's delayed fetch purgatory), with no
/// actor or timers of its own: a consumer's fetch is ready once the bytes below the high watermark past its offset reach
/// its <c>fetch.min.bytes</c>, a follower's once the log grew past its offset at all.
/// </summary>
public sealed class FetchWaiters
{
    /// <summary>A waiting fetch; <c>Request</c> is a consumer's <see cref="FetchRequest"/> or a follower's <see cref="ReplicaFetchRequest"/>.</summary>
    public sealed record Parked(long Id, object Request, IActorRef ReplyTo, long StartPosition, long StartedTicks);

    private readonly Dictionary<long, Parked> _parked = new();
    private long _nextId;

    public int Count => _parked.Count;

    /// <param name="startPosition">Where the fetch offset lies in the log, in bytes.</param>
    public Parked Park(object request, IActorRef replyTo, long startPosition, long startedTicks)
    {
        if (request is not (FetchRequest or ReplicaFetchRequest))
            throw new ArgumentException($"only fetches wait, not {request.GetType().Name}", nameof(request));
        var parked = new Parked(++_nextId, request, replyTo, startPosition, startedTicks);
        _parked[parked.Id] = parked;
        return parked;
    }

    /// <summary>Removes and returns the fetch that has waited longest, or null when none waits.</summary>
    public Parked? TakeOldest()
    {
        if (_parked.Count == 0) return null;
        var oldest = _parked.Values.MinBy(p => p.Id)!;
        _parked.Remove(oldest.Id);
        return oldest;
    }

    /// <summary>The fetch's wait is over: it leaves, or null when it was answered already.</summary>
    public Parked? Expire(long id) => _parked.Remove(id, out var parked) ? parked : null;

    /// <summary>Removes and returns the fetches that can be answered with the log at these byte positions.</summary>
    public IReadOnlyList<Parked> TakeReady(long highWatermarkPosition, long logEndPosition)
    {
        if (_parked.Count == 0) return [];
        List<Parked>? ready = null;
        foreach (var p in _parked.Values)
        {
            var (end, minBytes) = p.Request is FetchRequest f ? (highWatermarkPosition, f.MinBytes) : (logEndPosition, 1);
            if (end - p.StartPosition >= Math.Max(1, minBytes)) (ready ??= new()).Add(p);
        }
        if (ready == null) return [];
        foreach (var p in ready) _parked.Remove(p.Id);
        return ready;
    }

    /// <summary>Removes and returns every waiting fetch (the replica stops leading, or the partition is deleted).</summary>
    public IReadOnlyList<Parked> TakeAll()
    {
        var all = _parked.Values.ToArray();
        _parked.Clear();
        return all;
    }
}
