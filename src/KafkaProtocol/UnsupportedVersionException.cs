namespace AkkaBroker.KafkaProtocol;

/// <summary>
/// A message cannot be written at the version asked for without losing information: a field that version lacks holds
/// a value other than its default and the schema does not mark it ignorable (Kafka's rule), or tagged fields are set
/// for a version that has none.
/// </summary>
public sealed class UnsupportedVersionException : Exception
{
    private UnsupportedVersionException(string message, string? field, short version) : base(message)
    {
        Field = field;
        Version = version;
    }

    /// <summary>The field that cannot be written, or null when the unknown tagged fields are the cause.</summary>
    public string? Field { get; }

    /// <summary>The version that was asked for.</summary>
    public short Version { get; }

    /// <summary>A field absent from <paramref name="version"/> holds a value other than its default.</summary>
    public static UnsupportedVersionException NonDefaultField(string className, string field, short version) =>
        new($"{className}.{field} holds a value other than its default, but version {version} has no such field", field, version);

    /// <summary>Unknown tagged fields are set, but <paramref name="version"/> is not a flexible version.</summary>
    public static UnsupportedVersionException TaggedFields(string className, short version) =>
        new($"{className} has unknown tagged fields, but version {version} has no tagged fields", null, version);
}
