using AkkaBroker.Connect;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Jdbc;
using Xunit;

namespace AkkaBroker.Tests.Connect.Jdbc;

/// <summary>How <see cref="JdbcSourceTask"/> maps each column type of PostgreSQL and SQLite to a Connect schema and value.</summary>
[Collection(PostgresCollection.Name)]
public sealed class JdbcSourceSchemaTests(PostgresServer server)
{
    private static async Task<SourceRecord> ReadOneRowAsync(TestDatabase db)
    {
        var config = new Dictionary<string, string>
        {
            ["connection.url"] = db.Url, ["topic.prefix"] = "db-", ["mode"] = "bulk", ["tables"] = "types",
        };
        var task = new JdbcSourceTask();
        task.Initialize(new FakeSourceTaskContext(config, new DictionaryOffsetStorageReader()));
        task.Start(config);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return Assert.Single(await task.PollAsync(timeout.Token));
        }
        finally
        {
            task.Stop();
        }
    }

    private static void AssertField(Schema schema, string name, SchemaType type, bool optional, string? logicalName = null)
    {
        var field = schema.Field(name);
        Assert.True(field != null, $"expected a field '{name}'; the fields are {string.Join(", ", schema.Fields.Select(f => f.Name))}");
        Assert.True(type == field.Schema.Type, $"field '{name}': expected type {type}, got {field.Schema.Type}");
        Assert.True(optional == field.Schema.IsOptional, $"field '{name}': expected optional={optional}");
        Assert.True(logicalName == field.Schema.Name, $"field '{name}': expected schema name {logicalName ?? "none"}, got {field.Schema.Name ?? "none"}");
    }

    [Fact]
    public async Task Postgresql_column_types_map_to_connect_types_with_nullable_columns_optional()
    {
        await using var db = await TestDatabase.CreateAsync("postgresql", server);
        await db.ExecAsync("""
            CREATE TABLE types (
              c_smallint SMALLINT NOT NULL, c_int INTEGER NOT NULL, c_bigint BIGINT, c_numeric NUMERIC(10,2) NOT NULL,
              c_real REAL, c_double DOUBLE PRECISION, c_text TEXT NOT NULL, c_varchar VARCHAR(20), c_bool BOOLEAN,
              c_bytea BYTEA, c_date DATE, c_timestamp TIMESTAMP, c_timestamptz TIMESTAMPTZ, c_null_text TEXT);
            INSERT INTO types VALUES (-3, 42, 9000000000, 1234.56, 1.5, 2.25, 'text', 'varchar', TRUE,
              '\x0102ff', '2024-02-29', '2024-01-01 10:00:00.123456', '2024-01-01 12:00:00+02', NULL);
            """);
        var record = await ReadOneRowAsync(db);
        var schema = record.ValueSchema!;
        Assert.Equal("types", schema.Name);
        AssertField(schema, "c_smallint", SchemaType.Int16, optional: false);
        AssertField(schema, "c_int", SchemaType.Int32, optional: false);
        AssertField(schema, "c_bigint", SchemaType.Int64, optional: true);
        AssertField(schema, "c_numeric", SchemaType.Bytes, optional: false, ConnectDecimal.LogicalName);
        Assert.Equal("2", schema.Field("c_numeric")!.Schema.Parameters["scale"]);
        AssertField(schema, "c_real", SchemaType.Float32, optional: true);
        AssertField(schema, "c_double", SchemaType.Float64, optional: true);
        AssertField(schema, "c_text", SchemaType.String, optional: false);
        AssertField(schema, "c_varchar", SchemaType.String, optional: true);
        AssertField(schema, "c_bool", SchemaType.Boolean, optional: true);
        AssertField(schema, "c_bytea", SchemaType.Bytes, optional: true);
        AssertField(schema, "c_date", SchemaType.Int32, optional: true, ConnectDate.LogicalName);
        AssertField(schema, "c_timestamp", SchemaType.Int64, optional: true, ConnectTimestamp.LogicalName);
        AssertField(schema, "c_timestamptz", SchemaType.Int64, optional: true, ConnectTimestamp.LogicalName);

        var value = (Struct)record.Value!;
        Assert.Equal((short)-3, value.Get("c_smallint"));
        Assert.Equal(42, value.Get("c_int"));
        Assert.Equal(9000000000L, value.Get("c_bigint"));
        Assert.Equal(1234.56m, value.Get("c_numeric"));
        Assert.Equal(1.5f, value.Get("c_real"));
        Assert.Equal(2.25, value.Get("c_double"));
        Assert.Equal("text", value.Get("c_text"));
        Assert.Equal("varchar", value.Get("c_varchar"));
        Assert.Equal(true, value.Get("c_bool"));
        Assert.Equal(new byte[] { 1, 2, 255 }, value.Get("c_bytea"));
        Assert.Equal(new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Utc), value.Get("c_date"));
        Assert.Equal(new DateTime(2024, 1, 1, 10, 0, 0, DateTimeKind.Utc).AddTicks(1_234_560), value.Get("c_timestamp"));
        Assert.Equal(new DateTime(2024, 1, 1, 10, 0, 0, DateTimeKind.Utc), value.Get("c_timestamptz"));
        Assert.Null(value.Get("c_null_text"));
        value.Validate();
    }

    [Fact]
    public async Task Sqlite_declared_types_map_to_connect_types_with_nullable_columns_optional()
    {
        await using var db = await TestDatabase.CreateAsync("sqlite", server);
        await db.ExecAsync("""
            CREATE TABLE types (
              c_smallint SMALLINT NOT NULL, c_int INT NOT NULL, c_bigint BIGINT, c_integer INTEGER, c_numeric NUMERIC(10,2) NOT NULL,
              c_real REAL, c_text TEXT NOT NULL, c_varchar VARCHAR(20), c_bool BOOLEAN,
              c_blob BLOB, c_date DATE, c_timestamp TIMESTAMP, c_datetime DATETIME);
            INSERT INTO types VALUES (-3, 42, 9000000000, 7, 1234.56, 2.25, 'text', 'varchar', 1,
              x'0102ff', '2024-02-29', '2024-01-01 10:00:00.123', '2024-01-01 11:00:00');
            """);
        var record = await ReadOneRowAsync(db);
        var schema = record.ValueSchema!;
        Assert.Equal("types", schema.Name);
        AssertField(schema, "c_smallint", SchemaType.Int16, optional: false);
        AssertField(schema, "c_int", SchemaType.Int32, optional: false);
        AssertField(schema, "c_bigint", SchemaType.Int64, optional: true);
        AssertField(schema, "c_integer", SchemaType.Int64, optional: true);
        AssertField(schema, "c_numeric", SchemaType.Bytes, optional: false, ConnectDecimal.LogicalName);
        Assert.Equal("2", schema.Field("c_numeric")!.Schema.Parameters["scale"]);
        AssertField(schema, "c_real", SchemaType.Float64, optional: true);
        AssertField(schema, "c_text", SchemaType.String, optional: false);
        AssertField(schema, "c_varchar", SchemaType.String, optional: true);
        AssertField(schema, "c_bool", SchemaType.Boolean, optional: true);
        AssertField(schema, "c_blob", SchemaType.Bytes, optional: true);
        AssertField(schema, "c_date", SchemaType.Int32, optional: true, ConnectDate.LogicalName);
        AssertField(schema, "c_timestamp", SchemaType.Int64, optional: true, ConnectTimestamp.LogicalName);
        AssertField(schema, "c_datetime", SchemaType.Int64, optional: true, ConnectTimestamp.LogicalName);

        var value = (Struct)record.Value!;
        Assert.Equal((short)-3, value.Get("c_smallint"));
        Assert.Equal(42, value.Get("c_int"));
        Assert.Equal(9000000000L, value.Get("c_bigint"));
        Assert.Equal(7L, value.Get("c_integer"));
        Assert.Equal(1234.56m, value.Get("c_numeric"));
        Assert.Equal(2.25, value.Get("c_real"));
        Assert.Equal("text", value.Get("c_text"));
        Assert.Equal(true, value.Get("c_bool"));
        Assert.Equal(new byte[] { 1, 2, 255 }, value.Get("c_blob"));
        Assert.Equal(new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Utc), value.Get("c_date"));
        Assert.Equal(new DateTime(2024, 1, 1, 10, 0, 0, 123, DateTimeKind.Utc), value.Get("c_timestamp"));
        Assert.Equal(new DateTime(2024, 1, 1, 11, 0, 0, DateTimeKind.Utc), value.Get("c_datetime"));
        value.Validate();
    }
}
