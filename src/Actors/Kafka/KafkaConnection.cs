using System.Buffers;
using System.Buffers.Binary;
using Akka.Event;
using Microsoft.AspNetCore.Connections;

namespace AkkaBroker.Actors.Kafka;

/// <summary>
/// One Kafka client connection: reads size-prefixed request frames and answers them in order, one at a time, as a
/// Kafka broker does (it reads no further request from a connection while one is being served), which is also the
/// connection's backpressure: a client with many requests in flight waits in its own socket buffer, not in our memory.
/// A frame larger than <c>socket.request.max.bytes</c>, or one that does not parse, closes the connection with a
/// logged reason.
/// </summary>
internal sealed class KafkaConnection(KafkaListenerHolder holder) : ConnectionHandler
{
    /// <summary>How long a connection to a SASL listener may take to authenticate.</summary>
    private static readonly TimeSpan AuthenticationTimeout = TimeSpan.FromSeconds(30);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var listener = holder.Listener ?? throw new InvalidOperationException("the Kafka listener serves before it was registered");
        KafkaApis apis;
        try
        {
            apis = await listener.ApisAsync(connection.ConnectionClosed);
        }
        catch (OperationCanceledException)
        {
            return; // closed by the client, or the broker stopped, before it served
        }
        var client = connection.RemoteEndPoint?.ToString() ?? connection.ConnectionId;
        // ACLs name hosts by IP address, as Kafka's do; this one is the socket's, not something the client says.
        var host = (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;
        // A client certificate the TLS layer accepted (ssl.client.auth) names the principal, as Kafka's does: User:<subject>.
        var certificate = connection.Features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>()?.ClientCertificate;
        apis = apis.ForConnection(certificate != null ? CertificatePrincipal(certificate) : Security.Authorizer.Anonymous, host);
        var maxBytes = listener.Settings.SocketRequestMaxBytes;
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var sasl = listener.Settings.SaslEnabled ? apis.NewSaslSession() : null;
        // A connection that does not authenticate in time is closed: it must not hold a slot (and a handshake) forever.
        using var authenticating = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        if (sasl != null) authenticating.CancelAfter(AuthenticationTimeout);
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(sasl is { Principal: null } ? authenticating.Token : connection.ConnectionClosed);
                var buffer = read.Buffer;
                // Before a client has authenticated, frames are held to Kafka's sasl.server.max.receive.size (512 KiB).
                while (TryTakeFrame(ref buffer, sasl is { Principal: null } ? Math.Min(maxBytes, 524288) : maxBytes, out var frame))
                {
                    // Copied out of the pipe so the pipe's segments are released while a long-polling fetch waits.
                    var owner = ArrayPool<byte>.Shared.Rent((int)frame.Length);
                    try
                    {
                        frame.CopyTo(owner);
                        await apis.HandleAsync(owner.AsMemory(0, (int)frame.Length), output, client, sasl, connection.ConnectionClosed);
                        // Authenticated: the connection's later requests are this user's.
                        if (sasl?.Principal is { } principal && principal != apis.Principal)
                        {
                            apis = apis.ForConnection(principal, host);
                            authenticating.CancelAfter(Timeout.InfiniteTimeSpan);
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(owner);
                    }
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted) return;
            }
        }
        catch (OperationCanceledException) when (connection.ConnectionClosed.IsCancellationRequested)
        {
            // the client went away while a request was served
        }
        catch (ConnectionResetException)
        {
            // the client went away
        }
        catch (KafkaAuthenticationFailedException e)
        {
            if (Gateway.FailureLog.ShouldLog(out var unlogged))
                apis.Log.Warning("Kafka listener: closing the connection from {0}: {1}{2}", client, e.Message,
                    unlogged > 0 ? $" ({unlogged} more failures since the last such line)" : "");
        }
        catch (KafkaConnectionClosedException e)
        {
            apis.Log.Warning("Kafka listener: closing the connection from {0}: {1}", client, e.Message);
        }
        catch (OperationCanceledException) when (authenticating.IsCancellationRequested)
        {
            apis.Log.Warning("Kafka listener: closing the connection from {0}: it did not authenticate within {1} s", client, AuthenticationTimeout.TotalSeconds);
        }
        catch (Exception e)
        {
            // A request this broker failed to serve: the client sees its connection close and retries elsewhere, as
            // with a Kafka broker; the cause goes to the broker's log (Kestrel's own logging is off).
            apis.Log.Error(e, "Kafka listener: closing the connection from {0} after failing to serve its request", client);
        }
    }

    /// <summary>
    /// Kafka's default principal of a TLS client: <c>User:</c> and the certificate's subject as RFC 2253 writes it
    /// (<c>CN=alice,OU=eng,O=Example</c>, most specific first, no spaces after the commas).
    /// </summary>
    internal static string CertificatePrincipal(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        "User:" + Protocol.Security.ClientCertificateMechanism.PrincipalName(certificate);

    /// <summary>Takes one whole request frame (without its size prefix) off the front of <paramref name="buffer"/>.</summary>
    private static bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, int maxBytes, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 4) return false;
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (size < 0 || size > maxBytes)
            throw new KafkaConnectionClosedException(
                $"its request frame declares {size} bytes, more than socket.request.max.bytes ({maxBytes}) allows (or negative); " +
                "a client that sends this is not speaking Kafka's protocol, or sends requests larger than the broker accepts");
        if (buffer.Length < 4 + size) return false;
        frame = buffer.Slice(4, size);
        buffer = buffer.Slice(4 + size);
        return true;
    }
}

/// <summary>The connection is closed on purpose; the message says why, for the broker's log.</summary>
internal class KafkaConnectionClosedException(string message) : Exception(message);

/// <summary>A client's authentication failed: logged at most once per interval, as a client can fail as fast as it likes.</summary>
internal sealed class KafkaAuthenticationFailedException(string message) : KafkaConnectionClosedException(message);
