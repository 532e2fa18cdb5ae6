using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Files;

/// <summary>
/// Streams the lines of a file into a topic, as Kafka's <c>FileStreamSourceConnector</c>: keys <c>file</c>,
/// <c>topic</c>, <c>batch.size</c>. One task; each line becomes a record with a string value and no key. The source
/// offset is the byte position after the line, so a restarted task goes on from the next unread line, and lines
/// appended to the file later are picked up (the file is followed, as <c>tail -f</c>).
/// </summary>
[PluginAlias("org.apache.kafka.connect.file.FileStreamSourceConnector")]
public sealed class FileStreamSourceConnector : SourceConnector
{
    public const string FileConfig = "file";
    public const string TopicConfig = "topic";
    public const string BatchSizeConfig = "batch.size";
    public const int DefaultBatchSize = 2000;

    private static readonly ConfigDef Definition = new ConfigDef()
        .DefineRequired(FileConfig, ConfigType.String, Importance.High, "The file to read (Kafka reads standard input when it is absent; a worker has none, so it is required here).", Validators.NonEmptyString)
        .DefineRequired(TopicConfig, ConfigType.List, Importance.High, "The topic to write the lines to.", (name, value) =>
        {
            if (value is List<string> { Count: not 1 } list) throw new ConfigException(name, string.Join(",", list), "Expected exactly one topic");
        })
        .Define(BatchSizeConfig, ConfigType.Int, DefaultBatchSize, Importance.Low, "The most lines one poll returns.", Validators.AtLeast(1));

    private IReadOnlyDictionary<string, string> _config = new Dictionary<string, string>();

    /// <inheritdoc />
    public override ConfigDef Config => Definition;

    /// <inheritdoc />
    public override Type TaskType => typeof(FileStreamSourceTask);

    /// <inheritdoc />
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        Definition.Parse(config);
        _config = config;
    }

    /// <inheritdoc />
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) =>
        // A file is read in order by one reader: always one task.
        [new Dictionary<string, string>
        {
            [FileConfig] = _config[FileConfig],
            [TopicConfig] = _config[TopicConfig].Trim(),
            [BatchSizeConfig] = _config.GetValueOrDefault(BatchSizeConfig) ?? DefaultBatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }];

    /// <inheritdoc />
    public override void Stop() { }
}
