using System.CommandLine;

namespace AkkaBroker.Host;

/// <summary><c>cluster describe</c>: the live brokers, the controller and its epoch.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var command = new Command("cluster", "Describe the broker cluster.");
        command.Options.Add(CliCommon.CommandConfig);
        var bootstrap = CliCommon.BootstrapServer();
        var describe = new Command("describe", "The live brokers, which node runs the controller (a broker or a controller-only node), and the controller epoch.") { bootstrap };
        describe.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var cluster = await admin.DescribeClusterAsync();
            var dedicated = cluster.Brokers.All(b => b.BrokerId != cluster.ControllerId) ? " (controller-only node)" : "";
            Console.WriteLine($"Controller: {cluster.ControllerId}{dedicated}\tControllerEpoch: {cluster.ControllerEpoch}\tBrokers: {cluster.Brokers.Count}");
            foreach (var b in cluster.Brokers.OrderBy(b => b.BrokerId))
                Console.WriteLine($"\tBroker: {b.BrokerId}\tAddress: {b.Host}:{b.Port}{(b.BrokerId == cluster.ControllerId ? "\t(controller)" : "")}");
            return 0;
        }));
        command.Subcommands.Add(describe);
        return command;
    }
}
