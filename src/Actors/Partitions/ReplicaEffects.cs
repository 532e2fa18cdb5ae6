using Akka.Actor;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Partitions;

/// <summary>
/// One thing a replica's pure logic decided must happen; <see cref="PartitionReplica"/> carries them out in order.
/// Together they are the single result shape of every role (Kafka's <c>CoordinatorResult</c>: records and responses).
/// </summary>
public abstract record ReplicaEffect
{
    /// <summary>Answer a request (a producer's, a follower's, a consumer's).</summary>
    public sealed record Reply(IActorRef To, object Message) : ReplicaEffect;

    /// <summary>
    /// Ask the controller through this broker's gateway; the answer, or its absence after <c>Timeout</c>, comes back as an
    /// input carrying <c>Id</c>, which says which request it answers.
    /// </summary>
    public sealed record AskController(object Message, TimeSpan Timeout, long Id) : ReplicaEffect;

    /// <summary>Send to the leader replica: straight to its actor (<c>Replica</c>) when known, else through the gateway of the broker at <c>Leader</c>.</summary>
    public sealed record SendToLeader(object Message, IActorRef? Replica, BrokerInfo Leader) : ReplicaEffect;

    /// <summary>Watch the leader replica's actor: when it stops, requests in flight to it are lost and must go again.</summary>
    public sealed record WatchLeader(IActorRef Replica) : ReplicaEffect;

    public sealed record StartTimer(string Key, object Message, TimeSpan Delay) : ReplicaEffect;

    public sealed record CancelTimer(string Key) : ReplicaEffect;

    /// <summary>
    /// Journal these events; when each is written the actor applies it and tells the part that asked. <c>Async</c>: without
    /// holding back the commands that follow (for events nothing waits on, such as a high-watermark checkpoint).
    /// </summary>
    public sealed record Persist(IReadOnlyList<object> Events, bool Async = false) : ReplicaEffect;

    /// <summary>Save a snapshot of the log and what fences the replica.</summary>
    public sealed record SaveSnapshot : ReplicaEffect;

    /// <summary>Delete snapshots up to this journal sequence number (<see cref="long.MaxValue"/>: all).</summary>
    public sealed record DeleteSnapshotsUpTo(long SequenceNr) : ReplicaEffect;

    /// <summary>Delete journal events up to this sequence number: no recovery needs them.</summary>
    public sealed record DeleteJournalUpTo(long SequenceNr) : ReplicaEffect;

    /// <summary>Send to the broker's <see cref="LogCleaner"/>.</summary>
    public sealed record TellCleaner(object Message) : ReplicaEffect;

    /// <summary>Read journal events <c>From</c>..<c>To</c> (batches only) for the role that asked; <c>Purpose</c> comes back with them.</summary>
    public sealed record ReadJournal(long From, long To, object Purpose) : ReplicaEffect;

    /// <summary>A read found the log corrupt from this offset: the replica reports it and repairs it from a leader.</summary>
    public sealed record LogCorrupt(long Offset) : ReplicaEffect;

    /// <summary>
    /// The log's bounds moved (its high watermark, its end, its start): fetches parked until records arrive may now be
    /// answered.
    /// </summary>
    public sealed record WakeParkedFetches : ReplicaEffect;

    /// <summary>Tell the controller through this broker's gateway; no answer is awaited.</summary>
    public sealed record TellController(object Message) : ReplicaEffect;

    /// <summary>
    /// Journal a producer's batch without holding back the commands that follow (so batches pipeline into the journal);
    /// when it is written the actor hands <c>Pending</c> back to <see cref="LeaderWrites"/>.
    /// </summary>
    public sealed record PersistBatch(BatchAppended Event, LeaderWrites.PendingAppend Pending) : ReplicaEffect;

    /// <summary>Answer once every journal write started before this one is done (a producer's retry of a batch still being written).</summary>
    public sealed record ReplyAfterWrites(IActorRef To, object Message) : ReplicaEffect;

    /// <summary>A line for the broker's log; the actor adds the partition's name.</summary>
    public sealed record Log(Akka.Event.LogLevel Level, string Message) : ReplicaEffect;
}

/// <summary>An ordered list of <see cref="ReplicaEffect"/>s, built by a role's decision and performed by the actor.</summary>
public sealed class ReplicaEffects
{
    private readonly List<ReplicaEffect> _effects = new();

    public IReadOnlyList<ReplicaEffect> All => _effects;

    public ReplicaEffects Add(ReplicaEffect effect)
    {
        _effects.Add(effect);
        return this;
    }

    public ReplicaEffects Reply(IActorRef to, object message) => Add(new ReplicaEffect.Reply(to, message));

    public ReplicaEffects Info(string message) => Add(new ReplicaEffect.Log(Akka.Event.LogLevel.InfoLevel, message));

    public ReplicaEffects Warning(string message) => Add(new ReplicaEffect.Log(Akka.Event.LogLevel.WarningLevel, message));

    /// <summary>The effects of one kind, for tests and for the actor's routing.</summary>
    public IEnumerable<T> Of<T>() where T : ReplicaEffect => _effects.OfType<T>();
}
