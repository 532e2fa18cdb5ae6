using System.Net;
using Microsoft.AspNetCore.Builder;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// The broker's Kafka-protocol endpoint: Kestrel's connection layer (async socket I/O on System.IO.Pipelines) with one
/// <see cref="KafkaConnection"/> per client. It binds before the broker joins its cluster, so the address it advertises
/// can travel in the broker's cluster roles; requests that arrive before the broker is ready wait for it.
/// </summary>
public sealed class KafkaListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource<KafkaApis> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private KafkaListener(WebApplication app, int boundPort, KafkaListenerSettings settings)
    {
        _app = app;
        BoundPort = boundPort;
        Settings = settings;
    }

    public KafkaListenerSettings Settings { get; }

    /// <summary>The port bound (the one asked for, or a free one when the default was busy or 0 was asked for).</summary>
    public int BoundPort { get; }

    /// <summary>The host and port Metadata gives clients for this broker.</summary>
    public (string Host, int Port) Advertised => (Settings.AdvertisedHost, Settings.AdvertisedPort ?? BoundPort);

    /// <summary>The default port that was busy, when the listener moved to a free one; null otherwise.</summary>
    public int? MovedFrom { get; private set; }

    /// <summary>Binds the listener. A busy default port (nobody asked for 9092) moves it to a free port (see <see cref="MovedFrom"/>).</summary>
    /// <exception cref="Broker.BrokerConfigurationException">the port asked for is in use or cannot be bound.</exception>
    public static async Task<KafkaListener> StartAsync(KafkaListenerSettings settings)
    {
        // Read before anything is bound, so that a bad file stops the start with nothing to release.
        var certificate = settings.Tls?.Certificate();
        var chain = certificate != null ? settings.Tls!.Chain(certificate) : null;
        var clientAuthorities = settings.Tls is { TruststoreLocation.Length: > 0 } t ? t.Authorities() : null;
        try
        {
            try
            {
                return await BindAsync(settings, settings.Port, certificate, chain, clientAuthorities);
            }
            catch (Exception e) when (!settings.PortRequested && (e is AddressInUseException || e.InnerException is AddressInUseException))
            {
                var moved = await BindAsync(settings, 0, certificate, chain, clientAuthorities);
                moved.MovedFrom = settings.Port;
                return moved;
            }
        }
        catch (Exception e) when (e is IOException or AddressInUseException or System.Net.Sockets.SocketException)
        {
            throw new Broker.BrokerConfigurationException(Broker.BrokerSettings.Section + ".listeners", $"{settings.SecurityProtocol}://{settings.BindHost}:{settings.Port}",
                $"an address this machine can listen on ({e.Message}): choose another port, or \"\" to turn the Kafka listener off");
        }
    }

    private static async Task<KafkaListener> BindAsync(KafkaListenerSettings settings, int port, X509Certificate2? certificate, X509Certificate2Collection? chain,
        X509Certificate2Collection? clientAuthorities)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The broker logs through Akka; Kestrel's own console lines would only repeat what the connections log.
        builder.Logging.ClearProviders();
        var holder = new KafkaListenerHolder();
        builder.Services.AddSingleton(holder);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var address = settings.BindHost == null ? IPAddress.Any : ResolveBindAddress(settings.BindHost);
            kestrel.Listen(address, port, listen =>
            {
                // Kestrel's TLS connection layer, as its HTTPS uses: Kafka's SSL listener is TLS around the same protocol.
                if (certificate != null)
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = certificate,
                        // Intermediate authorities in the keystore go with it, so clients trusting only the root accept it.
                        ServerCertificateChain = chain is { Count: > 0 } ? chain : null,
                        ClientCertificateMode = settings.ClientAuth switch
                        {
                            SslClientAuth.Required => ClientCertificateMode.RequireCertificate,
                            SslClientAuth.Requested => ClientCertificateMode.AllowCertificate,
                            _ => ClientCertificateMode.NoCertificate,
                        },
                        // A client's certificate counts only when the truststore's authorities issued it (a private CA, not the machine's store).
                        ClientCertificateValidation = clientAuthorities == null ? null
                            : (presented, chain, _) => Protocol.Tls.TlsFiles.ChainProblem(presented, clientAuthorities, chain) == null,
                        SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
                        HandshakeTimeout = TimeSpan.FromSeconds(10),
                    });
                listen.UseConnectionHandler<KafkaConnection>();
            });
        });
        var app = builder.Build();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            // A port that cannot be bound leaves a built host behind: the fallback binds a new one.
            await app.DisposeAsync();
            throw;
        }
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port).First();
        var listener = new KafkaListener(app, bound, settings);
        holder.Listener = listener;
        return listener;
    }

    private static IPAddress ResolveBindAddress(string host) =>
        IPAddress.TryParse(host, out var ip) ? ip
        : host == "localhost" ? IPAddress.Loopback
        : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
          ?? throw new Broker.BrokerConfigurationException(Broker.BrokerSettings.Section + ".listeners", host, "a host name that resolves to an IPv4 address");

    /// <summary>Starts serving requests (until now they waited): the broker joined its cluster and its gateway runs.</summary>
    public void Serve(KafkaApis apis) => _ready.TrySetResult(apis);

    /// <summary>The request handlers, once the broker serves.</summary>
    internal Task<KafkaApis> ApisAsync(CancellationToken ct) => _ready.Task.WaitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        _ready.TrySetCanceled();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Lets Kestrel's connection handlers, built by its service container, find their listener.</summary>
internal sealed class KafkaListenerHolder
{
    public KafkaListener? Listener { get; set; }
}
