using System.Diagnostics;
using Akka.Event;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Client.Internal;

// Inside the client, codes are the broker's (the public Error.Code is Confluent's enum, with the same numbers).
using ErrorCode = AkkaBroker.Protocol.ErrorCode;

/// <summary>
/// A consumer's side of the group protocol: join and sync (which the coordinator answers with this member's
/// partitions), heartbeat, leave, commit and fetch offsets. Holds the member id and generation as one immutable
/// <see cref="Identity"/>, swapped atomically, so the heartbeat loop and the application thread never see half of one.
/// </summary>
internal sealed class GroupMembership(ConsumerSettings settings, BrokerConnection connection)
{
    public sealed record Identity(string MemberId, int GenerationId, string Protocol)
    {
        public static readonly Identity None = new("", -1, "");
        public bool InGroup => GenerationId >= 0 && MemberId.Length > 0;
    }

    private volatile Identity _identity = Identity.None;

    public string GroupId { get; } = settings.GroupId ?? throw new InvalidOperationException("group membership needs a group.id");

    public Identity Current => _identity;

    private static readonly TimeSpan MinCommitBackoff = TimeSpan.FromMilliseconds(50);

    /// <summary>Forgets the member id (after UNKNOWN_MEMBER_ID or leaving), so the next join starts afresh.</summary>
    public void Reset() => _identity = Identity.None;

    /// <summary>Keeps the member id but drops the generation: the member must rejoin before it may commit.</summary>
    public void ResetGeneration() => _identity = _identity with { GenerationId = -1 };

    /// <summary>Forgets the membership only if it is still <paramref name="expected"/> (a join may have replaced it meanwhile).</summary>
    public bool ResetIf(Identity expected) => ReferenceEquals(Interlocked.CompareExchange(ref _identity, Identity.None, expected), expected);

    /// <summary>Drops the generation only if the membership is still <paramref name="expected"/>.</summary>
    public bool ResetGenerationIf(Identity expected) =>
        ReferenceEquals(Interlocked.CompareExchange(ref _identity, expected with { GenerationId = -1 }, expected), expected);

    /// <summary>Joins (or rejoins) and syncs; returns this member's partitions for the new generation.</summary>
    /// <exception cref="KafkaException">a non-retriable refusal (bad session timeout, no common strategy, invalid group id).</exception>
    public async Task<IReadOnlyList<TopicPartition>> JoinAndSyncAsync(IReadOnlyList<string> topics, IReadOnlyList<TopicPartition> owned, CancellationToken ct)
    {
        var backoff = settings.Client.RetryBackoff;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var identity = _identity;
            Error? retry;
            try
            {
                var gateway = await connection.AnyBrokerAsync(ct).ConfigureAwait(false);
                var join = await connection.AskAsync<JoinGroupResponse>(gateway,
                    new JoinGroupRequest(GroupId, identity.MemberId, settings.GroupInstanceId, settings.Client.ClientId, settings.SessionTimeoutMs,
                        settings.MaxPollIntervalMs, settings.AssignmentStrategies, topics, owned.Select(p => p.ToProtocol()).ToArray(), RequireKnownMemberId: true),
                    // Sent again (replacing the waiting one) every request.timeout.ms, so a join lost with a restarting
                    // coordinator costs one request timeout, not the whole rebalance timeout.
                    settings.Client.RequestTimeout, ct).ConfigureAwait(false);
                if (join.Error == ErrorCode.MemberIdRequired)
                {
                    // The coordinator named this member: join again with the id at once, so that a join sent again after a
                    // timeout is the same member, never a second one the group would wait for or assign partitions to.
                    _identity = new Identity(join.MemberId, -1, "");
                    continue;
                }
                retry = join.Error switch
                {
                    ErrorCode.None => null,
                    ErrorCode.UnknownMemberId or ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration => new Error(join.Error, join.ErrorMessage ?? ""),
                    var code when code.IsRetriable() => new Error(code, join.ErrorMessage ?? ""),
                    var code => throw new KafkaException(new Error(code, join.ErrorMessage ?? code.Describe())),
                };
                if (join.Error == ErrorCode.UnknownMemberId) Reset();
                if (retry == null)
                {
                    var joined = new Identity(join.MemberId, join.GenerationId, join.Protocol);
                    _identity = joined;
                    var sync = await connection.AskAsync<SyncGroupResponse>(gateway,
                        new SyncGroupRequest(GroupId, joined.GenerationId, joined.MemberId, settings.GroupInstanceId), ct: ct).ConfigureAwait(false);
                    if (sync.Error == ErrorCode.None) return sync.Assignment.Select(p => new TopicPartition(p.Topic, p.Partition)).ToArray();
                    if (sync.Error == ErrorCode.UnknownMemberId) Reset();
                    else ResetGeneration();
                    if (!sync.Error.IsRetriable() && sync.Error is not (ErrorCode.UnknownMemberId or ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration))
                        throw new KafkaException(new Error(sync.Error, sync.ErrorMessage ?? sync.Error.Describe()));
                }
            }
            catch (KafkaException e) when (e.Error.IsRetriable)
            {
                // Broker unreachable or timed out: keep trying, as Kafka's consumer does inside poll.
            }
            await Task.Delay(backoff, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A heartbeat the coordinator may hold up to heartbeat.interval.ms, answering early when a rebalance starts.</summary>
    public async Task<HeartbeatResponse> HeartbeatAsync(Identity identity, CancellationToken ct)
    {
        var gateway = await connection.AnyBrokerAsync(ct).ConfigureAwait(false);
        var hold = (int)settings.HeartbeatInterval.TotalMilliseconds;
        return await connection.AskAsync<HeartbeatResponse>(gateway,
            new HeartbeatRequest(GroupId, identity.GenerationId, identity.MemberId, settings.GroupInstanceId, hold),
            // A reply lost with a crashed coordinator must not silence this member for longer than its session allows.
            settings.HeartbeatInterval + TimeSpan.FromMilliseconds(Math.Min(settings.Client.RequestTimeout.TotalMilliseconds, settings.SessionTimeoutMs / 3.0)),
            ct).ConfigureAwait(false);
    }

    /// <summary>Leaves the group so its partitions move at once; failures are only logged since the session timeout removes the member anyway.</summary>
    public async Task LeaveAsync(string reason, CancellationToken ct)
    {
        var identity = _identity;
        Reset();
        if (identity.MemberId.Length == 0) return;
        try
        {
            var gateway = await connection.AnyBrokerAsync(ct).ConfigureAwait(false);
            await connection.AskAsync<LeaveGroupResponse>(gateway, new LeaveGroupRequest(GroupId, identity.MemberId, settings.GroupInstanceId, reason), ct: ct)
                .ConfigureAwait(false);
        }
        catch (KafkaException e)
        {
            connection.System.Log.Warning("consumer {0}: leaving group '{1}' failed ({2}); its session timeout will remove it", settings.Client.ClientId, GroupId, e.Error);
        }
    }

    /// <summary>
    /// Commits; inside a generation as this member, otherwise (manual assignment) from outside group management. With
    /// <c>untilAnswered</c> it asks again after retry.backoff.ms while the coordinator is moving or loading, until
    /// request.timeout.ms is spent.
    /// </summary>
    /// <exception cref="CommitFailedException">the group rebalanced or this member was removed.</exception>
    /// <exception cref="KafkaException">another refusal or no reply.</exception>
    public async Task CommitAsync(Identity identity, IReadOnlyList<OffsetCommit> offsets, bool untilAnswered, CancellationToken ct)
    {
        var request = new OffsetCommitRequest(GroupId, identity.GenerationId, identity.MemberId, identity.InGroup ? settings.GroupInstanceId : null, offsets);
        var started = Stopwatch.GetTimestamp();
        // At least a little, so that retry.backoff.ms = 0 cannot make a tight loop of requests.
        var backoff = settings.Client.RetryBackoff < MinCommitBackoff ? MinCommitBackoff : settings.Client.RetryBackoff;
        while (true)
        {
            var gateway = await connection.AnyBrokerAsync(ct).ConfigureAwait(false);
            // Measured after finding a broker, which may have taken a while; AskAsync refuses a budget already spent.
            var left = settings.Client.RequestTimeout - Stopwatch.GetElapsedTime(started);
            var response = await connection.AskAsync<OffsetCommitResponse>(gateway, request, untilAnswered ? left : null, ct).ConfigureAwait(false);
            switch (response.Error)
            {
                case ErrorCode.None:
                    return;
                case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration or ErrorCode.RebalanceInProgress or ErrorCode.FencedInstanceId:
                    throw CommitFailedException.From(new Error(response.Error, response.ErrorMessage ?? response.Error.Describe()), settings.MaxPollIntervalMs);
                case ErrorCode.CoordinatorNotAvailable or ErrorCode.NotCoordinator or ErrorCode.CoordinatorLoadInProgress
                    when untilAnswered && settings.Client.RequestTimeout - Stopwatch.GetElapsedTime(started) > 2 * backoff:
                    await Task.Delay(backoff, ct).ConfigureAwait(false);
                    continue;
                default:
                    throw new KafkaException(new Error(response.Error, response.ErrorMessage ?? response.Error.Describe()));
            }
        }
    }

    public async Task<IReadOnlyList<CommittedOffset>> FetchCommittedAsync(IReadOnlyList<Protocol.Messages.TopicPartition> partitions, TimeSpan timeout, CancellationToken ct)
    {
        var gateway = await connection.AnyBrokerAsync(ct).ConfigureAwait(false);
        var response = await connection.AskAsync<OffsetFetchResponse>(gateway, new OffsetFetchRequest(GroupId, partitions), timeout, ct).ConfigureAwait(false);
        if (response.Error != ErrorCode.None) throw new KafkaException(new Error(response.Error, response.ErrorMessage ?? response.Error.Describe()));
        return response.Offsets;
    }
}
