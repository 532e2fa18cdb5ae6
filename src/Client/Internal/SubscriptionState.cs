using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>
/// One assigned partition's positions and fetch state. A seek, pause or reassignment bumps <see cref="Generation"/>,
/// so fetches and records from before it are recognised as stale.
/// </summary>
internal sealed class PartitionFetchState(ProtocolTopicPartition tp)
{
    public readonly ProtocolTopicPartition Tp = tp;
    /// <summary>The public form, made once rather than per record.</summary>
    public readonly TopicPartition ClientTp = new(tp.Topic, tp.Partition);
    /// <summary>Next offset handed to the application; -1 while being resolved.</summary>
    public long Position = -1;
    /// <summary>Next offset to fetch.</summary>
    public long FetchPosition = -1;
    public int Generation;
    /// <summary>The generation of the fetch in flight (or waiting to retry); -1 when none is.</summary>
    public int InFlightGeneration = -1;
    public long HighWatermark = -1;
    public long LogStartOffset = -1;
    public bool EofReported;
    public bool Removed;
    /// <summary>Fetched chunks of this partition not yet consumed to the end.</summary>
    public int BufferedChunks;
    /// <summary>Paused by the application: no fetching, nothing returned.</summary>
    public bool Paused;
    /// <summary>Records and key-plus-value bytes handed to the application, for the statistics handler (Interlocked).</summary>
    public long Consumed;
    public long ConsumedBytes;
    /// <summary>The offset StoreOffset set (used instead of the position when enable.auto.offset.store is off).</summary>
    public long StoredOffset = -1;
    /// <summary>The last offset committed for this partition by this consumer, so auto-commit sends only changes.</summary>
    public long LastCommitted = -1;
}

/// <summary>What the consumer does after a fetch's answer was applied.</summary>
internal enum FetchFollowUp
{
    /// <summary>Nothing: the partition is gone, or waits for the application (an error it must seek past).</summary>
    None,
    /// <summary>Fetch on at once (if the buffer has room).</summary>
    FetchAgain,
    /// <summary>The fetch position is out of the log's range: find it again by auto.offset.reset.</summary>
    ResetPosition,
    /// <summary>Fetch again after <see cref="FetchOutcome.RetryAfter"/>; the partition counts as in flight meanwhile.</summary>
    RetryLater,
}

/// <summary>The answer of one fetch applied: what to hand the application, and what to do next.</summary>
internal sealed record FetchOutcome(FetchFollowUp FollowUp, IReadOnlyList<CompletedFetch> Deliver, bool RefreshMetadata = false, TimeSpan RetryAfter = default)
{
    public static readonly FetchOutcome Nothing = new(FetchFollowUp.None, []);
}

/// <summary>
/// Kafka's subscription state: the partitions a consumer reads, each one's positions, which may fetch now, what a
/// fetch's answer changes, and which offsets are due for a commit. It does no I/O and holds no lock: the consumer
/// calls it under its own lock and performs what it decides (send the fetch, deliver, reset, retry).
/// </summary>
internal sealed class SubscriptionState(ConsumerSettings settings)
{
    /// <summary>Like Kafka's consumer, stay at most this many fetches ahead of the application per partition: buffering
    /// more only ages the data into older GC generations (measured: frequent gen2 collections) without reading faster.</summary>
    public const int MaxBufferedChunksPerPartition = 2;

    private readonly Dictionary<ProtocolTopicPartition, PartitionFetchState> _assigned = new();
    /// <summary>Errors already handed to the application, per partition, generation and code, so a retry loop does not flood it.</summary>
    private readonly HashSet<(ProtocolTopicPartition, int, ErrorCode)> _reported = new();

    public IReadOnlyCollection<PartitionFetchState> Partitions => _assigned.Values;

    public int Count => _assigned.Count;

    public bool TryGet(ProtocolTopicPartition tp, out PartitionFetchState state) => _assigned.TryGetValue(tp, out state!);

    public bool Contains(ProtocolTopicPartition tp) => _assigned.ContainsKey(tp);

    /// <summary>Adds a partition with no position yet; one assigned already is replaced, and its fetches become stale.</summary>
    public PartitionFetchState Add(ProtocolTopicPartition tp)
    {
        if (_assigned.Remove(tp, out var old)) old.Removed = true;
        // A partition assigned again starts its generations afresh: errors reported before must not silence its own.
        _reported.RemoveWhere(r => r.Item1 == tp);
        var state = new PartitionFetchState(tp);
        _assigned[tp] = state;
        return state;
    }

    /// <summary>Removes a partition: its fetches in flight and its buffered records are dropped when they come back.</summary>
    public bool Remove(ProtocolTopicPartition tp)
    {
        if (!_assigned.Remove(tp, out var state)) return false;
        state.Removed = true;
        _reported.RemoveWhere(r => r.Item1 == tp);
        return true;
    }

    public void Clear()
    {
        foreach (var s in _assigned.Values) s.Removed = true;
        _assigned.Clear();
        _reported.Clear();
    }

    /// <summary>True while the partition is assigned and nothing moved it since <paramref name="generation"/>.</summary>
    public static bool IsCurrent(PartitionFetchState state, int generation) => !state.Removed && state.Generation == generation;

    /// <summary>
    /// Moves the partition to <paramref name="offset"/> (-1: unknown until resolved), in a new generation: what was
    /// fetched before is dropped and errors are reported afresh.
    /// </summary>
    /// <returns>The new generation.</returns>
    public int Seek(PartitionFetchState state, long offset)
    {
        _reported.RemoveWhere(r => r.Item1 == state.Tp);
        state.Generation++;
        state.EofReported = false;
        state.Position = state.FetchPosition = offset;
        return state.Generation;
    }

    /// <summary>A start offset looked up for <paramref name="generation"/> arrived; false if the partition moved on meanwhile.</summary>
    public static bool Resolved(PartitionFetchState state, int generation, long offset)
    {
        if (!IsCurrent(state, generation)) return false;
        state.Position = state.FetchPosition = offset;
        return true;
    }

    /// <summary>Stops fetching and returning the partition; buffered records are dropped and fetched again from the position on resume.</summary>
    public static void Pause(PartitionFetchState state)
    {
        if (state.Paused) return;
        state.Paused = true;
        state.Generation++;
        state.FetchPosition = state.Position;
    }

    /// <summary>True if the error was not handed to the application yet in this generation (and now counts as handed).</summary>
    public bool ShouldReport(PartitionFetchState state, int generation, ErrorCode code) =>
        IsCurrent(state, generation) && _reported.Add((state.Tp, generation, code));

    /// <summary>
    /// The partition's next fetch, if it may fetch now: fetching from a known position, not paused, none in flight,
    /// the buffer under <c>fetch.max.bytes</c> and at most <see cref="MaxBufferedChunksPerPartition"/> fetches ahead of
    /// the application. The fetch counts as in flight from here until <see cref="Fetched"/>.
    /// </summary>
    public FetchRequest? NextFetch(PartitionFetchState state, long bufferedBytes)
    {
        if (state.Removed || state.Paused || state.FetchPosition < 0 || state.InFlightGeneration == state.Generation) return null;
        if (bufferedBytes >= settings.FetchMaxBytes || state.BufferedChunks >= MaxBufferedChunksPerPartition) return null;
        state.InFlightGeneration = state.Generation;
        return new FetchRequest(state.Tp, state.FetchPosition, Math.Min(settings.MaxPartitionFetchBytes, settings.FetchMaxBytes),
            settings.FetchMinBytes, settings.FetchMaxWaitMs);
    }

    /// <summary>
    /// Applies a fetch's answer (or the <paramref name="failure"/> that stopped it): the records to deliver, the high
    /// watermark, end of partition, and errors. A fetch from before a seek is only a reason to fetch again.
    /// </summary>
    public FetchOutcome Fetched(PartitionFetchState state, int generation, FetchRequest request, FetchResponse? response, Error? failure)
    {
        if (state.InFlightGeneration == generation) state.InFlightGeneration = -1;
        if (state.Removed) return FetchOutcome.Nothing;
        if (state.Generation != generation) return new FetchOutcome(FetchFollowUp.FetchAgain, []);
        if (failure == null && response!.Error == ErrorCode.None)
        {
            var deliver = new List<CompletedFetch>(1);
            state.HighWatermark = response.HighWatermark;
            state.LogStartOffset = response.LogStartOffset;
            if (response.Records.Length > 0)
            {
                // Only batch headers are read here; the next fetch starts after the last whole batch.
                var next = RecordBatch.ReadAll(response.Records).Select(b => b.NextOffset).DefaultIfEmpty(state.FetchPosition).Max();
                if (next > state.FetchPosition)
                {
                    state.BufferedChunks++;
                    deliver.Add(new CompletedFetch(state, generation, response.Records, request.FetchOffset));
                    state.FetchPosition = next;
                }
            }
            if (settings.EnablePartitionEof && !state.EofReported && state.FetchPosition >= response.HighWatermark)
            {
                state.EofReported = true;
                deliver.Add(new CompletedFetch(state, generation, [], state.FetchPosition, eof: true));
            }
            else if (state.FetchPosition < response.HighWatermark) state.EofReported = false;
            return new FetchOutcome(FetchFollowUp.FetchAgain, deliver);
        }
        var error = failure ?? new Error(response!.Error, response.ErrorMessage ?? response.Error.Describe());
        if (error.ProtocolCode == ErrorCode.OffsetOutOfRange)
        {
            if (settings.AutoOffsetReset != AutoOffsetReset.Error) return new FetchOutcome(FetchFollowUp.ResetPosition, []);
            return new FetchOutcome(FetchFollowUp.None, [CompletedFetch.Failed(state, generation, error with
            {
                Reason = $"{error.Reason}. auto.offset.reset is 'none': seek to a valid offset, or set auto.offset.reset to earliest or latest.",
            })]);
        }
        var refresh = error.ProtocolCode is ErrorCode.UnknownTopicOrPartition or ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable
            or ErrorCode.NetworkException or ErrorCode.RequestTimedOut or ErrorCode.FencedLeaderEpoch;
        // Errors the application must hear about (Kafka's consumer throws them from poll); the fetch is retried after a
        // backoff in case the condition clears (topic created, replica repaired).
        var report = !error.IsRetriable || error.ProtocolCode is ErrorCode.UnknownTopicOrPartition or ErrorCode.CorruptMessage;
        CompletedFetch[] reported = report && _reported.Add((state.Tp, generation, error.ProtocolCode)) ? [CompletedFetch.Failed(state, generation, error)] : [];
        // Still in flight until the retry: nothing else may fetch this partition meanwhile.
        state.InFlightGeneration = generation;
        return new FetchOutcome(FetchFollowUp.RetryLater, reported, refresh, report ? TimeSpan.FromSeconds(1) : settings.Client.RetryBackoff);
    }

    /// <summary>The wait before retrying a failed fetch of <paramref name="generation"/> is over; the partition may fetch again.</summary>
    public static void RetryDue(PartitionFetchState state, int generation)
    {
        if (state.InFlightGeneration == generation) state.InFlightGeneration = -1;
    }

    /// <summary>The application used up (or dropped) one of the partition's fetched chunks.</summary>
    public static void ChunkUsedUp(PartitionFetchState state) => state.BufferedChunks--;

    /// <summary>
    /// The offsets to commit: the position (next record to read) of each partition, or the stored offset when
    /// enable.auto.offset.store is off; with <paramref name="onlyChanged"/>, only those not committed already.
    /// </summary>
    public List<TopicPartitionOffset> Committable(IEnumerable<TopicPartition>? partitions, bool onlyChanged)
    {
        var states = partitions == null ? _assigned.Values : partitions.Select(tp => _assigned.GetValueOrDefault(tp.ToProtocol())).OfType<PartitionFetchState>();
        return states
            .Select(s => (s, offset: settings.EnableAutoOffsetStore ? s.Position : s.StoredOffset))
            .Where(x => x.offset >= 0 && (!onlyChanged || x.offset != x.s.LastCommitted))
            .Select(x => new TopicPartitionOffset(x.s.ClientTp, new Offset(x.offset)))
            .ToList();
    }

    /// <summary>Offsets the coordinator accepted: auto-commit sends them again only once they change.</summary>
    public void Committed(IEnumerable<TopicPartitionOffset> offsets)
    {
        foreach (var o in offsets)
            if (_assigned.TryGetValue(o.TopicPartition.ToProtocol(), out var s))
                s.LastCommitted = Math.Max(s.LastCommitted, o.Offset.Value);
    }

    /// <summary>The largest lag (high watermark minus position) of the partitions whose both are known; NaN if none.</summary>
    public double LagMax => _assigned.Values.Where(s => s.HighWatermark >= 0 && s.Position >= 0)
        .Select(s => (double)(s.HighWatermark - s.Position)).DefaultIfEmpty(double.NaN).Max();
}
