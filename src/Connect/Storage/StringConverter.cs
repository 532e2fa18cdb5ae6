using System.Text;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;
using AkkaBroker.Connect.Internal;

namespace AkkaBroker.Connect.Storage;

/// <summary>
/// Keys or values as text (Kafka Connect's <c>StringConverter</c>): writes any value's text in <c>converter.encoding</c>
/// (default UTF-8) and reads bytes back as an optional string. Schemas are not kept, so what is read is always a string.
/// </summary>
[PluginAlias("org.apache.kafka.connect.storage.StringConverter")]
public sealed class StringConverter : IConverter
{
    /// <summary>The key naming the character set.</summary>
    public const string EncodingConfig = "converter.encoding";

    private Encoding _encoding = new UTF8Encoding(false, true);

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .Define(EncodingConfig, ConfigType.String, "UTF8", Importance.High, "The name of the Java character set to use for encoding strings as byte arrays.");

    /// <inheritdoc />
    public void Configure(IReadOnlyDictionary<string, string> configs, bool isKey)
    {
        var name = (string)Config.Parse(configs)[EncodingConfig]!;
        _encoding = EncodingFor(name) ?? throw new ConfigException(EncodingConfig, name,
            "Unsupported character set; use UTF-8, UTF-16, UTF-16BE, UTF-16LE, UTF-32, US-ASCII or ISO-8859-1");
    }

    /// <summary>The .NET encoding for a Java character set name, or null when there is none.</summary>
    internal static Encoding? EncodingFor(string name)
    {
        var normalized = name.Trim().ToUpperInvariant() switch
        {
            "UTF8" => "utf-8",
            "UTF-16" or "UTF16" => "utf-16BE", // Java's UTF-16 writes big-endian (with a byte order mark, which we omit)
            "UTF-16BE" => "utf-16BE",
            "UTF-16LE" => "utf-16",
            "UTF-32" or "UTF32" => "utf-32BE",
            "ASCII" or "US-ASCII" => "us-ascii",
            "ISO-8859-1" or "ISO8859_1" or "LATIN1" => "iso-8859-1",
            var other => other.ToLowerInvariant(),
        };
        try
        {
            var encoding = Encoding.GetEncoding(normalized);
            return encoding is UTF8Encoding ? new UTF8Encoding(false, true) : encoding;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public byte[]? FromConnectData(string topic, Schema? schema, object? value) => value switch
    {
        null => null,
        string s => _encoding.GetBytes(s),
        bool b => _encoding.GetBytes(b ? "true" : "false"),
        double d => _encoding.GetBytes(JavaFormats.DoubleToString(d)),
        float f => _encoding.GetBytes(JavaFormats.FloatToString(f)),
        IFormattable f => _encoding.GetBytes(f.ToString(null, System.Globalization.CultureInfo.InvariantCulture)),
        _ => _encoding.GetBytes(value.ToString() ?? ""),
    };

    /// <summary>The text of <paramref name="value"/> with an optional string schema; null bytes give a null value of that schema, as in Kafka.</summary>
    /// <exception cref="DataException">the bytes are not valid in the configured encoding.</exception>
    public SchemaAndValue ToConnectData(string topic, byte[]? value)
    {
        try
        {
            return new SchemaAndValue(Schema.OptionalString, value == null ? null : _encoding.GetString(value));
        }
        catch (DecoderFallbackException e)
        {
            throw new DataException("Failed to deserialize string: ", e);
        }
    }
}
