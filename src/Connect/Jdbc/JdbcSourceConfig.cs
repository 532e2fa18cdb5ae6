using AkkaBroker.Connect.Config;
using K = AkkaBroker.Connect.Jdbc.JdbcConfigKeys;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>How a JDBC source finds the rows it has not read yet (Confluent's <c>mode</c>).</summary>
internal enum SourceMode
{
    /// <summary>Every poll reads the whole table.</summary>
    Bulk,

    /// <summary>Rows with an incrementing column greater than the last one read (new rows only, no updates).</summary>
    Incrementing,

    /// <summary>Rows with a timestamp newer than the last one read (new and updated rows).</summary>
    Timestamp,

    /// <summary>Rows past the last (timestamp, incrementing) pair read: new and updated rows, none lost at equal timestamps.</summary>
    TimestampIncrementing,
}

/// <summary>
/// The parsed configuration of <see cref="JdbcSourceConnector"/> and <see cref="JdbcSourceTask"/>, with the checks
/// between keys that <see cref="ConfigDef"/> cannot make.
/// </summary>
internal sealed record JdbcSourceConfig(
    DatabaseDialect Dialect,
    SourceMode Mode,
    string? IncrementingColumn,
    IReadOnlyList<string> TimestampColumns,
    IReadOnlyList<string> Whitelist,
    IReadOnlyList<string> Blacklist,
    string? Query,
    string TopicPrefix,
    int PollIntervalMs,
    int BatchMaxRows,
    long TablePollIntervalMs,
    long TimestampDelayIntervalMs,
    bool ValidateNonNull,
    IReadOnlyList<string>? Tables)
{
    /// <summary>The mode names, as Confluent spells them.</summary>
    public static readonly string[] ModeNames = ["bulk", "incrementing", "timestamp", "timestamp+incrementing"];

    /// <summary>The keys of the JDBC source connector.</summary>
    public static readonly ConfigDef Definition = new ConfigDef()
        .DefineRequired(K.ConnectionUrl, ConfigType.String, Importance.High,
            $"The database to read: {DatabaseDialect.AcceptedUrls}.", Validators.NonEmptyString, "Database")
        .Define(K.ConnectionUser, ConfigType.String, null, Importance.High, "The database user (PostgreSQL); wins over the URL's user.", group: "Database")
        .Define(K.ConnectionPassword, ConfigType.Password, null, Importance.High, "The database user's password (PostgreSQL).", group: "Database")
        .Define(K.TableWhitelist, ConfigType.List, "", Importance.Medium, "The tables to read; empty reads every user table. Not with table.blacklist or query.", group: "Database")
        .Define(K.TableIncludeList, ConfigType.List, "", Importance.Medium, "Newer name of table.whitelist.", group: "Database")
        .Define(K.TableBlacklist, ConfigType.List, "", Importance.Medium, "The tables not to read. Not with table.whitelist or query.", group: "Database")
        .Define(K.TableExcludeList, ConfigType.List, "", Importance.Medium, "Newer name of table.blacklist.", group: "Database")
        .Define(K.TablePollIntervalMs, ConfigType.Long, 60_000L, Importance.Low,
            "Milliseconds between two checks for added or dropped tables; a change reconfigures the tasks.", Validators.AtLeast(1), "Database")
        .Define(K.Mode, ConfigType.String, "", Importance.High,
            "How new rows are found: bulk (the whole table each poll), incrementing (a strictly increasing column), timestamp (a last-modified column) or timestamp+incrementing (both: updates and no row lost at equal timestamps).",
            Validators.In(["", .. ModeNames]), "Mode")
        .Define(K.IncrementingColumnName, ConfigType.String, "", Importance.Medium, "The strictly increasing, non-null column of the incrementing modes.", group: "Mode")
        .Define(K.TimestampColumnName, ConfigType.List, "", Importance.Medium,
            "The timestamp columns of the timestamp modes; with several, the first non-null of them (COALESCE) counts.", group: "Mode")
        .Define(K.TimestampDelayIntervalMs, ConfigType.Long, 0L, Importance.High,
            "Milliseconds a row's timestamp must be behind the database's clock before the row is read, so that transactions still writing with an older timestamp commit first.",
            Validators.AtLeast(0), "Mode")
        .Define(K.ValidateNonNull, ConfigType.Boolean, true, Importance.Low,
            "Refuse to start when the incrementing or timestamp column allows NULL (such rows would never be read).", group: "Mode")
        .Define(K.Query, ConfigType.String, "", Importance.Medium,
            "A query to run instead of reading tables; the incrementing and timestamp modes append their WHERE clause to it, so it must not have one.", group: "Mode")
        .Define(K.PollIntervalMs, ConfigType.Int, 5000, Importance.High, "Milliseconds between two queries of one table.", Validators.AtLeast(1), "Connector")
        .Define(K.BatchMaxRows, ConfigType.Int, 100, Importance.Low, "The most rows one poll returns; the rest of a query's rows come with the next polls.",
            Validators.AtLeast(1), "Connector")
        .Define(K.TopicPrefix, ConfigType.String, ConfigDef.NoDefault, Importance.High,
            "Prefix of each table's topic (prefix + table name); with query, the topic itself.", group: "Connector")
        .Define(K.Tables, ConfigType.List, "", Importance.Low, "The tables of one task; set by the connector, not by users.");

    /// <summary>Parses and checks <paramref name="props"/>.</summary>
    /// <exception cref="ConfigException">a key is missing or invalid, or two keys contradict; the message names them and what is allowed.</exception>
    public static JdbcSourceConfig Parse(IReadOnlyDictionary<string, string> props)
    {
        var values = Definition.Parse(props);
        var url = (string)values[K.ConnectionUrl]!;
        var dialect = DatabaseDialect.FromUrl(url, (string?)values[K.ConnectionUser], (string?)values[K.ConnectionPassword]);
        var modeText = ((string)values[K.Mode]!).ToLowerInvariant();
        var mode = modeText switch
        {
            "bulk" => SourceMode.Bulk,
            "incrementing" => SourceMode.Incrementing,
            "timestamp" => SourceMode.Timestamp,
            "timestamp+incrementing" => SourceMode.TimestampIncrementing,
            _ => throw new ConfigException(K.Mode, modeText, $"Query mode must be specified; one of: {string.Join(", ", ModeNames)}"),
        };
        var incrementing = NullIfEmpty((string)values[K.IncrementingColumnName]!);
        var timestamps = (List<string>)values[K.TimestampColumnName]!;
        if (mode is SourceMode.Incrementing or SourceMode.TimestampIncrementing && incrementing == null)
            throw new ConfigException(K.IncrementingColumnName, "", $"Mode {modeText} needs the name of a strictly increasing column");
        if (mode is SourceMode.Timestamp or SourceMode.TimestampIncrementing && timestamps.Count == 0)
            throw new ConfigException(K.TimestampColumnName, "", $"Mode {modeText} needs the name of at least one timestamp column");
        var whitelist = Either(values, K.TableWhitelist, K.TableIncludeList);
        var blacklist = Either(values, K.TableBlacklist, K.TableExcludeList);
        if (whitelist.Count > 0 && blacklist.Count > 0)
            throw new ConfigException(K.TableBlacklist, string.Join(",", blacklist), $"Only one of {K.TableWhitelist} and {K.TableBlacklist} may be set");
        var query = NullIfEmpty((string)values[K.Query]!);
        if (query != null && (whitelist.Count > 0 || blacklist.Count > 0))
            throw new ConfigException(K.Query, query, $"A query reads no tables; remove {K.TableWhitelist} and {K.TableBlacklist}");
        var tables = props.ContainsKey(K.Tables) ? (IReadOnlyList<string>)(List<string>)values[K.Tables]! : null;
        return new JdbcSourceConfig(dialect, mode, incrementing, timestamps, whitelist, blacklist, query, (string)values[K.TopicPrefix]!,
            (int)values[K.PollIntervalMs]!, (int)values[K.BatchMaxRows]!, (long)values[K.TablePollIntervalMs]!, (long)values[K.TimestampDelayIntervalMs]!,
            (bool)values[K.ValidateNonNull]!, tables);
    }

    private static List<string> Either(IReadOnlyDictionary<string, object?> values, string oldKey, string newKey)
    {
        var old = (List<string>)values[oldKey]!;
        return old.Count > 0 ? old : (List<string>)values[newKey]!;
    }

    private static string? NullIfEmpty(string text) => text.Trim().Length == 0 ? null : text.Trim();

    /// <summary>The tables that pass the white- or blacklist, in the order of <paramref name="all"/>.</summary>
    public IReadOnlyList<string> Select(IEnumerable<string> all) =>
        Whitelist.Count > 0 ? all.Where(t => Whitelist.Contains(t, StringComparer.Ordinal)).ToList()
        : all.Where(t => !Blacklist.Contains(t, StringComparer.Ordinal)).ToList();
}
