using System.Text.RegularExpressions;
using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// The keys every connector configuration has, whatever the connector (Kafka Connect's <c>ConnectorConfig</c> and
/// <c>SinkConnectorConfig</c>): its name and class, <c>tasks.max</c>, converter overrides, transforms and predicates,
/// error handling, and for sinks the topics. The connector's own keys are checked by its <see cref="Connector.Config"/>.
/// </summary>
public sealed class ConnectorConfig
{
    public const string Name = "name";
    public const string ConnectorClass = "connector.class";
    public const string TasksMax = "tasks.max";
    public const string KeyConverter = "key.converter";
    public const string ValueConverter = "value.converter";
    public const string Transforms = "transforms";
    public const string Predicates = "predicates";
    public const string ErrorsTolerance = "errors.tolerance";
    public const string ErrorsRetryTimeoutMs = "errors.retry.timeout.ms";
    public const string ErrorsRetryDelayMaxMs = "errors.retry.delay.max.ms";
    public const string ErrorsLogEnable = "errors.log.enable";
    public const string ErrorsLogIncludeMessages = "errors.log.include.messages";
    public const string DlqTopicName = "errors.deadletterqueue.topic.name";
    public const string DlqReplicationFactor = "errors.deadletterqueue.topic.replication.factor";
    public const string DlqContextHeadersEnable = "errors.deadletterqueue.context.headers.enable";

    /// <summary>The keys of every connector.</summary>
    public static readonly ConfigDef Common = new ConfigDef()
        .DefineRequired(Name, ConfigType.String, Importance.High, "Globally unique name of the connector.", Validators.NonEmptyString, "Common")
        .DefineRequired(ConnectorClass, ConfigType.String, Importance.High, "The connector's class: a .NET full name, Kafka's class name, or a short name such as FileStreamSource.", group: "Common")
        .Define(TasksMax, ConfigType.Int, 1, Importance.High, "Most tasks the connector may run.", Validators.AtLeast(1), "Common")
        .Define(KeyConverter, ConfigType.Class, null, Importance.Low, "Overrides the worker's key converter for this connector.", group: "Common")
        .Define(ValueConverter, ConfigType.Class, null, Importance.Low, "Overrides the worker's value converter for this connector.", group: "Common")
        .Define(Transforms, ConfigType.List, "", Importance.Low, "Aliases of the transforms applied to records, in order; each configured under transforms.{alias}.", group: "Transforms")
        .Define(Predicates, ConfigType.List, "", Importance.Low, "Aliases of predicates transforms can be conditioned on; each configured under predicates.{alias}.", group: "Predicates")
        .Define(ErrorsRetryTimeoutMs, ConfigType.Long, 0L, Importance.Medium, "How long a failed operation is retried; 0: never, -1: forever.", Validators.AtLeast(-1), "Error Handling")
        .Define(ErrorsRetryDelayMaxMs, ConfigType.Long, 60_000L, Importance.Medium, "The longest wait between retries.", Validators.AtLeast(1), "Error Handling")
        .Define(ErrorsTolerance, ConfigType.String, "none", Importance.Medium, "none: an error fails the task; all: records that fail are skipped (and logged or sent to the dead letter queue).", Validators.In("none", "all"), "Error Handling")
        .Define(ErrorsLogEnable, ConfigType.Boolean, false, Importance.Medium, "Log each failed operation and record.", group: "Error Handling")
        .Define(ErrorsLogIncludeMessages, ConfigType.Boolean, false, Importance.Medium, "Include the record's topic, partition, offset, key and value in the log.", group: "Error Handling");

    /// <summary>The keys only sink connectors have.</summary>
    public static readonly ConfigDef SinkOnly = new ConfigDef()
        .Define(SinkConnector.TopicsConfig, ConfigType.List, "", Importance.High, "The topics to consume, separated by commas.", group: "Common")
        .Define(SinkConnector.TopicsRegexConfig, ConfigType.String, "", Importance.High, "A regular expression of the topics to consume, instead of topics.", group: "Common")
        .Define(DlqTopicName, ConfigType.String, "", Importance.Medium, "Topic failed records are written to; empty: none.", group: "Error Handling")
        .Define(DlqReplicationFactor, ConfigType.Short, (short)3, Importance.Medium, "Replication factor of the dead letter queue topic when the worker creates it.", group: "Error Handling")
        .Define(DlqContextHeadersEnable, ConfigType.Boolean, false, Importance.Medium, "Add headers saying where and why each record failed (__connect.errors.*).", group: "Error Handling");

    /// <summary>The definition for a connector of <paramref name="kind"/>.</summary>
    public static ConfigDef Definition(PluginKind kind) => kind == PluginKind.Sink ? Common.Merge(SinkOnly) : Common;

    private readonly IReadOnlyDictionary<string, object?> _values;

    private ConnectorConfig(IReadOnlyDictionary<string, string> originals, IReadOnlyDictionary<string, object?> values, PluginDescriptor plugin)
    {
        Originals = originals;
        _values = values;
        Plugin = plugin;
    }

    /// <summary>Checks the common keys of <paramref name="props"/> and finds the connector class.</summary>
    /// <exception cref="ConfigException">a key is invalid, the class is unknown, or a sink names no topics or both topics and topics.regex.</exception>
    public static ConnectorConfig Parse(IReadOnlyDictionary<string, string> props, PluginRegistry plugins)
    {
        if (!props.TryGetValue(ConnectorClass, out var className))
            throw new ConfigException($"Missing required configuration \"{ConnectorClass}\" which has no default value.");
        var plugin = plugins.Find(ConnectorClass, className, PluginKind.Source, PluginKind.Sink);
        var values = Definition(plugin.Kind).Parse(props);
        var config = new ConnectorConfig(props, values, plugin);
        if (plugin.Kind == PluginKind.Sink) config.SinkTopicsError()?.Throw();
        return config;
    }

    /// <summary>The keys as given.</summary>
    public IReadOnlyDictionary<string, string> Originals { get; }

    /// <summary>The connector's plugin.</summary>
    public PluginDescriptor Plugin { get; }

    /// <summary>The connector's name.</summary>
    public string ConnectorName => (string)_values[Name]!;

    /// <summary>tasks.max.</summary>
    public int MaxTasks => (int)_values[TasksMax]!;

    /// <summary>errors.tolerance=all.</summary>
    public bool ToleratesAll => string.Equals((string?)_values[ErrorsTolerance], "all", StringComparison.OrdinalIgnoreCase);

    /// <summary>The typed value of <paramref name="key"/>.</summary>
    public T Get<T>(string key) => (T)_values[key]!;

    /// <summary>The typed value of <paramref name="key"/>, or the default of T when absent.</summary>
    public T? GetOrDefault<T>(string key) => _values.TryGetValue(key, out var v) && v is T t ? t : default;

    /// <summary>The sink's topics (empty when it uses a regular expression).</summary>
    public IReadOnlyList<string> SinkTopics => GetOrDefault<List<string>>(SinkConnector.TopicsConfig) ?? [];

    /// <summary>The sink's topic pattern, or null.</summary>
    public Regex? SinkTopicsRegex => GetOrDefault<string>(SinkConnector.TopicsRegexConfig) is { Length: > 0 } r ? new Regex(r) : null;

    /// <summary>The keys under <paramref name="prefix"/> with the prefix removed.</summary>
    public Dictionary<string, string> WithPrefix(string prefix) =>
        Originals.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value);

    /// <summary>Why a sink's topic keys are wrong, or null when they are right.</summary>
    internal ConfigError? SinkTopicsError() => SinkTopicsError(_values);

    /// <summary>
    /// Why the sink topic keys of <paramref name="props"/> are wrong, or null when they are right or do not parse (a key
    /// that does not parse is reported on its own key by <see cref="ConfigDef.Validate"/>).
    /// </summary>
    internal static ConfigError? SinkTopicsError(IReadOnlyDictionary<string, string> props)
    {
        try
        {
            return SinkTopicsError(SinkOnly.Parse(props));
        }
        catch (ConfigException)
        {
            return null;
        }
    }

    private static ConfigError? SinkTopicsError(IReadOnlyDictionary<string, object?> values)
    {
        var topics = values.GetValueOrDefault(SinkConnector.TopicsConfig) as List<string> ?? [];
        var regex = values.GetValueOrDefault(SinkConnector.TopicsRegexConfig) as string ?? "";
        if (topics.Count > 0 && regex.Length > 0)
            return new ConfigError(SinkConnector.TopicsConfig, "topics and topics.regex are mutually exclusive options, but both are set.");
        if (topics.Count == 0 && regex.Length == 0)
            return new ConfigError(SinkConnector.TopicsConfig, "Must configure one of topics or topics.regex");
        if (regex.Length > 0)
        {
            try { _ = new Regex(regex); }
            catch (ArgumentException e) { return new ConfigError(SinkConnector.TopicsRegexConfig, $"Invalid value {regex} for configuration topics.regex: {e.Message}"); }
        }
        var dlq = values.GetValueOrDefault(DlqTopicName) as string ?? "";
        if (dlq.Length > 0 && (topics.Contains(dlq) || regex.Length > 0 && Regex.IsMatch(dlq, regex)))
            return new ConfigError(DlqTopicName, $"The DLQ topic '{dlq}' may not be included in the list of topics ('{SinkConnector.TopicsConfig}' or '{SinkConnector.TopicsRegexConfig}') to be consumed.");
        return null;
    }
}

/// <summary>A refused key and why.</summary>
internal sealed record ConfigError(string Key, string Message)
{
    public void Throw() => throw new ConfigException(Message);
}
