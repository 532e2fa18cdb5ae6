using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using AkkaBroker.Client;
using HdrHistogram;

namespace AkkaBroker.Host;

/// <summary><c>perf produce</c> and <c>perf consume</c>: throughput and latency, reported as Kafka's perf tools report them.</summary>
internal static class PerfCommand
{
    public static Command Create()
    {
        var command = new Command("perf", "Measure producer or consumer throughput and latency.");
        command.Subcommands.Add(Produce());
        command.Subcommands.Add(Consume());
        command.Subcommands.Add(JournalBenchmark.Create());
        command.Subcommands.Add(Ping());
        command.Subcommands.Add(GroupPerf.Commit());
        command.Subcommands.Add(GroupPerf.Rebalance());
        return command;
    }

    private static Command Produce()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var numRecords = new Option<long>("--num-records") { Description = "Records to produce", Required = true };
        var recordSize = new Option<int>("--record-size") { Description = "Value size in bytes", Required = true };
        var throughput = new Option<double>("--throughput") { Description = "Records per second; -1 for no limit", Required = true };
        var props = CliCommon.KeyValues("--producer-props", "Producer config, e.g. acks=1 linger.ms=5 batch.size=65536");
        var warmup = new Option<long>("--warmup-records")
        {
            Description = "Records at the start that are left out of a second, steady-state summary (as Kafka's --warmup-records): a fresh process compiles its code while the first ones are sent"
        };
        var keySpace = new Option<int>("--key-space")
        {
            Description = "Give record i the key \"key-<i mod N>\" (N distinct keys, as a compacted topic takes updates); 0 (default) sends no keys"
        };
        var producerConfig = new Option<FileInfo?>("--producer.config") { Description = "Properties file of producer config (Kafka client keys); --producer-props overrides it" };
        var command = new Command("produce", "Producer throughput and latency (like kafka-producer-perf-test).") { bootstrap, topic, numRecords, recordSize, throughput, props, warmup, keySpace, producerConfig };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var properties = CliCommon.ClientProperties(parse.GetValue(producerConfig), "--producer.config");
            foreach (var (k, v) in CliCommon.ParseKeyValues("--producer-props", parse.GetValue(props))) properties[k] = v;
            var config = new ProducerConfig(properties) { BootstrapServers = parse.GetValue(bootstrap) };
            var ackSetting = config.Get("acks");
            if (ackSetting is "0" or "1" && config.Get("enable.idempotence") == null) config.EnableIdempotence = false;
            var n = parse.GetValue(numRecords);
            var size = parse.GetValue(recordSize);
            if (n <= 0 || size < 0) throw new UsageException("--num-records must be positive and --record-size at least 0");
            var warmupRecords = parse.GetValue(warmup);
            if (warmupRecords < 0 || warmupRecords >= n)
                throw new UsageException($"--warmup-records must be at least 0 and less than --num-records ({n}); got {warmupRecords}");
            var keys = parse.GetValue(keySpace);
            if (keys < 0) throw new UsageException($"--key-space must be 0 (no keys) or more; got {keys}");
            var keyBytes = Enumerable.Range(0, keys).Select(k => System.Text.Encoding.UTF8.GetBytes($"key-{k}")).ToArray();
            var name = parse.GetValue(topic)!;
            var payload = new byte[size];
            Random.Shared.NextBytes(payload);
            var histogram = new LongConcurrentHistogram(1, TimeStamp.Minutes(10), 3);
            var steadyHistogram = new LongConcurrentHistogram(1, TimeStamp.Minutes(10), 3);
            var window = new Window();
            var total = new Window();
            var steady = new Window();
            long steadyStartTicks = 0;
            var throttler = new Throttler(parse.GetValue(throughput));
            long errors = 0;
            Error? firstError = null;
            var started = Stopwatch.GetTimestamp();
            using var producer = new ProducerBuilder<byte[]?, byte[]>(config).SetErrorHandler((_, e) => CliCommon.Warn(e)).Build();
            for (long i = 0; i < n; i++)
            {
                throttler.Wait(i);
                var sendTicks = Stopwatch.GetTimestamp();
                var inSteadyState = warmupRecords > 0 && i >= warmupRecords;
                if (warmupRecords > 0 && i == warmupRecords) steadyStartTicks = sendTicks;
                producer.Produce(name, new Message<byte[]?, byte[]> { Key = keys == 0 ? null : keyBytes[i % keys], Value = payload }, r =>
                {
                    if (r.Error.IsError)
                    {
                        if (Interlocked.Increment(ref errors) == 1) firstError = r.Error;
                        return;
                    }
                    var latencyUs = (long)(Stopwatch.GetElapsedTime(sendTicks).TotalMilliseconds * 1000);
                    histogram.RecordValue(Math.Max(1, latencyUs));
                    window.Record(latencyUs, size);
                    total.Record(latencyUs, size);
                    if (inSteadyState)
                    {
                        steadyHistogram.RecordValue(Math.Max(1, latencyUs));
                        steady.Record(latencyUs, size);
                    }
                });
                if (window.SecondsAt(sendTicks) >= 5) window.PrintAndReset();
            }
            producer.Flush(CancellationToken.None);
            Console.WriteLine(Summary(total, histogram, Stopwatch.GetElapsedTime(started).TotalSeconds, size));
            if (warmupRecords > 0)
                Console.WriteLine($"steady state (after {warmupRecords} warm-up records): " +
                                  Summary(steady, steadyHistogram, Stopwatch.GetElapsedTime(steadyStartTicks).TotalSeconds, size));
            PrintMetrics(producer.Metrics);
            if (errors > 0)
            {
                Console.Error.WriteLine($"error: {errors} records failed; first: {firstError}");
                return 1;
            }
            return 0;
        }));
        return command;
    }

    private static Command Consume()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var messages = new Option<long>("--messages") { Description = "Records to consume", Required = true };
        var timeoutMs = new Option<int>("--timeout", "--timeout-ms") { Description = "Give up when no record arrives for this many ms", DefaultValueFactory = _ => 10000 };
        var props = CliCommon.KeyValues("--consumer-props", "Consumer config, e.g. fetch.min.bytes=1");
        var fromEnd = new Option<bool>("--from-latest", "--from-end") { Description = "Start at the log end (and measure end-to-end latency while a producer runs)" };
        var fetchSize = new Option<int?>("--fetch-size") { Description = "Bytes fetched per partition per request (max.partition.fetch.bytes)" };
        var detailed = new Option<bool>("--show-detailed-stats") { Description = "Print the columns every --reporting-interval too" };
        var interval = new Option<int>("--reporting-interval") { Description = "Milliseconds between detailed stats lines", DefaultValueFactory = _ => 5000 };
        var hideHeader = new Option<bool>("--hide-header") { Description = "Print the figures without the header line" };
        var printMetrics = new Option<bool>("--print-metrics") { Description = "Print the consumer's metrics at the end (fetch-size-avg, fetch-rate, ...)" };
        var group = new Option<string?>("--group") { Description = "Consume as the only member of this consumer group (subscribe) instead of assigning the partitions" };
        var warmup = new Option<long>("--warmup-messages")
        {
            Description = "With --from-end: records at the start left out of the end-to-end latency figures (match the producer's --warmup-records)"
        };
        var consumerConfig = new Option<FileInfo?>("--consumer.config") { Description = "Properties file of consumer config (Kafka client keys); --consumer-props overrides it" };
        var command = new Command("consume", "Consumer throughput in kafka-consumer-perf-test's columns; with --from-latest also end-to-end latency.")
            { bootstrap, topic, messages, timeoutMs, props, fromEnd, group, warmup, consumerConfig, fetchSize, detailed, interval, hideHeader, printMetrics };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var properties = CliCommon.ClientProperties(parse.GetValue(consumerConfig), "--consumer.config");
            foreach (var (k, v) in CliCommon.ParseKeyValues("--consumer-props", parse.GetValue(props))) properties[k] = v;
            if (parse.GetValue(fetchSize) is { } size)
                properties["max.partition.fetch.bytes"] = size > 0 ? size.ToString(CultureInfo.InvariantCulture) : throw new UsageException($"--fetch-size must be more than 0, got {size}");
            if (parse.GetValue(interval) <= 0) throw new UsageException($"--reporting-interval must be more than 0 ms, got {parse.GetValue(interval)}");
            var config = new ConsumerConfig(properties) { BootstrapServers = parse.GetValue(bootstrap) };
            var name = parse.GetValue(topic)!;
            var n = parse.GetValue(messages);
            using var admin = CliCommon.Admin(config);
            var metadata = await admin.GetMetadataAsync([name]);
            if (parse.GetValue(group) is { } groupId)
            {
                config.GroupId = groupId;
                config.AutoOffsetReset = parse.GetValue(fromEnd) ? AutoOffsetReset.Latest : AutoOffsetReset.Earliest;
            }
            using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).SetErrorHandler((_, e) => CliCommon.Warn(e)).Build();
            var start = parse.GetValue(fromEnd) ? Offset.End : Offset.Beginning;
            if (config.GroupId != null) consumer.Subscribe(name);
            else consumer.Assign(metadata.Topics[0].Partitions.Select(p => new TopicPartitionOffset(name, p.PartitionId, start)));
            var endToEnd = new LongConcurrentHistogram(1, TimeStamp.Minutes(10), 3);
            var measureLatency = parse.GetValue(fromEnd);
            var warmupMessages = parse.GetValue(warmup);
            if (warmupMessages < 0 || warmupMessages >= n || (warmupMessages > 0 && !measureLatency))
                throw new UsageException($"--warmup-messages needs --from-end and must be at least 0 and less than --messages ({n}); got {warmupMessages}");
            long count = 0, bytes = 0;
            var idle = TimeSpan.FromMilliseconds(parse.GetValue(timeoutMs));
            var begun = Stopwatch.GetTimestamp();
            var startTime = DateTimeOffset.Now;
            long joinedTicks = 0, lastRecordTicks = 0;
            // Kafka's rebalance.time.ms: until the consumer holds partitions (a join for a group member, none when assigned).
            if (config.GroupId == null) joinedTicks = begun;
            var detailedStats = parse.GetValue(detailed);
            var reportEvery = TimeSpan.FromMilliseconds(parse.GetValue(interval));
            var lastReport = new ConsumeStats(begun, 0, 0);
            if (detailedStats && !parse.GetValue(hideHeader)) Console.WriteLine(ConsumeStats.DetailedHeader);
            while (count < n)
            {
                var r = consumer.Consume(idle);
                if (r == null) break;
                lastRecordTicks = Stopwatch.GetTimestamp();
                if (joinedTicks == 0) joinedTicks = lastRecordTicks;
                count++;
                bytes += r.Message!.Value?.Length ?? 0;
                if (measureLatency && count > warmupMessages)
                {
                    var e2eUs = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - r.Message.Timestamp.UnixTimestampMs) * 1000;
                    endToEnd.RecordValue(Math.Max(1, e2eUs));
                }
                if (detailedStats && Stopwatch.GetElapsedTime(lastReport.Ticks) >= reportEvery)
                {
                    var now = new ConsumeStats(Stopwatch.GetTimestamp(), count, bytes);
                    Console.WriteLine(now.DetailedLine(lastReport, joinedTicks));
                    lastReport = now;
                }
            }
            var end = lastRecordTicks == 0 ? Stopwatch.GetTimestamp() : lastRecordTicks;
            var rebalanceMs = joinedTicks == 0 ? 0 : Stopwatch.GetElapsedTime(begun, joinedTicks).TotalMilliseconds;
            var totalMs = Stopwatch.GetElapsedTime(begun, end).TotalMilliseconds;
            var fetchMs = Math.Max(0, totalMs - rebalanceMs);
            var mb = bytes / 1024.0 / 1024.0;
            if (!parse.GetValue(hideHeader))
                Console.WriteLine("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec");
            Console.WriteLine(FormattableString.Invariant(
                $"{ConsumeStats.Time(startTime)}, {ConsumeStats.Time(startTime.AddMilliseconds(totalMs))}, {mb:0.0000}, {PerSecond(mb, totalMs):0.0000}, {count}, {PerSecond(count, totalMs):0.0000}, {rebalanceMs:0}, {fetchMs:0}, {PerSecond(mb, fetchMs):0.0000}, {PerSecond(count, fetchMs):0.0000}"));
            if (parse.GetValue(fromEnd))
                Console.WriteLine($"end-to-end latency (record timestamp to consume, ms resolution{(warmupMessages > 0 ? $", after {warmupMessages} warm-up records" : "")}): {P(endToEnd, 50)} ms 50th, {P(endToEnd, 95)} ms 95th, {P(endToEnd, 99)} ms 99th, {P(endToEnd, 99.9)} ms 99.9th.");
            if (parse.GetValue(printMetrics)) PrintMetrics(consumer.Metrics);
            consumer.Close();
            if (count < n)
            {
                Console.Error.WriteLine($"error: only {count} of {n} records arrived before {idle.TotalMilliseconds:0} ms passed without one");
                return 1;
            }
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Round trips through the whole request path (remoting, gateway, sharding, partition actor and back) with no
    /// journal work: separates transport latency from producer and journal latency.
    /// </summary>
    private static Command Ping()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var topic = CliCommon.Topic();
        var count = new Option<int>("--count") { Description = "Round trips to make", DefaultValueFactory = _ => 3000 };
        var rate = new Option<double>("--rate") { Description = "Round trips per second", DefaultValueFactory = _ => 500 };
        var command = new Command("ping", "Request round-trip latency to a partition (list-offsets requests, no journal work).") { bootstrap, topic, count, rate };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = parse.GetValue(bootstrap) }).Build();
            var tp = new TopicPartition(parse.GetValue(topic)!, 0);
            var timeout = TimeSpan.FromSeconds(10);
            consumer.QueryWatermarkOffsets(tp, timeout);
            var histogram = new LongHistogram(TimeStamp.Minutes(1), 3);
            var throttler = new Throttler(parse.GetValue(rate));
            var n = parse.GetValue(count);
            for (var i = 0; i < n; i++)
            {
                throttler.Wait(i);
                var started = Stopwatch.GetTimestamp();
                consumer.QueryWatermarkOffsets(tp, timeout); // two requests: log start and high watermark
                histogram.RecordValue(Math.Max(1, (long)(Stopwatch.GetElapsedTime(started).TotalMilliseconds * 1000)));
            }
            Console.WriteLine($"{n} round trips (2 requests each): {P(histogram, 50)} ms 50th, {P(histogram, 95)} ms 95th, " +
                              $"{P(histogram, 99)} ms 99th, {P(histogram, 99.9)} ms 99.9th, {histogram.GetMaxValue() / 1000.0:0.00} ms max.");
            return 0;
        }));
        return command;
    }

    private static string Summary(Window total, HistogramBase histogram, double seconds, int size)
    {
        var count = total.Count;
        return $"{count} records sent, {count / seconds:0.0} records/sec ({count * (double)size / seconds / 1024 / 1024:0.00} MB/sec), " +
               $"{total.AvgLatencyMs:0.00} ms avg latency, {total.MaxLatencyMs:0.00} ms max latency, " +
               $"{P(histogram, 50)} ms 50th, {P(histogram, 95)} ms 95th, {P(histogram, 99)} ms 99th, {P(histogram, 99.9)} ms 99.9th.";
    }

    private static string P(HistogramBase h, double percentile) => (h.GetValueAtPercentile(percentile) / 1000.0).ToString("0.00");

    private static double PerSecond(double amount, double ms) => ms > 0 ? amount * 1000 / ms : 0;

    /// <summary>Records and bytes consumed by a moment, for kafka-consumer-perf-test's detailed stats lines.</summary>
    private sealed record ConsumeStats(long Ticks, long Count, long Bytes)
    {
        public const string DetailedHeader = "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

        /// <summary>Kafka's date format for these columns.</summary>
        public static string Time(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH:mm:ss:fff", CultureInfo.InvariantCulture);

        /// <summary>The figures since <paramref name="previous"/>: totals, rates over the interval, and the rebalance time once.</summary>
        public string DetailedLine(ConsumeStats previous, long joinedTicks)
        {
            var ms = Stopwatch.GetElapsedTime(previous.Ticks, Ticks).TotalMilliseconds;
            var mb = Bytes / 1024.0 / 1024.0;
            var intervalMb = (Bytes - previous.Bytes) / 1024.0 / 1024.0;
            var rebalanceMs = previous.Count == 0 && joinedTicks > previous.Ticks ? Stopwatch.GetElapsedTime(previous.Ticks, joinedTicks).TotalMilliseconds : 0;
            var fetchMs = Math.Max(0, ms - rebalanceMs);
            return FormattableString.Invariant(
                $"{Time(DateTimeOffset.Now)}, 0, {mb:0.0000}, {PerSecond(intervalMb, ms):0.0000}, {Count}, {PerSecond(Count - previous.Count, ms):0.0000}, {rebalanceMs:0}, {fetchMs:0}, {PerSecond(intervalMb, fetchMs):0.0000}, {PerSecond(Count - previous.Count, fetchMs):0.0000}");
        }
    }

    private static void PrintMetrics(IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var (k, v) in metrics.OrderBy(kv => kv.Key)) Console.WriteLine($"{k,-28} : {v:0.###}");
    }

    /// <summary>Counts and latency since the last progress line (or since the start, for the total).</summary>
    private sealed class Window
    {
        private readonly object _lock = new();
        private long _count, _bytes, _latencySumUs, _maxUs;
        private long _start = Stopwatch.GetTimestamp();

        public long Count { get { lock (_lock) return _count; } }
        public double AvgLatencyMs { get { lock (_lock) return _count == 0 ? 0 : _latencySumUs / 1000.0 / _count; } }
        public double MaxLatencyMs { get { lock (_lock) return _maxUs / 1000.0; } }
        public double ElapsedSeconds => Stopwatch.GetElapsedTime(Interlocked.Read(ref _start)).TotalSeconds;

        /// <summary>Seconds from the window's start to <paramref name="ticks"/>, a time the caller has read already.</summary>
        public double SecondsAt(long ticks) => Stopwatch.GetElapsedTime(Interlocked.Read(ref _start), ticks).TotalSeconds;

        public void Record(long latencyUs, int size)
        {
            lock (_lock)
            {
                _count++;
                _bytes += size;
                _latencySumUs += latencyUs;
                _maxUs = Math.Max(_maxUs, latencyUs);
            }
        }

        public void PrintAndReset()
        {
            lock (_lock)
            {
                var s = ElapsedSeconds;
                Console.WriteLine($"{_count} records sent, {_count / s:0.0} records/sec ({_bytes / s / 1024 / 1024:0.00} MB/sec), " +
                                  $"{(_count == 0 ? 0 : _latencySumUs / 1000.0 / _count):0.0} ms avg latency, {_maxUs / 1000.0:0.0} ms max latency.");
                _count = _bytes = _latencySumUs = _maxUs = 0;
                _start = Stopwatch.GetTimestamp();
            }
        }
    }
}
