using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using AkkaBroker.Client;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// Kafka's replication test with real processes: three brokers, replication factor 3, min.insync.replicas 2, a
/// verifiable-producer with acks=all running while a partition leader's process and then the controller's process are
/// killed with -9 and restarted. Every acknowledged record is then read back exactly once, in order per partition.
/// </summary>
public class ReplicationTests(ITestOutputHelper output)
{
    internal const string Topic = "replicated";
    internal const int Partitions = 3;
    private const string Info = "akka.loglevel = INFO\nakkabroker.broker.offsets.topic.replication.factor = 3";

    [Fact]
    public async Task Every_record_acknowledged_with_acks_all_survives_kill_minus_9_of_a_leader_and_of_the_controller()
    {
        var dirs = Enumerable.Range(1, 3).Select(i => Path.Combine(Path.GetTempPath(), $"akkabroker-e2e-repl{i}-" + Guid.NewGuid().ToString("N"))).ToArray();
        var brokers = new Dictionary<int, BrokerProcess>();
        var gone = new List<BrokerProcess>();
        Func<string> producerReport = () => "";
        try
        {
            brokers[1] = await BrokerProcess.StartAsync(dirs[0], extraConfig: Info, extraArgs: ["--broker-id", "1"]);
            brokers[2] = await BrokerProcess.StartAsync(dirs[1], extraConfig: Info, extraArgs: ["--broker-id", "2", "--seed-nodes", brokers[1].SeedNode]);
            brokers[3] = await BrokerProcess.StartAsync(dirs[2], extraConfig: Info, extraArgs: ["--broker-id", "3", "--seed-nodes", brokers[1].SeedNode]);
            await BrokerProcess.WaitForToolAsync(["cluster", "describe", "--bootstrap-server", brokers[3].Bootstrap], o => o.Contains("Brokers: 3"), "three live brokers");
            var create = await BrokerProcess.RunToolAsync(null, "topics", "create", "--bootstrap-server", brokers[2].Bootstrap, "--topic", Topic,
                "--partitions", $"{Partitions}", "--replication-factor", "3", "--config", "min.insync.replicas=2");
            Assert.True(create.ExitCode == 0, create.Stderr);
            await WaitForFullIsrAsync(brokers[2].Bootstrap);

            using var producer = BrokerProcess.StartTool("verifiable-producer", "--bootstrap-server", brokers[2].Bootstrap, "--topic", Topic,
                "--max-messages", "30000", "--throughput", "300", "--acks", "all", "--repeating-keys", "30");
            producerReport = () => "---- producer's last errors\n" + string.Join("\n", producer.Lines.Where(l => l.Contains("\"producer_send_error\"")).TakeLast(10)) +
                                   "\n---- producer's stderr\n" + producer.Stderr;
            await WaitForAckedAsync(producer, 1500);

            // A partition leader that is not the controller: kill -9, time the failover, restart, wait until it is back in sync.
            var leaders = Leaders((await BrokerProcess.RunToolAsync(null, "topics", "describe", "--bootstrap-server", brokers[2].Bootstrap, "--topic", Topic)).Stdout);
            var leader = leaders.Values.First(b => b != 1);
            var failover = await KillAndRestartAsync(brokers, gone, dirs, leader, producer, leaders.Where(kv => kv.Value == leader).Select(kv => kv.Key).ToArray());
            output.WriteLine($"kill -9 of leader broker {leader}: first acknowledged write on its partitions {failover} ms later");

            // The controller's node (broker 1, which leads partitions too).
            await WaitForAckedAsync(producer, Acked(producer) + 500);
            leaders = Leaders((await BrokerProcess.RunToolAsync(null, "topics", "describe", "--bootstrap-server", brokers[2].Bootstrap, "--topic", Topic)).Stdout);
            var controllerFailover = await KillAndRestartAsync(brokers, gone, dirs, 1, producer, leaders.Where(kv => kv.Value == 1).Select(kv => kv.Key).ToArray());
            output.WriteLine($"kill -9 of the controller's broker 1: first acknowledged write on its partitions {controllerFailover} ms later");

            await VerifyEveryAcknowledgedRecordOnceAsync(producer, brokers[3].Bootstrap, output, () =>
            {
                // Where the failover time goes: the elections, with the brokers' timestamps, next to the kill times above.
                foreach (var b in gone.Concat(brokers.Values))
                    foreach (var line in b.Output.Split('\n').Where(l => l.Contains("election:") || l.Contains("is no longer live")))
                        output.WriteLine(line.Length > 220 ? line[..220] : line);
            });
        }
        catch
        {
            // What the brokers said about leadership (the last lines of each, without remoting's reconnect noise), and the
            // producer's last errors, for whoever reads a failed run.
            foreach (var b in gone.Concat(brokers.Values))
            {
                output.WriteLine($"---- broker at {b.Bootstrap}");
                foreach (var line in b.Output.Split('\n')
                             .Where(l => Regex.IsMatch(l, "election:|leads at|follows broker|truncated|retrying|Controller|in-sync|WARNING|ERROR"))
                             .Where(l => !Regex.IsMatch(l, "AssociationError|heartbeat was delayed|heartbeat interval is growing|Tried to associate|gated for|quarantined"))
                             .TakeLast(150))
                    output.WriteLine(line.Length > 300 ? line[..300] : line);
            }
            output.WriteLine(producerReport());
            throw;
        }
        finally
        {
            foreach (var b in brokers.Values.Concat(gone)) b.Dispose();
            foreach (var dir in dirs.Where(Directory.Exists))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                    // a process still closing its journal; the OS cleans the temp dir
                }
            }
        }
    }

    /// <summary>
    /// kill -9 of <paramref name="id"/>, then restarts it and waits until every replica is in sync. Returns the failover
    /// time: from the kill to the first acknowledgement on the partitions it led after the gap the kill caused (acks of
    /// writes the old leader had already confirmed can still arrive just after the kill).
    /// </summary>
    private async Task<long> KillAndRestartAsync(Dictionary<int, BrokerProcess> brokers, List<BrokerProcess> gone, string[] dirs, int id, ToolProcess producer, int[] itsPartitions)
    {
        var linesBefore = producer.Lines.Count;
        var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} kill -9 of broker {id}");
        brokers[id].KillHard();
        gone.Add(brokers[id]);
        brokers.Remove(id);
        var failover = await WaitForFailoverAsync(producer, linesBefore, killedAt, itsPartitions, id);
        var first = brokers.Values.First();
        brokers[id] = await BrokerProcess.StartAsync(dirs[id - 1], extraConfig: Info, extraArgs: ["--broker-id", $"{id}", "--seed-nodes", first.SeedNode]);
        await WaitForFullIsrAsync(first.Bootstrap);
        return failover;
    }

    /// <summary>
    /// Milliseconds from the kill of node <paramref name="id"/> to the first acknowledgement on <paramref name="partitions"/>
    /// after the gap the kill caused (acks of writes the old leader had already confirmed can still arrive just after it).
    /// </summary>
    internal static async Task<long> WaitForFailoverAsync(ToolProcess producer, int linesBefore, long killedAt, int[] partitions, int id)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), $"no write to partitions {string.Join(",", partitions)} was acknowledged within 90 s of killing node {id} " +
                $"(the producer has {Acked(producer)} acknowledged{(producer.Lines.Any(l => l.Contains("\"tool_data\"")) ? " and has finished" : "")})");
            var acks = producer.Lines.Skip(linesBefore).Select(Parse)
                .Where(e => e.GetProperty("name").GetString() == "producer_send_success" && partitions.Contains(e.GetProperty("partition").GetInt32()))
                .Select(e => e.GetProperty("timestamp").GetInt64())
                .ToList();
            // At 300 records/s acks are milliseconds apart; the first one after a pause of 250 ms or more ends the outage.
            for (var i = 0; i < acks.Count; i++)
                if (acks[i] > killedAt && acks[i] - Math.Max(killedAt, i == 0 ? killedAt : acks[i - 1]) >= 250)
                    return acks[i] - killedAt;
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits for the verifiable producer to finish, reads every partition from the beginning and checks that every
    /// acknowledged record is there exactly once, in offset order per partition; reports the counts first.
    /// </summary>
    internal static async Task VerifyEveryAcknowledgedRecordOnceAsync(ToolProcess producer, string bootstrap, ITestOutputHelper output, Action? beforeAsserts = null)
    {
        var finished = Stopwatch.StartNew();
        while (!producer.Lines.Any(l => l.Contains("\"tool_data\"")))
        {
            Assert.True(finished.Elapsed < TimeSpan.FromSeconds(150), $"the producer did not finish; stderr: {producer.Stderr}");
            await Task.Delay(200);
        }
        var acked = producer.Lines.Select(Parse).Where(e => e.GetProperty("name").GetString() == "producer_send_success")
            .Select(e => (Partition: e.GetProperty("partition").GetInt32(), Offset: e.GetProperty("offset").GetInt64(), Value: e.GetProperty("value").GetString()!))
            .ToList();
        var failed = producer.Lines.Count(l => l.Contains("\"producer_send_error\""));
        var consumed = ReadAll(bootstrap);
        var consumedValues = consumed.SelectMany(p => p.Value).ToList();
        var lost = acked.Count(a => !consumed.TryGetValue(a.Partition, out var values) || !values.Contains(a.Value));
        var duplicates = consumedValues.Count - consumedValues.Distinct().Count();
        output.WriteLine($"acknowledged {acked.Count}, failed {failed}, consumed {consumedValues.Count}, duplicates {duplicates}, lost {lost}");
        beforeAsserts?.Invoke();
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicates);
        // In order per partition: the acknowledged records of a partition appear in the order of their offsets.
        foreach (var partition in acked.GroupBy(a => a.Partition))
        {
            var expected = partition.OrderBy(a => a.Offset).Select(a => a.Value).ToList();
            Assert.Equal(expected, consumed[partition.Key].Where(expected.Contains).ToList());
        }
    }

    internal static long Acked(ToolProcess producer) => producer.Lines.Count(l => l.Contains("\"producer_send_success\""));

    internal static async Task WaitForAckedAsync(ToolProcess producer, long count)
    {
        var deadline = Stopwatch.StartNew();
        while (Acked(producer) < count)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), $"expected {count} acknowledged records within 90 s, got {Acked(producer)}; stderr: {producer.Stderr}");
            await Task.Delay(100);
        }
    }

    internal static async Task WaitForFullIsrAsync(string bootstrap) =>
        await BrokerProcess.WaitForToolAsync(["topics", "describe", "--bootstrap-server", bootstrap, "--topic", Topic],
            o => Regex.Matches(o, @"Isr: (\d+),(\d+),(\d+)").Count == Partitions && !o.Contains("Offline"), "three in-sync replicas on every partition");

    internal static JsonElement Parse(string line) => JsonDocument.Parse(line).RootElement;

    internal static Dictionary<int, List<string>> ReadAll(string bootstrap)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = bootstrap, EnablePartitionEof = true }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var values = Enumerable.Range(0, Partitions).ToDictionary(p => p, _ => new List<string>());
        var atEnd = new HashSet<int>();
        var deadline = Stopwatch.StartNew();
        while (atEnd.Count < Partitions)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"read to the end of {atEnd.Count} of {Partitions} partitions within 60 s");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r == null) continue;
            if (r.IsPartitionEOF) atEnd.Add(r.Partition);
            else values[r.Partition].Add(r.Message!.Value);
        }
        return values;
    }

    internal static Dictionary<int, int> Leaders(string describe) =>
        Regex.Matches(describe, @"Partition: (\d+)\tLeader: (\d+)").ToDictionary(m => int.Parse(m.Groups[1].Value), m => int.Parse(m.Groups[2].Value));
}
