using System.Globalization;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Internal;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Renames the topic from the record's topic and timestamp (Kafka Connect's <c>TimestampRouter</c>): <c>topic.format</c>
/// with <c>${topic}</c> and <c>${timestamp}</c>, the timestamp written in UTC with the <c>SimpleDateFormat</c> pattern
/// <c>timestamp.format</c>. Useful to write to time-partitioned tables or indices, e.g. <c>orders-20240131</c>.
/// </summary>
[PluginAlias("org.apache.kafka.connect.transforms.TimestampRouter")]
public sealed class TimestampRouter : ITransformation
{
    /// <summary>The new topic, with <c>${topic}</c> and <c>${timestamp}</c> placeholders.</summary>
    public const string TopicFormatConfig = "topic.format";

    /// <summary>The <c>SimpleDateFormat</c> pattern for the timestamp.</summary>
    public const string TimestampFormatConfig = "timestamp.format";

    private string _topicFormat = "${topic}-${timestamp}";
    private string _timestampFormat = "yyyyMMdd";

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .Define(TopicFormatConfig, ConfigType.String, "${topic}-${timestamp}", Importance.High,
            "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively.")
        .Define(TimestampFormatConfig, ConfigType.String, "yyyyMMdd", Importance.High,
            "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.");

    /// <inheritdoc />
    /// <exception cref="ConfigException">the timestamp format is not a supported pattern.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs)
    {
        var values = Config.Parse(configs);
        _topicFormat = (string)values[TopicFormatConfig]!;
        var pattern = (string)values[TimestampFormatConfig]!;
        try
        {
            _timestampFormat = JavaFormats.DateFormatToDotNet(pattern);
            _ = DateTime.UnixEpoch.ToString(_timestampFormat, CultureInfo.InvariantCulture);
        }
        catch (FormatException e)
        {
            throw new ConfigException(TimestampFormatConfig, pattern, e.Message);
        }
    }

    /// <inheritdoc />
    /// <exception cref="DataException">the record has no timestamp.</exception>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        var timestamp = record.Timestamp ?? throw new DataException($"Timestamp missing on record: {record}");
        var formatted = ConnectTimestamp.ToLogical(timestamp).ToString(_timestampFormat, CultureInfo.InvariantCulture);
        return record with { Topic = _topicFormat.Replace("${topic}", record.Topic, StringComparison.Ordinal).Replace("${timestamp}", formatted, StringComparison.Ordinal) };
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
