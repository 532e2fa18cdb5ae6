using System.Collections;
using System.Globalization;
using AkkaBroker.Connect.Config;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Connect.Transforms;

/// <summary>
/// Masks fields of the key (<see cref="Key"/>) or value (<see cref="Value"/>) (Kafka Connect's <c>MaskField</c>): each
/// named field becomes the empty value of its type (0, false, "", the epoch, an empty list or map), or the configured
/// <c>replacement</c> parsed as the field's type (numbers and strings only). The schema is unchanged. Null keys or
/// values pass unchanged.
/// </summary>
public abstract class MaskField : ITransformation
{
    /// <summary>Names of the fields to mask.</summary>
    public const string FieldsConfig = "fields";

    /// <summary>The replacement for every masked value.</summary>
    public const string ReplacementConfig = "replacement";

    private const string Purpose = "mask fields";

    private readonly RecordPart _part;
    private HashSet<string> _maskedFields = [];
    private string? _replacement;

    private protected MaskField(RecordPart part) => _part = part;

    /// <inheritdoc />
    public ConfigDef Config { get; } = new ConfigDef()
        .DefineRequired(FieldsConfig, ConfigType.List, Importance.High, "Names of fields to mask.", Validators.NonEmptyList)
        .Define(ReplacementConfig, ConfigType.String, null, Importance.Low,
            "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only).", Validators.NonEmptyString);

    /// <inheritdoc />
    /// <exception cref="ConfigException"><c>fields</c> is missing or empty, or <c>replacement</c> is empty.</exception>
    public void Configure(IReadOnlyDictionary<string, string> configs)
    {
        var values = Config.Parse(configs);
        _maskedFields = [.. (List<string>)values[FieldsConfig]!];
        _replacement = values[ReplacementConfig] as string;
    }

    /// <inheritdoc />
    /// <exception cref="DataException">the key or value is neither a struct nor a map, or a field's type cannot be masked.</exception>
    public ConnectRecord? Apply(ConnectRecord record)
    {
        var value = record.ValueOf(_part);
        if (value == null) return record;
        if (record.SchemaOf(_part) == null)
        {
            var map = Requirements.RequireMap(value, Purpose);
            var updatedMap = SchemaUtil.CopyMap(map);
            foreach (var field in _maskedFields) updatedMap[field] = Masked(map.TryGetValue(field, out var v) ? v : null);
            return record.With(_part, null, updatedMap);
        }
        var original = Requirements.RequireStruct(value, Purpose);
        var updated = new Struct(original.Schema);
        foreach (var field in original.Schema.Fields)
        {
            var fieldValue = original.Get(field);
            updated.Put(field, _maskedFields.Contains(field.Name) ? Masked(fieldValue) : fieldValue);
        }
        return record.With(_part, original.Schema, updated);
    }

    private object? Masked(object? value) => value == null ? null : _replacement == null ? MaskWithNullValue(value) : MaskWithReplacement(value, _replacement);

    private static object MaskWithNullValue(object value) => value switch
    {
        bool => false,
        sbyte => (sbyte)0,
        short => (short)0,
        int => 0,
        long => 0L,
        float => 0f,
        double => 0d,
        decimal => 0m,
        DateTime => DateTime.UnixEpoch,
        string => "",
        IDictionary<string, object?> => new Dictionary<string, object?>(),
        IDictionary => new Dictionary<object, object?>(),
        IList and not byte[] => new List<object?>(),
        _ => throw new DataException("Cannot mask value of type: " + value.GetType()),
    };

    private static object MaskWithReplacement(object value, string replacement)
    {
        var invariant = CultureInfo.InvariantCulture;
        try
        {
            return value switch
            {
                sbyte => sbyte.Parse(replacement, NumberStyles.Integer, invariant),
                short => short.Parse(replacement, NumberStyles.Integer, invariant),
                int => int.Parse(replacement, NumberStyles.Integer, invariant),
                long => long.Parse(replacement, NumberStyles.Integer, invariant),
                float => float.Parse(replacement, NumberStyles.Float, invariant),
                double => double.Parse(replacement, NumberStyles.Float, invariant),
                decimal => decimal.Parse(replacement, NumberStyles.Float, invariant),
                string => replacement,
                _ => throw new DataException($"Cannot mask value of type {value.GetType()} with custom replacement."),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new DataException($"Unable to convert {replacement} ({replacement.GetType()}) to number", e);
        }
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Masks fields of the record's key.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.MaskField$Key")]
    public sealed class Key() : MaskField(RecordPart.Key);

    /// <summary>Masks fields of the record's value.</summary>
    [PluginAlias("org.apache.kafka.connect.transforms.MaskField$Value")]
    public sealed class Value() : MaskField(RecordPart.Value);
}
