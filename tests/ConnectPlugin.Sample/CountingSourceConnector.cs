using AkkaBroker.Connect;
using AkkaBroker.Connect.Config;

namespace ConnectPlugin.Sample;

/// <summary>
/// Emits <c>count</c> numbered records per task into <c>topic</c>: task <c>t</c> sends values <c>t-0</c> to
/// <c>t-(count-1)</c> with the number as key, then nothing. Each record's source offset is its number, so a restarted
/// task goes on after the last stored one.
/// </summary>
public sealed class CountingSourceConnector : SourceConnector
{
    public const string TopicConfig = "topic";
    public const string CountConfig = "count";
    public const string TaskNumberConfig = "task.number";

    private static readonly ConfigDef Definition = new ConfigDef()
        .DefineRequired(TopicConfig, ConfigType.String, Importance.High, "The topic the records go to.", Validators.NonEmptyString)
        .Define(CountConfig, ConfigType.Int, 10, Importance.Medium, "How many records each task emits.", Validators.AtLeast(0));

    private IReadOnlyDictionary<string, string> _config = new Dictionary<string, string>();

    /// <inheritdoc />
    public override string Version => "1.2.3-sample";

    /// <inheritdoc />
    public override ConfigDef Config => Definition;

    /// <inheritdoc />
    public override Type TaskType => typeof(CountingSourceTask);

    /// <inheritdoc />
    public override void Start(IReadOnlyDictionary<string, string> config)
    {
        Definition.Parse(config);
        _config = config;
    }

    /// <inheritdoc />
    public override IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks) =>
        Enumerable.Range(0, maxTasks).Select(task => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>
        {
            [TopicConfig] = _config[TopicConfig],
            [CountConfig] = _config.GetValueOrDefault(CountConfig) ?? "10",
            [TaskNumberConfig] = task.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).ToList();

    /// <inheritdoc />
    public override void Stop() { }
}
