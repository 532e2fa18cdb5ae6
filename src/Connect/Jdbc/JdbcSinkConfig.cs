using AkkaBroker.Connect.Config;
using K = AkkaBroker.Connect.Jdbc.JdbcConfigKeys;

namespace AkkaBroker.Connect.Jdbc;

/// <summary>How a JDBC sink writes a record (Confluent's <c>insert.mode</c>).</summary>
internal enum InsertMode
{
    /// <summary>INSERT; a duplicate key fails.</summary>
    Insert,

    /// <summary>INSERT ... ON CONFLICT (pk) DO UPDATE: the row with the record's key gets its values.</summary>
    Upsert,

    /// <summary>UPDATE ... WHERE pk: rows that do not exist are left alone.</summary>
    Update,
}

/// <summary>Where a JDBC sink takes the primary key from (Confluent's <c>pk.mode</c>).</summary>
internal enum PkMode
{
    /// <summary>No key: every record is a new row.</summary>
    None,

    /// <summary>The record's topic, partition and offset (<c>__connect_topic</c>, <c>__connect_partition</c>, <c>__connect_offset</c>).</summary>
    Kafka,

    /// <summary>The record's key: a primitive (one column) or a struct's fields.</summary>
    RecordKey,

    /// <summary>Fields of the record's value.</summary>
    RecordValue,
}

/// <summary>The parsed configuration of <see cref="JdbcSinkConnector"/> and <see cref="JdbcSinkTask"/>, with the checks between keys.</summary>
internal sealed record JdbcSinkConfig(
    DatabaseDialect Dialect,
    string TableNameFormat,
    InsertMode InsertMode,
    PkMode PkMode,
    IReadOnlyList<string> PkFields,
    bool AutoCreate,
    bool AutoEvolve,
    bool DeleteEnabled,
    int BatchSize,
    IReadOnlyList<string> FieldsWhitelist,
    int MaxRetries,
    int RetryBackoffMs)
{
    /// <summary>The names Confluent gives <c>insert.mode</c>'s values.</summary>
    public static readonly string[] InsertModeNames = ["insert", "upsert", "update"];

    /// <summary>The names Confluent gives <c>pk.mode</c>'s values.</summary>
    public static readonly string[] PkModeNames = ["none", "kafka", "record_key", "record_value"];

    /// <summary>The keys of the JDBC sink connector.</summary>
    public static readonly ConfigDef Definition = new ConfigDef()
        .DefineRequired(K.ConnectionUrl, ConfigType.String, Importance.High,
            $"The database to write: {DatabaseDialect.AcceptedUrls}.", Validators.NonEmptyString, "Connection")
        .Define(K.ConnectionUser, ConfigType.String, null, Importance.High, "The database user (PostgreSQL); wins over the URL's user.", group: "Connection")
        .Define(K.ConnectionPassword, ConfigType.Password, null, Importance.High, "The database user's password (PostgreSQL).", group: "Connection")
        .Define(SinkConnector.TopicsConfig, ConfigType.List, "", Importance.High, "The topics to write (or topics.regex).", group: "Connection")
        .Define(K.InsertMode, ConfigType.String, "insert", Importance.High,
            "insert: INSERT, a duplicate key fails; upsert: INSERT ... ON CONFLICT (pk) DO UPDATE, idempotent; update: UPDATE ... WHERE pk.",
            Validators.In(InsertModeNames), "Writes")
        .Define(K.BatchSize, ConfigType.Int, 3000, Importance.Medium, "The most records written with one batch of statements.", Validators.AtLeast(1), "Writes")
        .Define(K.DeleteEnabled, ConfigType.Boolean, false, Importance.Medium,
            "Delete the row of a record with a null value (a tombstone); needs pk.mode=record_key.", group: "Writes")
        .Define(K.TableNameFormat, ConfigType.String, "${topic}", Importance.Medium,
            "The destination table's name; ${topic} stands for the record's topic.", Validators.NonEmptyString, "Data Mapping")
        .Define(K.PkMode, ConfigType.String, "none", Importance.High,
            "Where the primary key comes from: none, kafka (topic, partition, offset), record_key (the key) or record_value (value fields).",
            Validators.In(PkModeNames), "Data Mapping")
        .Define(K.PkFields, ConfigType.List, "", Importance.Medium,
            "The primary key's columns: with kafka three names (default __connect_topic,__connect_partition,__connect_offset); with record_key the key struct's fields (default all) or the one column of a primitive key (default __connect_key); with record_value the value's fields (default all).",
            group: "Data Mapping")
        .Define(K.FieldsWhitelist, ConfigType.List, "", Importance.Medium, "The value fields written besides the key; empty writes all.", group: "Data Mapping")
        .Define(K.AutoCreate, ConfigType.Boolean, false, Importance.Medium,
            "Create a missing table from the record's schema (CREATE TABLE with the primary key).", group: "DDL Support")
        .Define(K.AutoEvolve, ConfigType.Boolean, false, Importance.Medium,
            "Add missing columns to the table (ALTER TABLE ADD COLUMN); a required field without a default cannot be added.", group: "DDL Support")
        .Define(K.MaxRetries, ConfigType.Int, 10, Importance.Medium,
            "How many times a put that failed on a transient error (a lost connection) is retried before the task fails.", Validators.AtLeast(0), "Retries")
        .Define(K.RetryBackoffMs, ConfigType.Int, 3000, Importance.Medium, "Milliseconds to wait before a failed put is retried.", Validators.AtLeast(0), "Retries");

    /// <summary>Parses and checks <paramref name="props"/>.</summary>
    /// <exception cref="ConfigException">a key is missing or invalid, or two keys contradict; the message names them and what is allowed.</exception>
    public static JdbcSinkConfig Parse(IReadOnlyDictionary<string, string> props)
    {
        var values = Definition.Parse(props);
        var dialect = DatabaseDialect.FromUrl((string)values[K.ConnectionUrl]!, (string?)values[K.ConnectionUser], (string?)values[K.ConnectionPassword], forWrites: true);
        var insertMode = ((string)values[K.InsertMode]!).ToLowerInvariant() switch
        {
            "upsert" => InsertMode.Upsert,
            "update" => InsertMode.Update,
            _ => InsertMode.Insert,
        };
        var pkText = ((string)values[K.PkMode]!).ToLowerInvariant();
        var pkMode = pkText switch
        {
            "kafka" => PkMode.Kafka,
            "record_key" => PkMode.RecordKey,
            "record_value" => PkMode.RecordValue,
            _ => PkMode.None,
        };
        var pkFields = (List<string>)values[K.PkFields]!;
        var deleteEnabled = (bool)values[K.DeleteEnabled]!;
        if (deleteEnabled && pkMode != PkMode.RecordKey)
            throw new ConfigException(K.DeleteEnabled, true, $"Deletes are only supported for {K.PkMode}=record_key (the key names the row to delete), not {pkText}");
        if (insertMode != InsertMode.Insert && pkMode == PkMode.None)
            throw new ConfigException(K.InsertMode, values[K.InsertMode], $"Mode {values[K.InsertMode]} needs a primary key; set {K.PkMode} to kafka, record_key or record_value");
        if (pkMode == PkMode.Kafka && pkFields.Count is not (0 or 3))
            throw new ConfigException(K.PkFields, string.Join(",", pkFields), $"With {K.PkMode}=kafka give three names (topic, partition and offset columns) or none for the defaults");
        return new JdbcSinkConfig(dialect, (string)values[K.TableNameFormat]!, insertMode, pkMode, pkFields, (bool)values[K.AutoCreate]!, (bool)values[K.AutoEvolve]!,
            deleteEnabled, (int)values[K.BatchSize]!, (List<string>)values[K.FieldsWhitelist]!, (int)values[K.MaxRetries]!, (int)values[K.RetryBackoffMs]!);
    }

    /// <summary>The destination table of a record of <paramref name="topic"/>.</summary>
    public string TableName(string topic) => TableNameFormat.Replace("${topic}", topic, StringComparison.Ordinal);
}
