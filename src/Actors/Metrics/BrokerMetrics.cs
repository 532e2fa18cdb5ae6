using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Metrics;

/// <summary>
/// The broker's instruments (System.Diagnostics.Metrics, meter <c>AkkaBroker.Broker</c>); the Host exports them for
/// Prometheus. Names follow Kafka's BrokerTopicMetrics where one exists.
/// </summary>
public static class BrokerMetrics
{
    public const string MeterName = "AkkaBroker.Broker";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<TopicPartition, long> LogEndOffsets = new();

    public static readonly Counter<long> BytesIn = Meter.CreateCounter<long>("akkabroker.bytes_in", "By", "Record batch bytes appended (BytesInPerSec)");
    public static readonly Counter<long> BytesOut = Meter.CreateCounter<long>("akkabroker.bytes_out", "By", "Record batch bytes served to fetches (BytesOutPerSec)");
    public static readonly Counter<long> RecordsIn = Meter.CreateCounter<long>("akkabroker.records_in", "{record}", "Records appended (MessagesInPerSec)");
    public static readonly Counter<long> RecordsOut = Meter.CreateCounter<long>("akkabroker.records_out", "{record}", "Records served to fetches");
    public static readonly Counter<long> FailedRequests = Meter.CreateCounter<long>("akkabroker.failed_requests", "{request}", "Requests answered with an error code, tagged by api and error");
    public static readonly Counter<long> IsrShrinks = Meter.CreateCounter<long>("akkabroker.isr_shrinks", "{change}", "In-sync replica sets that lost a follower, as recorded by the controller for a leader on this broker (IsrShrinksPerSec)");
    public static readonly Counter<long> IsrExpands = Meter.CreateCounter<long>("akkabroker.isr_expands", "{change}", "In-sync replica sets that took a follower back, as recorded by the controller for a leader on this broker (IsrExpandsPerSec)");
    public static readonly Counter<long> UncleanLeaderElections = Meter.CreateCounter<long>("akkabroker.unclean_leader_elections", "{election}", "Partitions given an out-of-sync leader because unclean.leader.election.enable allowed it; records may have been lost (UncleanLeaderElectionsPerSec)");
    public static readonly Counter<long> LogTruncations = Meter.CreateCounter<long>("akkabroker.log_truncations", "{truncation}", "Follower logs cut back to where they agree with their leader");
    public static readonly Histogram<double> RequestLatency = Meter.CreateHistogram<double>("akkabroker.request_latency", "ms", "Time from a request reaching its partition to its reply, tagged by api");

    static BrokerMetrics()
    {
        Meter.CreateObservableGauge("akkabroker.log_end_offset",
            () => LogEndOffsets.Select(kv => new Measurement<long>(kv.Value,
                new KeyValuePair<string, object?>("topic", kv.Key.Topic), new KeyValuePair<string, object?>("partition", kv.Key.Partition))),
            "{offset}", "Log end offset (durable in this broker's journal) per partition replica");
        Meter.CreateObservableGauge("akkabroker.controller.active", () => FromControllers(_ => 1), "{controller}",
            "1 on the broker running the controller (ActiveControllerCount); the cluster should have exactly one");
        Meter.CreateObservableGauge("akkabroker.controller.epoch", () => FromControllers(v => v.Epoch), "{epoch}", "The active controller's epoch");
        Meter.CreateObservableGauge("akkabroker.offline_partitions", () => FromControllers(v => v.OfflinePartitions), "{partition}",
            "Partitions without a live leader (OfflinePartitionsCount), reported by the controller");
        Meter.CreateObservableGauge("akkabroker.under_replicated_partitions", () => FromControllers(v => v.UnderReplicatedPartitions), "{partition}",
            "Partitions with a leader but fewer in-sync replicas than replicas (UnderReplicatedPartitions), reported by the controller");
        Meter.CreateObservableGauge("akkabroker.leader_count",
            () => ControllerViews.Values.SelectMany(v => v.LeadersByBroker.Select(kv => new Measurement<int>(kv.Value, new KeyValuePair<string, object?>("broker", kv.Key)))),
            "{partition}", "Partitions each live broker leads (LeaderCount), reported by the controller");
    }

    /// <summary>What the active controller reports about the cluster (Kafka's ActiveControllerCount, OfflinePartitionsCount, UnderReplicatedPartitions, LeaderCount).</summary>
    public sealed record ControllerView(int ControllerBrokerId, int Epoch, int OfflinePartitions, int UnderReplicatedPartitions, IReadOnlyDictionary<int, int> LeadersByBroker);

    private static readonly ConcurrentDictionary<int, ControllerView> ControllerViews = new();

    /// <summary>Set by the active controller on every change of metadata or membership; cleared when it stops.</summary>
    public static void SetControllerView(ControllerView view) => ControllerViews[view.ControllerBrokerId] = view;

    public static void ClearControllerView(int controllerBrokerId) => ControllerViews.TryRemove(controllerBrokerId, out _);

    private static IEnumerable<Measurement<int>> FromControllers(Func<ControllerView, int> value) =>
        ControllerViews.Values.Select(v => new Measurement<int>(value(v), new KeyValuePair<string, object?>("controller", v.ControllerBrokerId)));

    public static void SetLogEndOffset(TopicPartition tp, long offset) => LogEndOffsets[tp] = offset;

    public static void RemovePartition(TopicPartition tp) => LogEndOffsets.TryRemove(tp, out _);
}
