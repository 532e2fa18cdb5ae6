using System.CommandLine;
using AkkaBroker.Host;

// With no command, start a broker: `dotnet run --project src/Host -c Release` is all a new user types.
if (args.Length == 0) args = ["serve"];

var root = new RootCommand("AkkaBroker: a Kafka-semantics commit-log broker on Akka.NET, and its console tools.")
{
    ServeCommand.Create(),
    TopicsCommand.Create(),
    ProduceConsumeCommands.Produce(),
    ProduceConsumeCommands.Consume(),
    VerifiableProducerCommand.Create(),
    VerifiableConsumerCommand.Create(),
    GroupsCommand.Create(),
    ClusterCommand.Create(),
    UsersCommand.Create(),
    AclsCommand.Create(),
    LeaderElectionCommand.Create(),
    ReassignPartitionsCommand.Create(),
    LogDirsCommand.Create(),
    ConfigsCommand.Create(),
    PerfCommand.Create(),
    MirrorMakerCommand.Create(),
    ConnectCommand.Create(),
};
// serve handles Ctrl-C and SIGTERM itself (it stops its broker runner, also between two node incarnations); the tools
// handle Ctrl-C, and SIGTERM runs Akka's coordinated shutdown of their client (run-by-clr-shutdown-hook).
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
