using System.Diagnostics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>
/// Kafka's fetcher: one long-polling fetch at a time per assigned partition, sent when <see cref="SubscriptionState"/>
/// allows it, its answer applied and what it brings added to the <see cref="FetchBuffer"/>; and the start offsets
/// looked up (the group's committed offset, or the log's start or end by auto.offset.reset). It shares the consumer's
/// lock, which guards the subscription state; methods marked so expect the caller to hold it.
/// </summary>
internal sealed class Fetcher(ConsumerSettings settings, BrokerConnection connection, SubscriptionState subscriptions, FetchBuffer buffer,
    object sync, GroupMembership? membership, Func<bool> groupAssigns, CancellationToken closing)
{
    private readonly ConsumerSettings _settings = settings;
    private readonly BrokerConnection _connection = connection;
    private readonly SubscriptionState _subscriptions = subscriptions;
    private readonly FetchBuffer _buffer = buffer;
    private readonly object _lock = sync;
    private readonly GroupMembership? _membership = membership;
    /// <summary>True while the group assigns the partitions (subscribed): a partition without an offset then starts by
    /// auto.offset.reset, since the rebalance already looked up the committed offsets.</summary>
    private readonly Func<bool> _groupAssigns = groupAssigns;
    private readonly CancellationToken _closing = closing;
    private bool _closed;

    public Stat FetchSize { get; } = new();
    public Stat FetchLatency { get; } = new();
    public Rate FetchRate { get; } = new();

    /// <summary>No more fetches: the consumer is closing. Caller holds the lock.</summary>
    public void Close() => _closed = true;

    /// <summary>Sets a partition's position (resolving Beginning/End/Unset with the broker) and starts fetching. Caller holds the lock.</summary>
    public void StartAt(PartitionFetchState state, Offset offset)
    {
        _subscriptions.Seek(state, offset.IsSpecial ? -1 : offset.Value);
        if (!offset.IsSpecial)
        {
            StartFetch(state);
            return;
        }
        if (state.Paused) return;
        if (offset == Offset.Unset && _membership != null && !_groupAssigns())
        {
            // As Kafka's consumer: a partition assigned by hand in a consumer with a group.id starts at the group's committed offset.
            _ = ResolveCommittedAsync(state, state.Generation);
            return;
        }
        long? query = offset == Offset.Beginning ? ListOffsetsRequest.Earliest
            : offset == Offset.End ? ListOffsetsRequest.Latest
            : _settings.AutoOffsetReset switch
            {
                AutoOffsetReset.Earliest => ListOffsetsRequest.Earliest,
                AutoOffsetReset.Latest => ListOffsetsRequest.Latest,
                _ => null,
            };
        if (query == null)
        {
            _buffer.Add(CompletedFetch.Failed(state, state.Generation, new Error(ErrorCode.LocalAutoOffsetReset,
                $"No offset to start {state.Tp.Topic} [[{state.Tp.Partition}]] from and auto.offset.reset is 'none'. Assign an explicit offset, or set auto.offset.reset to earliest or latest.")));
            return;
        }
        _ = ResolveAsync(state, state.Generation, query.Value);
    }

    /// <summary>Starts the partition at the group's committed offset, or by auto.offset.reset when the group has none.</summary>
    public async Task ResolveCommittedAsync(PartitionFetchState state, int generation)
    {
        long committed = -1;
        try
        {
            var offsets = await _membership!.FetchCommittedAsync([state.Tp], _settings.Client.RequestTimeout, _closing).ConfigureAwait(false);
            committed = offsets.FirstOrDefault()?.Offset ?? -1;
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        catch (KafkaException e)
        {
            ReportOnce(state, generation, e.Error);
        }
        lock (_lock)
        {
            if (committed >= 0)
            {
                if (SubscriptionState.Resolved(state, generation, committed)) StartFetch(state);
                return;
            }
            // No committed offset: auto.offset.reset decides, as for a consumer without a group.
            if (!SubscriptionState.IsCurrent(state, generation)) return;
            var query = _settings.AutoOffsetReset switch
            {
                AutoOffsetReset.Earliest => ListOffsetsRequest.Earliest,
                AutoOffsetReset.Latest => ListOffsetsRequest.Latest,
                _ => (long?)null,
            };
            if (query == null)
            {
                _buffer.Add(CompletedFetch.Failed(state, generation, new Error(ErrorCode.LocalAutoOffsetReset,
                    $"No committed offset for {state.Tp.Topic} [[{state.Tp.Partition}]] in group '{_settings.GroupId}' and auto.offset.reset is 'none'. Seek to an offset, commit one for the group, or set auto.offset.reset to earliest or latest.")));
                return;
            }
            _ = ResolveAsync(state, generation, query.Value);
        }
    }

    private async Task ResolveAsync(PartitionFetchState state, int generation, long query)
    {
        var backoff = _settings.Client.RetryBackoff;
        while (!_closing.IsCancellationRequested)
        {
            lock (_lock)
                if (!SubscriptionState.IsCurrent(state, generation)) return;
            try
            {
                var gateway = await _connection.LeaderGatewayAsync(state.Tp, _closing).ConfigureAwait(false);
                var response = await _connection.AskAsync<ListOffsetsResponse>(gateway, new ListOffsetsRequest(state.Tp, query), ct: _closing).ConfigureAwait(false);
                if (response.Error == ErrorCode.None)
                {
                    lock (_lock)
                        if (SubscriptionState.Resolved(state, generation, response.Offset))
                            StartFetch(state);
                    return;
                }
                if (!response.Error.IsRetriable()) throw new KafkaException(new Error(response.Error, response.ErrorMessage ?? response.Error.Describe()));
                _connection.Invalidate(state.Tp.Topic);
            }
            catch (KafkaException e) when (!e.Error.IsRetriable || e.Error.ProtocolCode == ErrorCode.UnknownTopicOrPartition)
            {
                ReportOnce(state, generation, e.Error);
                if (e.Error.ProtocolCode != ErrorCode.UnknownTopicOrPartition) return;
                backoff = TimeSpan.FromSeconds(1);
            }
            catch (KafkaException)
            {
                // Retriable (timeout, broker unreachable): try again after the backoff.
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Not a broker error code: report it rather than let a fire-and-forget task die silently.
                ReportOnce(state, generation, new Error(ErrorCode.UnknownServerError, $"finding the start offset of {state.Tp} failed: {e.Message}"));
                backoff = TimeSpan.FromSeconds(1);
            }
            try
            {
                await Task.Delay(backoff, _closing).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Hands an error to the application once per partition, generation and code, so a retry loop does not flood it.</summary>
    private void ReportOnce(PartitionFetchState state, int generation, Error error)
    {
        lock (_lock)
            if (_subscriptions.ShouldReport(state, generation, error.ProtocolCode))
                _buffer.Add(CompletedFetch.Failed(state, generation, error));
    }

    /// <summary>Issues the partition's next fetch if it may fetch now (see <see cref="SubscriptionState.NextFetch"/>). Caller holds the lock.</summary>
    public void StartFetch(PartitionFetchState state)
    {
        if (_closed || _subscriptions.NextFetch(state, _buffer.BufferedBytes) is not { } request) return;
        _ = FetchAsync(state, state.Generation, request);
    }

    private async Task FetchAsync(PartitionFetchState state, int generation, FetchRequest request)
    {
        var started = Stopwatch.GetTimestamp();
        FetchResponse? response = null;
        Error? failure = null;
        try
        {
            var gateway = await _connection.LeaderGatewayAsync(state.Tp, _closing).ConfigureAwait(false);
            response = await _connection.AskAsync<FetchResponse>(gateway, request,
                _settings.Client.RequestTimeout + TimeSpan.FromMilliseconds(request.MaxWaitMs), _closing).ConfigureAwait(false);
        }
        catch (KafkaException e)
        {
            failure = e.Error;
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            failure = new Error(ErrorCode.UnknownServerError, $"fetching {state.Tp} failed: {e.Message}");
        }
        FetchLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        FetchRate.Add(1);

        if (response is { Error: ErrorCode.None }) FetchSize.Record(response.Records.Length);

        FetchOutcome outcome;
        lock (_lock)
        {
            if (_closed) return;
            outcome = _subscriptions.Fetched(state, generation, request, response, failure);
            foreach (var fetch in outcome.Deliver) _buffer.Add(fetch);
            switch (outcome.FollowUp)
            {
                case FetchFollowUp.FetchAgain:
                    StartFetch(state);
                    return;
                case FetchFollowUp.ResetPosition:
                    StartAt(state, Offset.Unset);
                    return;
                case FetchFollowUp.None:
                    return;
            }
            if (outcome.RefreshMetadata) _connection.Invalidate(state.Tp.Topic);
        }
        try
        {
            await Task.Delay(outcome.RetryAfter, _closing).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_lock)
        {
            SubscriptionState.RetryDue(state, generation);
            StartFetch(state);
        }
    }

    /// <summary>The chunk's bytes leave the buffer, so partitions held back by fetch.max.bytes may fetch again.</summary>
    public void Release(CompletedFetch chunk)
    {
        if (!_buffer.Release(chunk)) return;
        lock (_lock)
        {
            SubscriptionState.ChunkUsedUp(chunk.State);
            foreach (var s in _subscriptions.Partitions)
                StartFetch(s);
        }
    }
}
