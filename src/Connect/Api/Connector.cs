using AkkaBroker.Connect.Config;

namespace AkkaBroker.Connect;

/// <summary>
/// A connector: configured once, it splits its work into task configurations, which the worker runs as tasks on any
/// worker of the group (Kafka Connect's <c>Connector</c>). Derive from <see cref="SourceConnector"/> or
/// <see cref="SinkConnector"/>. The worker calls <see cref="Initialize"/>, <see cref="Start"/>,
/// <see cref="TaskConfigs"/> and later <see cref="Stop"/>, all from one thread at a time; a connector must have a
/// public parameterless constructor.
/// </summary>
public abstract class Connector
{
    /// <summary>The worker's services for this connector; set before <see cref="Start"/>.</summary>
    protected IConnectorContext Context { get; private set; } = null!;

    /// <summary>The connector's version, shown by <c>GET /connector-plugins</c>. Defaults to its assembly's version.</summary>
    public virtual string Version => GetType().Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Called once before <see cref="Start"/>.</summary>
    public virtual void Initialize(IConnectorContext context) => Context = context;

    /// <summary>Starts the connector with its validated configuration (the strings given by the user).</summary>
    /// <exception cref="ConnectException">the connector cannot start; its status becomes FAILED with the message.</exception>
    public abstract void Start(IReadOnlyDictionary<string, string> config);

    /// <summary>The task class this connector's configurations are run by; it must derive from <see cref="SourceTask"/> or <see cref="SinkTask"/> to match.</summary>
    public abstract Type TaskType { get; }

    /// <summary>At most <paramref name="maxTasks"/> task configurations (<c>tasks.max</c>); one task is started per entry.</summary>
    public abstract IReadOnlyList<IReadOnlyDictionary<string, string>> TaskConfigs(int maxTasks);

    /// <summary>Stops the connector; its tasks are stopped first.</summary>
    public abstract void Stop();

    /// <summary>The keys the connector accepts, for validation and for the REST API's validate endpoint.</summary>
    public abstract ConfigDef Config { get; }

    /// <summary>
    /// Validates <paramref name="connectorConfig"/>: by default each key of <see cref="Config"/> on its own. Override to
    /// add checks between keys, adding messages to the returned values' errors.
    /// </summary>
    public virtual IReadOnlyList<ConfigValue> Validate(IReadOnlyDictionary<string, string> connectorConfig) => Config.Validate(connectorConfig);
}

/// <summary>A connector that reads an external system into topics.</summary>
public abstract class SourceConnector : Connector;

/// <summary>A connector that writes topics into an external system.</summary>
public abstract class SinkConnector : Connector
{
    /// <summary>The key that lists the topics a sink consumes (comma-separated).</summary>
    public const string TopicsConfig = "topics";

    /// <summary>The key with a regular expression of the topics a sink consumes, instead of <see cref="TopicsConfig"/>.</summary>
    public const string TopicsRegexConfig = "topics.regex";
}

/// <summary>What the worker offers a running connector.</summary>
public interface IConnectorContext
{
    /// <summary>Asks the worker to call <see cref="Connector.TaskConfigs"/> again and restart the tasks if they changed (the external system's shape changed).</summary>
    void RequestTaskReconfiguration();

    /// <summary>Fails the connector from outside a worker callback (a background thread of the connector found a fatal problem).</summary>
    void RaiseError(Exception error);

    /// <summary>The worker's log, for what an operator must hear of (safe from any thread); a context outside a worker logs nowhere.</summary>
    Akka.Event.ILoggingAdapter Log => Akka.Event.NoLogger.Instance;
}
