namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// The requests a herder answers (the REST API's operations, Kafka Connect's <c>Herder</c> interface) and their
/// replies. Every request is answered with its reply or a <see cref="HerderError"/>.
/// </summary>
public static class Herder
{
    /// <summary>A request refused: the HTTP status Kafka answers with and a message saying why and what to do.</summary>
    public sealed record HerderError(int Status, string Message);

    /// <summary>Done, with nothing to say.</summary>
    public sealed record Done;

    public sealed record ListConnectors;
    public sealed record ConnectorNames(IReadOnlyList<string> Names);

    /// <summary>Creates <paramref name="Name"/>, or with <paramref name="AllowReplace"/> replaces its config.</summary>
    public sealed record PutConnector(string Name, IReadOnlyDictionary<string, string> Config, bool AllowReplace);

    /// <summary>The connector was created (<paramref name="Created"/>) or its config replaced.</summary>
    public sealed record ConnectorPut(ConnectorInfo Info, bool Created);

    /// <summary>Changes some keys of a connector's config; a null value removes the key.</summary>
    public sealed record PatchConnector(string Name, IReadOnlyDictionary<string, string?> Changes);

    public sealed record GetConnectorInfo(string Name);

    /// <summary>A connector's name, config, tasks and type, as <c>GET /connectors/{name}</c> shows it.</summary>
    public sealed record ConnectorInfo(string Name, IReadOnlyDictionary<string, string> Config, IReadOnlyList<ConnectorTaskId> Tasks, string Type);

    public sealed record GetConnectorStatus(string Name);

    /// <summary>A connector's and its tasks' states, as <c>GET /connectors/{name}/status</c> shows them.</summary>
    public sealed record ConnectorStateInfo(string Name, ConnectStatus Connector, IReadOnlyList<(int Id, ConnectStatus Status)> Tasks, string Type);

    public sealed record GetTaskConfigs(string Name);
    public sealed record TaskConfigs(IReadOnlyList<(ConnectorTaskId Id, IReadOnlyDictionary<string, string> Config)> Tasks);

    public sealed record GetTaskStatus(string Name, int Task);
    public sealed record TaskStateInfo(int Id, ConnectStatus Status);

    /// <summary>Pauses, resumes or stops a connector and its tasks.</summary>
    public sealed record SetTargetState(string Name, TargetState Target);

    /// <summary>Restarts a connector, and with <paramref name="IncludeTasks"/> its tasks (only the failed ones with <paramref name="OnlyFailed"/>).</summary>
    public sealed record RestartConnector(string Name, bool IncludeTasks, bool OnlyFailed);

    public sealed record RestartTask(string Name, int Task);
    public sealed record DeleteConnector(string Name);

    public sealed record GetOffsets(string Name);

    /// <summary>The connector's offsets: a source's partitions and offsets, a sink's topic partitions and Kafka offsets.</summary>
    public sealed record ConnectorOffsets(IReadOnlyList<StoredSourceOffset> Offsets);

    /// <summary>Sets offsets of a stopped connector; a null offset removes the partition's.</summary>
    public sealed record AlterOffsets(string Name, IReadOnlyList<(IReadOnlyDictionary<string, object?> Partition, IReadOnlyDictionary<string, object?>? Offset)> Offsets);

    /// <summary>Removes every offset of a stopped connector.</summary>
    public sealed record ResetOffsets(string Name);

    /// <summary>The outcome of an offsets change, in Kafka's words.</summary>
    public sealed record OffsetsMessage(string Message);
}
