using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// Kafka's recommended production layout, dedicated controllers, as real processes: two controller-only nodes
/// (process.roles = controller) and three brokers (process.roles = broker), replication factor 3,
/// min.insync.replicas 2, a verifiable-producer with acks=all. kill -9 of the node running the controller interrupts no
/// write, because no partition is led or replicated there; kill -9 of a leader then fails over as usual. Every
/// acknowledged record is read back exactly once, in order per partition.
/// </summary>
public class DedicatedControllerTests(ITestOutputHelper output)
{
    private const string Info = "akka.loglevel = INFO\nakkabroker.broker.offsets.topic.replication.factor = 3";

    [Fact]
    public async Task Kill_minus_9_of_the_controller_node_interrupts_no_acks_all_write_and_a_leader_kill_loses_nothing()
    {
        var ids = new[] { 101, 102, 1, 2, 3 };
        var dirs = ids.ToDictionary(id => id, id => Path.Combine(Path.GetTempPath(), $"akkabroker-e2e-dedicated{id}-" + Guid.NewGuid().ToString("N")));
        var nodes = new Dictionary<int, BrokerProcess>();
        var gone = new List<BrokerProcess>();
        ToolProcess? producer = null;
        try
        {
            nodes[101] = await BrokerProcess.StartAsync(dirs[101], extraConfig: Info, extraArgs: ["--broker-id", "101", "--process-roles", "controller"]);
            var seed = nodes[101].SeedNode;
            nodes[102] = await BrokerProcess.StartAsync(dirs[102], extraConfig: Info, extraArgs: ["--broker-id", "102", "--process-roles", "controller", "--seed-nodes", seed]);
            foreach (var id in new[] { 1, 2, 3 })
                nodes[id] = await BrokerProcess.StartAsync(dirs[id], extraConfig: Info, extraArgs: ["--broker-id", $"{id}", "--process-roles", "broker", "--seed-nodes", seed]);
            await BrokerProcess.WaitForToolAsync(["cluster", "describe", "--bootstrap-server", nodes[1].Bootstrap],
                o => o.Contains("Controller: 101 (controller-only node)") && o.Contains("Brokers: 3"), "three brokers and controller node 101 acting");
            var create = await BrokerProcess.RunToolAsync(null, "topics", "create", "--bootstrap-server", nodes[2].Bootstrap, "--topic", ReplicationTests.Topic,
                "--partitions", $"{ReplicationTests.Partitions}", "--replication-factor", "3", "--config", "min.insync.replicas=2");
            Assert.True(create.ExitCode == 0, create.Stderr);
            await ReplicationTests.WaitForFullIsrAsync(nodes[2].Bootstrap);

            producer = BrokerProcess.StartTool("verifiable-producer", "--bootstrap-server", nodes[2].Bootstrap, "--topic", ReplicationTests.Topic,
                "--max-messages", "30000", "--throughput", "300", "--acks", "all", "--repeating-keys", "30");
            await ReplicationTests.WaitForAckedAsync(producer, 1500);

            // The controller's node: no partition has a replica there, so acknowledgements go on while the controller moves.
            var linesBefore = producer.Lines.Count;
            var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            nodes[101].KillHard();
            gone.Add(nodes[101]);
            nodes.Remove(101);
            await BrokerProcess.WaitForToolAsync(["cluster", "describe", "--bootstrap-server", nodes[1].Bootstrap],
                o => o.Contains("Controller: 102 (controller-only node)"), "controller node 102 to take over");
            var tookOverAt = TakeOverTime(nodes[102].Output);
            await ReplicationTests.WaitForAckedAsync(producer, ReplicationTests.Acked(producer) + 300);
            var acks = producer.Lines.Skip(linesBefore).Select(ReplicationTests.Parse)
                .Where(e => e.GetProperty("name").GetString() == "producer_send_success")
                .Select(e => (Partition: e.GetProperty("partition").GetInt32(), At: e.GetProperty("timestamp").GetInt64()))
                .Where(a => a.At > killedAt)
                .ToList();
            var times = acks.Select(a => a.At).Order().Prepend(killedAt).ToList();
            var longestPause = times.Zip(times.Skip(1), (a, b) => b - a).Max();
            output.WriteLine($"kill -9 of controller node 101: controller node 102 took over {tookOverAt - killedAt} ms later; " +
                             $"longest pause between acknowledgements from the kill on: {longestPause} ms");
            // Acknowledged while no controller acted: the data path does not wait for the controller. (At 300 records/s a
            // pause as long as half the hand-over could only be a wait for it.)
            for (var p = 0; p < ReplicationTests.Partitions; p++)
                Assert.Contains(acks, a => a.Partition == p && a.At > killedAt + 500 && a.At < tookOverAt);
            Assert.True(longestPause < (tookOverAt - killedAt) / 2,
                $"acknowledgements paused {longestPause} ms after the controller node's kill; the controller took {tookOverAt - killedAt} ms to move");

            // A leader broker: the controller elects a new leader among the in-sync replicas.
            var leaders = ReplicationTests.Leaders((await BrokerProcess.RunToolAsync(null, "topics", "describe", "--bootstrap-server", nodes[2].Bootstrap, "--topic", ReplicationTests.Topic)).Stdout);
            var leader = leaders.Values.First(b => b != 2); // the producer's bootstrap server stays up
            linesBefore = producer.Lines.Count;
            killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            nodes[leader].KillHard();
            gone.Add(nodes[leader]);
            nodes.Remove(leader);
            var failover = await ReplicationTests.WaitForFailoverAsync(producer, linesBefore, killedAt, leaders.Where(kv => kv.Value == leader).Select(kv => kv.Key).ToArray(), leader);
            output.WriteLine($"kill -9 of leader broker {leader}: first acknowledged write on its partitions {failover} ms later");

            await ReplicationTests.VerifyEveryAcknowledgedRecordOnceAsync(producer, nodes[2].Bootstrap, output);
        }
        catch
        {
            foreach (var b in gone.Concat(nodes.Values))
            {
                output.WriteLine($"---- node at {b.Bootstrap}");
                foreach (var line in b.Output.Split('\n').Where(l => Regex.IsMatch(l, "election:|Controller|in-sync|SBR|WARNING|ERROR"))
                             .Where(l => !Regex.IsMatch(l, "AssociationError|heartbeat|Tried to associate|gated for|quarantined")).TakeLast(60))
                    output.WriteLine(line.Length > 300 ? line[..300] : line);
            }
            if (producer != null) output.WriteLine("---- producer's stderr\n" + producer.Stderr);
            throw;
        }
        finally
        {
            producer?.Dispose();
            foreach (var b in nodes.Values.Concat(gone)) b.Dispose();
            foreach (var dir in dirs.Values.Where(Directory.Exists))
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

    /// <summary>When the controller logged that it acts under a new epoch (the log line's UTC timestamp), in Unix milliseconds.</summary>
    private static long TakeOverTime(string nodeOutput)
    {
        var line = nodeOutput.Split('\n').Last(l => l.Contains("acting as controller epoch"));
        var stamp = Regex.Match(line, @"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z ").Groups[1].Value;
        var at = DateTime.ParseExact(stamp, "yyyy-MM-ddTHH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return new DateTimeOffset(at, TimeSpan.Zero).ToUnixTimeMilliseconds();
    }
}
