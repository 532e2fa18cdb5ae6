using System.Text;
using AkkaBroker.Connect.Runtime;
using AkkaBroker.Connect.Runtime.Distributed;
using Xunit;

namespace AkkaBroker.Tests.Connect.Runtime.Distributed;

/// <summary>
/// A worker group's shared state as the config and status topics build it: connectors, target states, task configs
/// made current only by their commit, statuses, deletions.
/// </summary>
public sealed class ConnectClusterStateTests
{
    private static readonly Dictionary<string, string> Config = new() { ["name"] = "my-connector", ["connector.class"] = "FileStreamSource", ["topic"] = "t" };

    private static void Apply(ConnectClusterState state, (string Key, byte[]? Value) record) => state.ApplyConfig(record.Key, record.Value);

    [Fact]
    public void A_connector_record_creates_the_connector_and_a_tombstone_removes_it_with_its_tasks()
    {
        var state = new ConnectClusterState();
        Apply(state, ConnectClusterState.ConnectorRecord("my-connector", Config));
        foreach (var record in ConnectClusterState.TaskRecords("my-connector", [new Dictionary<string, string> { ["k"] = "v" }])) Apply(state, record);
        Assert.Equal(["my-connector"], state.ConnectorNames);
        Assert.Equal(Config, state.Config("my-connector"));
        Assert.Single(state.Tasks("my-connector"));

        Apply(state, ConnectClusterState.ConnectorRecord("my-connector", null));
        Assert.Empty(state.ConnectorNames);
        Assert.Null(state.Config("my-connector"));
        Assert.Empty(state.Tasks("my-connector"));
    }

    [Fact]
    public void Task_configs_become_current_only_with_their_commit_and_only_when_every_task_record_came()
    {
        var state = new ConnectClusterState();
        Apply(state, ConnectClusterState.ConnectorRecord("c", Config));
        var records = ConnectClusterState.TaskRecords("c", [new Dictionary<string, string> { ["n"] = "0" }, new Dictionary<string, string> { ["n"] = "1" }]).ToList();
        Assert.Equal(["task-c-0", "task-c-1", "commit-c"], records.Select(r => r.Key));

        Apply(state, records[0]);
        Apply(state, records[1]);
        Assert.Empty(state.Tasks("c"));
        Apply(state, records[2]);
        Assert.Equal(["0", "1"], state.Tasks("c").Select(t => t["n"]));
        Assert.Equal([new ConnectorTaskId("c", 0), new ConnectorTaskId("c", 1)], state.AllTasks());

        // A commit of three tasks whose third record never came is ignored.
        Apply(state, ("task-c-0", records[0].Value));
        Apply(state, ("commit-c", Encoding.UTF8.GetBytes("{\"tasks\":3}")));
        Assert.Equal(2, state.Tasks("c").Count);
    }

    [Fact]
    public void Target_states_default_to_started_and_stopped_connectors_have_no_tasks_to_run()
    {
        var state = new ConnectClusterState();
        Apply(state, ConnectClusterState.ConnectorRecord("c", Config));
        foreach (var record in ConnectClusterState.TaskRecords("c", [new Dictionary<string, string>()])) Apply(state, record);
        Assert.Equal(TargetState.Started, state.Target("c"));
        Apply(state, ConnectClusterState.TargetRecord("c", TargetState.Paused));
        Assert.Equal(TargetState.Paused, state.Target("c"));
        Assert.Single(state.AllTasks());
        Apply(state, ConnectClusterState.TargetRecord("c", TargetState.Stopped));
        Assert.Empty(state.AllTasks());
    }

    [Fact]
    public void Statuses_of_connectors_and_tasks_with_dashes_in_their_names_are_kept_apart()
    {
        var state = new ConnectClusterState();
        var connector = ConnectClusterState.StatusRecord(ConnectClusterState.ConnectorStatusKey("a-b"), new ConnectStatus(ConnectState.Running, "h:1"));
        var task = ConnectClusterState.StatusRecord(ConnectClusterState.TaskStatusKey(new ConnectorTaskId("a-b", 12)), new ConnectStatus(ConnectState.Failed, "h:2", "boom"));
        state.ApplyStatus(connector.Key, connector.Value);
        state.ApplyStatus(task.Key, task.Value);
        Assert.Equal(new ConnectStatus(ConnectState.Running, "h:1"), state.ConnectorStatus("a-b"));
        Assert.Equal(new ConnectStatus(ConnectState.Failed, "h:2", "boom"), state.TaskStatus(new ConnectorTaskId("a-b", 12)));

        state.ApplyStatus(task.Key, null);
        Assert.Null(state.TaskStatus(new ConnectorTaskId("a-b", 12)));
    }
}
