using System.Text;
using System.Text.Json.Nodes;
using AkkaBroker.Client;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime;

/// <summary>
/// A sink fed records its converter cannot read: with <c>errors.tolerance=all</c> they go to the dead letter queue as
/// consumed, with Kafka's context headers, and the rest are written; with <c>none</c> the task fails with the reason.
/// </summary>
public class ErrorHandlingSpec
{
    private static async Task ProduceAsync(string bootstrap, string topic, IEnumerable<string> values)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        foreach (var value in values) await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = value });
    }

    private static Dictionary<string, string> Sink(ConnectWorkerHarness h, string tolerance) => new()
    {
        ["connector.class"] = "FileStreamSink", ["file"] = h.PathOf("out.txt"), ["topics"] = "mixed",
        ["value.converter"] = "org.apache.kafka.connect.json.JsonConverter", ["value.converter.schemas.enable"] = "false",
        ["errors.tolerance"] = tolerance, ["errors.log.enable"] = "true",
        ["errors.deadletterqueue.topic.name"] = "mixed-dlq", ["errors.deadletterqueue.topic.replication.factor"] = "1",
        ["errors.deadletterqueue.context.headers.enable"] = "true",
    };

    [Fact]
    public async Task With_tolerance_all_unreadable_records_go_to_the_dead_letter_queue_with_context_headers_and_the_rest_are_written()
    {
        await using var h = await ConnectWorkerHarness.StartAsync();
        await ProduceAsync(h.Broker.Bootstrap, "mixed", ["\"good-0\"", "{not json", "\"good-1\"", "[1,", "\"good-2\""]);
        var (status, body) = await h.SendAsync(HttpMethod.Post, "/connectors", new { name = "sink", config = Sink(h, "all") });
        Assert.True(status == 201, $"create answered {status}: {body}");

        await Wait.UntilAsync(() => File.Exists(h.PathOf("out.txt")) && File.ReadAllLines(h.PathOf("out.txt")).Length == 3, "the three readable records written");
        Assert.Equal(["good-0", "good-1", "good-2"], await File.ReadAllLinesAsync(h.PathOf("out.txt")));

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = h.Broker.Bootstrap, GroupId = "dlq-reader", AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe("mixed-dlq");
        var dead = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (dead.Count < 2 && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result) dead.Add(result);
        Assert.Equal(["{not json", "[1,"], dead.Select(d => d.Message!.Value));
        string Header(ConsumeResult<string, string> r, string key) => Encoding.UTF8.GetString(r.Message!.Headers!.Last(x => x.Key == key).Value!);
        Assert.Equal("mixed", Header(dead[0], "__connect.errors.topic"));
        Assert.Equal("0", Header(dead[0], "__connect.errors.partition"));
        Assert.Equal("1", Header(dead[0], "__connect.errors.offset"));
        Assert.Equal("3", Header(dead[1], "__connect.errors.offset"));
        Assert.Equal("sink", Header(dead[0], "__connect.errors.connector.name"));
        Assert.Equal("0", Header(dead[0], "__connect.errors.task.id"));
        Assert.Equal("VALUE_CONVERTER", Header(dead[0], "__connect.errors.stage"));
        Assert.Contains("JsonConverter", Header(dead[0], "__connect.errors.class.name"));
        Assert.NotEmpty(Header(dead[0], "__connect.errors.exception.message"));
        Assert.Equal("k", dead[0].Message!.Key);

        var task = await h.GetJsonAsync("/connectors/sink/tasks/0/status");
        Assert.Equal("RUNNING", task["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_tolerance_none_an_unreadable_record_fails_the_task_with_the_reason()
    {
        await using var h = await ConnectWorkerHarness.StartAsync();
        await ProduceAsync(h.Broker.Bootstrap, "mixed", ["\"good-0\"", "{not json", "\"good-1\""]);
        var (status, body) = await h.SendAsync(HttpMethod.Post, "/connectors", new { name = "sink", config = Sink(h, "none") });
        Assert.True(status == 201, $"create answered {status}: {body}");
        JsonNode? task = null;
        // The task's status exists once the worker has started it: until then the REST API answers 404.
        await Wait.UntilAsync(async () => (task = await h.TryGetJsonAsync("/connectors/sink/tasks/0/status"))?["state"]!.GetValue<string>() == "FAILED", "the task FAILED");
        Assert.Contains("Tolerance exceeded in error handler", task!["trace"]!.GetValue<string>());
        Assert.DoesNotContain("good-1", File.Exists(h.PathOf("out.txt")) ? await File.ReadAllTextAsync(h.PathOf("out.txt")) : "");
    }
}
