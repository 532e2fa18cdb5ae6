// How many rows per second JdbcSinkTask writes into a database: rows of ~100 bytes (an int64 key and an 84-character
// string), auto-created table, pk.mode=record_value, batch.size=3000, one put of 3000 records at a time (one
// transaction each). First pass inserts new keys through the upsert statement, second pass upserts the same keys again
// (every row updated). Usage: dotnet run -c Release -- <connection.url> [rows]
using System.Diagnostics;
using AkkaBroker.Client;
using AkkaBroker.Connect;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Jdbc;

var url = args.Length > 0 ? args[0] : throw new ArgumentException("usage: JdbcSinkBench <connection.url> [rows]");
var rows = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300_000;
const int PutSize = 3000;
var schema = SchemaBuilder.Struct().Name("bench").Field("id", Schema.Int64).Field("payload", Schema.String).Build();
var payload = new string('x', 84);
var config = new Dictionary<string, string>
{
    ["connection.url"] = url, ["topics"] = "bench", ["insert.mode"] = "upsert", ["pk.mode"] = "record_value", ["pk.fields"] = "id",
    ["auto.create"] = "true", ["batch.size"] = "3000",
};
var task = new JdbcSinkTask();
task.Initialize(new BenchContext(config));
task.Start(config);
// Warm up (table creation, JIT, connection pool) outside the measurement.
await task.PutAsync([Record(-1, -1)], CancellationToken.None);

foreach (var pass in new[] { "insert (new keys, upsert statement)", "upsert (existing keys, every row updated)" })
{
    var watch = Stopwatch.StartNew();
    for (var start = 0; start < rows; start += PutSize)
    {
        var batch = new List<SinkRecord>(PutSize);
        for (var id = start; id < Math.Min(rows, start + PutSize); id++) batch.Add(Record(id, id));
        await task.PutAsync(batch, CancellationToken.None);
    }
    watch.Stop();
    Console.WriteLine($"{pass}: {rows:N0} rows in {watch.Elapsed.TotalSeconds:F2} s = {rows / watch.Elapsed.TotalSeconds:N0} rows/s ({rows * 100.0 / watch.Elapsed.TotalSeconds / 1e6:F1} MB/s of 100-byte rows)");
}
task.Stop();

SinkRecord Record(long id, long offset) =>
    new("bench", 0, null, null, schema, new Struct(schema).Put("id", id).Put("payload", payload), offset);

sealed class BenchContext(IReadOnlyDictionary<string, string> configs) : ISinkTaskContext
{
    public IReadOnlyDictionary<string, string> Configs => configs;
    public IReadOnlyCollection<TopicPartition> Assignment => [];
    public void Offset(TopicPartition partition, long offset) { }
    public void Pause(params TopicPartition[] partitions) { }
    public void Resume(params TopicPartition[] partitions) { }
    public void RequestCommit() { }
    public Func<SinkRecord, Exception, Task>? ErrantRecordReporter => null;
}
