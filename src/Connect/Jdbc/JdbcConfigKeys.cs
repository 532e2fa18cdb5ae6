namespace AkkaBroker.Connect.Jdbc;

/// <summary>The configuration keys of the JDBC source and sink connectors, spelled as Confluent's.</summary>
public static class JdbcConfigKeys
{
    /// <summary>The database: <c>jdbc:postgresql://host[:port]/database</c> or <c>jdbc:sqlite:/path/to/file.db</c>.</summary>
    public const string ConnectionUrl = "connection.url";

    /// <summary>The database user (PostgreSQL).</summary>
    public const string ConnectionUser = "connection.user";

    /// <summary>The database user's password (PostgreSQL).</summary>
    public const string ConnectionPassword = "connection.password";

    // Source.

    /// <summary>How a source finds new rows: bulk, incrementing, timestamp or timestamp+incrementing.</summary>
    public const string Mode = "mode";

    /// <summary>The strictly increasing column of the incrementing modes.</summary>
    public const string IncrementingColumnName = "incrementing.column.name";

    /// <summary>The timestamp columns of the timestamp modes, the first non-null of which counts (a list).</summary>
    public const string TimestampColumnName = "timestamp.column.name";

    /// <summary>The tables to read (a list); the others are left alone.</summary>
    public const string TableWhitelist = "table.whitelist";

    /// <summary>Newer Confluent name of <see cref="TableWhitelist"/>.</summary>
    public const string TableIncludeList = "table.include.list";

    /// <summary>The tables not to read (a list).</summary>
    public const string TableBlacklist = "table.blacklist";

    /// <summary>Newer Confluent name of <see cref="TableBlacklist"/>.</summary>
    public const string TableExcludeList = "table.exclude.list";

    /// <summary>A query to run instead of reading tables.</summary>
    public const string Query = "query";

    /// <summary>The prefix of each table's topic, or the topic of <see cref="Query"/>.</summary>
    public const string TopicPrefix = "topic.prefix";

    /// <summary>Milliseconds between two queries of one table.</summary>
    public const string PollIntervalMs = "poll.interval.ms";

    /// <summary>The most rows one poll returns.</summary>
    public const string BatchMaxRows = "batch.max.rows";

    /// <summary>Milliseconds between two checks of the list of tables.</summary>
    public const string TablePollIntervalMs = "table.poll.interval.ms";

    /// <summary>Milliseconds a row's timestamp must be older than the database's clock before it is read.</summary>
    public const string TimestampDelayIntervalMs = "timestamp.delay.interval.ms";

    /// <summary>Refuse to start when an incrementing or timestamp column allows NULL.</summary>
    public const string ValidateNonNull = "validate.non.null";

    /// <summary>The tables of one task, set by the connector in each task's configuration.</summary>
    public const string Tables = "tables";

    // Sink.

    /// <summary>The destination table's name, <c>${topic}</c> standing for the record's topic.</summary>
    public const string TableNameFormat = "table.name.format";

    /// <summary>How records are written: insert, upsert or update.</summary>
    public const string InsertMode = "insert.mode";

    /// <summary>Where the primary key comes from: none, kafka, record_key or record_value.</summary>
    public const string PkMode = "pk.mode";

    /// <summary>The primary key's columns (a list); its meaning depends on <see cref="PkMode"/>.</summary>
    public const string PkFields = "pk.fields";

    /// <summary>Create a missing destination table from the record's schema.</summary>
    public const string AutoCreate = "auto.create";

    /// <summary>Add missing columns to the destination table.</summary>
    public const string AutoEvolve = "auto.evolve";

    /// <summary>Delete the row of a record with a null value (a tombstone).</summary>
    public const string DeleteEnabled = "delete.enabled";

    /// <summary>The most records written in one batch of statements.</summary>
    public const string BatchSize = "batch.size";

    /// <summary>The value fields written (a list); empty writes them all.</summary>
    public const string FieldsWhitelist = "fields.whitelist";

    /// <summary>How many times a put that failed on a transient error is retried before the task fails.</summary>
    public const string MaxRetries = "max.retries";

    /// <summary>Milliseconds to wait before a failed put is retried.</summary>
    public const string RetryBackoffMs = "retry.backoff.ms";
}
