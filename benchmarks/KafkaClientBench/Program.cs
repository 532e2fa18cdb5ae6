using System.Diagnostics;
using Confluent.Kafka;
using KafkaClientBench;

// Confluent.Kafka (librdkafka) producer and consumer throughput against any Kafka-protocol broker, or against
// librdkafka's in-process mock cluster with --bootstrap-servers mock. Output follows Kafka's perf tools.
const string Usage = """
    usage: kafka-client-bench produce|consume --bootstrap-servers HOST:PORT|mock --topic T --num-records N
               [--record-size 100] [--partitions 6] [--producer-props k=v ...] [--consumer-props k=v ...]
      produce  sends N records of --record-size bytes (null keys) as fast as the client takes them, then flushes
      consume  reads N records from the beginning of every partition (assigned, no group)
               Both marshal only what they read, as Confluent.Kafka's own benchmark does
               (dotnet.producer.delivery.report.fields=none, dotnet.consumer.consume.result.fields=none; the props
               options override them)
      mock     a librdkafka mock cluster in this process (test.mock.num.brokers=1) with the topic created with
               --partitions; consume first fills it with N records (--producer-props, not measured). The mock
               keeps only the last 5 MB of each partition, so consume reads what it holds in passes until N
    """;

try
{
    return Run(Options.Parse(args));
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n{Usage}");
    return 2;
}

static int Run(Options o)
{
    using var mock = o.BootstrapServers == "mock" ? new MockCluster(brokers: 1) : null;
    var bootstrap = mock?.BootstrapServers ?? o.BootstrapServers;
    if (mock != null)
    {
        mock.CreateTopic(o.Topic, o.Partitions);
        Console.WriteLine($"librdkafka mock cluster (test.mock.num.brokers=1) at {bootstrap}, librdkafka {Library.VersionString}, topic {o.Topic} with {o.Partitions} partitions");
    }
    if (o.Command == "produce") return Produce(o, bootstrap, "") ? 0 : 1;
    if (mock != null && !Produce(o, bootstrap, "fill (not measured): ")) return 1;
    return Consume(o, bootstrap, mock != null) ? 0 : 1;
}

static bool Produce(Options o, string bootstrap, string label)
{
    // As Confluent.Kafka's own benchmark: a delivery report carries only what this tool reads (its error, always
    // set), not copies of each record's key, value, headers and timestamp marshaled back from librdkafka.
    var config = new ProducerConfig { BootstrapServers = bootstrap, DeliveryReportFields = "none" };
    foreach (var (k, v) in o.ProducerProps) config.Set(k, v);
    var payload = new byte[o.RecordSize];
    new Random(42).NextBytes(payload);
    var message = new Message<Null, byte[]> { Value = payload };
    long delivered = 0, failed = 0, latencySumTicks = 0, maxLatencyTicks = 0;
    Error? firstError = null;
    using var allReported = new ManualResetEventSlim();
    // Runs on the client's one delivery-report thread, so only the counters read by the main thread need care.
    void OnDelivery(DeliveryReport<Null, byte[]> r, long sentTicks)
    {
        if (r.Error.IsError)
        {
            if (Interlocked.Increment(ref failed) == 1) firstError = r.Error;
        }
        else
        {
            var latency = Stopwatch.GetTimestamp() - sentTicks;
            latencySumTicks += latency;
            if (latency > maxLatencyTicks) maxLatencyTicks = latency;
            Interlocked.Increment(ref delivered);
        }
        if (Interlocked.Read(ref delivered) + Interlocked.Read(ref failed) == o.NumRecords) allReported.Set();
    }

    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var started = Stopwatch.GetTimestamp();
    using (var producer = new ProducerBuilder<Null, byte[]>(config).Build())
    {
        for (long i = 0; i < o.NumRecords; i++)
        {
            var sentTicks = Stopwatch.GetTimestamp(); // as Kafka's perf tool: the wait for buffer space counts
            while (true)
            {
                try
                {
                    producer.Produce(o.Topic, message, r => OnDelivery(r, sentTicks));
                    break;
                }
                catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    // The client's buffer (queue.buffering.max.messages) is full: back off while deliveries drain it,
                    // as Kafka's producer blocks in send() (Confluent.Kafka has no blocking produce).
                    Thread.Sleep(1);
                }
            }
        }
        producer.Flush(TimeSpan.FromMinutes(5));
        // Flush returns once librdkafka has no message left; the last reports may still be on their way to OnDelivery.
        allReported.Wait(TimeSpan.FromSeconds(30));
    }
    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    var ok = Interlocked.Read(ref delivered);
    Console.WriteLine($"{label}{ok} records sent, {ok / seconds:0.0} records/sec ({ok * (double)o.RecordSize / seconds / 1024 / 1024:0.00} MB/sec), " +
                      $"{(ok == 0 ? 0 : latencySumTicks * 1000.0 / Stopwatch.Frequency / ok):0.00} ms avg latency, " +
                      $"{maxLatencyTicks * 1000.0 / Stopwatch.Frequency:0.00} ms max latency; " +
                      $"process CPU {cpu:0.0} s ({cpu * 1e6 / Math.Max(1, ok):0.00} µs/record).");
    if (failed > 0 || ok != o.NumRecords)
    {
        Console.Error.WriteLine($"error: {ok} of {o.NumRecords} records delivered, {failed} failed; first error: {firstError}");
        return false;
    }
    return true;
}

static bool Consume(Options o, string bootstrap, bool mock)
{
    var config = new ConsumerConfig
    {
        BootstrapServers = bootstrap,
        // A group id is required by the client even for assigned partitions; nothing is committed.
        GroupId = "kafka-client-bench",
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        // Only the value is read: the topic's name (a string decoded per record), headers and timestamp are not
        // marshaled from librdkafka, Confluent.Kafka's documented setting for throughput.
        ConsumeResultFields = "none",
    };
    // The mock keeps at most 5 MB per partition (hard-coded in librdkafka), so N records are read as several passes
    // over what it holds. Its fetches at the log end wait fetch.wait.max.ms (500) even when data arrives, and the
    // consumer's read-ahead reaches the end well before the application does; a short wait keeps that from
    // stalling every pass. It changes nothing while data is there, which is all of a measurement against a broker.
    if (mock) config.FetchWaitMaxMs = 5;
    foreach (var (k, v) in o.ConsumerProps) config.Set(k, v);
    int partitions;
    using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
        partitions = admin.GetMetadata(o.Topic, TimeSpan.FromSeconds(30)).Topics.Single().Partitions.Count;
    if (partitions == 0) throw new UsageException($"topic {o.Topic} not found");

    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
    var starts = Enumerable.Range(0, partitions).Select(p => new TopicPartition(o.Topic, p))
        .Select(tp => (tp, w: consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(30)))).ToList();
    var held = starts.Sum(s => s.w.High.Value - s.w.Low.Value);
    if (held < o.NumRecords && !mock)
    {
        Console.Error.WriteLine($"error: topic {o.Topic} holds {held} records, fewer than {o.NumRecords}");
        return false;
    }
    long count = 0, bytes = 0, firstTicks = 0;
    var passes = 0;
    var idle = TimeSpan.FromSeconds(10);
    while (count < o.NumRecords)
    {
        consumer.Assign(starts.Select(s => new TopicPartitionOffset(s.tp, s.w.Low)));
        passes++;
        var passEnd = Math.Min(o.NumRecords, count + held);
        while (count < passEnd)
        {
            var r = consumer.Consume(idle);
            if (r == null) goto done;
            if (r.IsPartitionEOF) continue;
            if (firstTicks == 0) firstTicks = Stopwatch.GetTimestamp();
            count++;
            bytes += r.Message.Value?.Length ?? 0;
        }
    }
    done:
    // Timed from the first record, as `akkabroker perf consume` does.
    var seconds = firstTicks == 0 ? 0 : Stopwatch.GetElapsedTime(firstTicks).TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    var mb = bytes / 1024.0 / 1024.0;
    Console.WriteLine("data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, fetch.time.sec");
    Console.WriteLine($"{mb:0.0000}, {(seconds > 0 ? mb / seconds : 0):0.0000}, {count}, {(seconds > 0 ? count / seconds : 0):0.0}, {seconds:0.000}");
    Console.WriteLine($"process CPU {cpu:0.0} s ({cpu * 1e6 / Math.Max(1, count):0.00} µs/record)" +
                      (passes > 1 ? $"; {passes} passes over the {held} records the topic holds." : "."));
    consumer.Close();
    if (count < o.NumRecords)
    {
        Console.Error.WriteLine($"error: only {count} of {o.NumRecords} records arrived before {idle.TotalSeconds:0} s passed without one");
        return false;
    }
    return true;
}

internal sealed class UsageException(string message) : Exception(message);

internal sealed record Options(string Command, string BootstrapServers, string Topic, long NumRecords, int RecordSize, int Partitions,
    List<(string, string)> ProducerProps, List<(string, string)> ConsumerProps)
{
    public static Options Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("produce" or "consume")) throw new UsageException("the first argument is produce or consume");
        string? bootstrap = null, topic = null;
        long numRecords = 0;
        int recordSize = 100, partitions = 6;
        var producerProps = new List<(string, string)>();
        var consumerProps = new List<(string, string)>();
        for (var i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--bootstrap-servers": bootstrap = Value(); break;
                case "--topic": topic = Value(); break;
                case "--num-records": numRecords = long.Parse(Value()); break;
                case "--record-size": recordSize = int.Parse(Value()); break;
                case "--partitions": partitions = int.Parse(Value()); break;
                case "--producer-props": i = KeyValues(args, i, producerProps); break;
                case "--consumer-props": i = KeyValues(args, i, consumerProps); break;
                default: throw new UsageException($"unknown option {args[i]}");
            }
        }
        if (bootstrap == null || topic == null || numRecords <= 0 || recordSize < 0 || partitions <= 0)
            throw new UsageException("--bootstrap-servers, --topic and a positive --num-records are required");
        return new Options(args[0], bootstrap, topic, numRecords, recordSize, partitions, producerProps, consumerProps);
    }

    // k=v arguments up to the next option; returns the index of the last one taken.
    private static int KeyValues(string[] args, int i, List<(string, string)> into)
    {
        while (i + 1 < args.Length && !args[i + 1].StartsWith("--"))
        {
            var kv = args[++i];
            var eq = kv.IndexOf('=');
            if (eq <= 0) throw new UsageException($"expected key=value, got {kv}");
            into.Add((kv[..eq], kv[(eq + 1)..]));
        }
        return i;
    }
}
