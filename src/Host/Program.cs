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
    PerfCommand.Create(),
};
// SIGTERM is left to Akka's coordinated shutdown (run-by-clr-shutdown-hook); Ctrl-C is handled by each command.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
