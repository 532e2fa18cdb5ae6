using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit;

namespace AkkaBroker.EndToEnd.Tests;

/// <summary>The metrics endpoint over HTTPS (metrics.prometheus.ssl), as a Prometheus that scrapes https:// sees it.</summary>
public sealed class MetricsTlsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"akkabroker-metrics-tls-{Guid.NewGuid():N}");

    public MetricsTlsTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A broker's file still held while it exits; the OS cleans the temp dir.
        }
    }

    [Fact]
    public async Task Metrics_and_probes_are_served_over_https_with_the_configured_certificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=metrics", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(_dir, "metrics.crt.pem");
        var keyPath = Path.Combine(_dir, "metrics.key.pem");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

        var free = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        free.Start();
        var port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        using var broker = await BrokerProcess.StartAsync(Path.Combine(_dir, "data"), extraConfig: $$"""
            akkabroker.broker.listeners = ""
            akkabroker.broker.metrics.prometheus.port = {{port}}
            akkabroker.broker.metrics.prometheus.ssl { enabled = on, keystore.location = "{{certPath}}", key.location = "{{keyPath}}" }
            """, extraArgs: ["--host", "127.0.0.1"]);
        // The endpoint's line may follow the one the start waits for.
        await broker.WaitForOutputAsync(o => o.Split('\n').Any(l => l.StartsWith("metrics: ", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the metrics endpoint's line");
        var line = broker.Output.Split('\n').First(l => l.StartsWith("metrics: ", StringComparison.Ordinal));
        var url = line["metrics: ".Length..].Split(' ')[0];
        Assert.StartsWith("https://127.0.0.1:", url);

        // Trusts exactly the configured certificate, as a Prometheus given it as its CA would.
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await http.GetStringAsync(url);
        Assert.Contains("akkabroker_", metrics);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url.Replace("/metrics", "/health/live"))).StatusCode);
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetStringAsync(url.Replace("https://", "http://")));
    }
}
