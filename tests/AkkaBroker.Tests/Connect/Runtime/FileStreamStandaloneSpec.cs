using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// Kafka Connect's quickstart on a standalone worker and a broker in this process: a file streamed into a topic by
/// FileStreamSource and out of it by FileStreamSink arrives whole and in order; a restarted worker resumes from the
/// stored offsets, reading and writing only what is new.
/// </summary>
public class FileStreamStandaloneSpec
{
    private static Dictionary<string, string> Source(ConnectWorkerHarness h) => new()
    {
        ["name"] = "file-source", ["connector.class"] = "FileStreamSource", ["file"] = h.PathOf("in.txt"), ["topic"] = "lines",
    };

    private static Dictionary<string, string> Sink(ConnectWorkerHarness h) => new()
    {
        ["name"] = "file-sink", ["connector.class"] = "org.apache.kafka.connect.file.FileStreamSinkConnector", ["file"] = h.PathOf("out.txt"), ["topics"] = "lines",
    };

    private static int LineCount(string path) => File.Exists(path) ? File.ReadAllLines(path).Length : 0;

    [Fact]
    public async Task A_file_streamed_through_a_topic_arrives_whole_and_a_restart_reads_only_new_lines()
    {
        await using var harness = await ConnectWorkerHarness.StartAsync();
        var input = harness.PathOf("in.txt");
        var output = harness.PathOf("out.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 5000).Select(i => $"line {i} é\t{new string('x', i % 50)}"));
        var (status, body) = await harness.SendAsync(HttpMethod.Post, "/connectors", new { name = "file-source", config = Source(harness) });
        Assert.True(status == 201, $"create answered {status}: {body}");
        (status, body) = await harness.SendAsync(HttpMethod.Post, "/connectors", new { name = "file-sink", config = Sink(harness) });
        Assert.True(status == 201, $"create answered {status}: {body}");

        await Wait.UntilAsync(() => LineCount(output) >= 5000, "5000 lines in the sink's file");
        // The sink flushes what it has been given before each commit; compare once the last commit covered all.
        await Wait.UntilAsync(async () => (await harness.GetJsonAsync("/connectors/file-sink/offsets"))["offsets"]!.AsArray()
            .Sum(o => o!["offset"]!["kafka_offset"]!.GetValue<long>()) == 5000, "the sink's committed offset at 5000");
        Assert.Equal(await File.ReadAllLinesAsync(input), await File.ReadAllLinesAsync(output));
        var position = (await harness.GetJsonAsync("/connectors/file-source/offsets"))["offsets"]![0]!["offset"]!["position"]!.GetValue<long>();
        Assert.Equal(new FileInfo(input).Length, position);

        await harness.StopWorkerAsync();
        await File.AppendAllLinesAsync(input, Enumerable.Range(5000, 300).Select(i => $"line {i}"));
        await harness.StartWorkerAsync(null, Source(harness), Sink(harness));
        await Wait.UntilAsync(() => LineCount(output) >= 5300, "the 300 new lines in the sink's file");
        await harness.WaitForStateAsync("file-sink", "RUNNING");
        Assert.Equal(await File.ReadAllLinesAsync(input), await File.ReadAllLinesAsync(output));
    }

    [Fact]
    public async Task A_line_is_read_only_once_its_newline_is_written()
    {
        await using var harness = await ConnectWorkerHarness.StartAsync();
        var input = harness.PathOf("in.txt");
        await File.WriteAllTextAsync(input, "first\r\nsecond\nhalf");
        var (status, body) = await harness.SendAsync(HttpMethod.Post, "/connectors", new { name = "file-source", config = Source(harness) });
        Assert.True(status == 201, $"create answered {status}: {body}");
        (status, body) = await harness.SendAsync(HttpMethod.Post, "/connectors", new { name = "file-sink", config = Sink(harness) });
        Assert.True(status == 201, $"create answered {status}: {body}");
        var output = harness.PathOf("out.txt");
        await Wait.UntilAsync(async () =>
            (await harness.GetJsonAsync("/connectors/file-sink/offsets"))["offsets"]!.AsArray().Sum(o => o!["offset"]!["kafka_offset"]!.GetValue<long>()) == 2,
            "two lines committed by the sink");
        Assert.Equal(["first", "second"], await File.ReadAllLinesAsync(output));
        await File.AppendAllTextAsync(input, " done\n");
        await Wait.UntilAsync(() => LineCount(output) == 3, "the completed third line");
        Assert.Equal(["first", "second", "half done"], await File.ReadAllLinesAsync(output));
    }
}
