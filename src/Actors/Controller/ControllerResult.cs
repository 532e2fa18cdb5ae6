namespace AkkaBroker.Actors.Controller;

/// <summary>
/// What <see cref="ControllerState"/> decided about one command, in the shape of Kafka's <c>ControllerResult</c>
/// (records + response): the events to record and the answer for whoever asked. Every decision has this one shape, so
/// <see cref="ControllerActor"/> carries them all out alike: it records the events, if any (applied to a copy of the
/// state, replicated to a majority before the copy becomes the state), then does the follow-up and answers. With no
/// events the response is the whole answer, sent at once: a refusal, or a request that changes nothing.
/// </summary>
/// <param name="Events">Events to apply, in order, as one change of state; empty when nothing changes.</param>
/// <param name="Response">
/// The answer to the requester (a <c>TopicOperationResponse</c>, <c>AlterPartitionResponse</c>,
/// <c>FindCoordinatorResponse</c>, ...), sent only once the events are recorded; null when the command has no requester
/// to answer (an election, a group's registration) or when the answer can only be read from the recorded state.
/// </param>
public sealed record ControllerResult(IReadOnlyList<object> Events, object? Response)
{
    /// <summary>Nothing to record and nobody to answer: the state already is as the command wants it.</summary>
    public static readonly ControllerResult Nothing = new([], null);

    /// <summary>An answer that changes nothing: a refusal, or a request already satisfied.</summary>
    public static ControllerResult Reply(object response) => new([], response);

    /// <summary>A change of state, answered with <paramref name="response"/> (if any) once it is recorded.</summary>
    public static ControllerResult Record(object @event, object? response = null) => new([@event], response);
}
