using System.Diagnostics;
using System.Text.RegularExpressions;
using AkkaBroker.Client;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// Three real broker processes joined with serve --broker-id/--seed-nodes: the console tools see one cluster, and when
/// the controller's process is killed with -9 another broker takes over with every topic, under the next epoch.
/// </summary>
public class ClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Three_broker_processes_form_one_cluster_and_survive_kill_minus_9_of_the_controller()
    {
        var dirs = Enumerable.Range(1, 3).Select(i => Path.Combine(Path.GetTempPath(), $"akkabroker-e2e-cluster{i}-" + Guid.NewGuid().ToString("N"))).ToArray();
        using var b1 = await BrokerProcess.StartAsync(dirs[0], extraArgs: ["--broker-id", "1"]);
        using var b2 = await BrokerProcess.StartAsync(dirs[1], extraArgs: ["--broker-id", "2", "--seed-nodes", b1.SeedNode]);
        using var b3 = await BrokerProcess.StartAsync(dirs[2], extraArgs: ["--broker-id", "3", "--seed-nodes", b1.SeedNode]);

        var described = await BrokerProcess.WaitForToolAsync(["cluster", "describe", "--bootstrap-server", b3.Bootstrap], o => o.Contains("Brokers: 3"), "three live brokers");
        Assert.Contains("Controller: 1\tControllerEpoch: 1", described);

        var twin = await BrokerProcess.RunToolAsync(null, "serve", "--port", "0", "--cluster-port", "0", "--data-dir", dirs[2] + "-twin", "--broker-id", "2", "--seed-nodes", b1.SeedNode);
        Assert.Equal(2, twin.ExitCode);
        Assert.Contains("broker.id = '2'", twin.Stderr);
        Assert.Contains("is already running at", twin.Stderr);

        var create = await BrokerProcess.RunToolAsync(null, "topics", "create", "--bootstrap-server", b2.Bootstrap, "--topic", "spread", "--partitions", "6");
        Assert.True(create.ExitCode == 0, create.Stderr);
        var leaders = Leaders((await BrokerProcess.RunToolAsync(null, "topics", "describe", "--bootstrap-server", b2.Bootstrap, "--topic", "spread")).Stdout);
        Assert.Equal([1, 2, 3], leaders.Values.Distinct().Order());

        var acked = new Dictionary<int, int>();
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = b3.Bootstrap }).Build())
            for (var i = 0; i < 120; i++)
            {
                var r = await producer.ProduceAsync("spread", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
                acked[r.Partition] = acked.GetValueOrDefault(r.Partition) + 1;
            }

        var clock = Stopwatch.StartNew();
        b1.KillHard();
        // Poll with short request timeouts, so the figure is the takeover time, not a client's timeout.
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = b2.Bootstrap, RequestTimeoutMs = 1000 }).Build())
        {
            while (true)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "expected another broker to run the controller within 60 s of the kill");
                try
                {
                    if ((await admin.DescribeClusterAsync()) is { Controller.Id: not 1, Nodes.Count: 2, ControllerEpoch: 2 }) break;
                }
                catch (KafkaException)
                {
                    // the controller is moving
                }
                await Task.Delay(100);
            }
        }
        var takeover = clock.ElapsedMilliseconds;
        var after = (await BrokerProcess.RunToolAsync(null, "cluster", "describe", "--bootstrap-server", b2.Bootstrap)).Stdout;
        Assert.Contains("Controller: 2\tControllerEpoch: 2", after);

        var describe = (await BrokerProcess.RunToolAsync(null, "topics", "describe", "--bootstrap-server", b3.Bootstrap, "--topic", "spread")).Stdout;
        Assert.Equal(leaders.Count(kv => kv.Value == 1), Regex.Matches(describe, "Offline").Count);
        var created = await BrokerProcess.RunToolAsync(null, "topics", "create", "--bootstrap-server", b3.Bootstrap, "--topic", "after-failover", "--partitions", "2");
        Assert.True(created.ExitCode == 0, created.Stderr);

        // Records of the partitions on the surviving brokers are all there.
        var surviving = leaders.Where(kv => kv.Value != 1).Select(kv => kv.Key).ToArray();
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = b2.Bootstrap, FetchWaitMaxMs = 50 }).Build();
        consumer.Assign(surviving.Select(p => new TopicPartitionOffset("spread", p, Offset.Beginning)));
        var expected = surviving.Sum(p => acked.GetValueOrDefault(p));
        var consumed = 0;
        var deadline = Stopwatch.StartNew();
        while (consumed < expected && deadline.Elapsed < TimeSpan.FromSeconds(30))
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) != null) consumed++;
        output.WriteLine($"controller moved to broker 2 {takeover} ms after kill -9 of broker 1 (default timeouts); " +
                         $"records on the surviving brokers: acknowledged {expected}, consumed {consumed}");
        Assert.Equal(expected, consumed);
        foreach (var dir in dirs.Append(dirs[2] + "-twin").Where(Directory.Exists))
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // b2 and b3 still run until the end of the test; the OS cleans the temp dir.
            }
        }
    }

    private static Dictionary<int, int> Leaders(string describe) =>
        Regex.Matches(describe, @"Partition: (\d+)\tLeader: (\d+)").ToDictionary(m => int.Parse(m.Groups[1].Value), m => int.Parse(m.Groups[2].Value));
}
