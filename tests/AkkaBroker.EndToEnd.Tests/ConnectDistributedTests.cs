using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AkkaBroker.Tests.Connect.Jdbc;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>
/// <c>connect distributed</c> with real processes: two workers in one group, a JDBC source reading a PostgreSQL table
/// and a JDBC sink upserting into another table while rows keep being inserted. The worker running the source task is
/// killed with -9 mid-stream: its work moves to the other worker within the session timeout plus
/// <c>scheduled.rebalance.max.delay.ms</c>, and the target table ends equal to the source table.
/// </summary>
public class ConnectDistributedTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_killed_workers_tasks_move_to_the_other_and_the_target_table_ends_equal_to_the_source_table()
    {
        var root = Path.Combine(Path.GetTempPath(), "akkabroker-e2e-connect-dist-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var workers = new List<ToolProcess>();
        try
        {
            using var broker = await BrokerProcess.StartAsync(Path.Combine(root, "data"));
            var database = await postgres.CreateDatabaseAsync();
            await using var db = new NpgsqlConnection(postgres.ConnectionString(database));
            await db.OpenAsync();
            await Execute(db, "CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, customer TEXT NOT NULL, amount NUMERIC(12,2) NOT NULL)");
            await InsertAsync(db, 0, 2000);

            var workerFile = Path.Combine(root, "worker.properties");
            await File.WriteAllTextAsync(workerFile, $"""
                bootstrap.servers={broker.Bootstrap}
                group.id=connect-e2e
                config.storage.topic=e2e-configs
                offset.storage.topic=e2e-offsets
                status.storage.topic=e2e-status
                config.storage.replication.factor=1
                offset.storage.replication.factor=1
                status.storage.replication.factor=1
                offset.storage.partitions=5
                key.converter=org.apache.kafka.connect.json.JsonConverter
                value.converter=org.apache.kafka.connect.json.JsonConverter
                offset.flush.interval.ms=500
                listeners=http://127.0.0.1:0
                session.timeout.ms=6000
                heartbeat.interval.ms=1000
                scheduled.rebalance.max.delay.ms=2000
                """);
            var urls = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                var worker = BrokerProcess.StartTool("connect", "distributed", workerFile);
                workers.Add(worker);
                await WaitAsync(() => Task.FromResult(worker.Lines.Any(l => l.Contains("REST API on http://"))), "the worker's REST address", workers);
                urls.Add(worker.Lines.First(l => l.Contains("REST API on http://")).Split("REST API on ")[1].Trim());
            }
            using var http = new HttpClient { BaseAddress = new Uri(urls[0]) };
            var source = await http.PostAsJsonAsync("/connectors", new
            {
                name = "pg-source",
                config = new Dictionary<string, string>
                {
                    ["connector.class"] = "io.confluent.connect.jdbc.JdbcSourceConnector", ["connection.url"] = postgres.JdbcUrl(database),
                    ["connection.user"] = "postgres", ["mode"] = "incrementing", ["incrementing.column.name"] = "id",
                    ["table.whitelist"] = "orders", ["topic.prefix"] = "pg-", ["poll.interval.ms"] = "200", ["batch.max.rows"] = "500",
                },
            });
            Assert.True(source.IsSuccessStatusCode, await source.Content.ReadAsStringAsync());
            var sink = await http.PostAsJsonAsync("/connectors", new
            {
                name = "pg-sink",
                config = new Dictionary<string, string>
                {
                    ["connector.class"] = "JdbcSink", ["connection.url"] = postgres.JdbcUrl(database), ["connection.user"] = "postgres",
                    ["topics"] = "pg-orders", ["table.name.format"] = "orders_copy", ["insert.mode"] = "upsert", ["pk.mode"] = "record_value",
                    ["pk.fields"] = "id", ["auto.create"] = "true",
                },
            });
            Assert.True(sink.IsSuccessStatusCode, await sink.Content.ReadAsStringAsync());
            // A sink named so that its consumer group would be the workers' own group is refused, naming the clash.
            var clash = await http.PostAsJsonAsync("/connectors", new
            {
                name = "e2e",
                config = new Dictionary<string, string> { ["connector.class"] = "FileStreamSink", ["topics"] = "pg-orders", ["file"] = "/dev/null" },
            });
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, clash.StatusCode);
            Assert.Contains("'connect-e2e'", await clash.Content.ReadAsStringAsync());

            // Both workers share the work, and the copy is under way.
            await WaitAsync(async () => await RunningTasksAsync(http, "pg-source") is [_] && await RunningTasksAsync(http, "pg-sink") is [_], "both connectors' tasks RUNNING", workers);
            await WaitAsync(async () => await CountAsync(db, "orders_copy") > 0, "rows in the target table", workers);

            // Insert while killing the worker that runs the source task.
            using var inserting = new CancellationTokenSource();
            var inserted = 2000;
            var inserter = Task.Run(async () =>
            {
                await using var connection = new NpgsqlConnection(postgres.ConnectionString(database));
                await connection.OpenAsync();
                while (!inserting.IsCancellationRequested && inserted < 8000)
                {
                    await InsertAsync(connection, inserted, 100);
                    inserted += 100;
                    await Task.Delay(50);
                }
            });
            var sourceWorker = (await RunningTasksAsync(http, "pg-source"))[0];
            var victim = urls.IndexOf("http://" + sourceWorker);
            Assert.True(victim >= 0, $"the source task runs on {sourceWorker}, not one of {string.Join(", ", urls)}");
            await WaitAsync(() => Task.FromResult(inserted >= 4000), "4,000 rows inserted", workers);
            workers[victim].KillHard();
            var killedAt = DateTime.UtcNow;
            output.WriteLine($"killed worker {sourceWorker} with {inserted} rows inserted");

            var survivor = urls[1 - victim];
            using var survivorHttp = new HttpClient { BaseAddress = new Uri(survivor) };
            await WaitAsync(async () => await RunningTasksAsync(survivorHttp, "pg-source") is [var w] && "http://" + w == survivor
                && await RunningTasksAsync(survivorHttp, "pg-sink") is [var s] && "http://" + s == survivor, "both tasks RUNNING on the surviving worker", [workers[1 - victim]]);
            var moved = DateTime.UtcNow - killedAt;
            output.WriteLine($"tasks moved after {moved.TotalSeconds:F1} s");
            // session.timeout.ms 6 s + scheduled.rebalance.max.delay.ms 2 s, with room for a loaded machine.
            Assert.True(moved < TimeSpan.FromSeconds(30), $"tasks moved after {moved.TotalSeconds:F1} s");

            await inserter;
            await WaitAsync(async () => await CountAsync(db, "orders_copy") == inserted, $"{inserted} rows in the target table", [workers[1 - victim]]);
            Assert.Equal(await RowsAsync(db, "orders"), await RowsAsync(db, "orders_copy"));
        }
        finally
        {
            foreach (var worker in workers) worker.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task Execute(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    private static Task InsertAsync(NpgsqlConnection db, int from, int count) =>
        Execute(db, "INSERT INTO orders (customer, amount) VALUES " + string.Join(",", Enumerable.Range(from, count).Select(i => $"('customer-{i % 97}', {i}.{i % 100:D2})")));

    private static async Task<long> CountAsync(NpgsqlConnection db, string table)
    {
        try
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", db);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException e) when (e.SqlState == "42P01")
        {
            return 0; // the sink has not created it yet
        }
    }

    private static async Task<List<string>> RowsAsync(NpgsqlConnection db, string table)
    {
        await using var command = new NpgsqlCommand($"SELECT id, customer, amount FROM {table} ORDER BY id", db);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        // Compared as numbers: the sink creates its column as NUMERIC without a scale, as Confluent's does.
        while (await reader.ReadAsync()) rows.Add($"{reader.GetInt64(0)}|{reader.GetString(1)}|{reader.GetDecimal(2):F2}");
        return rows;
    }

    /// <summary>The workers of the connector's RUNNING tasks, as its status reports them.</summary>
    private static async Task<List<string>> RunningTasksAsync(HttpClient http, string connector)
    {
        try
        {
            var status = JsonNode.Parse(await http.GetStringAsync($"/connectors/{connector}/status"))!;
            return status["tasks"]!.AsArray().Where(t => t!["state"]!.GetValue<string>() == "RUNNING").Select(t => t!["worker_id"]!.GetValue<string>()).ToList();
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what, IReadOnlyList<ToolProcess> workers, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (workers.FirstOrDefault(w => w.HasExited) is { } dead)
                Assert.Fail($"a worker exited while waiting for {what}:\n{string.Join("\n", dead.Lines.TakeLast(40))}\n{dead.Stderr}");
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Timed out after {seconds} s waiting for {what}. Workers' output:\n" +
                    string.Join("\n----\n", workers.Select(w => string.Join("\n", w.Lines.TakeLast(25)) + "\n" + w.Stderr)));
            await Task.Delay(200);
        }
    }
}
