using Akka.Actor;

namespace AkkaBroker.Actors.Kafka;

/// <summary>Asking the broker on behalf of a Kafka client, which must get an answer even when the broker gives none in time.</summary>
internal static class KafkaAsk
{
    /// <summary>The broker's answer, or <paramref name="timedOut"/>'s (the error Kafka would give) when it does not come in time.</summary>
    public static async Task<T> Answered<T>(Task<T> answer, Func<T> timedOut)
    {
        try
        {
            return await answer;
        }
        catch (AskTimeoutException)
        {
            return timedOut();
        }
    }
}
