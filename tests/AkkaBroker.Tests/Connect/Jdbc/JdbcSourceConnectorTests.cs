using AkkaBroker.Connect;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Jdbc;
using Xunit;

namespace AkkaBroker.Tests.Connect.Jdbc;

/// <summary><see cref="JdbcSourceConnector"/>: listing and splitting tables over tasks, and refusing bad configurations.</summary>
[Collection(PostgresCollection.Name)]
public sealed class JdbcSourceConnectorTests(PostgresServer server)
{
    public static TheoryDataKinds Kinds => TestDatabase.Kinds;

    private static async Task CreateTablesAsync(TestDatabase db, params string[] names)
    {
        foreach (var name in names) await db.ExecAsync($"CREATE TABLE {name} (id BIGINT NOT NULL PRIMARY KEY)");
    }

    private static JdbcSourceConnector Start(Dictionary<string, string> config)
    {
        var connector = new JdbcSourceConnector();
        connector.Start(config);
        return connector;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task The_connector_splits_all_user_tables_into_contiguous_groups_one_per_task(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await CreateTablesAsync(db, "a", "b", "c", "d", "e");
        var connector = Start(new() { ["connection.url"] = db.Url, ["topic.prefix"] = "db-", ["mode"] = "bulk" });
        try
        {
            var configs = connector.TaskConfigs(2);
            Assert.Equal(["a,b,c", "d,e"], configs.Select(c => c["tables"]));
            Assert.All(configs, c => Assert.Equal(db.Url, c["connection.url"]));
            Assert.Equal(5, connector.TaskConfigs(10).Count);
        }
        finally
        {
            connector.Stop();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task The_whitelist_keeps_only_the_listed_tables_and_the_blacklist_drops_them(string kind)
    {
        await using var db = await TestDatabase.CreateAsync(kind, server);
        await CreateTablesAsync(db, "a", "b", "c");
        var white = Start(new() { ["connection.url"] = db.Url, ["topic.prefix"] = "db-", ["mode"] = "bulk", ["table.whitelist"] = "c,a,missing" });
        var black = Start(new() { ["connection.url"] = db.Url, ["topic.prefix"] = "db-", ["mode"] = "bulk", ["table.blacklist"] = "b" });
        try
        {
            Assert.Equal("a,c", Assert.Single(white.TaskConfigs(1))["tables"]);
            Assert.Equal("a,c", Assert.Single(black.TaskConfigs(1))["tables"]);
        }
        finally
        {
            white.Stop();
            black.Stop();
        }
    }

    [Fact]
    public async Task A_table_created_while_running_makes_the_connector_ask_for_task_reconfiguration_with_it()
    {
        await using var db = await TestDatabase.CreateAsync("postgresql", server);
        await CreateTablesAsync(db, "a");
        var context = new RecordingConnectorContext();
        var connector = new JdbcSourceConnector();
        connector.Initialize(context);
        connector.Start(new Dictionary<string, string> { ["connection.url"] = db.Url, ["topic.prefix"] = "db-", ["mode"] = "bulk", ["table.poll.interval.ms"] = "100" });
        try
        {
            await CreateTablesAsync(db, "b");
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (context.Requests == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(context.Requests > 0, "expected a task reconfiguration request within 10 s of creating table b");
            Assert.Equal("a,b", Assert.Single(connector.TaskConfigs(1))["tables"]);
        }
        finally
        {
            connector.Stop();
        }
    }

    private sealed class RecordingConnectorContext : IConnectorContext
    {
        private int _requests;
        public int Requests => Volatile.Read(ref _requests);
        public void RequestTaskReconfiguration() => Interlocked.Increment(ref _requests);
        public void RaiseError(Exception error) => throw new InvalidOperationException("unexpected connector error", error);
    }

    [Fact]
    public async Task A_query_connector_has_exactly_one_task_whatever_tasks_max()
    {
        await using var db = await TestDatabase.CreateAsync("sqlite", server);
        var connector = Start(new() { ["connection.url"] = db.Url, ["topic.prefix"] = "q", ["mode"] = "bulk", ["query"] = "SELECT 1 AS one" });
        var config = Assert.Single(connector.TaskConfigs(4));
        Assert.Equal("SELECT 1 AS one", config["query"]);
        Assert.False(config.ContainsKey("tables"));
        connector.Stop();
    }

    [Fact]
    public void Grouping_gives_the_first_groups_one_more_item_when_the_items_do_not_divide_evenly()
    {
        var groups = JdbcSourceConnector.Group(["t1", "t2", "t3", "t4", "t5", "t6", "t7"], 3);
        Assert.Equal([["t1", "t2", "t3"], ["t4", "t5"], ["t6", "t7"]], groups.Select(g => g.ToArray()));
        Assert.Empty(JdbcSourceConnector.Group([], 3));
    }

    [Theory]
    [InlineData("jdbc:mysql://localhost/db")]
    [InlineData("postgresql://localhost/db")]
    [InlineData("jdbc:postgresql://localhost")]
    [InlineData("jdbc:sqlite:")]
    public void A_bad_connection_url_is_refused_naming_the_key_and_the_accepted_forms(string url)
    {
        var error = Assert.Throws<ConfigException>(() => Start(new() { ["connection.url"] = url, ["topic.prefix"] = "db-", ["mode"] = "bulk" }));
        Assert.Contains("connection.url", error.Message);
        Assert.Contains(url, error.Message);
        Assert.Contains("jdbc:postgresql://host[:port]/database", error.Message);
        Assert.Contains("jdbc:sqlite:/path/to/file.db", error.Message);
    }

    [Theory]
    [InlineData("mode", "sometimes", "mode")]
    [InlineData("mode", "incrementing", "incrementing.column.name")]
    [InlineData("mode", "timestamp", "timestamp.column.name")]
    [InlineData("batch.max.rows", "0", "batch.max.rows")]
    public void A_bad_source_setting_is_refused_naming_the_key(string key, string value, string named)
    {
        var config = new Dictionary<string, string> { ["connection.url"] = "jdbc:sqlite:/tmp/unused.db", ["topic.prefix"] = "db-", ["mode"] = "bulk", [key] = value };
        var error = Assert.Throws<ConfigException>(() => new JdbcSourceTask().Start(config));
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Whitelist_and_blacklist_together_are_refused_by_validate_on_the_blacklist_key()
    {
        var values = new JdbcSourceConnector().Validate(new Dictionary<string, string>
        {
            ["connection.url"] = "jdbc:sqlite:/tmp/unused.db", ["topic.prefix"] = "db-", ["mode"] = "bulk", ["table.whitelist"] = "a", ["table.blacklist"] = "b",
        });
        var blacklist = values.Single(v => v.Name == "table.blacklist");
        Assert.Contains(blacklist.ErrorMessages, m => m.Contains("Only one of table.whitelist and table.blacklist"));
        Assert.All(values.Where(v => v.Name != "table.blacklist"), v => Assert.Empty(v.ErrorMessages));
    }

    [Fact]
    public void The_connector_is_found_by_confluents_class_name()
    {
        var alias = (PluginAliasAttribute)Attribute.GetCustomAttribute(typeof(JdbcSourceConnector), typeof(PluginAliasAttribute))!;
        Assert.Contains("io.confluent.connect.jdbc.JdbcSourceConnector", alias.Aliases);
        Assert.Equal(typeof(JdbcSourceTask), new JdbcSourceConnector().TaskType);
    }
}
