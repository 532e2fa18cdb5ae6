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
        var maxBytes = listener.Settings.SocketRequestMaxBytes;
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var sasl = listener.Settings.SaslEnabled ? apis.NewSaslSession() : null;
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(connection.ConnectionClosed);
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
        catch (KafkaConnectionClosedException e)
        {
            apis.Log.Warning("Kafka listener: closing the connection from {0}: {1}", client, e.Message);
        }
        catch (Exception e)
        {
            // A request this broker failed to serve: the client sees its connection close and retries elsewhere, as
            // with a Kafka broker; the cause goes to the broker's log (Kestrel's own logging is off).
            apis.Log.Error(e, "Kafka listener: closing the connection from {0} after failing to serve its request", client);
        }
    }

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
internal sealed class KafkaConnectionClosedException(string message) : Exception(message);
