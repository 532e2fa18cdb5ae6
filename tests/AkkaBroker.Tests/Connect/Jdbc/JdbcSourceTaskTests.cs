using System.Diagnostics;
using AkkaBroker.Connect;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Jdbc;
using Xunit;

namespace AkkaBroker.Tests.Connect.Jdbc;

/// <summary>
/// <see cref="JdbcSourceTask"/> in each mode against a real PostgreSQL server and a SQLite file: what each poll
/// returns, the partition and offsets it gives the records, and resuming from stored offsets.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class JdbcSourceTaskTests(PostgresServer server)
{
    private const string CreateOrders = "CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, name TEXT, updated TIMESTAMP NOT NULL)";

    public static TheoryDataKinds Kinds => TestDatabase.Kinds;

    private static JdbcSourceTask Start(TestDatabase db, Dictionary<string, string> settings, DictionaryOffsetStorageReader? offsets = null)
    {
        var config = new Dictionary<string, string>
        {
            ["connection.url"] = db.Url,
            ["topic.prefix"] = "db-",
            ["poll.interval.ms"] = "100",
            ["tables"] = "orders",
        };
        foreach (var (key, value) in settings) config[key] = value;
        var task = new JdbcSourceTask();
        task.Initialize(new FakeSourceTaskContext(config, offsets ?? new DictionaryOffsetStorageReader()));
        task.Start(config);
        return task;
    }

    private static async Task<IReadOnlyList<SourceRecord>> PollAsync(JdbcSourceTask task)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await task.PollAsync(timeout.Token);
    }

    private static long[] Ids(IEnumerable<SourceRecord> records) => records.Select(r => ((Struct)r.Value!).Get<long>("id")).ToArray();

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Bulk_mode_returns_every_row_on_each_poll_including_rows_inserted_since(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00'), (2, 'b', '2024-01-01 10:00:00')");
        var task = Start(db, new() { ["mode"] = "bulk" });
        try
        {
            var first = await PollAsync(task);
            Assert.Equal(new long[] { 1L, 2L }, Ids(first).Order());
            Assert.All(first, r => Assert.Null(r.SourceOffset));
            await db.ExecAsync("INSERT INTO orders VALUES (3, 'c', '2024-01-01 10:00:00')");
            var second = await PollAsync(task);
            Assert.Equal(new long[] { 1L, 2L, 3L }, Ids(second).Order());
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Incrementing_mode_returns_rows_inserted_after_the_first_poll_on_the_next_poll(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00'), (2, 'b', '2024-01-01 10:00:00')");
        var task = Start(db, new() { ["mode"] = "incrementing", ["incrementing.column.name"] = "id" });
        try
        {
            Assert.Equal(new long[] { 1L, 2L }, Ids(await PollAsync(task)));
            await db.ExecAsync("INSERT INTO orders VALUES (3, 'c', '2024-01-01 10:00:00'), (4, 'd', '2024-01-01 10:00:00')");
            await db.ExecAsync("UPDATE orders SET name = 'changed' WHERE id = 1");
            var second = await PollAsync(task);
            Assert.Equal(new long[] { 3L, 4L }, Ids(second));
            Assert.Equal("c", ((Struct)second[0].Value!).Get("name"));
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Incrementing_mode_gives_records_confluents_table_partition_incrementing_offset_and_prefixed_topic(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (7, 'a', '2024-01-01 10:00:00')");
        var task = Start(db, new() { ["mode"] = "incrementing", ["incrementing.column.name"] = "id" });
        try
        {
            var record = Assert.Single(await PollAsync(task));
            Assert.Equal("db-orders", record.Topic);
            Assert.Equal(new Dictionary<string, object?> { ["table"] = "orders" }, record.SourcePartition);
            Assert.Equal(new Dictionary<string, object?> { ["incrementing"] = 7L }, record.SourceOffset);
            Assert.Null(record.Key);
            Assert.Null(record.KeySchema);
            Assert.Equal("orders", record.ValueSchema!.Name);
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Incrementing_mode_resumes_after_the_stored_offset_and_reads_only_newer_rows(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00'), (2, 'b', '2024-01-01 10:00:00'), (3, 'c', '2024-01-01 10:00:00')");
        var offsets = new DictionaryOffsetStorageReader();
        offsets.Store(new Dictionary<string, object?> { ["table"] = "orders" }, new Dictionary<string, object?> { ["incrementing"] = 2L });
        var task = Start(db, new() { ["mode"] = "incrementing", ["incrementing.column.name"] = "id" }, offsets);
        try
        {
            Assert.Equal(new long[] { 3L }, Ids(await PollAsync(task)));
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_restarted_task_reads_only_the_rows_after_the_offsets_its_previous_run_stored(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00'), (2, 'b', '2024-01-01 10:00:01')");
        var offsets = new DictionaryOffsetStorageReader();
        var settings = new Dictionary<string, string> { ["mode"] = "timestamp+incrementing", ["incrementing.column.name"] = "id", ["timestamp.column.name"] = "updated" };
        var first = Start(db, settings, offsets);
        offsets.StoreAll(await PollAsync(first));
        first.Stop();
        await db.ExecAsync("INSERT INTO orders VALUES (3, 'c', '2024-01-01 10:00:01')");
        var second = Start(db, settings, offsets);
        try
        {
            Assert.Equal(new long[] { 3L }, Ids(await PollAsync(second)));
        }
        finally
        {
            second.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_column_added_while_the_task_runs_appears_in_the_schema_of_the_next_records(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00')");
        var task = Start(db, new() { ["mode"] = "incrementing", ["incrementing.column.name"] = "id" });
        try
        {
            Assert.Equal(["id", "name", "updated"], (await PollAsync(task))[0].ValueSchema!.Fields.Select(f => f.Name));
            await db.ExecAsync("ALTER TABLE orders ADD COLUMN note TEXT");
            await db.ExecAsync("INSERT INTO orders VALUES (2, 'b', '2024-01-01 10:00:00', 'new')");
            var record = Assert.Single(await PollAsync(task));
            Assert.Equal(["id", "name", "updated", "note"], record.ValueSchema!.Fields.Select(f => f.Name));
            Assert.Equal("new", ((Struct)record.Value!).Get("note"));
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Timestamp_mode_returns_rows_inserted_or_updated_after_the_first_poll_on_the_next_poll(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00'), (2, 'b', '2024-01-01 10:00:01')");
        var task = Start(db, new() { ["mode"] = "timestamp", ["timestamp.column.name"] = "updated" });
        try
        {
            Assert.Equal(new long[] { 1L, 2L }, Ids(await PollAsync(task)));
            await db.ExecAsync("UPDATE orders SET name = 'a2', updated = '2024-01-01 10:00:05' WHERE id = 1");
            await db.ExecAsync("INSERT INTO orders VALUES (3, 'c', '2024-01-01 10:00:03')");
            var second = await PollAsync(task);
            Assert.Equal(new long[] { 3L, 1L }, Ids(second));
            Assert.Equal("a2", ((Struct)second[1].Value!).Get("name"));
            Assert.Equal(new Dictionary<string, object?> { ["timestamp"] = 1704103205000L, ["timestamp_nanos"] = 0L }, second[1].SourceOffset);
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Timestamp_incrementing_mode_reads_a_later_row_with_an_equal_timestamp_and_a_higher_id(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00.250'), (2, 'b', '2024-01-01 10:00:00.250')");
        var task = Start(db, new() { ["mode"] = "timestamp+incrementing", ["incrementing.column.name"] = "id", ["timestamp.column.name"] = "updated" });
        try
        {
            var first = await PollAsync(task);
            Assert.Equal(new long[] { 1L, 2L }, Ids(first));
            Assert.Equal(new Dictionary<string, object?> { ["incrementing"] = 2L, ["timestamp"] = 1704103200250L, ["timestamp_nanos"] = 250_000_000L }, first[1].SourceOffset);
            // Same timestamp, higher id: read. Same timestamp, lower id, and an older timestamp: behind the offset, not read.
            await db.ExecAsync("INSERT INTO orders VALUES (3, 'c', '2024-01-01 10:00:00.250'), (0, 'z', '2024-01-01 10:00:00.250'), (4, 'old', '2023-12-31 00:00:00')");
            Assert.Equal(new long[] { 3L }, Ids(await PollAsync(task)));
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Timestamp_incrementing_mode_resumes_after_a_stored_timestamp_and_id(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00'), (2, 'b', '2024-01-01 10:00:00'), (3, 'c', '2024-01-01 10:00:00'), (4, 'd', '2024-01-01 10:00:01')");
        var offsets = new DictionaryOffsetStorageReader();
        offsets.Store(new Dictionary<string, object?> { ["table"] = "orders" },
            new Dictionary<string, object?> { ["incrementing"] = 2L, ["timestamp"] = 1704103200000L, ["timestamp_nanos"] = 0L });
        var task = Start(db, new() { ["mode"] = "timestamp+incrementing", ["incrementing.column.name"] = "id", ["timestamp.column.name"] = "updated" }, offsets);
        try
        {
            Assert.Equal(new long[] { 3L, 4L }, Ids(await PollAsync(task)));
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Several_timestamp_columns_order_and_resume_by_the_first_non_null_of_them(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync("CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, created TIMESTAMP NOT NULL, modified TIMESTAMP)");
        await db.ExecAsync("INSERT INTO orders VALUES (1, '2024-01-01 10:00:00', NULL), (2, '2024-01-01 09:00:00', '2024-01-01 11:00:00')");
        var task = Start(db, new() { ["mode"] = "timestamp", ["timestamp.column.name"] = "modified,created", ["validate.non.null"] = "false" });
        try
        {
            var first = await PollAsync(task);
            Assert.Equal(new long[] { 1, 2 }, Ids(first));
            Assert.Equal(1704106800000L, first[1].SourceOffset!["timestamp"]);
            await db.ExecAsync("INSERT INTO orders VALUES (3, '2024-01-01 10:30:00', NULL), (4, '2024-01-01 12:00:00', NULL)");
            Assert.Equal(new long[] { 4 }, Ids(await PollAsync(task)));
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Timestamp_delay_leaves_rows_newer_than_the_delay_for_a_later_poll(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        var recent = DateTime.UtcNow.AddMinutes(-1).ToString("yyyy-MM-dd HH:mm:ss");
        await db.ExecAsync($"INSERT INTO orders VALUES (1, 'old', '2024-01-01 10:00:00'), (2, 'recent', '{recent}')");
        var task = Start(db, new() { ["mode"] = "timestamp", ["timestamp.column.name"] = "updated", ["timestamp.delay.interval.ms"] = "3600000" });
        try
        {
            Assert.Equal(new long[] { 1L }, Ids(await PollAsync(task)));
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Batch_max_rows_spreads_a_query_over_several_polls_without_losing_or_repeating_a_row(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES " + string.Join(", ", Enumerable.Range(1, 25).Select(i => $"({i}, 'n{i}', '2024-01-01 10:00:00')")));
        var task = Start(db, new() { ["mode"] = "incrementing", ["incrementing.column.name"] = "id", ["batch.max.rows"] = "10" });
        try
        {
            var sizes = new List<int>();
            var ids = new List<long>();
            for (var i = 0; i < 3; i++)
            {
                var batch = await PollAsync(task);
                sizes.Add(batch.Count);
                ids.AddRange(Ids(batch));
            }
            Assert.Equal([10, 10, 5], sizes);
            Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), ids);
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Query_mode_appends_the_incrementing_criteria_and_writes_to_the_topic_prefix(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00'), (2, 'b', '2024-01-01 10:00:00')");
        var config = new Dictionary<string, string>
        {
            ["connection.url"] = db.Url, ["topic.prefix"] = "orders-query", ["poll.interval.ms"] = "100", ["mode"] = "incrementing",
            ["incrementing.column.name"] = "id", ["query"] = "SELECT id, name FROM orders",
        };
        var task = new JdbcSourceTask();
        task.Initialize(new FakeSourceTaskContext(config, new DictionaryOffsetStorageReader()));
        task.Start(config);
        try
        {
            var records = await PollAsync(task);
            Assert.Equal(new long[] { 1L, 2L }, Ids(records));
            Assert.All(records, r => Assert.Equal("orders-query", r.Topic));
            Assert.All(records, r => Assert.Equal(new Dictionary<string, object?> { ["query"] = "query" }, r.SourcePartition));
            Assert.Equal(["id", "name"], records[0].ValueSchema!.Fields.Select(f => f.Name));
        }
        finally
        {
            task.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_poll_with_no_table_due_waits_at_most_about_a_second_and_returns_nothing(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync(CreateOrders);
        var task = Start(db, new() { ["mode"] = "bulk", ["poll.interval.ms"] = "60000" });
        try
        {
            Assert.Empty(await PollAsync(task));
            var watch = Stopwatch.StartNew();
            Assert.Empty(await PollAsync(task));
            // About a second, not the 60 s poll.interval.ms; the upper bound leaves room for a loaded machine.
            Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(10));
        }
        finally
        {
            task.Stop();
        }
    }

    [Fact]
    public async Task A_waiting_poll_returns_nothing_as_soon_as_its_token_is_cancelled()
    {
        await using var db = await TestDatabase.CreateAsync("sqlite", server);
        await db.ExecAsync(CreateOrders);
        var task = Start(db, new() { ["mode"] = "bulk", ["poll.interval.ms"] = "60000" });
        try
        {
            Assert.Empty(await PollAsync(task));
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            var watch = Stopwatch.StartNew();
            Assert.Empty(await task.PollAsync(cancel.Token));
            // Far below the 60 s poll interval it would otherwise wait, with room for a loaded machine (CI took 996 ms once).
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"expected the poll to end soon after the 100 ms cancellation, not after poll.interval.ms (60 s); it took {watch.ElapsedMilliseconds} ms");
        }
        finally
        {
            task.Stop();
        }
    }

    [Fact]
    public async Task A_waiting_poll_returns_nothing_as_soon_as_the_task_is_stopped()
    {
        await using var db = await TestDatabase.CreateAsync("sqlite", server);
        await db.ExecAsync(CreateOrders);
        var task = Start(db, new() { ["mode"] = "bulk", ["poll.interval.ms"] = "60000" });
        Assert.Empty(await PollAsync(task));
        var watch = Stopwatch.StartNew();
        var waiting = task.PollAsync(CancellationToken.None);
        await Task.Delay(50);
        task.Stop();
        Assert.Empty(await waiting);
        // Far below the 60 s poll interval it would otherwise wait, with room for a loaded machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"expected the poll to end soon after Stop, not after poll.interval.ms (60 s); it took {watch.ElapsedMilliseconds} ms");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Start_refuses_a_nullable_incrementing_column_while_validate_non_null_is_on(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync("CREATE TABLE orders (id BIGINT, name TEXT)");
        var error = Assert.Throws<ConnectException>(() => Start(db, new() { ["mode"] = "incrementing", ["incrementing.column.name"] = "id" }));
        Assert.Contains("\"id\"", error.Message);
        Assert.Contains("nullable", error.Message);
        var task = Start(db, new() { ["mode"] = "incrementing", ["incrementing.column.name"] = "id", ["validate.non.null"] = "false" });
        task.Stop();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_missing_table_fails_the_poll_with_a_connect_exception_naming_it(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["mode"] = "bulk", ["tables"] = "nowhere" });
        try
        {
            var error = await Assert.ThrowsAsync<ConnectException>(() => PollAsync(task));
            Assert.IsNotType<RetriableException>(error);
            Assert.Contains("\"nowhere\"", error.Message);
        }
        finally
        {
            task.Stop();
        }
    }

    [Fact]
    public async Task A_lost_postgresql_connection_makes_the_poll_retriable_and_a_later_poll_reads_on_from_the_offset()
    {
        await using var db = (PostgresTestDatabase)await TestDatabase.CreateAsync("postgresql", server);
        await db.ExecAsync(CreateOrders);
        await db.ExecAsync("INSERT INTO orders VALUES (1, 'a', '2024-01-01 10:00:00')");
        var task = Start(db, new() { ["mode"] = "incrementing", ["incrementing.column.name"] = "id" });
        try
        {
            Assert.Equal(new long[] { 1 }, Ids(await PollAsync(task)));
            await db.ExecAsync("INSERT INTO orders VALUES (2, 'b', '2024-01-01 10:00:00')");
            Assert.True(await db.TerminateOtherSessionsAsync() > 0, "expected the task's connection to be open");
            await Assert.ThrowsAsync<RetriableException>(() => PollAsync(task));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            IReadOnlyList<SourceRecord> records = [];
            while (records.Count == 0 && DateTime.UtcNow < deadline) records = await PollAsync(task);
            Assert.Equal(new long[] { 2 }, Ids(records));
        }
        finally
        {
            task.Stop();
        }
    }

    [Fact]
    public async Task An_unreachable_postgresql_server_makes_the_poll_throw_a_retriable_exception()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var config = new Dictionary<string, string>
        {
            ["connection.url"] = $"jdbc:postgresql://127.0.0.1:{closedPort}/nothing", ["connection.user"] = "postgres",
            ["topic.prefix"] = "db-", ["mode"] = "bulk", ["tables"] = "orders",
        };
        var task = new JdbcSourceTask();
        task.Initialize(new FakeSourceTaskContext(config, new DictionaryOffsetStorageReader()));
        task.Start(config);
        var error = await Assert.ThrowsAsync<RetriableException>(() => PollAsync(task));
        Assert.Contains("orders", error.Message);
        task.Stop();
        await Task.CompletedTask;
    }
}
