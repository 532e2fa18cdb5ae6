using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect;

/// <summary>
/// Turns keys or values between bytes on a topic and Connect's data model (Kafka Connect's <c>Converter</c>). A worker
/// uses one for keys and one for values (<c>key.converter</c>, <c>value.converter</c>), configured with the keys under
/// those prefixes. Converters must have a public parameterless constructor.
/// </summary>
public interface IConverter
{
    /// <summary>Configures the converter; <paramref name="isKey"/> says whether it converts keys.</summary>
    /// <exception cref="ConfigException">a key is invalid.</exception>
    void Configure(IReadOnlyDictionary<string, string> configs, bool isKey);

    /// <summary>The keys the converter accepts.</summary>
    ConfigDef Config { get; }

    /// <summary>The bytes for <paramref name="value"/> of <paramref name="schema"/> on <paramref name="topic"/>; null stays null.</summary>
    /// <exception cref="DataException">the value cannot be converted.</exception>
    byte[]? FromConnectData(string topic, Schema? schema, object? value);

    /// <summary>The schema and value that <paramref name="value"/> stands for; null bytes give <see cref="SchemaAndValue.Null"/>.</summary>
    /// <exception cref="DataException">the bytes are not in the converter's format.</exception>
    SchemaAndValue ToConnectData(string topic, byte[]? value);
}

/// <summary>
/// A single message transform (Kafka Connect's <c>Transformation</c>): changes, reroutes or drops one record at a time,
/// configured under <c>transforms.{alias}.*</c>. Applied in the order of the <c>transforms</c> list, after a source
/// task's poll and before a sink task's put. Must have a public parameterless constructor.
/// </summary>
public interface ITransformation : IDisposable
{
    /// <summary>Configures the transform with its keys (prefix removed).</summary>
    /// <exception cref="ConfigException">a key is invalid.</exception>
    void Configure(IReadOnlyDictionary<string, string> configs);

    /// <summary>The keys the transform accepts.</summary>
    ConfigDef Config { get; }

    /// <summary>The changed record, the same record, or null to drop it.</summary>
    /// <exception cref="DataException">the record does not have the shape the transform needs.</exception>
    ConnectRecord? Apply(ConnectRecord record);
}

/// <summary>
/// A condition on a record (Kafka Connect's <c>Predicate</c>), configured under <c>predicates.{alias}.*</c>; a transform
/// with <c>predicate</c> (and optionally <c>negate</c>) applies only to records that match.
/// </summary>
public interface IPredicate : IDisposable
{
    /// <summary>Configures the predicate with its keys (prefix removed).</summary>
    /// <exception cref="ConfigException">a key is invalid.</exception>
    void Configure(IReadOnlyDictionary<string, string> configs);

    /// <summary>The keys the predicate accepts.</summary>
    ConfigDef Config { get; }

    /// <summary>True when <paramref name="record"/> matches.</summary>
    bool Test(ConnectRecord record);
}
