using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Files;

/// <summary>
/// Appends the values of a topic's records to a file, one line each, as Kafka's <c>FileStreamSinkConnector</c>: keys
/// <c>file</c> and <c>topics</c> (or <c>topics.regex</c>). One task per <c>tasks.max</c> would write one file from
/// several writers, so it runs one task.
/// </summary>
[PluginAlias("org.apache.kafka.connect.file.FileStreamSinkConnector")]
public sealed class FileStreamSinkConnector : SinkConnector
{
    public const string FileConfig = "file";

    private static readonly ConfigDef Definition = new ConfigDef()
        .DefineRequired(FileConfig, ConfigType.String, Importance.High, "The file to append the records' values to (Kafka writes standard output when it is absent; a worker has none, so it is required here).", Validators.NonEmptyString);

    private IReadOnlyDictionary<string, string> _config = new Dictionary<string, string>();

    /// <inheritdoc />
    public override ConfigDef Config => Definition;

    /// <inheritdoc />
    public override Type TaskType => typeof(FileStreamSinkTask);

    /// <inheritdoc />
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        Definition.Parse(config);
        _config = config;
    }

    /// <inheritdoc />
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) => [new Dictionary<string, string>(_config)];

    /// <inheritdoc />
    public override void Stop() { }
}
