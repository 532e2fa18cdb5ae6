using System.Net;
using Akka.Actor;
using Akka.Cluster;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Mirror;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace AkkaBroker.Host;

/// <summary>
/// A process's HTTP endpoint for operators: Prometheus metrics at <c>/metrics</c>, and the probes load balancers and
/// Kubernetes use, <c>/health/live</c> (the process answers) and <c>/health/ready</c>. A broker's is on
/// <c>akkabroker.broker.metrics.prometheus.port</c> (ready: the node is up in the cluster and, on a broker, its client
/// gateway answers with a controller known); <c>mirror-maker</c>'s on its <c>--metrics-port</c>. One endpoint per
/// process: the instruments are process-wide (<see cref="BrokerMetrics"/>), so a node started again after a downing
/// reports through the same port, and readiness asks whichever node runs now.
/// </summary>
internal sealed class OperatorEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeterProvider _meters;

    private OperatorEndpoint(WebApplication app, MeterProvider meters, string url)
    {
        _app = app;
        _meters = meters;
        Url = url;
    }

    /// <summary>Where the endpoint serves, e.g. <c>http://127.0.0.1:9404</c> (<c>https://</c> with <c>metrics.prometheus.ssl</c>).</summary>
    public string Url { get; }

    /// <summary>
    /// A broker's endpoint, on its host and <c>metrics.prometheus.port</c>. A busy default port (the port was not
    /// configured) moves it to a free port and says so through <paramref name="warn"/>; a busy port that was asked for
    /// is a configuration error.
    /// </summary>
    /// <exception cref="BrokerConfigurationException">the port asked for is in use or cannot be bound.</exception>
    public static async Task<OperatorEndpoint> StartForBrokerAsync(BrokerSettings settings, Func<BrokerNode> node, Action<string> warn)
    {
        const string key = BrokerSettings.Section + ".metrics.prometheus.port";
        string[] meters = [BrokerMetrics.MeterName, MirrorMetrics.MeterName];
        var ready = new BrokerReadyCheck(node);
        // Read before anything is bound, so that a bad file stops the start naming the key.
        var certificate = settings.MetricsTls.Enabled ? settings.MetricsTls.Certificate() : null;
        try
        {
            var address = ResolveHost(settings.Host);
            try
            {
                return await StartOnAsync(address, settings.PrometheusPort, meters, ready, certificate);
            }
            catch (IOException e) when (!settings.PrometheusPortRequested && e.InnerException is AddressInUseException)
            {
                var moved = await StartOnAsync(address, 0, meters, ready, certificate);
                warn($"warning: the metrics port {settings.PrometheusPort} is in use (another broker on this machine?); metrics and health " +
                     $"are served on {moved.Url} instead. Give each node its own port with serve --metrics-port N ({key}; 0 turns the endpoint off).");
                return moved;
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw new BrokerConfigurationException(key, settings.PrometheusPort.ToString(),
                $"a port this broker can serve on {settings.Host} ({e.Message}); another broker on this machine may use it: give each node its own (serve --metrics-port N), or 0 to turn the endpoint off");
        }
    }

    /// <summary>An endpoint for <paramref name="meterNames"/> on exactly <paramref name="host"/>:<paramref name="port"/>; ready whenever live.</summary>
    /// <exception cref="IOException">the port is in use or cannot be bound.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">the host does not resolve or is not an address of this machine.</exception>
    public static Task<OperatorEndpoint> StartAsync(string host, int port, params string[] meterNames) =>
        StartOnAsync(ResolveHost(host), port, meterNames, null);

    private static async Task<OperatorEndpoint> StartOnAsync(IPAddress address, int port, string[] meterNames, IHealthCheck? ready,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meterNames)
            .AddPrometheusExporter()
            .Build();
        // Content root: the program's own folder, never the working directory (which may hold the broker's data).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // The broker reports its own start and failures; Kestrel's request logging would only add noise to its console.
        builder.Logging.ClearProviders();
        // The process handles its own signals (serve stops its broker on SIGTERM); the endpoint is stopped with it.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, NoSignalsLifetime>();
        builder.WebHost.UseKestrel(k => k.Listen(address, port, listen =>
        {
            if (certificate != null) listen.UseHttps(certificate);
        }));
        var checks = builder.Services.AddHealthChecks();
        if (ready != null) checks.AddCheck("ready", ready, tags: ["ready"]);
        var app = builder.Build();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meters, null, "/metrics", null, null);
        // Live: the process answers HTTP at all; no check runs, so a busy broker is not restarted for being slow.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteReport });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteReport });
        try
        {
            await app.StartAsync();
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                        ?? throw new InvalidOperationException("the metrics endpoint started without an address");
            var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
            return new OperatorEndpoint(app, meters, $"{(certificate != null ? "https" : "http")}://{host}:{new Uri(bound).Port}");
        }
        catch
        {
            await app.DisposeAsync();
            meters.Dispose();
            throw;
        }
    }

    /// <summary>A host lifetime that leaves SIGINT, SIGTERM and SIGQUIT to the process (ASP.NET Core's would take them).</summary>
    private sealed class NoSignalsLifetime : Microsoft.Extensions.Hosting.IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The status and why, as one line of text (the status code says 200 or 503).</summary>
    private static Task WriteReport(Microsoft.AspNetCore.Http.HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var why = string.Join("; ", report.Entries.Values.Select(e => e.Description).Where(d => !string.IsNullOrEmpty(d)));
        return Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(context.Response, why.Length == 0 ? $"{report.Status}\n" : $"{report.Status}: {why}\n");
    }

    private static IPAddress ResolveHost(string host) =>
        IPAddress.TryParse(host, out var ip) ? ip
        : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? IPAddress.Loopback;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        finally
        {
            _meters.Dispose();
        }
    }

    /// <summary>Ready: the node is up in the cluster, and a broker's gateway answers with the controller it knows.</summary>
    private sealed class BrokerReadyCheck(Func<BrokerNode> node) : IHealthCheck
    {
        private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var current = node();
            var status = Cluster.Get(current.System).SelfMember.Status;
            if (status != MemberStatus.Up)
                return HealthCheckResult.Unhealthy($"node {current.Settings.BrokerId} is {status} in the cluster, not Up");
            if (!current.Settings.IsBroker) return HealthCheckResult.Healthy($"controller node {current.Settings.BrokerId} is up");
            try
            {
                var cluster = await current.Gateway.Ask<DescribeClusterResponse>(new DescribeClusterRequest(), AskTimeout, cancellationToken);
                return cluster.Error == ErrorCode.None && cluster.ControllerId >= 0
                    ? HealthCheckResult.Healthy($"broker {current.Settings.BrokerId} serves; controller {cluster.ControllerId}, {cluster.Brokers.Count} live broker(s)")
                    : HealthCheckResult.Unhealthy($"broker {current.Settings.BrokerId} knows no controller yet: {cluster.ErrorMessage ?? cluster.Error.ToString()}");
            }
            catch (AskTimeoutException)
            {
                return HealthCheckResult.Unhealthy($"broker {current.Settings.BrokerId}'s client gateway did not answer within {AskTimeout.TotalSeconds:0} s");
            }
        }
    }
}
