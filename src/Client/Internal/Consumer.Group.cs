using System.Collections.Concurrent;
using Akka.Event;
using System.Diagnostics;
using System.Text.RegularExpressions;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using ProtocolTopicPartition = AkkaBroker.Protocol.Messages.TopicPartition;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>
/// The consumer's group half. As in Kafka's Java consumer, the rebalance is driven from <c>Consume</c> on the
/// application's thread, so the rebalance handlers and auto-commits run there and may call back into the consumer;
/// only the heartbeat runs in the background, and it just raises flags (rejoin, member lost) and wakes
/// <c>Consume</c>. Join and sync run as a task that <c>Consume</c> polls, so a short <c>Consume(timeout)</c> returns
/// on time while a rebalance waits for other members.
/// </summary>
internal sealed partial class Consumer<TKey, TValue>
{
    private readonly GroupMembership? _membership;
    private readonly ConsumerHandlers<TKey, TValue> _handlers;
    private IReadOnlyList<string>? _subscribedTopics;
    private Regex? _subscribedPattern;
    private volatile bool _rejoinNeeded;
    /// <summary>The membership a heartbeat's REBALANCE_IN_PROGRESS was about; once this member has joined again it is stale.</summary>
    private volatile GroupMembership.Identity? _rejoinBasis;
    private volatile bool _memberLost;
    private Task<IReadOnlyList<TopicPartition>>? _joinTask;
    /// <summary>Cancels work of the current subscription (a join in flight) on Unsubscribe.</summary>
    private CancellationTokenSource _subscription = new();
    /// <summary>Joins started so far: a heartbeat reply that predates the latest join must not trigger another.</summary>
    private int _joinsStarted;
    private long _joinStartedTicks;
    private long _rejoinNotBefore;
    private long _lastPollTicks = Stopwatch.GetTimestamp();
    private long _nextAutoCommitTicks;
    private long _nextMetadataCheckTicks;
    private Task? _heartbeatLoop;
    private Task? _metadataCheck;
    /// <summary>Topic → partition count the current generation was joined with; a change means a rejoin.</summary>
    private IReadOnlyDictionary<string, int> _joinedMetadata = new Dictionary<string, int>();
    private readonly ConcurrentQueue<Action> _commitCallbacks = new();
    private readonly Stat _commitLatency = new();
    private readonly Stat _rebalanceLatency = new();

    private bool Subscribed => _subscribedTopics != null || _subscribedPattern != null;

    public List<string> Subscription => _subscribedPattern != null ? ["^" + _subscribedPattern] : [.. _subscribedTopics ?? []];

    public void Subscribe(IEnumerable<string> topics)
    {
        var list = topics.ToArray();
        if (list.Length == 1 && list[0].StartsWith('^'))
        {
            Subscribe(new Regex(list[0], RegexOptions.CultureInvariant));
            return;
        }
        if (list.Length == 0 || list.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("Subscribe needs one or more topic names (or a pattern starting with '^').", nameof(topics));
        BeginSubscription(list, null);
    }

    public void Subscribe(string topic) => Subscribe([topic]);

    public void Subscribe(Regex pattern) => BeginSubscription(null, pattern);

    private void BeginSubscription(IReadOnlyList<string>? topics, Regex? pattern)
    {
        ThrowIfClosed();
        if (_membership == null)
            throw new InvalidOperationException("Subscribe needs a consumer group: set group.id, or use Assign to read partitions without a group.");
        lock (_lock)
            if (!Subscribed && _subscriptions.Count > 0)
                throw new InvalidOperationException("This consumer has partitions from Assign; call Unassign before Subscribe.");
        _subscribedTopics = topics;
        _subscribedPattern = pattern;
        _rejoinBasis = null;
        _rejoinNeeded = true;
        _heartbeatLoop ??= Task.Run(HeartbeatLoopAsync);
    }

    public void Unsubscribe()
    {
        ThrowIfClosed();
        if (!Subscribed) return;
        RevokeAll(commit: _settings.EnableAutoCommit, lost: false);
        _subscribedTopics = null;
        _subscribedPattern = null;
        _rejoinNeeded = false;
        // A join in flight is cancelled and awaited first, so it cannot complete after the leave and re-enter the group.
        _subscription.Cancel();
        if (_joinTask is { } join)
        {
            try
            {
                join.Wait(_settings.Client.RequestTimeout);
            }
            catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException or KafkaException))
            {
                // Cancelled or failed: either way it is over, which is all that matters here.
            }
        }
        _joinTask = null;
        _subscription = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        _membership!.LeaveAsync("the consumer unsubscribed", _closing.Token).Wait(_settings.Client.RequestTimeout);
    }

    /// <summary>One step of group work on the application's thread, at every turn of <c>Consume</c>.</summary>
    /// <param name="now">The caller's clock reading (<see cref="Stopwatch"/> ticks): one per turn of Consume, since
    /// reading the clock is a noticeable share of a record's cost at a million records a second.</param>
    private void PollGroup(long now)
    {
        RunCommitCallbacks();
        if (_membership == null) return;
        // Every turn of Consume, waiting included, counts as polling for max.poll.interval.ms.
        Interlocked.Exchange(ref _lastPollTicks, now);
        // As Kafka's consumer: a fatal group error (fenced, no common strategy, bad session timeout) is thrown by every
        // Consume from then on, never swallowed after the first.
        if (_fatalGroupError is { } fatal) throw new KafkaException(fatal.Error, fatal);
        if (!Subscribed)
        {
            MaybeAutoCommit(now);
            return;
        }
        if (_memberLost)
        {
            _memberLost = false;
            // The coordinator no longer counts this member: its partitions may already be someone else's, so they are
            // lost, not revoked, and nothing is committed for them.
            RevokeAll(commit: false, lost: true);
            _rejoinBasis = null;
            _rejoinNeeded = true;
        }
        if (_joinTask != null)
        {
            if (!_joinTask.IsCompleted) return;
            var task = _joinTask;
            _joinTask = null;
            if (task.IsFaulted && task.Exception!.GetBaseException() is KafkaException e)
            {
                if (!e.Error.IsRetriable)
                {
                    _fatalGroupError = e;
                    throw new KafkaException(e.Error, e);
                }
                _rejoinBasis = null;
                _rejoinNeeded = true;
                _rejoinNotBefore = Stopwatch.GetTimestamp() + Ticks(_settings.Client.RetryBackoff);
                return;
            }
            if (task.IsCanceled || task.IsFaulted)
            {
                if (_closing.IsCancellationRequested) return;
                throw new KafkaException(new Error(ErrorCode.UnknownServerError, $"joining group '{_membership.GroupId}' failed: {task.Exception?.GetBaseException().Message}"));
            }
            _rebalanceLatency.Record(Stopwatch.GetElapsedTime(_joinStartedTicks).TotalMilliseconds);
            ApplyAssignment(task.Result);
            return;
        }
        if (_rejoinNeeded && _rejoinBasis is { } basis && !ReferenceEquals(basis, _membership.Current))
        {
            // Only a heartbeat asked for this rejoin, and it spoke of a generation this member has already left.
            _rejoinNeeded = false;
            _rejoinBasis = null;
        }
        if (_rejoinNeeded && now >= _rejoinNotBefore)
        {
            _rejoinNeeded = false;
            _rejoinBasis = null;
            // Eager strategies give everything up before rejoining; cooperative ones keep consuming what they own and
            // give up only what the new assignment moves away.
            if (!_settings.Cooperative) RevokeAll(commit: _settings.EnableAutoCommit, lost: false);
            IReadOnlyList<TopicPartition> owned;
            lock (_lock) owned = _subscriptions.Partitions.Select(s => s.ClientTp).ToArray();
            _joinStartedTicks = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _joinsStarted);
            _joinTask = JoinAsync(owned);
            // Wake Consume once the task has completed (not from inside it, where it would still look unfinished).
            _joinTask.ContinueWith(_ => Wake(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return;
        }
        MaybeAutoCommit(now);
        MaybeCheckMetadata(now);
        if (_noOffsetPartitions.Count > 0) ThrowIfNoOffset();
    }

    private volatile KafkaException? _fatalGroupError;

    private async Task<IReadOnlyList<TopicPartition>> JoinAsync(IReadOnlyList<TopicPartition> owned)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token, _subscription.Token);
        var metadata = await SubscribedMetadataAsync(cancel.Token).ConfigureAwait(false);
        _joinedMetadata = metadata;
        _nextMetadataCheckTicks = Stopwatch.GetTimestamp() + Ticks(_settings.MetadataMaxAge);
        var topics = _subscribedPattern != null ? metadata.Keys.ToArray() : _subscribedTopics ?? [];
        return await _membership!.JoinAndSyncAsync(topics, owned, cancel.Token).ConfigureAwait(false);
    }

    /// <summary>The subscribed topics that exist, with their partition counts (a pattern is matched against all topics).</summary>
    private async Task<IReadOnlyDictionary<string, int>> SubscribedMetadataAsync(CancellationToken ct)
    {
        var pattern = _subscribedPattern;
        var response = await _connection.RefreshMetadataAsync(pattern != null ? null : _subscribedTopics, allowAutoCreate: false, ct).ConfigureAwait(false);
        return response.Topics
            .Where(t => t.Error == ErrorCode.None && (pattern == null || pattern.IsMatch(t.Name)))
            .ToDictionary(t => t.Name, t => t.Partitions.Count, StringComparer.Ordinal);
    }

    /// <summary>Every metadata.max.age.ms: a new topic matching the pattern, or partitions added, means a rejoin (as in Kafka).</summary>
    private void MaybeCheckMetadata(long now)
    {
        if (now < _nextMetadataCheckTicks || _metadataCheck is { IsCompleted: false }) return;
        _nextMetadataCheckTicks = now + Ticks(_settings.MetadataMaxAge);
        var joined = _joinedMetadata;
        _metadataCheck = Task.Run(async () =>
        {
            try
            {
                var now = await SubscribedMetadataAsync(_closing.Token).ConfigureAwait(false);
                if (now.Count != joined.Count || now.Any(kv => !joined.TryGetValue(kv.Key, out var n) || n != kv.Value))
                {
                    _rejoinBasis = null;
                    _rejoinNeeded = true;
                    Wake();
                }
            }
            catch (Exception e) when (e is KafkaException or OperationCanceledException)
            {
                // Checked again at the next interval.
            }
        });
    }

    /// <summary>
    /// Takes a new generation's assignment. The consumer's own state moves first (partitions revoked, a follow-up
    /// rejoin requested, new partitions fetching), and only then are errors from the application's handlers or the
    /// committed-offset lookup rethrown, so that a throwing handler can never leave partitions unconsumed.
    /// </summary>
    private void ApplyAssignment(IReadOnlyList<TopicPartition> assignment)
    {
        var target = assignment.ToHashSet();
        List<TopicPartition> revoked, added;
        lock (_lock)
        {
            revoked = _subscriptions.Partitions.Select(s => s.ClientTp).Where(tp => !target.Contains(tp)).ToList();
            added = target.Where(tp => !_subscriptions.Contains(tp.ToProtocol())).OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition).ToList();
        }
        Exception? deferred = null;
        if (revoked.Count > 0)
        {
            // KIP-429: what we gave up is assigned to its new owner only in the next generation, so rejoin at once.
            if (_settings.Cooperative)
            {
                _rejoinBasis = null;
                _rejoinNeeded = true;
            }
            try
            {
                Revoke(revoked, commit: _settings.EnableAutoCommit, lost: false);
            }
            catch (Exception e)
            {
                deferred = e;
            }
        }
        if (added.Count == 0)
        {
            if (deferred != null) throw deferred;
            return;
        }
        Dictionary<TopicPartition, long>? committed = null;
        try
        {
            committed = FetchCommitted(added, _settings.Client.RequestTimeout);
        }
        catch (KafkaException)
        {
            // The partitions still start: each looks up its committed offset in the background, with retries.
        }
        List<TopicPartitionOffset> requested;
        try
        {
            requested = _handlers.Assigned?.Invoke(this, added)?.ToList() ?? added.Select(tp => new TopicPartitionOffset(tp, Offset.Unset)).ToList();
        }
        catch (Exception e)
        {
            deferred ??= e;
            requested = added.Select(tp => new TopicPartitionOffset(tp, Offset.Unset)).ToList();
        }
        var withoutOffset = new List<TopicPartition>();
        lock (_lock)
        {
            foreach (var tpo in requested)
            {
                var offset = tpo.Offset;
                var state = _subscriptions.Add(tpo.TopicPartition.ToProtocol());
                if (offset == Offset.Unset && committed == null)
                {
                    _ = _fetcher.ResolveCommittedAsync(state, state.Generation);
                    continue;
                }
                if (offset == Offset.Unset && committed!.TryGetValue(tpo.TopicPartition, out var c) && c >= 0) offset = new Offset(c);
                if (offset == Offset.Unset && _settings.AutoOffsetReset == AutoOffsetReset.Error)
                {
                    withoutOffset.Add(tpo.TopicPartition);
                    continue;
                }
                _fetcher.StartAt(state, offset);
            }
            _noOffsetPartitions = withoutOffset;
        }
        if (deferred != null) throw deferred;
        ThrowIfNoOffset();
    }

    /// <summary>Partitions assigned with no committed offset while auto.offset.reset is 'none': every Consume throws until they are sought.</summary>
    private List<TopicPartition> _noOffsetPartitions = [];

    private void ThrowIfNoOffset()
    {
        List<TopicPartition> missing;
        lock (_lock)
            missing = _noOffsetPartitions = _noOffsetPartitions
                .Where(tp => _subscriptions.TryGet(tp.ToProtocol(), out var st) && st.Position < 0 && st.FetchPosition < 0).ToList();
        if (missing.Count > 0)
            throw new ConsumeException(new Error(ErrorCode.LocalAutoOffsetReset,
                $"No committed offset for {string.Join(", ", missing)} in group '{_membership!.GroupId}' and auto.offset.reset is 'none'. " +
                "Seek these partitions to an offset (for example in the partitions-assigned handler), commit offsets for the group, or set auto.offset.reset to earliest or latest."));
    }

    private void RevokeAll(bool commit, bool lost)
    {
        List<TopicPartition> owned;
        lock (_lock) owned = _subscriptions.Partitions.Select(s => s.ClientTp).ToList();
        if (owned.Count > 0) Revoke(owned, commit, lost);
    }

    /// <summary>Commits what was consumed (unless lost), tells the application, then stops fetching the partitions.</summary>
    private void Revoke(List<TopicPartition> partitions, bool commit, bool lost)
    {
        if (commit)
        {
            try
            {
                CommitSync(CommittableOffsets(partitions, onlyChanged: true));
            }
            catch (KafkaException e)
            {
                // The partitions go anyway; their uncommitted records are consumed again by the next owner.
                _connection.System.Log.Warning("consumer {0}: committing before giving up {1} failed: {2}", Name, string.Join(", ", partitions), e.Error);
            }
        }
        List<TopicPartitionOffset> positions;
        lock (_lock)
            positions = partitions.Select(tp => new TopicPartitionOffset(tp,
                _subscriptions.TryGet(tp.ToProtocol(), out var s) && s.Position >= 0 ? new Offset(s.Position) : Offset.Unset)).ToList();
        try
        {
            if (lost && _handlers.Lost != null) _handlers.Lost(this, positions);
            else _handlers.Revoked?.Invoke(this, positions);
        }
        finally
        {
            lock (_lock)
                foreach (var tp in partitions)
                    _subscriptions.Remove(tp.ToProtocol());
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        var maxPollTicks = Ticks(TimeSpan.FromMilliseconds(_settings.MaxPollIntervalMs));
        var lastSent = 0L;
        GroupMembership.Identity? lastIdentity = null;
        while (!_closing.IsCancellationRequested)
        {
            try
            {
                var identity = _membership!.Current;
                if (!identity.InGroup || !Subscribed || Volatile.Read(ref _joinTask) is { IsCompleted: false } || _fatalGroupError != null)
                {
                    // Not a member right now (joining, or never joined): look again shortly, so the first heartbeat of
                    // a new generation goes out at once and can be held by the coordinator.
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50, _settings.HeartbeatInterval.TotalMilliseconds)), _closing.Token).ConfigureAwait(false);
                    continue;
                }
                // At most one heartbeat per interval. The coordinator of a settled group holds each one for up to the
                // interval (answering at once when a rebalance starts), so then the next goes out as soon as it returns.
                var since = Stopwatch.GetElapsedTime(lastSent);
                // A new generation's first heartbeat goes out at once: the next rebalance may already be waiting.
                if (ReferenceEquals(identity, lastIdentity) && since < _settings.HeartbeatInterval)
                {
                    // Short steps, so that a rejoin meanwhile (a new identity) is noticed at once.
                    var step = TimeSpan.FromMilliseconds(Math.Min(50, (_settings.HeartbeatInterval - since).TotalMilliseconds));
                    await Task.Delay(step, _closing.Token).ConfigureAwait(false);
                    continue;
                }
                lastSent = Stopwatch.GetTimestamp();
                lastIdentity = identity;
                if (Stopwatch.GetTimestamp() - Interlocked.Read(ref _lastPollTicks) > maxPollTicks)
                {
                    // As Kafka's heartbeat thread: an application that stopped calling Consume gives its partitions up.
                    await _membership.LeaveAsync($"consumer poll timeout has expired: Consume was not called for more than max.poll.interval.ms ({_settings.MaxPollIntervalMs} ms)",
                        _closing.Token).ConfigureAwait(false);
                    _memberLost = true;
                    Wake();
                    continue;
                }
                var joinsBefore = Volatile.Read(ref _joinsStarted);
                var response = await _membership.HeartbeatAsync(identity, _closing.Token).ConfigureAwait(false);
                // A reply about a generation this member has since left, or that arrives after it already began to
                // rejoin, is stale: acting on it would start a second, needless rebalance.
                if (!ReferenceEquals(identity, _membership.Current) || Volatile.Read(ref _joinsStarted) != joinsBefore) continue;
                switch (response.Error)
                {
                    case ErrorCode.None:
                        break;
                    case ErrorCode.RebalanceInProgress:
                        _rejoinBasis = identity;
                        _rejoinNeeded = true;
                        Wake();
                        break;
                    case ErrorCode.FencedInstanceId:
                        // Another process took this group.instance.id: Kafka treats that as fatal for this one.
                        _fatalGroupError = new KafkaException(new Error(response.Error,
                            $"{response.ErrorMessage} Each static member needs its own group.instance.id; this consumer stops taking part in group '{_membership.GroupId}'."));
                        if (_membership.ResetIf(identity)) _memberLost = true;
                        Wake();
                        break;
                    case ErrorCode.UnknownMemberId:
                        // Only if no join replaced this identity meanwhile: a fresh assignment must not be called lost.
                        if (_membership.ResetIf(identity)) _memberLost = true;
                        Wake();
                        break;
                    case ErrorCode.IllegalGeneration:
                        if (_membership.ResetGenerationIf(identity)) _memberLost = true;
                        Wake();
                        break;
                }
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                return;
            }
            catch (KafkaException)
            {
                // Coordinator unreachable: keep trying; if it stays away the session expires and the member rejoins.
            }
        }
    }

    // ---- Commits ----

    /// <summary>The offsets to commit (see <see cref="SubscriptionState.Committable"/>).</summary>
    private List<TopicPartitionOffset> CommittableOffsets(IEnumerable<TopicPartition>? partitions, bool onlyChanged)
    {
        lock (_lock) return _subscriptions.Committable(partitions, onlyChanged);
    }

    private void MaybeAutoCommit(long now)
    {
        if (!_settings.EnableAutoCommit || now < _nextAutoCommitTicks) return;
        _nextAutoCommitTicks = now + Ticks(_settings.AutoCommitInterval);
        var offsets = CommittableOffsets(null, onlyChanged: true);
        if (offsets.Count == 0) return;
        _ = CommitInternalAsync(offsets).ContinueWith(t =>
        {
            if (t.Exception?.GetBaseException() is { } e)
                _connection.System.Log.Warning("consumer {0}: auto-commit failed: {1}", Name, e.Message);
        }, TaskScheduler.Default);
    }

    private RequiredGroup RequireGroup() =>
        _membership != null
            ? new RequiredGroup(_membership)
            : throw new InvalidOperationException("Committing needs a consumer group: set group.id.");

    private readonly record struct RequiredGroup(GroupMembership Membership);

    // A synchronous commit (untilAnswered) asks again, within request.timeout.ms, while the coordinator is moving or
    // loading, as Kafka's consumers do; an asynchronous one does not, so that it can never land after a later commit.
    private async Task<List<TopicPartitionOffset>> CommitInternalAsync(List<TopicPartitionOffset> offsets, bool untilAnswered = false)
    {
        var membership = RequireGroup().Membership;
        if (offsets.Count == 0) return offsets;
        var identity = membership.Current;
        if (Subscribed && !identity.InGroup)
            throw CommitFailedException.From(new Error(ErrorCode.RebalanceInProgress, $"this consumer is not a member of group '{membership.GroupId}' right now (it is rejoining)."),
                _settings.MaxPollIntervalMs);
        var started = Stopwatch.GetTimestamp();
        await membership.CommitAsync(Subscribed ? identity : GroupMembership.Identity.None,
            offsets.Select(o => new OffsetCommit(o.TopicPartition.ToProtocol(), o.Offset.Value, null)).ToArray(), untilAnswered, _closing.Token).ConfigureAwait(false);
        _commitLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        lock (_lock) _subscriptions.Committed(offsets);
        return offsets;
    }

    private List<TopicPartitionOffset> CommitSync(List<TopicPartitionOffset> offsets)
    {
        var task = CommitInternalAsync(offsets, untilAnswered: true);
        try
        {
            if (!task.Wait(_settings.Client.RequestTimeout + TimeSpan.FromSeconds(1)))
                throw new KafkaException(new Error(ErrorCode.RequestTimedOut, $"the commit got no reply within {_settings.Client.RequestTimeout.TotalMilliseconds:0} ms"));
        }
        catch (AggregateException e) when (e.GetBaseException() is KafkaException k)
        {
            throw k is CommitFailedException cf ? new CommitFailedException(cf.Error, cf) : new KafkaException(k.Error, k);
        }
        finally
        {
            RunCommitCallbacks();
        }
        return task.Result;
    }

    public List<TopicPartitionOffset> Commit()
    {
        ThrowIfClosed();
        RequireGroup();
        var offsets = CommittableOffsets(null, onlyChanged: false);
        // As Confluent.Kafka: a commit of nothing is an error the caller can tell apart (Local_NoOffset), not a silent no-op.
        if (offsets.Count == 0)
            throw new KafkaException(new Error(ErrorCode.LocalNoOffset,
                "No offset to commit: no record was consumed (or stored, with enable.auto.offset.store=false) on the assigned partitions."));
        return CommitSync(offsets);
    }

    public void Commit(IEnumerable<TopicPartitionOffset> offsets)
    {
        ThrowIfClosed();
        RequireGroup();
        CommitSync(CheckOffsets(offsets));
    }

    public void Commit(ConsumeResult<TKey, TValue> result) =>
        Commit([new TopicPartitionOffset(result.TopicPartition, new Offset(result.Offset.Value + 1))]);

    public Task<List<TopicPartitionOffset>> CommitAsync(IEnumerable<TopicPartitionOffset>? offsets = null)
    {
        ThrowIfClosed();
        RequireGroup();
        return CommitInternalAsync(offsets == null ? CommittableOffsets(null, onlyChanged: false) : CheckOffsets(offsets));
    }

    public void CommitAsync(IEnumerable<TopicPartitionOffset>? offsets, Action<IReadOnlyList<TopicPartitionOffset>, KafkaException?> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var list = offsets == null ? CommittableOffsets(null, onlyChanged: false) : CheckOffsets(offsets);
        CommitAsync(list).ContinueWith(t =>
        {
            var error = t.Exception?.GetBaseException() as KafkaException
                        ?? (t.IsFaulted ? new KafkaException(new Error(ErrorCode.UnknownServerError, t.Exception!.GetBaseException().Message), t.Exception) : null);
            _commitCallbacks.Enqueue(() => callback(list, error));
            Wake();
        }, TaskScheduler.Default);
    }

    private static List<TopicPartitionOffset> CheckOffsets(IEnumerable<TopicPartitionOffset> offsets)
    {
        var list = offsets.ToList();
        if (list.FirstOrDefault(o => o.Offset.IsSpecial || o.Offset.Value < 0) is { } bad)
            throw new ArgumentException($"Cannot commit offset {bad.Offset} for {bad.TopicPartition}: commit the offset of the next record to read (0 or more).");
        return list;
    }

    /// <summary>Commit callbacks run on the application's thread, as Kafka's do, so they need no locking of their own.</summary>
    private void RunCommitCallbacks()
    {
        while (_commitCallbacks.TryDequeue(out var callback)) callback();
    }

    public void StoreOffset(ConsumeResult<TKey, TValue> result) =>
        StoreOffset(new TopicPartitionOffset(result.TopicPartition, new Offset(result.Offset.Value + 1)));

    public void StoreOffset(TopicPartitionOffset offset)
    {
        if (_settings.EnableAutoOffsetStore)
            throw new InvalidOperationException("StoreOffset needs enable.auto.offset.store=false (otherwise positions are stored automatically).");
        lock (_lock)
        {
            if (!_subscriptions.TryGet(offset.TopicPartition.ToProtocol(), out var s))
                throw new KafkaException(new Error(ErrorCode.UnknownTopicOrPartition, $"Cannot store an offset for {offset.TopicPartition}: it is not assigned to this consumer."));
            s.StoredOffset = offset.Offset.Value;
        }
    }

    public List<TopicPartitionOffset> Committed(TimeSpan timeout) => Committed(Assignment, timeout);

    public List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout)
    {
        var list = partitions.ToList();
        var committed = FetchCommitted(list, timeout);
        return list.Select(tp => new TopicPartitionOffset(tp, committed.TryGetValue(tp, out var o) && o >= 0 ? new Offset(o) : Offset.Unset)).ToList();
    }

    private Dictionary<TopicPartition, long> FetchCommitted(IReadOnlyList<TopicPartition> partitions, TimeSpan timeout)
    {
        var membership = RequireGroup().Membership;
        var task = membership.FetchCommittedAsync(partitions.Select(p => p.ToProtocol()).ToArray(), timeout, _closing.Token);
        var result = WaitAll([task], timeout)[0];
        return result.ToDictionary(o => new TopicPartition(o.TopicPartition.Topic, o.TopicPartition.Partition), o => o.Offset);
    }

    // ---- Pause and resume ----

    public void Pause(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
            foreach (var tp in partitions)
            {
                if (!_subscriptions.TryGet(tp.ToProtocol(), out var s))
                    throw new InvalidOperationException($"Cannot pause {tp}: it is not assigned to this consumer.");
                SubscriptionState.Pause(s);
            }
    }

    public void Resume(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
            foreach (var tp in partitions)
            {
                if (!_subscriptions.TryGet(tp.ToProtocol(), out var s) || !s.Paused) continue;
                s.Paused = false;
                _fetcher.StartAt(s, s.Position >= 0 ? new Offset(s.Position) : Offset.Unset);
            }
    }

    public List<TopicPartition> Paused()
    {
        lock (_lock) return _subscriptions.Partitions.Where(s => s.Paused).Select(s => s.ClientTp).ToList();
    }

    /// <summary>Group part of Close: commit, hand partitions back through the revoked handler, and leave (static members stay, KIP-345).</summary>
    private void CloseGroup()
    {
        if (_membership == null) return;
        if (Subscribed)
        {
            try
            {
                RevokeAll(commit: _settings.EnableAutoCommit && _membership.Current.InGroup, lost: false);
            }
            finally
            {
                if (_settings.GroupInstanceId == null) _membership.LeaveAsync("the consumer is closing", CancellationToken.None).Wait(_settings.Client.RequestTimeout);
            }
        }
        else if (_settings.EnableAutoCommit)
        {
            var offsets = CommittableOffsets(null, onlyChanged: true);
            if (offsets.Count > 0) CommitSync(offsets);
        }
    }

    private void Wake() => _buffer.Wake();

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);
}

/// <summary>The rebalance handlers set on the builder.</summary>
internal sealed class ConsumerHandlers<TKey, TValue>
{
    public Func<IConsumer<TKey, TValue>, List<TopicPartition>, IEnumerable<TopicPartitionOffset>>? Assigned { get; set; }
    public Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>>? Revoked { get; set; }
    public Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>>? Lost { get; set; }
    public Action<IConsumer<TKey, TValue>, LogMessage>? Log { get; set; }
    public Action<IConsumer<TKey, TValue>, Error>? Error { get; set; }
    public Action<IConsumer<TKey, TValue>, string>? Statistics { get; set; }
}
