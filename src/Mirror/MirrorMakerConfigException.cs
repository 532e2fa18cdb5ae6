namespace AkkaBroker.Mirror;

/// <summary>
/// The mirror's configuration is refused at start. The message names where the setting came from (a properties file
/// or the command line), the key, the bad value, and what to do instead.
/// </summary>
public sealed class MirrorMakerConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="origin">Where the setting came from, e.g. <c>consumer.config /etc/mirror/consumer.properties</c> or <c>the command line</c>.</param>
    /// <param name="key">The key or option, e.g. <c>acks</c> or <c>--num.streams</c>.</param>
    /// <param name="value">The value given, or null when the key is missing.</param>
    /// <param name="advice">Why the value is refused and what to do, as whole sentences.</param>
    public MirrorMakerConfigException(string origin, string key, string? value, string advice)
        : base(value == null ? $"{key} is missing ({origin}). {advice}" : $"{key}={value} ({origin}) is refused. {advice}")
    {
        Origin = origin;
        Key = key;
        Value = value;
    }

    /// <summary>Where the setting came from.</summary>
    public string Origin { get; }

    /// <summary>The key or option refused.</summary>
    public string Key { get; }

    /// <summary>The value refused, or null when the key is missing.</summary>
    public string? Value { get; }
}
