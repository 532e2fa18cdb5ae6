using System.CommandLine;
using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Mirror;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace AkkaBroker.Host;

/// <summary>
/// <c>serve</c>: runs a broker until Ctrl-C or SIGTERM. A node that the cluster downs or removes is started again in this
/// process and rejoins (<see cref="BrokerRunner"/>); the exit code tells a supervisor why the process ended.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The exit codes of <c>serve</c> (docs/operations.md, "Exit codes").</summary>
    internal static class ExitCodes
    {
        /// <summary>Stopped on purpose: Ctrl-C or SIGTERM.</summary>
        public const int Stopped = 0;

        /// <summary>Unexpected error (an exception the broker does not handle); also System.CommandLine's code for unknown options.</summary>
        public const int UnexpectedError = 1;

        /// <summary>Bad configuration or a start that cannot succeed: a value not allowed, the port taken, seed nodes unreachable within join-timeout, a broker.id already running.</summary>
        public const int ConfigurationError = 2;

        /// <summary>Downed or removed by the cluster with akkabroker.broker.cluster.rejoin.enable = off (Akka's exit code for a downed node).</summary>
        public const int RemovedFromCluster = 3;
    }

    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "HOCON file layered over the built-in defaults (see hocon/single-node.conf)" };
        var host = new Option<string?>("--host") { Description = "Host name or IP to listen on and advertise, for clients and for other brokers (akka.remote.dot-netty.tcp.hostname; default 127.0.0.1)" };
        var port = new Option<int?>("--port")
        {
            Description = "Port of the client endpoint, where AkkaBroker clients connect: their bootstrap.servers (akkabroker.broker.client-endpoint.port; default 9192; 0 picks a free one)"
        };
        var clusterPort = new Option<int?>("--cluster-port")
        {
            Description = "Port of the cluster endpoint, where brokers and the controller talk: what --seed-nodes lists. Keep it to the brokers' own network " +
                          "(akka.remote.dot-netty.tcp.port; default 9193; 0 picks a free one)"
        };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory of the broker's journal (akkabroker.broker.data-dir; default ./data)" };
        var brokerId = new Option<int?>("--broker-id") { Description = "This node's id, unique among the cluster's brokers and controller nodes (akkabroker.broker.broker.id; default 0)" };
        var processRoles = new Option<string?>("--process-roles")
        {
            Description = "What this node does, as Kafka's process.roles: broker,controller (default), broker (never runs the controller) or controller (runs the controller only: no partitions, no clients) (akkabroker.broker.process.roles)"
        };
        var seedNodes = new Option<string?>("--seed-nodes")
        {
            Description = "Join a cluster through these nodes' cluster endpoints (their --cluster-port), H:P[,H:P...] (akka.cluster.seed-nodes). List the same nodes, in the same order, on every broker; the first one starts the cluster, which comes up once a majority of the listed nodes has joined (akka.cluster.min-nr-of-members). Without it the broker forms a cluster of its own"
        };
        var listeners = new Option<string?>("--listeners")
        {
            Description = "The Kafka-protocol listener, as Kafka's listeners: PLAINTEXT://HOST:PORT, or SASL_PLAINTEXT://HOST:PORT to require authentication (an empty HOST binds every interface; \"\" turns it off) " +
                          "(akkabroker.broker.listeners; default PLAINTEXT://<--host>:9092, moved to a free port with a warning when 9092 is busy)"
        };
        var metricsPort = new Option<int?>("--metrics-port")
        {
            Description = "Port of the HTTP endpoint for Prometheus metrics (/metrics) and health probes (/health/live, /health/ready); 0 turns it off " +
                          "(akkabroker.broker.metrics.prometheus.port; default 9404, moved to a free port with a warning when 9404 is busy)"
        };
        var addScram = new Option<string[]>("--add-scram")
        {
            Description = "Create a user's SCRAM credential when it has none of that mechanism yet, as kafka-storage format --add-scram: " +
                          "'SCRAM-SHA-256=[name=admin,password=admin-secret]' (repeatable; akkabroker.broker.sasl.add-scram). How the first user of a cluster that requires authentication comes to be",
        };
        var logFormat = HostLogging.FormatOption();
        var command = new Command("serve",
            "Start a broker node and serve until Ctrl-C or SIGTERM. A node the cluster downs (e.g. cut off by the network) starts again in this process and rejoins. " +
            "Exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 unexpected error or unknown option; 2 bad configuration or a start that cannot succeed " +
            "(port in use, seed nodes unreachable, broker.id already running); 3 downed or removed by the cluster with akkabroker.broker.cluster.rejoin.enable = off")
            { config, host, port, clusterPort, dataDir, brokerId, processRoles, seedNodes, listeners, metricsPort, addScram, logFormat };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(config);
            if (file != null && !file.Exists)
            {
                Console.Error.WriteLine($"error: --config {file.FullName} does not exist");
                return ExitCodes.ConfigurationError;
            }
            var overrides = new List<string>();
            if (parse.GetValue(host) is { } h) overrides.Add($"akka.remote.dot-netty.tcp.hostname = {Quote(h)}");
            if (parse.GetValue(port) is { } p) overrides.Add($"akkabroker.broker.client-endpoint.port = {p}");
            if (parse.GetValue(clusterPort) is { } cp) overrides.Add($"akka.remote.dot-netty.tcp.port = {cp}");
            if (parse.GetValue(dataDir) is { } d) overrides.Add($"akkabroker.broker.data-dir = {Quote(d)}");
            if (parse.GetValue(brokerId) is { } id) overrides.Add($"akkabroker.broker.broker.id = {id}");
            if (parse.GetValue(listeners) is { } l) overrides.Add($"akkabroker.broker.listeners = {Quote(l)}");
            if (parse.GetValue(metricsPort) is { } mp) overrides.Add($"akkabroker.broker.metrics.prometheus.port = {mp}");
            if (parse.GetValue(addScram) is { Length: > 0 } scram) overrides.Add($"akkabroker.broker.sasl.add-scram = [{string.Join(", ", scram.Select(Quote))}]");
            if (parse.GetValue(logFormat) is { } lf) overrides.Add($"{LoggingSettings.Section}.format = {Quote(lf)}");
            if (parse.GetValue(processRoles) is { } roles) overrides.Add($"akkabroker.broker.process.roles = {Quote(roles)}");
            if (parse.GetValue(seedNodes) is { } seeds)
            {
                if (SeedNodeAddresses(seeds) is not { } addresses)
                {
                    Console.Error.WriteLine($"error: --seed-nodes '{seeds}' must be host:port pairs separated by commas, e.g. 127.0.0.1:9193,127.0.0.1:9203");
                    return ExitCodes.ConfigurationError;
                }
                overrides.Add($"akka.cluster.seed-nodes = [{string.Join(", ", addresses.Select(Quote))}]");
                // The cluster, and so the controller, starts only once a majority of the listed brokers is up: a
                // controller must not start from one broker's possibly stale copy of the metadata.
                overrides.Add($"akka.cluster.min-nr-of-members = {addresses.Count / 2 + 1}");
            }
            Config userConfig;
            try
            {
                userConfig = ConfigurationFactory.ParseString(string.Join("\n", overrides));
                if (file != null)
                {
                    var text = await File.ReadAllTextAsync(file.FullName, ct);
                    // A Kafka server.properties works too: its keys become the broker's, and the rest are refused by name.
                    if (KafkaServerProperties.IsProperties(text)) text = KafkaServerProperties.ToHocon(text);
                    userConfig = userConfig.WithFallback(ConfigurationFactory.ParseString(text));
                }
            }
            catch (Exception e) when (e is ConfigurationException or FormatException)
            {
                Console.Error.WriteLine($"error: the configuration could not be parsed: {e.Message}");
                return ExitCodes.ConfigurationError;
            }
            LoggingSettings logging;
            try
            {
                logging = LoggingSettings.Create(BrokerNode.Compose(BrokerConfigKeys.Normalize(userConfig)));
            }
            catch (BrokerConfigurationException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.ConfigurationError;
            }
            using var log = HostLogging.Create(logging.Format);
            return await RunAsync(userConfig, log);
        });
        return command;
    }

    private static async Task<int> RunAsync(Config userConfig, HostLogging log)
    {
        BrokerRunner runner;
        var runnerLog = log.Factory.CreateLogger<BrokerRunner>();
        try
        {
            runner = await BrokerRunner.StartAsync(userConfig, line => runnerLog.LogWarning("{Event}", line), log.Factory);
        }
        catch (BrokerConfigurationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.ConfigurationError;
        }
        catch (Exception e) when (FindSocketError(e) is System.Net.Sockets.SocketError.AddressAlreadyInUse or System.Net.Sockets.SocketError.AddressNotAvailable)
        {
            var composed = BrokerNode.Compose(userConfig);
            var host = composed.GetString("akka.remote.dot-netty.tcp.hostname");
            var clientHost = composed.GetString("akkabroker.broker.client-endpoint.hostname") is { Length: > 0 } h ? h : host;
            Console.Error.WriteLine($"error: cannot listen on the client endpoint {clientHost}:{composed.GetString("akkabroker.broker.client-endpoint.port")} " +
                                    $"or the cluster endpoint {host}:{composed.GetString("akka.remote.dot-netty.tcp.port")}: {FindSocketError(e)}. Another broker may be running there; " +
                                    "choose other ports with --port and --cluster-port (or akkabroker.broker.client-endpoint.port and akka.remote.dot-netty.tcp.port in the config file), or another --host.");
            return ExitCodes.ConfigurationError;
        }

        var node = runner.Node;
        // A mirror block runs MirrorMaker inside this cluster (sharded streams, a singleton coordinator); a node that
        // rejoins after a downing is a new actor system, so its part starts again there.
        if (userConfig.HasPath("akkabroker.mirror"))
        {
            if (!node.Settings.IsBroker)
            {
                Console.Error.WriteLine("error: akkabroker.mirror is set on a controller-only node (process.roles = controller), which serves no clients: " +
                                        "put the mirror block in the brokers' configs");
                await runner.DisposeAsync();
                return ExitCodes.ConfigurationError;
            }
            try
            {
                var mirror = MirrorMakerSettings.FromHocon(userConfig.GetConfig("akkabroker.mirror"), node.BootstrapServer);
                StartMirror(node, mirror, log);
                runner.Rejoined += rejoined => StartMirror(rejoined, mirror, log);
            }
            catch (MirrorMakerConfigException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                await runner.DisposeAsync();
                return ExitCodes.ConfigurationError;
            }
        }
        // One endpoint for the process, kept across a rejoin: its port is never released and taken again.
        OperatorEndpoint? endpoint;
        try
        {
            endpoint = node.Settings.PrometheusPort == 0 ? null : await OperatorEndpoint.StartForBrokerAsync(node.Settings, () => runner.Node, log.Warn);
        }
        catch (BrokerConfigurationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            await runner.DisposeAsync();
            return ExitCodes.ConfigurationError;
        }
        await using var operatorEndpoint = endpoint;

        PrintListening(node, log);
        if (endpoint != null) log.Status($"metrics: {endpoint.Url}/metrics (health: {endpoint.Url}/health/live, {endpoint.Url}/health/ready)");
        log.Status("ready");
        runner.Rejoined += rejoined =>
        {
            PrintListening(rejoined, log);
            log.Status("ready");
        };

        // Ctrl-C and SIGTERM stop the runner, so that a node between two incarnations (downed, waiting to rejoin) stops
        // too; Akka's own SIGTERM hook (run-by-clr-shutdown-hook) would reach only the ActorSystem running at that moment.
        using var signals = CliCommon.OnStopSignal(() => _ = runner.StopAsync());

        BrokerRunEnd end;
        try
        {
            end = await runner.Completion;
        }
        catch (BrokerConfigurationException e)
        {
            Console.Error.WriteLine($"error: a new node could not rejoin the cluster: {e.Message}");
            return ExitCodes.ConfigurationError;
        }
        if (end == BrokerRunEnd.RemovedFromCluster)
        {
            log.Status("stopped: removed from the cluster");
            return ExitCodes.RemovedFromCluster;
        }
        log.Status("stopped");
        return ExitCodes.Stopped;
    }

    private static void StartMirror(BrokerNode node, MirrorMakerSettings mirror, HostLogging log)
    {
        ClusterMirror.Start(node.System, mirror, hostsStreams: node.Settings.IsBroker);
        log.Status($"mirror: {mirror.NumStreams} stream(s) of group {mirror.GroupId} mirroring {mirror.Topics} into this cluster");
    }

    private static void PrintListening(BrokerNode node, HostLogging log)
    {
        if (node.Settings.IsBroker)
        {
            // The Kafka line first: a script (or test) that waits for the line with bootstrap.servers= then has both.
            log.Status(node.KafkaBootstrapServer is { } kafka
                ? $"Kafka protocol on {kafka} (Kafka clients: bootstrap.servers={kafka})"
                : "Kafka protocol listener off (listeners = \"\")");
            // The client address last, so that the line ends with it as it always has (scripts read what follows bootstrap.servers=).
            log.Status($"AkkaBroker broker {node.Settings.BrokerId}: cluster endpoint {node.SeedNode} (seed-node={node.SeedNode}), " +
                       $"listening for clients on {node.BootstrapServer} (bootstrap.servers={node.BootstrapServer})");
            if (!node.Settings.IsController) log.Status("process.roles = broker: this node never runs the controller");
        }
        else
        {
            // No bootstrap.servers here: a controller-only node has no client gateway. Other nodes may use it as a seed node.
            log.Status($"AkkaBroker controller node {node.Settings.BrokerId} on {node.SeedNode} (seed-node={node.SeedNode})");
            log.Status("process.roles = controller: runs the controller when it is the oldest such node; hosts no partitions and serves no clients, so list brokers, not this node, in bootstrap.servers");
        }
        log.Status($"data: {node.Settings.DatabasePath}");
    }

    private static System.Net.Sockets.SocketError? FindSocketError(Exception? e)
    {
        for (; e != null; e = e.InnerException)
            if (e is System.Net.Sockets.SocketException s) return s.SocketErrorCode;
        return null;
    }

    /// <summary>host:port pairs as Akka addresses of broker nodes, or null when one is not a host:port pair.</summary>
    internal static IReadOnlyList<string>? SeedNodeAddresses(string list)
    {
        var result = new List<string>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part.AsSpan(colon + 1), out var p) || p is < 1 or > 65535) return null;
            result.Add($"akka.tcp://{BrokerNode.ActorSystemName}@{part[..colon]}:{p}");
        }
        return result.Count == 0 ? null : result;
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
