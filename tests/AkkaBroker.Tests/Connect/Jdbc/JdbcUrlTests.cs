using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Jdbc;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit;

namespace AkkaBroker.Tests.Connect.Jdbc;

/// <summary>How Confluent's JDBC URLs become Npgsql and Microsoft.Data.Sqlite connection strings.</summary>
public sealed class JdbcUrlTests
{
    [Fact]
    public void A_postgresql_url_gives_host_port_database_and_url_credentials_that_connection_user_and_password_override()
    {
        var fromUrl = new NpgsqlConnectionStringBuilder(DatabaseDialect.FromUrl("jdbc:postgresql://db.example.com:6543/orders?user=u&password=p&sslmode=require", null, null).ConnectionString);
        Assert.Equal(("db.example.com", 6543, "orders", "u", "p", SslMode.Require), (fromUrl.Host, fromUrl.Port, fromUrl.Database, fromUrl.Username, fromUrl.Password, fromUrl.SslMode));
        Assert.Equal("UTC", fromUrl.Timezone);
        var overridden = new NpgsqlConnectionStringBuilder(DatabaseDialect.FromUrl("jdbc:postgresql://db/orders?user=u", "admin", "secret").ConnectionString);
        Assert.Equal(("db", 5432, "admin", "secret"), (overridden.Host, overridden.Port, overridden.Username, overridden.Password));
    }

    [Fact]
    public void A_sqlite_url_gives_the_file_as_data_source()
    {
        var dialect = DatabaseDialect.FromUrl("jdbc:sqlite:/var/data/app.db", null, null);
        Assert.IsType<SqliteDialect>(dialect);
        Assert.Equal("/var/data/app.db", new SqliteConnectionStringBuilder(dialect.ConnectionString).DataSource);
    }

    [Fact]
    public void Only_the_sinks_postgresql_connections_prepare_statements_automatically()
    {
        var sink = new NpgsqlConnectionStringBuilder(DatabaseDialect.FromUrl("jdbc:postgresql://db/orders", null, null, forWrites: true).ConnectionString);
        var source = new NpgsqlConnectionStringBuilder(DatabaseDialect.FromUrl("jdbc:postgresql://db/orders", null, null).ConnectionString);
        Assert.True(sink.MaxAutoPrepare > 0);
        Assert.Equal(0, source.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("jdbc:postgresql://db:99999/orders")]
    [InlineData("jdbc:postgresql://db/orders?sslmode=sometimes")]
    [InlineData("jdbc:postgresql:orders")]
    public void A_malformed_postgresql_url_is_refused_naming_connection_url(string url)
    {
        var error = Assert.Throws<ConfigException>(() => DatabaseDialect.FromUrl(url, null, null));
        Assert.StartsWith($"Invalid value {url} for configuration connection.url:", error.Message);
    }
}
