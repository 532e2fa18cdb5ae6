using System.Buffers;
using System.Buffers.Binary;

namespace AkkaBroker.KafkaProtocol;

/// <summary>
/// Reads and writes whole frames: Kafka's 4-byte big-endian size, then a request or response header, then the body.
/// The broker side reads requests and writes responses; the client side (writing requests, reading responses) serves
/// tests and tools.
/// </summary>
public static class KafkaRequestFrame
{
    /// <summary>
    /// Reads a request frame (without its size prefix): the header at the version its API and version call for, then
    /// the body as the generated request class of that API (e.g. <see cref="MetadataRequestData"/>). Records in the body
    /// are slices of <paramref name="frameWithoutLengthPrefix"/>, which must therefore stay unchanged while they are used.
    /// </summary>
    /// <exception cref="UnsupportedRequestException">the API key is unknown or its version unsupported.</exception>
    /// <exception cref="KafkaProtocolException">the frame is truncated or malformed.</exception>
    public static (RequestHeaderData Header, object Body) ReadRequest(ReadOnlyMemory<byte> frameWithoutLengthPrefix)
    {
        var reader = new KafkaReader(frameWithoutLengthPrefix);
        var apiKey = reader.ReadInt16("RequestApiKey");
        var apiVersion = reader.ReadInt16("RequestApiVersion");
        var correlationId = reader.ReadInt32("CorrelationId");
        var known = ApiKeys.TryGet(apiKey, out var api);
        if (!known || !api!.IsSupported(apiVersion))
            throw new UnsupportedRequestException(apiKey, apiVersion, correlationId, PeekClientId(frameWithoutLengthPrefix.Span[8..]), known);

        reader = new KafkaReader(frameWithoutLengthPrefix);
        var header = new RequestHeaderData();
        header.Read(ref reader, api.RequestHeaderVersion(apiVersion));
        var body = api.NewRequest();
        body.Read(ref reader, apiVersion);
        return (header, body);
    }

    /// <summary>
    /// Writes a response frame: size, response header (v0 or v1 as <paramref name="key"/> and <paramref name="version"/>
    /// call for) and <paramref name="body"/>, an object of the API's generated response class. Nothing reaches
    /// <paramref name="output"/> when writing fails.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="body"/> is not the API's response class or the version is unsupported.</exception>
    /// <exception cref="UnsupportedVersionException">the body holds a value the version cannot carry.</exception>
    public static void WriteResponse(IBufferWriter<byte> output, ApiKey key, short version, int correlationId, object body)
    {
        var api = Supported(key, version);
        var message = Checked(body, api.ResponseType);
        var header = new ResponseHeaderData { CorrelationId = correlationId };
        WriteFrame(output, header, api.ResponseHeaderVersion(version), message, version);
    }

    /// <summary>Writes a request frame: size, request header (v1 or v2) and <paramref name="body"/>, an object of the API's request class.</summary>
    /// <exception cref="ArgumentException"><paramref name="body"/> is not the API's request class or the version is unsupported.</exception>
    /// <exception cref="UnsupportedVersionException">the body holds a value the version cannot carry.</exception>
    public static void WriteRequest(IBufferWriter<byte> output, ApiKey key, short version, int correlationId, string? clientId, object body)
    {
        var api = Supported(key, version);
        var message = Checked(body, api.RequestType);
        var header = new RequestHeaderData
        {
            RequestApiKey = (short)key,
            RequestApiVersion = version,
            CorrelationId = correlationId,
            ClientId = clientId,
        };
        WriteFrame(output, header, api.RequestHeaderVersion(version), message, version);
    }

    /// <summary>
    /// Reads a response frame (without its size prefix) to a request of <paramref name="key"/> at <paramref name="version"/>:
    /// the response does not say which API it answers, the caller knows from the correlation id.
    /// </summary>
    /// <exception cref="ArgumentException">the version is unsupported.</exception>
    /// <exception cref="KafkaProtocolException">the frame is truncated or malformed.</exception>
    public static (ResponseHeaderData Header, object Body) ReadResponse(ReadOnlyMemory<byte> frameWithoutLengthPrefix, ApiKey key, short version)
    {
        var api = Supported(key, version);
        var reader = new KafkaReader(frameWithoutLengthPrefix);
        var header = new ResponseHeaderData();
        header.Read(ref reader, api.ResponseHeaderVersion(version));
        var body = api.NewResponse();
        body.Read(ref reader, version);
        return (header, body);
    }

    private static void WriteFrame(IBufferWriter<byte> output, IKafkaMessage header, short headerVersion, IKafkaMessage body, short version)
    {
        // Sized first (the size goes before the bytes): a body that cannot be written fails here and leaves output
        // untouched, and the frame is then written once, straight into output, its record batches copied only there.
        var counter = new ByteCounter();
        var sizing = new KafkaWriter(counter);
        header.Write(sizing, headerVersion);
        body.Write(sizing, version);
        if (counter.Count > int.MaxValue) throw new ArgumentException($"a frame of {counter.Count} bytes is larger than Kafka's int32 size allows", nameof(body));
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), (int)counter.Count);
        output.Advance(4);
        var writer = new KafkaWriter(output);
        header.Write(writer, headerVersion);
        body.Write(writer, version);
    }

    private static ApiInfo Supported(ApiKey key, short version)
    {
        var api = ApiKeys.Get(key);
        return api.IsSupported(version)
            ? api
            : throw new ArgumentException($"{key} version {version} is outside the supported {api.LowestVersion}-{api.HighestVersion}", nameof(version));
    }

    private static IKafkaMessage Checked(object body, Type expected) =>
        body.GetType() == expected
            ? (IKafkaMessage)body
            : throw new ArgumentException($"expected a {expected.Name}, got a {body.GetType().Name}", nameof(body));

    // The client id follows the correlation id as a non-compact nullable string in header v1 and v2 alike, so it can be
    // read even for an API whose header version is unknown; a frame too short for it just has none.
    private static string? PeekClientId(ReadOnlySpan<byte> rest)
    {
        if (rest.Length < 2) return null;
        var length = BinaryPrimitives.ReadInt16BigEndian(rest);
        return length >= 0 && length <= rest.Length - 2 ? System.Text.Encoding.UTF8.GetString(rest.Slice(2, length)) : null;
    }
}
