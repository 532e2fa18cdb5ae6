using System.Collections.Concurrent;
using System.Diagnostics;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// A real network partition of a broker process: broker 3 runs in a network namespace of its own, joined to the host by
/// a veth pair, and the link is taken down until the other two have downed it, then brought up again. The process does
/// not exit: it starts a fresh node with the same id, port and data, keeps trying while the link is down, rejoins after
/// the heal, and its replicas re-enter the ISR, while an acks=all producer on the majority side loses nothing.
/// </summary>
public class RejoinTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_broker_cut_off_by_the_network_until_downed_rejoins_in_the_same_process_and_no_acks_all_record_is_lost()
    {
        using var ns = await NetworkNamespace.CreateAsync();
        var dirs = Enumerable.Range(1, 3).Select(i => Path.Combine(Path.GetTempPath(), $"akkabroker-e2e-rejoin{i}-" + Guid.NewGuid().ToString("N"))).ToArray();
        int port1 = ns.FreeHostPort(), port2 = ns.FreeHostPort();
        const int port3 = 19203; // inside the namespace, where nothing else listens
        int cluster1 = ns.FreeHostPort(), cluster2 = ns.FreeHostPort();
        const int cluster3 = 19213;
        var seeds = $"{ns.HostAddress}:{cluster1},{ns.HostAddress}:{cluster2},{ns.InsideAddress}:{cluster3}";
        string[] Args(int id, string host, int port, int clusterPort) => ["--broker-id", $"{id}", "--host", host, "--port", $"{port}", "--cluster-port", $"{clusterPort}", "--seed-nodes", seeds];

        // Brokers 1 and 2 together: the cluster comes up once two of the three seed nodes have joined (min-nr-of-members).
        var started = await BrokerProcess.StartAllAsync(
            BrokerProcess.StartThroughAsync([], dirs[0], "", Args(1, ns.HostAddress, port1, cluster1)),
            BrokerProcess.StartThroughAsync([], dirs[1], "", Args(2, ns.HostAddress, port2, cluster2)));
        using var b1 = started[0];
        using var b2 = started[1];
        // A short join-timeout, so that the first attempt to rejoin gives up while the link is still down and the test
        // sees the next one succeed after the heal.
        using var b3 = await BrokerProcess.StartThroughAsync(ns.Launcher, dirs[2], "akkabroker.broker.cluster.join-timeout = 6s", Args(3, ns.InsideAddress, port3, cluster3));
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = b1.Bootstrap }).Build();
        await WaitForBrokersAsync(admin, ids => ids.Count == 3, "three live brokers");

        const string topic = "blip";
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 3, ReplicationFactor = 3, Configs = { ["min.insync.replicas"] = "2" } }]);
        await WaitForIsrAsync(admin, topic, isr => isr.Count == 3, "every partition with three in-sync replicas");

        // An acks=all producer on the majority side writes all along.
        var acked = new ConcurrentDictionary<string, bool>();
        var failed = 0;
        using var stopProducing = new CancellationTokenSource();
        var producing = Task.Run(async () =>
        {
            using var producer = new ProducerBuilder<string, string>(new ProducerConfig
            {
                BootstrapServers = $"{b1.Bootstrap},{b2.Bootstrap}", Acks = Acks.All, LingerMs = 1, DeliveryTimeoutMs = 30_000,
            }).Build();
            for (var i = 0; !stopProducing.IsCancellationRequested; i++)
            {
                try
                {
                    var r = await producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i % 30}", Value = $"v{i}" });
                    acked[r.Message.Value] = true;
                }
                catch (ProduceException<string, string>)
                {
                    Interlocked.Increment(ref failed); // not acknowledged: the test asserts nothing about it
                }
                await Task.Delay(5);
            }
        });
        await WaitUntilAsync(() => acked.Count >= 50, TimeSpan.FromSeconds(20), "50 records acknowledged before the cut");

        var pid = b3.Pid;
        var clock = Stopwatch.StartNew();
        await ns.CutAsync();
        await b3.WaitForOutputAsync(o => o.Contains("the cluster downed this node"), TimeSpan.FromSeconds(40), "broker 3 to find itself downed");
        var downed = clock.Elapsed;
        await WaitForBrokersAsync(admin, ids => ids.SequenceEqual([1, 2]), "the majority to go on without broker 3");
        var majorityWithout3 = clock.Elapsed;
        await b3.WaitForOutputAsync(o => o.Contains("restart attempt 1 could not join"), TimeSpan.FromSeconds(30), "broker 3's first attempt to rejoin to give up while cut off");
        var firstAttemptFailed = clock.Elapsed;
        await ns.HealAsync();
        var healed = clock.Elapsed;

        await b3.WaitForOutputAsync(o => o.Contains("rejoined the cluster"), TimeSpan.FromSeconds(45), "broker 3 to rejoin after the heal");
        var rejoined = clock.Elapsed;
        await WaitForBrokersAsync(admin, ids => ids.Count == 3, "broker 3 a member again");
        var described = (await BrokerProcess.RunToolAsync(null, "cluster", "describe", "--bootstrap-server", b1.Bootstrap)).Stdout;
        Assert.Contains("Brokers: 3", described);
        Assert.Contains($"Broker: 3\tAddress: {ns.InsideAddress}:{port3}", described);
        Assert.False(b3.HasExited, $"broker 3's process should still run; output:\n{b3.Output}");
        Assert.Equal(pid, b3.Pid);
        await WaitForIsrAsync(admin, topic, isr => isr.Contains(3), "broker 3 back in every partition's ISR");
        var inIsr = clock.Elapsed;

        await stopProducing.CancelAsync();
        await producing;
        var consumed = await ConsumeAllAsync(b1.Bootstrap, topic, 3);
        var lost = acked.Keys.Where(v => !consumed.Contains(v)).ToList();
        output.WriteLine($"cut at 0; broker 3 downed itself at {downed.TotalSeconds:0.0} s, majority without it at {majorityWithout3.TotalSeconds:0.0} s, " +
                         $"first rejoin attempt gave up at {firstAttemptFailed.TotalSeconds:0.0} s, healed at {healed.TotalSeconds:0.0} s, rejoined at {rejoined.TotalSeconds:0.0} s, back in every ISR at {inIsr.TotalSeconds:0.0} s (same pid {pid})");
        output.WriteLine($"acks=all: acknowledged {acked.Count}, not acknowledged {failed}, consumed {consumed.Count}, lost {lost.Count}");
        output.WriteLine(described);
        foreach (var line in b3.Output.Split('\n').Where(l => l.Contains("broker 3:"))) output.WriteLine(line);
        Assert.Empty(lost);
        // Not the attempt that gave up while the link was down: a later one, in the same process.
        Assert.DoesNotContain("(restart attempt 1)", b3.Output.Split('\n').Single(l => l.Contains("broker 3: rejoined the cluster")));

        foreach (var dir in dirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // The brokers still run until the end of the test; the OS cleans the temp dir.
            }
        }
    }

    /// <summary>Waits until the controller's live brokers (what <c>cluster describe</c> lists) satisfy <paramref name="condition"/>.</summary>
    internal static Task WaitForBrokersAsync(IAdminClient admin, Func<IReadOnlyList<int>, bool> condition, string what) =>
        WaitUntilAsync(async () =>
        {
            try
            {
                return condition((await admin.DescribeClusterAsync()).Nodes.Select(b => b.Id).Order().ToList());
            }
            catch (KafkaException)
            {
                return false; // the controller is moving
            }
        }, TimeSpan.FromSeconds(60), what);

    private static async Task WaitForIsrAsync(IAdminClient admin, string topic, Func<IReadOnlyList<int>, bool> condition, string what)
    {
        await WaitUntilAsync(async () =>
        {
            try
            {
                var partitions = (await admin.GetMetadataAsync([topic])).Topics.Single().Partitions;
                return partitions.Count > 0 && partitions.All(p => condition(p.InSyncReplicas));
            }
            catch (KafkaException)
            {
                return false; // the controller is moving
            }
        }, TimeSpan.FromSeconds(45), what);
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) => WaitUntilAsync(() => Task.FromResult(condition()), timeout, what);

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"expected {what} within {timeout.TotalSeconds:0} s");
            await Task.Delay(200);
        }
    }

    /// <summary>Every record of the topic's partitions up to their high watermarks.</summary>
    private static async Task<HashSet<string>> ConsumeAllAsync(string bootstrap, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, FetchWaitMaxMs = 50 }).Build();
        var all = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
        consumer.Assign(all.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        var expected = all.Sum(tp => consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(20)).High.Value);
        var values = new HashSet<string>();
        var read = 0L;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (read < expected)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"consumed {read} of {expected} records within 30 s");
            var r = await Task.Run(() => consumer.Consume(TimeSpan.FromSeconds(1)));
            if (r?.Message == null) continue;
            read++;
            values.Add(r.Message.Value);
        }
        return values;
    }
}
