using System.CommandLine;
using System.Diagnostics;
using AkkaBroker.Client;
using HdrHistogram;

namespace AkkaBroker.Host;

/// <summary><c>perf commit</c> and <c>perf rebalance</c>: the consumer-group figures in docs/benchmarks.md.</summary>
internal static class GroupPerf
{
    public static Command Commit()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var group = new Option<string>("--group") { Description = "Consumer group to commit to", Required = true };
        var commits = new Option<int>("--commits") { Description = "Commits to make", DefaultValueFactory = _ => 100_000 };
        var inFlight = new Option<int>("--in-flight") { Description = "Asynchronous commits outstanding at once", DefaultValueFactory = _ => 64 };
        var assign = new Option<bool>("--assign") { Description = "Commit from outside group management (assigned partitions, generation -1), so several processes can load one coordinator at once" };
        var command = new Command("commit", "Offset-commit throughput and latency to one group coordinator, as the group's only member (or with --assign, from outside the group).")
            { bootstrap, topic, group, commits, inFlight, assign };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var name = parse.GetValue(topic)!;
            var config = new ConsumerConfig
            {
                BootstrapServers = parse.GetValue(bootstrap), GroupId = parse.GetValue(group), EnableAutoCommit = false, AutoOffsetReset = AutoOffsetReset.Earliest,
            };
            using var consumer = new ConsumerBuilder<Ignore, Ignore>(config).Build();
            if (parse.GetValue(assign))
            {
                using var admin = CliCommon.Admin(config);
                var metadata = await admin.GetMetadataAsync([name]);
                consumer.Assign(metadata.Topics[0].Partitions.Select(p => new TopicPartitionOffset(name, p.PartitionId, Offset.Beginning)));
            }
            else consumer.Subscribe(name);
            var joined = Stopwatch.StartNew();
            while (consumer.Assignment.Count == 0)
            {
                if (joined.Elapsed > TimeSpan.FromSeconds(60)) throw new UsageException($"no partition of '{name}' was assigned within 60 s");
                consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            var partitions = consumer.Assignment.ToArray();
            var n = parse.GetValue(commits);
            var window = new SemaphoreSlim(parse.GetValue(inFlight));
            var latency = new LongConcurrentHistogram(1, TimeStamp.Minutes(1), 3);
            var clock = Stopwatch.StartNew();
            var tasks = new List<Task>(n);
            for (var i = 0; i < n; i++)
            {
                await window.WaitAsync();
                var tp = partitions[i % partitions.Length];
                var started = Stopwatch.GetTimestamp();
                tasks.Add(consumer.CommitAsync([new TopicPartitionOffset(tp, new Offset(i))]).ContinueWith(t =>
                {
                    window.Release();
                    latency.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds));
                    if (t.IsFaulted) throw t.Exception!.GetBaseException();
                }));
            }
            await Task.WhenAll(tasks);
            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"{n} commits in {seconds:0.00} s: {n / seconds:0} commits/sec, latency {P(latency, 50)} ms 50th, {P(latency, 99)} ms 99th, {latency.GetMaxValue() / 1000.0:0.00} ms max.");
            consumer.Close();
            return 0;
        }));
        return command;
    }

    public static Command Rebalance()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var members = new Option<int>("--members") { Description = "Group members", DefaultValueFactory = _ => 3 };
        var rounds = new Option<int>("--rounds") { Description = "Rebalances to time", DefaultValueFactory = _ => 5 };
        var props = CliCommon.KeyValues("--consumer-props", "Consumer config, e.g. partition.assignment.strategy=roundrobin");
        var command = new Command("rebalance", "Time rebalances of a group: each round one member leaves and a new one joins; the time runs from the leave to every member holding its new partitions.")
            { bootstrap, topic, members, rounds, props };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var name = parse.GetValue(topic)!;
            var group = "perf-rebalance-" + Guid.NewGuid().ToString("N")[..8];
            var extra = CliCommon.ParseKeyValues("--consumer-props", parse.GetValue(props));
            using var admin = CliCommon.Admin(new ConsumerConfig(extra) { BootstrapServers = parse.GetValue(bootstrap) });
            var partitionCount = (await admin.GetMetadataAsync([name])).Topics[0].Partitions.Count;
            IConsumer<Ignore, Ignore> NewMember()
            {
                var config = new ConsumerConfig(extra) { BootstrapServers = parse.GetValue(bootstrap), GroupId = group, EnableAutoCommit = false };
                var c = new ConsumerBuilder<Ignore, Ignore>(config).Build();
                c.Subscribe(name);
                return c;
            }

            var group_ = Enumerable.Range(0, parse.GetValue(members)).Select(_ => NewMember()).ToList();
            // Members poll on their own threads, as applications do; the assignment each holds is read from outside.
            // A consumer is used from one thread only: its poller closes it when told to stop.
            var pollers = new Dictionary<IConsumer<Ignore, Ignore>, (CancellationTokenSource Stop, Task Done)>();
            void Poll(IConsumer<Ignore, Ignore> c)
            {
                var stop = new CancellationTokenSource();
                pollers[c] = (stop, Task.Factory.StartNew(() =>
                {
                    while (!stop.IsCancellationRequested) c.Consume(TimeSpan.FromMilliseconds(20));
                    c.Close();
                }, TaskCreationOptions.LongRunning));
            }

            async Task CloseMember(IConsumer<Ignore, Ignore> c)
            {
                var (stop, done) = pollers[c];
                await stop.CancelAsync();
                await done;
            }

            foreach (var c in group_) Poll(c);

            bool Balanced() => group_.Sum(c => c.Assignment.Count) == partitionCount && group_.All(c => c.Assignment.Count > 0);
            await WaitUntil(Balanced, "the first assignment");
            var times = new List<double>();
            for (var round = 0; round < parse.GetValue(rounds); round++)
            {
                var leaving = group_[0];
                group_.RemoveAt(0);
                var clock = Stopwatch.StartNew();
                await CloseMember(leaving);
                var joining = NewMember();
                group_.Add(joining);
                Poll(joining);
                await WaitUntil(Balanced, $"round {round + 1}");
                times.Add(clock.Elapsed.TotalMilliseconds);
                Console.WriteLine($"round {round + 1}: {clock.Elapsed.TotalMilliseconds:0} ms until all {group_.Count} members held their new partitions " +
                                  $"(rebalance-latency-avg of the joining member {joining.Metrics["rebalance-latency-avg"]:0.0} ms)");
            }
            Console.WriteLine($"{partitionCount} partitions, {group_.Count} members: rebalance median {times.Order().ElementAt(times.Count / 2):0} ms, max {times.Max():0} ms.");
            foreach (var c in group_) await CloseMember(c);
            return 0;
        }));
        return command;
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException($"the group did not settle for {what} within 120 s");
            await Task.Delay(5);
        }
    }

    private static string P(HistogramBase h, double percentile) => (h.GetValueAtPercentile(percentile) / 1000.0).ToString("0.00");
}
