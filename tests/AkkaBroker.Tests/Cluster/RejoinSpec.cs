using System.Diagnostics;
using Akka.Actor;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Records;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.Tests.Cluster;

/// <summary>
/// A broker cut off from the others long enough that the split brain resolver downs it does not stay out: its runner
/// (as <c>serve</c> runs it) starts a fresh ActorSystem with the same broker id and data directory, which rejoins,
/// recovers its replicas from its journal, catches up and re-enters the ISR. acks=all records written meanwhile are kept.
/// Requests go to the gateways directly: the client library speaks akka.tcp, not the throttler's akka.trttl.tcp.
/// </summary>
[Collection(ThreeBrokerCluster.Collection)]
public class RejoinSpec(ITestOutputHelper output)
{
    private static readonly TopicPartition Tp = new("rejoin", 0);

    [Fact]
    public async Task A_broker_downed_after_a_network_partition_rejoins_in_the_same_process_and_reenters_the_isr()
    {
        await using var cluster = await ThreeBrokerCluster.StartAsync(throttled: true, rejoin: true);
        var gateway = cluster.Brokers[1].Node.Gateway;
        Assert.Equal(ErrorCode.None, (await gateway.Ask<TopicOperationResponse>(
            new CreateTopicRequest("rejoin", 1, 3, new Dictionary<string, string> { ["min.insync.replicas"] = "2" }, false), TimeSpan.FromSeconds(20))).Error);
        await WaitForPartitionAsync(gateway, p => p.Leader > 0 && p.Isr.Count == 3, "a leader with three in-sync replicas");
        var broker3 = cluster.Brokers[3];
        var firstSystem = broker3.Node.System;

        var acknowledged = new List<string>();
        await ProduceAsync(gateway, acknowledged, "before", 50);
        var clock = Stopwatch.StartNew();
        await cluster.IsolateAsync(3);
        // Writes go on while broker 3 is away (if it led the partition, broker 1 or 2 takes over).
        await ProduceAsync(gateway, acknowledged, "during", 50);

        if (await Task.WhenAny(firstSystem.WhenTerminated, Task.Delay(TimeSpan.FromSeconds(60))) != firstSystem.WhenTerminated)
            throw new TimeoutException("expected the cluster to down the isolated broker 3 within 60 s");
        var downedAfter = clock.Elapsed;
        // The blackhole belongs to the downed instance's transport and address; the new ActorSystem has a transport of
        // its own, so for it the partition is over, as for a healed network.
        await ThreeBrokerCluster.WaitForAsync(() => Task.FromResult(broker3.Runner!.Incarnation == 2 ? broker3.Runner : null),
            $"broker 3 started again in the same process (runner log: {string.Join(" | ", broker3.RunnerLog)})");
        var rejoinedAfter = clock.Elapsed;
        Assert.NotSame(firstSystem, broker3.Node.System);
        Assert.Equal(3, broker3.Node.Settings.BrokerId);
        Assert.Equal(cluster.DataDirOf(3), Path.GetDirectoryName(broker3.Node.Settings.DatabasePath));

        await cluster.WaitForMembersAsync(3);
        await cluster.WaitForControllerToSeeAsync(3);
        await ProduceAsync(gateway, acknowledged, "after", 50);
        await WaitForPartitionAsync(gateway, p => p.Isr.Contains(3), "broker 3 back in the ISR");
        var isrAfter = clock.Elapsed;

        // From the leader, as a consumer reads; broker 3 being in the ISR means it has every one of these records too.
        var leader = (await WaitForPartitionAsync(gateway, p => p.Leader > 0, "a leader")).Leader;
        var read = await ReadAsync(cluster.Brokers[leader].Node.Gateway, acknowledged.Count);
        output.WriteLine($"downed {downedAfter.TotalSeconds:0.0} s after the partition, running again at {rejoinedAfter.TotalSeconds:0.0} s, " +
                         $"back in the ISR at {isrAfter.TotalSeconds:0.0} s; acknowledged {acknowledged.Count}, read {read.Count}");
        foreach (var line in broker3.RunnerLog) output.WriteLine(line);
        Assert.Contains(broker3.RunnerLog, l => l.Contains("the cluster downed this node"));
        Assert.Empty(acknowledged.Except(read));
    }

    private static Task<PartitionMetadata> WaitForPartitionAsync(IActorRef gateway, Func<PartitionMetadata, bool> condition, string what) =>
        ThreeBrokerCluster.WaitForAsync(async () =>
        {
            try
            {
                var p = (await gateway.Ask<MetadataResponse>(new MetadataRequest(["rejoin"], false), TimeSpan.FromSeconds(5))).Topics.Single().Partitions[0];
                return condition(p) ? p : null;
            }
            catch (AskTimeoutException)
            {
                return null; // the controller is moving
            }
        }, what);

    /// <summary>Appends <paramref name="count"/> records one at a time with acks=all, each retried until acknowledged (a leader may be moving).</summary>
    private static async Task ProduceAsync(IActorRef gateway, List<string> acknowledged, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var value = $"{prefix}-{i}";
            await ThreeBrokerCluster.WaitForAsync(async () =>
            {
                var batch = new RecordBatchBuilder(CompressionType.None);
                batch.Append(1000, null, System.Text.Encoding.UTF8.GetBytes(value));
                try
                {
                    var r = await gateway.Ask<ProduceResponse>(new ProduceRequest(Tp, -1, 3_000, batch.Build()), TimeSpan.FromSeconds(10));
                    return r.Error == ErrorCode.None ? r : null;
                }
                catch (AskTimeoutException)
                {
                    return null;
                }
            }, $"'{value}' acknowledged with acks=all");
            acknowledged.Add(value);
        }
    }

    /// <summary>The partition's records from offset 0 up to its high watermark, once that holds at least <paramref name="count"/>.</summary>
    private static Task<List<string>> ReadAsync(IActorRef gateway, int count) =>
        ThreeBrokerCluster.WaitForAsync(async () =>
        {
            var values = new List<string>();
            var offset = 0L;
            while (true)
            {
                FetchResponse r;
                try
                {
                    r = await gateway.Ask<FetchResponse>(new FetchRequest(Tp, offset, 1 << 20, 1, 0), TimeSpan.FromSeconds(10));
                }
                catch (AskTimeoutException)
                {
                    return null;
                }
                if (r.Error != ErrorCode.None) return null;
                var batches = RecordBatch.ReadAll(r.Records).ToList();
                values.AddRange(batches.SelectMany(b => b.ReadRecords()).Select(x => System.Text.Encoding.UTF8.GetString(x.Value!)));
                if (batches.Count > 0) offset = batches[^1].NextOffset;
                if (offset >= r.HighWatermark || batches.Count == 0) return values.Count >= count ? values : null;
            }
        }, $"{count} records readable");
}
