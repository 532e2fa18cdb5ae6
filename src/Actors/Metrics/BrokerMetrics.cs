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
    private static readonly ConcurrentDictionary<TopicPartition, (long Size, double DirtyRatio, long Start)> Logs = new();
    /// <summary>
    /// Per broker (its ActorSystem: tests and embedded users run several in one process), the committed offsets of the
    /// groups it coordinates, each replaced whole by its coordinator, and the high watermarks of the partitions they
    /// committed, as the broker's lag reporter last learned them.
    /// </summary>
    private sealed class GroupLag
    {
        public readonly ConcurrentDictionary<string, IReadOnlyDictionary<TopicPartition, long>> Committed = new(StringComparer.Ordinal);
        public volatile IReadOnlyDictionary<TopicPartition, long> Ends = new Dictionary<TopicPartition, long>();
    }

    private static readonly ConcurrentDictionary<object, GroupLag> Lags = new(ReferenceEqualityComparer.Instance);

    public static readonly Counter<long> BytesIn = Meter.CreateCounter<long>("akkabroker.bytes_in", "By", "Record batch bytes appended (BytesInPerSec)");
    public static readonly Counter<long> BytesOut = Meter.CreateCounter<long>("akkabroker.bytes_out", "By", "Record batch bytes served to fetches (BytesOutPerSec)");
    public static readonly Counter<long> RecordsIn = Meter.CreateCounter<long>("akkabroker.records_in", "{record}", "Records appended (MessagesInPerSec)");
    public static readonly Counter<long> RecordsOut = Meter.CreateCounter<long>("akkabroker.records_out", "{record}", "Records served to fetches");
    public static readonly Counter<long> ClientEndpointRefused = Meter.CreateCounter<long>("akkabroker.client_endpoint.refused", "{message}",
        "Messages the client endpoint did not pass on, tagged by reason: broker_only (only brokers and the controller may send it), unknown_sender (its reply-to is not a client connected there), too_many_in_flight, unanswered (given up without an answer), unauthenticated (sent before the client authenticated, where the endpoint requires it)");
    public static readonly Counter<long> AuthorizationFailures = Meter.CreateCounter<long>("akkabroker.authorization_failures", "{request}",
        "Requests the ACLs refused, tagged by error (TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED) and request");
    public static readonly Counter<long> Authentications = Meter.CreateCounter<long>("akkabroker.authentications", "{exchange}",
        "SASL authentications on the client endpoint and the Kafka listener, tagged by listener, mechanism and result (succeeded, failed)");
    public static readonly Histogram<double> QuotaThrottleTime = Meter.CreateHistogram<double>("akkabroker.quota.throttle_time", "ms",
        "Throttle times given to clients over their quotas, tagged by quota (produce, fetch, request): a client is held this long (Kafka's produce/fetch/request throttle-time)");
    public static readonly Counter<long> FailedRequests = Meter.CreateCounter<long>("akkabroker.failed_requests", "{request}", "Requests answered with an error code, tagged by api and error");
    public static readonly Counter<long> IsrShrinks = Meter.CreateCounter<long>("akkabroker.isr_shrinks", "{change}", "In-sync replica sets that lost a follower, as recorded by the controller for a leader on this broker (IsrShrinksPerSec)");
    public static readonly Counter<long> IsrExpands = Meter.CreateCounter<long>("akkabroker.isr_expands", "{change}", "In-sync replica sets that took a follower back, as recorded by the controller for a leader on this broker (IsrExpandsPerSec)");
    public static readonly Counter<long> UncleanLeaderElections = Meter.CreateCounter<long>("akkabroker.unclean_leader_elections", "{election}", "Partitions given an out-of-sync leader because unclean.leader.election.enable allowed it; records may have been lost (UncleanLeaderElectionsPerSec)");
    public static readonly Counter<long> CorruptLogs = Meter.CreateCounter<long>("akkabroker.corrupt_logs", "{replica}",
        "Replica logs found corrupt (a batch failing its CRC, or offsets that do not continue the log); each is reported to the controller and repaired from the leader");
    public static readonly Counter<long> LogTruncations = Meter.CreateCounter<long>("akkabroker.log_truncations", "{truncation}", "Follower logs cut back to where they agree with their leader");
    public static readonly Counter<long> CleanerRuns = Meter.CreateCounter<long>("akkabroker.log_cleaner.runs", "{run}", "Log cleaner passes completed (compaction), tagged by outcome");
    public static readonly Counter<long> CleanerBytesRead = Meter.CreateCounter<long>("akkabroker.log_cleaner.bytes_read", "By", "Log bytes the cleaner read");
    public static readonly Counter<long> CleanerBytesRemoved = Meter.CreateCounter<long>("akkabroker.log_cleaner.bytes_removed", "By", "Log bytes compaction removed");
    public static readonly Counter<double> CleanerTime = Meter.CreateCounter<double>("akkabroker.log_cleaner.time", "s", "Time the cleaner spent cleaning, throttling included");
    public static readonly Counter<long> RetentionDeletedSegments = Meter.CreateCounter<long>("akkabroker.log_retention.deleted_segments", "{segment}", "Log segments removed by retention.ms or retention.bytes");
    public static readonly Histogram<double> RequestLatency = Meter.CreateHistogram<double>("akkabroker.request_latency", "ms", "Time from a request reaching its partition to its reply, tagged by api");

    static BrokerMetrics()
    {
        Meter.CreateObservableGauge("akkabroker.log_end_offset",
            () => LogEndOffsets.Select(kv => new Measurement<long>(kv.Value,
                new KeyValuePair<string, object?>("topic", kv.Key.Topic), new KeyValuePair<string, object?>("partition", kv.Key.Partition))),
            "{offset}", "Log end offset (durable in this broker's journal) per partition replica");
        Meter.CreateObservableGauge("akkabroker.log_size", () => LogMeasurements(v => v.Size), "By", "Bytes a partition replica's log holds (Kafka's Log Size)");
        Meter.CreateObservableGauge("akkabroker.log_start_offset", () => LogMeasurements(v => v.Start), "{offset}", "First offset a partition replica's log still holds");
        Meter.CreateObservableGauge("akkabroker.log_cleaner.dirty_ratio", () => Logs.Where(kv => kv.Value.DirtyRatio > 0).Select(kv => new Measurement<double>(kv.Value.DirtyRatio,
                new KeyValuePair<string, object?>("topic", kv.Key.Topic), new KeyValuePair<string, object?>("partition", kv.Key.Partition))),
            "1", "Share of a compacted log's cleanable bytes written since its last cleaning");
        Meter.CreateObservableGauge("akkabroker.controller.active", () => FromControllers(_ => 1), "{controller}",
            "1 on the broker running the controller (ActiveControllerCount); the cluster should have exactly one");
        Meter.CreateObservableGauge("akkabroker.controller.epoch", () => FromControllers(v => v.Epoch), "{epoch}", "The active controller's epoch");
        Meter.CreateObservableGauge("akkabroker.offline_partitions", () => FromControllers(v => v.OfflinePartitions), "{partition}",
            "Partitions without a live leader (OfflinePartitionsCount), reported by the controller");
        Meter.CreateObservableGauge("akkabroker.under_replicated_partitions", () => FromControllers(v => v.UnderReplicatedPartitions), "{partition}",
            "Partitions with a leader but fewer in-sync replicas than replicas (UnderReplicatedPartitions), reported by the controller");
        Meter.CreateObservableGauge("akkabroker.consumer_group.lag", ConsumerLags, "{record}",
            "Records between a group's committed offset and the partition's high watermark, per group and partition, reported by the broker coordinating the group");
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

    /// <summary>A replica's log size, dirty ratio and start, after appends, retention and cleaning.</summary>
    public static void SetLogExtent(TopicPartition tp, long sizeBytes, double dirtyRatio, long logStartOffset) => Logs[tp] = (sizeBytes, dirtyRatio, logStartOffset);

    private static IEnumerable<Measurement<long>> LogMeasurements(Func<(long Size, double DirtyRatio, long Start), long> value) =>
        Logs.Select(kv => new Measurement<long>(value(kv.Value),
            new KeyValuePair<string, object?>("topic", kv.Key.Topic), new KeyValuePair<string, object?>("partition", kv.Key.Partition)));

    /// <param name="broker">The broker's ActorSystem.</param>
    public static void SetCommittedOffsets(object broker, string group, IReadOnlyDictionary<TopicPartition, long> offsets) =>
        Lags.GetOrAdd(broker, _ => new GroupLag()).Committed[group] = offsets;

    public static void RemoveCommittedOffsets(object broker, string group)
    {
        if (Lags.TryGetValue(broker, out var lag)) lag.Committed.TryRemove(group, out _);
    }

    /// <summary>Every partition some group coordinated by <paramref name="broker"/> has committed: the ones whose end the lag needs.</summary>
    public static IReadOnlySet<TopicPartition> CommittedPartitions(object broker) =>
        Lags.TryGetValue(broker, out var lag) ? lag.Committed.Values.SelectMany(o => o.Keys).ToHashSet() : new HashSet<TopicPartition>();

    /// <summary>The high watermarks <paramref name="broker"/>'s lag reporter learned (a copy, replacing the last).</summary>
    public static void SetPartitionEnds(object broker, IReadOnlyDictionary<TopicPartition, long> ends) =>
        Lags.GetOrAdd(broker, _ => new GroupLag()).Ends = new Dictionary<TopicPartition, long>(ends);

    /// <summary>The broker stopped: it reports no lag any more.</summary>
    public static void RemoveBroker(object broker) => Lags.TryRemove(broker, out _);

    // A committed offset beyond the end (records removed by DeleteRecords, an unclean election) is no lag, not a negative one.
    private static IEnumerable<Measurement<long>> ConsumerLags()
    {
        foreach (var lag in Lags.Values)
        {
            var ends = lag.Ends;
            foreach (var (group, offsets) in lag.Committed)
            foreach (var (tp, committed) in offsets)
                if (ends.TryGetValue(tp, out var end))
                    yield return new Measurement<long>(Math.Max(0, end - committed), new KeyValuePair<string, object?>("group", group),
                        new KeyValuePair<string, object?>("topic", tp.Topic), new KeyValuePair<string, object?>("partition", tp.Partition));
        }
    }

    public static void RemovePartition(TopicPartition tp)
    {
        LogEndOffsets.TryRemove(tp, out _);
        Logs.TryRemove(tp, out _);
    }
}
