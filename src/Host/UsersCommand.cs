using System.CommandLine;
using System.Text;
using AkkaBroker.Client.Admin;
using AkkaBroker.Protocol.Security;

namespace AkkaBroker.Host;

/// <summary>
/// <c>users</c>: the users' SCRAM credentials that clients authenticate with (Kafka's <c>kafka-configs --entity-type
/// users</c> with <c>SCRAM-SHA-256=[...]</c>). Passwords are salted and hashed by this tool; brokers keep derived keys.
/// </summary>
internal static class UsersCommand
{
    public static Command Create()
    {
        var command = new Command("users", "Create, change, delete and describe users' SCRAM credentials (what SASL clients authenticate with).");
        command.Options.Add(CliCommon.CommandConfig);
        command.Subcommands.Add(Alter());
        command.Subcommands.Add(Describe());
        return command;
    }

    private static Command Alter()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var user = new Option<string>("--user", "--entity-name") { Description = "The user", Required = true };
        var add = new Option<string[]>("--add-config")
        {
            Description = "Credentials to set, as kafka-configs writes them: 'SCRAM-SHA-256=[password=alice-secret]', 'SCRAM-SHA-256=[iterations=8192,password=a],SCRAM-SHA-512=[password=b]' (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var delete = new Option<string[]>("--delete-config") { Description = "A mechanism whose credential to remove: SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable)" };
        var command = new Command("alter", "Set or remove a user's SCRAM credentials.") { bootstrap, user, add, delete };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            var name = parse.GetValue(user)!;
            var alterations = new List<UserScramCredentialAlteration>();
            var specs = new List<ScramCredentialSpec>();
            foreach (var text in parse.GetValue(add) ?? [])
            {
                try
                {
                    specs.AddRange(ScramCredentialSpec.ParseAll(text));
                }
                catch (FormatException e)
                {
                    throw new UsageException($"--add-config: {e.Message}");
                }
            }
            foreach (var spec in specs)
            {
                if (spec.User != null && spec.User != name)
                    throw new UsageException($"--add-config names user '{spec.User}' but --user is '{name}': leave name= out, or make them agree");
                alterations.Add(new UserScramCredentialUpsertion
                {
                    User = name, Password = Encoding.UTF8.GetBytes(spec.Password),
                    ScramCredentialInfo = new ScramCredentialInfo { Mechanism = (Client.Admin.ScramMechanism)spec.Mechanism.Type, Iterations = spec.Iterations },
                });
            }
            foreach (var mechanism in parse.GetValue(delete) ?? [])
                alterations.Add(new UserScramCredentialDeletion
                {
                    User = name,
                    Mechanism = (Client.Admin.ScramMechanism)(Protocol.Security.ScramMechanism.Named(mechanism)?.Type
                        ?? throw new UsageException($"--delete-config {mechanism}: name a mechanism, SCRAM-SHA-256 or SCRAM-SHA-512")),
                });
            if (alterations.Count == 0) throw new UsageException("give --add-config or --delete-config (or both)");
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            await admin.AlterUserScramCredentialsAsync(alterations);
            Console.WriteLine($"Completed updating SCRAM credentials of user '{name}'.");
            return 0;
        }));
        return command;
    }

    private static Command Describe()
    {
        var bootstrap = CliCommon.BootstrapServer();
        var user = new Option<string[]>("--user", "--entity-name") { Description = "Users to describe (repeatable); none: every user" };
        var command = new Command("describe", "Each user's SCRAM mechanisms and iterations (never the credentials themselves).") { bootstrap, user };
        command.SetAction(parse => CliCommon.RunAsync(async () =>
        {
            using var admin = CliCommon.Admin(parse, parse.GetValue(bootstrap)!);
            var result = await admin.DescribeUserScramCredentialsAsync(parse.GetValue(user));
            var failed = false;
            foreach (var d in result.UserScramCredentialsDescriptions)
            {
                if (d.Error.IsError)
                {
                    Console.Error.WriteLine($"User '{d.User}': {d.Error.Reason}");
                    failed = true;
                    continue;
                }
                // Kafka's kafka-configs output: SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=4096
                Console.WriteLine($"SCRAM credential configs for user-principal '{d.User}' are " +
                                  string.Join(", ", d.ScramCredentialInfos.Select(c => $"{(c.Mechanism == Client.Admin.ScramMechanism.ScramSha512 ? "SCRAM-SHA-512" : "SCRAM-SHA-256")}=iterations={c.Iterations}")));
            }
            return failed ? 1 : 0;
        }));
        return command;
    }
}
