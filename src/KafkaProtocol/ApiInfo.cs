namespace AkkaBroker.KafkaProtocol;

/// <summary>
/// What the codec knows of one API: its message classes, the versions they read and write, and which header versions
/// frame them.
/// </summary>
public sealed class ApiInfo
{
    private readonly Func<IKafkaMessage> _newRequest;
    private readonly Func<IKafkaMessage> _newResponse;
    private readonly Func<short, bool> _isFlexible;

    internal ApiInfo(
        ApiKey key, Type requestType, Type responseType, short lowestVersion, short highestVersion,
        Func<short, bool> isFlexible, Func<IKafkaMessage> newRequest, Func<IKafkaMessage> newResponse)
    {
        Key = key;
        RequestType = requestType;
        ResponseType = responseType;
        LowestVersion = lowestVersion;
        HighestVersion = highestVersion;
        _isFlexible = isFlexible;
        _newRequest = newRequest;
        _newResponse = newResponse;
        FirstFlexibleVersion = -1;
        for (var v = lowestVersion; v <= highestVersion; v++)
        {
            if (!isFlexible(v)) continue;
            FirstFlexibleVersion = v;
            break;
        }
    }

    /// <summary>The API key.</summary>
    public ApiKey Key { get; }

    /// <summary>The generated request class, e.g. <see cref="MetadataRequestData"/>.</summary>
    public Type RequestType { get; }

    /// <summary>The generated response class, e.g. <see cref="MetadataResponseData"/>.</summary>
    public Type ResponseType { get; }

    /// <summary>The lowest version the codec reads and writes.</summary>
    public short LowestVersion { get; }

    /// <summary>The highest version the codec reads and writes.</summary>
    public short HighestVersion { get; }

    /// <summary>The first version with compact encoding and tagged fields, or -1 when none has them.</summary>
    public short FirstFlexibleVersion { get; }

    /// <summary>Whether the codec reads and writes <paramref name="version"/> of this API.</summary>
    public bool IsSupported(short version) => version >= LowestVersion && version <= HighestVersion;

    /// <summary>Whether <paramref name="version"/> is a flexible one.</summary>
    public bool IsFlexible(short version) => _isFlexible(version);

    /// <summary>
    /// The request header version: 2 (with tagged fields) for flexible versions, 1 otherwise. (Kafka's one exception,
    /// ControlledShutdown v0 with header v0, is an API this codec does not carry.)
    /// </summary>
    public short RequestHeaderVersion(short version) => IsFlexible(version) ? (short)2 : (short)1;

    /// <summary>
    /// The response header version: 1 for flexible versions, 0 otherwise, except ApiVersions, whose response always
    /// has header v0 so that a client can read it before it knows which versions the broker speaks.
    /// </summary>
    public short ResponseHeaderVersion(short version) =>
        Key != ApiKey.ApiVersions && IsFlexible(version) ? (short)1 : (short)0;

    /// <summary>A new, default request object of this API.</summary>
    public IKafkaMessage NewRequest() => _newRequest();

    /// <summary>A new, default response object of this API.</summary>
    public IKafkaMessage NewResponse() => _newResponse();
}
