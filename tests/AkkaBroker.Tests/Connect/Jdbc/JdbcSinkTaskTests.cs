using AkkaBroker.Connect;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Jdbc;
using Xunit;

namespace AkkaBroker.Tests.Connect.Jdbc;

/// <summary>
/// <see cref="JdbcSinkTask"/> against a real PostgreSQL server and a SQLite file: insert and upsert, creating and
/// evolving tables, deletes by tombstone, the primary key modes, and the errors a bad record or configuration gets.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class JdbcSinkTaskTests(PostgresServer server)
{
    public static TheoryDataKinds Kinds => TestDatabase.Kinds;

    private static readonly Schema UserSchema = SchemaBuilder.Struct().Name("user")
        .Field("id", Schema.Int64).Field("name", Schema.OptionalString).Build();

    private static readonly Schema UserSchemaWithEmail = SchemaBuilder.Struct().Name("user")
        .Field("id", Schema.Int64).Field("name", Schema.OptionalString).Field("email", Schema.OptionalString).Build();

    private static SinkRecord User(long offset, long id, string? name, string topic = "users") =>
        new(topic, 0, Schema.Int64, id, UserSchema, new Struct(UserSchema).Put("id", id).Put("name", name), offset);

    private static SinkRecord Tombstone(long offset, long id) => new("users", 0, Schema.Int64, id, null, null, offset);

    private static JdbcSinkTask Start(TestDatabase db, Dictionary<string, string> settings)
    {
        var config = new Dictionary<string, string> { ["connection.url"] = db.Url, ["topics"] = "users", ["retry.backoff.ms"] = "0" };
        foreach (var (key, value) in settings) config[key] = value;
        var task = new JdbcSinkTask();
        task.Initialize(new FakeSinkTaskContext(config));
        task.Start(config);
        return task;
    }

    private static Task PutAsync(JdbcSinkTask task, params SinkRecord[] records) => task.PutAsync(records, CancellationToken.None);

    private static async Task<List<(long Id, string? Name)>> UsersAsync(TestDatabase db, string table = "users") =>
        (await db.QueryAsync($"SELECT id, name FROM {table} ORDER BY id")).Select(r => (Convert.ToInt64(r["id"]), (string?)r["name"])).ToList();

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Insert_with_auto_create_creates_the_table_from_the_value_schema_and_writes_every_record(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["pk.mode"] = "record_value", ["pk.fields"] = "id" });
        await PutAsync(task, User(0, 1, "ann"), User(1, 2, null));
        Assert.Equal([(1L, "ann"), (2L, null)], await UsersAsync(db));
        // The key is the primary key: a second insert of id 1 is refused by the database.
        await Assert.ThrowsAsync<ConnectException>(() => PutAsync(task, User(2, 1, "again")));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Upsert_of_the_same_key_twice_leaves_one_row_with_the_newer_values(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["insert.mode"] = "upsert", ["pk.mode"] = "record_value", ["pk.fields"] = "id" });
        await PutAsync(task, User(0, 1, "ann"), User(1, 2, "bob"), User(2, 1, "ann2"));
        Assert.Equal([(1L, "ann2"), (2L, "bob")], await UsersAsync(db));
        await PutAsync(task, User(3, 2, "bob2"));
        Assert.Equal([(1L, "ann2"), (2L, "bob2")], await UsersAsync(db));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Update_mode_changes_existing_rows_and_leaves_keys_without_a_row_alone(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync("CREATE TABLE users (id BIGINT NOT NULL PRIMARY KEY, name TEXT)");
        await db.ExecAsync("INSERT INTO users VALUES (1, 'ann')");
        var task = Start(db, new() { ["insert.mode"] = "update", ["pk.mode"] = "record_value", ["pk.fields"] = "id" });
        await PutAsync(task, User(0, 1, "ann2"), User(1, 2, "bob"));
        Assert.Equal([(1L, "ann2")], await UsersAsync(db));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_primitive_record_key_becomes_the_connect_key_column_or_the_first_pk_field(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["insert.mode"] = "upsert", ["pk.mode"] = "record_key", ["table.name.format"] = "kv_${topic}" });
        var schema = SchemaBuilder.Struct().Field("name", Schema.OptionalString).Build();
        await PutAsync(task, new SinkRecord("users", 0, Schema.String, "k1", schema, new Struct(schema).Put("name", "ann"), 0));
        var rows = await db.QueryAsync("SELECT __connect_key, name FROM kv_users");
        Assert.Equal("k1", Assert.Single(rows)["__connect_key"]);

        var named = Start(db, new() { ["auto.create"] = "true", ["pk.mode"] = "record_key", ["pk.fields"] = "user_id", ["table.name.format"] = "named_${topic}" });
        await PutAsync(named, new SinkRecord("users", 0, Schema.String, "k2", schema, new Struct(schema).Put("name", "bob"), 1));
        Assert.Equal("k2", Assert.Single(await db.QueryAsync("SELECT user_id FROM named_users"))["user_id"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Kafka_pk_mode_keys_rows_by_topic_partition_and_offset(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["insert.mode"] = "upsert", ["pk.mode"] = "kafka" });
        await PutAsync(task, User(5, 1, "ann"), User(5, 1, "ann-redelivered"), User(6, 1, "ann-later"));
        var rows = await db.QueryAsync("SELECT __connect_topic, __connect_partition, __connect_offset, name FROM users ORDER BY __connect_offset");
        Assert.Equal(2, rows.Count);
        Assert.Equal("users", rows[0]["__connect_topic"]);
        Assert.Equal(0L, Convert.ToInt64(rows[0]["__connect_partition"]));
        Assert.Equal(5L, Convert.ToInt64(rows[0]["__connect_offset"]));
        Assert.Equal("ann-redelivered", rows[0]["name"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Auto_evolve_adds_a_missing_optional_column_and_keeps_the_existing_rows(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["auto.evolve"] = "true", ["pk.mode"] = "record_value", ["pk.fields"] = "id" });
        await PutAsync(task, User(0, 1, "ann"));
        var withEmail = new Struct(UserSchemaWithEmail).Put("id", 2L).Put("name", "bob").Put("email", "bob@example.com");
        await PutAsync(task, new SinkRecord("users", 0, Schema.Int64, 2L, UserSchemaWithEmail, withEmail, 1));
        var rows = await db.QueryAsync("SELECT id, name, email FROM users ORDER BY id");
        Assert.Equal(2, rows.Count);
        Assert.Null(rows[0]["email"]);
        Assert.Equal("bob@example.com", rows[1]["email"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Auto_evolve_refuses_to_add_a_required_field_without_a_default(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["auto.evolve"] = "true", ["pk.mode"] = "record_value", ["pk.fields"] = "id" });
        await PutAsync(task, User(0, 1, "ann"));
        var schema = SchemaBuilder.Struct().Name("user").Field("id", Schema.Int64).Field("name", Schema.OptionalString).Field("age", Schema.Int32).Build();
        var error = await Assert.ThrowsAsync<ConnectException>(() =>
            PutAsync(task, new SinkRecord("users", 0, null, null, schema, new Struct(schema).Put("id", 2L).Put("age", 30), 7)));
        Assert.Contains("Cannot ALTER TABLE \"users\" to add missing field \"age\"", error.Message);
        Assert.Contains("offset=7", error.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Without_auto_evolve_a_record_with_a_new_field_is_refused_naming_the_field(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["pk.mode"] = "record_value", ["pk.fields"] = "id" });
        await PutAsync(task, User(0, 1, "ann"));
        var withEmail = new Struct(UserSchemaWithEmail).Put("id", 2L).Put("email", "x");
        var error = await Assert.ThrowsAsync<ConnectException>(() => PutAsync(task, new SinkRecord("users", 0, null, null, UserSchemaWithEmail, withEmail, 1)));
        Assert.Contains("missing fields (email)", error.Message);
        Assert.Contains("auto.evolve", error.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Without_auto_create_a_missing_table_is_refused_naming_it(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["pk.mode"] = "none" });
        var error = await Assert.ThrowsAsync<ConnectException>(() => PutAsync(task, User(0, 1, "ann")));
        Assert.Contains("Table \"users\" is missing", error.Message);
        Assert.Contains("auto.create", error.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task With_delete_enabled_a_tombstone_deletes_the_row_of_its_key_in_record_order(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["insert.mode"] = "upsert", ["pk.mode"] = "record_key", ["pk.fields"] = "id", ["delete.enabled"] = "true" });
        var schema = SchemaBuilder.Struct().Field("name", Schema.OptionalString).Build();
        SinkRecord Row(long offset, long id, string name) => new("users", 0, Schema.Int64, id, schema, new Struct(schema).Put("name", name), offset);
        await PutAsync(task, Row(0, 1, "ann"), Row(1, 2, "bob"), Row(2, 3, "cid"));
        // Delete 1; delete 3 and write it again in the same put: the later write wins.
        await PutAsync(task, Tombstone(3, 1), Tombstone(4, 3), Row(5, 3, "cid2"));
        Assert.Equal([(2L, "bob"), (3L, "cid2")], await UsersAsync(db));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Without_delete_enabled_a_tombstone_fails_the_put_naming_the_record(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["pk.mode"] = "record_key", ["pk.fields"] = "id" });
        var error = await Assert.ThrowsAsync<ConnectException>(() => PutAsync(task, Tombstone(9, 1)));
        Assert.Contains("delete.enabled=false", error.Message);
        Assert.Contains("(topic='users',partition=0,offset=9)", error.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_record_the_database_refuses_fails_the_put_naming_its_offset_and_column_and_nothing_of_the_put_is_written(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await db.ExecAsync("CREATE TABLE users (id BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL)");
        var task = Start(db, new() { ["pk.mode"] = "record_value", ["pk.fields"] = "id", ["batch.size"] = "2" });
        var error = await Assert.ThrowsAsync<ConnectException>(() => PutAsync(task, User(10, 1, "ann"), User(11, 2, "bob"), User(12, 3, null), User(13, 4, "dan")));
        Assert.IsNotType<RetriableException>(error);
        Assert.True(error.Message.Contains("(topic='users',partition=0,offset=12)") && error.Message.Contains("column \"name\""),
            $"expected the message to name offset 12 and column \"name\": {error.Message}");
        Assert.Empty(await UsersAsync(db));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task More_records_than_batch_size_are_all_written_in_order(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["insert.mode"] = "upsert", ["pk.mode"] = "record_value", ["pk.fields"] = "id", ["batch.size"] = "3" });
        await PutAsync(task, Enumerable.Range(0, 10).Select(i => User(i, i % 4, $"v{i}")).ToArray());
        Assert.Equal([(0L, "v8"), (1L, "v9"), (2L, "v6"), (3L, "v7")], await UsersAsync(db));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Fields_whitelist_writes_only_the_listed_value_fields_besides_the_key(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var task = Start(db, new() { ["auto.create"] = "true", ["pk.mode"] = "record_value", ["pk.fields"] = "id", ["fields.whitelist"] = "email" });
        var value = new Struct(UserSchemaWithEmail).Put("id", 1L).Put("name", "ann").Put("email", "ann@example.com");
        await PutAsync(task, new SinkRecord("users", 0, null, null, UserSchemaWithEmail, value, 0));
        var columns = (await db.QueryAsync("SELECT * FROM users")).Single().Keys;
        Assert.Equal(["id", "email"], columns);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Logical_and_primitive_types_are_written_to_auto_created_columns_and_read_back_by_the_source(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        var schema = SchemaBuilder.Struct().Name("all_types")
            .Field("id", Schema.Int64).Field("small", Schema.Int16).Field("i", Schema.Int32).Field("f", Schema.Float64).Field("b", Schema.Boolean)
            .Field("s", Schema.String).Field("bytes", Schema.OptionalBytes).Field("amount", ConnectDecimal.Builder(2).Build())
            .Field("day", ConnectDate.Builder().Optional().Build()).Field("at", ConnectTimestamp.Builder().Build()).Build();
        var value = new Struct(schema).Put("id", 1L).Put("small", (short)-2).Put("i", 3).Put("f", 1.25).Put("b", true).Put("s", "text")
            .Put("bytes", new byte[] { 1, 2 }).Put("amount", 12.34m).Put("day", new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Utc))
            .Put("at", new DateTime(2024, 1, 1, 10, 0, 0, 123, DateTimeKind.Utc));
        var sink = Start(db, new() { ["auto.create"] = "true", ["pk.mode"] = "record_value", ["pk.fields"] = "id", ["table.name.format"] = "all_types" });
        await PutAsync(sink, new SinkRecord("users", 0, null, null, schema, value, 0));

        var config = new Dictionary<string, string> { ["connection.url"] = db.Url, ["topic.prefix"] = "db-", ["mode"] = "bulk", ["tables"] = "all_types" };
        var source = new JdbcSourceTask();
        source.Initialize(new FakeSourceTaskContext(config, new DictionaryOffsetStorageReader()));
        source.Start(config);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var read = (Struct)Assert.Single(await source.PollAsync(timeout.Token)).Value!;
            foreach (var name in new[] { "id", "small", "i", "f", "b", "s", "bytes", "day", "at" })
                Assert.True(Values.DeepEquals(value.Get(name), read.Get(name)), $"field {name}: wrote {value.Get(name)}, read back {read.Get(name)}");
            Assert.Equal(12.34m, Convert.ToDecimal(read.Get("amount")));
        }
        finally
        {
            source.Stop();
        }
    }

    [Fact]
    public async Task A_lost_postgresql_connection_makes_the_put_retriable_and_the_retried_put_writes_the_records()
    {
        await using var db = (PostgresTestDatabase)await TestDatabase.CreateAsync("postgresql", server);
        var task = Start(db, new() { ["auto.create"] = "true", ["insert.mode"] = "upsert", ["pk.mode"] = "record_value", ["pk.fields"] = "id" });
        await PutAsync(task, User(0, 1, "ann"));
        Assert.True(await db.TerminateOtherSessionsAsync() > 0, "expected the sink's pooled connection to be open");
        var error = await Assert.ThrowsAsync<RetriableException>(() => PutAsync(task, User(1, 2, "bob")));
        Assert.Contains("will be retried", error.Message);
        await PutAsync(task, User(1, 2, "bob"));
        Assert.Equal([(1L, "ann"), (2L, "bob")], await UsersAsync(db));
    }

    [Fact]
    public async Task An_unreachable_postgresql_server_makes_the_put_retriable_until_max_retries_then_fails_it()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var config = new Dictionary<string, string>
        {
            ["connection.url"] = $"jdbc:postgresql://127.0.0.1:{closedPort}/nothing", ["connection.user"] = "postgres",
            ["max.retries"] = "2", ["retry.backoff.ms"] = "0", ["auto.create"] = "true",
        };
        var task = new JdbcSinkTask();
        task.Initialize(new FakeSinkTaskContext(config));
        task.Start(config);
        await Assert.ThrowsAsync<RetriableException>(() => PutAsync(task, User(0, 1, "ann")));
        await Assert.ThrowsAsync<RetriableException>(() => PutAsync(task, User(0, 1, "ann")));
        var final = await Assert.ThrowsAsync<ConnectException>(() => PutAsync(task, User(0, 1, "ann")));
        Assert.IsNotType<RetriableException>(final);
        Assert.Contains("max.retries=2", final.Message);
    }

    [Theory]
    [InlineData("delete.enabled", "true", "pk.mode", "none", "delete.enabled")]
    [InlineData("insert.mode", "upsert", "pk.mode", "none", "insert.mode")]
    [InlineData("insert.mode", "merge", "pk.mode", "none", "insert.mode")]
    [InlineData("pk.mode", "kafka", "pk.fields", "a,b", "pk.fields")]
    [InlineData("connection.url", "jdbc:oracle:thin:@host:1521:db", "pk.mode", "none", "connection.url")]
    public void A_bad_sink_configuration_is_refused_with_a_config_exception_naming_the_key(string key1, string value1, string key2, string value2, string named)
    {
        var config = new Dictionary<string, string> { ["connection.url"] = "jdbc:sqlite:/tmp/unused.db", [key1] = value1, [key2] = value2 };
        var error = Assert.Throws<ConfigException>(() => new JdbcSinkConnector().Start(config));
        Assert.Contains(named, error.Message);
        Assert.Contains(named, new JdbcSinkConnector().Validate(config).Single(v => v.ErrorMessages.Count > 0).Name);
    }

    [Fact]
    public void The_sink_connector_is_found_by_confluents_class_name_and_gives_each_task_its_configuration()
    {
        var alias = (PluginAliasAttribute)Attribute.GetCustomAttribute(typeof(JdbcSinkConnector), typeof(PluginAliasAttribute))!;
        Assert.Contains("io.confluent.connect.jdbc.JdbcSinkConnector", alias.Aliases);
        var connector = new JdbcSinkConnector();
        connector.Start(new Dictionary<string, string> { ["connection.url"] = "jdbc:sqlite:/tmp/unused.db", ["topics"] = "a" });
        var configs = connector.TaskConfigs(3);
        Assert.Equal(3, configs.Count);
        Assert.All(configs, c => Assert.Equal("a", c["topics"]));
        Assert.Equal(typeof(JdbcSinkTask), connector.TaskType);
    }
}
