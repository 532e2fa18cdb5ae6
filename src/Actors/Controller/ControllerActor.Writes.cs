using Akka.Actor;
using Akka.Event;
using Akka.DistributedData;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>How the controller changes its state: one decision at a time, replicated to a majority before it counts.</summary>
public sealed partial class ControllerActor
{
    /// <summary>What to do once a decision's events are recorded, given the state they replaced (it still holds what they removed).</summary>
    private delegate void FollowUp(ControllerResult result, ControllerState before, IActorRef replyTo);

    /// <summary>
    /// The one path of every decision. With no events its response, if any, is the whole answer and goes back at once.
    /// Otherwise the events are recorded, and once a majority has them <paramref name="followUp"/> tells the replicas
    /// and answers (when to answer is its call: a topic operation waits for the replicas, an ISR change does not);
    /// with no follow-up the response goes back as soon as the events are recorded.
    /// </summary>
    /// <param name="replyTo">Who gets the response: the sender of the message being handled unless given.</param>
    private void Perform(ControllerResult result, FollowUp? followUp = null, IActorRef? replyTo = null)
    {
        replyTo ??= Sender;
        if (result.Events.Count == 0)
        {
            if (result.Response != null) replyTo.Tell(result.Response);
            return;
        }
        var before = _state;
        var next = Apply(result.Events);
        if (ControllerState.SizeProblem(_state, next, result.Events, _settings.MaxControllerStateBytes) is { } why)
        {
            // Clients may retry at once (a metadata request auto-creating topics, a new group): said now and then, counted.
            _sizeRefusals++;
            if (DateTime.UtcNow - _sizeRefusalLoggedAt > TimeSpan.FromSeconds(10))
            {
                _log.Error("Refused {0} change(s) of the cluster metadata since the last report: {1}", _sizeRefusals, why);
                (_sizeRefusals, _sizeRefusalLoggedAt) = (0, DateTime.UtcNow);
            }
            if (ControllerRefusal.Of(result.Response, ErrorCode.PolicyViolation, why) is { } refusal) replyTo.Tell(refusal);
            return;
        }
        Write(next, () =>
        {
            if (followUp != null) followUp(result, before, replyTo);
            else if (result.Response != null) replyTo.Tell(result.Response);
        });
    }

    private long _sizeRefusals;
    private DateTime _sizeRefusalLoggedAt = DateTime.MinValue;

    /// <summary>The one way a decision changes the state: its events applied to a copy, which <see cref="Write"/> replicates.</summary>
    private void Record(IReadOnlyList<object> events, Action then) => Write(Apply(events), then);

    private ControllerState Apply(IReadOnlyList<object> events)
    {
        var next = _state.Clone();
        foreach (var e in events) next.Apply(e);
        return next;
    }


    /// <summary>
    /// Replicates <paramref name="next"/> to a majority, then makes it the state and runs <paramref name="then"/>. Until
    /// a majority has it, it is not the state: reads keep seeing the last replicated state, and a write that times out
    /// is sent again (it is idempotent) while requests that change state wait.
    /// </summary>
    private void Write(ControllerState next, Action then)
    {
        next.NextVersion();
        _pending = new PendingWrite(++_writeIds, next, then);
        SendPending();
        Become(Writing);
    }

    private void SendPending()
    {
        var pending = _pending!;
        var snapshot = pending.Next.ToSnapshot();
        var self = _cluster.SelfUniqueAddress;
        _replicator.Tell(Dsl.Update(StateKey, new LWWRegister<ControllerSnapshot>(self, snapshot, VersionClock), new WriteMajority(QuorumTimeout, pending.Next.Quorum), pending.Id,
            register => register.WithValue(self, snapshot, VersionClock)));
    }

    private void Writing()
    {
        ClusterEvents();
        Receive<UpdateSuccess>(s => s.Request is long id && id == _pending?.Id, _ => WriteDone());
        Receive<IUpdateFailure>(f => f.Request is long id && id == _pending?.Id, f =>
        {
            _log.Warning("Controller state change {0} was not confirmed by a majority of nodes within {1} ({2}); retrying. " +
                         "Requests that change metadata wait meanwhile: check that most nodes are up.", _pending!.Next.Version, QuorumTimeout, f.GetType().Name);
            Timers.StartSingleTimer("retry-write", new RetryWrite(_pending.Id), TimeSpan.FromSeconds(1));
        });
        Receive<RetryWrite>(r => r.Id == _pending?.Id, _ => SendPending());
        IgnoreStaleWriteReplies();
        Reads();
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>Replies to writes that were sent again and confirmed meanwhile: nothing is waiting for them any more.</summary>
    private void IgnoreStaleWriteReplies()
    {
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(_ => { });
        Receive<RetryWrite>(_ => { });
    }

    private void WriteDone()
    {
        var pending = _pending!;
        _pending = null;
        _state = pending.Next;
        PublishMetrics();
        Become(Active);
        pending.Then();
        Stash.UnstashAll();
    }
}
