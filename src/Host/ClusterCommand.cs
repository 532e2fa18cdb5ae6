using System.CommandLine;

namespace AkkaBroker.Host;

/// <summary><c>cluster describe</c>: the live brokers, the controller and its epoch.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var command = new Command("cluster", "Describe the cluster, and unregister nodes that are gone for good.");
        command.Options.Add(CliCommon.CommandConfig);
        var bootstrap = CliCommon.BootstrapServer();
        var describe = new Command("describe", "The live brokers, which node runs the controller (a broker or a controller-only node), and the controller epoch.") { bootstrap };
        describe.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var cluster = await admin.DescribeClusterAsync();
            var controllerId = cluster.Controller?.Id ?? -1;
            var dedicated = cluster.Nodes.All(b => b.Id != controllerId) ? " (controller-only node)" : "";
            Console.WriteLine($"Controller: {controllerId}{dedicated}\tControllerEpoch: {cluster.ControllerEpoch}\tBrokers: {cluster.Nodes.Count}");
            foreach (var b in cluster.Nodes.OrderBy(b => b.Id))
                Console.WriteLine($"\tBroker: {b.Id}\tAddress: {b.Host}:{b.Port}{(b.Id == controllerId ? "\t(controller)" : "")}");
            return 0;
        }));
        command.Subcommands.Add(describe);
        var unregisterBootstrap = CliCommon.BootstrapServer();
        var id = new Option<int>("--id") { Description = "The node id (broker.id) to unregister", Required = true };
        var unregister = new Command("unregister",
            "Forget a node that is stopped for good and holds no replicas (Kafka's kafka-cluster unregister), the last step of decommissioning it.")
            { unregisterBootstrap, id };
        unregister.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(unregisterBootstrap)!);
            await admin.UnregisterBrokerAsync(parse.GetValue(id));
            Console.WriteLine($"Unregistered node {parse.GetValue(id)}.");
            return 0;
        }));
        command.Subcommands.Add(unregister);
        return command;
    }
}
