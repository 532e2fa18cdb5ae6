using System.CommandLine;
using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace AkkaBroker.Host;

/// <summary><c>serve</c>: runs a broker until Ctrl-C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "HOCON file layered over the built-in defaults (see hocon/single-node.conf)" };
        var host = new Option<string?>("--host") { Description = "Host name or IP to listen on and advertise (akka.remote.dot-netty.tcp.hostname; default 127.0.0.1)" };
        var port = new Option<int?>("--port") { Description = "Port to listen on (akka.remote.dot-netty.tcp.port; default 9192; 0 picks a free one)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory of the broker's journal (akkabroker.broker.data-dir; default ./data)" };
        var brokerId = new Option<int?>("--broker-id") { Description = "This node's id, unique among the cluster's brokers and controller nodes (akkabroker.broker.broker.id; default 0)" };
        var processRoles = new Option<string?>("--process-roles")
        {
            Description = "What this node does, as Kafka's process.roles: broker,controller (default), broker (never runs the controller) or controller (runs the controller only: no partitions, no clients) (akkabroker.broker.process.roles)"
        };
        var seedNodes = new Option<string?>("--seed-nodes")
        {
            Description = "Join a cluster through these brokers, H:P[,H:P...] (akka.cluster.seed-nodes). List the same nodes, in the same order, on every broker; the first one starts the cluster, which comes up once a majority of the listed nodes has joined (akka.cluster.min-nr-of-members). Without it the broker forms a cluster of its own"
        };
        var command = new Command("serve", "Start a broker node and serve until Ctrl-C or SIGTERM.") { config, host, port, dataDir, brokerId, processRoles, seedNodes };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(config);
            if (file != null && !file.Exists)
            {
                Console.Error.WriteLine($"error: --config {file.FullName} does not exist");
                return 2;
            }
            var overrides = new List<string>();
            if (parse.GetValue(host) is { } h) overrides.Add($"akka.remote.dot-netty.tcp.hostname = {Quote(h)}");
            if (parse.GetValue(port) is { } p) overrides.Add($"akka.remote.dot-netty.tcp.port = {p}");
            if (parse.GetValue(dataDir) is { } d) overrides.Add($"akkabroker.broker.data-dir = {Quote(d)}");
            if (parse.GetValue(brokerId) is { } id) overrides.Add($"akkabroker.broker.broker.id = {id}");
            if (parse.GetValue(processRoles) is { } roles) overrides.Add($"akkabroker.broker.process.roles = {Quote(roles)}");
            if (parse.GetValue(seedNodes) is { } seeds)
            {
                if (SeedNodeAddresses(seeds) is not { } addresses)
                {
                    Console.Error.WriteLine($"error: --seed-nodes '{seeds}' must be host:port pairs separated by commas, e.g. 127.0.0.1:9192,127.0.0.1:9193");
                    return 2;
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
                if (file != null) userConfig = userConfig.WithFallback(ConfigurationFactory.ParseString(await File.ReadAllTextAsync(file.FullName, ct)));
            }
            catch (Exception e) when (e is ConfigurationException or FormatException)
            {
                Console.Error.WriteLine($"error: the configuration could not be parsed: {e.Message}");
                return 2;
            }
            return await RunAsync(userConfig);
        });
        return command;
    }

    private static async Task<int> RunAsync(Config userConfig)
    {
        BrokerNode node;
        try
        {
            node = await BrokerNode.StartAsync(userConfig);
        }
        catch (BrokerConfigurationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (FindSocketError(e) is System.Net.Sockets.SocketError.AddressAlreadyInUse or System.Net.Sockets.SocketError.AddressNotAvailable)
        {
            var address = $"{userConfig.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1")}:{userConfig.GetString("akka.remote.dot-netty.tcp.port", "9192")}";
            Console.Error.WriteLine($"error: cannot listen on {address}: {FindSocketError(e)}. Another broker may be running there; " +
                                    "choose another address with --host/--port (or akka.remote.dot-netty.tcp.* in the config file).");
            return 2;
        }

        MeterProvider? metrics;
        try
        {
            metrics = node.Settings.PrometheusPort == 0
                ? null
                : Sdk.CreateMeterProviderBuilder()
                    .AddMeter(BrokerMetrics.MeterName)
                    .AddPrometheusHttpListener(o => { o.Host = node.Settings.Host; o.Port = node.Settings.PrometheusPort; })
                    .Build();
        }
        catch (Exception e) when (e.InnerException is System.Net.HttpListenerException or System.Net.Sockets.SocketException || e is System.Net.HttpListenerException)
        {
            Console.Error.WriteLine($"error: cannot serve metrics on {node.Settings.Host}:{node.Settings.PrometheusPort}: {(e.InnerException ?? e).Message}. " +
                                    "Another broker on this machine may use that port: give each node its own akkabroker.broker.metrics.prometheus.port (0 turns the endpoint off).");
            await node.DisposeAsync();
            return 2;
        }
        using var metricsProvider = metrics;

        if (node.Settings.IsBroker)
        {
            Console.WriteLine($"AkkaBroker broker {node.Settings.BrokerId} listening on {node.BootstrapServer} (bootstrap.servers={node.BootstrapServer})");
            if (!node.Settings.IsController) Console.WriteLine("process.roles = broker: this node never runs the controller");
        }
        else
        {
            // No bootstrap.servers here: a controller-only node has no client gateway. Other nodes may use it as a seed node.
            Console.WriteLine($"AkkaBroker controller node {node.Settings.BrokerId} on {node.BootstrapServer} (seed-node={node.BootstrapServer})");
            Console.WriteLine("process.roles = controller: runs the controller when it is the oldest such node; hosts no partitions and serves no clients, so list brokers, not this node, in bootstrap.servers");
        }
        Console.WriteLine($"data: {node.Settings.DatabasePath}");
        if (metrics != null) Console.WriteLine($"metrics: http://{node.Settings.Host}:{node.Settings.PrometheusPort}/metrics");
        Console.WriteLine("ready");

        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            _ = node.StopAsync();
        };
        // SIGTERM is handled by Akka's coordinated shutdown (run-by-clr-shutdown-hook).
        await node.System.WhenTerminated;
        Console.WriteLine("stopped");
        return 0;
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
