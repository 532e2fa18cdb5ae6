using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// <c>connect standalone</c> as a user runs it: Kafka's worker and connector files, a file streamed into a topic and
/// out to another file. A worker killed with -9 mid-stream and started again loses no line (lines after the last
/// commit may be written again); a worker stopped cleanly and started again writes nothing twice.
/// </summary>
public class ConnectStandaloneTests(ITestOutputHelper output)
{
    [Fact]
    public async Task File_source_to_file_sink_loses_no_line_across_kill_minus_9_and_repeats_none_across_a_clean_stop()
    {
        var root = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-connect-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        ToolProcess? worker = null;
        try
        {
            using var broker = await BrokerProcess.StartAsync(Path.Combine(root, "data"));
            var input = Path.Combine(root, "in.txt");
            var sinkFile = Path.Combine(root, "out.txt");
            var workerFile = Path.Combine(root, "worker.properties");
            await File.WriteAllTextAsync(workerFile, $"""
                bootstrap.servers={broker.Bootstrap}
                key.converter=org.apache.kafka.connect.storage.StringConverter
                value.converter=org.apache.kafka.connect.storage.StringConverter
                offset.storage.file.filename={Path.Combine(root, "offsets")}
                offset.flush.interval.ms=500
                listeners=http://127.0.0.1:0
                consumer.session.timeout.ms=6000
                """);
            var sourceFile = Path.Combine(root, "source.properties");
            await File.WriteAllTextAsync(sourceFile, $"name=file-source\nconnector.class=FileStreamSource\nfile={input}\ntopic=lines\nbatch.size=500\n");
            var sinkConfig = Path.Combine(root, "sink.json");
            await File.WriteAllTextAsync(sinkConfig, $$$"""{"name": "file-sink", "config": {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "file": "{{{sinkFile}}}", "topics": "lines"}}""");
            var lines = Enumerable.Range(0, 50_000).Select(i => $"line {i:D6} {new string('x', 60)}").ToList();
            await File.WriteAllLinesAsync(input, lines);

            worker = BrokerProcess.StartTool("connect", "standalone", workerFile, sourceFile, sinkConfig);
            await WaitAsync(() => LineCount(sinkFile) >= 10_000, "10,000 lines written by the sink", worker);
            worker.KillHard();
            output.WriteLine($"killed the worker with {LineCount(sinkFile)} lines in the sink's file");

            worker = BrokerProcess.StartTool("connect", "standalone", workerFile, sourceFile, sinkConfig);
            var expected = lines.ToHashSet();
            await WaitAsync(() => FirstOccurrences(sinkFile, expected).Count == lines.Count, "every line in the sink's file", worker);
            Assert.Equal(lines, FirstOccurrences(sinkFile, expected));
            // The kill may tear the line being written: at most that one line is not an input line.
            Assert.True(File.ReadLines(sinkFile).Count(l => !expected.Contains(l)) <= 1, "at most one torn line from the kill");
            // Wait for the sink's commit to cover the whole topic (the killed run may have produced some lines twice), then stop cleanly.
            await WaitAsync(() => worker.Lines.Any(l => l.Contains("REST API on http://")), "the worker's REST address", worker);
            using (var http = new HttpClient { BaseAddress = new Uri(worker.Lines.First(l => l.Contains("REST API on http://")).Split("REST API on ")[1].Trim()) })
            using (var admin = new AkkaBroker.Client.AdminClientBuilder(new AkkaBroker.Client.AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
            {
                var end = (await admin.ListOffsetAsync(new AkkaBroker.Client.TopicPartition("lines", 0), AkkaBroker.Client.Admin.OffsetSpec.Latest())).Value;
                await WaitAsync(() => CommittedAsync(http).GetAwaiter().GetResult() == end, $"the sink's commit at the topic's end ({end})", worker);
            }
            Assert.True(await worker.TerminateAsync(TimeSpan.FromSeconds(60)), "the worker stops within 60 s of SIGTERM");
            Assert.Equal(0, worker.ExitCode);
            var before = LineCount(sinkFile);

            var more = Enumerable.Range(50_000, 500).Select(i => $"line {i:D6}").ToList();
            await File.AppendAllLinesAsync(input, more);
            worker = BrokerProcess.StartTool("connect", "standalone", workerFile, sourceFile, sinkConfig);
            await WaitAsync(() => LineCount(sinkFile) >= before + more.Count, "the 500 new lines", worker);
            Assert.True(await worker.TerminateAsync(TimeSpan.FromSeconds(60)), "the worker stops within 60 s of SIGTERM");
            Assert.Equal(more, File.ReadAllLines(sinkFile).Skip(before).ToList());
        }
        finally
        {
            worker?.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_connector_file_with_a_bad_key_is_refused_at_start_naming_it()
    {
        var root = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-connect-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            var workerFile = Path.Combine(root, "worker.properties");
            await File.WriteAllTextAsync(workerFile, $"offset.storage.file.filename={Path.Combine(root, "offsets")}\nlisteners=http://127.0.0.1:0\noffset.flush.interval=5\n");
            var (exit, _, stderr) = await BrokerProcess.RunToolAsync(null, "connect", "standalone", workerFile);
            Assert.Equal(2, exit);
            Assert.Contains("offset.flush.interval.ms", stderr);

            await File.WriteAllTextAsync(workerFile, $"offset.storage.file.filename={Path.Combine(root, "offsets")}\nlisteners=http://127.0.0.1:0\n");
            var connector = Path.Combine(root, "c.properties");
            await File.WriteAllTextAsync(connector, "name=c\nconnector.class=FileStreamSource\ntopic=t\nbatch.size=lots\n");
            (exit, _, stderr) = await BrokerProcess.RunToolAsync(null, "connect", "standalone", workerFile, connector);
            Assert.Equal(2, exit);
            Assert.Contains("batch.size", stderr);
            Assert.Contains("\"file\"", stderr);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<long> CommittedAsync(HttpClient http)
    {
        try
        {
            var offsets = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/connectors/file-sink/offsets"))!["offsets"]!.AsArray();
            return offsets.Sum(o => o!["offset"]!["kafka_offset"]!.GetValue<long>());
        }
        catch (HttpRequestException)
        {
            return -1;
        }
    }

    private static int LineCount(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).Count() : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The file's input lines with repeats removed (a re-delivered window after kill -9 repeats lines already written).</summary>
    private static List<string> FirstOccurrences(string path, HashSet<string> input)
    {
        var seen = new HashSet<string>();
        return File.ReadLines(path).Where(l => input.Contains(l) && seen.Add(l)).ToList();
    }

    private static async Task WaitAsync(Func<bool> condition, string what, ToolProcess worker, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (worker.HasExited) Assert.Fail($"the worker exited while waiting for {what}:\n{string.Join("\n", worker.Lines)}\n{worker.Stderr}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after {seconds} s waiting for {what}. Worker output:\n{string.Join("\n", worker.Lines.TakeLast(30))}\n{worker.Stderr}");
            await Task.Delay(100);
        }
    }
}
