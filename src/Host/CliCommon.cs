using System.CommandLine;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;

namespace AkkaBroker.Host;

/// <summary>Options and helpers shared by the console tools.</summary>
internal static class CliCommon
{
    public static Option<string> BootstrapServer() => new("--bootstrap-server")
    {
        Description = "Broker to connect to, host:port (e.g. 127.0.0.1:9192)",
        Required = true,
    };

    public static Option<string> Topic(bool required = true) => new("--topic")
    {
        Description = "Topic name",
        Required = required,
    };

    /// <summary>
    /// Kafka's <c>--command-config</c>: the admin client's properties (timeouts, client.id) from a Java properties file,
    /// as kafka-topics.sh and kafka-consumer-groups.sh take it. Given to <c>topics</c>, <c>groups</c> and <c>cluster</c>,
    /// it holds for their subcommands.
    /// </summary>
    public static readonly Option<FileInfo?> CommandConfig = new("--command-config")
    {
        Description = "Properties file of the admin client's configuration (Kafka client keys, e.g. client.id, request.timeout.ms)",
        Recursive = true,
    };

    /// <summary>A client properties file given with <paramref name="option"/> (none: no properties).</summary>
    /// <exception cref="UsageException">the file does not exist.</exception>
    public static Dictionary<string, string> ClientProperties(FileInfo? file, string option)
    {
        if (file == null) return new Dictionary<string, string>(StringComparer.Ordinal);
        if (!file.Exists) throw new UsageException($"{option} {file.FullName} does not exist");
        return AkkaBroker.Mirror.JavaProperties.Parse(File.ReadAllText(file.FullName));
    }

    /// <summary>An admin client for the tools that manage topics and groups; a broker it cannot reach is said on stderr.</summary>
    /// <param name="parse">For <see cref="CommandConfig"/>, when the command has it.</param>
    /// <param name="bootstrap">The --bootstrap-server, over the file's bootstrap.servers.</param>
    public static IAdminClient Admin(ParseResult? parse, string? bootstrap) =>
        new AdminClientBuilder(new AdminClientConfig(ClientProperties(parse?.GetValue(CommandConfig), "--command-config")) { BootstrapServers = bootstrap })
            .SetErrorHandler((_, e) => Warn(e)).Build();

    /// <summary>An admin client that reaches the cluster as the tool's producer or consumer does (its address, TLS and SASL).</summary>
    public static IAdminClient Admin(ClientConfig client) =>
        new AdminClientBuilder(new AdminClientConfig(ClientConfig.ConnectionOf(client))).SetErrorHandler((_, e) => Warn(e)).Build();

    /// <summary>
    /// A client's error event (a broker it cannot reach) as a warning on stderr: the tool keeps trying until its own
    /// timeout, and the user sees why it waits. Standard output stays the tool's data.
    /// </summary>
    public static void Warn(Error error) => Console.Error.WriteLine($"warning: {error.Reason}");

    /// <summary>A repeatable <c>key=value</c> option.</summary>
    public static Option<string[]> KeyValues(string name, string description) => new(name)
    {
        Description = description + " (key=value, repeatable)",
        AllowMultipleArgumentsPerToken = true,
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <exception cref="UsageException">an entry is not key=value.</exception>
    public static Dictionary<string, string> ParseKeyValues(string option, IEnumerable<string>? entries)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries ?? [])
        {
            var eq = entry.IndexOf('=');
            if (eq <= 0) throw new UsageException($"{option} expects key=value, got '{entry}'");
            map[entry[..eq].Trim()] = entry[(eq + 1)..];
        }
        return map;
    }

    /// <summary>
    /// Calls <paramref name="stop"/> on Ctrl-C and on SIGTERM instead of letting either end the process, so a long-running
    /// command stops cleanly (commits, leaves its group) however it is asked to; dispose the result to stop listening.
    /// </summary>
    public static IDisposable OnStopSignal(Action stop)
    {
        ConsoleCancelEventHandler ctrlC = (_, e) =>
        {
            e.Cancel = true;
            stop();
        };
        Console.CancelKeyPress += ctrlC;
        var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop();
        });
        return new StopSignalRegistration(ctrlC, sigterm);
    }

    private sealed class StopSignalRegistration(ConsoleCancelEventHandler ctrlC, IDisposable sigterm) : IDisposable
    {
        public void Dispose()
        {
            Console.CancelKeyPress -= ctrlC;
            sigterm.Dispose();
        }
    }

    /// <summary>Runs a tool body, turning client errors into a message on stderr and exit code 1.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
        catch (KafkaException e)
        {
            foreach (var error in Failures(e)) await Console.Error.WriteLineAsync($"error: {error}");
            return 1;
        }
    }

    /// <summary>What failed: for an admin request about several things, each thing's own error rather than the whole's Local_Partial.</summary>
    private static IEnumerable<Error> Failures(KafkaException e)
    {
        IEnumerable<Error> each = e switch
        {
            CreateTopicsException x => x.Results.Select(r => r.Error),
            DeleteTopicsException x => x.Results.Select(r => r.Error),
            CreatePartitionsException x => x.Results.Select(r => r.Error),
            DescribeConfigsException x => x.Results.Select(r => r.Error),
            IncrementalAlterConfigsException x => x.Results.Select(r => r.Error),
            DeleteGroupsException x => x.Results.Select(r => r.Error),
            DeleteRecordsException x => x.Results.Select(r => r.Error),
            AlterConsumerGroupOffsetsException x => x.Results.Select(r => r.Error),
            ListConsumerGroupOffsetsException x => x.Results.Select(r => r.Error),
            ListOffsetsException x => x.Result.ResultInfos.Select(i => i.TopicPartitionOffsetError.Error),
            DeleteConsumerGroupOffsetsException x => x.Result.Partitions.Count == 0 ? [x.Result.Error] : x.Result.Partitions.Select(p => p.Error),
            ElectLeadersException x => x.Results.TopicPartitions.Select(p => p.Error),
            AlterPartitionReassignmentsException x => x.Results.Select(p => p.Error),
            DescribeConsumerGroupsException x => x.Results.ConsumerGroupDescriptions.Select(d => d.Error),
            _ => [e.Error],
        };
        return each.Where(error => error.IsError).DefaultIfEmpty(e.Error);
    }
}

/// <summary>Bad command-line input; the message says what to change.</summary>
internal sealed class UsageException(string message) : Exception(message);
