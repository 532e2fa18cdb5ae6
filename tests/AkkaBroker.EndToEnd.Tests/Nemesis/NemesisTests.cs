using System.Diagnostics;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests.Nemesis;

/// <summary>
/// Jepsen's recipe with real processes: three brokers (replication factor 3, min.insync.replicas 2), a verifiable
/// producer with acks=all and a group of two verifiable consumers run while a nemesis kills brokers with -9 and
/// restarts them, pauses them with SIGSTOP/SIGCONT and, where network namespaces can be made (root), cuts all links of
/// one broker at a time. Then everything is healed, the producer finishes, and every
/// partition is read from the beginning twice, the second time after leadership moved off the broker that led most
/// partitions, so that those partitions are read from another replica. <see cref="NemesisHistory"/> checks the
/// outcome; every count must be zero and every broker must be back in the cluster.
/// <para>
/// The short form (15 s of faults) runs with the other tests; <c>tools/nemesis.sh --duration 600</c> runs the long
/// form through <c>AKKABROKER_NEMESIS_SECONDS</c>. <c>AKKABROKER_NEMESIS_SEED</c> repeats a schedule,
/// <c>AKKABROKER_NEMESIS_LINK_CUTS=0</c> leaves link cuts out, and <c>AKKABROKER_NEMESIS_REPORT</c> names a file the
/// report is written to.
/// </para>
/// </summary>
public class NemesisTests(ITestOutputHelper output)
{
    private const string Topic = "nemesis";
    private const int Partitions = 3;
    private const string BrokerConfig = "akka.loglevel = INFO\nakkabroker.broker.offsets.topic.replication.factor = 3";

    private static readonly string? ReportFile = Environment.GetEnvironmentVariable("AKKABROKER_NEMESIS_REPORT") is { Length: > 0 } f ? f : null;
    private readonly object _reportLock = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    [Fact]
    public async Task Under_the_nemesis_no_acknowledged_record_is_lost_and_every_broker_comes_back()
    {
        if (ReportFile != null) await File.WriteAllTextAsync(ReportFile, "");
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("AKKABROKER_NEMESIS_SECONDS"), out var s) ? s : 15;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("AKKABROKER_NEMESIS_SEED"), out var given) ? given : Random.Shared.Next(1_000_000);
        var network = await NetworkAsync();
        var schedule = NemesisSchedule.Generate(seed, TimeSpan.FromSeconds(seconds), network.CanCutLinks);
        Log($"nemesis: seed {seed}, {seconds} s of faults, {schedule.Count} planned: {string.Join("; ", schedule)}");

        var problems = new List<string>();
        NemesisCluster? cluster = null;
        ToolProcess? producer = null;
        var consumers = new List<ToolProcess>();
        try
        {
            cluster = await NemesisCluster.StartAsync(network, BrokerConfig, Log);
            await cluster.WaitUntilAllMembersAsync(TimeSpan.FromSeconds(60));
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.AllBootstraps }).Build())
                await admin.CreateTopicsAsync([new TopicSpecification
                {
                    Name = Topic, NumPartitions = Partitions, ReplicationFactor = 3, Configs = new() { ["min.insync.replicas"] = "2" },
                }]);
            Assert.True(await WaitForFullIsrAsync(cluster.AllBootstraps, TimeSpan.FromSeconds(60)), "three in-sync replicas on every partition of the new topic");

            producer = BrokerProcess.StartTool("verifiable-producer", "--bootstrap-server", cluster.AllBootstraps, "--topic", Topic,
                "--throughput", "200", "--acks", "all", "--repeating-keys", "30");
            for (var i = 0; i < 2; i++)
                consumers.Add(BrokerProcess.StartTool("verifiable-consumer", "--bootstrap-server", cluster.AllBootstraps, "--topic", Topic,
                    "--group-id", "nemesis", "--session-timeout", "6000", "--consumer-property", "heartbeat.interval.ms=500",
                    "--consumer-property", $"client.id=nemesis-consumer-{i}"));
            await WaitForAsync(() => Acked(producer) >= 100, TimeSpan.FromSeconds(60), () => $"100 acknowledged records before the faults, got {Acked(producer)}; stderr: {producer.Stderr}");

            // The faults, one at a time; the schedule's own durations are the only sleeps.
            var faultsStarted = Stopwatch.StartNew();
            var done = 0;
            foreach (var fault in schedule)
            {
                if (faultsStarted.Elapsed >= TimeSpan.FromSeconds(seconds)) break;
                await cluster.SuperviseAsync();
                Log($"fault {++done}: {fault}");
                switch (fault.Kind)
                {
                    case FaultKind.Kill:
                        cluster.Kill(fault.Broker);
                        await Task.Delay(fault.Duration);
                        await cluster.RestartAsync(fault.Broker);
                        break;
                    case FaultKind.Pause:
                        await cluster.PauseAsync(fault.Broker);
                        await Task.Delay(fault.Duration);
                        await cluster.ResumeAsync(fault.Broker);
                        break;
                    case FaultKind.CutLinks:
                        await cluster.CutAsync(fault.Broker);
                        await Task.Delay(fault.Duration);
                        await cluster.RestoreAsync(fault.Broker);
                        break;
                }
                await Task.Delay(fault.Quiet);
            }
            Log($"{done} faults in {faultsStarted.Elapsed.TotalSeconds:0} s; acknowledged so far {Acked(producer)}");

            // Heal, and every broker must come back.
            await cluster.HealAsync();
            try
            {
                await cluster.WaitUntilAllMembersAsync(TimeSpan.FromSeconds(90));
            }
            catch (TimeoutException e)
            {
                problems.Add("not every broker came back after the faults: " + e.Message);
                Log(problems[^1]);
            }

            // The producer finishes (SIGTERM: it stops sending and waits for every outstanding acknowledgement).
            await WaitForAsync(() => producer.Lines.Skip(Math.Max(0, producer.Lines.Count - 50)).Any(l => l.Contains("\"producer_send_success\"")),
                TimeSpan.FromSeconds(60), () => "an acknowledged write after the heal");
            // SIGTERM, as a service manager stops it (SIGINT is ignored by processes a script starts in the background).
            await SignalAsync(producer, "TERM");
            // A record still being retried when the producer is told to stop may take its whole delivery.timeout.ms
            // (120 s) plus a request.timeout.ms (30 s) before it is acknowledged or failed.
            await WaitForAsync(() => producer.Lines.Any(l => l.Contains("\"tool_data\"")), TimeSpan.FromSeconds(180), () => $"the producer to finish; stderr: {producer.Stderr}; its last lines:\n{string.Join("\n", producer.Lines.TakeLast(5))}");
            var acknowledged = NemesisHistory.AcknowledgedFrom(producer.Lines);
            Log($"producer: {producer.Lines.Last(l => l.Contains("\"tool_data\""))}");
            Log(LongestWithoutAcknowledgement(producer.Lines));

            // The group catches up (it may not, if a record it should read is gone: the checker says which).
            var ackedOffsets = acknowledged.Select(a => (a.Partition, a.Offset)).ToHashSet();
            var caughtUp = await TryWaitForAsync(() => ackedOffsets.IsSubsetOf(consumers.SelectMany(c => VerifiableConsumerOutput.Consumed(c.Lines))), TimeSpan.FromSeconds(30));
            foreach (var c in consumers) c.KillHard();
            var consumed = consumers.SelectMany(c => VerifiableConsumerOutput.Consumed(c.Lines)).ToList();
            Log($"group: consumed {consumed.Count} records ({consumed.Distinct().Count()} distinct offsets), " +
                $"{(caughtUp ? "every acknowledged offset among them" : $"{ackedOffsets.Except(consumed).Count()} acknowledged offsets not consumed within 30 s")}");

            // Two reads of the final log; between them leadership moves off the broker leading most partitions.
            var (first, second) = await ReadTwiceAsync(cluster, problems);

            try
            {
                await cluster.WaitUntilAllMembersAsync(TimeSpan.FromSeconds(90));
            }
            catch (TimeoutException e)
            {
                problems.Add("not every broker was back at the end: " + e.Message);
                Log(problems[^1]);
            }
            Log(await WaitForFullIsrAsync(cluster.AllBootstraps, TimeSpan.FromSeconds(30))
                ? "every replica in sync at the end"
                : $"not every replica in sync 30 s after the end:\n{(await BrokerProcess.RunToolAsync(null, "topics", "describe", "--bootstrap-server", cluster.AllBootstraps, "--topic", Topic)).Stdout}");

            var verdict = new NemesisHistory(acknowledged, consumed, first, second).Check();
            Log($"acknowledged {acknowledged.Count}, failed {producer.Lines.Count(l => l.Contains("\"producer_send_error\""))}, " +
                $"read through {first.Source}: {first.Count} records, through {second.Source}: {second.Count}");
            Log("checker:\n" + verdict);
            Log($"broker starts that failed and were repeated: {cluster.FailedStarts}");
            Log($"brokers that exited and needed a restart: {cluster.UnexpectedExits.Count}" +
                string.Concat(cluster.UnexpectedExits.Select(x => $"\n    broker {x.Broker}, exit code {x.ExitCode}, at {x.At:HH:mm:ss}")));
            if (cluster.UnexpectedExits.Count > 0) Log("the split brain resolvers' decisions:\n" + cluster.DowningDecisions());
            if (!verdict.IsClean || problems.Count > 0) Log("broker log excerpts:\n" + cluster.Excerpts());

            Assert.True(acknowledged.Count > 0 && consumed.Count > 0, "the run should have acknowledged and consumed records");
            Assert.True(verdict.IsClean, "every count should be zero:\n" + verdict);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        catch (Exception e) when (cluster != null)
        {
            Log($"failed: {e.GetType().Name}: {e.Message}\nbroker log excerpts:\n{cluster.Excerpts()}\nproducer's stderr (end):\n{Tail(producer?.Stderr ?? "", 20)}");
            throw;
        }
        finally
        {
            producer?.Dispose();
            foreach (var c in consumers) c.Dispose();
            cluster?.Dispose();
            network.Dispose();
        }
    }

    /// <summary>Network namespaces when they can be made here (root, the ip tool), otherwise loopback without link cuts.</summary>
    private async Task<BrokerNetwork> NetworkAsync()
    {
        if (Environment.GetEnvironmentVariable("AKKABROKER_NEMESIS_LINK_CUTS") == "0")
        {
            Log("link cuts left out (AKKABROKER_NEMESIS_LINK_CUTS=0)");
            return BrokerNetwork.Loopback();
        }
        try
        {
            var network = await BrokerNetwork.NamespacesAsync(NemesisCluster.BrokerIds);
            Log("brokers in network namespaces of their own: link cuts on");
            return network;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Not root, or no ip tool: the other faults still run; the report says why cuts are missing.
            Log($"link cuts left out: network namespaces could not be made ({e.Message})");
            return BrokerNetwork.Loopback();
        }
    }

    /// <summary>
    /// Reads every partition through one broker; stops (SIGTERM) the broker that led most partitions, preferring one that
    /// is not the controller, so that its partitions get new leaders; reads again through another broker; restarts it.
    /// Partitions that the stop did not move are read twice from the same replica, which still checks a stable log.
    /// </summary>
    private async Task<(LogRead First, LogRead Second)> ReadTwiceAsync(NemesisCluster cluster, List<string> problems)
    {
        var firstBroker = cluster.Running.First();
        var leadersBefore = (await DescribeAsync(cluster.Bootstrap(firstBroker))).ToDictionary(kv => kv.Key, kv => kv.Value.Leader);
        var first = await ReadLogAsync($"broker {firstBroker} (leaders {Show(leadersBefore)})", cluster.Bootstrap(firstBroker));

        var controller = await ControllerAsync(cluster.Bootstrap(firstBroker));
        var moved = leadersBefore.Values.Where(l => l > 0).GroupBy(l => l)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key == controller ? 1 : 0).First().Key;
        await cluster.StopAsync(moved);
        var via = cluster.Running.FirstOrDefault(id => id != firstBroker, cluster.Running.First());
        Dictionary<int, int> leadersAfter = new();
        var newLeaders = await TryWaitForAsync(async () =>
        {
            leadersAfter = (await DescribeAsync(cluster.Bootstrap(via))).ToDictionary(kv => kv.Key, kv => kv.Value.Leader);
            return leadersAfter.Count == Partitions && leadersAfter.Values.All(l => l > 0 && l != moved);
        }, TimeSpan.FromSeconds(60));
        if (!newLeaders)
        {
            problems.Add($"after stopping broker {moved}, not every partition had another leader within 60 s: {Show(leadersAfter)}");
            Log(problems[^1]);
            await cluster.RestartAsync(moved);
        }
        var second = await ReadLogAsync($"broker {via} (leaders {Show(leadersAfter)})", cluster.Bootstrap(via));
        if (newLeaders) await cluster.RestartAsync(moved);
        Log($"partitions read from two different replicas: {leadersBefore.Count(kv => leadersAfter.GetValueOrDefault(kv.Key) is var l && l > 0 && l != kv.Value)} of {Partitions}");
        return (first, second);
    }

    private static string Show(Dictionary<int, int> leaders) => string.Join(", ", leaders.OrderBy(kv => kv.Key).Select(kv => $"p{kv.Key}:{kv.Value}"));

    /// <summary>Every partition from the beginning to its end (high watermark), offset by offset.</summary>
    private static async Task<LogRead> ReadLogAsync(string source, string bootstrap)
    {
        using var consumer = new ConsumerBuilder<string?, string?>(new ConsumerConfig { BootstrapServers = bootstrap, EnablePartitionEof = true }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var logs = Enumerable.Range(0, Partitions).ToDictionary(p => p, _ => new Dictionary<long, LoggedRecord>());
        var atEnd = new HashSet<int>();
        var clock = Stopwatch.StartNew();
        await Task.Yield();
        while (atEnd.Count < Partitions)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"expected to read every partition to its end through {source} within 90 s; at the end of {atEnd.Count}");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r == null) continue;
            if (r.IsPartitionEOF) atEnd.Add(r.Partition);
            // A second record at one offset would be a broker bug; the first one read is kept and the checker sees the rest as divergent.
            else logs[r.Partition].TryAdd(r.Offset.Value, new LoggedRecord(r.Message!.Key, r.Message.Value ?? "<null>"));
        }
        return new LogRead(source, logs.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<long, LoggedRecord>)kv.Value));
    }

    /// <summary>Each partition's leader and in-sync replicas as broker <paramref name="bootstrap"/> knows them; empty when it did not answer.</summary>
    private static async Task<Dictionary<int, (int Leader, int Isr)>> DescribeAsync(string bootstrap)
    {
        using var admin = NemesisCluster.Admin(bootstrap);
        try
        {
            var metadata = await admin.GetMetadataAsync([Topic]);
            return metadata.Topics.Single(t => t.Topic == Topic).Partitions.ToDictionary(p => p.PartitionId, p => (p.Leader, p.InSyncReplicas.Length));
        }
        catch (KafkaException)
        {
            // Asked again until the deadline of the caller, who reports what it last saw.
            return new();
        }
    }

    private static async Task<int> ControllerAsync(string bootstrap)
    {
        using var admin = NemesisCluster.Admin(bootstrap);
        return (await admin.DescribeClusterAsync()).Controller?.Id ?? -1;
    }

    private static Task<bool> WaitForFullIsrAsync(string bootstrap, TimeSpan timeout) => TryWaitForAsync(async () =>
    {
        var partitions = await DescribeAsync(bootstrap);
        return partitions.Count == Partitions && partitions.Values.All(p => p.Leader > 0 && p.Isr == 3);
    }, timeout);

    /// <summary>Availability, for the report only: the longest time the producer waited between two acknowledgements.</summary>
    private static string LongestWithoutAcknowledgement(IReadOnlyList<string> producerLines)
    {
        var times = producerLines.Where(l => l.Contains("\"producer_send_success\""))
            .Select(l => ReplicationTests.Parse(l).GetProperty("timestamp").GetInt64()).Order().ToList();
        var (gap, from) = times.Zip(times.Skip(1), (earlier, later) => (Gap: later - earlier, From: earlier)).DefaultIfEmpty().MaxBy(p => p.Gap);
        return $"longest time without an acknowledgement: {gap} ms, from {DateTimeOffset.FromUnixTimeMilliseconds(from):HH:mm:ss.fff}";
    }

    private static string Tail(string text, int lines) => string.Join("\n", text.Split('\n').TakeLast(lines));

    private static long Acked(ToolProcess producer) => producer.Lines.Count(l => l.Contains("\"producer_send_success\""));

    private static async Task SignalAsync(ToolProcess tool, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, tool.ProcessId.ToString()]);
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {tool.ProcessId} failed");
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, Func<string> expected)
    {
        if (!await TryWaitForAsync(condition, timeout)) Assert.Fail($"expected {expected()} within {timeout.TotalSeconds} s");
    }

    private static Task<bool> TryWaitForAsync(Func<bool> condition, TimeSpan timeout) => TryWaitForAsync(() => Task.FromResult(condition()), timeout);

    private static async Task<bool> TryWaitForAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) return false;
            await Task.Delay(250);
        }
        return true;
    }

    private void Log(string line)
    {
        var stamped = $"{DateTime.UtcNow:HH:mm:ss.fff} +{_clock.Elapsed.TotalSeconds,5:0.0}s {line}";
        lock (_reportLock)
        {
            // Written as it goes, so that a long run can be followed (tail -f) and a killed one leaves its story behind.
            if (ReportFile is { } file) File.AppendAllText(file, stamped + "\n");
        }
        output.WriteLine(stamped);
    }
}
