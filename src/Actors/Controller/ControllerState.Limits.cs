using System.Globalization;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>What keeps the replicated state within the one message it travels in.</summary>
public sealed partial class ControllerState
{
    /// <summary>
    /// Why <paramref name="next"/>, reached from <paramref name="current"/> by <paramref name="events"/>, may not be
    /// written, or null. The state is replicated whole in one message, so a state past the frame limit could never be
    /// replicated again: changes at an operator's or a client's request (topics, partitions, configs, users, ACLs, quotas,
    /// reassignments) that would take it past <paramref name="maxBytes"/> are refused, with the sizes. The size counted
    /// is the largest the state can grow to without such a request, every replica back in its partition's ISR, so that
    /// leadership and ISR changes, never refused, always fit. A change that does not make the state larger (a
    /// reassignment completing, configs removed) is never refused either, so a state over the limit can shrink.
    /// </summary>
    public static string? SizeProblem(ControllerState current, ControllerState next, IReadOnlyList<object> events, long maxBytes)
    {
        if (!events.Any(e => e is TopicCreated or PartitionsAdded or TopicConfigsChanged or BrokerConfigsChanged or UserScramCredentialsChanged or AclsChanged or ClientQuotasChanged or ReassignmentsChanged))
            return null;
        var size = next.LargestSize();
        if (size <= maxBytes || size <= current.LargestSize()) return null;
        return $"the cluster metadata would be {Bytes(size)} bytes (counting every replica back in sync), past the {Bytes(maxBytes)} it may hold " +
            "(akka.remote.dot-netty.tcp.maximum-frame-size less 1 MiB, as it travels whole in one message): delete topics, " +
            "use fewer partitions, or raise the frame size on every node";
    }

    /// <summary>The encoded size of this state with every partition's ISR grown to all its replicas (4 bytes each).</summary>
    private long LargestSize() =>
        Protocol.Serialization.BrokerSerializer.Encode(ToSnapshot()).Length
        + 4L * _topics.Values.Sum(t => t.Partitions.Sum(p => (long)Math.Max(0, p.Replicas.Count - p.Isr.Count)));

    /// <summary>
    /// Why <paramref name="partitions"/> new partitions cannot be recorded, or null: each takes at least
    /// <c>24 + 8 x replication factor</c> bytes of the replicated cluster metadata, which must stay under
    /// <see cref="BrokerSettings.MaxControllerStateBytes"/>. Checked before the partitions are placed, so that a request
    /// for two billion partitions costs nothing (the exact size is checked when the change is written).
    /// </summary>
    private static string? TooManyPartitions(long partitions, int replicationFactor, BrokerSettings settings)
    {
        var bytes = partitions * (24 + 8L * replicationFactor);
        return bytes <= settings.MaxControllerStateBytes ? null
            : $"{Bytes(partitions)} partitions of replication factor {replicationFactor} need at least {Bytes(bytes)} bytes of cluster metadata, " +
              $"more than the {Bytes(settings.MaxControllerStateBytes)} it may hold; create fewer partitions";
    }

    /// <summary>A count with thousands separators, the same whatever the broker's culture.</summary>
    private static string Bytes(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
